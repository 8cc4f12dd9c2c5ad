"""The store unavailable (locked, disk full, PostgreSQL down): records wait in the spool, or in
memory when even the spool cannot be written, and reach the store once, all of them, when it is back."""
import logging
import os
import sqlite3
import subprocess
import time
from zoneinfo import ZoneInfo

import pytest

from bereik.records.recorder import Recorder
from bereik.records.spool import Spool, default_directory
from bereik.records.store import PostgresStore, SqliteStore
from bereik.sandbox.postgres import Cluster
from tests.ami_facts import told

from .calls import front_office_call

ZONE = ZoneInfo("Europe/Amsterdam")
FRONT = frozenset({"14023"})
MONDAY_10 = 1795424400.0  # 2026-11-23 10:00 Amsterdam
STEPS = ["entered", "answered", "queued", "agent_answered", "hung_up", "agent_completed"]


def recorder_for(store, spool) -> Recorder:
    recorder = Recorder(store, ZONE, FRONT, clock=lambda: MONDAY_10 + 3600,
                        spool=spool, retry_seconds=0.05)
    recorder.start()
    return recorder


def calls(first: int, count: int) -> dict[str, list[dict]]:
    return {f"c{n}": front_office_call(f"c{n}", MONDAY_10 + n * 60, wait=5 + n) for n in range(first, first + count)}


def caught_up(recorder: Recorder, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while recorder.writer.behind:
        assert time.monotonic() < deadline, "the recorder did not write what waited once the store was back"
        time.sleep(0.02)


def assert_each_call_once_and_whole(store, wanted: dict[str, list[dict]]) -> None:
    rows = list(store.calls(0, 2e10))
    assert sorted(r.call_id for r in rows) == sorted(wanted), "a call is missing or extra"
    for row in rows:
        assert [s.what for s in store.journey(row.call_id).steps] == STEPS, row.call_id
        n = int(row.call_id[1:])
        assert (row.agent, row.wait_seconds, row.ended_at is not None) == ("Anna", 5 + n, True)


def spooled_calls(spool: Spool) -> set[str]:
    return {u.call.call_id for batch in spool.batches() for u in batch}


def test_a_batch_survives_the_spool_as_it_went_in(tmp_path):
    from bereik.records.journey import JourneyBook
    from bereik.records.store import update_for
    from bereik.records.summary import summarise

    book = JourneyBook()
    for event in front_office_call("c1", MONDAY_10, wait=15):
        told(book, event)
    journey = book.journeys["c1"]
    batch = [update_for(journey, summarise(journey, ZONE, FRONT), journey.steps)]
    spool = Spool(tmp_path / "spool")
    assert not spool and spool.batches() == []
    spool.append(batch)
    spool.append(batch)
    with open(spool.path, "ab") as torn:
        torn.write(b'[[["c2", 1795')  # a crash in the middle of an append
    assert spool and spool.batches() == [batch, batch]
    spool.clear()
    assert not spool


def test_the_spool_lives_next_to_the_sqlite_file_by_default():
    assert default_directory("/var/lib/bereik/calls.sqlite3") == default_directory("/var/lib/bereik/calls.sqlite3")
    assert str(default_directory("/var/lib/bereik/calls.sqlite3")).startswith("/var/lib/bereik/calls.sqlite3")
    assert "@" not in str(default_directory("postgresql://bereik:secret@db/calls"))


def test_a_locked_sqlite_store_spools_and_gets_every_call_once_when_unlocked(tmp_path):
    path = tmp_path / "calls.sqlite3"
    store = SqliteStore(path, busy_seconds=0.1)
    spool = Spool(tmp_path / "spool")
    recorder = recorder_for(store, spool)
    before, during = calls(0, 2), calls(2, 3)
    for events in before.values():
        for event in events:
            told(recorder, event)
    recorder.flush()

    other = sqlite3.connect(path, isolation_level=None)  # another program holding the database
    other.execute("BEGIN EXCLUSIVE")
    for events in during.values():
        for event in events:
            told(recorder, event)
    recorder.flush()
    assert spooled_calls(spool) == set(during), "on disk while the store is locked"
    other.execute("ROLLBACK")
    other.close()

    caught_up(recorder)
    recorder.close()
    assert not spool
    assert_each_call_once_and_whole(store, before | during)


def test_bereik_restarted_while_the_store_was_locked_writes_the_spool_and_picks_up_open_calls(tmp_path):
    path = tmp_path / "calls.sqlite3"
    store = SqliteStore(path, busy_seconds=0.1)
    spool = Spool(tmp_path / "spool")
    first = recorder_for(store, spool)
    events = calls(0, 3)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    for call in events.values():
        for event in call[:3]:  # entered, answered, queued: then bereik stops
            told(first, event)
    first.close()
    assert spooled_calls(spool) == set(events)
    other.execute("ROLLBACK")
    other.close()

    second = recorder_for(store, Spool(tmp_path / "spool"))
    assert not spool, "replayed at start"
    assert sorted(second.book.journeys) == sorted(events), "the spooled calls are open and picked up"
    for call in events.values():
        for event in call[3:]:
            told(second, event)
    second.close()
    assert_each_call_once_and_whole(store, events)


@pytest.fixture
def tiny_disk(tmp_path):
    """A real file system of 512 KiB, mounted for the test."""
    if os.geteuid() != 0:
        pytest.fail("mounting a tmpfs needs root; the disk-full test cannot run otherwise")
    disk = tmp_path / "disk"
    disk.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(disk)], check=True)
    yield disk
    subprocess.run(["umount", "-l", str(disk)], check=True)


