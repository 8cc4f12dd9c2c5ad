"""Recorded prompts: a person's recording for a text of the YAML, played instead of espeak-ng.

A recording is kept with the text it was recorded for (placeholders such as {municipality} filled in),
so it plays only while the text is still that text: a text changed afterwards is spoken by espeak-ng
again, and `bereik prompts` says which recordings no longer match. Texts that change per call
({next_opening}, {name}, ...) are always spoken by espeak-ng.

Any audio FFmpeg decodes goes in (WAV, MP3, Ogg/Opus, WebM as a browser records it; PyAV), comes out as
Asterisk's 8 kHz 16-bit mono WAV, level-normalised: RMS to -20 dBFS, peaks at most -1 dBFS.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import re
import wave
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

RATE = 8000
MAX_SECONDS = 60
MAX_BYTES = 20 * 1024 * 1024
SUBDIR = "recorded"  # under the prompts' directory (Asterisk's sounds/bereik)
INDEX = "index.json"
_TARGET_RMS, _PEAK = 10 ** (-20 / 20), 10 ** (-1 / 20)
_PER_CALL = re.compile(r"\{(?!municipality\}|website\})[a-z_]+\}")


class RecordingError(ValueError):
    """An upload that cannot be a prompt; the message says why, in the coordinator's words."""


@dataclass(frozen=True)
class Recording:
    name: str  # the text's name in the YAML (welcome, menu_intro, ...)
    text: str  # the words it was recorded for, placeholders filled in
    stem: str  # the file, without .wav
    by: str
    at: str  # ISO 8601
    seconds: float


def per_call(template: str) -> bool:
    """Whether a text of the YAML changes per call (then espeak-ng always speaks it)."""
    return bool(_PER_CALL.search(template))


class Recordings:
    def __init__(self, prompts_directory: Path):
        self.directory = Path(prompts_directory) / SUBDIR
        self._by_name = self._read()

    def all(self) -> list[Recording]:
        return sorted(self._by_name.values(), key=lambda r: r.name)

    def get(self, name: str) -> Recording | None:
        return self._by_name.get(name)

    def stem_for(self, text: str) -> str | None:
        """The recording that says exactly `text`, if there is one."""
        return next((r.stem for r in self._by_name.values() if r.text == text), None)

    def add(self, name: str, text: str, audio: bytes, by: str, now: dt.datetime) -> Recording:
        samples = normalised(decoded(audio))
        stem = "r-" + hashlib.sha256(samples.tobytes() + text.encode()).hexdigest()[:20]
        self.directory.mkdir(parents=True, exist_ok=True)
        _write_wav(self.directory / f"{stem}.wav", samples)
        recording = Recording(name, text, stem, by, now.isoformat(timespec="seconds"), round(len(samples) / RATE, 2))
        old = self._by_name.get(name)
        self._by_name[name] = recording
        self._write_index()
        if old and old.stem != stem:
            (self.directory / f"{old.stem}.wav").unlink(missing_ok=True)
        return recording

    def path(self, stem: str) -> Path:
        return self.directory / f"{stem}.wav"

    def _read(self) -> dict[str, Recording]:
        try:
            entries = json.loads((self.directory / INDEX).read_text())
        except FileNotFoundError:
            return {}
        return {entry["name"]: Recording(**entry) for entry in entries}

    def _write_index(self) -> None:
        partial = self.directory / f"{INDEX}.{os.getpid()}.tmp"
        partial.write_text(json.dumps([asdict(r) for r in self.all()], ensure_ascii=False, indent=1))
        os.replace(partial, self.directory / INDEX)


def decoded(audio: bytes) -> np.ndarray:
    """Any audio FFmpeg reads, as 8 kHz mono float samples in [-1, 1]."""
    # Imported when a recording comes in: FFmpeg's and numpy's 32 MB were a quarter of `bereik run`'s memory.
    import av
    import numpy as np

    if len(audio) > MAX_BYTES:
        raise RecordingError(f"Het bestand is groter dan {MAX_BYTES // 2**20} MB; een melding duurt geen minuten.")
    try:
        with av.open(io.BytesIO(audio), mode="r") as container:
            if not container.streams.audio:
                raise RecordingError("Dit bestand bevat geen geluid.")
            resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)
            chunks = []
            for frame in container.decode(audio=0):
                chunks += [f.to_ndarray().reshape(-1) for f in resampler.resample(frame)]
                if sum(map(len, chunks)) > MAX_SECONDS * RATE:
                    raise RecordingError(f"De opname duurt langer dan {MAX_SECONDS} seconden; houd haar korter.")
            chunks += [f.to_ndarray().reshape(-1) for f in resampler.resample(None)]
    except av.error.FFmpegError:
        raise RecordingError("Dit bestand is geen geluid dat bereik kan lezen (WAV, MP3, Ogg, Opus of WebM).") \
            from None
    samples = np.concatenate(chunks).astype(np.float64) / 32768 if chunks else np.zeros(0)
    if len(samples) < RATE // 2:
        raise RecordingError("De opname is korter dan een halve seconde.")
    return samples


def normalised(samples: np.ndarray) -> np.ndarray:
    """RMS to -20 dBFS, but never a peak above -1 dBFS; as 16-bit integers."""
    import numpy as np

    rms, peak = float(np.sqrt(np.mean(samples ** 2))), float(np.max(np.abs(samples)))
    if rms < 1e-4:
        raise RecordingError("De opname is stil; is de microfoon aan?")
    gain = min(_TARGET_RMS / rms, _PEAK / peak)
    return np.clip(np.round(samples * gain * 32767), -32768, 32767).astype("<i2")


def _write_wav(target: Path, samples: np.ndarray) -> None:
    partial = target.with_suffix(f".{os.getpid()}.tmp")
    with wave.open(str(partial), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(samples.tobytes())
    os.chmod(partial, 0o644)
    os.replace(partial, target)
