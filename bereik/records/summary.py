"""One row per call: the figures the reports and the wallboard count, taken from a journey.

Pure. The row keeps only what a report needs, so a month of a million calls is
counted without rebuilding a million journeys. Steps that later issues add
(fallback, warm transfer, call-back) are read by name here; until they are
recorded, the report says "geen gegevens" for the parameters that need them.
"""
from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Callable
from typing import NamedTuple
from zoneinfo import ZoneInfo

from bereik import facts as f
from bereik.records.journey import Journey, Step
from bereik.records.lost import is_cut_off

# Step names written by the back office and the console (issues 5 and 7).
FALLBACK = "fallback"
TRANSFER_STARTED = "transfer_started"
TRANSFER_ANSWERED = "transfer_answered"
TRANSFER_ENDED = "transfer_ended"  # the console: the transfer's outcome (completed, no answer, ...)
CALLBACK_REQUESTED = "callback_requested"
CALLBACK_KEPT = "callback_kept"
# The agent's wrap-up after a call (the console): detail topic, resolved (yes: helped at once), callback_note
# (yes/no), agent, login. The last one counts; first-contact resolution is the share resolved.
WRAPPED_UP = "wrapped_up"

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
    callback_requested: bool
    callback_on_time: bool | None  # None: no call-back requested, or not yet due
    person: str  # a direct call: the extension of the colleague the caller tried
    department: str  # and that colleague's department
    transfers: str  # JSON: the front office's transfers of this call, in order (see `transfers_of`)
    left_in: str  # the menu stage (municipality, menu) where the caller hung up; "" otherwise
    refused: bool  # the PBX refused the call (all lines busy, congestion): never answered
    inside: bool  # a colleague's call from a desk phone, not through the trunk: not a citizen's call
    failed: str  # a direct call that fell back: why (noanswer, busy, unavailable, dnd, absent, camp_timeout)
    via: str  # a direct call that went elsewhere: the substitute's extension, or "mobile"
    resolved: str = ""  # the agent's wrap-up (the last one counts): "yes" helped at once, "no", "" none given
    cut_off: bool = False  # the PBX node was lost with the call on it (bereik.records.lost): nobody hung up


COLUMNS = CallRow._fields

# A direct call reached its colleague: the phone answered, the camped caller was connected, or a
# colleague picked it up (Telan counts a colleague of the same department as direct reachability).
_REACHED = ("colleague_answered", "picked_up")


def _direct_answer(journey: Journey) -> float | None:
    # Only a colleague's answer counts: the dialplan answers every direct call itself (to ring, offer
    # camp-on, speak), so the caller's own "answered" says nothing about reaching anyone.
    times = [s.at for s in journey.steps
             if s.what in _REACHED or s.what == "ring_ended" and s.detail.get("status") == f.RING_ANSWERED]
    return min(times, default=None)


def _seconds(start: float | None, end: float | None) -> float | None:
    return None if start is None or end is None else round(max(0.0, end - start), 3)


class Transfer(NamedTuple):
    """One warm transfer by the front office (a call may have several: back with the caller, then another)."""

    to: str  # the colleague's extension
    search_seconds: float | None  # Telan's transfer time: the agent answered (or the last try ended) until it began
    wait_seconds: float | None  # it began until the colleague answered, or it was given up
    answered: bool


def _transfers(journey: Journey, answered_at: float | None, hung_up: float | None) -> list[Transfer]:
    found: list[Transfer] = []
    began: Step | None = None
    answer: float | None = None
    ready = answered_at  # when the agent was free to start (the next) one

    def close(at: float | None) -> None:
        nonlocal began, answer, ready
        to = began.detail.get("target", began.detail.get("to", ""))
        found.append(Transfer(to, _seconds(ready, began.at), _seconds(began.at, answer if answer is not None else at),
                              answer is not None))
        ready = at if at is not None else began.at
        began, answer = None, None

    for step in journey.steps:
        if step.what == TRANSFER_STARTED:
            if began is not None:
                close(step.at)
            began = step
        elif began is not None and step.what == TRANSFER_ANSWERED and answer is None:
            answer = step.at
        elif began is not None and step.what == TRANSFER_ENDED:
            close(step.at)
    if began is not None:
        close(hung_up)
    return found


