"""Fixtures shared by every test folder, and a network of its own for every process that runs tests."""
import email
import fcntl
import functools
import email.policy
import os
import socket
import threading
from pathlib import Path

import pytest
from hypothesis import settings

from bereik.sandbox.isolation import Hosts, IsolationError, enter_private_network

# No per-example deadline anywhere: on 2 cores shared by parallel workers, a 200 ms deadline fails
# correct code. Speed is measured by the benchmarks in bench/, never by timed unit tests.
settings.register_profile("bereik", deadline=None)
settings.load_profile("bereik")


def pytest_configure(config):
    if not hasattr(config, "workerinput"):
        _schedule_by_niceness_alone(config)
    # Each process that runs tests (every pytest-xdist worker, or pytest itself without -n) gets its
    # own network namespace: Asterisk's fixed ports, the desk phones' 127.0.1.N:5060, slapd and
    # PostgreSQL never meet another worker's or another developer's. The xdist controller runs none.
    if not hasattr(config, "workerinput") and (getattr(config.option, "numprocesses", None) or 0) > 0:
        return
    try:
        enter_private_network()
    except IsolationError as problem:
        raise pytest.UsageError(str(problem)) from None


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """With -n: an end-to-end module's tests run on one worker, one after the other, so that worker
    starts Asterisk once for the module's configuration; every other test goes to whichever worker
    is free. Two workers per core start with the end-to-end modules (longest first); any beyond
    start with the unit tests, which fill the processor the end-to-end tests leave idle while they
    wait in real time (three per core on end-to-end modules failed 1-4 of them a run at load 12-16,
    ci57-ci59). A worker whose kind of work has run out takes the other."""
    from xdist.scheduler import LoadScopeScheduling

    end_to_end_workers = 2 * (os.cpu_count() or 1)

    class EndToEndModulesTogether(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return nodeid.split("::", 1)[0] if _is_end_to_end(nodeid) else nodeid

        def _assign_work_unit(self, node) -> None:
            wants_end_to_end = int(node.workerinput["workerid"].removeprefix("gw")) < end_to_end_workers
            scope = next((s for s in self.workqueue if _is_end_to_end(s) == wants_end_to_end), None)
            if scope is not None:
                self.workqueue.move_to_end(scope, last=False)
            super()._assign_work_unit(node)

    config.option.loadscopereorder = False  # handed out in the order pytest_collection_modifyitems gives
    return EndToEndModulesTogether(config, log)


def _is_end_to_end(nodeid: str) -> bool:
    return nodeid.startswith("tests/e2e/")


# Under -n: Asterisk, SIPp, bereik and Chromium of an end-to-end test (started by its worker, so at its priority)
# wait in real time and must answer in it; unit tests are processor-bound and wait for nobody. The end-to-end
# tests run above normal, so that neither the unit tests nor anything else on the machine holds them up; the unit
# tests a little below it, but not at the lowest, or a busy machine starves them (ci61: at nice 19 beside two
# busy loops they got 1-2% of a core each, and the run stood still).
END_TO_END_NICE, UNIT_NICE = -5, 5


class AutogroupsOff:
    """The kernel's autogroups off while test runs go on, and back on after the last of them (runs side by side share
    the lock's directory; a run killed before its end leaves the mark, and the next run to end puts them back).

    With autogroups on (Debian's default) each session is scheduled as one group and a niceness counts only within its
    session; PostgreSQL's backends and Playwright's Chromium each start a session of their own, and beside busy
    sessions they waited seconds for a processor while the tests at the same niceness ran (ci116 beside two busy
    loops: a PostgreSQL process runnable for 0.8 s of every second without running; a probe's wake-up p99 57 ms in a
    session of its own, 1 ms in the tests', 5-13 ms in its own with autogroups off)."""

    def __init__(self, setting: Path = Path("/proc/sys/kernel/sched_autogroup_enabled"),
                 runs: Path = Path("/run/bereik-tests")):
        self.setting, self.runs = setting, runs
        self._lock = None

    @property
    def _were_on(self) -> Path:
        return self.runs / "autogroups-were-on"

    def start(self) -> bool:
        """Whether this run holds a share of the setting (False: no autogroups in this kernel, or not root)."""
        try:
            self.runs.mkdir(parents=True, exist_ok=True)
            self._lock = open(self.runs / "lock", "a")
            fcntl.flock(self._lock, fcntl.LOCK_SH)
            if self.setting.read_text().strip() == "1":
                self._were_on.touch()
                self.setting.write_text("0")
        except OSError:
            if self._lock is not None:  # no share held: a later run that ends alone must not wait for this one
                self._lock.close()
            return False
        return True

    def end(self) -> None:
        fcntl.flock(self._lock, fcntl.LOCK_UN)
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:  # another run goes on: the last to end puts them back
            pass
        else:
            if self._were_on.exists():
                self.setting.write_text("1")
                self._were_on.unlink()
        self._lock.close()


def _schedule_by_niceness_alone(config) -> None:
    autogroups = AutogroupsOff()
    if autogroups.start():
        config.add_cleanup(autogroups.end)


@functools.cache
def _can_renice() -> bool:
    """Whether this process may raise its priority above normal (root outside a user namespace)."""
    allowed = []

    def probe():  # a thread of its own: on Linux a thread's niceness is its own
        try:
            os.setpriority(os.PRIO_PROCESS, 0, END_TO_END_NICE)
            allowed.append(True)
        except PermissionError:
            pass
    thread = threading.Thread(target=probe)
    thread.start()
    thread.join()
    return bool(allowed)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    if hasattr(item.config, "workerinput") and _can_renice():
        _renice_every_thread(END_TO_END_NICE if _waits_in_real_time(item) else UNIT_NICE)


def _renice_every_thread(niceness: int) -> None:
    """Every thread of this worker: a program started from a thread (asyncio.to_thread, an executor) takes that
    thread's niceness, and an executor thread made during a unit test would keep the unit tests'."""
    for thread in os.listdir("/proc/self/task"):
        try:
            os.setpriority(os.PRIO_PROCESS, int(thread), niceness)
        except ProcessLookupError:  # ended meanwhile
            continue


def _waits_in_real_time(item) -> bool:
    """End-to-end tests, and others that drive a browser: Chromium and the server it asks must answer in time."""
    return _is_end_to_end(item.nodeid) or "browser" in item.fixturenames or item.get_closest_marker("real_time")


# Seconds each end-to-end module takes (setup, tests and teardown; a quiet run on 2 cores, 7 December 2026).
# Handed out longest first, so that none starts near the end while the other workers are idle; unit tests come
# after them all. A module not listed counts SECONDS_PER_TEST a test (counting every module so put toll fraud,
# 35 short tests in 43 s, first and the long modules late).
MODULE_SECONDS = {
    "test_nodes_e2e.py": 160, "test_platform_e2e.py": 128, "test_faults.py": 115, "test_appointments_e2e.py": 106,
    "test_benches_e2e.py": 102, "test_waiting_e2e.py": 92, "test_back_office.py": 74, "test_console_e2e.py": 59,
    "test_records_e2e.py": 58, "test_report_month_e2e.py": 51, "test_callbacks_e2e.py": 48,
    "test_desk_and_mobile_e2e.py": 47, "test_isolation.py": 45, "test_failopen_time_e2e.py": 43,
    "test_toll_fraud_e2e.py": 43, "test_outside_option_e2e.py": 42, "test_sandbox.py": 41,
    "test_features_e2e.py": 41, "test_soak_e2e.py": 40, "test_doctor_e2e.py": 40, "test_first_call.py": 37,
    "test_coordinator_e2e.py": 31, "test_absence_e2e.py": 31, "test_dependency_faults_e2e.py": 29,
    "test_report_e2e.py": 28, "test_calamity_e2e.py": 21, "test_two_servers_e2e.py": 20, "test_installed_e2e.py": 20,
    "test_failover_e2e.py": 15, "test_presence_e2e.py": 10, "test_hosts_e2e.py": 9,
    "test_recorded_prompts_e2e.py": 8, "test_reload_e2e.py": 5,
}
SECONDS_PER_TEST = 10


def pytest_collection_modifyitems(items):
    e2e = Path(__file__).parent / "e2e"
    tests_in: dict[str, int] = {}
    for item in items:
        if Path(item.fspath).parent == e2e:
            tests_in[item.fspath.basename] = tests_in.get(item.fspath.basename, 0) + 1

    def seconds(item) -> float:
        module = item.fspath.basename
        if module not in tests_in:
            return 0.0
        return MODULE_SECONDS.get(module, SECONDS_PER_TEST * tests_in[module])

    items.sort(key=lambda item: -seconds(item))  # stable: a module's tests stay in their order


# Headless Chromium from Debian, never a Playwright browser download.
CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]


@pytest.fixture
def chromium() -> tuple[Path, list[str]]:
    """Debian's Chromium and the arguments every test launches it with (for a test that launches its own)."""
    return CHROMIUM, list(ARGS)


@pytest.fixture
async def browser():
    from playwright.async_api import async_playwright

    if not CHROMIUM.exists():
        pytest.fail("no /usr/bin/chromium: apt-get install chromium")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield launched
        await launched.close()


@pytest.fixture
def hosts():
    """hosts("asterisk", "bereik") -> Hosts: a network namespace per name, on one bridge, with
    addresses 10.77.0.1, .2, ...; `hosts.on(name) + [program, ...]` runs a program there. Deleted
    after the test."""
    made: list[Hosts] = []

    def make(*names: str) -> Hosts:
        made.append(Hosts(*names))
        return made[-1]

    yield make
    for each in made:
        each.close()


class SmtpInbox:
    """What a real SMTP server (aiosmtpd) received: (recipients, message) per mail."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, email.message_from_bytes(envelope.content, policy=email.policy.default)))
        return "250 OK"


@pytest.fixture
def smtp_server():
    """A real SMTP server on a free loopback port: (inbox, port)."""
    from aiosmtpd.controller import Controller

    inbox = SmtpInbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()
