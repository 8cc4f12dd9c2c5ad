"""The benches that drive the real Asterisk run in the suite, short: a bench that no longer runs (a secret
it does not write, an observer Asterisk refuses, a path that fails open, a script that cannot import in the
chroot) fails here, not in the README."""
import ast
import re
from pathlib import Path

import pytest

from bench import call_paths, platform_bench, soak, waiting_bench


def left_no_work_files(printed: str) -> bool:
    """A run that ended well removes its folder (a failed one keeps it, with its logs)."""
    folder, = re.findall(r"work files in (\S+) \(kept if the run fails\)", printed)
    return not Path(folder).exists()


@pytest.fixture
def sandbox_to_itself(_running_asterisk, sandbox_root, monkeypatch):
    """The benches start their own Asterisk on the fixed ports, in this worker's copy of the chroot:
    the worker's own Asterisk stops first."""
    _running_asterisk.stop()
    for bench in (call_paths, soak, waiting_bench):
        monkeypatch.setattr(bench, "build_root", lambda: sandbox_root)


async def test_call_paths_smoke_runs_every_path_and_refuses_bereiks_path_with_bereik_stopped(sandbox_to_itself, capsys):
    assert await call_paths.main(["--smoke"]) == 0
    printed = capsys.readouterr().out
    joins = {path: dict((reason, int(n)) for reason, n in re.findall(r"(\S+) (\d+)", text))
             for path, text in re.findall(r"^\s+\((\w)\) .*?joins: ([^;]+);", printed, re.M)}
    assert joins == {"a": {"(none)": 1}, "b": {"no_menu": 1}, "c": {"no_menu": 1}, "d": {"no_menu": 1}}, printed
    # Each path's one call answered once and joined: nothing else counted as a call (a whisper companion did).
    failed = dict(re.findall(r"^\s+\((\w)\) .*?: achieved .*?, failed\s+([\d.]+)%", printed, re.M))
    assert failed == {"a": "0.0", "b": "0.0", "c": "0.0", "d": "0.0"}, printed
    assert re.search(r"^\s+\(b\) .*bereik \d+% bereik decisions \d+%;", printed, re.M), \
        "bereik's CPU and its decision process's are measured during its own steps"
    # Its own sessions' times too (its histogram), only on its path: over 5, 25 and 100 ms, of its one session.
    tails = re.findall(r"^\s+\((\w)\) .*bereik's sessions over 5/25/100 ms: ([\d.]+)%/([\d.]+)%/([\d.]+)%;",
                       printed, re.M)
    assert [path for path, *_ in tails] == ["b"] and all(share in ("0.0", "100.0") for share in tails[0][1:]), printed
    # And the AMI events it read for its one call (its counter), the call's own among them.
    [(path, events, each)] = re.findall(r"^\s+\((\w)\) .*; bereik read ([\d.]+) AMI events/call \((.*)\)$", printed,
                                        re.M)
    read = dict(re.findall(r"(\w+) ([\d.]+)", each))
    assert path == "b" and float(events) == sum(float(n) for n in read.values()), printed
    assert {name: read.get(name) for name in ("Newchannel", "QueueCallerJoin", "Hangup")} == {
        "Newchannel": "1.0", "QueueCallerJoin": "1.0", "Hangup": "1.0"}, printed
    # Asterisk's AMI thread is counted for every path (where bereik's path saturates first): tasks a call.
    tasks = {path: float(n) for path, n in re.findall(r"^\s+\((\w)\) .*AMI tasks/call\s+([\d.]+);", printed, re.M)}
    assert tasks.keys() == {"a", "b", "c", "d"} and all(n > 10 for n in tasks.values()), printed
    # The smoke's check of the checks: bereik's path with bereik stopped fails open, and the bench sees it.
    assert re.search(r"^\s+\(b\) with bereik stopped: joins \{'failopen-FAILURE': 1\}: refused", printed, re.M), printed
    assert left_no_work_files(printed)


async def test_waiting_bench_smoke_plays_every_message_due(sandbox_to_itself, capsys):
    assert await waiting_bench.main(["--smoke"]) == 0
    printed = capsys.readouterr().out
    assert re.search(r"^messages\s+5\s+5\s", printed, re.M), printed
    assert left_no_work_files(printed)


async def test_soak_smoke_has_bereik_decide_the_mix_and_leaves_nothing_behind(sandbox_to_itself, capsys):
    assert await soak.main(["--smoke"]) == 0
    printed = capsys.readouterr().out
    joins = re.findall(r"queue joins by BEREIK_REASON: (\{.*\}|none)", printed)
    assert len(joins) == 2 and joins[0] == "{'(none)': 3}", printed  # the baseline: the pure dialplan
    mix = ast.literal_eval(joins[1])
    assert mix and not any(reason.startswith(("failopen-", "watchdog", "(none)")) for reason in mix), printed
    for phase in ("baseline (pure dialplan)", "soak"):
        # placed, failed, failed open, leaked channels, lost records
        assert re.search(rf"^{re.escape(phase)}\s+\d+\s+0\s+0\s+0\s+0\s", printed, re.M), printed
    assert left_no_work_files(printed)


async def test_platform_bench_smoke_has_bereik_decide_every_call_through_kamailio_and_straight(
        sandbox_root, monkeypatch, capsys):
    # Its Asterisks run in network namespaces of its own: the worker's Asterisk may stay.
    monkeypatch.setattr(platform_bench, "build_root", lambda: sandbox_root)
    monkeypatch.setattr(platform_bench, "private_root", lambda root: root)
    assert await platform_bench.main(["--smoke"]) == 0
    printed = capsys.readouterr().out
    # Every call decided by bereik (no failed-open join), in both rows.
    assert re.findall(r"queue joins by BEREIK_REASON: (\{.*\})", printed) == ["{'no_menu': 10}"] * 2, printed
    assert re.search(r"^\(p\) through Kamailio, 3 nodes\s+10\s+0\s", printed, re.M), printed
    assert left_no_work_files(printed)
