"""The appointment offer in the IVR (belafspraak), as pure rules: free times in, what the caller hears out.

A caller who asks for a call-back (the queue's key, or after hours) and whose request belongs to a department
with calendars (YAML callbacks.appointments) hears the first one or two free times and the ordinary call-back
as the last key: "Druk 1 voor dinsdag 10 uur 30, druk 2 voor woensdag 14 uur, druk 3 voor een gewone
terugbelafspraak." No free time, or no calendar read in time: no offer, the ordinary call-back as before.
A chosen time that was taken meanwhile is told, and the caller gets the ordinary call-back: never a dead end.
The I/O (reading the calendars, booking the event) is bereik.callbacks.appointments'.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from bereik.config.model import Config, Department
from bereik.ivr.phrases import day_time_phrase

TEXTS = {
    "nl": {
        "intro": "U kunt ook een afspraak maken: dan belt een medewerker van {department} u op een vast tijdstip.",
        "option": "Druk {key} voor {time}.",
        "plain": "Druk {key} voor een gewone terugbelafspraak.",
        "booked": "Dank u wel. Uw afspraak is {time}. Dan bellen wij u op dit nummer. Tot ziens.",
        "taken": "Dat tijdstip is helaas niet meer vrij. U wordt gewoon teruggebeld.",
        "planned": "U heeft al een afspraak: wij bellen u {time}.",
    },
    "en": {
        "intro": "You can also make an appointment: someone from {department} will then call you at a set time.",
        "option": "Press {key} for {time}.",
        "plain": "Press {key} for an ordinary call-back.",
        "booked": "Thank you. Your appointment is {time}. We will call you then on this number. Goodbye.",
        "taken": "Sorry, that time is no longer free. We will call you back as usual.",
        "planned": "You already have an appointment: we will call you {time}.",
    },
}


@dataclass(frozen=True)
class Slot:
    """A free time in one colleague's calendar."""

    start: dt.datetime
    extension: str  # the colleague whose calendar it is, and whose phone rings first at that time
    mailbox: str


@dataclass(frozen=True)
class Offer:
    """What the caller hears, and what each key means; any other key or none: the ordinary call-back."""

    say: tuple[str, ...]
    slots: dict[str, Slot]  # key -> the time it books
    plain_key: str
    timeout: float

    def chosen(self, key: str | None) -> Slot | None:
        return self.slots.get(key or "")


def department_for(config: Config, topic: str | None) -> Department | None:
    """The department whose calendars a call-back request with this topic is offered, or None (no offer)."""
    wanted = config.callbacks.appointments
    if wanted is None or config.presence.graph is None:
        return None
    department_id = wanted.topics.get(topic or "", wanted.department)
    return next((d for d in config.departments if d.id == department_id), None)


def mailboxes(config: Config, department: Department) -> dict[str, str]:
    """extension -> Outlook mailbox of the department's people who have one, in the YAML's order."""
    found = {}
    for extension in department.members:
        person = config.person(extension)
        if person is not None and person.email:
            found[extension] = person.email
    return found


def earliest(free: dict[str, list[dt.datetime]], mailbox_of: dict[str, str], count: int) -> list[Slot]:
    """`count` times to offer from each colleague's free starts: the earliest, then the earliest at least
    two hours later (another part of the day, a real choice); at a time several are free, the first of the
    department's people takes it."""
    by_time: dict[dt.datetime, str] = {}
    for extension, starts in free.items():
        for start in starts:
            by_time.setdefault(start, extension)
    chosen: list[Slot] = []
    for start in sorted(by_time):
        if all(abs((start - slot.start).total_seconds()) >= 2 * 3600 for slot in chosen):
            chosen.append(Slot(start, by_time[start], mailbox_of[by_time[start]]))
        if len(chosen) == count:
            break
    return chosen


def offer(config: Config, department: Department, slots: Sequence[Slot], now: dt.datetime) -> Offer | None:
    """The menu of times, or None when there is none to offer (the caller gets the ordinary call-back)."""
    wanted = config.callbacks.appointments
    if wanted is None or not slots:
        return None
    texts = TEXTS[config.language]
    keyed = {str(index): slot for index, slot in enumerate(slots[:wanted.slots], start=1)}
    plain = str(len(keyed) + 1)
    options = (_said(texts["option"], key=key, time=_when(config, slot.start, now)) for key, slot in keyed.items())
    say = (texts["intro"].format(department=department.name), *options, texts["plain"].format(key=plain))
    return Offer(say, keyed, plain, wanted.wait_for_key)


def fixed_texts(config: Config) -> list[str]:
    """The offer's sentences that name no time, to render ahead of calls (the times are said per call)."""
    wanted = config.callbacks.appointments
    if wanted is None:
        return []
    texts = TEXTS[config.language]
    ids = {wanted.department, *wanted.topics.values()}
    return [*(texts["intro"].format(department=d.name) for d in config.departments if d.id in ids),
            *(texts["plain"].format(key=str(count + 1)) for count in range(1, wanted.slots + 1)), texts["taken"]]


def booked(config: Config, slot: Slot, now: dt.datetime) -> str:
    return _said(TEXTS[config.language]["booked"], time=_when(config, slot.start, now))


def taken(config: Config) -> str:
    return TEXTS[config.language]["taken"]


def planned(config: Config, at: dt.datetime, now: dt.datetime) -> str:
    """Told to a caller who calls again while their appointment is still to come."""
    return _said(TEXTS[config.language]["planned"], time=_when(config, at, now))


def _when(config: Config, at: dt.datetime, now: dt.datetime) -> str:
    return day_time_phrase(at, now, config.zone, config.language)


def _said(template: str, **values: str) -> str:
    # "10:30 a.m." ends a sentence with its own full stop.
    return template.format(**values).replace("..", ".")
