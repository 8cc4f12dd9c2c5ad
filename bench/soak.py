"""Load and soak: realistic SIPp mixes through the real Asterisk and a real `bereik run`.

Phases, one run: the pure dialplan (Answer, Queue: the baseline), the expected peak, ten
times the peak, and a soak of at least 10,000 calls. After each phase: channels Asterisk
still holds once the callers are gone (leaked), bereik's memory and open files (with its decision
process's) and asyncio tasks (its /metrics), calls recorded against calls placed, and calls that failed.
Run: `python -m bench soak`; a shorter run while developing: `python -m bench soak --calls 500
--peak-seconds 30` (or SOAK_CALLS=500 SOAK_PEAK_SECONDS=30 python -m bench soak); `--smoke` (the suite's):
a few calls of the baseline and of the mix, every check, no figures worth reading.

It checks that what it measures ran, and stops with an error otherwise: bereik alive after every
phase, and every queue join's BEREIK_REASON counted per phase (Asterisk's QueueCallerJoin): the
baseline's joins carry none, a phase of the mix none of whose joins bereik decided did not run, and a
join that failed open (failopen-*, watchdog) counts as a failed call, not a success.

The transfer flow: the bench plays the agent's part as bereik's console does it
(bereik.pbx.warm_transfer): the agent's channel transferred to a back-office colleague, whose
SIPp desk phone answers; then the attended-transfer complete key (features.conf atxfercomplete)
played on the agent's channel, which completes the transfer while the agent is still in the
consultation (a hang-up instead races Asterisk's transfer thread).
bereik records the transfer steps (transfer_started ...) only for transfers made in its
console; for these the records show the agent's part ending with reason "transfer".

The expected peak, from the brief's municipality of about 150,000 contacts a year, all
counted as calls (an upper bound): 250 working days, the busiest day (Monday) 1.5 times an
average day, 15% of a day in its busiest hour, and the busiest quarter of that hour at
twice the hour's average: 150,000 / 250 * 1.5 * 0.15 * 2 / 3600 = 0.075 calls/s.
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import itertools
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Awaitable, Sequence

from ruamel.yaml import YAML

from bench._running import (EXAMPLE, METRICS_PORT, BenchError, Bereik, metric, metrics, processes_of,
                            secrets_for_bereik)
from bench.call_paths import FAILED_OPEN, NO_REASON, OBSERVER, Observer, asterisk_config
from bereik.pbx.ami import AmiClient, AmiError
from bereik.pbx import warm_transfer
from bereik.records.store import SqliteStore
from bereik.sandbox import AmiLogin, Asterisk, build_root, cues, observer_section
from bereik.sandbox.sipp import Key, Sipp

CONTACTS_PER_YEAR, WORKING_DAYS, BUSIEST_DAY, BUSIEST_HOUR, BUSIEST_QUARTER = 150_000, 250, 1.5, 0.15, 2.0
PEAK_RATE = CONTACTS_PER_YEAR / WORKING_DAYS * BUSIEST_DAY * BUSIEST_HOUR * BUSIEST_QUARTER / 3600
PEAK_SECONDS = int(os.environ.get("SOAK_PEAK_SECONDS", 120))  # each of the two peak phases
SOAK_CALLS = int(os.environ.get("SOAK_CALLS", 10_000))
SOAK_RATE = 12.0  # 160x the peak: 10,000 calls in 14 minutes
EXTRA_AGENTS = 5  # beside the example's four: the nine positions a front office may have
SAMPLE_SECONDS = 10.0
CALLER = "0612345678"
TRANSFER_CALLER = "0612340777"  # how the bench tells the transfer flow's calls from the others
AGENT_HANDS = ("bench-agents", "bench-agents-secret-for-bench-only")  # the AMI login that plays the agents
KEY_CUES = ("bench-callers", "bench-callers-secret-for-bench-only")
COLLEAGUES = {"301": "127.0.1.11", "303": "127.0.1.13"}  # back office (the example's): extension, phone


@dataclass(frozen=True)
class Flow:
    """One kind of caller in the mix: what they dial, the keys they press, how long they stay."""
    name: str
    number: str
    share: float
    hold_seconds: float
    dtmf: tuple[Key, ...] = ()
    caller: str = CALLER


AFVAL = (("asked", "1"), ("asked", "2"))  # Bloemendaal, then option 2 (afval), each when Asterisk asks
MIX = (
    Flow("menu, queue, an agent answers", "14023", 0.45, 9.0, AFVAL),
    # The agent consults for a second, the colleague answers at once: the caller spends the rest with them.
    Flow("agent transfers warm to back office", "14023", 0.10, 14.0, AFVAL, caller=TRANSFER_CALLER),
    # Before any offer the call-back key does nothing: the caller waits on (a stray key costs no place).
    Flow("call-back key in the queue, not offered", "14023", 0.15, 12.0, (*AFVAL, ("queued", "9"))),
    Flow("direct call, nobody there: the TIC", "0235115311", 0.20, 8.0),
    Flow("municipality choice timed out: the TIC", "14023", 0.10, 12.0),
)
TRANSFER_FLOW = next(flow for flow in MIX if flow.caller == TRANSFER_CALLER)
BASELINE = (Flow("pure dialplan: Answer, Queue", "14901", 1.0, 9.0),)


def soak_config(directory: Path, root: Path) -> Path:
    """The example with one ring before a direct call falls back, its stores in `directory`, the
    metrics on a fixed port and more agents answering."""
    yaml = YAML()
    document = yaml.load(EXAMPLE.read_text())
    document["back_office"]["rings"] = 1
    document["back_office"]["forwarding_store"] = str(directory / "forwarding.sqlite3")
    document["records"] = {"store": str(directory / "calls.sqlite3"),
                           "asterisk_cel": str(root / "var/log/asterisk/cel-custom/bereik.csv")}
    document["waiting"] = {"callback_store": str(directory / "callbacks.sqlite3")}
    document["wallboard"] = {"listen": f"127.0.0.1:{METRICS_PORT}"}
    document["pbx"]["call_files"] = str(root / "var/spool/asterisk/outgoing")
    tic = next(queue for queue in document["queues"] if queue["id"] == document["front_office"])
    for n in range(EXTRA_AGENTS):
        extension = str(205 + n)
        tic["positions"].append({"extension": extension, "address": agent_address(extension)})
        document["agents"].append({"name": f"Agent {extension}", "extension": extension, "topics": ["afval"]})
    path = directory / "municipality.yaml"
    with path.open("w") as file:
        yaml.dump(document, file)
    return path


def agent_address(extension: str) -> str:
    number = int(extension) - 200
    return f"127.0.1.{number}" if number <= 4 else f"127.0.2.{number}"


class WarmTransfers:
    """The agent's part in the transfer flow, played as bereik's console does it (bereik.console.desk):
    a second after an agent answers one of `caller`'s calls, the agent's channel transferred to a colleague;
    once the colleague answers, the complete key on the agent's channel, as the console keys it.
    A transfer Asterisk has not completed COMPLETE_SECONDS after the key (the caller hung up while the agent
    consulted) the agent ends by hanging up, as an agent would: the bench's phones never hang up themselves."""

    COMPLETE_SECONDS = 5.0

    def __init__(self, ami: AmiClient, caller: str, colleagues: Sequence[str], consult_seconds: float = 1.0):
        self.ami = ami
        self.caller = caller
        self.colleagues = tuple(colleagues)
        self._next_colleague = itertools.cycle(self.colleagues)
        self.consult_seconds = consult_seconds
        self.call_of_agent: dict[str, str] = {}  # the agent's channel -> the call (Linkedid) it transfers
        self.started: set[str] = set()
        self.colleague_answered: set[str] = set()
        self.succeeded: set[str] = set()  # AttendedTransfer Result=Success
        # Why Asterisk refused a transfer: an AMI action's error, or AttendedTransfer's Result other than Success.
        self.refused: Counter[str] = Counter()
        self.not_completed: set[str] = set()  # keyed, but no AttendedTransfer in time: the agent hung up
        ami.on_event("AgentConnect", self._agent_answered)
        ami.on_event("DialEnd", self._dial_ended)
        ami.on_event("AttendedTransfer", self._transferred)

    async def _agent_answered(self, event: dict[str, str]) -> None:
        # Asterisk may show the number in another form (+31...): its last digits tell.
        if not event.get("CallerIDNum", "").endswith(self.caller[-9:]):
            return
        call_id, agent_channel = event["Linkedid"], event["DestChannel"]
        await asyncio.sleep(self.consult_seconds)
        self.call_of_agent[agent_channel] = call_id
        self.started.add(call_id)
        await self._send(warm_transfer.begin(self.ami, agent_channel, next(self._next_colleague)))

    async def _dial_ended(self, event: dict[str, str]) -> None:
        call_id = event.get("Linkedid", "")
        destination = event.get("DestChannel", "")
        if (call_id in self.started and event.get("DialStatus") == "ANSWER"
                and any(destination.startswith(f"PJSIP/{extension}-") for extension in self.colleagues)):
            self.colleague_answered.add(call_id)
            agent_channel = next(c for c, call in self.call_of_agent.items() if call == call_id)
            await asyncio.sleep(0.5)  # the agent says who is on the line
            await self._send(warm_transfer.complete(self.ami, agent_channel))
            await asyncio.sleep(self.COMPLETE_SECONDS)
            if call_id not in self.succeeded:
                self.not_completed.add(call_id)
                try:
                    await self.ami.action("Hangup", Channel=agent_channel)
                except AmiError:
                    pass  # the agent's leg had already ended

    def _transferred(self, event: dict[str, str]) -> None:
        call_id = self.call_of_agent.get(event.get("OrigTransfererChannel", ""))
        if call_id is None:
            return
        if event.get("Result") == "Success":
            self.succeeded.add(call_id)
        else:
            self.refused[f"AttendedTransfer Result={event.get('Result', '')[:40]}"] += 1

    async def _send(self, actions: Awaitable[None]) -> None:
        try:
            await actions
        except AmiError as error:
            self.refused[str(error)[:80]] += 1


