"""The front-office floor right now: who waits, what agents do, how today goes.

Pure: the PBX's facts (bereik.facts, with their time) go in; `snapshot(now)`
comes out. After every (re)connect `load_status` replaces the waiting callers
and agents with the PBX's list of its queues, so nothing stale survives a
disconnect. Today's counters restart at local midnight.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import NamedTuple
from zoneinfo import ZoneInfo

from bereik import facts as f
from bereik.records import servers as call_ids

FREE, TALKING, RINGING, WRAPUP, PAUSED, AWAY = "free", "talking", "ringing", "wrapup", "paused", "away"
STATES = (FREE, TALKING, RINGING, WRAPUP, PAUSED, AWAY)

_BY_DEVICE = {f.NOT_INUSE: FREE, f.INUSE: TALKING, f.BUSY: TALKING, f.ONHOLD: TALKING, f.RINGING: RINGING,
              f.RINGINUSE: RINGING}
# An agent who pauses this soon after a call is doing the call's wrap-up.
WRAPUP_PAUSE_SECONDS = 5.0


class CallbackCounts(NamedTuple):
    open: int
    late: int
    on_time: float | None = None  # this month's call-backs on time (Telan), of those judged; None: none yet
    on_time_by_department: tuple[tuple[str, float], ...] = ()  # (department or team in words, share) of those judged


CallbackSource = Callable[[], CallbackCounts | None]


def no_callbacks() -> CallbackCounts | None:
    """Until call-back notes are kept (the console), the wallboard shows "geen gegevens"."""
    return None


@dataclass
class _Agent:
    name: str
    state: str = AWAY
    since: float = 0.0
    completed_at: float | None = None


@dataclass
class _Today:
    day: dt.date | None = None
    answered: int = 0
    within_norm: int = 0
    abandoned: int = 0
    put_through: int = 0  # by a menu option to an outside organisation: neither answered here nor lost
    talk_total: float = 0.0
    talk_count: int = 0
    seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STATES, 0.0))
    by_queue: dict[str, QueueDay] = field(default_factory=dict)


@dataclass
class QueueDay:
    """One queue's day, for its service level (Prometheus labels it by queue)."""

    answered: int = 0
    within_norm: int = 0
    abandoned: int = 0

    @property
    def service_level(self) -> float:
        """Answered within the norm over offered; 1 on a day without calls (nobody waited too long)."""
        offered = self.answered + self.abandoned
        return self.within_norm / offered if offered else 1.0


