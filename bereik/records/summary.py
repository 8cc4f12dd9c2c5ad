"""One row per call: the figures the reports and the wallboard count, taken from a journey.

Pure. The row keeps only what a report needs, so a month of a million calls is
counted without rebuilding a million journeys. Steps that later issues add
(fallback, warm transfer, call-back) are read by name here; until they are
recorded, the report says "geen gegevens" for the parameters that need them.
"""
from __future__ import annotations

import datetime as dt
from typing import NamedTuple
from zoneinfo import ZoneInfo

from bereik import facts as f
from bereik.records.journey import Journey

# Step names written by the back office and the console (issues 5 and 7).
FALLBACK = "fallback"
TRANSFER_STARTED = "transfer_started"
TRANSFER_ANSWERED = "transfer_answered"
CALLBACK_REQUESTED = "callback_requested"
CALLBACK_KEPT = "callback_kept"

FRONT = "front"  # entered on the municipality's number: the front office
DIRECT = "direct"  # dialled a person or department directly


class CallRow(NamedTuple):
    call_id: str
    started_at: float
    ended_at: float | None
    day: str  # local date, YYYY-MM-DD
    hour: int  # local hour 0-23
    weekday: int  # 0 = Monday
    kind: str  # FRONT or DIRECT
    dialled: str
    caller: str
    queue: str
    topic: str
    reason: str
    queued_at: float | None
    wait_seconds: float | None  # queue join until an agent answered, or until the caller gave up
    agent: str
    abandoned: bool  # queued, and the caller hung up before an agent answered
    talk_seconds: float | None
    forwarded_to: str
    fallback: bool
    direct_answered: bool  # a direct call answered where it was dialled, without fallback
    transfer_seconds: float | None  # agent answered until the agent started the transfer
    transfer_wait_seconds: float | None  # transfer started until the colleague answered (or gave up)
    transfer_answered: bool | None  # None: no transfer
    callback_requested: bool
    callback_on_time: bool | None  # None: no call-back requested, or not yet due


COLUMNS = CallRow._fields

# A direct call reached its colleague: the phone answered, the camped caller was connected, or a
# colleague picked it up (Telan counts a colleague of the same department as direct reachability).
_REACHED = ("colleague_answered", "picked_up")


def _direct_answer(journey: Journey) -> float | None:
    if journey.first("rang") is None:
        step = journey.first("answered")  # no ringing recorded (the simulation): the caller's answer
        return step.at if step else None
    times = [s.at for s in journey.steps
             if s.what in _REACHED or s.what == "ring_ended" and s.detail.get("status") == f.RING_ANSWERED]
    return min(times, default=None)


def _seconds(start: float | None, end: float | None) -> float | None:
    return None if start is None or end is None else round(max(0.0, end - start), 3)


def summarise(journey: Journey, zone: ZoneInfo, front_numbers: frozenset[str] = frozenset()) -> CallRow:
    def at(what: str) -> float | None:
        step = journey.first(what)
        return step.at if step else None

    entered = at("entered") or (journey.steps[0].at if journey.steps else 0.0)
    local = dt.datetime.fromtimestamp(entered, zone)
    queued_step = journey.first("queued")
    answered_step = journey.first("agent_answered")
    queued_at = queued_step.at if queued_step else None
    hung_up = at("hung_up")
    fallback_at = at(FALLBACK)
    if fallback_at is None and queued_step is not None and queued_step.detail.get("tried"):
        fallback_at = queued_step.at  # the back office's fallback: the queue step says whom the caller tried
    answered_at = answered_step.at if answered_step else None
    abandoned = queued_at is not None and answered_at is None and (journey.ended or journey.first("abandoned"))
    completed = journey.first("agent_completed")
    talk_end = min((t for t in (completed.at if completed else None, hung_up) if t is not None), default=None)
    talk = _seconds(answered_at, talk_end)
    kind = FRONT if (journey.dialled in front_numbers or queued_at is not None and fallback_at is None) else DIRECT
    first_answer = _direct_answer(journey)
    direct_answered = kind == DIRECT and first_answer is not None and (fallback_at is None or first_answer < fallback_at)
    transfer_start = at(TRANSFER_STARTED)
    transfer_answer = at(TRANSFER_ANSWERED)
    callback = journey.first(CALLBACK_REQUESTED)
    kept = journey.first(CALLBACK_KEPT)
    on_time = None
    if callback is not None and kept is not None:
        on_time = kept.detail.get("on_time", "yes") == "yes"
    forwarded = journey.first("forwarded")
    return CallRow(
        call_id=journey.call_id,
        started_at=entered,
        ended_at=hung_up if journey.ended else None,
        day=local.date().isoformat(),
        hour=local.hour,
        weekday=local.weekday(),
        kind=kind,
        dialled=journey.dialled,
        caller=journey.caller_number,
        queue=queued_step.detail.get("queue", "") if queued_step else "",
        topic=journey.labels.get(f.TOPIC, ""),
        reason=journey.labels.get(f.REASON, ""),
        queued_at=queued_at,
        wait_seconds=_seconds(queued_at, answered_at if answered_at is not None else (hung_up if abandoned else None)),
        agent=answered_step.detail.get("agent", "") if answered_step else "",
        abandoned=bool(abandoned),
        talk_seconds=talk,
        forwarded_to=forwarded.detail.get("to", "") if forwarded else "",
        fallback=fallback_at is not None,
        direct_answered=direct_answered,
        transfer_seconds=_seconds(answered_at, transfer_start),
        transfer_wait_seconds=_seconds(transfer_start, transfer_answer or (hung_up if transfer_start else None)),
        transfer_answered=None if transfer_start is None else transfer_answer is not None,
        callback_requested=callback is not None,
        callback_on_time=on_time,
    )
