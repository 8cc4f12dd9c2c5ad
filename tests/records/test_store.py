"""The call-record store, the same tests against SQLite and a real PostgreSQL."""
import threading
from zoneinfo import ZoneInfo

from bereik.records.journey import JourneyBook
from bereik.records.recorder import Recorder
from bereik.records.store import SqliteStore, update_for
from bereik.records.summary import summarise
from tests.ami_facts import told

from .calls import front_office_call

ZONE = ZoneInfo("Europe/Amsterdam")
FRONT = frozenset({"14023"})
MONDAY_10 = 1795424400.0  # 2026-11-23 10:00 Amsterdam


def recorded(store, events):
    recorder = Recorder(store, ZONE, FRONT, clock=lambda: MONDAY_10 + 3600)
    recorder.start()
    for event in events:
        told(recorder, event)
    recorder.close()
    return recorder


def test_a_call_is_kept_with_its_whole_journey(store):
    recorded(store, front_office_call("c1", MONDAY_10, wait=15))

    journey = store.journey("c1")
    assert [s.what for s in journey.steps] == ["entered", "answered", "queued", "agent_answered", "hung_up",
                                               "agent_completed"]
    assert journey.labels["topic"] == "afval" and journey.ended
    [row] = store.calls(MONDAY_10 - 1, MONDAY_10 + 1)
    assert (row.kind, row.queue, row.agent, row.wait_seconds, row.talk_seconds) == ("front", "tic", "Anna", 15, 60)
    assert (row.day, row.hour, row.weekday) == ("2026-11-23", 10, 0)


def test_the_same_events_twice_make_one_record(store):
    events = front_office_call("c1", MONDAY_10, wait=15)
    recorded(store, events)
    recorded(store, events + events)

    assert store.count() == 1
    assert len(store.journey("c1").steps) == 6


def test_an_update_written_twice_changes_nothing(store):
    book = JourneyBook()
    for event in front_office_call("c1", MONDAY_10, wait=15):
        told(book, event)
    journey = book.journeys["c1"]
    update = update_for(journey, summarise(journey, ZONE, FRONT), journey.steps)
    store.write([update])
    store.write([update, update])
    assert store.count() == 1 and len(store.journey("c1").steps) == 6


def test_a_call_still_in_progress_is_open_and_picked_up_after_a_restart(store):
    events = front_office_call("c1", MONDAY_10, wait=15)
    recorded(store, events[:3])  # entered, answered, queued: then bereik stopped

    [open_call] = store.open_journeys(since=MONDAY_10 - 60)
    assert [s.what for s in open_call.steps] == ["entered", "answered", "queued"]
    recorded(store, events[3:])  # the new run knows the call from the store
    assert [s.what for s in store.journey("c1").steps][-3:] == ["agent_answered", "hung_up", "agent_completed"]
    assert store.open_journeys(since=MONDAY_10 - 60) == []
    [row] = store.calls(MONDAY_10 - 1, MONDAY_10 + 1)
    assert row.wait_seconds == 15 and row.ended_at is not None


def test_calls_are_listed_by_start_time_within_the_period(store):
    for n in range(5):
        recorded(store, front_office_call(f"c{n}", MONDAY_10 + n * 600, wait=5))
    rows = list(store.calls(MONDAY_10 + 600, MONDAY_10 + 1800))
    assert [r.call_id for r in rows] == ["c1", "c2"]


def test_retention_deletes_old_calls_and_their_steps(store):
    recorded(store, front_office_call("old", MONDAY_10 - 500 * 86400, wait=5))
    recorded(store, front_office_call("new", MONDAY_10, wait=5))

    assert store.purge(MONDAY_10 - 400 * 86400) == 1
    assert store.journey("old") is None and store.journey("new") is not None


def direct(call_id, steps):
    from bereik.records.journey import Journey, Step

    journey = Journey(call_id, dialled="0235111301")
    journey.steps = [Step(MONDAY_10 + t, what, detail) for t, what, detail in steps]
    journey.ended = True
    return summarise(journey, ZONE, FRONT)


def test_a_direct_call_is_reached_when_the_colleague_or_a_pickup_answers_not_when_it_falls_back():
    rang = (1, "rang", {"to": "301"})
    answered = direct("a", [(0, "entered", {}), rang, (6, "ring_ended", {"to": "301", "status": "ANSWER"}),
                            (6, "answered", {}), (90, "hung_up", {})])
    picked = direct("b", [(0, "entered", {}), rang, (8, "picked_up", {"ringing": "301", "by": "302"}),
                          (90, "hung_up", {})])
    fell_back = direct("c", [(0, "entered", {}), rang, (21, "ring_ended", {"to": "301", "status": "NOANSWER"}),
                             (21.5, "answered", {}), (25, "queued", {"queue": "tic", "tried": "301", "failed": "noanswer"}),
                             (30, "agent_answered", {"agent": "Anna"}), (90, "hung_up", {})])
    camped = direct("d", [(0, "entered", {}), rang, (3, "answered", {}), (4, "camped", {"colleague": "301"}),
                          (60, "colleague_answered", {"colleague": "301"}), (120, "hung_up", {})])
    # The colleague was on the phone (no ringing): the dialplan's own Answer(), then camp-on until the maximum.
    camped_fell_back = direct("e", [(0, "entered", {}), (0.5, "answered", {}), (3, "camped", {"colleague": "301"}),
                                    (183, "queued", {"queue": "tic", "tried": "301", "failed": "camp_timeout"}),
                                    (200, "hung_up", {})])
    assert [(r.kind, r.direct_answered, r.fallback) for r in (answered, picked, fell_back, camped, camped_fell_back)] == [
        ("direct", True, False), ("direct", True, False), ("direct", False, True), ("direct", True, False),
        ("direct", False, True)]
    assert fell_back.wait_seconds == 5 and fell_back.agent == "Anna"  # and it counts for the TIC's queue


def test_the_sqlite_store_closes_once_a_read_under_way_in_another_thread_is_done(tmp_path):
    """Closed under a read in another thread, sqlite3 crashed the interpreter (a calamity read while bereik stopped)."""
    store = SqliteStore(tmp_path / "calls.sqlite3")
    for n in range(3):
        recorded(store, front_office_call(f"c{n}", MONDAY_10 + n, wait=5))
    reading, first_read, read_on = store.calls(MONDAY_10 - 1, MONDAY_10 + 10), threading.Event(), threading.Event()
    rows = []

    def read() -> None:
        rows.append(next(reading))
        first_read.set()
        read_on.wait(10)
        rows.extend(reading)

    reader = threading.Thread(target=read)
    reader.start()
    assert first_read.wait(10)
    closing = threading.Thread(target=store.close)
    closing.start()
    closing.join(0.3)
    assert closing.is_alive(), "closed under the read"
    read_on.set()
    reader.join(10)
    closing.join(10)
    assert [row.call_id for row in rows] == ["c0", "c1", "c2"] and not closing.is_alive()
