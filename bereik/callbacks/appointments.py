"""Call-back appointments (belafspraak): a time in the colleague's own Outlook calendar.

When the caller wants the specialist and not a note, the agent offers free slots from the colleague's
calendar (Microsoft Graph getSchedule: their busy items and their working hours) and books one as an
event in that calendar (POST /users/{mailbox}/events) with the caller's question. A slot taken
meanwhile is refused with a clear message. The note (kind appointment) keeps the time; at that time the
colleague's phone rings and then the caller's, as for any note (bereik.pbx.note_call).

Times are the municipality's (Europe/Amsterdam): an event is written in local time with its zone, so
Outlook shows 10:30 on either side of the change to summer or winter time.
"""
from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterable
from urllib.parse import quote

import aiohttp

from bereik.callbacks.store import APPOINTMENT, CallbackStore, Note, WorkingDays
from bereik.config.model import Config, Department
from bereik.presence.graph import GraphClient, GraphError
from bereik.presence.merge import CalendarItem, CalendarReading
from bereik.routing.appointment_offer import Slot, earliest, mailboxes

SLOT_MINUTES = 15
BLOCKING = frozenset({"busy", "oof", "tentative", "workingelsewhere"})  # only "free" leaves a slot free


class SlotRefused(Exception):
    """Why the slot cannot be booked, in the agent's words (Dutch)."""


# What reading or booking a calendar can end in; a caller in the IVR then gets the ordinary call-back.
CALENDAR_FAULTS = (GraphError, SlotRefused, aiohttp.ClientError, asyncio.TimeoutError)


def free_slots(reading: CalendarReading, start: dt.datetime, end: dt.datetime, days: WorkingDays,
               minutes: int = SLOT_MINUTES) -> list[dt.datetime]:
    """Every start of `minutes` free minutes in [start, end): on working days, within the colleague's
    working hours (Graph's; none known: no slot), clear of their busy, tentative and out-of-office items."""
    hours = reading.working_hours
    if hours is None:
        return []
    zone = hours.zone
    found: list[dt.datetime] = []
    day = start.astimezone(zone).date()
    while day <= end.astimezone(zone).date():
        if day.weekday() in hours.days and days.is_working_day(day):
            # Local wall-clock times, each made aware on its own day: 08:00 stays 08:00 after a clock change.
            moment = dt.datetime.combine(day, hours.start, zone)
            closing = dt.datetime.combine(day, hours.end, zone)
            while moment + dt.timedelta(minutes=minutes) <= closing:
                slot_end = moment + dt.timedelta(minutes=minutes)
                if moment >= start and slot_end <= end and not _overlaps(reading.items, moment, slot_end):
                    found.append(moment)
                moment = slot_end
        day += dt.timedelta(days=1)
    return found


def _overlaps(items: Iterable[CalendarItem], start: dt.datetime, end: dt.datetime) -> bool:
    return any(item.status in BLOCKING and item.start < end and start < item.end for item in items)


def spread(slots: list[dt.datetime], count: int) -> list[dt.datetime]:
    """`count` slots to offer a caller: the first of each distinct day part, not three in one quarter hour."""
    chosen: list[dt.datetime] = []
    for slot in slots:
        if all(abs((slot - c).total_seconds()) >= 2 * 3600 for c in chosen):
            chosen.append(slot)
        if len(chosen) == count:
            break
    return chosen


def event_body(note: Note, start: dt.datetime, minutes: int, zone_name: str) -> dict:
    """The Graph event: the caller's question in the body, local times with the municipality's zone."""
    local = lambda moment: moment.astimezone(start.tzinfo).strftime("%Y-%m-%dT%H:%M:%S")  # noqa: E731
    end = start + dt.timedelta(minutes=minutes)
    return {
        "subject": f"Terugbelafspraak: {note.name or note.number}",
        "body": {"contentType": "text",
                 "content": f"Terugbellen: {note.number}\nNaam: {note.name or '?'}\n\nVraag:\n{note.question}\n\n"
                            "bereik belt u op dit tijdstip eerst zelf, daarna de beller."},
        "start": {"dateTime": local(start), "timeZone": zone_name},
        "end": {"dateTime": local(end), "timeZone": zone_name},
        "showAs": "busy",
        "isReminderOn": True,
        "reminderMinutesBeforeStart": 5,
        "transactionId": f"bereik-{note.key}",  # Graph ignores a second POST with the same id
    }


