"""One absence fact per person from three sources. Pure: plain data in, one fact out; the clock comes in.

The sources:
- the team lead's registration in bereik (`Absence`: from, until, substitute), always known;
- Outlook's automatic reply (`OutOfOffice` through Graph), known only while Graph answers;
- the person's own forwarding to a colleague (set on the phone with *21*, in the console or the CLI),
  always known. A forward to their own mobile is not an absence: they take the call elsewhere.

The rules:
1. A claim counts only when its source is known now: Outlook's reply from a source that is down or
   older than its maximum age is unknown, so an "afwezig" read an hour ago is never repeated.
2. Absent when a known claim covers now. The absence runs until the end of the claims that cover now
   or follow on without a gap (ill until Wednesday, then on holiday: absent until the holiday ends),
   and until further notice when one of them has no end.
3. Present only when every source is known and none covers now. A source that is unknown and no
   known claim: unknown, never a stale "beschikbaar". Routing rings the desk then, as if present:
   an unanswered call still reaches the front office.
4. The substitute is the one the team lead named, else the colleague the person forwards to; the
   source is the one whose claim keeps the person away longest (the team lead's on a tie).
A claim that ended early (the team lead shortened it, Outlook's reply was switched off, the forward
cleared with #21#) simply no longer covers now.
"""
from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # merge.py builds its view on this module
    from bereik.presence.merge import Absence, Fact, OutOfOffice


class AbsenceSource(enum.StrEnum):
    TEAM_LEAD = "team_lead"  # registered in bereik by the team lead (or the person)
    OUTLOOK = "outlook"  # Outlook's automatic reply
    FORWARDING = "forwarding"  # the person's own forward to a colleague


class AbsenceState(enum.StrEnum):
    ABSENT = "absent"
    PRESENT = "present"
    UNKNOWN = "unknown"


# On a tie the team lead's word counts first: it is the organisation's arrangement.
_PRECEDENCE = (AbsenceSource.TEAM_LEAD, AbsenceSource.FORWARDING, AbsenceSource.OUTLOOK)


@dataclass(frozen=True)
class Claim:
    """One source saying: away from `starts` until `ends` (None: since before we know / until further notice)."""

    source: AbsenceSource
    starts: dt.datetime | None
    ends: dt.datetime | None
    substitute: str = ""  # as the source names them: an extension, a person id or a free-text name

    def covers(self, now: dt.datetime) -> bool:
        return (self.starts is None or self.starts <= now) and (self.ends is None or now < self.ends)


@dataclass(frozen=True)
class AbsenceFact:
    state: AbsenceState
    source: AbsenceSource | None = None  # the claim that keeps the person away longest
    since: dt.datetime | None = None
    until: dt.datetime | None = None  # None while absent: until further notice
    substitute: str = ""
    claims: tuple[Claim, ...] = ()  # every known claim covering now
    unknown: tuple[AbsenceSource, ...] = ()  # sources that could not be read now

    @property
    def absent(self) -> bool:
        return self.state is AbsenceState.ABSENT


def team_lead_claims(absences: Iterable[Absence]) -> tuple[Claim, ...]:
    return tuple(Claim(AbsenceSource.TEAM_LEAD, a.starts, a.ends, a.substitute) for a in absences)


def outlook_claims(reply: OutOfOffice) -> tuple[Claim, ...]:
    """Graph's automaticRepliesSetting: alwaysEnabled has no period, scheduled has one, disabled none."""
    if reply.status == "alwaysEnabled":
        return (Claim(AbsenceSource.OUTLOOK, None, None),)
    if reply.status == "scheduled" and reply.start and reply.end:
        return (Claim(AbsenceSource.OUTLOOK, reply.start, reply.end),)
    return ()


def merge_absence(now: dt.datetime, *, team_lead: Iterable[Absence] = (), outlook: Fact[OutOfOffice] | None = None,
                  forwarding: Iterable[Claim] = ()) -> AbsenceFact:
    """`outlook`: None when Outlook is no source for this person (no Graph, no mailbox); a Fact that is
    down or too old makes Outlook unknown. `forwarding`: the person's forwards to a colleague as claims."""
    claims = [*team_lead_claims(team_lead), *forwarding]
    unknown: tuple[AbsenceSource, ...] = ()
    if outlook is not None:
        reply = outlook.usable(now)
        if reply is None:
            unknown = (AbsenceSource.OUTLOOK,)
        else:
            claims += outlook_claims(reply)
    covering = [c for c in claims if c.covers(now)]
    if not covering:
        return AbsenceFact(AbsenceState.UNKNOWN if unknown else AbsenceState.PRESENT, unknown=unknown)
    until = _until(covering, claims)
    decisive = max(covering, key=lambda c: (_end_key(c.ends), -_PRECEDENCE.index(c.source)))
    substitute = next((c.substitute for source in (AbsenceSource.TEAM_LEAD, AbsenceSource.FORWARDING)
                       for c in covering if c.source is source and c.substitute), "")
    starts = [c.starts for c in covering]
    since = None if None in starts else min(starts)
    covering.sort(key=lambda c: (_PRECEDENCE.index(c.source), _end_key(c.ends)))
    return AbsenceFact(AbsenceState.ABSENT, decisive.source, since, until, substitute, tuple(covering), unknown)


def _end_key(ends: dt.datetime | None) -> float:
    return float("inf") if ends is None else ends.timestamp()


def _until(covering: list[Claim], claims: list[Claim]) -> dt.datetime | None:
    """The end of the covering claims, run on through every claim that starts before (or when) it ends."""
    if any(c.ends is None for c in covering):
        return None
    until = max(c.ends for c in covering)
    extended = True
    while extended:
        extended = False
        for claim in claims:
            starts_in_time = claim.starts is None or claim.starts <= until
            if starts_in_time and (claim.ends is None or claim.ends > until):
                if claim.ends is None:
                    return None
                until, extended = claim.ends, True
    return until
