"""The calamity switch: one act that puts a spoken message before the menu, or closes the lines with a
message, until an end time. Pure: the switch's state comes in, what it means for a call and whether a new
one may be set goes out (bereik.calamity keeps it, in the audit log).

    message  callers hear the message after the welcome, then the menu as always
    closed   callers hear the message and the call ends, whatever the opening hours say
"""
from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from bereik.config.model import Config
from bereik.ivr.phrases import fill

MAX_TEXT = 500  # characters: about 35 s of speech
MAX_DAYS = 7  # a calamity that lasts longer is a change of the opening hours or texts


class Mode(enum.StrEnum):
    MESSAGE = "message"
    CLOSED = "closed"


@dataclass(frozen=True)
class Calamity:
    mode: Mode
    text: str  # as the caller hears it, placeholders filled in
    until: dt.datetime
    set_by: str

    def in_force(self, now: dt.datetime) -> bool:
        return now < self.until


# Said when the coordinator sets the switch from a desk phone (the screen offers it to edit).
DEFAULT_TEXTS = {
    "nl": {Mode.MESSAGE: "Vanwege een storing zijn wij telefonisch slecht bereikbaar. Kijk voor actuele "
                         "informatie op {website}.",
           Mode.CLOSED: "Vanwege een storing is de gemeente {municipality} op dit moment telefonisch niet "
                        "bereikbaar. Kijk voor actuele informatie op {website}."},
    "en": {Mode.MESSAGE: "Because of a disruption we are hard to reach by phone. For the latest news, see "
                         "{website}.",
           Mode.CLOSED: "Because of a disruption the municipality of {municipality} cannot be reached by phone "
                        "at the moment. For the latest news, see {website}."},
}


class CalamityError(ValueError):
    """A calamity that cannot be set; the message says why, in the administrator's words."""


def default_text(config: Config, mode: Mode) -> str:
    return fill(config, DEFAULT_TEXTS[config.language][mode])


def checked(config: Config, mode: str, text: str, until: dt.datetime, now: dt.datetime, set_by: str) -> Calamity:
    """A calamity as the screen or the phone asks for it, or CalamityError saying what to change."""
    nl = config.language == "nl"
    try:
        mode = Mode(mode)
    except ValueError:
        raise CalamityError("Kies: een melding vóór het menu, of de lijnen sluiten." if nl else
                            "Choose: a message before the menu, or close the lines.") from None
    text = " ".join(text.split())
    if not text:
        raise CalamityError("Schrijf de melding die bellers horen." if nl else "Write the message callers hear.")
    if len(text) > MAX_TEXT:
        raise CalamityError(f"De melding is {len(text)} tekens; houd haar onder {MAX_TEXT}." if nl else
                            f"The message is {len(text)} characters; keep it under {MAX_TEXT}.")
    if until <= now:
        raise CalamityError("De eindtijd is al voorbij; kies een tijd in de toekomst." if nl else
                            "The end time has passed; choose a time in the future.")
    if until - now > dt.timedelta(days=MAX_DAYS):
        raise CalamityError(f"Ten hoogste {MAX_DAYS} dagen; pas voor langer de openingstijden of teksten aan." if nl
                            else f"At most {MAX_DAYS} days; for longer, change the opening hours or texts.")
    return Calamity(mode, text, until, set_by)


def end_of_day(now: dt.datetime) -> dt.datetime:
    """Where a calamity set from a desk phone ends: midnight, unless someone ends it sooner."""
    return dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time(0), now.tzinfo)
