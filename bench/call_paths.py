"""What does bereik's FastAGI decision cost a caller, and up to what rate does it hold? Four paths, one run.

(a) pure dialplan: Answer, Queue, with bereik not running              -- the floor
(b) bereik's FastAGI path, `bereik run` as deployed (everything on)     -- what we ship
(c) the same decision as a process-per-call AGI script (pyst2), bereik's routing core in it
(d) a lean process-per-call AGI script (pyst2) that only sets the variables -- the floor of that design
(c) and (d) dial general numbers of the bench's YAML: their entries are bereik's generated ones, the
hand-over running the script instead of asking bereik.

SIPp places calls (held HOLD_SECONDS) through the real Asterisk sandbox at rising rates. Each step
offers one rate for `seconds`; the first WARM_UP_SECONDS are left out (steady state). The paths are
interleaved a c d b b d c a at every rate, so a drift in the machine's load falls on all of them
alike, and bereik runs only during its own steps. Per path and rate:
- achieved rate: calls answered per second in the steady window (Asterisk's AMI timestamps);
- failed share: SIPp's failed calls, answered calls that never joined the queue, and calls that
  joined after failing open (BEREIK_REASON failopen-* or watchdog: bereik did not decide them);
- answer to queue join, p50 / p99, from Asterisk's AMI timestamps;
- the reasons of the queue joins (BEREIK_REASON, counted);
- CPU per process, in % of one core: Asterisk, the AGI scripts it started, bereik and its decision process, SIPp,
  this bench.
A path is saturated at the first rate where it answers less than 95% of the offered rate, fails
1% or more, or its p99 answer-to-queue passes P99_LIMIT_MS; its saturation rate is the highest rate
before that. The bench stops with an error, printing no ratio, when what it measures did not run:
bereik not alive through its steps, fewer FastAGI sessions than calls, a path that failed open or
joined with another reason than its own at its first rate.

Run: `python -m bench call_paths` (about 20 minutes: some 13-15 s a step, each path twice per rate until it
saturates; a saturated step may run to its limit of seconds + hold + 60 s, up to about 30 minutes in all);
`--paths ab --rates 100,150,200,225,250,275,300` for b/a at saturation and the overhead at half of a's
(about 8 minutes, at most 12); `--smoke` (the suite's): one call through each path and every check, no figures.
The closing note gives b/a at saturation and b's overhead at half of a's saturation rate.
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import asterisk as pyst2
import ldap3
import num2words
import pyasn1
import six

from bench._running import (
    PRETEND, REPO, Bereik, BenchError, cpu_seconds, decision_process_of, percentile, secrets_for_bereik, write_config,
)
from bereik.config import load_config
from bereik.pbx import dialplan
from bereik.pbx import variables as var
from bereik.pbx.ami import AmiClient
from bereik.pbx.decision import settings
from bereik.routing.flow import CallFlow
from bereik.sandbox import AmiLogin, Asterisk, build_root, observer_section
from bereik.sandbox.hours import always_open
from bereik.sandbox.sipp import Sipp
from bereik.secrets import Secrets

OBSERVER = ("observer", "observer-secret-for-bench-only")
HOLD_SECONDS = 3.0
WARM_UP_SECONDS = 3.0
SECONDS_PER_STEP = 10.0
RATES = (5, 10, 20, 40, 60, 80, 100, 125, 150, 175, 200, 225, 250, 275, 300, 350, 400)
ACHIEVED_SHARE, FAILURE_LIMIT, P99_LIMIT_MS = 0.95, 0.01, 1000.0
OVERHEAD_SECONDS = 20.0  # at half saturation: enough calls for a p99 that means something
NO_REASON = "(none)"
FAILED_OPEN = ("failopen-", "watchdog")
SESSION_BOUNDS = (0.005, 0.025, 0.1)  # seconds; bounds of bereik's session histogram (wallboard.metrics.AGI_BUCKETS)
AGI_DIR = "/opt/bereik-bench"


@dataclass(frozen=True)
class CallPath:
    label: str
    number: str
    reason: str  # what BEREIK_REASON every queue join of this path carries
    bereik: bool = False  # `bereik run` is running during this path's steps


PATHS = {
    "a": CallPath("pure dialplan, no bereik", "14901", NO_REASON),
    "b": CallPath("bereik FastAGI", "14023", "no_menu", bereik=True),
    "c": CallPath("process AGI, routing", "14902", "no_menu"),
    "d": CallPath("process AGI, lean", "14903", "no_menu"),
}
ORDER = "acdbbdca"  # a b b a, with c and d inside: bereik starts once per rate


def bench_config(directory: Path, outgoing: Path | None = None) -> Path:
    """The example without the municipality choice, the menu and the welcome: the decision alone. The numbers
    of (c) and (d) are general numbers, so that bereik generates their entries as it does every entry."""
    def decision_alone(document):
        for key in ("shared_number", "menu"):
            document.pop(key)
        document["texts"].pop("welcome")
        document["general_numbers"] = [*document.get("general_numbers", []), PATHS["c"].number, PATHS["d"].number]
        # The process-AGI script (c) needs seconds on a loaded machine; the watchdog must not take its calls.
        document["pbx"]["watchdog_seconds"] = 30
    return write_config(directory, decision_alone, outgoing=outgoing)


def asterisk_config(config_path: Path, secrets: Secrets, directory: Path, process_agi: bool = True) -> Path:
    """bereik's generated configuration with the observer's AMI user and (a)'s two lines. (c) and (d) are
    bereik's own generated entries of their numbers with one change: the hand-over runs the path's script
    instead of asking bereik (`process_agi`: the config has those numbers, see bench_config)."""
    config = load_config(config_path)
    # Asterisk runs on the machine's clock, bereik on PRETEND: the dialplan's fail-open must find it open too.
    files = dialplan.generate(always_open(config), secrets, source=str(config_path))
    extensions = files["extensions.conf"]
    if process_agi:
        for path, script in (("c", "routing.py"), ("d", "lean.py")):
            extensions = through_script(extensions, config, PATHS[path].number, script)
    pure_lines = [f"exten => {PATHS['a'].number},1,Answer()", f" same => n,Queue({config.front_office},rt)",
                  " same => n,Hangup()"]
    files["extensions.conf"] = extensions.replace(
        f"[{dialplan.INBOUND_CONTEXT}]\n", f"[{dialplan.INBOUND_CONTEXT}]\n" + "\n".join(pure_lines) + "\n", 1)
    # The observer hears only what it measures, so that it loads neither Asterisk nor this process.
    files["manager.conf"] += observer_section(*OBSERVER, events=("Newstate", "QueueCallerJoin"))
    dialplan.write(files, directory)
    return directory


def through_script(extensions: str, config, number: str, script: str) -> str:
    """extensions.conf with the entry of `number` handing the call to the process-AGI `script` instead of bereik."""
    hand_over = f"AGI(agi://{config.pbx.agi}/entry)"
    lines = extensions.splitlines()
    # In bereik-entry: the trunk's own context (bereik-inbound) only goes there.
    header = f"[{dialplan.ENTRY_CONTEXT}]"
    entry = lines.index(header) if header in lines else -1
    first = next((i for i, line in enumerate(lines) if i > entry and line.startswith(f"exten => {number},1,")), None)
    if first is None:
        raise BenchError(f"bereik's dialplan has no entry for {number}")
    end = next((i for i in range(first + 1, len(lines)) if not lines[i].startswith(" same")), len(lines))
    own = [i for i in range(first, end) if hand_over in lines[i]]
    if len(own) != 1:
        raise BenchError(f"bereik's entry for {number} hands over {len(own)} times to {hand_over}, not once: "
                         "the process-AGI paths would not measure one decision")
    lines[own[0]] = lines[own[0]].replace(hand_over, f"AGI({AGI_DIR}/{script})")
    return "\n".join(lines) + "\n"


def install_process_agi(root: Path, config_path: Path) -> None:
    """Both scripts and what they import, copied into the chroot (it has its own Python), then run once
    there with --check: a script that cannot import would fail every call open and measure nothing."""
    target = root / AGI_DIR.lstrip("/")
    shutil.rmtree(target, ignore_errors=True)
    lib = target / "lib"
    shutil.copytree(REPO / "bereik", lib / "bereik", ignore=shutil.ignore_patterns("__pycache__"))
    # What bereik's configuration and routing core import that the chroot's Python lacks (pure Python all;
    # ldap3 because bereik check's rules import the directory's settings).
    for package in (pyst2, num2words, six, ldap3, pyasn1):
        source = Path(package.__file__)
        if source.name == "__init__.py":
            shutil.copytree(source.parent, lib / package.__name__, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, lib / source.name)
    shutil.copy(config_path, target / "municipality.yaml")
    config = load_config(config_path)
    decision = CallFlow(config, dt.datetime.fromisoformat(PRETEND).replace(tzinfo=config.zone)).start()
    assignments = ",".join(f"{k}={v}" for k, v in {**settings(config, decision), var.ROUTED: "1"}.items())
    checks = {}
    for script in ("routing.py", "lean.py"):
        text = (REPO / "bench" / "agi" / script).read_text().replace("@ASSIGNMENTS@", assignments)
        (target / script).write_text(text)
        (target / script).chmod(0o755)
        checks[script] = subprocess.Popen(["chroot", str(root), f"{AGI_DIR}/{script}", "--check"],
                                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for script, check in checks.items():
        out, err = check.communicate(timeout=60)
        if check.returncode != 0 or out.strip() != assignments:
            raise BenchError(f"the process AGI script {script} does not run in the chroot:\n{err[-2000:] or out[-500:]}")


class Observer:
    """Answer and queue-join moments per call, and each join's BEREIK_REASON, from Asterisk's AMI."""

    def __init__(self, client: AmiClient):
        self.answered: dict[str, float] = {}
        self.joined: dict[str, tuple[float, str]] = {}
        client.on_event("Newstate", self._newstate)
        client.on_event("QueueCallerJoin", self._joined)

    def _newstate(self, event):
        # A caller's own channel; the Local companion bereik starts to whisper to a waiting caller has a
        # Linkedid of its own and never joins (counted, it doubled b's achieved rate and failed every call).
        if (event.get("ChannelStateDesc") == "Up" and event.get("Uniqueid") == event.get("Linkedid")
                and event.get("Channel", "").startswith("PJSIP/")):
            self.answered.setdefault(event["Uniqueid"], float(event["Timestamp"]))

    def _joined(self, event):
        reason = event.get(f"ChanVariable({var.REASON})") or NO_REASON
        self.joined.setdefault(event["Uniqueid"], (float(event["Timestamp"]), reason))

    def reset(self):
        self.answered.clear()
        self.joined.clear()


@dataclass
class Step:
    path: str
    rate: float
    calls: int
    seconds: float
    achieved: float = 0.0
    failed: int = 0
    latencies: list[float] = field(default_factory=list)
    reasons: Counter = field(default_factory=Counter)
    cpu: dict[str, float] = field(default_factory=dict)  # % of one core over the step
    retransmissions: int = 0
    ami_tasks: int = 0  # tasks of Asterisk's AMI thread (stasis/m:manager:core) during the step
    answered: int = 0
    sessions: int = 0  # bereik's FastAGI sessions in the step
    sessions_longer: Counter = field(default_factory=Counter)  # of those, how many took longer than each bound (s)
    ami_events: Counter = field(default_factory=Counter)  # AMI events bereik read in the step, by name

    def session_tail(self) -> str:
        """Where a slow call's time went: in the FastAGI conversation (bereik's histogram, from Asterisk's connection
        to bereik's last word), or in Asterisk before or after it."""
        if not self.sessions:
            return ""
        shares = "/".join(f"{self.sessions_longer[bound] / self.sessions:.1%}" for bound in SESSION_BOUNDS)
        return f"bereik's sessions over {'/'.join(f'{1000 * b:g}' for b in SESSION_BOUNDS)} ms: {shares}"

    @property
    def ami_tasks_per_call(self) -> float:
        return self.ami_tasks / self.answered if self.answered else 0.0

    def bereik_events(self) -> str:
        """The AMI events bereik read a call, by name: each is work for Asterisk and for bereik."""
        if not self.answered:
            return ""
        each = ", ".join(f"{name} {n / self.answered:.1f}" for name, n in self.ami_events.most_common())
        return f"bereik read {self.ami_events.total() / self.answered:.1f} AMI events/call ({each})"

    @property
    def failed_open(self) -> int:
        return sum(n for reason, n in self.reasons.items() if reason.startswith(FAILED_OPEN))

    @property
    def failure_share(self) -> float:
        return self.failed / self.calls

    def line(self) -> str:
        reasons = ", ".join(f"{reason} {n}" for reason, n in self.reasons.most_common())
        cpu = " ".join(f"{name} {share:.0f}%" for name, share in self.cpu.items())
        return (f"({self.path}) {PATHS[self.path].label:<25} {self.rate:>5g}/s: achieved {self.achieved:6.1f}/s, "
                f"failed {self.failure_share:6.1%}, answer->queue p50 {percentile(self.latencies, 0.5):6.1f} "
                f"p99 {percentile(self.latencies, 0.99):7.1f} ms, retrans {self.retransmissions}, "
                f"AMI tasks/call {self.ami_tasks_per_call:5.1f}; "
                f"joins: {reasons or 'none'}; CPU {cpu}" + (f"; {self.session_tail()}" if self.sessions else "")
                + (f"; {self.bereik_events()}" if self.ami_events else ""))


