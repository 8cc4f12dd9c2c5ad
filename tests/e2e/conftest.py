"""End-to-end fixtures: a real Asterisk in the sandbox chroot, SIPp parties, AMI events.

Nothing here skips: without the chroot, sipp or root rights the tests fail loudly.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import os
import re
import shutil
import signal
import socket
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from panoramisk import Manager

from bereik.sandbox import Asterisk, SandboxError, ami_login_from, build_root
from bereik.sandbox.cues import KeyCues
from bereik.sandbox.isolation import private_root, processes_in_my_network
from bereik.sandbox.sipp import Sipp
from bereik.service import Service

CONFIGS = Path(__file__).with_name("configs")
sys.path.insert(0, str(Path(__file__).parent))  # --import-mode=importlib: modules import helpers.py and each other

AmiEvent = dict[str, str]
log = logging.getLogger("bereik.tests.e2e")


def pytest_collection_modifyitems(items):
    for item in items:
        if Path(item.fspath).is_relative_to(Path(__file__).parent):
            item.add_marker(pytest.mark.asterisk)


@pytest.fixture(scope="session")
def sandbox_root() -> Path:
    """This process's own copy of the Asterisk chroot (built once per machine, copied once per slot)."""
    missing = [tool for tool in ("sipp", "mmdebstrap", "unshare", "chroot") if not shutil.which(tool)]
    if missing:
        pytest.fail(f"missing {', '.join(missing)}: run scripts/install-system.sh")
    return private_root(build_root())


