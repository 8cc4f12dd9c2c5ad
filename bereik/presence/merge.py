"""One view per person from every source's facts. Pure: the clock value comes in.

Rules, first match wins:
1-2. the absence fact (bereik.presence.absence_fact: the team lead's absence, Outlook's automatic
   reply and the person's own forward to a colleague, merged) says absent -> absent until ...,
   substitute ..., with the source that decided
2b. their own forward to their mobile -> forwarded; do-not-disturb -> do not disturb
3. phone ringing -> ringing; in a call or on hold -> on the phone
4. calendar busy now -> in a meeting until the end of the busy block; out of office -> absent
5. outside the person's working hours -> outside working hours
6. phone idle -> available; phone not registered -> unreachable
7. otherwise unknown

A fact from a source that is down, or older than its source's maximum age, is
unknown: it can never make anyone "available". Unknown facts are listed in
`uncertain` so the console can say what it does not know.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Generic, TypeVar
from zoneinfo import ZoneInfo

from bereik.presence.absence_fact import AbsenceFact, AbsenceSource, merge_absence
from bereik.presence.vocabulary import (
    CALENDAR_BUSY,
    CALENDAR_OUT_OF_OFFICE,
    PhoneState,
    Source,
    Status,
)

T = TypeVar("T")


@dataclass(frozen=True)
class PhoneReading:
    state: PhoneState
    since: dt.datetime


@dataclass(frozen=True)
class CalendarItem:
    start: dt.datetime
    end: dt.datetime
    status: str  # Graph scheduleItem.status, lower-cased: free, tentative, busy, oof, workingelsewhere


@dataclass(frozen=True)
class WorkingHours:
    days: frozenset[int]  # 0 = Monday
    start: dt.time
    end: dt.time
    zone: ZoneInfo

    def contains(self, moment: dt.datetime) -> bool:
        local = moment.astimezone(self.zone)
        return local.weekday() in self.days and self.start <= local.time() < self.end


@dataclass(frozen=True)
class CalendarReading:
    items: tuple[CalendarItem, ...] = ()
    working_hours: WorkingHours | None = None


@dataclass(frozen=True)
class OutOfOffice:
    status: str  # Graph automaticRepliesStatus: disabled, alwaysEnabled, scheduled
    start: dt.datetime | None = None
    end: dt.datetime | None = None

    def covers(self, now: dt.datetime) -> bool:
        if self.status == "alwaysEnabled":
            return True
        if self.status == "scheduled" and self.start and self.end:
            return self.start <= now < self.end
        return False


@dataclass(frozen=True)
class Absence:
    person_id: str
    starts: dt.datetime
    ends: dt.datetime  # the moment the person is back
    reason: str = ""
    substitute: str = ""  # a person id or a free-text name
    registered_by: str = ""
    id: int | None = None

    def covers(self, now: dt.datetime) -> bool:
        return self.starts <= now < self.ends


@dataclass(frozen=True)
class Fact(Generic[T]):
    """What one source says about one person, and how much to trust it."""

    value: T | None = None  # None: the source has nothing on this person
    observed_at: dt.datetime | None = None
    up: bool = True
    max_age: dt.timedelta | None = None

    def usable(self, now: dt.datetime) -> T | None:
        if not self.up or self.value is None or self.observed_at is None:
            return None
        if self.max_age is not None and now - self.observed_at > self.max_age:
            return None
        return self.value

    def age(self, now: dt.datetime) -> float | None:
        return None if self.observed_at is None else round((now - self.observed_at).total_seconds(), 1)


UNKNOWN_FACT: Fact = Fact(up=False)


@dataclass(frozen=True)
class SourceStatus:
    """How a source that is polled is doing: down keeps its facts from counting."""

    up: bool = False
    last_ok: dt.datetime | None = None
    error: str = ""  # never a secret, never a person's data


@dataclass(frozen=True)
class Inputs:
    now: dt.datetime
    phone: Fact[PhoneReading] = UNKNOWN_FACT
    calendar: Fact[CalendarReading] = UNKNOWN_FACT
    out_of_office: Fact[OutOfOffice] = UNKNOWN_FACT
    absences: tuple[Absence, ...] = ()  # bereik's own store: always known
    default_hours: WorkingHours | None = None
    absences_observed_at: dt.datetime | None = None
    # The merged absence from the absence book; None: merged here from `absences` and `out_of_office`.
    absence: AbsenceFact | None = None
    forwarded_to_mobile: bool = False
    forwarded_until: dt.datetime | None = None
    dnd: bool = False


@dataclass(frozen=True)
class FactView:
    source: Source
    state: str  # a machine word: a PhoneState value, "busy", "free", "on", "off", "absent", "present", "unknown"
    known: bool
    age_seconds: float | None = None
    until: dt.datetime | None = None


@dataclass(frozen=True)
class View:
    status: Status
    source: Source | None = None  # the source that decided the status
    until: dt.datetime | None = None
    substitute: str = ""
    facts: tuple[FactView, ...] = ()
    uncertain: tuple[Source, ...] = field(default=())
    absence: AbsenceFact | None = None

    @property
    def absence_known(self) -> bool:
        return self.absence is None or not self.absence.unknown or self.absence.absent


def _busy_until(items: tuple[CalendarItem, ...], now: dt.datetime, statuses: frozenset[str]) -> dt.datetime | None:
    """End of the block of back-to-back or overlapping items covering now."""
    relevant = sorted((i for i in items if i.status in statuses), key=lambda i: i.start)
    until = None
    for item in relevant:
        if until is None:
            if item.start <= now < item.end:
                until = item.end
        elif item.start <= until:
            until = max(until, item.end)
    return until


_ABSENCE_SOURCES = {AbsenceSource.TEAM_LEAD: Source.ABSENCE, AbsenceSource.OUTLOOK: Source.OUT_OF_OFFICE,
                    AbsenceSource.FORWARDING: Source.FORWARDING}


def merge(inputs: Inputs) -> View:
    now = inputs.now
    phone = inputs.phone.usable(now)
    calendar = inputs.calendar.usable(now)
    ooo = inputs.out_of_office.usable(now)
    # UNKNOWN_FACT, the default, stands for "Outlook is no source here" (no Graph, no mailbox); a Graph that
    # is down gives a Fact of its own, which makes the absence unknown rather than a stale "present".
    outlook = None if inputs.out_of_office is UNKNOWN_FACT else inputs.out_of_office
    absence = inputs.absence or merge_absence(now, team_lead=inputs.absences, outlook=outlook)
    registered = next((c for c in absence.claims if c.source is AbsenceSource.TEAM_LEAD), None)

    meeting_until = calendar and _busy_until(calendar.items, now, CALENDAR_BUSY)
    calendar_oof_until = calendar and _busy_until(calendar.items, now, CALENDAR_OUT_OF_OFFICE)
    hours = (calendar.working_hours if calendar else None) or inputs.default_hours

    facts = (
        FactView(Source.PHONE, phone.state.value if phone else "unknown", phone is not None,
                 inputs.phone.age(now)),
        FactView(Source.CALENDAR,
                 "unknown" if calendar is None else "oof" if calendar_oof_until else "busy" if meeting_until else "free",
                 calendar is not None, inputs.calendar.age(now), calendar_oof_until or meeting_until or None),
        FactView(Source.OUT_OF_OFFICE, "unknown" if ooo is None else "on" if ooo.covers(now) else "off",
                 ooo is not None, inputs.out_of_office.age(now), ooo.end if ooo and ooo.covers(now) else None),
        FactView(Source.ABSENCE, "absent" if registered else "present", True,
                 None if inputs.absences_observed_at is None else round(
                     (now - inputs.absences_observed_at).total_seconds(), 1),
                 registered.ends if registered else None),
    )
    uncertain = tuple(f.source for f in facts if not f.known)

    def view(status: Status, source: Source | None, until: dt.datetime | None = None, substitute: str = "") -> View:
        return View(status, source, until, substitute, facts, uncertain, absence)

    if absence.absent:
        return view(Status.ABSENT, _ABSENCE_SOURCES[absence.source], absence.until, absence.substitute)
    if inputs.forwarded_to_mobile:
        return view(Status.FORWARDED, Source.FORWARDING, inputs.forwarded_until)
    if inputs.dnd:
        return view(Status.DND, Source.FORWARDING)
    if phone and phone.state is PhoneState.RINGING:
        return view(Status.RINGING, Source.PHONE)
    if phone and phone.state in (PhoneState.IN_CALL, PhoneState.ON_HOLD):
        return view(Status.ON_THE_PHONE, Source.PHONE)
    if calendar_oof_until:
        return view(Status.ABSENT, Source.CALENDAR, calendar_oof_until)
    if meeting_until:
        return view(Status.IN_MEETING, Source.CALENDAR, meeting_until)
    if hours is not None and not hours.contains(now):
        return view(Status.OUTSIDE_HOURS, Source.CALENDAR if calendar and calendar.working_hours else None)
    if phone and phone.state is PhoneState.IDLE:
        return view(Status.AVAILABLE, Source.PHONE)
    if phone and phone.state is PhoneState.UNAVAILABLE:
        return view(Status.UNREACHABLE, Source.PHONE)
    return view(Status.UNKNOWN, None)
