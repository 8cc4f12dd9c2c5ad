"""Callers waiting at once for the front office: what bereik's own messages cost, and how punctual they are.

Two runs through the real Asterisk sandbox with `bereik run` as its own process:
(a) bereik as shipped: a message after 4 rings and every 4 rings after (20, 40, 60 s);
(b) the same load without bereik's messages (the first one set beyond the run), so the
    difference is the whisper alone: the queue state, the estimator and AGI run in both.
Reported per run: bereik's CPU time (utime + stime from /proc) per waiting caller over the
waiting window, Asterisk's too, and the timing error of every message, |Playback in the
whisper - (QueueCallerJoin + 20/40/60 s)|, from Asterisk's own AMI timestamps.
Checked, or the bench stops with an error: bereik alive through each run, every caller joined the
queue with bereik's reason (none failed open), every message due was played in (a) and none in (b).
A message played late is waited for (up to Load.late seconds past the window, less than the time to the
next message not due) and counted with its error.
Run: `python -m bench waiting_bench`; `--smoke` (the suite's): run (a) only, 5 callers, one message after
one ring, every check; run (b) is the same code with the first message set beyond the run.
"""
from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench._running import Bereik, BenchError, cpu_seconds, percentile, secrets_for_bereik, write_config
from bereik.config import load_config
from bereik.ivr.catalogue import spoken_texts, whispered_texts
from bereik.ivr.prompts import PromptLibrary
from bereik.pbx import dialplan
from bereik.pbx import variables as var
from bereik.pbx.ami import AmiClient
from bereik.routing.direct import SECONDS_PER_RING
from bereik.sandbox import AmiLogin, Asterisk, build_root, observer_section
from bereik.sandbox.sipp import Sipp

OBSERVER = ("observer", "observer-secret-for-bench-only")
OBSERVED = frozenset({"QueueCallerJoin", "ChanSpyStart", "AGIExecStart"})
REASON = "no_menu"  # bereik's reason for a caller without a menu: anything else did not come from bereik