class _Running:
    """The one Asterisk of this process; a test asking for another config restarts it.

    Between two tests it is proven quiet: no channel, no SIP request still being retransmitted,
    every endpoint, queue member and custom device state as it was after boot, and no SIPp or
    `bereik run` process of an earlier test alive in this process's network. What the fixtures
    can end in an orderly way they end after each test (wind_down); anything else fails the next
    test's fixture, naming what was left.
    """

    def __init__(self, root: Path):
        self.root = root
        self.current: Asterisk | None = None
        self.clean_states: set[str] = set()
        self.last_test = "an earlier test"

    def get(self, config_dir: Path, restart: bool, test: str) -> Asterisk:
        config_dir = Path(config_dir).resolve()
        reuse = self.current and self.current.running and self.current.config_dir == config_dir and not restart
        left = self.leftovers(with_asterisk=bool(reuse))
        previous, self.last_test = self.last_test, test
        if left:
            clear_network(self.current)
            self.restart(config_dir)
            fail_for_leftovers(left, [previous])
        if not reuse:
            self.restart(config_dir)
        return self.current

    def restart(self, config_dir: Path) -> None:
        if self.current:
            self.current.stop(kill=True)  # nothing of this run is read again: start() begins anew
            self.current = None
        self.current = Asterisk(config_dir, ami_login_from(config_dir), root=self.root)
        self.current.start()
        self.current.record_sip()
        self.clean_states = self.current.device_states()

    def leftovers(self, *, with_asterisk: bool) -> list[str]:
        left = left_in_network(self.current)
        if with_asterisk:
            left += [f"channel {line.split('!')[0]}: {line}" for line in self.current.channel_list()]
            left += [f"SIP {request} (Asterisk still retransmits it)" for request in self.current.unanswered_sip_requests()]
            states = self.current.device_states()
            left += [f"state {state!r} (after boot it was not)" for state in sorted(states - self.clean_states)]
            left += [f"state {state!r} gone" for state in sorted(self.clean_states - states)]
        return left

    def settle(self, addresses: set[str] | None = None, timeout: float = 3.0) -> bool:
        """Wait until Asterisk has no unanswered SIP request (to `addresses`, or to anyone) that may
        still be answered, and every state is back to the one after boot. False: it will not be.

        Without `addresses` (after the test, its SIPp parties gone and its channels hung up) it also puts
        back what a test legitimately changes and nothing heals by itself: a queue member's pause (bereik
        pauses and unpauses members), custom device states and presences (bereik's away states and each
        person's presence), then proves every state equal to boot's. It returns False as soon as waiting
        cannot help: a request to an address of this network where nothing listens, or a state that no call
        keeps any more (a second after a put-back, which the hints follow within moments)."""
        deadline = time.monotonic() + timeout
        looked = False
        restored = float("-inf")  # when states were put back: the hints follow them within moments
        while True:
            waiting = [r for r in self.current.unanswered_sip_requests() if addresses is None or r.address in addresses]
            # A live SIPp party answers in milliseconds; an address where nothing listens never answers.
            if any(request.age >= 2 or _nobody_listens(request.address) for request in waiting):
                return False
            if not waiting:
                if addresses is not None:
                    return True
                states = self.current.device_states()
                if states == self.clean_states:
                    return True
                if not looked:
                    looked = True
                    if self._restore_pauses(states) | self._restore_custom_states(states) | self._clear_presences():
                        restored = time.monotonic()
                        continue
                if time.monotonic() - restored > 1 and not _may_heal(states, self.clean_states):
                    return False
            if time.monotonic() > deadline:
                return False
            time.sleep(0.2)

    def _restore_pauses(self, states: set[str]) -> bool:
        """Pause or unpause each queue member whose pause differs from the one after boot; True if any did."""
        now, boot = _member_pauses(states), _member_pauses(self.clean_states)
        changed = False
        for (queue, interface), paused in now.items():
            if (queue, interface) in boot and boot[queue, interface] != paused:
                verb = "pause" if boot[queue, interface] else "unpause"
                self.current.cli(f"queue {verb} member {interface} queue {queue}")
                changed = True
        return changed

    def _restore_custom_states(self, states: set[str]) -> bool:
        """Set each custom device state (bereik's away and mobile states) back to boot's; one that did not exist
        after boot is removed from the astdb, after NOT_INUSE, which is what Asterisk's hints and queues make of
        a custom device that has no state (the hints, compared too, prove it). True if any was set."""
        now, boot = _customs(states), _customs(self.clean_states)
        for device in now.keys() - boot.keys():
            self.current.cli(f"devstate change {device} NOT_INUSE")
            self.current.cli(f"database del CustomDevstate {device.removeprefix('Custom:')}")
        for device, state in boot.items():
            if now.get(device) != state:
                self.current.cli(f"devstate change {device} {state}")
        return bool(now.keys() - boot.keys()) or any(now.get(d) != state for d, state in boot.items())

    def _clear_presences(self) -> bool:
        """Clear every custom presence (bereik sets each person's): after boot there is none, and the hints,
        compared with boot's, show not_set again. True if there was one."""
        names = _CUSTOM_PRESENCE.findall(self.current.cli("presencestate list"))
        for name in names:
            self.current.cli(f"presencestate change {name} NOT_SET")
            self.current.cli(f"database del CustomPresence {name.removeprefix('CustomPresence:')}")
        return bool(names)

    def wind_down(self) -> None:
        """After a test: hang up what is still up, put back pauses and custom states; if Asterisk would still send
        something a later test could receive (an INVITE to a phone that is not there) or keeps a state,
        restart it."""
        try:
            self.current.hangup_all()
        except SandboxError as stuck:  # the test's teardown says so; the next test gets an Asterisk without them
            log.info("restarting Asterisk after %s: %s", self.last_test, stuck)
            self.restart(self.current.config_dir)
            return
        if self.settle():
            self.current.cli("pjsip set history clear")
        else:
            log.info("restarting Asterisk after %s: %s", self.last_test, "; ".join(self.leftovers(with_asterisk=True)))
            self.restart(self.current.config_dir)

    def stop(self) -> None:
        if self.current:
            self.current.stop()
            self.current = None


def left_in_network(fixtures_asterisk: Asterisk | None) -> list[str]:
    """SIPp parties and `bereik run` processes in this process's network, and Asterisks a test started itself (a
    bench, a second node) and did not stop: these hold their copy's run lock and their ports (ci88: 28 tests after
    one failed on "AMI port 5038 is already in use")."""
    left = [f"process {pid}: {command}" for pid, command in stray_processes()]
    left += [f"Asterisk (pid {instance.pid}) on {instance.root} with {instance.config_dir}, never stopped"
             for instance in Asterisk.running_here() if instance is not fixtures_asterisk]
    return left


def clear_network(fixtures_asterisk: Asterisk | None) -> None:
    for pid, _ in stray_processes():
        _kill(pid)
    for instance in Asterisk.running_here():
        if instance is not fixtures_asterisk:
            instance.stop(kill=True)


def fail_for_leftovers(left: list[str], suspects: list[str]) -> None:
    who = " or ".join(suspects) or "an earlier test"
    pytest.fail(f"{who} left behind (cleaned up now, so that only this test fails):\n  - " + "\n  - ".join(left),
                pytrace=False)


def stray_processes() -> list[tuple[int, str]]:
    """Processes a test starts that would disturb the next one if they outlived it: SIPp parties
    (a phone takes the next INVITE to its address) and `bereik run` (it answers FastAGI on 4573)."""
    return processes_in_my_network(programs=("sipp",), commands=("-m bereik run",))


