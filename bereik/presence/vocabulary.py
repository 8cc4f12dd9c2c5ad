"""Every presence word: phone states, merged statuses, sources, and how people read them.

The one place that maps Asterisk's device-state names to ours and ours to Dutch
(default) or English. Other modules use the enums, never string literals.
"""
from __future__ import annotations

import datetime as dt
from enum import Enum


class PhoneState(str, Enum):
    IDLE = "idle"
    RINGING = "ringing"
    IN_CALL = "in_call"
    ON_HOLD = "on_hold"
    UNAVAILABLE = "unavailable"  # not registered: the phone cannot ring
    UNKNOWN = "unknown"


class Status(str, Enum):
    """The one word the console shows for a person."""

    AVAILABLE = "available"
    ON_THE_PHONE = "on_the_phone"
    RINGING = "ringing"
    IN_MEETING = "in_meeting"
    ABSENT = "absent"
    FORWARDED = "forwarded"  # their own forward to their mobile: they take calls there
    DND = "dnd"  # do-not-disturb: callers go to the front office at once
    OUTSIDE_HOURS = "outside_hours"
    UNREACHABLE = "unreachable"  # the phone is not registered
    UNKNOWN = "unknown"


class Source(str, Enum):
    PHONE = "phone"  # Asterisk over AMI
    DIRECTORY = "directory"  # LDAP
    CALENDAR = "calendar"  # Outlook free/busy (Graph) or iCalendar
    OUT_OF_OFFICE = "out_of_office"  # Outlook automatic replies
    ABSENCE = "absence"  # registered in bereik by the person or the team lead
    FORWARDING = "forwarding"  # the person's own forward and do-not-disturb (phone codes, console, CLI)


# Asterisk's ast_devstate names (DeviceStateChange "State").
DEVICE_STATES: dict[str, PhoneState] = {
    "NOT_INUSE": PhoneState.IDLE,
    "INUSE": PhoneState.IN_CALL,
    "BUSY": PhoneState.IN_CALL,
    "RINGING": PhoneState.RINGING,
    # Ringing while already in a call: the person is on the phone, not free to answer.
    "RINGINUSE": PhoneState.IN_CALL,
    "ONHOLD": PhoneState.ON_HOLD,
    "UNAVAILABLE": PhoneState.UNAVAILABLE,
    "INVALID": PhoneState.UNKNOWN,
    "UNKNOWN": PhoneState.UNKNOWN,
}

# Asterisk's extension states (ExtensionStatus "Status"), a bit mask.
EXTENSION_STATES: dict[str, PhoneState] = {
    "-1": PhoneState.UNKNOWN,  # no hint
    "-2": PhoneState.UNKNOWN,  # hint removed
    "0": PhoneState.IDLE,
    "1": PhoneState.IN_CALL,
    "2": PhoneState.IN_CALL,  # busy
    "4": PhoneState.UNAVAILABLE,
    "8": PhoneState.RINGING,
    "9": PhoneState.IN_CALL,  # in use and ringing
    "16": PhoneState.ON_HOLD,
    "17": PhoneState.ON_HOLD,  # in use and on hold
}

# A person's mobile as the PBX sees it (ringing, in use), kept by the dialplan's bereik-mobile.
MOBILE_DEVICE = "Custom:bereik-mobile-{extension}"

# AMI event and action names this package reads or sends.
EVENT_DEVICE_STATE = "DeviceStateChange"
EVENT_DEVICE_STATE_LIST_COMPLETE = "DeviceStateListComplete"
EVENT_EXTENSION_STATUS = "ExtensionStatus"
ACTION_DEVICE_STATE_LIST = "DeviceStateList"

# Graph free/busy words (scheduleItem.status), lower-cased.
CALENDAR_BUSY = frozenset({"busy"})
CALENDAR_OUT_OF_OFFICE = frozenset({"oof"})

LANGUAGES = ("nl", "en")