class Appointments:
    def __init__(self, config: Config, client: GraphClient, store: CallbackStore, minutes: int = SLOT_MINUTES):
        self.config, self.client, self.store, self.minutes = config, client, store, minutes
        self.days = WorkingDays(config)

    async def _reading(self, mailbox: str, start: dt.datetime, end: dt.datetime) -> CalendarReading:
        found = await self.client.schedules([mailbox], start, end)
        reading = found.get(mailbox.lower())
        if reading is None:
            raise SlotRefused("de agenda van deze collega is niet te lezen; maak een terugbelnotitie")
        return reading

    async def offer(self, mailbox: str, now: dt.datetime, count: int = 3, within_days: int = 5) -> list[dt.datetime]:
        """Free slots in the colleague's calendar from the next quarter hour on, spread over the days."""
        start = _next_quarter(now + dt.timedelta(hours=1))
        end = self.days.deadline(now, within_days)
        return spread(free_slots(await self._reading(mailbox, start, end), start, end, self.days, self.minutes),
                      count)

    async def department_times(self, department: Department, now: dt.datetime, count: int,
                               within_days: int = 5) -> list[Slot]:
        """The first `count` free times (two hours apart) in the calendars of the department's people, in one
        getSchedule; a colleague whose calendar cannot be read gives none."""
        mailbox_of = mailboxes(self.config, department)
        if not mailbox_of:
            return []
        start = _next_quarter(now + dt.timedelta(hours=1))
        end = self.days.deadline(now, within_days)
        found = await self.client.schedules(list(mailbox_of.values()), start, end)
        free = {extension: free_slots(reading, start, end, self.days, self.minutes)
                for extension, mailbox in mailbox_of.items() if (reading := found.get(mailbox.lower()))}
        return earliest(free, mailbox_of, count)

    async def book(self, mailbox: str, slot: dt.datetime, note: Note, owner: str, by: str) -> Note:
        """The event in the colleague's calendar and the appointment note; refused if the slot is no longer free."""
        end = slot + dt.timedelta(minutes=self.minutes)
        if slot not in free_slots(await self._reading(mailbox, slot, end), slot, end, self.days, self.minutes):
            raise SlotRefused(f"{slot.astimezone(self.config.zone):%d-%m %H:%M} is inmiddels bezet in de agenda "
                              "van de collega; kies een ander tijdstip")
        # Due by the appointment's end: a call-back at the agreed time is on time, a later one late.
        appointment = Note(**{**note.__dict__, "kind": APPOINTMENT, "owner": owner, "appointment_at": slot,
                              "due_at": end, "created_by": by})
        try:
            event = await self.client.call("POST", f"/users/{quote(mailbox)}/events",
                                           event_body(appointment, slot, self.minutes, self.config.timezone))
        except GraphError as error:
            raise SlotRefused("de afspraak kon niet in de agenda worden gezet; maak een terugbelnotitie") from error
        stored, _ = self.store.add(
            Note(**{**appointment.__dict__, "extra": {**appointment.extra, "event": event.get("id", "")}}),
            step_detail={"appointment_at": slot.isoformat(), "mailbox": mailbox})
        return stored


def _next_quarter(moment: dt.datetime) -> dt.datetime:
    rounded = moment.replace(second=0, microsecond=0)
    return rounded + dt.timedelta(minutes=(-rounded.minute) % SLOT_MINUTES)