def ami_thread_tasks(pbx: Asterisk) -> int:
    """The tasks given to Asterisk's AMI thread since boot (run and still queued): every channel change
    (dialplan step, variable set, state) is one, also when no event is sent for it; over its high-water mark
    PJSIP takes no new calls."""
    return sum(int(line.split()[1]) + int(line.split()[2]) for line in pbx.cli("core show taskprocessors").splitlines()
               if line.startswith("stasis/m:manager:core"))


def pooled(steps: list[Step]) -> Step:
    """The samples of one path at one rate as one step."""
    first = steps[0]
    total = Step(first.path, first.rate, sum(s.calls for s in steps), first.seconds,
                 achieved=sum(s.achieved for s in steps) / len(steps), failed=sum(s.failed for s in steps),
                 retransmissions=sum(s.retransmissions for s in steps), ami_tasks=sum(s.ami_tasks for s in steps),
                 answered=sum(s.answered for s in steps), sessions=sum(s.sessions for s in steps))
    for step in steps:
        total.latencies += step.latencies
        total.reasons += step.reasons
        total.sessions_longer += step.sessions_longer
        total.ami_events += step.ami_events
    total.cpu = {name: sum(s.cpu.get(name, 0) for s in steps) / len(steps) for name in first.cpu}
    return total


