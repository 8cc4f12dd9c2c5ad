"""Small helpers the end-to-end tests share (importable: conftest puts this folder on sys.path)."""
from __future__ import annotations

import asyncio
import time
from pathlib import Path

from bereik.config.model import Config
from bereik.pbx import dialplan
from bereik.secrets import Secrets

# A test-only AMI user that sees everything (bereik's own user cannot see dialplan events).
OBSERVER = ("observer", "observer-secret-for-tests-only")


def write_config_with_observer(config: Config, secrets: Secrets, directory: Path, source: str,
                               write: str = "call") -> Path:
    """The configuration `bereik dialplan` writes, plus the observer AMI user with the `write` classes."""
    dialplan.write(dialplan.generate(config, secrets, source=source), directory)
    with open(directory / "manager.conf", "a") as manager:
        manager.write(f"\n[{OBSERVER[0]}]\nsecret={OBSERVER[1]}\nread=all\nwrite={write}\n")
    return directory


def variable(event: dict, name: str) -> str | None:
    """A channel variable carried in an AMI event (manager.conf channelvars)."""
    values = event.get("ChanVariable", [])
    values = values if isinstance(values, list) else [values]
    return dict(v.split("=", 1) for v in values if "=" in v).get(name)


def from_outside(event: dict) -> bool:
    """Events of the caller's own channel (SIPp callers come in over the trunk)."""
    return event.get("Channel", "").startswith("PJSIP/trunk-")


async def ended_journey(store, call_id: str, timeout: float = 10.0):
    """The journey once the store has its hang-up (the recorder writes from its own thread)."""
    deadline = time.monotonic() + timeout
    while True:
        journey = await asyncio.to_thread(store.journey, call_id)
        if journey is not None and journey.ended:
            return journey
        if time.monotonic() > deadline:
            raise AssertionError(f"the store has no ended journey for the call; it has {journey}")
        await asyncio.sleep(0.2)


def kinds(journey) -> list[str]:
    return [step.what for step in journey.steps]


async def until(read, done, timeout: float = 10.0):
    """The value `read()` (in a thread) returns once `done(value)`, polled until `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = await asyncio.to_thread(read)
        if done(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached within {timeout} s: {value}")
        await asyncio.sleep(0.2)