def fill(disk) -> None:
    with open(disk / "filler", "wb", buffering=0) as filler:
        try:
            while True:
                filler.write(b"\0" * 4096)
        except OSError:
            pass


def test_a_full_disk_keeps_records_in_memory_and_writes_them_once_when_there_is_room(tiny_disk, caplog):
    store = SqliteStore(tiny_disk / "calls.sqlite3", busy_seconds=0.1)
    spool = Spool(default_directory(str(store.path)))  # on the same full disk
    recorder = recorder_for(store, spool)
    before, during = calls(0, 2), calls(2, 20)
    for events in before.values():
        for event in events:
            told(recorder, event)
    recorder.flush()

    fill(tiny_disk)
    with caplog.at_level(logging.ERROR, logger="bereik.records.recorder"):
        for events in during.values():
            for event in events:
                told(recorder, event)
        recorder.flush()
    assert "cannot write the call-record spool" in caplog.text
    assert recorder.writer.behind and not spooled_calls(spool)

    (tiny_disk / "filler").unlink()
    caught_up(recorder)
    recorder.close()
    assert_each_call_once_and_whole(store, before | during)


def test_postgresql_stopped_and_started_again_loses_no_call_and_doubles_none(tmp_path):
    with Cluster() as cluster:
        store = PostgresStore(cluster.dsn)
        spool = Spool(tmp_path / "spool")
        recorder = recorder_for(store, spool)
        before, during = calls(0, 2), calls(2, 3)
        for events in before.values():
            for event in events[:3]:
                told(recorder, event)
        recorder.flush()

        cluster.pause()
        for events in before.values():
            for event in events[3:]:  # the ends of the calls that began before
                told(recorder, event)
        for events in during.values():
            for event in events:
                told(recorder, event)
        recorder.flush()
        assert spooled_calls(spool) == set(before | during)

        cluster.resume()
        caught_up(recorder)
        recorder.close()
        store.close()
        reader = PostgresStore(cluster.dsn)  # a report's connection, made after the restart
        try:
            assert_each_call_once_and_whole(reader, before | during)
        finally:
            reader.close()


def test_bereik_starts_while_the_store_is_locked_and_writes_once_it_is_free(tmp_path):
    path = tmp_path / "calls.sqlite3"
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")  # held before bereik opens the store: not even its tables can be made
    store = SqliteStore(path, busy_seconds=0.1)
    spool = Spool(tmp_path / "spool")
    recorder = recorder_for(store, spool)
    events = calls(0, 2)
    for call in events.values():
        for event in call:
            told(recorder, event)
    recorder.flush()
    assert spooled_calls(spool) == set(events)
    other.execute("ROLLBACK")
    other.close()

    caught_up(recorder)
    recorder.close()
    assert_each_call_once_and_whole(store, events)
