"""The live state of one queue, rebuilt from AMI events: who waits in which order, which
agents are logged in, free, paused or talking, and how long recent calls took.

Pure: events (plain dicts, as bereik.pbx.ami delivers them) and times go in; the
estimator's QueueSnapshot comes out. After every AMI login the state is replaced by
QueueStatus's answer, so events missed while disconnected leave nothing stale.
"""
from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

from bereik.pbx import variables as var
from bereik.routing.estimate import HandledCall, QueueSnapshot

# app_queue's member Status: AST_DEVICE_* (include/asterisk/devicestate.h).
NOT_INUSE, INVALID, UNAVAILABLE = "1", "4", "5"
RECENT_CALLS = 200
LATEST_TIMESTAMP = 32_503_680_000.0  # the year 3000: far beyond any real event, well within a datetime


@dataclass
class Caller:
    channel: str
    uniqueid: str
    joined_at: float
    topic: str = ""
    caller_number: str = ""


@dataclass
class Member:
    interface: str
    status: str = "0"
    paused: bool = False
    in_call: bool = False

    @property
    def logged_in(self) -> bool:
        return self.status not in (INVALID, UNAVAILABLE)

    @property
    def free(self) -> bool:
        return self.status == NOT_INUSE and not self.paused and not self.in_call


@dataclass
class QueueState:
    queue: str
    wrapup_seconds: float = 0.0
    callers: list[Caller] = field(default_factory=list)  # in queue order: position = index + 1
    members: dict[str, Member] = field(default_factory=dict)
    handled: deque[HandledCall] = field(default_factory=lambda: deque(maxlen=RECENT_CALLS))

    def apply(self, event: dict[str, str], now: float) -> str | None:
        """Take one AMI event in; the name of the kind of change, or None when it is not about this queue."""
        if event.get("Queue") != self.queue:
            return None
        name = event.get("Event", "")
        at = event_time(event, now)
        if name == "QueueCallerJoin":
            self._join(event, at)
        elif name in ("QueueCallerLeave", "QueueCallerAbandon"):
            self.callers = [c for c in self.callers if c.channel != event.get("Channel")]
        elif name in ("QueueMemberStatus", "QueueMemberAdded", "QueueMemberPause"):
            self._member(event)
        elif name == "QueueMemberRemoved":
            self.members.pop(_interface(event), None)
        elif name == "AgentComplete":
            self.handled.append(HandledCall(at, number(event.get("TalkTime"), 0), self.wrapup_seconds))
        else:
            return None
        return name

    def load_status(self, replies: list[dict[str, str]], now: float) -> None:
        """Replace the state with QueueStatus's QueueMember and QueueEntry answers (kept: recent calls)."""
        self.members = {}
        callers = []
        for reply in replies:
            if reply.get("Queue") != self.queue:
                continue
            if reply.get("Event") == "QueueMember":
                self._member(reply)
            elif reply.get("Event") == "QueueEntry":
                callers.append((number(reply.get("Position"), 0), Caller(
                    reply.get("Channel", ""), reply.get("Uniqueid", ""), now - number(reply.get("Wait"), 0),
                    caller_number=reply.get("CallerIDNum", ""))))
        known = {c.channel: c for c in self.callers}
        # A caller already known keeps its topic; QueueEntry carries no channel variables.
        self.callers = [_merged(known.get(c.channel), c) for _, c in sorted(callers, key=lambda pc: pc[0])]

    def caller(self, channel: str) -> Caller | None:
        return next((c for c in self.callers if c.channel == channel), None)

    def position(self, channel: str) -> int | None:
        return next((i + 1 for i, c in enumerate(self.callers) if c.channel == channel), None)

    def snapshot(self, channel: str, now: float) -> QueueSnapshot | None:
        position = self.position(channel)
        if position is None:
            return None
        members = list(self.members.values())
        logged_in = [m for m in members if m.logged_in]
        return QueueSnapshot(
            callers_ahead=position - 1,
            agents_logged_in=len(logged_in),
            agents_free=sum(m.free for m in logged_in),
            agents_paused=sum(m.paused for m in logged_in),
            recent_calls=tuple(self.handled),
            waited_seconds=now - self.callers[position - 1].joined_at,
        )

    def _join(self, event: dict[str, str], at: float) -> None:
        caller = Caller(event.get("Channel", ""), event.get("Uniqueid", ""), at,
                        event.get(f"ChanVariable({var.TOPIC})", ""), event.get("CallerIDNum", ""))
        self.callers = [c for c in self.callers if c.channel != caller.channel]
        # A caller put back at its place (Queue()'s position argument) joins mid-line.
        index = max(0, min(int(number(event.get("Position"), len(self.callers) + 1)) - 1, len(self.callers)))
        self.callers.insert(index, caller)

    def _member(self, event: dict[str, str]) -> None:
        interface = _interface(event)
        member = self.members.setdefault(interface, Member(interface))
        member.status = event.get("Status", member.status)
        member.paused = event.get("Paused", "1" if member.paused else "0") == "1"
        member.in_call = event.get("InCall", "1" if member.in_call else "0") == "1"


def number(text: str | None, fallback: float) -> float:
    """A number from an AMI header; `fallback` when it is missing, unreadable, infinite or NaN."""
    try:
        value = float(text or fallback)
    except ValueError:
        return fallback
    return value if math.isfinite(value) else fallback


def event_time(event: dict[str, str], fallback: float | None) -> float | None:
    """An event's Timestamp in epoch seconds; `fallback` when missing or beyond what a datetime holds."""
    at = number(event.get("Timestamp"), math.nan)
    return at if 0 < at < LATEST_TIMESTAMP else fallback


def _interface(event: dict[str, str]) -> str:
    return event.get("Interface") or event.get("StateInterface") or event.get("Location", "")


def _merged(known: Caller | None, fresh: Caller) -> Caller:
    if known is None:
        return fresh
    return Caller(fresh.channel, fresh.uniqueid or known.uniqueid, known.joined_at, known.topic, known.caller_number)
