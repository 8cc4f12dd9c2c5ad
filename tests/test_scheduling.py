"""How `make test` hands tests to pytest-xdist workers (tests/conftest.py)."""
import os
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import (END_TO_END_NICE, UNIT_NICE, AutogroupsOff, _can_renice, _renice_every_thread,
                            pytest_runtest_setup, pytest_xdist_make_scheduler)

pytest_plugins = ["pytester"]

END_TO_END = [f"tests/e2e/test_{module}.py::test_{n}" for module in ("nodes", "faults", "first_call", "waiting", "reload")
              for n in range(3)]
UNIT = [f"tests/routing/test_unit.py::test_{n}" for n in range(30)]


class Worker:
    def __init__(self, n: int):
        self.workerinput = {"workerid": f"gw{n}"}
        self.gateway = type("Gateway", (), {"id": f"gw{n}"})
        self.shutting_down = False
        self.sent: list[int] = []

    def send_runtest_some(self, indices):
        self.sent.extend(indices)

    def shutdown(self):
        self.shutting_down = True


def scheduled(pytester, monkeypatch, workers: int, cores: int, collection: list[str]) -> list[list[str]]:
    """The nodeids each worker is given at the start, in the order the suite is collected."""
    monkeypatch.setattr(os, "cpu_count", lambda: cores)
    scheduler = pytest_xdist_make_scheduler(pytester.parseconfig("--tx", f"{workers}*popen"), None)
    nodes = [Worker(n) for n in range(workers)]
    for node in nodes:
        scheduler.add_node(node)
        scheduler.add_node_collection(node, collection)
    scheduler.schedule()
    return [[collection[i] for i in node.sent] for node in nodes]


def test_two_workers_a_core_start_with_whole_end_to_end_modules_the_rest_with_unit_tests(pytester, monkeypatch):
    given = scheduled(pytester, monkeypatch, workers=3, cores=1, collection=END_TO_END + UNIT)
    modules = [{nodeid.split("::")[0] for nodeid in tests} for tests in given[:2]]
    assert all(len(m) == 1 and next(iter(m)).startswith("tests/e2e/") for m in modules), given
    assert len(set().union(*modules)) == 2, "each end-to-end module on one worker"
    assert all(len(tests) == 3 for tests in given[:2]), "a module's tests together"
    assert given[2] and all(nodeid.startswith("tests/routing/") for nodeid in given[2]), given[2]


def test_a_worker_whose_kind_of_work_has_run_out_takes_the_other(pytester, monkeypatch):
    only_end_to_end = scheduled(pytester, monkeypatch, workers=3, cores=1, collection=END_TO_END)
    assert all(tests and tests[0].startswith("tests/e2e/") for tests in only_end_to_end), only_end_to_end
    only_units = scheduled(pytester, monkeypatch, workers=3, cores=1, collection=UNIT)
    assert all(only_units), "no worker left idle while unit tests wait"


def test_under_xdist_end_to_end_and_browser_tests_run_above_normal_priority_and_unit_tests_below(pytester):
    assert _can_renice(), "make test runs as root outside a user namespace, so a worker may raise its priority"
    config = pytester.parseconfig()
    config.workerinput = {"workerid": "gw0"}

    def item(nodeid, fixturenames=(), marker=None):
        return type("Item", (), {"config": config, "nodeid": nodeid, "fixturenames": fixturenames,
                                 "get_closest_marker": lambda self, name: marker if name == "real_time" else None})()

    # A thread made earlier, as an executor's: what it starts (Asterisk by asyncio.to_thread) runs at its niceness.
    earlier, done = threading.Event(), threading.Event()
    thread = threading.Thread(target=lambda: (earlier.set(), done.wait(10)))
    thread.start()
    earlier.wait(10)
    try:
        for unit in (item(UNIT[0]), item(UNIT[0], fixturenames=("tmp_path",))):
            pytest_runtest_setup(unit)
            assert os.getpriority(os.PRIO_PROCESS, 0) == os.getpriority(os.PRIO_PROCESS, thread.native_id) \
                == UNIT_NICE > 0
        for real_time in (item(END_TO_END[0]), item(UNIT[0], fixturenames=("browser",)),
                          item(UNIT[0], marker=pytest.mark.real_time)):
            _renice_every_thread(0)
            pytest_runtest_setup(real_time)
            assert os.getpriority(os.PRIO_PROCESS, 0) == os.getpriority(os.PRIO_PROCESS, thread.native_id) \
                == END_TO_END_NICE < 0
    finally:
        done.set()
        thread.join()
        _renice_every_thread(0)


def test_during_the_run_a_program_in_a_session_of_its_own_is_scheduled_by_its_niceness_as_the_tests_are():
    """PostgreSQL's backends and Chromium start sessions of their own: with the kernel's autogroups they would be
    scheduled as groups apart, whatever their niceness."""
    assert _can_renice(), "make test runs as root"
    setting = AutogroupsOff().setting
    assert not setting.exists() or setting.read_text().strip() == "0"


def runs_side_by_side(tmp_path, first: str = "1") -> tuple[Path, Callable[[], AutogroupsOff]]:
    setting = tmp_path / "sched_autogroup_enabled"
    setting.write_text(f"{first}\n")
    return setting, lambda: AutogroupsOff(setting, tmp_path / "runs")


def test_autogroups_come_back_on_when_the_last_of_two_runs_side_by_side_ends(tmp_path):
    setting, run = runs_side_by_side(tmp_path)
    first, second = run(), run()
    assert first.start() and second.start() and setting.read_text() == "0"
    first.end()
    assert setting.read_text() == "0", "switched on under the second run"
    second.end()
    assert setting.read_text() == "1"


def test_autogroups_an_administrator_switched_off_stay_off(tmp_path):
    setting, run = runs_side_by_side(tmp_path, first="0")
    only = run()
    assert only.start()
    only.end()
    assert setting.read_text().strip() == "0"


def test_after_a_run_killed_before_its_end_the_next_run_puts_autogroups_back(tmp_path):
    setting, run = runs_side_by_side(tmp_path)
    killed = run()
    assert killed.start()
    killed._lock.close()  # as the kernel does for a killed process: its lock is gone, the mark stays
    after = run()
    assert after.start() and setting.read_text() == "0"
    after.end()
    assert setting.read_text() == "1"


def test_a_kernel_without_autogroups_is_left_alone_and_holds_up_no_other_run(tmp_path):
    setting, run = runs_side_by_side(tmp_path)
    missing = AutogroupsOff(tmp_path / "no-such-setting", tmp_path / "runs")
    assert not missing.start()
    other = run()
    assert other.start() and setting.read_text() == "0"
    other.end()
    assert setting.read_text() == "1", "the run that failed to start still held a share"
