"""Sentences that depend on the call: the next opening time, placeholders in texts."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from bereik.config.model import Config

_WEEKDAYS = {
    "nl": ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
_MONTHS = {
    "nl": ("januari", "februari", "maart", "april", "mei", "juni", "juli",
           "augustus", "september", "oktober", "november", "december"),
    "en": ("January", "February", "March", "April", "May", "June", "July",
           "August", "September", "October", "November", "December"),
}
_WORDS = {
    "nl": {"today": "vandaag", "tomorrow": "morgen", "at": "om", "on": "op", "unknown": "op een later moment"},
    "en": {"today": "today", "tomorrow": "tomorrow", "at": "at", "on": "on", "unknown": "at a later time"},
}


def fill(config: Config, template: str, **values: str) -> str:
    """A text from the YAML with its placeholders filled in."""
    known = {"municipality": config.municipality, "website": config.website, "next_opening": ""}
    return template.format(**(known | values))


def clock_time(moment: dt.datetime, language: str) -> str:
    """'8 uur 30' / '8:30 a.m.': written so that text-to-speech says it right."""
    if language == "nl":
        return f"{moment.hour} uur" if moment.minute == 0 else f"{moment.hour} uur {moment.minute}"
    return moment.strftime("%-I:%M %p").replace("AM", "a.m.").replace("PM", "p.m.")


def next_opening_phrase(opening: dt.datetime | None, now: dt.datetime, zone: ZoneInfo, language: str) -> str:
    """When the caller can call again, as a person would say it: 'morgen om 8 uur 30'."""
    words = _WORDS[language]
    if opening is None:
        return words["unknown"]
    opening, today = opening.astimezone(zone), now.astimezone(zone).date()
    days_ahead = (opening.date() - today).days
    if days_ahead == 0:
        day = words["today"]
    elif days_ahead == 1:
        day = words["tomorrow"]
    elif days_ahead < 7:
        day = f"{words['on']} {_WEEKDAYS[language][opening.weekday()]}"
    else:
        weekday, month = _WEEKDAYS[language][opening.weekday()], _MONTHS[language][opening.month - 1]
        day = f"{words['on']} {weekday} {opening.day} {month}"
    return f"{day} {words['at']} {clock_time(opening, language)}"


# What a caller to the back office hears, unless the YAML's texts: say otherwise.
BACK_OFFICE_TEXTS = {
    "nl": {
        "not_reachable": "{name} is niet bereikbaar. U wordt doorverbonden met ons klantcontactcentrum.",
        "camp_on_offer": "{name} is in gesprek. Wilt u wachten tot het gesprek voorbij is, toets 1. "
                         "Wilt u ons klantcontactcentrum spreken, toets 2.",
        "camp_on_waiting": "{name} is nog in gesprek. Blijft u aan de lijn: zodra het gesprek voorbij is, "
                           "gaat de telefoon bij {name} over.",
    },
    "en": {
        "not_reachable": "{name} cannot take your call. We are putting you through to our contact centre.",
        "camp_on_offer": "{name} is on the phone. To wait until the call is over, press 1. "
                         "To speak to our contact centre, press 2.",
        "camp_on_waiting": "{name} is still on the phone. Please hold: as soon as the call is over, "
                           "{name}'s phone will ring.",
    },
}


def back_office_text(config: Config, key: str, name: str) -> str:
    template = config.texts.get(key) or BACK_OFFICE_TEXTS[config.language][key]
    return fill(config, template, name=name)


# Told before the menu when privacy.recording_announcement is on; texts.recording_notice overrides it.
RECORDING_NOTICE = {
    "nl": "Gesprekken kunnen worden opgenomen voor training en coaching.",
    "en": "Calls may be recorded for training and coaching.",
}


def recording_notice(config: Config) -> str | None:
    """What every caller of our own municipality hears before the menu, or None when the YAML turns it off."""
    if not config.privacy.recording_announcement:
        return None
    return fill(config, config.texts.get("recording_notice") or RECORDING_NOTICE[config.language])
