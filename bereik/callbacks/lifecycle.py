"""When a call-back note is done: pure rules, no I/O.

A note is closed by the call, not by a click: a call-back the caller answered and that lasted longer
than `callbacks.answered_seconds` closes it by itself. Its owner may close it with a reason
("beantwoord per e-mail", "nummer onjuist"), and as "niet bereikt" only after enough unanswered
attempts at different times, as call-back norms ask (`callbacks.not_reached_attempts`,
`callbacks.attempts_apart_minutes`).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from bereik import facts as f
from bereik.callbacks.store import HANDLED, NOT_REACHED, Attempt, Note
from bereik.config.model import Callbacks

# How one call-back call ended, in the words of the note's steps.
ANSWERED = "answered"  # the caller answered and talked long enough: the note is done
TOO_SHORT = "too_short"  # answered, but ended within callbacks.answered_seconds (a voicemail, a wrong number)
NO_ANSWER = "no_answer"
BUSY = "busy"
FIRST_NOT_ANSWERED = "first_not_answered"  # the owner's (or agent's) own phone was not answered: the caller was not rung
FAILED = "failed"  # the caller's number could not be rung (refused, unavailable, bereik away)

_CALLER_STATUS = {"NOANSWER": NO_ANSWER, "BUSY": BUSY}


@dataclass(frozen=True)
class Outcome:
    outcome: str
    closes: bool  # the note is done, called back
    answered_at: dt.datetime | None  # when the caller answered, for Telan's "on time"


def outcome_of(ended: f.CallbackCallEnded, at: dt.datetime, settings: Callbacks) -> Outcome:
    """What one call-back call did to its note. `at`: when it ended."""
    if not ended.first_answered:
        return Outcome(FIRST_NOT_ANSWERED, False, None)
    if ended.status != f.RING_ANSWERED:
        return Outcome(_CALLER_STATUS.get(ended.status, FAILED), False, None)
    talk = ended.talk_seconds or 0.0
    answered_at = at - dt.timedelta(seconds=talk)
    if talk <= settings.answered_seconds:
        return Outcome(TOO_SHORT, False, None)
    return Outcome(ANSWERED, True, answered_at)


def unanswered_attempts_apart(attempts: Sequence[Attempt], settings: Callbacks) -> int:
    """How many unanswered call-backs count towards 'niet bereikt': each at least
    attempts_apart_minutes after the last one counted."""
    apart = dt.timedelta(minutes=settings.attempts_apart_minutes)
    counted: list[dt.datetime] = []
    for attempt in sorted(attempts, key=lambda a: a.started_at):
        if attempt.outcome not in (NO_ANSWER, BUSY, TOO_SHORT):
            continue  # the caller was never rung, or answered
        if not counted or attempt.started_at - counted[-1] >= apart:
            counted.append(attempt.started_at)
    return len(counted)


def why_not_closable(note: Note, outcome: str, reason: str, attempts: Sequence[Attempt],
                     settings: Callbacks) -> str | None:
    """Why the owner may not close the note this way, in the console's words (Dutch); None: they may."""
    if note.closed:
        return "deze notitie is al gesloten"
    if outcome == NOT_REACHED:
        counted = unanswered_attempts_apart(attempts, settings)
        if counted < settings.not_reached_attempts:
            return (f"'niet bereikt' kan na {settings.not_reached_attempts} onbeantwoorde pogingen die minstens "
                    f"{settings.attempts_apart_minutes} minuten uit elkaar liggen; nu {counted}")
        return None
    if outcome == HANDLED:
        return None if reason in settings.close_reasons else \
            "kies een van de redenen: " + ", ".join(settings.close_reasons)
    return "een notitie wordt afgehandeld door het terugbelgesprek zelf, of met een reden"