def saturated(step: Step) -> bool:
    return (step.achieved < ACHIEVED_SHARE * step.rate or step.failure_share >= FAILURE_LIMIT
            or percentile(step.latencies, 0.99) > P99_LIMIT_MS)


class Bench:
    def __init__(self, pbx: Asterisk, sipp: Sipp, observer: Observer, bereik: Bereik, hold: float,
                 until_joined: bool = False):
        """`until_joined`: end a step once every call has joined the queue instead of after the hold
        (the smoke: its failures then count only calls that never joined or failed open)."""
        self.pbx, self.sipp, self.observer, self.bereik, self.hold = pbx, sipp, observer, bereik, hold
        self.until_joined = until_joined

    async def step(self, path: str, rate: float, seconds: float, bereik_stopped: bool = False) -> Step:
        """`bereik_stopped`: path (b) while bereik is not running (the smoke's check of the checks)."""
        calls = max(round(rate * seconds), 1)
        step = Step(path, rate, calls, seconds)
        self.observer.reset()
        watched = {"Asterisk": lambda: cpu_seconds(self.pbx.pid), "AGI scripts": lambda: cpu_seconds(self.pbx.pid, True),
                   "SIPp": lambda: cpu_seconds("self", True), "bench": lambda: cpu_seconds("self")}
        with_bereik = PATHS[path].bereik and not bereik_stopped
        if with_bereik:
            self.bereik.check()
            watched["bereik"] = lambda: cpu_seconds(self.bereik.pid)
            if decider := decision_process_of(self.bereik.pid):
                watched["bereik decisions"] = lambda: cpu_seconds(decider)
            sessions_before = await asyncio.to_thread(self.bereik.fastagi_sessions)
            events_before = await asyncio.to_thread(self.bereik.ami_events)
        tasks_before = await asyncio.to_thread(ami_thread_tasks, self.pbx)
        before, began = {name: read() for name, read in watched.items()}, time.monotonic()
        load = self.sipp.load(PATHS[path].number, rate=rate, calls=calls, hold_seconds=self.hold)
        deadline = began + seconds + self.hold + 60
        while load.returncode is None and time.monotonic() < deadline:
            if self.until_joined and len(self.observer.joined) >= calls:
                break
            await asyncio.sleep(0.2)
        load.stop()  # reaped: its CPU time is this process's children's now
        elapsed = time.monotonic() - began
        if len(self.observer.joined) < calls:
            await asyncio.sleep(0.5)  # the last events
        step.cpu = {name: 100 * (read() - before[name]) / elapsed for name, read in watched.items()}
        stats = load.stats
        step.answered = len(self.observer.answered)
        step.retransmissions = int(stats.get("Retransmissions(C)", 0))
        answered, joined = dict(self.observer.answered), dict(self.observer.joined)
        step.reasons = Counter(reason for _, reason in joined.values())
        if answered:
            warm_up = 0 if self.until_joined else min(WARM_UP_SECONDS, seconds / 3)
            start = min(answered.values()) + warm_up
            end = min(answered.values()) + seconds
            steady = [call for call, at in answered.items() if start <= at < end]
            moments = sorted(answered[call] for call in steady)
            # n answers span n - 1 gaps: counting them in the window instead would be one call off either way
            step.achieved = (len(moments) - 1) / (moments[-1] - moments[0]) if len(moments) > 2 else 0.0
            step.latencies = [(joined[c][0] - answered[c]) * 1000 for c in steady if c in joined]
        never_joined = sum(1 for call in answered if call not in joined)
        sipp_failed = 0 if self.until_joined else calls - int(stats.get("SuccessfulCall(C)", 0))
        step.failed = min(calls, sipp_failed + never_joined + step.failed_open)
        if with_bereik:
            self.bereik.check()
            decided = step.reasons[PATHS[path].reason]
            sessions_after = await asyncio.to_thread(self.bereik.fastagi_sessions, sessions_before["all"] + decided)
            sessions = step.sessions = sessions_after["all"] - sessions_before["all"]
            for bound in SESSION_BOUNDS:
                within = sessions_after[f"{bound:g}"] - sessions_before[f"{bound:g}"]
                step.sessions_longer[bound] = sessions - within
            if sessions < decided:
                raise BenchError(f"{decided} calls joined with bereik's reason but bereik served {sessions} "
                                 "FastAGI sessions: something else decided them")
        await asyncio.to_thread(self.pbx.hangup_all, 15)
        step.ami_tasks = await asyncio.to_thread(ami_thread_tasks, self.pbx) - tasks_before  # hang-ups too
        if with_bereik:
            step.ami_events = await asyncio.to_thread(  # hang-ups too
                self.bereik.ami_events, events_before["Hangup"] + step.answered) - events_before
        return step


