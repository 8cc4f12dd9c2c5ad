"""How much does bereik's FastAGI decision cost a caller? Three paths side by side, one run.

(a) pure dialplan: Answer, Queue          -- the floor
(b) bereik's FastAGI path (`bereik run`)  -- what we ship
(c) the same decision as a classic process-per-call AGI script (pyst2)

SIPp places calls at rising rates through the real Asterisk sandbox. For each
path and rate: calls that failed (SIPp error, or never joined the queue while
the caller held on) and the time from answer to QueueCallerJoin, taken from
Asterisk's own AMI timestamps. Run: `python -m bench call_paths`.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ruamel.yaml import YAML

import asterisk as pyst2
from bereik.config import load_config
from bereik.pbx import dialplan
from bereik.pbx.ami import AmiClient
from bereik.sandbox import AmiLogin, Asterisk, build_root
from bereik.sandbox.sipp import Sipp
from bereik.secrets import AMI_SECRET, Secrets

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "bloemendaal.yaml"
PRETEND = "2026-11-23T10:00:00"  # a Monday morning: open, for every path
OBSERVER = ("observer", "observer-secret-for-bench-only")
PATHS = {"a": ("pure dialplan", "14901"), "b": ("bereik FastAGI", "14023"), "c": ("process AGI (pyst2)", "14902")}
RATES = (1, 2, 5, 10, 20, 40, 80, 120, 160, 200)
OVERHEAD_RATE, OVERHEAD_CALLS = 10, 300  # enough calls for a p99 that means something
SECONDS_PER_STEP = 5
HOLD_SECONDS = 3.0
FAILURE_LIMIT = 0.01


def bench_config(directory: Path) -> Path:
    """The example without the municipality choice, the menu and the welcome: the decision alone."""
    yaml = YAML()
    document = yaml.load(EXAMPLE.read_text())
    for key in ("shared_number", "menu"):
        document.pop(key)
    document["texts"].pop("welcome")
    path = directory / "municipality.yaml"
    with path.open("w") as file:
        yaml.dump(document, file)
    return path


def asterisk_config(config_path: Path, secrets: Secrets, directory: Path) -> Path:
    config = load_config(config_path)
    files = dialplan.generate(config, secrets, source=str(config_path))
    entry = files["extensions.conf"].split(f"[{dialplan.ENTRY_CONTEXT}]", 1)[1].split("\n[", 1)[0]
    bereik_lines = [line for line in entry.splitlines() if line.startswith(("exten => 14023", " same"))]
    process_lines = [line.replace("exten => 14023", "exten => 14902")
                     .replace("AGI(agi://127.0.0.1:4573/entry)", f"AGI(/opt/bereik-bench/process_agi.py,{PRETEND})")
                     for line in bereik_lines]
    pure_lines = ["exten => 14901,1,Answer()", " same => n,Queue(tic,rt)", " same => n,Hangup()"]
    files["extensions.conf"] = files["extensions.conf"].replace(
        f"[{dialplan.ENTRY_CONTEXT}]\n", f"[{dialplan.ENTRY_CONTEXT}]\n" + "\n".join(pure_lines + process_lines) + "\n", 1)
    # The observer hears only what it measures, so that it loads neither Asterisk nor this process.
    files["manager.conf"] += (f"\n[{OBSERVER[0]}]\nsecret={OBSERVER[1]}\nread=all\nwrite=call\n"
                              "eventfilter=Event: Newstate\neventfilter=Event: QueueCallerJoin\n")
    dialplan.write(files, directory)
    return directory


def install_process_agi(root: Path, config_path: Path) -> None:
    """The classic script and what it imports, copied into the chroot (it has its own Python)."""
    target = root / "opt" / "bereik-bench"
    shutil.rmtree(target, ignore_errors=True)
    lib = target / "lib"
    shutil.copytree(REPO / "bereik", lib / "bereik", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(Path(pyst2.__file__).parent, lib / "asterisk", ignore=shutil.ignore_patterns("__pycache__"))
    import six
    shutil.copy(six.__file__, lib / "six.py")
    shutil.copy(REPO / "bench" / "process_agi.py", target / "process_agi.py")
    (target / "process_agi.py").chmod(0o755)
    shutil.copy(config_path, target / "municipality.yaml")


class Observer:
    """Answer and queue-join moments per call, from Asterisk's AMI timestamps."""

    def __init__(self, client: AmiClient):
        self.answered: dict[str, float] = {}
        self.joined: dict[str, float] = {}
        client.on_event("Newstate", self._newstate)
        client.on_event("QueueCallerJoin", self._joined)

    def _newstate(self, event):
        if event.get("ChannelStateDesc") == "Up" and event.get("Uniqueid") == event.get("Linkedid"):
            self.answered.setdefault(event["Uniqueid"], float(event["Timestamp"]))

    def _joined(self, event):
        self.joined.setdefault(event["Uniqueid"], float(event["Timestamp"]))

    def reset(self):
        self.answered.clear()
        self.joined.clear()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def measure(path: str, rate: int, sipp: Sipp, observer: Observer, pbx: Asterisk,
                  calls: int | None = None) -> dict:
    number = PATHS[path][1]
    calls = calls or max(rate * SECONDS_PER_STEP, 10)
    observer.reset()
    load = sipp.load(number, rate=rate, calls=calls, hold_seconds=HOLD_SECONDS)
    deadline = time.monotonic() + calls / rate + HOLD_SECONDS + 60
    while load.returncode is None and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    load.stop()
    await asyncio.sleep(0.5)
    stats = load.stats
    sipp_failed = int(stats.get("FailedCall(C)", calls))
    latencies = [(observer.joined[c] - t) * 1000 for c, t in observer.answered.items() if c in observer.joined]
    never_joined = len(observer.answered) - len(latencies)
    pbx.hangup_all(timeout=15)
    failed = sipp_failed + never_joined
    return {"rate": rate, "calls": calls, "failed": failed, "failure_share": failed / calls,
            "p50_ms": percentile(latencies, 0.5) if latencies else float("nan"),
            "p99_ms": percentile(latencies, 0.99) if latencies else float("nan")}