def transfers_of(row: CallRow) -> tuple[Transfer, ...]:
    return _parsed_transfers(row.transfers) if row.transfers not in ("", "[]") else ()


@functools.lru_cache(maxsize=256)
def _parsed_transfers(text: str) -> tuple[Transfer, ...]:
    # The month's report reads a row's transfers four times (the colleague, the contact, the transfer times, the
    # person's reachability): parsed once.
    return tuple(Transfer(*t) for t in json.loads(text))


# Hang-up causes (Q.850) with which the PBX turns a call away before answering it.
REFUSED_CAUSES = frozenset({17, 21, 34, 38, 41, 42, 44, 47})


def _refused(first: Callable[[str], Step | None]) -> bool:
    hung_up = first("hung_up")
    if hung_up is None or first("answered") is not None:
        return False
    code = str(hung_up.detail.get("code", ""))
    return code.isdigit() and int(code) in REFUSED_CAUSES


def summarise(journey: Journey, zone: ZoneInfo, front_numbers: frozenset[str] = frozenset()) -> CallRow:
    # Each kind's first step, found in one pass: the row is summarised again on every AMI event of a call.
    firsts: dict[str, Step] = {}
    for step in journey.steps:
        firsts.setdefault(step.what, step)
    first = firsts.get

    def at(what: str) -> float | None:
        step = first(what)
        return step.at if step else None

    entered = at("entered") or (journey.steps[0].at if journey.steps else 0.0)
    local = dt.datetime.fromtimestamp(entered, zone)
    queued_step = first("queued")
    answered_step = first("agent_answered")
    queued_at = queued_step.at if queued_step else None
    hung_up = at("hung_up")
    fallback_at = at(FALLBACK)
    if fallback_at is None and queued_step is not None and queued_step.detail.get("tried"):
        fallback_at = queued_step.at  # the back office's fallback: the queue step says whom the caller tried
    forwarded = first("forwarded")
    if fallback_at is None and queued_step is not None and forwarded is not None and forwarded.at <= queued_step.at:
        fallback_at = queued_step.at  # a menu option's outside organisation did not answer: the front office
    answered_at = answered_step.at if answered_step else None
    callback = first(CALLBACK_REQUESTED)
    # A caller who left the queue for a call-back (that keeps its place) did not give up, nor one whose node died.
    cut_off = is_cut_off(journey)
    abandoned = (queued_at is not None and answered_at is None and callback is None and not cut_off
                 and (journey.ended or first("abandoned")))
    completed = first("agent_completed")
    talk_end = min((t for t in (completed.at if completed else None, hung_up) if t is not None), default=None)
    talk = _seconds(answered_at, talk_end)
    kind = FRONT if (journey.dialled in front_numbers or queued_at is not None and fallback_at is None) else DIRECT
    first_answer = _direct_answer(journey)
    direct_answered = kind == DIRECT and first_answer is not None and (fallback_at is None or first_answer < fallback_at)
    kept = first(CALLBACK_KEPT)
    on_time = None
    if callback is not None and kept is not None:
        on_time = kept.detail.get("on_time", "yes") == "yes"
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
        callback_requested=callback is not None,
        callback_on_time=on_time,
        person=journey.labels.get(f.TRIED, "") if kind == DIRECT else "",
        department=journey.labels.get(f.DEPARTMENT, "") if kind == DIRECT else "",
        transfers=json.dumps([list(t) for t in _transfers(journey, answered_at, hung_up)]),
        left_in=_left_in(journey, queued_step, forwarded),
        refused=_refused(first),
        inside=_inside(first),
        failed=journey.labels.get(f.FAILED, "") if kind == DIRECT else "",
        via=journey.labels.get(f.TRIED_VIA, "") if kind == DIRECT else "",
        resolved=next((s.detail.get("resolved", "") for s in reversed(journey.steps) if s.what == WRAPPED_UP), ""),
        cut_off=cut_off,
    )


def _inside(first: Callable[[str], Step | None]) -> bool:
    entered = first("entered")
    return entered is not None and entered.detail.get("inside") == "yes"


def _left_in(journey: Journey, queued: Step | None, forwarded: Step | None) -> str:
    """A caller who hung up before bereik decided where the call goes: the question they were at."""
    if not journey.ended or queued is not None or forwarded is not None or journey.labels.get(f.REASON):
        return ""
    return journey.labels.get(f.STAGE, "")
