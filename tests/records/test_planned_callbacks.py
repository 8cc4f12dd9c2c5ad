"""Which callers have a call-back planned, as the entry asks on every call: read in bulk, again at once after a
change through this bereik, and after `fresh_seconds` for a change by another bereik sharing the store."""
from __future__ import annotations

import asyncio
import datetime as dt
import threading

import pytest

from bereik.callbacks.planned import PlannedCallbacks
from bereik.callbacks.store import AFTER_HOURS, APPOINTMENT, IVR, QUEUE, CallbackStore, Note
from bereik.records.store import SqliteStore
from tests.examples import example_config
from tests.polling import until

ZONE = example_config().zone
MONDAY = dt.datetime(2026, 11, 23, 10, 0, tzinfo=ZONE)


def note(key: str, number: str, **changes) -> Note:
    values = dict(key=key, number=number, name="", question="Terugbelverzoek", team="tic", created_at=MONDAY,
                  due_at=MONDAY + dt.timedelta(days=1), created_by="queue", kind=QUEUE)
    return Note(**{**values, **changes})


def test_open_requests_are_what_open_request_of_finds_for_each_number(store):
    notes = CallbackStore(store, ZONE)
    notes.add(note("q1", "0611111111"))
    notes.add(note("q2", "0611111111"))  # a second one for the same number: the first counts
    notes.add(note("a1", "0622222222", kind=AFTER_HOURS))
    notes.add(note("i1", "0633333333", kind=APPOINTMENT, created_by=IVR))
    notes.add(note("c1", "0644444444", kind=APPOINTMENT, created_by="avries"))  # a colleague's, not a request
    closed, _ = notes.add(note("x1", "0655555555"))
    notes.close_note(closed.id, "handled", "avries", MONDAY)
    numbers = ["0611111111", "0622222222", "0633333333", "0644444444", "0655555555"]
    requests = notes.open_requests()
    assert {n: (r.id if (r := requests.get(n)) else None) for n in numbers} == \
        {n: (r.id if (r := notes.open_request_of(n)) else None) for n in numbers}
    assert sorted(requests) == ["0611111111", "0622222222", "0633333333"]


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def test_a_change_here_is_seen_at_once_one_by_another_bereik_once_the_read_is_stale(tmp_path):
    path = tmp_path / "calls.sqlite3"
    here, elsewhere = CallbackStore(SqliteStore(path), ZONE), CallbackStore(SqliteStore(path), ZONE)
    clock = Clock()
    planned = PlannedCallbacks(here, fresh_seconds=1.0, clock=clock)
    await planned.read()
    assert not planned.due() and planned.of("0611111111") is None

    asked, _ = here.add(note("q1", "0611111111"))
    assert planned.due(), "a request added through this bereik must be read before the next caller"
    await planned.read()
    assert planned.of("0611111111").id == asked.id

    elsewhere.add(note("q2", "0622222222"))
    clock.now += 0.5
    assert not planned.due() and planned.of("0622222222") is None  # another bereik's request, not yet read
    clock.now += 0.5
    assert planned.due()
    await planned.read()
    assert planned.of("0622222222") is not None

    here.close_note(asked.id, "handled", "avries", MONDAY)
    assert planned.due()
    await planned.read()
    assert planned.of("0611111111") is None


class SlowStore:
    """Answers `open_requests` when the test lets it, counting the reads."""

    changes = 0

    def __init__(self):
        self.reads = 0
        self.released = threading.Event()

    def open_requests(self):
        self.reads += 1
        self.released.wait(30)
        return {"0611111111": "the request"}


async def test_callers_while_a_read_is_under_way_share_it_and_one_that_stops_waiting_does_not_stop_it():
    store = SlowStore()
    planned = PlannedCallbacks(store)
    impatient = asyncio.ensure_future(asyncio.wait_for(planned.read(), 0.05))
    waiting = [asyncio.ensure_future(planned.read()) for _ in range(3)]
    with pytest.raises(TimeoutError):
        await impatient
    store.released.set()
    await asyncio.gather(*waiting)
    assert store.reads == 1 and planned.of("0611111111") == "the request" and not planned.due()


async def test_a_failed_read_is_tried_again_by_the_next_caller():
    class Refusing(SlowStore):
        def open_requests(self):
            self.reads += 1
            if self.reads == 1:
                raise ConnectionError("connection timeout expired")
            return {}

    store = Refusing()
    planned = PlannedCallbacks(store)
    with pytest.raises(ConnectionError):
        await planned.read()
    assert planned.due()
    await planned.read()
    assert store.reads == 2 and not planned.due()


class ChangingStore(SlowStore):
    """Blocks in `open_requests` while `released` is clear; answers with `requests` at the time."""

    def __init__(self, requests):
        super().__init__()
        self.requests = requests

    def open_requests(self):
        self.reads += 1
        self.released.wait(30)
        return dict(self.requests)


async def test_a_read_that_is_merely_old_is_done_again_while_callers_are_answered_from_the_last():
    store = ChangingStore({"0611111111": "the first request"})
    store.released.set()
    clock = Clock()
    planned = PlannedCallbacks(store, fresh_seconds=1.0, clock=clock)
    await planned.refresh()  # the first read is waited for
    assert planned.of("0611111111") == "the first request"

    store.released.clear()
    store.requests = {"0622222222": "another bereik's request"}
    clock.now += 1.0
    await asyncio.wait_for(planned.refresh(), 1)  # does not wait for the store, which does not answer
    await asyncio.wait_for(planned.refresh(), 1)  # nor starts a second read
    assert planned.of("0611111111") == "the first request" and planned.of("0622222222") is None
    store.released.set()
    await until(lambda: planned.of("0622222222") is not None, 5, "the background read")
    assert store.reads == 2 and planned.of("0611111111") is None


async def test_after_a_change_here_the_next_caller_waits_for_the_read():
    store = ChangingStore({})
    store.released.set()
    planned = PlannedCallbacks(store, fresh_seconds=60.0, clock=Clock())
    await planned.refresh()
    store.released.clear()
    store.requests, store.changes = {"0611111111": "asked just now"}, 1
    waiting = asyncio.ensure_future(planned.refresh())
    await asyncio.sleep(0.05)
    assert not waiting.done()
    store.released.set()
    await asyncio.wait_for(waiting, 5)
    assert planned.of("0611111111") == "asked just now"


async def test_a_background_read_that_fails_is_logged_and_tried_again_by_the_next_caller(caplog):
    class FailingOnce(ChangingStore):
        def open_requests(self):
            if self.reads == 1:
                self.reads += 1
                raise ConnectionError("connection timeout expired")
            return super().open_requests()

    store = FailingOnce({"0611111111": "the request"})
    store.released.set()
    clock = Clock()
    planned = PlannedCallbacks(store, fresh_seconds=1.0, clock=clock)
    await planned.refresh()
    clock.now += 1.0
    await planned.refresh()
    await until(lambda: "call-back store could not be read (ConnectionError)" in caplog.text, 5, "the warning")
    assert planned.of("0611111111") == "the request"  # the last read stands
    await planned.refresh()
    await until(lambda: store.reads == 3, 5, "the second background read")
    assert caplog.text.count("could not be read") == 1
