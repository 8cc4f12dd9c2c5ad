"""What is due for an open call-back note now: pure rules, no I/O (bereik.callbacks.watch acts on them).

- Its owner is away (absent, out of office, forwarded to a colleague): the note moves at once to the
  substitute, or to the team when there is none, not at the deadline.
- A few working hours before the deadline (callbacks.remind_before_hours): the owner is reminded, once.
- At the deadline: the team lead is told, once.
- An appointment (belafspraak): at its time the colleague's phone rings, then the caller's, once.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bereik.callbacks.store import APPOINTMENT, Note
from bereik.config.model import Callbacks


@dataclass(frozen=True)
class Move:
    to: str  # the substitute's extension; "" for the team
    away: str  # the owner who is away


@dataclass(frozen=True)
class Remind:
    hours_left: float  # working hours until the deadline


@dataclass(frozen=True)
class Escalate:
    late_by: dt.timedelta


@dataclass(frozen=True)
class Ring:
    """The appointment's time has come: ring the owner, then the caller."""


Action = Move | Remind | Escalate | Ring


def due_now(note: Note, now: dt.datetime, settings: Callbacks, *, working_hours_left: float,
            owner_away_to: str | None) -> list[Action]:
    """`working_hours_left`: working hours from now to the deadline; `owner_away_to`: None while the owner is
    there, else who stands in for them ("" nobody: the team)."""
    if note.closed:
        return []
    actions: list[Action] = []
    if note.owner and owner_away_to is not None and owner_away_to != note.owner:
        actions.append(Move(owner_away_to, note.owner))
    if note.kind == APPOINTMENT:
        if note.appointment_at is not None and now >= note.appointment_at and not note.extra.get("rung"):
            actions.append(Ring())
        if now >= note.due_at and note.escalated_at is None:
            actions.append(Escalate(now - note.due_at))
        return actions  # no reminder: the colleague's own calendar reminds them
    if now >= note.due_at:
        if note.escalated_at is None:
            actions.append(Escalate(now - note.due_at))
    elif (note.reminded_at is None and settings.remind_before_hours > 0
          and working_hours_left <= settings.remind_before_hours):
        actions.append(Remind(round(working_hours_left, 1)))
    return actions