async def main() -> int:
    root = build_root()
    work = Path(tempfile.mkdtemp(prefix="bereik-bench-"))
    secrets = Secrets({AMI_SECRET: "bench-" + os.urandom(12).hex()})
    config_path = bench_config(work)
    conf_dir = asterisk_config(config_path, secrets, work / "asterisk")
    pbx = Asterisk(conf_dir, AmiLogin(5038, *OBSERVER), root=root, log_path=work / "asterisk.log")
    pbx.start()
    bereik = None
    client = None
    try:
        install_process_agi(root, config_path)
        for extension in ("201", "202", "203", "204"):
            pbx.cli(f"queue pause member PJSIP/{extension} queue tic reason bench")  # nobody rings: joins only
        secrets_file = work / "secrets.env"
        secrets_file.write_text(f"{AMI_SECRET}={secrets.get(AMI_SECRET)}\n")
        secrets_file.chmod(0o600)
        bereik = subprocess.Popen(
            [sys.executable, "-m", "bereik", "run", str(config_path), "--sounds", str(pbx.sounds_dir),
             "--secrets", str(secrets_file), "--pretend-time", PRETEND],
            stdout=open(work / "bereik.log", "w"), stderr=subprocess.STDOUT)
        await asyncio.sleep(2)
        client = AmiClient("127.0.0.1", 5038, *OBSERVER, action_timeout=10)
        observer = Observer(client)
        await client.connect()
        sipp = Sipp(workdir=work / "sipp")
        results: dict[str, list[dict]] = {}
        for path in PATHS:
            results[path] = []
            for rate in RATES:
                outcome = await measure(path, rate, sipp, observer, pbx)
                results[path].append(outcome)
                print(f"  ({path}) {PATHS[path][0]:<22} {rate:>4} calls/s: {outcome['failed']:>4} of "
                      f"{outcome['calls']} failed, answer->queue p50 {outcome['p50_ms']:7.1f} ms "
                      f"p99 {outcome['p99_ms']:7.1f} ms", flush=True)
                if outcome["failure_share"] >= FAILURE_LIMIT:
                    break
        overhead = {path: await measure(path, OVERHEAD_RATE, sipp, observer, pbx, OVERHEAD_CALLS) for path in "ab"}
        report(results, overhead)
        return 0
    finally:
        if client:
            client.close()
        if bereik:
            bereik.send_signal(signal.SIGTERM)
            bereik.wait(10)
        pbx.stop()


def report(results: dict[str, list[dict]], overhead: dict[str, dict]) -> None:
    def best(path):
        passing = [r for r in results[path] if r["failure_share"] < FAILURE_LIMIT]
        return passing[-1] if passing else None

    def at_rate(path, rate):
        return next((r for r in results[path] if r["rate"] == rate), None)

    print("\npath                     max rate <1% failed   p50 ms   p99 ms   (at 10 calls/s)")
    for path, (label, _) in PATHS.items():
        top, common = best(path), at_rate(path, 10)
        rate = f"{top['rate']} calls/s" if top else "none"
        if top and top is results[path][-1] and top["rate"] == RATES[-1]:
            rate = f">= {rate}"
        p50 = f"{common['p50_ms']:8.1f}" if common else "       -"
        p99 = f"{common['p99_ms']:8.1f}" if common else "       -"
        print(f"({path}) {label:<22} {rate:<20} {p50} {p99}")
    a, b, c = (best(p) for p in "abc")
    if a and b:
        print(f"\nb/a max rate: {b['rate'] / a['rate']:.2f}  (target >= 0.90)")
    if b and c:
        print(f"b/c max rate: {b['rate'] / c['rate']:.1f}x  (target >= 10x)")
    a, b = overhead["a"], overhead["b"]
    print(f"decision overhead, {OVERHEAD_CALLS} calls at {OVERHEAD_RATE} calls/s (b - a): "
          f"p50 {b['p50_ms'] - a['p50_ms']:.1f} ms, p99 {b['p99_ms'] - a['p99_ms']:.1f} ms  (target p99 < 5 ms)")
    print(f"\n(measured {dt.datetime.now():%Y-%m-%d %H:%M}, {os.cpu_count()} cores, "
          f"{SECONDS_PER_STEP} s of calls per step, each held {HOLD_SECONDS:g} s)")


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