def stored_transfers(store_path: Path, call_ids: set[str]) -> tuple[int, int]:
    """Of these calls, (how many the records end with the agent's part ending in a transfer, how many
    carry bereik's transfer steps)."""
    store = SqliteStore(store_path)
    try:
        journeys = [store.journey(call_id) for call_id in call_ids]
    finally:
        store.close()
    steps = [journey.steps for journey in journeys if journey]
    by_transfer = sum(1 for found in steps if any(
        step.what == "agent_completed" and step.detail.get("reason") == "transfer" for step in found))
    with_steps = sum(1 for found in steps if any(step.what == "transfer_started" for step in found))
    return by_transfer, with_steps


@dataclass
class Sample:
    rss_kib: int
    fds: int
    tasks: int


def sample(bereik: Bereik | subprocess.Popen) -> Sample:
    """Memory and open files of bereik and its decision process together; bereik's asyncio tasks."""
    processes = processes_of(bereik.pid)
    rss = sum(int(re.search(r"VmRSS:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text()).group(1))
              for pid in processes)
    fds = sum(len(os.listdir(f"/proc/{pid}/fd")) for pid in processes)
    return Sample(rss, fds, int(metric(metrics(), "bereik_asyncio_tasks")))


def stored_calls(store_path: Path) -> tuple[int, int, int]:
    """(calls recorded, of which ended, of which an agent answered) in the store, as any reader sees it."""
    store = SqliteStore(store_path)
    try:
        rows = list(store.calls(0, 2e10))
    finally:
        store.close()
    return len(rows), sum(1 for row in rows if row.ended_at is not None), sum(1 for row in rows if row.agent)


async def settle(pbx: Asterisk, store_path: Path, expected_calls: int, timeout: float = 60) -> tuple[int, ...]:
    """Wait until the callers are gone and the store has every call ended (or the timeout):
    (channels left in Asterisk, calls recorded, calls ended, answered by an agent)."""
    deadline = time.monotonic() + timeout
    while True:
        channels = pbx.active_channels()
        recorded, ended, answered = stored_calls(store_path)
        if (channels == 0 and ended >= expected_calls) or time.monotonic() > deadline:
            return channels, recorded, ended, answered
        await asyncio.sleep(1)


async def phase(name: str, flows: tuple[Flow, ...], rate: float, calls: int, sipp: Sipp, pbx: Asterisk,
                bereik: Bereik, store_path: Path, transfers: WarmTransfers, observer: Observer,
                sample_seconds: float = SAMPLE_SECONDS) -> dict:
    observer.reset()
    before_recorded, before_ended, before_answered = stored_calls(store_path)
    transfers_before = (set(transfers.started), set(transfers.succeeded), Counter(transfers.refused),
                        set(transfers.not_completed))
    started = time.monotonic()
    counts = [max(round(calls * flow.share), 1) for flow in flows]
    callers = [sipp.callers(flow.number, rate=rate * flow.share, calls=count, talk_seconds=flow.hold_seconds,
                            dtmf=flow.dtmf, from_user=flow.caller) for flow, count in zip(flows, counts)]
    placed = sum(counts)
    samples: list[Sample] = []
    deadline = started + max(count / (rate * flow.share) + flow.hold_seconds for flow, count in zip(flows, counts)) + 120
    while any(c.returncode is None for c in callers) and time.monotonic() < deadline:
        await asyncio.sleep(sample_seconds)
        expect_alive(bereik, name)
        samples.append(sample(bereik))  # under load: the growth compares like with like
    for caller in callers:
        caller.stop()
    failed = sum(int(c.stats.get("FailedCall(C)", 0)) for c in callers)
    succeeded = sum(int(c.stats.get("SuccessfulCall(C)", 0)) for c in callers)
    channels, recorded, ended, answered = await settle(pbx, store_path, before_ended + placed)
    expect_alive(bereik, name)
    after = sample(bereik)
    joins = Counter(reason for _, reason in observer.joined.values())
    transferred = transfers.succeeded - transfers_before[1]
    by_transfer, with_steps = stored_transfers(store_path, transferred)
    per_flow = [{"flow": flow.name, "placed": count, "completed": int(c.stats.get("SuccessfulCall(C)", 0)),
                 "failed": int(c.stats.get("FailedCall(C)", 0))} for flow, c, count in zip(flows, callers, counts)]
    for row, flow in zip(per_flow, flows):
        if flow.caller == transfers.caller:
            row.update(transfers_started=len(transfers.started - transfers_before[0]), transferred=len(transferred),
                       transfers_refused=transfers.refused - transfers_before[2],
                       transfers_not_completed=len(transfers.not_completed - transfers_before[3]),
                       recorded_by_transfer=by_transfer,
                       recorded_transfer_steps=with_steps)
    outcome = {"name": name, "rate": rate, "placed": placed, "succeeded": succeeded, "failed": failed,
               "flows": per_flow,
               "channels_left": channels, "recorded": recorded - before_recorded, "ended": ended - before_ended,
               "answered": answered - before_answered,
               "seconds": time.monotonic() - started, "after": after, "samples": samples, "joins": joins,
               "failed_open": sum(n for reason, n in joins.items() if reason.startswith(FAILED_OPEN)),
               "sample_seconds": sample_seconds}
    print(f"  {name:<28} {rate:6.3f} calls/s  placed {placed:>6}  failed {failed:>4}  "
          f"channels left {channels:>3}  recorded {outcome['recorded']:>6} (ended {outcome['ended']:>6}, "
          f"agent answered {outcome['answered']:>6})  "
          f"RSS {after.rss_kib / 1024:6.1f} MiB  fds {after.fds:>4}  tasks {after.tasks:>4}  "
          f"({outcome['seconds']:.0f} s)", flush=True)
    for row in per_flow:
        print("    " + flow_line(row), flush=True)
    print(f"    queue joins by BEREIK_REASON: {dict(joins.most_common()) or 'none'}", flush=True)
    if channels:
        pbx.hangup_all(timeout=15)  # counted above; the next phase starts clean
    expect_decided(outcome, by_bereik=flows is not BASELINE)
    return outcome


def expect_alive(bereik: Bereik, phase_name: str) -> None:
    try:
        bereik.check()
    except BenchError as error:
        raise BenchError(f"during the phase '{phase_name}' (its calls failed open): {error}") from None


def expect_decided(outcome: dict, by_bereik: bool) -> None:
    """The baseline's joins carry no BEREIK_REASON (bereik is not asked); of a phase of the mix at least one
    join carries one bereik gave, else bereik did not decide the phase and its figures would be the dialplan's
    fail-open. Joins that failed open are counted (outcome["failed_open"]) as failed calls."""
    joins = outcome["joins"]
    decided = sum(n for reason, n in joins.items() if reason != NO_REASON and not reason.startswith(FAILED_OPEN))
    if not by_bereik and set(joins) - {NO_REASON}:
        raise BenchError(f"the baseline '{outcome['name']}' joined with {dict(joins)}: it is not the pure dialplan")
    if by_bereik and not decided:
        raise BenchError(f"phase '{outcome['name']}': queue joins {dict(joins) or 'none'}, none decided by bereik; "
                         "the phase did not run as it should")


def growth(samples: list[Sample]) -> dict[str, float]:
    """Mean of the last third of the samples minus the mean of the first third."""
    third = max(len(samples) // 3, 1)
    first, last = samples[:third], samples[-third:]
    return {field: statistics.mean(getattr(s, field) for s in last) - statistics.mean(getattr(s, field) for s in first)
            for field in ("rss_kib", "fds", "tasks")}


def refused_line(refused: Counter[str]) -> str:
    """How many transfers Asterisk refused, and why (its words, most frequent first)."""
    total = sum(refused.values())
    return f"{total} ({'; '.join(f'{why}: {n}' for why, n in refused.most_common())})" if total else "0"


def flow_line(row: dict) -> str:
    line = f"{row['flow']:<40} placed {row['placed']:>6}  completed {row['completed']:>6}  failed {row['failed']:>4}"
    if "transferred" in row:
        line += (f"  transfers: started {row['transfers_started']}, succeeded {row['transferred']}, "
                 f"refused {refused_line(row['transfers_refused'])}, "
                 f"not completed within {WarmTransfers.COMPLETE_SECONDS:g} s "
                 f"of the key {row['transfers_not_completed']}; recorded as ended by a transfer {row['recorded_by_transfer']}, "
                 f"with bereik's transfer steps {row['recorded_transfer_steps']}")
    return line


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench soak", description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=SOAK_CALLS, help="calls in the soak phase (default %(default)s)")
    parser.add_argument("--peak-seconds", type=int, default=PEAK_SECONDS,
                        help="length of each of the two peak phases (default %(default)s)")
    parser.add_argument("--smoke", action="store_true",
                        help="3 baseline calls and one or two of each flow of the mix, no peak phases, every check "
                             "(the suite's)")
    arguments = parser.parse_args(argv)
    try:
        if arguments.smoke:
            return await soak(5, 0, baseline_calls=3, sample_seconds=1.0, peaks=False)
        return await soak(arguments.calls, arguments.peak_seconds)
    except BenchError as error:
        print(f"\nERROR: {error}", file=sys.stderr)
        return 1


async def soak(soak_calls: int, peak_seconds: int, baseline_calls: int | None = None,
               sample_seconds: float = SAMPLE_SECONDS, peaks: bool = True) -> int:
    baseline_calls = max(soak_calls // 10, 200) if baseline_calls is None else baseline_calls
    root = build_root()
    work = Path(tempfile.mkdtemp(prefix="bereik-soak-"))
    secrets_file, secrets = secrets_for_bereik(work)
    config_path = soak_config(work, root)
    conf_dir = asterisk_config(config_path, secrets, work / "asterisk", process_agi=False)
    with open(conf_dir / "manager.conf", "a") as manager:  # hears only what WarmTransfers acts on
        manager.write(observer_section(*AGENT_HANDS, events=("AgentConnect", "DialEnd", "AttendedTransfer")))
        manager.write(cues.ami_user(*KEY_CUES))  # the callers' keys, each when Asterisk listens for it
    pbx = Asterisk(conf_dir, AmiLogin(5038, *OBSERVER), root=root, log_path=work / "asterisk.log")
    print(f"work files in {work} (kept if the run fails)", flush=True)
    pbx.start()
    (root / "var/log/asterisk/cel-custom").mkdir(parents=True, exist_ok=True)  # Asterisk's start empties its logs
    sipp = Sipp(workdir=work / "sipp")
    bereik = Bereik(config_path, secrets_file, pbx.sounds_dir, work / "bereik.log")
    ami = AmiClient("127.0.0.1", 5038, *AGENT_HANDS)
    watcher = AmiClient("127.0.0.1", 5038, *OBSERVER, action_timeout=10)
    key_cues = None
    try:
        key_cues = await asyncio.to_thread(cues.KeyCues, AmiLogin(5038, *KEY_CUES))
        await bereik.start()
        for n in range(4 + EXTRA_AGENTS):
            extension = str(201 + n)
            # Answered at once: the soak measures what connected calls leave behind, not ringing.
            sipp.phone(agent_address(extension), ring_seconds=0, calls=10 * (soak_calls + baseline_calls))
        for address in COLLEAGUES.values():
            sipp.phone(address, ring_seconds=0, calls=10 * soak_calls)
        await ami.connect()
        observer = Observer(watcher)
        await watcher.connect()
        transfers = WarmTransfers(ami, TRANSFER_FLOW.caller, list(COLLEAGUES))
        store = work / "calls.sqlite3"
        phases = [("baseline (pure dialplan)", BASELINE, SOAK_RATE, baseline_calls),
                  ("peak", MIX, PEAK_RATE, max(round(PEAK_RATE * peak_seconds), 1)),
                  ("10x peak", MIX, 10 * PEAK_RATE, round(10 * PEAK_RATE * peak_seconds)),
                  ("soak", MIX, SOAK_RATE, soak_calls)]
        results = [await phase(name, flows, rate, calls, sipp, pbx, bereik, store, transfers, observer, sample_seconds)
                   for name, flows, rate, calls in (phases if peaks else phases[::3])]
        report(results)
    finally:
        if key_cues:
            key_cues.close()
        watcher.close()
        ami.close()
        sipp.stop_all()
        try:
            bereik.stop()
        finally:
            pbx.stop()
    shutil.rmtree(work, ignore_errors=True)  # a run that ended well leaves nothing; a failed one keeps its logs
    return 0


def report(results: list[dict]) -> None:
    print(f"\nexpected peak {PEAK_RATE:.3f} calls/s ({CONTACTS_PER_YEAR:,} contacts a year, see the module); "
          f"10x {10 * PEAK_RATE:.2f} calls/s; soak and baseline {SOAK_RATE:g} calls/s")
    print("phase (bereik after it)       placed  failed  failed open  leaked channels  lost records  agent answered"
          "  RSS MiB  fds  tasks")
    for r in results:
        lost = r["placed"] - r["ended"]
        print(f"{r['name']:<28} {r['placed']:>7} {r['failed']:>7} {r['failed_open']:>12} {r['channels_left']:>16} "
              f"{lost:>13} {r['answered']:>15} {r['after'].rss_kib / 1024:8.1f} {r['after'].fds:>4} {r['after'].tasks:>6}")
    for r in (results[-1], results[0]):
        change = growth(r["samples"])
        print(f"{r['name']}: growth under load, last third minus first third of {len(r['samples'])} samples "
              f"every {r['sample_seconds']:g} s: RSS {change['rss_kib'] / 1024:+.1f} MiB, fds {change['fds']:+.1f}, "
              f"tasks {change['tasks']:+.1f}")
    print("per flow:")
    for r in results:
        for row in r["flows"]:
            print(f"{r['name']:<28} {flow_line(row)}")
    print(f"(measured {dt.datetime.now():%Y-%m-%d %H:%M}, {os.cpu_count()} cores; "
          f"mix: {', '.join(f'{f.share:.0%} {f.name}' for f in MIX)})")


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
