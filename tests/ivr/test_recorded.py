"""Recorded prompts: what a coordinator uploads (WAV at 44.1 kHz stereo, MP3, Ogg/Opus) becomes Asterisk's
8 kHz mono WAV at one level; it plays only for the words it was recorded for; bad uploads are refused in
words; `bereik prompts` says per text what plays."""
import datetime as dt
import io
import wave
from pathlib import Path

import av
import numpy as np
import pytest

from bereik.cli import recording_report
from bereik.ivr.phrases import fill
from bereik.ivr.prompts import PromptLibrary
from bereik.ivr.recorded import RecordingError, Recordings, per_call
from tests.examples import example_config

CONFIG = example_config()
NOW = dt.datetime(2026, 12, 6, 9, 0, tzinfo=CONFIG.zone)
WELCOME = fill(CONFIG, CONFIG.texts["welcome"])


def tones(rate: int, seconds: float = 2.0, level: float = 0.05) -> np.ndarray:
    """A quiet sequence of tones, as float samples."""
    t = np.arange(int(rate * seconds)) / rate
    return level * np.sin(2 * np.pi * np.where(t < seconds / 2, 440, 880) * t)


def encoded(samples: np.ndarray, rate: int, fmt: str, codec: str, layout: str = "stereo") -> bytes:
    out = io.BytesIO()
    with av.open(out, mode="w", format=fmt) as container:
        stream = container.add_stream(codec, rate=rate, layout=layout)
        channels = 2 if layout == "stereo" else 1
        pcm = (np.tile(samples, (channels, 1)) * 32767).astype(np.int16)
        frame_format = "s16p" if channels == 2 else "s16"
        for start in range(0, pcm.shape[1], 1024):
            chunk = pcm[:, start:start + 1024]
            frame = av.AudioFrame.from_ndarray(chunk if channels == 2 else chunk.reshape(1, -1),
                                               format=frame_format, layout=layout)
            frame.sample_rate = rate
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return out.getvalue()


def level(path: Path) -> tuple[int, float, float, float]:
    """(rate, seconds, RMS dBFS, peak dBFS) of a 16-bit mono WAV."""
    with wave.open(str(path)) as audio:
        assert (audio.getnchannels(), audio.getsampwidth()) == (1, 2)
        samples = np.frombuffer(audio.readframes(audio.getnframes()), "<i2") / 32768
        rate = audio.getframerate()
    return (rate, len(samples) / rate, 20 * np.log10(np.sqrt(np.mean(samples ** 2))),
            20 * np.log10(np.max(np.abs(samples))))


@pytest.mark.parametrize("fmt, codec, rate", [("wav", "pcm_s16le", 44100), ("mp3", "libmp3lame", 44100),
                                              ("ogg", "libopus", 48000)])
def test_an_upload_becomes_8_khz_mono_at_one_level(tmp_path, fmt, codec, rate):
    recordings = Recordings(tmp_path)
    recording = recordings.add("welcome", WELCOME, encoded(tones(rate), rate, fmt, codec), "coco", NOW)
    rate_, seconds, rms, peak = level(recordings.path(recording.stem))
    assert rate_ == 8000 and seconds == pytest.approx(2.0, abs=0.1)
    assert rms == pytest.approx(-20, abs=0.5) and peak <= -0.99  # from -29 dBFS RMS, raised by 9 dB


def test_a_recording_plays_for_its_own_words_only_and_survives_a_restart(tmp_path):
    Recordings(tmp_path).add("welcome", WELCOME, encoded(tones(44100), 44100, "wav", "pcm_s16le"), "coco", NOW)
    library = PromptLibrary(tmp_path)  # read anew, as a restarted bereik does
    assert library.sound_name(WELCOME).startswith("bereik/recorded/r-")
    assert library.ensure(WELCOME) == (library.sound_name(WELCOME), False)  # nothing rendered by espeak-ng
    assert library.seconds(WELCOME) == pytest.approx(2.0, abs=0.1)
    changed = "Welkom bij de gemeente Bloemendaal, goedemorgen."
    assert not library.sound_name(changed).startswith("bereik/recorded/")
    assert not PromptLibrary(tmp_path, over_ring=True).sound_name(WELCOME).startswith("bereik/recorded/")


def test_a_new_upload_replaces_the_old_file(tmp_path):
    recordings = Recordings(tmp_path)
    first = recordings.add("welcome", WELCOME, encoded(tones(8000), 8000, "wav", "pcm_s16le", "mono"), "coco", NOW)
    second = recordings.add("welcome", WELCOME, encoded(tones(16000, 3.0), 16000, "wav", "pcm_s16le", "mono"),
                            "root", NOW)
    assert not recordings.path(first.stem).exists() and recordings.path(second.stem).exists()
    assert [r.by for r in Recordings(tmp_path).all()] == ["root"]


@pytest.mark.parametrize("audio, words", [
    (b"not audio at all" * 100, "geen geluid dat bereik kan lezen"),
    (encoded(np.zeros(16000), 8000, "wav", "pcm_s16le", "mono"), "De opname is stil"),
    (encoded(tones(8000, 0.2), 8000, "wav", "pcm_s16le", "mono"), "korter dan een halve seconde"),
    (encoded(tones(8000, 61), 8000, "wav", "pcm_s16le", "mono"), "langer dan 60 seconden"),
])
def test_what_cannot_be_a_prompt_is_refused_in_words(tmp_path, audio, words):
    with pytest.raises(RecordingError, match=words):
        Recordings(tmp_path).add("welcome", WELCOME, audio, "coco", NOW)
    assert Recordings(tmp_path).all() == []


def test_bereik_prompts_says_per_text_what_plays(tmp_path):
    recordings = Recordings(tmp_path)
    recordings.add("welcome", WELCOME, encoded(tones(8000), 8000, "wav", "pcm_s16le", "mono"), "coco", NOW)
    recordings.add("menu_intro", "Maak een keuze uit het volgende menu, oud.",
                   encoded(tones(8000), 8000, "wav", "pcm_s16le", "mono"), "coco", NOW)
    lines = recording_report(CONFIG, tmp_path)
    assert "  welcome: recorded by coco on 2026-12-06 (2 s)" in lines
    assert "  menu_intro: espeak-ng: the recording of 2026-12-06 by coco no longer matches the text" in lines
    assert "  closed: espeak-ng (changes per call)" in lines
    assert "  invalid_choice: espeak-ng (no recording)" in lines
    assert per_call("Wij zijn er weer {next_opening}.") and not per_call("Welkom bij {municipality}.")


def test_bereik_run_loads_ffmpeg_and_numpy_only_when_a_recording_comes_in():
    """Their 32 MB were a quarter of a running bereik's memory, for what a coordinator does a few times a year."""
    import subprocess
    import sys

    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, bereik.cli, bereik.service, bereik.console.manage; "
                               "print(sorted(m for m in ('av', 'numpy') if m in sys.modules))"],
        capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == "[]"
