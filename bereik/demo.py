"""`make demo`: the example municipality on a real Asterisk, three callers, and what they experienced.

1. A caller on a Monday morning picks Bloemendaal (1), then option 2 (afval),
   and a desk phone of the front office answers.
2. A caller on Christmas Day hears the closing message and the next opening time.
3. A caller while bereik is stopped: in opening hours (the machine's clock: the generated dialplan
   knows the hours) still the front-office queue, outside them the closing message.

What each caller experienced is told from Asterisk's own AMI events.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from secrets import token_urlsafe

from bereik.config import load_config
from bereik.ivr.catalogue import spoken_texts
from bereik.ivr.prompts import PromptLibrary
from bereik.pbx import dialplan
from bereik.pbx.ami import AmiClient
from bereik.pbx.facts import fact_of
from bereik.records.journey import JourneyBook
from bereik.records.narrative import describe
from bereik.sandbox import AmiLogin, Asterisk, build_root
from bereik.sandbox import cues
from bereik.sandbox.sipp import Sipp
from bereik.secrets import AMI_SECRET, Secrets, write_new_secrets_file

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "bloemendaal.yaml"
DESK_PHONES = ("127.0.1.1", "127.0.1.2", "127.0.1.3")
KEY_CUES = ("demo-callers", token_urlsafe(24))

SCENES = [
    # (title, pretend time or None for bereik stopped, DTMF keys pressed when Asterisk asks, seconds on the line)
    ("Maandagochtend 10:00, keuze Bloemendaal en dan 2 (afval)", "2026-11-23T10:00",
     [("asked", "1"), ("asked", "2")], 12),
    ("Eerste kerstdag 10:00", "2026-12-25T10:00", [("asked", "1")], 30),
    ("bereik is gestopt", None, [], 8),
]


def say(text: str) -> None:
    print(text, flush=True)


async def demo(language: str) -> int:
    config = load_config(EXAMPLE)
    work = Path(tempfile.mkdtemp(prefix="bereik-demo-"))
    say(f"Werkmap: {work}")
    secrets_file = write_new_secrets_file(work / "secrets.env")
    secrets = Secrets.load(secrets_file)
    conf_dir = work / "asterisk"
    dialplan.write(dialplan.generate(config, secrets, source=str(EXAMPLE)), conf_dir)
    with open(conf_dir / "manager.conf", "a") as manager:  # the demo's callers, who see when Asterisk asks
        manager.write(cues.ami_user(*KEY_CUES))
    say(f"Asterisk-configuratie gegenereerd in {conf_dir}")

    pbx = Asterisk(conf_dir, AmiLogin(5038, dialplan.AMI_USER, secrets.get(AMI_SECRET)),
                   root=build_root(), log_path=work / "asterisk.log")
    pbx.start()
    say("Asterisk 22 draait in de sandbox.")
    rendered = PromptLibrary(pbx.sounds_dir, config.language).ensure_all(spoken_texts(config))
    say(f"Gesproken teksten klaar ({rendered} nieuw gerenderd met espeak-ng).")

    book = JourneyBook()
    ami = AmiClient("127.0.0.1", 5038, dialplan.AMI_USER, secrets.get(AMI_SECRET))
    ami.on_event("*", lambda event: (fact := fact_of(event)) and book.apply(fact))
    await ami.connect()
    key_cues = await asyncio.to_thread(cues.KeyCues, AmiLogin(5038, *KEY_CUES))
    sipp = Sipp(workdir=work / "sipp")
    try:
        for number, (title, pretend, keys, seconds) in enumerate(SCENES, start=1):
            say(f"\n--- Beller {number}: {title} ---")
            bereik = start_bereik(work, secrets_file, pbx, pretend) if pretend else None
            try:
                phones = [sipp.phone(ip, ring_seconds=2) for ip in DESK_PHONES]
                caller = sipp.call(config.number, talk_seconds=seconds, dtmf=keys,
                                   from_user=f"06{number:08d}", from_name=f"Demo beller {number}")
                await asyncio.to_thread(caller.wait, seconds + 30)
                await asyncio.sleep(1)
                for phone in phones:
                    phone.stop()
                pbx.hangup_all()
            finally:
                stop_bereik(bereik)
            journey = max(book.journeys.values(), key=lambda j: j.steps[0].at)
            say(describe(journey, language))
    finally:
        key_cues.close()
        ami.close()
        sipp.stop_all()
        pbx.stop()
    say(f"\nbereik's log per stap: {work / 'bereik.log'}; Asterisk: {work / 'asterisk.log'}")
    return 0


def start_bereik(work: Path, secrets_file: Path, pbx: Asterisk, pretend: str) -> subprocess.Popen:
    log = open(work / "bereik.log", "a")
    process = subprocess.Popen(
        [sys.executable, "-m", "bereik", "run", str(EXAMPLE), "--sounds", str(pbx.sounds_dir),
         "--secrets", str(secrets_file), "--pretend-time", pretend],
        stdout=log, stderr=subprocess.STDOUT)
    wait_for_port(4573)
    return process


def wait_for_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"bereik did not start listening on port {port}; see bereik.log")


def stop_bereik(process: subprocess.Popen | None) -> None:
    if process is not None:
        process.send_signal(signal.SIGTERM)
        process.wait(10)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bereik.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--lang", choices=("nl", "en"), default=os.environ.get("BEREIK_LANG", "nl"))
    return asyncio.run(demo(parser.parse_args().lang))


if __name__ == "__main__":
    sys.exit(main())
