"""The benches that drive the real Asterisk run in the suite, short: a bench that no longer runs (a secret
it does not write, an observer Asterisk refuses, a path that fails open) fails here, not in the README."""
import re
import subprocess

import pytest

from bench import call_paths, waiting_bench


@pytest.fixture
def sandbox_to_itself(_running_asterisk, sandbox_root, monkeypatch):
    """The benches start their own Asterisk on the fixed ports, in this worker's copy of the chroot:
    the worker's own Asterisk stops first."""
    _running_asterisk.stop()
    for bench in (call_paths, waiting_bench):
        monkeypatch.setattr(bench, "build_root", lambda: sandbox_root)


async def test_call_paths_smoke_runs_every_path_and_each_join_carries_its_paths_own_reason(sandbox_to_itself, capsys):
    assert await call_paths.main(["--smoke"]) == 0
    printed = capsys.readouterr().out
    joins = {path: dict((reason, int(n)) for reason, n in re.findall(r"(\S+) (\d+)", text))
             for path, text in re.findall(r"^\s+\((\w)\) .*?joins: ([^;]+);", printed, re.M)}
    assert joins["a"] == {"(none)": 3} and joins["b"] == {"no_menu": 3}, printed
    for process_agi in ("c", "d"):  # a script slower than the watchdog on a loaded machine fails open
        assert joins[process_agi]["no_menu"] >= 1, printed
        assert set(joins[process_agi]) <= {"no_menu", "watchdog"}, printed
    bereik_cpu = re.search(r"^\s+\(b\) .*bereik (\d+)%$", printed, re.M)
    assert bereik_cpu, "bereik's CPU is measured during its own steps"


async def test_call_paths_refuses_to_report_a_bereik_that_never_answered(sandbox_to_itself, monkeypatch, capsys):
    async def alive_but_serving_nothing(self, timeout=30):
        self.process = subprocess.Popen(["sleep", "120"])

    monkeypatch.setattr(call_paths.Bereik, "start", alive_but_serving_nothing)
    monkeypatch.setattr(call_paths.Bereik, "fastagi_sessions", lambda self: 0)
    assert await call_paths.main(["--smoke", "--paths", "b"]) == 1
    error = capsys.readouterr().err
    assert "ERROR" in error and "failopen-FAILURE" in error, error


async def test_waiting_bench_smoke_plays_every_message_due_and_none_without_messages(sandbox_to_itself, capsys):
    assert await waiting_bench.main(["--smoke"]) == 0
    printed = capsys.readouterr().out
    assert re.search(r"^messages\s+5\s+5\s", printed, re.M), printed
    assert re.search(r"^no messages\s+5\s+0\s", printed, re.M), printed
