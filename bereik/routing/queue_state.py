"""The live state of one queue, rebuilt from the PBX's facts: who waits in which order, which
agents are logged in, free, paused or talking, and how long recent calls took.

Pure: facts (bereik.facts) and times go in; the estimator's QueueSnapshot comes out.
After every (re)connect the state is replaced by the PBX's list of the queue, so facts
missed while disconnected leave nothing stale.
"""
from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

from bereik import facts as f
from bereik.routing.direct import DEVICE_GONE
from bereik.routing.estimate import FinishedWait, HandledCall, QueueSnapshot

RECENT_CALLS = 1000  # handled calls and ended waits kept for the wait estimate (bereik.routing.estimate)


@dataclass
class Caller:
    channel: str
    leg: str
    joined_at: float
    topic: str = ""
    caller_number: str = ""


@dataclass
class Member:
    interface: str  # the member's id at the PBX
    device: str = f.UNKNOWN
    paused: bool = False
    in_call: bool = False

    @property
    def logged_in(self) -> bool:
        return self.device not in DEVICE_GONE

    @property
    def free(self) -> bool:
        return self.device == f.NOT_INUSE and not self.paused and not self.in_call


@dataclass
class QueueState:
    queue: str
    wrapup_seconds: float = 0.0
    callers: list[Caller] = field(default_factory=list)  # in queue order: position = index + 1
    members: dict[str, Member] = field(default_factory=dict)
    handled: deque[HandledCall] = field(default_factory=lambda: deque(maxlen=RECENT_CALLS))
    waits: deque[FinishedWait] = field(default_factory=lambda: deque(maxlen=RECENT_CALLS))
    # The same tuple for every snapshot until one more call (or wait) ends: the estimator summarises each once.
    # Apart, so that a caller leaving does not make it sort the recent calls again.
    _recent_calls: tuple[HandledCall, ...] | None = field(default=None, init=False, repr=False, compare=False)
    _recent_waits: tuple[FinishedWait, ...] | None = field(default=None, init=False, repr=False, compare=False)
    # The callers by channel: app_queue tells every caller who hangs up twice (Abandon, then Leave), and the
    # second look-up scanned the whole line, once per abandoned call.
    _waiting: dict[str, Caller] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._waiting = {c.channel: c for c in self.callers}

    def apply(self, fact: f.Fact, now: float) -> f.Fact | None:
        """Take one fact in; the fact when it changed this queue's state, else None."""
        if getattr(fact, "queue", None) != self.queue:
            return None
        at = getattr(fact, "at", None)
        at = now if at is None else at
        match fact:
            case f.QueueJoined():
                self._join(fact, at)
            case f.QueueLeft() | f.QueueAbandoned():
                self._leave(fact, at)
            case f.MemberState():
                self._member(fact)
            case f.MemberRemoved():
                self.members.pop(fact.member, None)
            case f.AgentCompleted():
                self.handled.append(HandledCall(at, fact.talk_seconds or 0, self.wrapup_seconds))
                self._recent_calls = None
            case _:
                return None
        return fact

    def load_status(self, told: Iterable[f.MemberState | f.CallerWaiting], now: float) -> None:
        """Replace the state with the PBX's list of the queue's members and callers (kept: recent calls and waits)."""
        self.members = {}
        callers = []
        for fact in told:
            if fact.queue != self.queue:
                continue
            if isinstance(fact, f.MemberState):
                self._member(fact)
            elif isinstance(fact, f.CallerWaiting):
                callers.append((fact.position or 0, Caller(
                    fact.channel, fact.leg, now - fact.waited_seconds, caller_number=fact.caller_number)))
        known = {c.channel: c for c in self.callers}
        # A caller already known keeps its topic; the list carries no labels.
        self.callers = [_merged(known.get(c.channel), c) for _, c in sorted(callers, key=lambda pc: pc[0])]
        self._waiting = {c.channel: c for c in self.callers}

    def caller(self, channel: str) -> Caller | None:
        return self._waiting.get(channel)

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
            recent_calls=self.recent()[0],
            waited_seconds=now - self.callers[position - 1].joined_at,
            recent_waits=self.recent()[1],
        )

    def snapshot_for_new_caller(self, now: float) -> QueueSnapshot:
        """The queue as a caller joining now would find it: everyone waiting is ahead (the public figure)."""
        logged_in = [m for m in self.members.values() if m.logged_in]
        return QueueSnapshot(callers_ahead=len(self.callers), agents_logged_in=len(logged_in),
                             agents_free=sum(m.free for m in logged_in), agents_paused=sum(m.paused for m in logged_in),
                             recent_calls=self.recent()[0], recent_waits=self.recent()[1])

    def recent(self) -> tuple[tuple[HandledCall, ...], tuple[FinishedWait, ...]]:
        """The recent handled calls and ended waits, as one tuple each until one more ends."""
        if self._recent_calls is None:
            self._recent_calls = tuple(self.handled)
        if self._recent_waits is None:
            self._recent_waits = tuple(self.waits)
        return self._recent_calls, self._recent_waits

    def _join(self, fact: f.QueueJoined, at: float) -> None:
        caller = Caller(fact.channel, fact.leg, at, fact.labels.get(f.TOPIC, ""), fact.caller_number)
        if caller.channel in self._waiting:  # joined again: its old place goes
            self.callers = [c for c in self.callers if c.channel != caller.channel]
        self._waiting[caller.channel] = caller
        # A caller put back at its place (Queue()'s position argument) joins mid-line.
        position = fact.position if fact.position is not None else len(self.callers) + 1
        self.callers.insert(max(0, min(position - 1, len(self.callers))), caller)

    def _leave(self, fact: f.QueueLeft | f.QueueAbandoned, at: float) -> None:
        caller = self._waiting.pop(fact.channel, None)
        if caller is None:  # app_queue tells a caller who hung up twice: QueueCallerAbandon, then QueueCallerLeave
            return
        self.callers.remove(caller)
        gave_up = isinstance(fact, f.QueueAbandoned)
        waited = fact.waited_seconds if gave_up and fact.waited_seconds is not None else at - caller.joined_at
        self.waits.append(FinishedWait(at, max(0.0, waited), gave_up))
        self._recent_waits = None

    def _member(self, fact: f.MemberState) -> None:
        member = self.members.setdefault(fact.member, Member(fact.member))
        member.device = fact.device if fact.device is not None else member.device
        member.paused = fact.paused if fact.paused is not None else member.paused
        member.in_call = fact.in_call if fact.in_call is not None else member.in_call


def _merged(known: Caller | None, fresh: Caller) -> Caller:
    if known is None:
        return fresh
    return Caller(fresh.channel, fresh.leg or known.leg, known.joined_at, known.topic, known.caller_number)
