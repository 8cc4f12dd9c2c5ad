"""Waiting for a SIPp party from a test: never by blocking the event loop that an in-process bereik runs in."""
import asyncio

import pytest

from bereik.sandbox.sipp import SippError, SippProcess


def party(tmp_path, seconds: float, status: int = 0) -> SippProcess:
    """A stand-in for sipp: a process that ends after `seconds` with `status`."""
    return SippProcess("party", ["sh", "-c", f"sleep {seconds}; exit {status}"], tmp_path)


async def test_a_coroutine_that_would_block_its_event_loop_on_a_party_is_told_to_await_it(tmp_path):
    with pytest.raises(SippError, match="would block the event loop; await succeeds"):
        party(tmp_path, 0).expect_success(timeout=5)


async def test_while_a_party_is_awaited_the_event_loop_serves_others(tmp_path):
    ticks = 0

    async def tick():
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.01)

    ticker = asyncio.ensure_future(tick())
    await party(tmp_path, 0.5).succeeds(timeout=5)
    ticker.cancel()
    assert ticks >= 10, "the loop stood still while the party ran"


async def test_a_party_that_fails_or_outlives_its_time_is_an_error_when_awaited(tmp_path):
    with pytest.raises(SippError, match="failed"):
        await party(tmp_path, 0, status=1).succeeds(timeout=5)
    with pytest.raises(SippError, match="still running after 0.2 s"):
        await party(tmp_path, 30).succeeds(timeout=0.2)


def test_outside_an_event_loop_a_party_is_waited_for_in_place(tmp_path):
    party(tmp_path, 0).expect_success(timeout=5)