_STATUS_TEXT = {
    "nl": {
        Status.AVAILABLE: "beschikbaar",
        Status.ON_THE_PHONE: "in gesprek",
        Status.RINGING: "telefoon gaat over",
        Status.IN_MEETING: "in vergadering",
        Status.ABSENT: "afwezig",
        Status.FORWARDED: "doorgeschakeld naar mobiel",
        Status.DND: "niet storen",
        Status.OUTSIDE_HOURS: "buiten werktijd",
        Status.UNREACHABLE: "telefoon niet aangemeld",
        Status.UNKNOWN: "onbekend",
    },
    "en": {
        Status.AVAILABLE: "available",
        Status.ON_THE_PHONE: "on the phone",
        Status.RINGING: "ringing",
        Status.IN_MEETING: "in a meeting",
        Status.ABSENT: "absent",
        Status.FORWARDED: "forwarded to mobile",
        Status.DND: "do not disturb",
        Status.OUTSIDE_HOURS: "outside working hours",
        Status.UNREACHABLE: "phone not registered",
        Status.UNKNOWN: "unknown",
    },
}

_PHONE_TEXT = {
    "nl": {
        PhoneState.IDLE: "vrij",
        PhoneState.RINGING: "gaat over",
        PhoneState.IN_CALL: "in gesprek",
        PhoneState.ON_HOLD: "in de wacht",
        PhoneState.UNAVAILABLE: "niet aangemeld",
        PhoneState.UNKNOWN: "onbekend",
    },
    "en": {
        PhoneState.IDLE: "idle",
        PhoneState.RINGING: "ringing",
        PhoneState.IN_CALL: "in a call",
        PhoneState.ON_HOLD: "on hold",
        PhoneState.UNAVAILABLE: "not registered",
        PhoneState.UNKNOWN: "unknown",
    },
}

_WORDS = {
    "nl": {"until": "tot", "substitute": "vervanger", "free_unsure": "telefoon vrij, afwezigheid onbekend"},
    "en": {"until": "until", "substitute": "substitute", "free_unsure": "phone free, absence unknown"},
}

_WEEKDAYS = {
    "nl": ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}

_MONTHS = {
    "nl": ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
           "september", "oktober", "november", "december"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"),
}


def language(lang: str | None) -> str:
    return lang if lang in LANGUAGES else "nl"


def status_text(status: Status, lang: str = "nl") -> str:
    return _STATUS_TEXT[language(lang)][status]


def phone_text(state: PhoneState, lang: str = "nl") -> str:
    return _PHONE_TEXT[language(lang)][state]


def moment_text(until: dt.datetime, now: dt.datetime, lang: str = "nl") -> str:
    """'14:30' today, 'maandag' (midnight) or 'maandag 12:00' within a week, else '3 maart'."""
    lang = language(lang)
    until = until.astimezone(now.tzinfo)
    days = (until.date() - now.date()).days
    clock = until.strftime("%H:%M")
    if days == 0:
        return clock
    if 0 < days < 7:
        day = _WEEKDAYS[lang][until.weekday()]
        return day if until.time() == dt.time(0) else f"{day} {clock}"
    date = f"{until.day} {_MONTHS[lang][until.month - 1]}"
    return date if until.time() == dt.time(0) else f"{date} {clock}"


def describe(status: Status, now: dt.datetime, until: dt.datetime | None = None,
             substitute: str | None = None, lang: str = "nl", absence_known: bool = True) -> str:
    """'in vergadering tot 14:30', 'afwezig tot maandag, vervanger Jan', 'beschikbaar'. `absence_known`:
    False when a source of absence (Outlook) cannot be read: an idle phone is then not called 'beschikbaar'."""
    lang = language(lang)
    words = _WORDS[lang]
    text = status_text(status, lang)
    if status is Status.AVAILABLE and not absence_known:
        text = words["free_unsure"]
    if until is not None:
        text += f" {words['until']} {moment_text(until, now, lang)}"
    if substitute:
        text += f", {words['substitute']} {substitute}"
    return text
