"""A recorded prompt end to end: in Chromium a coordinator uploads a recording (16 kHz WAV) for the municipality
choice, the first thing a caller to the shared 14 number hears; a SIPp caller's RTP (PCMU, as Asterisk sends
it to the caller) is decoded and compared with the uploaded audio: it is the recording, not espeak-ng."""
from __future__ import annotations

import asyncio
import datetime as dt
import io
import shutil
import socket
import wave
from pathlib import Path

import numpy as np

from bereik.config.model import Console, ConsoleUser, Presence, Records, Wallboard
from bereik.console.auth import Verdict
from bereik.ivr.phrases import fill
from bereik.ivr.prompts import PromptLibrary
from bereik.ivr.recorded import SUBDIR
from bereik.records.store import SqliteStore
from bereik.secrets import AMI_SECRET, PHONES_SECRET, Secrets
from bereik.service import Service, pretend_clock

from helpers import OBSERVER, write_config_with_observer
from tests.examples import example_config

EXAMPLE = Path(__file__).parents[2] / "examples" / "bloemendaal.yaml"
MONDAY_MORNING = dt.datetime(2026, 11, 23, 10, 0)
BASE = example_config()
RATE = 16000
SILENCE = b"\xff\x7f"  # G.711 mu-law's two zeros


def chirp(rate: int, seconds: float = 2.5) -> np.ndarray:
    """300 Hz to 3 kHz: every moment sounds different, so a match in time is the recording and nothing else."""
    t = np.arange(int(rate * seconds)) / rate
    return 0.3 * np.sin(2 * np.pi * (300 * t + (3000 - 300) / (2 * seconds) * t ** 2))


def wav(samples: np.ndarray, rate: int) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as audio:
        audio.setnchannels(1), audio.setsampwidth(2), audio.setframerate(rate)
        audio.writeframes((samples * 32767).astype("<i2").tobytes())
    return out.getvalue()


def ulaw_to_linear(payload: bytes) -> np.ndarray:
    """G.711 mu-law to linear (ITU-T G.711)."""
    u = ~np.frombuffer(payload, np.uint8).astype(np.int32) & 0xFF
    magnitude = (((u & 0x0F) << 3) + 0x84) << ((u & 0x70) >> 4)
    return np.where(u & 0x80, 0x84 - magnitude, magnitude - 0x84).astype(np.float64)


def best_match(heard: np.ndarray, reference: np.ndarray) -> float:
    """The highest normalised correlation of `reference` with any stretch of `heard`."""
    reference = (reference - reference.mean()) / np.linalg.norm(reference - reference.mean())
    best = 0.0
    for start in range(0, len(heard) - len(reference), 8):  # 1 ms steps
        window = heard[start:start + len(reference)]
        norm = np.linalg.norm(window - window.mean())
        if norm > 0:
            best = max(best, float(np.dot(window - window.mean(), reference) / norm))
    return best


class Coordinator:
    async def check(self, login, password):
        return Verdict() if (login, password) == ("coco", "coco-pw") else None


async def test_an_uploaded_recording_is_what_the_caller_receives(asterisk, ami, sipp, browser, tmp_path):
    secrets = Secrets({AMI_SECRET: "e2e-" + "x" * 28, PHONES_SECRET: "phones-" + "p" * 26})
    instance = asterisk(write_config_with_observer(BASE, secrets, tmp_path / "asterisk", str(EXAMPLE)))
    instance.ami = instance.ami.__class__(instance.ami.port, *OBSERVER)
    events = await ami(instance)
    (instance.root / "var/log/asterisk/cel-custom").mkdir(parents=True, exist_ok=True)
    config = BASE.model_copy(update={
        "console": Console(listen="127.0.0.1:0", secure_cookies=False, users=[ConsoleUser(login="coco", role="coordinator")]),
        "wallboard": Wallboard(listen="127.0.0.1:0"),
        "presence": Presence(absences_store=str(tmp_path / "absences.sqlite3")),
        "back_office": BASE.back_office.model_copy(update={"forwarding_store": str(tmp_path / "forwarding.sqlite3")}),
        "records": Records(asterisk_cel=str(instance.root / "var/log/asterisk/cel-custom/bereik.csv"))})
    service = Service(config, secrets, instance.sounds_dir, clock=pretend_clock(config, MONDAY_MORNING),
                      store=SqliteStore(tmp_path / "calls.sqlite3"))
    service.console.authenticator = Coordinator()
    await service.start()
    media = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    media.bind(("127.0.0.1", 0))
    media.setblocking(False)
    try:
        upload = tmp_path / "keuze-gemeente.wav"
        upload.write_bytes(wav(chirp(RATE), RATE))
        page = await browser.new_page()
        await page.goto(f"http://127.0.0.1:{service.console.port}/manage")
        await page.fill("#login", "coco")
        await page.fill("#password", "coco-pw")
        await page.click("button[type=submit]")
        await page.wait_for_selector("#h-recordings")
        await page.set_input_files("#file-municipality_choice", str(upload))
        await page.click("#recording-municipality_choice button[type=submit]")
        await page.wait_for_selector("#recordings .done")
        state = await page.inner_text("#recording-municipality_choice .state")
        assert state.startswith("Ingesproken door coco op 2026-11-23") and state.endswith("(2.5 s)")

        # The caller: Asterisk sends their audio to our socket (the SDP's media port); they press nothing.
        sipp.call("14023", talk_seconds=6, media_port=media.getsockname()[1])
        # In the order they came (one host: as sent; their sequence numbers may wrap past 65535), from the first
        # that is not silence on: a loaded Asterisk may send silence before the prompt.
        packets: list[bytes] = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 15
        while loop.time() < deadline and len(packets) < 125:  # the 2.5 s prompt, in 20 ms packets
            try:
                data = await asyncio.wait_for(loop.sock_recv(media, 2048), deadline - loop.time())
            except TimeoutError:
                break
            if len(data) > 12 and data[1] & 0x7F == 0 and (packets or data[12:].strip(SILENCE)):  # PCMU
                packets.append(data[12:])
        heard = np.concatenate([ulaw_to_linear(packet) for packet in packets])
        assert len(heard) >= 8000 * 2.4, f"only {len(heard) / 8000:.1f} s of audio reached the caller"

        prompts = PromptLibrary(instance.sounds_dir)
        choice = fill(config, config.texts["municipality_choice"])
        assert prompts.sound_name(choice).startswith("bereik/recorded/")
        reads = [e["Command"] for e in events.matching("AGIExecStart") if 'EXEC "Read"' in e.get("Command", "")]
        assert reads and prompts.sound_name(choice) in reads[0]
        # What the caller received is the uploaded audio (at 8 kHz): the correlation of a copy through G.711.
        assert best_match(heard, chirp(8000)[:8000 * 2]) > 0.9  # its first 2 s, anywhere in what was heard
        espeak = tmp_path / "espeak"
        spoken = PromptLibrary(espeak)
        spoken.ensure(choice)
        with wave.open(str(spoken.path(choice))) as audio:
            synthetic = np.frombuffer(audio.readframes(audio.getnframes()), "<i2").astype(np.float64)
        assert best_match(heard, synthetic[:8000 * 2]) < 0.5  # and not espeak-ng's rendering of the text
    finally:
        media.close()
        await service.stop()
        service.store.close()
        # The chroot copy (and its prompts) is kept for the worker's next tests: they must hear espeak-ng.
        shutil.rmtree(instance.sounds_dir / SUBDIR, ignore_errors=True)