async def run(rates: tuple[float, ...], seconds: float, overhead_seconds: float, paths: str = "abcd",
              order: str = ORDER, hold: float = HOLD_SECONDS, smoke: bool = False,
              asterisk_cores: frozenset[int] | None = None) -> dict:
    """`asterisk_cores`: Asterisk on these cores alone, bereik, SIPp and this bench on the others (as with bereik
    on a host of its own)."""
    order = [p for p in order if p in paths]
    if asterisk_cores:
        os.sched_setaffinity(0, set(range(os.cpu_count())) - asterisk_cores)  # inherited by all it starts
    root = build_root()
    work = Path(tempfile.mkdtemp(prefix="bereik-call-paths-"))
    secrets_file, secrets = secrets_for_bereik(work)
    config_path = bench_config(work, root / "var/spool/asterisk/outgoing")
    conf_dir = asterisk_config(config_path, secrets, work / "asterisk")
    pbx = Asterisk(conf_dir, AmiLogin(5038, *OBSERVER), root=root, log_path=work / "asterisk.log",
                   observed=False)  # as deployed: its observer reads only Newstate and QueueCallerJoin
    pbx.start()
    if asterisk_cores:
        pin_threads(pbx.pid, asterisk_cores)
    bereik = Bereik(config_path, secrets_file, pbx.sounds_dir, work / "bereik.log")
    client = AmiClient("127.0.0.1", 5038, *OBSERVER, action_timeout=10)
    sipp = Sipp(workdir=work / "sipp")
    try:
        if smoke and order[0] == "b":
            bereik.launch()  # no figures: bereik may start while the scripts are installed
        install_process_agi(root, config_path)
        for extension in ("201", "202", "203", "204"):
            pbx.cli(f"queue pause member PJSIP/{extension} queue tic reason bench")  # nobody rings: joins only
        observer = Observer(client)
        await client.connect()
        bench = Bench(pbx, sipp, observer, bereik, hold, until_joined=smoke)
        load_at_start = os.getloadavg()
        results: dict[str, list[Step]] = {path: [] for path in order}
        live = set(order)
        print(f"load average at the start {load_at_start[0]:.2f} {load_at_start[1]:.2f} {load_at_start[2]:.2f} "
              f"on {os.cpu_count()} cores; work files in {work} (kept if the run fails)", flush=True)
        if asterisk_cores:
            print(f"Asterisk on cores {sorted(asterisk_cores)} alone, bereik, SIPp and the bench on "
                  f"{sorted(os.sched_getaffinity(0))}", flush=True)
        for rate in rates:
            if not live:
                break
            samples = await interleaved(bench, [p for p in order if p in live], rate, seconds)
            for path, steps in samples.items():
                verdict = pooled(steps)
                results[path].append(verdict)
                first_rate = len(results[path]) == 1
                if first_rate:
                    expect_own_reasons(verdict)
                if saturated(verdict):
                    live.discard(path)
        if smoke and "b" in order:
            await refuses_a_missing_bereik(bench, rates[0], seconds)
        saturation = {path: saturation_rate(steps) for path, steps in results.items()}
        overhead = None
        if overhead_seconds and "a" in order and "b" in order and saturation["a"]:
            half = round(saturation["a"] / 2)
            print(f"\nat half of (a)'s saturation rate, {half} calls/s, {overhead_seconds:g} s a step:", flush=True)
            overhead = {path: pooled(steps)
                        for path, steps in (await interleaved(bench, ["a", "b", "b", "a"], half, overhead_seconds)).items()}
            for step in overhead.values():
                expect_own_reasons(step)
        outcome = {"results": results, "saturation": saturation, "overhead": overhead, "rates": rates,
                   "load": (load_at_start, os.getloadavg()), "seconds": seconds, "hold": hold, "smoke": smoke}
    finally:
        client.close()
        sipp.stop_all()
        try:
            bereik.stop()
        finally:
            pbx.stop()
    shutil.rmtree(work, ignore_errors=True)  # a run that ended well leaves nothing; a failed one keeps its logs
    return outcome


