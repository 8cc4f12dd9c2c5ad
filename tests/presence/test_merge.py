"""The merge rules, one row per situation the front office meets."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bereik.presence.merge import (
    Absence,
    CalendarItem,
    CalendarReading,
    Fact,
    Inputs,
    OutOfOffice,
    PhoneReading,
    WorkingHours,
    merge,
)
from bereik.presence.vocabulary import PhoneState, Source, Status, describe

AMS = ZoneInfo("Europe/Amsterdam")
NOW = dt.datetime(2026, 3, 4, 11, 0, tzinfo=AMS)  # a Wednesday
HOURS = WorkingHours(frozenset(range(5)), dt.time(8), dt.time(17), AMS)
MAX_AGE = dt.timedelta(minutes=10)


def at(hour: int, minute: int = 0, day: int = 4) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, minute, tzinfo=AMS)


def phone(state: PhoneState, up: bool = True) -> Fact:
    return Fact(PhoneReading(state, at(10)), at(10, 55), up)


def cal(*items: tuple[int, int, int, int, str], hours=HOURS, observed=at(10, 58), up=True) -> Fact:
    return Fact(CalendarReading(tuple(CalendarItem(at(a, b), at(c, d), s) for a, b, c, d, s in items), hours),
                observed, up, MAX_AGE)


def ooo(status: str, start=None, end=None, up=True) -> Fact:
    return Fact(OutOfOffice(status, start, end), at(10, 58), up, MAX_AGE)


IDLE, RINGING, IN_CALL = phone(PhoneState.IDLE), phone(PhoneState.RINGING), phone(PhoneState.IN_CALL)
HOLD, UNREG = phone(PhoneState.ON_HOLD), phone(PhoneState.UNAVAILABLE)
FREE = cal()
MEETING = cal((10, 30, 11, 30, "busy"), (11, 30, 12, 0, "busy"), (13, 0, 14, 0, "busy"))
SICK = Absence("p1", at(0, 0, 3), at(0, 0, 9), "ziek", "p2")  # back next Monday

ROWS = [
    # (description, inputs, status, source, until, substitute)
    ("idle phone, free calendar", dict(phone=IDLE, calendar=FREE), Status.AVAILABLE, Source.PHONE, None, ""),
    ("ringing", dict(phone=RINGING, calendar=FREE), Status.RINGING, Source.PHONE, None, ""),
    ("in a call", dict(phone=IN_CALL, calendar=FREE), Status.ON_THE_PHONE, Source.PHONE, None, ""),
    ("on hold is on the phone", dict(phone=HOLD, calendar=FREE), Status.ON_THE_PHONE, Source.PHONE, None, ""),
    ("back-to-back meetings end at 12:00", dict(phone=IDLE, calendar=MEETING), Status.IN_MEETING,
     Source.CALENDAR, at(12), ""),
    ("a call during a meeting shows the call", dict(phone=IN_CALL, calendar=MEETING), Status.ON_THE_PHONE,
     Source.PHONE, None, ""),
    ("tentative does not block", dict(phone=IDLE, calendar=cal((10, 0, 12, 0, "tentative"))),
     Status.AVAILABLE, Source.PHONE, None, ""),
    ("out of office in the calendar", dict(phone=IDLE, calendar=cal((9, 0, 17, 0, "oof"))), Status.ABSENT,
     Source.CALENDAR, at(17), ""),
    ("registered absence wins, with substitute", dict(phone=IN_CALL, calendar=MEETING, absences=(SICK,)),
     Status.ABSENT, Source.ABSENCE, at(0, 0, 9), "p2"),
    ("absence that has ended is ignored", dict(phone=IDLE, calendar=FREE,
     absences=(Absence("p1", at(8), at(10)),)), Status.AVAILABLE, Source.PHONE, None, ""),
    ("absence that starts later is ignored", dict(phone=IDLE, calendar=FREE,
     absences=(Absence("p1", at(13), at(17)),)), Status.AVAILABLE, Source.PHONE, None, ""),
    ("absences back to back run on", dict(phone=IDLE, absences=(
        Absence("p1", at(0, 0, 3), at(0, 0, 5), "ziek", "p2"), Absence("p1", at(0, 0, 5), at(0, 0, 12), "vakantie"))),
     Status.ABSENT, Source.ABSENCE, at(0, 0, 12), "p2"),
    ("automatic replies always on", dict(phone=IDLE, calendar=FREE, out_of_office=ooo("alwaysEnabled")),
     Status.ABSENT, Source.OUT_OF_OFFICE, None, ""),
    ("automatic replies scheduled now", dict(phone=IDLE, out_of_office=ooo("scheduled", at(0), at(0, 0, 6))),
     Status.ABSENT, Source.OUT_OF_OFFICE, at(0, 0, 6), ""),
    ("automatic replies scheduled later", dict(phone=IDLE, calendar=FREE,
     out_of_office=ooo("scheduled", at(13), at(0, 0, 6))), Status.AVAILABLE, Source.PHONE, None, ""),
    ("automatic replies disabled", dict(phone=IDLE, calendar=FREE, out_of_office=ooo("disabled")),
     Status.AVAILABLE, Source.PHONE, None, ""),
    ("outside the person's working hours", dict(phone=IDLE, calendar=cal(hours=WorkingHours(
        frozenset(range(5)), dt.time(7), dt.time(10, 30), AMS))), Status.OUTSIDE_HOURS, Source.CALENDAR, None, ""),
    ("outside default hours on Saturday", dict(now=at(11, 0, 7), phone=IDLE, default_hours=HOURS),
     Status.OUTSIDE_HOURS, None, None, ""),
    ("phone not registered", dict(phone=UNREG, calendar=FREE), Status.UNREACHABLE, Source.PHONE, None, ""),
    # A source that is down or old: its facts are unknown, never stale "available".
    ("AMI down: idle phone is unknown", dict(phone=phone(PhoneState.IDLE, up=False), calendar=FREE),
     Status.UNKNOWN, None, None, ""),
    ("no device state at all", dict(calendar=FREE), Status.UNKNOWN, None, None, ""),
    ("Graph down: the meeting is unknown, the idle phone still counts",
     dict(phone=IDLE, calendar=cal((10, 30, 12, 0, "busy"), up=False)), Status.AVAILABLE, Source.PHONE, None, ""),
    ("calendar older than its max age is unknown", dict(
        phone=phone(PhoneState.UNKNOWN), calendar=cal((10, 30, 12, 0, "busy"), observed=at(10, 40))),
     Status.UNKNOWN, None, None, ""),
    ("AMI down but in a meeting", dict(phone=phone(PhoneState.IDLE, up=False), calendar=MEETING),
     Status.IN_MEETING, Source.CALENDAR, at(12), ""),
]


@pytest.mark.parametrize("description, given, status, source, until, substitute", ROWS, ids=[r[0] for r in ROWS])
def test_merge_rules(description, given, status, source, until, substitute):
    view = merge(Inputs(**{"now": NOW, **given}))
    assert (view.status, view.source, view.until, view.substitute) == (status, source, until, substitute)


def test_unknown_sources_are_listed_with_their_age():
    view = merge(Inputs(NOW, phone=IDLE, calendar=cal(up=False)))
    assert view.uncertain == (Source.CALENDAR, Source.OUT_OF_OFFICE)
    facts = {f.source: f for f in view.facts}
    assert facts[Source.PHONE].known and facts[Source.PHONE].age_seconds == 300.0
    assert not facts[Source.CALENDAR].known and facts[Source.CALENDAR].age_seconds == 120.0


def test_meeting_boundaries_one_minute_either_side():
    def view(hour, minute):
        meeting = cal((13, 0, 14, 30, "busy"), observed=at(hour, minute))  # freshly read
        return merge(Inputs(at(hour, minute), phone=IDLE, calendar=meeting))
    assert view(12, 59).status is Status.AVAILABLE
    assert (view(13, 0).status, view(13, 0).until) == (Status.IN_MEETING, at(14, 30))
    assert view(14, 29).status is Status.IN_MEETING
    assert view(14, 30).status is Status.AVAILABLE


@pytest.mark.parametrize("status, until, substitute, lang, text", [
    (Status.AVAILABLE, None, "", "nl", "beschikbaar"),
    (Status.ON_THE_PHONE, None, "", "nl", "in gesprek"),
    (Status.IN_MEETING, at(14, 30), "", "nl", "in vergadering tot 14:30"),
    (Status.ABSENT, at(0, 0, 9), "Jan", "nl", "afwezig tot maandag, vervanger Jan"),
    (Status.ABSENT, at(12, 0, 6), "", "nl", "afwezig tot vrijdag 12:00"),
    (Status.ABSENT, at(0, 0, 20), "", "nl", "afwezig tot 20 maart"),
    (Status.OUTSIDE_HOURS, None, "", "nl", "buiten werktijd"),
    (Status.UNKNOWN, None, "", "nl", "onbekend"),
    (Status.IN_MEETING, at(14, 30), "", "en", "in a meeting until 14:30"),
    (Status.ABSENT, at(0, 0, 9), "Jan", "en", "absent until Monday, substitute Jan"),
    (Status.AVAILABLE, None, "", "fr", "beschikbaar"),
])
def test_people_read_dutch_by_default(status, until, substitute, lang, text):
    assert describe(status, NOW, until, substitute, lang) == text
