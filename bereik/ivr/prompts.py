"""Spoken texts as sound files for Asterisk, rendered offline with espeak-ng, or a person's recording of
the text where the coordinator uploaded one (bereik.ivr.recorded).

Files are named by a hash of what they say and how, so an unchanged text is
never rendered twice and a changed text never plays a stale recording.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
import wave
from collections.abc import Callable, Iterable
from pathlib import Path

from bereik.ivr.recorded import SUBDIR, Recordings

_VOICES = {"nl": "nl", "en": "en-gb"}
_RENDERER = "espeak-ng+sox-8k-norm-v1"  # part of the hash: bump when rendering changes
# Whispered over Asterisk's ring tone (425 Hz at -16 dBFS RMS): espeak-ng's speech, only peak-normalised,
# is at -22 dBFS RMS and drowns in it. Compressed it reaches -14.5 dBFS RMS (sox stats), above the tone.
_OVER_RING = ("compand", "0.002,0.05", "-90,-90,-50,-8,0,-3", "-3", "-90", "0.01", "norm", "-1")
SOUND_SUBDIR = "bereik"  # under Asterisk's sounds directory


class PromptError(RuntimeError):
    pass


class PromptLibrary:
    def __init__(self, directory: Path, language: str = "nl", over_ring: bool = False):
        """`over_ring`: compressed louder, for messages mixed with the ring tone of a waiting caller."""
        self.directory = Path(directory)
        self.language = language
        self.over_ring = over_ring
        # Messages over the ring tone are bereik's own sentences, never a text of the YAML.
        self.recordings = None if over_ring else Recordings(self.directory)

    def _recorded(self, text: str) -> str | None:
        stem = self.recordings.stem_for(text) if self.recordings else None
        return stem if stem and self.recordings.path(stem).exists() else None

    def sound_name(self, text: str) -> str:
        """The name Asterisk plays (relative to its sounds directory, no extension)."""
        if stem := self._recorded(text):
            return f"{SOUND_SUBDIR}/{SUBDIR}/{stem}"
        renderer = f"{_RENDERER}+over-ring" if self.over_ring else _RENDERER
        digest = hashlib.sha256(f"{renderer}\0{self.language}\0{text}".encode()).hexdigest()[:20]
        return f"{SOUND_SUBDIR}/{digest}"

    def path(self, text: str) -> Path:
        if stem := self._recorded(text):
            return self.recordings.path(stem)
        return self.directory / f"{self.sound_name(text).split('/', 1)[1]}.wav"

    def ensure(self, text: str) -> tuple[str, bool]:
        """Render `text` unless a file for it exists; (sound name, whether it was rendered now)."""
        target = self.path(text)
        if target.exists():
            return self.sound_name(text), False
        render_speech(text, self.language, target, _OVER_RING if self.over_ring else ("norm", "-3"))
        return self.sound_name(text), True

    def seconds(self, text: str) -> float:
        """How long `text` plays, rendered now if need be."""
        self.ensure(text)
        with wave.open(str(self.path(text))) as audio:
            return audio.getnframes() / audio.getframerate()

    def ensure_all(self, texts: Iterable[str], progress: Callable[[int, int, str, bool], None] | None = None) -> int:
        unique = list(dict.fromkeys(texts))
        rendered = 0
        for number, text in enumerate(unique, start=1):
            _, fresh = self.ensure(text)
            rendered += fresh
            if progress:
                progress(number, len(unique), text, fresh)
        return rendered


def render_speech(text: str, language: str, target: Path, effects: tuple[str, ...] = ("norm", "-3")) -> None:
    """Dutch (or English) speech as 8 kHz 16-bit mono WAV, loudness normalised."""
    for tool in ("espeak-ng", "sox"):
        if shutil.which(tool) is None:
            raise PromptError(f"{tool} is not installed; run `make setup` (or apt-get install espeak-ng sox)")
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        raw = Path(scratch) / "speech.wav"
        # Text goes in on stdin: never through a shell, never parsed as options.
        subprocess.run(
            ["espeak-ng", "-v", _VOICES[language], "-s", "150", "-w", str(raw), "--stdin"],
            input=text.encode(), check=True, capture_output=True,
        )
        partial = Path(scratch) / "out.wav"
        subprocess.run(
            ["sox", str(raw), "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer", str(partial), *effects],
            check=True, capture_output=True,
        )
        # Asterisk may play the file the moment it appears: publish it whole.
        tmp_target = target.with_suffix(f".{os.getpid()}.tmp")
        shutil.copyfile(partial, tmp_target)
        os.chmod(tmp_target, 0o644)
        os.replace(tmp_target, target)