def pin_threads(pid: int, cores: frozenset[int]) -> None:
    """Every thread of `pid` onto `cores`; the threads they start later inherit it."""
    for task in Path(f"/proc/{pid}/task").iterdir():
        os.sched_setaffinity(int(task.name), cores)


async def interleaved(bench: Bench, order: list[str], rate: float, seconds: float) -> dict[str, list[Step]]:
    """Each path of `order` in turn, bereik running only from its path's first step to its last."""
    samples: dict[str, list[Step]] = {}
    with_bereik = [i for i, path in enumerate(order) if PATHS[path].bereik]
    for i, path in enumerate(order):
        if with_bereik and i == with_bereik[0]:
            await bench.bereik.start()
        step = await bench.step(path, rate, seconds)
        print("  " + step.line(), flush=True)
        samples.setdefault(path, []).append(step)
        if with_bereik and i == with_bereik[-1]:
            bench.bereik.stop()
    return samples


async def refuses_a_missing_bereik(bench: Bench, rate: float, seconds: float) -> None:
    """The smoke checks the bench's own check against the real dialplan: path (b) with bereik stopped fails
    open (as the committed bench's bereik, which never started, did), and the bench refuses it."""
    step = await bench.step("b", rate, seconds, bereik_stopped=True)
    try:
        expect_own_reasons(step)
    except BenchError:
        print(f"  (b) with bereik stopped: joins {dict(step.reasons) or 'none'}: refused, as it should be", flush=True)
        return
    raise BenchError(f"(b) with bereik stopped joined {dict(step.reasons)} and was not refused: "
                     "the bench cannot see a bereik that is not there")