@dataclass(frozen=True)
class Load:
    callers: int = 50
    rate: float = 10  # all waiting within callers / rate seconds
    first_after_rings: int = 4
    repeat_every_rings: int = 4
    window: float = 66  # seconds after the last join: three messages each
    late: float = 5  # at most this long past the window for messages due but not yet played

    def due(self) -> list[float]:
        first, every = self.first_after_rings * SECONDS_PER_RING, self.repeat_every_rings * SECONDS_PER_RING
        return [first + n * every for n in range(int((self.window - first) // every) + 1)]


FULL, SMOKE = Load(), Load(callers=5, rate=5, first_after_rings=1, repeat_every_rings=60, window=5, late=20)


def bench_config(directory: Path, load: Load, messages: bool, outgoing: Path | None = None) -> Path:
    """The example straight into the queue (no choice, no menu); without messages the first is due after the run."""
    def waiting(document):
        for key in ("shared_number", "menu"):
            document.pop(key)
        document["waiting"].update({
            "first_after_rings": load.first_after_rings if messages else 60,
            "repeat_every_rings": load.repeat_every_rings,
            "overflow": {"on_callers": 200, "on_wait_seconds": 3600}})  # the overflow position stays out
    return write_config(directory, waiting, f"municipality-{'messages' if messages else 'none'}.yaml", outgoing)


class Observer:
    def __init__(self, client: AmiClient, due: list[float]):
        self.due = due
        self.joined: dict[str, tuple[float, str]] = {}  # caller channel -> QueueCallerJoin, BEREIK_REASON
        self.spied: dict[str, str] = {}  # whisper's playing half -> caller channel
        self.plays: list[tuple[str, float]] = []
        client.on_event("QueueCallerJoin", self._join)
        client.on_event("ChanSpyStart", self._spy)
        client.on_event("AGIExecStart", self._exec)

    def _join(self, event):
        reason = event.get(f"ChanVariable({var.REASON})", "")
        self.joined.setdefault(event["Channel"], (float(event["Timestamp"]), reason))

    def _spy(self, event):
        self.spied[event["SpyerChannel"].replace(";1", ";2")] = event["SpyeeChannel"]

    def _exec(self, event):
        # bereik plays each message into the caller's companion (bereik.pbx.whisper).
        # A Read (any key cuts it short), not a Playback: see bereik.pbx.whisper.
        if event.get("Command", "").startswith('EXEC "Read" "BEREIK_WHISPER_KEY,') \
                and event.get("Context") == dialplan.WHISPER_CONTEXT:
            self.plays.append((event["Channel"], float(event["Timestamp"])))

    def errors(self) -> list[float]:
        errors = []
        for player, at in self.plays:
            caller = self.spied.get(player)
            if caller in self.joined:
                waited = at - self.joined[caller][0]
                errors.append(min(abs(waited - due) for due in self.due))
        return errors


def bereik_for(load: Load, messages: bool, work: Path, pbx: Asterisk, secrets_file: Path) -> Bereik:
    config_path = bench_config(work, load, messages, pbx.outgoing)
    return Bereik(config_path, secrets_file, pbx.sounds_dir, work / f"bereik-{'messages' if messages else 'none'}.log")


async def run(label: str, load: Load, messages: bool, pbx: Asterisk, bereik: Bereik) -> dict:
    """One run against the running Asterisk, with its own `bereik run` (started here unless launched)."""
    work = bereik.log.parent
    client = AmiClient("127.0.0.1", 5038, *OBSERVER, action_timeout=10, events=OBSERVED)
    sipp = Sipp(workdir=work / "sipp")
    try:
        await bereik.start()
        observer = Observer(client, load.due())
        await client.connect()
        cpu_bereik, cpu_asterisk = bereik.cpu_seconds(), cpu_seconds(pbx.pid)
        callers = sipp.load(load_config(bereik.config).number, rate=load.rate, calls=load.callers,
                            hold_seconds=load.window + load.callers / load.rate + 10)
        deadline = time.monotonic() + load.callers / load.rate + 30
        while len(observer.joined) < load.callers and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        expected = load.callers * len(load.due()) if messages else 0
        window_ends = time.monotonic() + load.window
        while time.monotonic() < window_ends or (
                len(observer.errors()) < expected and time.monotonic() < window_ends + load.late):
            await asyncio.sleep(0.2)
        bereik.check()
        cpu_bereik, cpu_asterisk = bereik.cpu_seconds() - cpu_bereik, cpu_seconds(pbx.pid) - cpu_asterisk
        callers.stop()
        reasons = sorted({reason for _, reason in observer.joined.values()})
        if len(observer.joined) < load.callers or reasons != [REASON]:
            raise BenchError(f"{label}: {len(observer.joined)} of {load.callers} callers joined the queue, with "
                             f"reasons {reasons} (expected only {REASON!r}): bereik did not route them")
        errors = [e * 1000 for e in observer.errors()]
        if len(errors) != expected:
            raise BenchError(f"{label}: {len(errors)} messages played, {expected} due")
        waiting = len(observer.joined)
        return {"label": label, "waiting": waiting, "messages": len(errors),
                "bereik_ms_per_caller": cpu_bereik * 1000 / waiting,
                "asterisk_ms_per_caller": cpu_asterisk * 1000 / waiting,
                "p50_ms": percentile(errors, 0.5), "p99_ms": percentile(errors, 0.99)}
    finally:
        client.close()
        sipp.stop_all()
        try:
            bereik.stop()
        finally:
            await asyncio.to_thread(pbx.hangup_all, 15)


async def measure(load: Load, smoke: bool = False) -> list[dict]:
    """Both runs against one Asterisk (bereik's waiting settings do not change Asterisk's configuration);
    the smoke run (a) only, its bereik started while the prompts are made."""
    work = Path(tempfile.mkdtemp(prefix="bereik-waiting-bench-"))
    secrets_file, secrets = secrets_for_bereik(work)
    config_path = bench_config(work, load, True)
    config = load_config(config_path)
    files = dialplan.generate(config, secrets, source=str(config_path))
    files["manager.conf"] += observer_section(*OBSERVER, write="call,agent", events=tuple(sorted(OBSERVED)))
    dialplan.write(files, work / "asterisk")
    pbx = Asterisk(work / "asterisk", AmiLogin(5038, *OBSERVER), root=build_root(), log_path=work / "asterisk.log")
    print(f"work files in {work} (kept if the run fails)", flush=True)
    pbx.start()
    with_messages = bereik_for(load, True, work, pbx, secrets_file)
    try:
        if smoke:
            with_messages.launch()
        PromptLibrary(pbx.sounds_dir, config.language).ensure_all(spoken_texts(config))
        PromptLibrary(pbx.sounds_dir, config.language, over_ring=True).ensure_all(whispered_texts(config))
        for extension in ("201", "202", "203", "204"):
            pbx.cli(f"queue pause member PJSIP/{extension} queue tic reason bench")  # nobody answers: all wait
        results = [await run("messages", load, True, pbx, with_messages)]
        if not smoke:
            results.append(await run("no messages", load, False, pbx, bereik_for(load, False, work, pbx, secrets_file)))
    finally:
        with_messages.stop()
        pbx.stop()
    shutil.rmtree(work, ignore_errors=True)  # a run that ended well leaves nothing; a failed one keeps its logs
    return results


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench waiting_bench", description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true",
                        help="run (a) only: 5 callers, one message after one ring, every check (the suite's)")
    smoke = parser.parse_args(argv).smoke
    load = SMOKE if smoke else FULL
    try:
        results = await measure(load, smoke)
    except BenchError as error:
        print(f"\nERROR: {error}", file=sys.stderr)
        return 1
    due = ", ".join(f"{d:g}" for d in load.due())
    print(f"\n{load.callers} callers waiting at once, {load.window:g} s after the last joined (messages due at {due} s)")
    print(f"{'run':<14}{'waiting':>8}{'messages':>10}{'bereik CPU/caller':>20}{'Asterisk CPU/caller':>22}"
          f"{'timing error p50':>18}{'p99':>10}")
    for r in results:
        timing = f"{r['p50_ms']:>15.0f} ms{r['p99_ms']:>7.0f} ms" if r["messages"] else f"{'(none due)':>28}"
        print(f"{r['label']:<14}{r['waiting']:>8}{r['messages']:>10}{r['bereik_ms_per_caller']:>17.1f} ms"
              f"{r['asterisk_ms_per_caller']:>19.1f} ms{timing}")
    if len(results) == 2:
        messages, none = results
        for who, key in (("bereik", "bereik_ms_per_caller"), ("Asterisk", "asterisk_ms_per_caller")):
            ratio = f"{messages[key] / none[key]:.2f}x" if none[key] else "no CPU measured"
            print(f"the messages cost {who} {messages[key] - none[key]:+.1f} ms of CPU per waiting caller "
                  f"({ratio} the run without them)")
    print(f"(measured: CPU time from /proc, timing from Asterisk's AMI timestamps; set, not measured: "
          f"{load.callers} callers at {load.rate:g}/s, messages after {load.first_after_rings} and every "
          f"{load.repeat_every_rings} rings)")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
