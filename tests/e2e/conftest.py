"""End-to-end fixtures: a real Asterisk in the sandbox chroot, SIPp parties, AMI events.

Nothing here skips: without the chroot, sipp or root rights the tests fail loudly.
"""

from __future__ import annotations

import asyncio
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from panoramisk import Manager

from bereik.sandbox import Asterisk, ami_login_from, build_root
from bereik.sandbox.sipp import Sipp

CONFIGS = Path(__file__).with_name("configs")
sys.path.insert(0, str(Path(__file__).parent))  # for helpers.py
AmiEvent = dict[str, str]


def pytest_collection_modifyitems(items):
    for item in items:
        if Path(item.fspath).is_relative_to(Path(__file__).parent):
            item.add_marker(pytest.mark.asterisk)


@pytest.fixture(scope="session")
def sandbox_root() -> Path:
    missing = [tool for tool in ("sipp", "mmdebstrap", "unshare", "chroot") if not shutil.which(tool)]
    if missing:
        pytest.fail(f"missing {', '.join(missing)}: run scripts/install-system.sh")
    return build_root()


class _Running:
    """The one Asterisk of the session; a test asking for another config restarts it."""

    def __init__(self, root: Path):
        self.root = root
        self.current: Asterisk | None = None

    def get(self, config_dir: Path, restart: bool) -> Asterisk:
        config_dir = Path(config_dir).resolve()
        if self.current and self.current.running and self.current.config_dir == config_dir and not restart:
            return self.current
        self.stop()
        self.current = Asterisk(config_dir, ami_login_from(config_dir), root=self.root)
        self.current.start()
        return self.current

    def stop(self) -> None:
        if self.current:
            self.current.stop()
            self.current = None


@pytest.fixture(scope="session")
def _running_asterisk(sandbox_root):
    running = _Running(sandbox_root)
    yield running
    running.stop()


@pytest.fixture
def asterisk(_running_asterisk) -> Callable[..., Asterisk]:
    """asterisk(config_dir, restart=False) -> a running Asterisk with that config.

    Kept running across tests that use the same directory; after each test every
    channel is hung up and none may survive.
    """
    used: list[Asterisk] = []

    def start(config_dir: Path, *, restart: bool = False) -> Asterisk:
        instance = _running_asterisk.get(config_dir, restart)
        used.append(instance)
        return instance

    yield start
    current = _running_asterisk.current
    if used and current is not None:
        if not current.running:
            pytest.fail(f"Asterisk died during the test:\n{current.log_tail()}")
        current.hangup_all()
        assert current.active_channels() == 0, "channels leaked into the next test"


@pytest.fixture
def sipp(asterisk, tmp_path) -> Sipp:
    """SIPp callers and phones (logs in tmp_path); none survive the test."""
    parties = Sipp(workdir=tmp_path / "sipp")
    yield parties
    parties.stop_all()


class AmiRecorder:
    """Every AMI event of one connection, in order, with a way to wait for one."""

    def __init__(self, manager: Manager):
        self.manager = manager
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

    async def send_action(self, action: dict[str, str], timeout: float = 10.0):
        # panoramisk 1.4 (issue #90) drops the connection on a "successfully queued"
        # reply to an action without an Async header.
        if action["Action"].lower() == "originate":
            action.setdefault("Async", "true")
        elif action["Action"].lower() == "atxfer":
            action.setdefault("Async", "false")
        return await asyncio.wait_for(self.manager.send_action(action), timeout)


@pytest.fixture
async def ami():
    """await ami(asterisk) -> an AmiRecorder logged in to that Asterisk's AMI."""
    managers: list[Manager] = []

    async def connect(instance: Asterisk, timeout: float = 5.0) -> AmiRecorder:
        login = instance.ami
        manager = Manager(
            host=login.host, port=login.port, username=login.username, secret=login.secret,
            loop=asyncio.get_running_loop(),
        )
        recorder = AmiRecorder(manager)
        managers.append(manager)
        await manager.connect()
        deadline = time.monotonic() + timeout
        while not manager.authenticated:
            if time.monotonic() > deadline:
                raise AssertionError(f"AMI login as {login.username!r} failed")
            await asyncio.sleep(0.02)
        return recorder

    yield connect
    for manager in managers:
        manager.close()