def expect_own_reasons(step: Step) -> None:
    """At a path's lowest rate its queue joins carry the path's own reason. None of them doing so (every
    call failed open: a crashing script, a bereik not answering), or another reason than failing open,
    means the path did not run as measured and every figure of it would be false. Some calls failing
    open (a decision slower than the watchdog) is a measurement: they count as failed."""
    own = PATHS[step.path].reason
    foreign = {reason: n for reason, n in step.reasons.items() if reason != own and not reason.startswith(FAILED_OPEN)}
    if foreign or not step.reasons[own]:
        raise BenchError(f"({step.path}) {PATHS[step.path].label} at {step.rate:g} calls/s: queue joins "
                         f"{dict(step.reasons) or 'none'}, expected {own!r}; the path did not run as it should")


def saturation_rate(steps: list[Step]) -> float | None:
    """The highest rate below the first saturated step (None: saturated at once)."""
    passing = None
    for step in steps:
        if saturated(step):
            break
        passing = step.rate
    return passing


def ratio_at_saturation(a: float | None, b: float | None, rates: tuple[float, ...], names: str = "ab") -> str:
    """b/a as text, `names` the paths of a and b; a path that still held at the highest rate tried has no
    saturation rate, only a bound."""
    if a is None or b is None:
        return (f"not given: ({names[0] if a is None else names[1]}) saturated at the first rate tried, "
                f"{rates[0]:g} calls/s; try lower rates")
    top = rates[-1]
    if a == top and b == top:
        return f"not given: both held at the highest rate tried, {top:g} calls/s; try higher rates"
    return f"{'<= ' if a == top else '>= ' if b == top else ''}{b / a:.2f}"


