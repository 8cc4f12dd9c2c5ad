"""Who takes a colleague's calls now, and until when. Pure: the facts come in, one answer goes out.

    stand_in(config, "301", now, fact_of, own_of)
    -> StandIn(taker=SUBSTITUTE, extension="302", name="Femke de Boer", until=<Monday 8 December>, ...)

The same answer routes a direct call (bereik.routing.direct), sends a call-back note for an absent
colleague to the one who stands in (the call-back issue), lights the busy lamps and tells the console.

In order:
1. Absent (the merged fact of bereik.presence.absence_fact): the substitute takes over when the
   department's forwarding policy allows a colleague (`forwarding: [colleague, ...]`) and the substitute
   is a colleague under people: who is in, not forwarding and not on do-not-disturb; otherwise the
   front office. Never onward from the substitute: no call hops from person to person.
2. The person's own forward to their mobile, when the department allows mobiles.
3. Do-not-disturb: the front office at once.
4. Otherwise the desk phone rings; with `ring_mobile`, the desk and the mobile ring together.
"""
from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable
from dataclasses import dataclass

from bereik.config.model import Config
from bereik.presence.absence_fact import AbsenceFact, AbsenceState

COLLEAGUE, MOBILE = "colleague", "mobile"  # the department's forwarding policy words


class Taker(enum.StrEnum):
    DESK = "desk"  # the person themselves, at their desk (and their mobile with ring_mobile)
    MOBILE = "mobile"  # the person themselves, on their mobile (their own forward)
    SUBSTITUTE = "substitute"
    FRONT_OFFICE = "front_office"


class Why(enum.StrEnum):
    """Why the front office takes the call instead of the person or a substitute."""

    NONE = ""
    NO_SUBSTITUTE = "no_substitute"  # absent, and nobody named
    POLICY = "policy"  # the department lets only the TIC take over
    SUBSTITUTE_AWAY = "substitute_away"  # the substitute is absent, forwarding or on do-not-disturb
    DND = "dnd"


@dataclass(frozen=True)
class OwnSettings:
    """What the person set on their own phone or in the console."""

    forward_to: str = ""  # "", "mobile" or a colleague's extension
    forward_until: dt.datetime | None = None
    dnd: bool = False


@dataclass(frozen=True)
class StandIn:
    person: str  # the extension the caller asked for
    taker: Taker
    extension: str = ""  # who rings: the person's own extension, or the substitute's
    name: str = ""  # the substitute's name, as the caller hears it
    until: dt.datetime | None = None  # when this changes (the end of the absence or forward); None: not known
    why: Why = Why.NONE
    also_mobile: bool = False  # desk and mobile ring together
    fact: AbsenceFact = AbsenceFact(AbsenceState.PRESENT)

    @property
    def absent(self) -> bool:
        return self.fact.absent


FactOf = Callable[[str], AbsenceFact]
OwnOf = Callable[[str], OwnSettings]


def allowed(config: Config, extension: str, kind: str) -> bool:
    """Whether the department lets its member's calls go to a colleague or a mobile (which needs the trunk)."""
    if kind == MOBILE and not config.pbx.trunk:
        return False
    department = config.department_of(extension)
    return department is None or kind in department.forwarding


def stand_in(config: Config, extension: str, fact_of: FactOf, own_of: OwnOf) -> StandIn:
    person = config.person(extension)
    fact, own = fact_of(extension), own_of(extension)
    if fact.absent:
        return _substitute(config, extension, fact, fact_of, own_of)
    if own.forward_to == MOBILE and person is not None and person.mobile and allowed(config, extension, MOBILE):
        return StandIn(extension, Taker.MOBILE, extension, until=own.forward_until, fact=fact)
    if own.dnd:
        return StandIn(extension, Taker.FRONT_OFFICE, why=Why.DND, fact=fact)
    also_mobile = bool(person and person.ring_mobile and person.mobile and allowed(config, extension, MOBILE))
    return StandIn(extension, Taker.DESK, extension, also_mobile=also_mobile, fact=fact)


def _substitute(config: Config, extension: str, fact: AbsenceFact, fact_of: FactOf, own_of: OwnOf) -> StandIn:
    front_office = lambda why: StandIn(extension, Taker.FRONT_OFFICE, until=fact.until, why=why, fact=fact)
    if not allowed(config, extension, COLLEAGUE):
        return front_office(Why.POLICY)
    person = config.person(extension)
    named = fact.substitute or (person.substitute if person else None) or ""
    colleague = config.person(named)
    if colleague is None or named == extension:
        return front_office(Why.NO_SUBSTITUTE)
    their_own = own_of(named)
    if fact_of(named).absent or their_own.forward_to or their_own.dnd:
        return front_office(Why.SUBSTITUTE_AWAY)
    return StandIn(extension, Taker.SUBSTITUTE, named, colleague.name, fact.until, fact=fact)
