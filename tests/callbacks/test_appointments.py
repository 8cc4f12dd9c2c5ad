"""Call-back appointments against the local server that follows Graph's documented shapes (as the presence
tests do): free slots from getSchedule, the event created with the caller's question and the municipality's
zone across the change to summer time, and a slot taken meanwhile refused with a clear message."""
from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from tests.examples import example_config

sys.path.insert(0, str(Path(__file__).parents[1] / "presence"))
from fake_graph import CLIENT_ID, CLIENT_SECRET, TENANT, FakeGraph, busy, calendar  # noqa: E402

from bereik.callbacks.appointments import Appointments, SlotRefused, free_slots  # noqa: E402
from bereik.callbacks.store import APPOINTMENT, CallbackStore, Note, WorkingDays  # noqa: E402
from bereik.presence.graph import GraphClient, GraphSettings, parse_schedule  # noqa: E402

CONFIG = example_config()
ZONE = CONFIG.zone
EVA = "eva.smit@bloemendaal.test"
# Friday 27 March 2026; summer time starts Sunday 29 March at 02:00.
FRIDAY = dt.datetime(2026, 3, 27, 9, 0, tzinfo=ZONE)


class Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture
async def graph():
    fake = FakeGraph()
    server = TestServer(fake.app(), host="127.0.0.1")
    await server.start_server()
    fake.base = str(server.make_url("")).rstrip("/")
    yield fake
    await server.close()


@pytest.fixture
async def appointments(graph, tmp_path):
    async with aiohttp.ClientSession() as session:
        settings = GraphSettings(tenant_id=TENANT, client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
                                 schedule_mailbox="bereik@bloemendaal.test", authority_url=graph.base,
                                 graph_url=graph.base + "/v1.0")
        store = CallbackStore(tmp_path / "calls.sqlite3", ZONE)
        yield Appointments(CONFIG, GraphClient(settings, session, Clock(FRIDAY)), store)
        store.close()


def question():
    return Note(key="console-afspraak-1", number="0612345678", name="J. de Wit", question="Dakkapel: welke vergunning?",
                team="vergunningen", created_at=FRIDAY, due_at=FRIDAY, created_by="anna", department="vergunningen")


async def test_free_slots_come_from_get_schedule_within_working_hours_and_around_busy_items(graph, appointments):
    # Friday 13:00-16:00 local is taken (12:00-15:00 UTC in winter time); Monday 08:00-12:00 local too.
    graph.calendars[EVA] = calendar(busy("2026-03-27T12:00:00", "2026-03-27T15:00:00"),
                                    busy("2026-03-30T06:00:00", "2026-03-30T10:00:00", status="oof"))
    offered = await appointments.offer(EVA, FRIDAY)
    [asked] = [body for name, body in graph.requests if name == "getSchedule"]
    assert asked["schedules"] == [EVA]
    local = [slot.astimezone(ZONE).strftime("%a %H:%M") for slot in offered]
    assert local == ["Fri 10:00", "Fri 12:00", "Fri 16:00"]  # an hour ahead, not 13:00-16:00, till 17:00
    reading = parse_schedule({**graph.calendars[EVA], "scheduleId": EVA}, ZONE)
    monday = dt.datetime(2026, 3, 30, 0, 0, tzinfo=ZONE)
    slots = free_slots(reading, monday, monday + dt.timedelta(days=1), WorkingDays(CONFIG))
    # Summer time since Sunday: the working day still starts at 08:00 local, the absence ends at 12:00 local.
    assert slots[0].astimezone(ZONE).strftime("%H:%M") == "12:00" and slots[-1].astimezone(ZONE).strftime("%H:%M") == "16:45"
    assert slots[0].utcoffset() == dt.timedelta(hours=2)


async def test_booking_writes_the_event_in_local_time_with_the_zone_across_the_clock_change(graph, appointments):
    graph.calendars[EVA] = calendar()
    slot = dt.datetime(2026, 3, 30, 10, 30, tzinfo=ZONE)  # Monday, the first working day of summer time
    note = await appointments.book(EVA, slot, question(), owner="301", by="anna")
    [event] = graph.events[EVA]
    assert event["start"] == {"dateTime": "2026-03-30T10:30:00", "timeZone": "Europe/Amsterdam"}
    assert event["end"] == {"dateTime": "2026-03-30T10:45:00", "timeZone": "Europe/Amsterdam"}
    assert "Dakkapel: welke vergunning?" in event["body"]["content"] and "0612345678" in event["body"]["content"]
    assert event["subject"] == "Terugbelafspraak: J. de Wit"
    # Outlook shows it at 10:30: the calendar now says busy at 08:30 UTC.
    assert graph.calendars[EVA]["scheduleItems"][-1]["start"]["dateTime"].startswith("2026-03-30T08:30:00")
    assert (note.kind, note.owner, note.appointment_at) == (APPOINTMENT, "301", slot)
    assert note.due_at == slot + dt.timedelta(minutes=15)  # on time: called back within the appointment
    assert note.extra["event"] == event["id"]
    friday = dt.datetime(2026, 3, 27, 10, 30, tzinfo=ZONE)  # before the change: 09:30 UTC, still 10:30 local
    await appointments.book(EVA, friday, Note(**{**question().__dict__, "key": "console-afspraak-2"}), "301", "anna")
    assert graph.events[EVA][-1]["start"]["dateTime"] == "2026-03-27T10:30:00"
    assert graph.calendars[EVA]["scheduleItems"][-1]["start"]["dateTime"].startswith("2026-03-27T09:30:00")


async def test_a_slot_taken_meanwhile_is_refused_and_nothing_is_written(graph, appointments):
    graph.calendars[EVA] = calendar()
    [first, *_] = await appointments.offer(EVA, FRIDAY)
    # Someone else books a meeting over it between the offer and the caller's choice.
    graph.calendars[EVA]["scheduleItems"].append(busy(first.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S"),
                                                      (first + dt.timedelta(hours=1)).astimezone(dt.UTC)
                                                      .strftime("%Y-%m-%dT%H:%M:%S")))
    with pytest.raises(SlotRefused, match="is inmiddels bezet in de agenda van de collega; kies een ander tijdstip"):
        await appointments.book(EVA, first, question(), owner="301", by="anna")
    assert EVA not in graph.events and appointments.store.open_notes() == []