_CUSTOM_PRESENCE = re.compile(r"^--- Name: '(CustomPresence:[^']+)'", re.M)  # `presencestate list`
_MEMBER_STATE = re.compile(r"queue (\S+) member (\S+) (.*)")
# What an endpoint's or member's line says while a call is up, or while its end is still being passed on.
_IN_A_CALL = re.compile(r"\((?:In use|Ringing|Ring\+Inuse|On Hold|Busy|in call)\)"
                        r"|: (?:In use|Ringing|Ring\+Inuse|On Hold|Busy)$"
                        r"|^hint \S+: (?:InUse|Ringing|Busy|Hold|InUse&Ringing|InUse&Hold) ")


def _member_pauses(states: set[str]) -> dict[tuple[str, str], bool]:
    return {(m.group(1), m.group(2)): "(paused" in m.group(3)
            for state in states if (m := _MEMBER_STATE.fullmatch(state))}


def _customs(states: set[str]) -> dict[str, str]:
    """Custom device -> its state."""
    return dict(state.removeprefix("custom ").rsplit(": ", 1) for state in states if state.startswith("custom "))


def _whose(state: str) -> str:
    """The endpoint, queue member or custom device a state line is of."""
    if match := _MEMBER_STATE.fullmatch(state):
        return f"queue {match.group(1)} member {match.group(2)}"
    return state.rsplit(":", 1)[0]


def _may_heal(states: set[str], boot: set[str]) -> bool:
    """Whether every difference from boot is a device still shown in a call (its end is being passed on, with no
    channel left). False: something that only a call or a command changes is gone, new or other (a pause, a
    penalty, a custom device state), and waiting will not bring it back."""
    new, gone = states - boot, boot - states
    return all(_IN_A_CALL.search(state) for state in new) and {_whose(s) for s in gone} <= {_whose(s) for s in new}


def _nobody_listens(address: str) -> bool:
    """Whether `address` (ip:port) is on this network's loopback and no UDP socket of this network is bound
    to it: a request to it is never answered. Addresses of other hosts (namespaces) are not known here: False."""
    ip, _, port = address.rpartition(":")
    if not ip.startswith("127."):
        return False
    wanted = {f"{socket.htonl(int(ipaddress.IPv4Address(ip))):08X}:{int(port):04X}", f"00000000:{int(port):04X}"}
    with open("/proc/self/net/udp") as table:
        bound = {line.split()[1] for line in table.readlines()[1:]}
    return not wanted & bound


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.call_failed = report.failed
    return report


@pytest.fixture(autouse=True)
def failure_report(request) -> dict[str, Callable[[], str]]:
    """Report section title -> what it shows, read only when the test failed: the logs of the test's `bereik run`
    processes (`bereik*.log` in its tmp_path), of its Asterisks, and the events each AMI connection saw, so that a
    failure in CI tells product from test. bereik's own INFO lines (a Service in this process) reach pytest's
    "Captured log" sections."""
    sections: dict[str, Callable[[], str]] = {}
    bereik = logging.getLogger("bereik")
    level = bereik.level
    bereik.setLevel(logging.INFO)
    yield sections
    bereik.setLevel(level)
    if not getattr(request.node, "call_failed", False):
        return
    tmp_path = request.node.funcargs.get("tmp_path")
    for path in sorted(tmp_path.glob("**/bereik*.log")) if tmp_path else ():
        sections.setdefault(f"log {path.relative_to(tmp_path)}", lambda path=path: _log_since(path, 0))
    for title, text in sections.items():
        try:
            said = text()
        except Exception as error:  # noqa: BLE001 -- the report goes on without this section
            said = f"(not read: {error!r})"
        request.node.add_report_section("teardown", title, said)


@pytest.fixture(autouse=True)
async def services_stopped(monkeypatch, request):
    """Every bereik Service a test started in this process is stopped when the test ends, also when it failed
    between its own start and stop: ci18's one failure left FastAGI bound on 4573, and every later test of
    that worker failed with 'address already in use'. A passing test that left one running fails, naming it."""
    running: list[Service] = []
    start, stop = Service.start, Service.stop

    async def started(service: Service) -> None:
        running.append(service)
        await start(service)

    async def stopped(service: Service) -> None:
        if service in running:
            running.remove(service)
        await stop(service)

    monkeypatch.setattr(Service, "start", started)
    monkeypatch.setattr(Service, "stop", stopped)
    yield
    left = [f"bereik for {service.config.municipality} (FastAGI on {service.config.pbx.agi})" for service in running]
    for service in running:
        try:
            await stop(service)
        except Exception:  # a service whose start failed half-way: what it did open is closed
            log.exception("stopping a bereik %s left running", request.node.nodeid)
    if left and not getattr(request.node, "call_failed", True):
        pytest.fail(f"{request.node.nodeid} left running (stopped now): " + ", ".join(left), pytrace=False)


