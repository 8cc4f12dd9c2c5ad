"""The store writer gathers a batch for a moment after its first update: one transaction for what a busy minute
sends in a burst, and a flush never waits for that moment to pass."""
import threading
import time
from zoneinfo import ZoneInfo

from bereik.records.journey import JourneyBook
from bereik.records.recorder import StoreWriter
from bereik.records.store import SqliteStore, update_for
from bereik.records.summary import summarise
from tests.ami_facts import told

from .calls import front_office_call

ZONE = ZoneInfo("Europe/Amsterdam")
MONDAY_10 = 1795424400.0  # 2026-11-23 10:00 Amsterdam


class CountingStore:
    """Takes batches as a store does, and keeps their sizes."""

    def __init__(self):
        self.batches: list[int] = []
        self.written = threading.Event()

    def write(self, updates):
        self.batches.append(len(list(updates)))
        self.written.set()


def updates(count: int):
    book = JourneyBook()
    for n in range(count):
        for event in front_office_call(f"c{n}", MONDAY_10 + n * 60, wait=5):
            told(book, event)
    return [update_for(journey, summarise(journey, ZONE, frozenset({"14023"})), journey.steps)
            for journey in book.journeys.values()]


def test_updates_that_come_in_within_the_moment_are_one_batch():
    store = CountingStore()
    writer = StoreWriter(store, gather_seconds=1.0)
    try:
        for update in updates(5):
            writer.put(update)
            time.sleep(0.02)  # a busy line: the writer is awake for each one
        assert store.written.wait(5), "nothing was written"
        assert store.batches == [5]
    finally:
        writer.close()


def test_a_flush_writes_at_once_without_waiting_for_the_moment():
    store = CountingStore()
    writer = StoreWriter(store, gather_seconds=60.0)
    try:
        writer.put(updates(1)[0])
        writer.flush(timeout=10)  # raises TimeoutError if it waited the 60 s
        assert store.batches == [1]
    finally:
        writer.close()


def test_a_lone_update_reaches_the_store_once_the_moment_is_over(tmp_path):
    store = SqliteStore(tmp_path / "calls.sqlite3")
    writer = StoreWriter(store, gather_seconds=0.05)
    try:
        writer.put(updates(1)[0])
        deadline = time.monotonic() + 10
        while store.count() == 0:
            assert time.monotonic() < deadline, "a lone update was never written"
            time.sleep(0.02)
        assert [row.call_id for row in store.calls(0, 2e10)] == ["c0"]
    finally:
        writer.close()
