"""What the benches that run Asterisk and `bereik run` share, so that none of them can measure a bereik that
is not there: every secret `bereik run` asks for, stores in the bench's own folder, a bereik process that is
checked alive, and CPU time per process from /proc."""
from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ruamel.yaml import YAML

from bereik.pbx.agi import DEFAULT_COMMAND_TIMEOUT
from bereik.secrets import Secrets, write_new_secrets_file

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "bloemendaal.yaml"
PRETEND = "2026-11-23T10:00:00"  # a Monday morning: open
METRICS_PORT = 8089


class BenchError(RuntimeError):
    """What the bench was to measure did not run (bereik died, calls failed open): no figure is printed."""


def secrets_for_bereik(directory: Path) -> tuple[Path, Secrets]:
    """A secrets file with every secret `bereik run` asks for, and the secrets in it."""
    directory.mkdir(parents=True, exist_ok=True)
    path = write_new_secrets_file(directory / "secrets.env")
    return path, Secrets.load(path)


def write_config(directory: Path, edit=lambda document: None, name: str = "municipality.yaml",
                 outgoing: Path | None = None) -> Path:
    """The example with its stores, CEL log and wallboard in `directory` (never a shared /var/lib/bereik),
    the metrics on METRICS_PORT, its calls started in `outgoing` (the Asterisk's spool, Asterisk.outgoing),
    changed further by `edit(document)`."""
    yaml = YAML()
    document = yaml.load(EXAMPLE.read_text())
    document["back_office"]["forwarding_store"] = str(directory / "forwarding.sqlite3")
    document["records"] = {"store": str(directory / "calls.sqlite3"),
                           "asterisk_cel": str(directory / "cel.csv")}
    document.setdefault("waiting", {})["callback_store"] = str(directory / "callbacks.sqlite3")
    document["wallboard"] = {"listen": f"127.0.0.1:{METRICS_PORT}"}
    if outgoing:
        document["pbx"]["call_files"] = str(outgoing)
    edit(document)
    path = directory / name
    with path.open("w") as file:
        yaml.dump(document, file)
    return path


def cpu_seconds(pid: int | str = "self", children: bool = False) -> float:
    """utime + stime of a process (children=True: of its children it has waited for) from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    first = 13 if children else 11
    return (int(fields[first]) + int(fields[first + 1])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def metrics() -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{METRICS_PORT}/metrics", timeout=10) as response:
        return response.read().decode()


def metrics_once(ready: Callable[[str], bool], timeout: float) -> str:
    """bereik's /metrics once `ready(text)`, read again every 0.1 s for at most `timeout` s (then as it is):
    for counts bereik makes a moment after what the bench saw."""
    deadline = time.monotonic() + timeout
    while True:
        text = metrics()
        if ready(text) or time.monotonic() > deadline:
            return text
        time.sleep(0.1)


def metric(text: str, name: str) -> float:
    """The sum of a metric's series, whatever their labels (one server, one script: the value)."""
    found = re.findall(rf"^{re.escape(name)}(?:{{[^}}]*}})? (\S+)$", text, re.M)
    if not found:
        raise BenchError(f"bereik's /metrics has no {name}")
    return sum(float(value) for value in found)


def decision_process_of(bereik: int) -> int | None:
    """The pid of `bereik run`'s decision process (bereik.pbx.decider), its one child; None where it runs on one core
    and decides on a thread."""
    children = [pid for task in Path(f"/proc/{bereik}/task").iterdir()  # started from another thread
                for pid in (task / "children").read_text().split()]
    if len(children) > 1:
        raise BenchError(f"bereik runs {len(children)} child processes, not its one decision process")
    return int(children[0]) if children else None


def processes_of(bereik: int) -> list[int]:
    """`bereik run` and, where it has one, its decision process."""
    return [bereik, *filter(None, [decision_process_of(bereik)])]


@dataclass
class Bereik:
    """`bereik run` as its own process, as deployed; `check()` raises unless it is alive and the same process."""

    config: Path
    secrets: Path
    sounds: Path
    log: Path
    process: subprocess.Popen | None = None

    def launch(self) -> None:
        """Start the process without waiting for it (a smoke starts it while it prepares the rest)."""
        with self.log.open("a") as log:  # the child keeps its own copy of the descriptor
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bereik", "run", str(self.config), "--sounds", str(self.sounds),
                 "--secrets", str(self.secrets), "--pretend-time", PRETEND],
                stdout=log, stderr=subprocess.STDOUT, cwd=REPO)

    async def start(self, timeout: float = 60) -> None:
        """Launched unless it was, then waited for until it is up (beside a busy processor its start took 20 s)."""
        if self.process is None:
            self.launch()
        deadline = time.monotonic() + timeout
        while True:  # up when its wallboard answers, it is logged in to AMI and its decision process serves calls
            self.check()
            try:
                text = await asyncio.to_thread(metrics)
                if metric(text, "bereik_ami_connected") == 1 and metric(text, "bereik_decision_process_up") == 1:
                    return
            except (OSError, BenchError):
                pass
            if time.monotonic() > deadline:
                raise BenchError(f"bereik did not log in to AMI and decide within {timeout:.0f} s; see {self.log}")
            await asyncio.sleep(0.2)

    @property
    def pid(self) -> int:
        return self.process.pid

    def cpu_seconds(self) -> float:
        """bereik's CPU time and its decision process's."""
        return sum(cpu_seconds(pid) for pid in processes_of(self.pid))

    def check(self) -> None:
        if self.process is None or self.process.poll() is not None:
            code = self.process.returncode if self.process else None
            raise BenchError(f"bereik is not running (exit status {code}); its log: {self.log}\n"
                             + "\n".join(self.log.read_text(errors="replace").splitlines()[-15:]))

    def fastagi_sessions(self, at_least: int = 0, timeout: float = DEFAULT_COMMAND_TIMEOUT) -> dict[str, int]:
        """How many FastAGI sessions bereik served ("all") and how many took at most each bucket's bound ("0.005",
        ...): its own histogram, from Asterisk's connection to bereik's last word. bereik counts a session when
        its handler ends, after it read Asterisk's replies to that last word, which may be after the caller moved
        on: waits until "all" is `at_least`."""
        def served(text: str) -> int:
            return int(metric(text, "bereik_fastagi_session_seconds_count"))
        text = metrics_once(lambda text: served(text) >= at_least, timeout)
        counts = {"all": served(text)}
        for bound, count in re.findall(r'^bereik_fastagi_session_seconds_bucket\{[^}]*le="([^"]+)"[^}]*\} (\S+)$',
                                       text, re.M):
            counts[bound] = counts.get(bound, 0) + int(float(count))
        return counts

    def ami_events(self, hangups_at_least: int = 0, timeout: float = DEFAULT_COMMAND_TIMEOUT) -> Counter:
        """The AMI events bereik read since it started, by event name: its own counter on /metrics. bereik may
        read a call's last events after Asterisk ended the call: waits until it read `hangups_at_least` Hangups."""
        def read(text: str) -> Counter:
            found = Counter()
            for event, count in re.findall(r'^bereik_ami_events_total\{[^}]*event="([^"]+)"[^}]*\} (\S+)$', text,
                                           re.M):
                found[event] += int(float(count))
            return found
        return read(metrics_once(lambda text: read(text)["Hangup"] >= hangups_at_least, timeout))

    def stop(self) -> None:
        """SIGTERM; a bereik that does not stop cleanly within 15 s is an error."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise BenchError(f"bereik did not stop within 15 s of SIGTERM; see {self.log}") from None
