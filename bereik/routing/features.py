"""The phone as the switch: feature codes a colleague dials on their desk phone. Pure.

The codes are the ones Dutch phone users know from their mobile and KPN's fixed lines (GSM 02.30's
call forwarding), plus the do-not-disturb pair most PBXs use:

    *21*<number>#   forward my calls: to a colleague's extension, or to my own mobile number
    *21#            forward my calls to my standing substitute (people[].substitute)
    #21#            forwarding off: my calls ring here again
    *#21#           where do my calls go now? (spoken)
    *78             do-not-disturb on: callers go to the front office at once
    *79             do-not-disturb off
    *28             the calamity switch (any desk phone, with the PIN; bereik.pbx.features)

Phones that send at once without the closing # (most do on #) work too. Only a colleague or the
person's own mobile (as the YAML or LDAP has it) may be a target: the PBX never becomes a way to
call any number, and the department's forwarding policy applies (bereik.forwarding.store).
"""
from __future__ import annotations

import datetime as dt
import enum
import re
from dataclasses import dataclass

from bereik.config.model import Config
from bereik.ivr.phrases import feature_text, until_phrase
from bereik.presence.absence_fact import AbsenceSource
from bereik.routing.stand_in import StandIn, Taker, Why


class Code(enum.StrEnum):
    FORWARD = "forward"
    FORWARD_SUBSTITUTE = "forward_substitute"
    CLEAR = "clear"
    STATUS = "status"
    DND_ON = "dnd_on"
    DND_OFF = "dnd_off"
    CALAMITY = "calamity"


# What the dialplan sends to bereik (bereik.pbx.dialplan writes one rule per code); the documentation's table.
DIALPLAN_PATTERNS = {"_*21*X.": Code.FORWARD, "*21#": Code.FORWARD_SUBSTITUTE, "#21#": Code.CLEAR,
                     "*#21#": Code.STATUS, "*78": Code.DND_ON, "*79": Code.DND_OFF, "*28": Code.CALAMITY}
_FORWARD = re.compile(r"^\*21\*(\+?[0-9]{2,15})#?$")
_FIXED = {"*21#": Code.FORWARD_SUBSTITUTE, "#21#": Code.CLEAR, "*#21#": Code.STATUS,
          "*78": Code.DND_ON, "*79": Code.DND_OFF, "*28": Code.CALAMITY}


@dataclass(frozen=True)
class Request:
    code: Code
    number: str = ""  # FORWARD: the digits after *21*


def parse(dialled: str) -> Request | None:
    if dialled in _FIXED:
        return Request(_FIXED[dialled])
    match = _FORWARD.match(dialled)
    return Request(Code.FORWARD, match[1]) if match else None


def national(number: str) -> str:
    """+31 6 12345678 and 0031612345678 as 0612345678, so a typed number meets the YAML's."""
    digits = re.sub(r"[^0-9+]", "", number)
    for prefix in ("+31", "0031"):
        if digits.startswith(prefix):
            return "0" + digits[len(prefix):]
    return digits


def target_of(config: Config, person: str, number: str, own_mobile: str) -> str | None:
    """A typed number as a forwarding target: a colleague's extension, "mobile" for the person's own
    mobile, None for anything else (the PBX forwards to nobody outside)."""
    if config.person(number) is not None:
        return number
    if own_mobile and national(number) == national(own_mobile):
        return "mobile"
    return None


def effect(config: Config, taker: StandIn, now: dt.datetime) -> list[str]:
    """Where the person's calls go now, as they hear it after dialling a code."""
    language = config.language
    until = lambda moment: until_phrase(moment, now, config.zone, language)
    if taker.absent and taker.fact.source is not AbsenceSource.FORWARDING:
        key = "absent_registered" if taker.fact.source is AbsenceSource.TEAM_LEAD else "absent_outlook"
        said = [feature_text(config, f"{key}_until", until=until(taker.until)) if taker.until
                else feature_text(config, key)]
        return said + [feature_text(config, "callers_to_colleague", name=taker.name) if taker.name
                       else feature_text(config, "callers_to_front_office")]
    match taker.taker:
        case Taker.SUBSTITUTE:
            return [feature_text(config, "calls_to_colleague", name=taker.name)]
        case Taker.MOBILE:
            return [feature_text(config, "calls_to_mobile")]
        case Taker.FRONT_OFFICE if taker.why is Why.DND:
            return [feature_text(config, "dnd_effect")]
        case Taker.FRONT_OFFICE:
            return [feature_text(config, "callers_to_front_office")]
    return [feature_text(config, "calls_here_and_mobile" if taker.also_mobile else "calls_here")]
