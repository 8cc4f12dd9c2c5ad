"""A console with a fake AMI and a fake directory login, served on a test port."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

sys.path.insert(0, str(Path(__file__).parent))

from bereik.audit import AuditLog  # noqa: E402
from bereik.records.store import SqliteStore  # noqa: E402
from console_helpers import Clock, Console, Desk, FakeAmi, FakeDirectory, Mailer, CallbackStore, console_config, dt  # noqa: E402
from tests.examples import example_config  # noqa: E402


@pytest.fixture
def clock():
    return Clock(dt.datetime(2026, 11, 23, 10, 0, tzinfo=example_config().zone))


@pytest.fixture
def console(tmp_path, clock):
    config = console_config(tmp_path / "recordings")
    ami = FakeAmi()
    store = CallbackStore(tmp_path / "callbacks.sqlite3")
    desk = Desk(config, ami, store, clock)
    mailer = Mailer("127.0.0.1", config.console.smtp_port, "bereik@test", config.zone, timeout=0.5)
    records = SqliteStore(tmp_path / "calls.sqlite3")
    built = Console(config, desk, store, mailer, FakeDirectory(), clock=clock, audit_log=AuditLog(records))
    built.ami = ami
    yield built
    records.close()


@pytest.fixture
async def client(console):
    async with TestClient(TestServer(console.app())) as test_client:
        yield test_client