class Floor:
    def __init__(self, zone: ZoneInfo, answer_seconds: float, callbacks: CallbackSource = no_callbacks,
                 servers: tuple[str, ...] = ()):
        """`servers`: the names of several servers whose facts (call ids qualified, bereik.records.servers)
        all come here; the board then also counts the waiting callers per server."""
        self.zone = zone
        self.servers = servers
        self.answer_seconds = answer_seconds
        self.callbacks = callbacks
        self.waiting: dict[str, tuple[str, float]] = {}  # caller's leg -> (queue, joined at)
        self.agents: dict[str, _Agent] = {}  # queue member -> agent
        self.today = _Today()
        self.totals = {"answered": 0, "abandoned": 0}  # since start, for Prometheus counters
        self.queue_totals: dict[tuple[str, str], int] = {}  # (queue, outcome) -> calls since start
        self.calls_entered = 0

    # --- facts ---

    def apply(self, fact: f.Fact) -> bool:
        """Take one fact; True when the wallboard changed."""
        at = getattr(fact, "at", None)
        if at is None:  # without its time a fact would count on the wrong day
            return False
        self._roll_day(at)
        match fact:
            case f.CallEntered():
                self.calls_entered += fact.on_caller_leg
            case f.QueueJoined():
                self.waiting[fact.leg] = (fact.queue, at)
            case f.QueueLeft():
                self.waiting.pop(fact.leg, None)
            case f.QueueAbandoned():
                self.waiting.pop(fact.leg, None)
                self.today.abandoned += 1
                self.totals["abandoned"] += 1
                self._count(fact.queue, "abandoned")
            case f.AgentConnected():
                self.waiting.pop(fact.leg, None)
                self.today.answered += 1
                self.totals["answered"] += 1
                within_norm = (fact.waited_seconds or 0) <= self.answer_seconds
                self.today.within_norm += within_norm
                self._count(fact.queue, "answered", within_norm)
                self._set(fact.member, fact.agent, TALKING, at)
            case f.Forwarded() if fact.on_caller_leg and fact.labels.get(f.ORGANISATION):
                self.today.put_through += 1
            case f.AgentCompleted():
                self.today.talk_total += fact.talk_seconds or 0
                self.today.talk_count += 1
                agent = self.agents.get(fact.member)
                if agent is not None:
                    agent.completed_at = at
            case f.MemberState():
                self._member(fact, at)
            case f.MemberRemoved():
                self._set(fact.member, fact.name, AWAY, at)
            case _:
                return False
        return True

    def _count(self, queue: str, outcome: str, within_norm: bool = False) -> None:
        self.queue_totals[queue, outcome] = self.queue_totals.get((queue, outcome), 0) + 1
        day = self.today.by_queue.setdefault(queue, QueueDay())
        setattr(day, outcome, getattr(day, outcome) + 1)
        day.within_norm += within_norm

    def load_status(self, told: Iterable[f.MemberState | f.CallerWaiting], now: float, server: str = "") -> None:
        """Replace waiting callers (of `server`, if named) and agents with the PBX's list of its queues."""
        self._roll_day(now)
        waiting = {k: v for k, v in self.waiting.items() if not call_ids.of_server(server, k)}
        for fact in told:
            if isinstance(fact, f.CallerWaiting):
                waiting[fact.leg] = (fact.queue, now - fact.waited_seconds)
            elif isinstance(fact, f.MemberState):
                self._member(fact, now)
        self.waiting = waiting

    def _roll_day(self, at: float) -> None:
        day = dt.datetime.fromtimestamp(at, self.zone).date()
        if self.today.day != day:
            self.today = _Today(day=day)
            midnight = dt.datetime.combine(day, dt.time(), self.zone).timestamp()
            for agent in self.agents.values():
                agent.since = max(agent.since, midnight)

    def _member(self, fact: f.MemberState, at: float) -> None:
        if fact.paused:
            agent = self.agents.get(fact.member)
            after_call = agent is not None and agent.completed_at is not None \
                and at - agent.completed_at <= WRAPUP_PAUSE_SECONDS
            state = WRAPUP if after_call or (agent is not None and agent.state == WRAPUP) else PAUSED
        elif fact.in_call:
            state = TALKING
        else:
            state = _BY_DEVICE.get(fact.device or "", AWAY)
        self._set(fact.member, fact.name, state, at)

    def _set(self, interface: str, name: str, state: str, at: float) -> None:
        if not interface:
            return
        agent = self.agents.setdefault(interface, _Agent(name or interface, since=at))
        agent.name = name or agent.name
        if agent.state != state:
            self.today.seconds[agent.state] += max(0.0, at - agent.since)
            agent.state, agent.since = state, at
            if state in (TALKING, RINGING, AWAY):
                agent.completed_at = None

    # --- the board ---

    def snapshot(self, now: float) -> dict:
        today = self.today
        seconds = dict(today.seconds)
        for agent in self.agents.values():
            seconds[agent.state] += max(0.0, now - agent.since)
        busy = seconds[TALKING] + seconds[RINGING] + seconds[WRAPUP]
        queues: dict[str, list[float]] = {}
        for queue, joined in self.waiting.values():
            queues.setdefault(queue, []).append(max(0.0, now - joined))
        waits = [w for ws in queues.values() for w in ws]
        offered = today.answered + today.abandoned
        callbacks = self.callbacks()
        return {
            "at": dt.datetime.fromtimestamp(now, self.zone).strftime("%H:%M:%S"),
            "waiting": len(waits),
            "longest_wait": round(max(waits)) if waits else 0,
            "queues": [{"id": q, "waiting": len(ws), "longest_wait": round(max(ws))} for q, ws in sorted(queues.items())],
            "agents": {state: sum(a.state == state for a in self.agents.values()) for state in STATES},
            "agent_list": [
                {"name": a.name, "state": a.state, "seconds": round(max(0.0, now - a.since))}
                for a in sorted(self.agents.values(), key=lambda a: a.name)
            ],
            "answer_seconds": self.answer_seconds,
            "answered": today.answered,
            "abandoned": today.abandoned,
            "put_through": today.put_through,
            "service_level": round(today.within_norm / offered, 3) if offered else None,
            "occupancy": round(busy / (busy + seconds[FREE]), 3) if busy + seconds[FREE] else None,
            "average_talk": round(today.talk_total / today.talk_count) if today.talk_count else None,
            "average_wrapup": round(seconds[WRAPUP] / today.talk_count) if today.talk_count else None,
            "callbacks": callbacks._asdict() if callbacks is not None else None,
            **({"servers": [{"name": name, "waiting": sum(call_ids.of_server(name, k) for k in self.waiting)}
                            for name in self.servers]} if self.servers else {}),
        }