def report(outcome: dict) -> None:
    results, saturation, rates = outcome["results"], outcome["saturation"], outcome["rates"]
    if outcome["smoke"]:
        print("\nsmoke: every path ran and each of its queue joins carried its own reason; "
              "too few calls for figures (none are given)")
        return
    print(f"\nper path and rate (interleaved samples of {outcome['seconds']:g} s pooled; saturated: achieved "
          f"< {ACHIEVED_SHARE:.0%} of offered, failed >= {FAILURE_LIMIT:.0%} or p99 > {P99_LIMIT_MS:g} ms)")
    for path, steps in results.items():
        for step in steps:
            print(f"  {'SATURATED ' if saturated(step) else '          '}" + step.line())
    print("\npath                             saturation rate (the highest rate it held)")
    for path, steps in results.items():
        top = saturation[path]
        text = "none (saturated at the first rate)" if top is None else f"{top:g} calls/s"
        if top is not None and top == rates[-1]:
            text = f">= {text} (the highest tried)"
        print(f"({path}) {PATHS[path].label:<28} {text}")
    if "a" in saturation and "b" in saturation:
        print(f"\nb/a at saturation: {ratio_at_saturation(saturation['a'], saturation['b'], rates)}  (target >= 0.90)")
    for other in "cd":
        if "b" in saturation and other in saturation:
            print(f"b/{other} at saturation: {ratio_at_saturation(saturation[other], saturation['b'], rates, other + 'b')}")
    overhead = outcome["overhead"]
    if overhead:
        pa, pb = overhead["a"], overhead["b"]
        d50 = percentile(pb.latencies, 0.5) - percentile(pa.latencies, 0.5)
        d99 = percentile(pb.latencies, 0.99) - percentile(pa.latencies, 0.99)
        print(f"b's overhead over a at {pa.rate:g} calls/s (half of a's saturation), {pb.calls} calls each: "
              f"p50 {d50:+.1f} ms, p99 {d99:+.1f} ms  (target p99 < 5 ms); bereik CPU {pb.cpu.get('bereik', 0):.0f}% "
              + (f"+ {pb.cpu['bereik decisions']:.0f}% (decisions) " if 'bereik decisions' in pb.cpu else "")
              + f"of a core, failed a {pa.failure_share:.1%} b {pb.failure_share:.1%}; {pb.session_tail()}")
    start, end = outcome["load"]
    print(f"\n(measured {dt.datetime.now():%Y-%m-%d %H:%M}, {os.cpu_count()} cores, load average "
          f"{start[0]:.2f} at the start and {end[0]:.2f} at the end; calls held {outcome['hold']:g} s, steady window "
          f"from {WARM_UP_SECONDS:g} s)")


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench call_paths", description=__doc__.splitlines()[0])
    parser.add_argument("--rates", type=lambda text: tuple(float(r) for r in text.split(",")), default=RATES,
                        help="offered rates in calls/s, comma-separated (default: %(default)s)")
    parser.add_argument("--seconds", type=float, default=SECONDS_PER_STEP, help="seconds of calls per step")
    parser.add_argument("--overhead-seconds", type=float, default=OVERHEAD_SECONDS)
    parser.add_argument("--paths", default="abcd", help="which paths (default abcd)")
    parser.add_argument("--asterisk-cores", type=lambda text: frozenset(int(c) for c in text.split(",")),
                        help="cores for Asterisk alone, e.g. 0; bereik, SIPp and the bench get the others, "
                             "as if bereik ran on a host of its own (default: all share all cores)")
    parser.add_argument("--smoke", action="store_true",
                        help="each path once, one call until it joined, all checks, and path (b) "
                             "once more with bereik stopped, which must be refused; no figures (the suite's)")
    arguments = parser.parse_args(argv)
    if arguments.smoke:
        arguments.rates, arguments.seconds, arguments.overhead_seconds = (1,), 1, 0
    try:
        outcome = await run(arguments.rates, arguments.seconds, arguments.overhead_seconds, arguments.paths,
                            "bacd" if arguments.smoke else ORDER, 20 if arguments.smoke else HOLD_SECONDS,
                            arguments.smoke, arguments.asterisk_cores)
    except BenchError as error:
        print(f"\nERROR: {error}", file=sys.stderr)
        return 1
    report(outcome)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
