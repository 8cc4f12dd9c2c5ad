"""The front-office floor right now: who waits, what agents do, how today goes.

Pure: AMI events (plain dicts, with their Timestamp) go in; `snapshot(now)`
comes out. After every AMI (re)login `load_status` replaces the waiting callers
and agents with what Asterisk's QueueStatus says, so nothing stale survives a
disconnect. Today's counters restart at local midnight.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import NamedTuple
from zoneinfo import ZoneInfo

from bereik.records import servers as call_ids
from bereik.routing.queue_state import event_time, number

FREE, TALKING, RINGING, WRAPUP, PAUSED, AWAY = "free", "talking", "ringing", "wrapup", "paused", "away"
STATES = (FREE, TALKING, RINGING, WRAPUP, PAUSED, AWAY)

# app_queue's member status codes (QueueMemberStatus, QueueMember)
_BY_STATUS = {"1": FREE, "2": TALKING, "3": TALKING, "8": TALKING, "6": RINGING, "7": RINGING}
# An agent who pauses this soon after a call is doing the call's wrap-up.
WRAPUP_PAUSE_SECONDS = 5.0


class CallbackCounts(NamedTuple):
    open: int
    late: int


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
        """`servers`: the names of several servers whose events (call ids qualified, bereik.records.servers)
        all come here; the board then also counts the waiting callers per server."""
        self.zone = zone
        self.servers = servers
        self.answer_seconds = answer_seconds
        self.callbacks = callbacks
        self.waiting: dict[str, tuple[str, float]] = {}  # caller Uniqueid -> (queue, joined at)
        self.agents: dict[str, _Agent] = {}  # interface -> agent
        self.today = _Today()
        self.totals = {"answered": 0, "abandoned": 0}  # since start, for Prometheus counters
        self.queue_totals: dict[tuple[str, str], int] = {}  # (queue, outcome) -> calls since start
        self.calls_entered = 0

    # --- events ---

    def apply(self, event: dict[str, str]) -> bool:
        """Take one AMI event; True when the wallboard changed."""
        handler = getattr(self, f"_on_{event.get('Event', '')}", None)
        if handler is None:
            return False
        at = event_time(event, None)
        if at is None:  # without its time an event would count on the wrong day
            return False
        self._roll_day(at)
        handler(event, at)
        return True

    def load_status(self, events: Iterable[dict[str, str]], now: float, server: str = "") -> None:
        """Replace waiting callers (of `server`, if named) and agents with QueueStatus's answer."""
        self._roll_day(now)
        waiting = {k: v for k, v in self.waiting.items() if not call_ids.of_server(server, k)}
        for event in events:
            kind = event.get("Event")
            if kind == "QueueEntry":
                waiting[event.get("Uniqueid", "")] = (event.get("Queue", ""), now - number(event.get("Wait"), 0))
            elif kind == "QueueMember":
                self._member(event, now)
        self.waiting = waiting

    def _roll_day(self, at: float) -> None:
        day = dt.datetime.fromtimestamp(at, self.zone).date()
        if self.today.day != day:
            self.today = _Today(day=day)
            midnight = dt.datetime.combine(day, dt.time(), self.zone).timestamp()
            for agent in self.agents.values():
                agent.since = max(agent.since, midnight)

    def _on_Newchannel(self, event, at):
        if event.get("Uniqueid") == event.get("Linkedid"):
            self.calls_entered += 1

    def _on_QueueCallerJoin(self, event, at):
        self.waiting[event.get("Uniqueid", "")] = (event.get("Queue", ""), at)

    def _on_QueueCallerLeave(self, event, at):
        self.waiting.pop(event.get("Uniqueid", ""), None)

    def _on_QueueCallerAbandon(self, event, at):
        self.waiting.pop(event.get("Uniqueid", ""), None)
        self.today.abandoned += 1
        self.totals["abandoned"] += 1
        self._count(event, "abandoned")

    def _on_AgentConnect(self, event, at):
        self.waiting.pop(event.get("Uniqueid", ""), None)
        self.today.answered += 1
        self.totals["answered"] += 1
        within_norm = number(event.get("HoldTime"), 0) <= self.answer_seconds
        self.today.within_norm += within_norm
        self._count(event, "answered", within_norm)
        self._set(event.get("Interface", ""), event.get("MemberName", ""), TALKING, at)

    def _count(self, event: dict[str, str], outcome: str, within_norm: bool = False) -> None:
        queue = event.get("Queue", "")
        self.queue_totals[queue, outcome] = self.queue_totals.get((queue, outcome), 0) + 1
        day = self.today.by_queue.setdefault(queue, QueueDay())
        setattr(day, outcome, getattr(day, outcome) + 1)
        day.within_norm += within_norm

    def _on_AgentComplete(self, event, at):
        self.today.talk_total += number(event.get("TalkTime"), 0)
        self.today.talk_count += 1
        agent = self.agents.get(event.get("Interface", ""))
        if agent is not None:
            agent.completed_at = at

    def _on_QueueMemberStatus(self, event, at):
        self._member(event, at)

    _on_QueueMemberAdded = _on_QueueMemberStatus
    _on_QueueMemberPause = _on_QueueMemberStatus

    def _on_QueueMemberRemoved(self, event, at):
        self._set(event.get("Interface", ""), event.get("MemberName", ""), AWAY, at)

    def _member(self, event: dict[str, str], at: float) -> None:
        interface = event.get("Interface") or event.get("Location", "")
        if event.get("Paused") == "1":
            agent = self.agents.get(interface)
            after_call = agent is not None and agent.completed_at is not None \
                and at - agent.completed_at <= WRAPUP_PAUSE_SECONDS
            state = WRAPUP if after_call or (agent is not None and agent.state == WRAPUP) else PAUSED
        elif event.get("InCall") == "1":
            state = TALKING
        else:
            state = _BY_STATUS.get(event.get("Status", ""), AWAY)
        self._set(interface, event.get("MemberName") or event.get("Name", ""), state, at)

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
            "service_level": round(today.within_norm / offered, 3) if offered else None,
            "occupancy": round(busy / (busy + seconds[FREE]), 3) if busy + seconds[FREE] else None,
            "average_talk": round(today.talk_total / today.talk_count) if today.talk_count else None,
            "average_wrapup": round(seconds[WRAPUP] / today.talk_count) if today.talk_count else None,
            "callbacks": callbacks._asdict() if callbacks is not None else None,
            **({"servers": [{"name": name, "waiting": sum(call_ids.of_server(name, k) for k in self.waiting)}
                            for name in self.servers]} if self.servers else {}),
        }
