"""50 callers waiting at once for the front office: what bereik's own messages cost, and how punctual they are.

Two runs through the real Asterisk sandbox with `bereik run` as its own process:
(a) bereik as shipped: a message after 4 rings and every 4 rings after (20, 40, 60 s);
(b) the same load without bereik's messages (the first one set beyond the run), so the
    difference is the whisper alone: the queue state, the estimator and AGI run in both.
Reported per run: bereik's CPU time (utime + stime from /proc) per waiting caller over the
waiting window, Asterisk's too, and the timing error of every message, |Playback in the
whisper - (QueueCallerJoin + 20/40/60 s)|, from Asterisk's own AMI timestamps.
Run: `python -m bench waiting_bench`.
"""
from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ruamel.yaml import YAML

from bereik.config import load_config
from bereik.ivr.catalogue import spoken_texts, whispered_texts
from bereik.ivr.prompts import PromptLibrary
from bereik.pbx import dialplan
from bereik.pbx.ami import AmiClient
from bereik.sandbox import AmiLogin, Asterisk, build_root
from bereik.sandbox.sipp import Sipp
from bereik.secrets import AMI_SECRET, Secrets

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "bloemendaal.yaml"
PRETEND = "2026-11-23T10:00:00"
OBSERVER = ("observer", "observer-secret-for-bench-only")
CALLERS, RATE = 50, 10  # 50 callers, 10 a second: all waiting within 5 s
WINDOW = 66  # seconds after the last join: three messages each
DUE = (20, 40, 60)


def bench_config(directory: Path, first_after_rings: int) -> Path:
    """The example straight into the queue (no choice, no menu), with the first message after these rings."""
    yaml = YAML()
    document = yaml.load(EXAMPLE.read_text())
    for key in ("shared_number", "menu"):
        document.pop(key)
    document["waiting"] = {"first_after_rings": first_after_rings,
                           "overflow": {"on_callers": 200, "on_wait_seconds": 3600}}  # the position stays out
    path = directory / f"municipality-{first_after_rings}.yaml"
    with path.open("w") as file:
        yaml.dump(document, file)
    return path


def start_bereik(command: list[str], log_path: Path) -> subprocess.Popen:
    with log_path.open("w") as log:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=REPO)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


class Observer:
    def __init__(self, client: AmiClient):
        self.joined: dict[str, float] = {}  # caller channel -> QueueCallerJoin
        self.spied: dict[str, str] = {}  # whisper's playing half -> caller channel
        self.plays: list[tuple[str, float]] = []
        client.on_event("QueueCallerJoin", lambda e: self.joined.setdefault(e["Channel"], float(e["Timestamp"])))
        client.on_event("ChanSpyStart", self._spy)
        client.on_event("Newexten", self._exten)

    def _spy(self, event):
        self.spied[event["SpyerChannel"].replace(";1", ";2")] = event["SpyeeChannel"]

    def _exten(self, event):
        if event.get("Application") == "Playback" and event.get("Context") == dialplan.WHISPER_CONTEXT:
            self.plays.append((event["Channel"], float(event["Timestamp"])))

    def errors(self) -> list[float]:
        errors = []
        for player, at in self.plays:
            caller = self.spied.get(player)
            if caller in self.joined:
                waited = at - self.joined[caller]
                errors.append(min(abs(waited - due) for due in DUE))
        return errors


async def run(label: str, config_path: Path, secrets: Secrets, work: Path, root: Path) -> dict:
    config = load_config(config_path)
    files = dialplan.generate(config, secrets, source=str(config_path))
    files["manager.conf"] += (f"\n[{OBSERVER[0]}]\nsecret={OBSERVER[1]}\nread=all\nwrite=call,agent\n"
                              "eventfilter=Event: QueueCallerJoin\neventfilter=Event: ChanSpyStart\n"
                              "eventfilter=Event: Newexten\n")
    conf_dir = work / f"asterisk-{label}"
    dialplan.write(files, conf_dir)
    pbx = Asterisk(conf_dir, AmiLogin(5038, *OBSERVER), root=root, log_path=work / f"asterisk-{label}.log")
    pbx.start()
    bereik = client = None
    try:
        PromptLibrary(pbx.sounds_dir, config.language).ensure_all(spoken_texts(config))
        PromptLibrary(pbx.sounds_dir, config.language, over_ring=True).ensure_all(whispered_texts(config))
        for extension in ("201", "202", "203"):
            pbx.cli(f"queue pause member PJSIP/{extension} queue tic reason bench")  # nobody answers: all wait
        secrets_file = work / "secrets.env"
        secrets_file.write_text(f"{AMI_SECRET}={secrets.get(AMI_SECRET)}\n")
        secrets_file.chmod(0o600)
        bereik = start_bereik([sys.executable, "-m", "bereik", "run", str(config_path), "--sounds",
                               str(pbx.sounds_dir), "--secrets", str(secrets_file), "--pretend-time", PRETEND],
                              work / f"bereik-{label}.log")
        await asyncio.sleep(3)
        client = AmiClient("127.0.0.1", 5038, *OBSERVER, action_timeout=10)
        observer = Observer(client)
        await client.connect()
        sipp = Sipp(workdir=work / f"sipp-{label}")
        cpu_bereik, cpu_asterisk = cpu_seconds(bereik.pid), cpu_seconds(pbx.pid)
        load = sipp.load("14023", rate=RATE, calls=CALLERS, hold_seconds=WINDOW + CALLERS / RATE + 10)
        deadline = time.monotonic() + 30
        while len(observer.joined) < CALLERS and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        await asyncio.sleep(WINDOW)
        cpu_bereik, cpu_asterisk = cpu_seconds(bereik.pid) - cpu_bereik, cpu_seconds(pbx.pid) - cpu_asterisk
        load.stop()
        errors = [e * 1000 for e in observer.errors()]
        return {"label": label, "waiting": len(observer.joined), "messages": len(errors),
                "bereik_ms_per_caller": cpu_bereik * 1000 / max(1, len(observer.joined)),
                "asterisk_ms_per_caller": cpu_asterisk * 1000 / max(1, len(observer.joined)),
                "p50_ms": percentile(errors, 0.5), "p99_ms": percentile(errors, 0.99)}
    finally:
        if client:
            client.close()
        if bereik:
            bereik.send_signal(signal.SIGTERM)
            bereik.wait(10)
        pbx.stop()


async def main() -> int:
    root = build_root()
    work = Path(tempfile.mkdtemp(prefix="bereik-waiting-bench-"))
    secrets = Secrets({AMI_SECRET: "bench-" + os.urandom(12).hex()})
    results = [
        await run("messages", bench_config(work, 4), secrets, work, root),
        await run("no messages", bench_config(work, 60), secrets, work, root),
    ]
    print(f"\n{CALLERS} callers waiting at once, {WINDOW} s after the last joined (messages due at 20, 40, 60 s)")
    print(f"{'run':<14}{'waiting':>8}{'messages':>10}{'bereik CPU/caller':>20}{'Asterisk CPU/caller':>22}"
          f"{'timing error p50':>18}{'p99':>10}")
    for r in results:
        timing = f"{r['p50_ms']:>15.0f} ms{r['p99_ms']:>7.0f} ms" if r["messages"] else f"{'(none due)':>28}"
        print(f"{r['label']:<14}{r['waiting']:>8}{r['messages']:>10}{r['bereik_ms_per_caller']:>17.1f} ms"
              f"{r['asterisk_ms_per_caller']:>19.1f} ms{timing}")
    return 0