_finished_tests: list[str] = []  # every test this process ran, in order, whatever its fixtures
_checked_after = 0  # how many of _finished_tests had finished when the last end-to-end test began
_running: _Running | None = None


def pytest_runtest_logfinish(nodeid, location):
    _finished_tests.append(nodeid)


@pytest.fixture(autouse=True)
def _nothing_left_by_earlier_tests():
    """Before every end-to-end test, whatever its fixtures: no SIPp party, `bereik run` or Asterisk of an earlier
    test is left in this process's network. What is, is stopped, with the fixtures' Asterisk (it may still be
    retransmitting to a stopped phone), and fails this test naming it; the tests after it start clean."""
    global _checked_after
    since, _checked_after = _finished_tests[_checked_after:], len(_finished_tests)
    current = _running.current if _running else None
    left = left_in_network(current)
    if left:
        clear_network(current)
        if _running:
            _running.stop()
        fail_for_leftovers(left, since)


@pytest.fixture(scope="session")
def _running_asterisk(sandbox_root):
    global _running
    _running = _Running(sandbox_root)
    yield _running
    _running.stop()
    _running = None


@pytest.fixture
def asterisk(_running_asterisk, request) -> Callable[..., Asterisk]:
    """asterisk(config_dir, restart=False) -> a running Asterisk with that config.

    Kept running across tests that use the same directory. Before it is handed to a test it is
    proven quiet (see _Running); after the test every channel is hung up.
    """
    used: list[Asterisk] = []
    log_from: dict[Path, int] = {}  # Asterisk's log, from where it stood when the test got it

    def start(config_dir: Path, *, restart: bool = False) -> Asterisk:
        instance = _running_asterisk.get(config_dir, restart, request.node.nodeid)
        used.append(instance)
        log_from.setdefault(instance.log_path, _size(instance.log_path))
        return instance

    yield start
    if getattr(request.node, "call_failed", False):  # what Asterisk said during the test, read before a restart
        for path, offset in log_from.items():
            request.node.add_report_section("teardown", f"Asterisk log {path.name}", _log_since(path, offset))
    current = _running_asterisk.current
    if used and current is not None:
        if not current.running:
            log_tail = current.log_tail()
            _running_asterisk.stop()
            pytest.fail(f"Asterisk died during the test:\n{log_tail}")
        _running_asterisk.wind_down()


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def _log_since(path: Path, offset: int, lines: int = 200) -> str:
    """The last `lines` lines written after `offset` (from the start if Asterisk restarted and began anew)."""
    try:
        with path.open("rb") as log:
            log.seek(offset if offset <= path.stat().st_size else 0)
            return "\n".join(log.read().decode(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log)"


@pytest.fixture
async def sipp(asterisk, _running_asterisk, tmp_path, request) -> Sipp:
    """SIPp callers and phones (logs in tmp_path); none survive the test.

    Calls are hung up while the parties still run, so that each answers Asterisk's BYE or CANCEL
    and Asterisk has nothing left to retransmit to their addresses. The waiting happens off the
    event loop: a bereik in this process must still answer the hang-up handlers' FastAGI. A failed
    test's report shows the parties that failed, with their errors (a caller that never called).
    """
    parties = Sipp(workdir=tmp_path / "sipp")
    yield parties
    failed = [party.report() for party in parties.processes if party.returncode not in (None, 0)]
    if failed:
        request.node.add_report_section("teardown", "sipp parties that failed", "\n\n".join(failed))
    current = _running_asterisk.current
    try:
        if current is not None and current.running:
            # An unanswered leg's CANCEL waits for the phone's first reply: on a loaded machine more than 5 s (ci95).
            await asyncio.to_thread(current.hangup_all, 15)
            alive = {party.address for party in parties.processes if party.returncode is None}
            await asyncio.to_thread(_running_asterisk.settle, alive)
    finally:  # whatever happened, no party of this test rings in the next one's (ci95)
        parties.stop_all()


class AmiRecorder:
    """Every AMI event of one connection, in order, with a way to wait for one."""

    def __init__(self, manager: Manager):
        self.manager = manager
        self.key_cues: KeyCues | None = None  # set by the ami fixture
        self.events: list[AmiEvent] = []
        self._arrived = asyncio.Condition()
        manager.register_event("*", self._record)

    async def _record(self, _manager, message) -> None:
        async with self._arrived:
            self.events.append(dict(message))
            self._arrived.notify_all()

    def matching(self, name: str, predicate: Callable[[AmiEvent], bool] = lambda _: True) -> list[AmiEvent]:
        return [e for e in self.events if e.get("Event") == name and predicate(e)]

    async def wait_for_event(
        self, name: str, predicate: Callable[[AmiEvent], bool] = lambda _: True, timeout: float = 10.0
    ) -> AmiEvent:
        """The first event called `name` that satisfies `predicate`, recorded or still to come."""
        async with self._arrived:
            try:
                await asyncio.wait_for(self._arrived.wait_for(lambda: self.matching(name, predicate)), timeout)
            except TimeoutError:
                seen = sorted({e.get("Event", "?") for e in self.events})
                raise AssertionError(f"no {name} event within {timeout} s; seen: {seen}") from None
            return self.matching(name, predicate)[0]

    def summary(self, last: int = 400) -> str:
        """The last events, one line each with the time Asterisk stamped and the fields that say what happened."""
        shown = [e for e in self.events if e.get("Event") not in _UNSHOWN_EVENTS][-last:]
        return "\n".join(" ".join([_clock(e.get("Timestamp")), e.get("Event", "?"), *(
            f"{key}={e[key]}" for key in _SHOWN_FIELDS if e.get(key))]) for e in shown)

    async def tell(self, channel: str) -> None:
        """Cue the SIPp caller on `channel` whose next key waits for "told" (see KeyCues)."""
        await asyncio.to_thread(self.key_cues.tell, channel)

    async def send_action(self, action: dict[str, str], timeout: float = 10.0):
        # panoramisk 1.4 (issue #90) drops the connection on a "successfully queued"
        # reply to an action without an Async header.
        action.setdefault("Async", "true" if action["Action"].lower() == "originate" else "false")
        return await asyncio.wait_for(self.manager.send_action(action), timeout)


_UNSHOWN_EVENTS = {"RTCPSent", "RTCPReceived", "VarSet", "Cdr", "Registry", "FullyBooted"}
_SHOWN_FIELDS = ("Channel", "DestChannel", "Uniqueid", "Linkedid", "CallerIDNum", "Exten", "Context", "Application",
                 "AppData", "Queue", "Interface", "Paused", "Position", "DialStatus", "Result", "TransfereeChannel",
                 "TransferTargetChannel", "SecondTransfererChannel", "Cause", "Response", "Message", "UserEvent",
                 "Command", "Status", "State", "Device")


def _clock(timestamp: str | None) -> str:
    """An AMI Timestamp as the wall-clock time of day (as the `bereik run` logs of the test are stamped)."""
    try:
        milliseconds = round(float(timestamp) * 1000)
    except (TypeError, ValueError):
        return "--:--:--.---"
    return f"{time.strftime('%H:%M:%S', time.localtime(milliseconds // 1000))}.{milliseconds % 1000:03d}"


@pytest.fixture
async def ami(failure_report):
    """await ami(asterisk) -> an AmiRecorder logged in to that Asterisk's AMI.

    The latest connection to each Asterisk also cues the SIPp callers' keys (KeyCues). A failed test's report
    shows the last events of each connection."""
    managers: list[Manager] = []
    cues: dict[tuple[str, int], KeyCues] = {}

    async def connect(instance: Asterisk, timeout: float = 5.0) -> AmiRecorder:
        login = instance.ami
        manager = Manager(
            host=login.host, port=login.port, username=login.username, secret=login.secret,
            loop=asyncio.get_running_loop(),
        )
        recorder = AmiRecorder(manager)
        managers.append(manager)
        failure_report[f"AMI events of {login.host}:{login.port} (connection {len(managers)})"] = recorder.summary
        await manager.connect()
        deadline = time.monotonic() + timeout
        while not manager.authenticated:
            if time.monotonic() > deadline:
                raise AssertionError(f"AMI login as {login.username!r} failed")
            await asyncio.sleep(0.02)
        if (login.host, login.port) in cues:  # an Asterisk started again: the newest connection cues
            cues[login.host, login.port].close()
        cues[login.host, login.port] = recorder.key_cues = await asyncio.to_thread(KeyCues, login)
        failure_report[f"key cues sent to {login.host}:{login.port}"] = lambda: "\n".join(recorder.key_cues.sent)
        return recorder

    yield connect
    for each in cues.values():
        each.close()
    for manager in managers:
        manager.close()
