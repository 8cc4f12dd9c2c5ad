"""A month of a municipality's calls, through bereik's own routing, on a simulated clock (SimPy).

Synthetic callers are drawn from a traffic profile; every decision a live call gets
from bereik is taken here by the same code: the menu and opening hours (CallFlow), a
call to a colleague (DirectCall), the topic ranges of the queue (penalty_plan), the
wait estimate callers hear (estimate_wait), the overflow position (OverflowSwitch)
and the warm transfer (console.transfer). Only what Asterisk and people do is drawn
at random: when calls come, which key is pressed, whether a colleague picks up.

Each call leaves a journey with the step names the live recorder writes, summarised
by the live `summarise` into the `CallRow` the report reads, so a simulated month
gives the same report as a recorded one. `trace=True` also keeps every decision with
its facts, so a test can replay them through the live path.

Simplifications, stated: a colleague's state is drawn afresh for every call; agents
are logged in all day (calls only reach them while the office is open); every queue
a menu option names is treated as the front office.
"""
from __future__ import annotations

import datetime as dt
import math
import random
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import simpy

from bereik.config.model import Config
from bereik import facts as f
from bereik.console import transfer as warm
from bereik.records.journey import Journey, Step
from bereik.records.summary import (
    CALLBACK_KEPT,
    CALLBACK_REQUESTED,
    FALLBACK,
    TRANSFER_ANSWERED,
    TRANSFER_STARTED,
    CallRow,
    summarise,
)
from bereik.reports.schema import ReportRequest
from bereik.routing.direct import (
    CAMP_ON_KEYS,
    SECONDS_PER_RING,
    Attempt,
    CampOn,
    DirectCall,
    Diversion,
    Done,
    Facts,
    Fallback,
    OfferCampOn,
    Origin,
    Ring,
    attempt_for,
)
from bereik.routing.estimate import FinishedWait, HandledCall, QueueSnapshot, estimate_wait
from bereik.routing.flow import Ask, CallFlow, Enqueue, Forward, Hangup, PutThrough
from bereik.routing.hours import OpeningHours
from bereik.routing.queue_state import RECENT_CALLS
from bereik.routing.waiting import AnnouncementSchedule, OverflowSwitch, penalty_plan
from bereik.simulation.traffic import Availability, TrafficProfile

AVAILABLE, IN_MEETING, ABSENT, ON_THE_PHONE, NOT_ANSWERING = (
    "available", "in_meeting", "absent", "on_the_phone", "not_answering")
COLLEAGUE_TALK_SECONDS = 240.0  # how long a caller talks with a colleague; no figure of the report depends on it
TRANSFER_INTRODUCTION_SECONDS = 15.0  # the agent tells the colleague who is on the line
VOICEMAIL_SECONDS = 30.0
CALLBACK_TERM_SECONDS = 2 * 86400.0


@dataclass(frozen=True)
class Traced:
    """One decision bereik took, with the facts it was taken on (for the replay test)."""

    kind: str  # "flow", "direct", "estimate", "overflow", "transfer"
    facts: tuple
    decisions: tuple


@dataclass
class SimulationRun:
    request: ReportRequest
    rows: list[CallRow]
    events: int  # SimPy events processed
    trace: list[Traced] = field(default_factory=list)
    overflow_minutes: float = 0.0


@dataclass
class _Waiter:
    call_id: str
    joined_at: float
    topic: str | None
    low: int
    high: int
    assigned: simpy.Event
    agent: str = ""


@dataclass
class _Position:
    extension: str
    agent: str
    slot: int
    overflow: bool
    free_since: float = 0.0
    busy: bool = False


class _Trip:
    """A call's steps as the recorder would have written them."""

    def __init__(self, call_id: str, dialled: str, caller: str, at: float):
        self.journey = Journey(call_id, caller_number=caller, dialled=dialled)
        self.step(at, "entered")

    def step(self, at: float, what: str, **detail: str) -> None:
        self.journey.steps.append(Step(at, what, detail))


class _Simulation:
    def __init__(self, config: Config, profile: TrafficProfile, seed: int, request: ReportRequest, trace: bool):
        self.config, self.profile, self.request = config, profile, request
        self.env = simpy.Environment(initial_time=request.bounds(config.zone)[0])
        self.zone = config.zone
        self.hours = OpeningHours(config)
        self.plan = penalty_plan(config)
        self.schedule = AnnouncementSchedule.from_config(config.waiting)
        self.overflow = OverflowSwitch.from_config(config.waiting)
        self.front_numbers = frozenset(config.entry_numbers)
        self.tracing = trace
        self.trace: list[Traced] = []
        self.rows: list[CallRow] = []
        self.waiting: list[_Waiter] = []
        self.handled: deque[HandledCall] = deque(maxlen=RECENT_CALLS)
        self.waits: deque[FinishedWait] = deque(maxlen=RECENT_CALLS)
        self._recent: dict[int, tuple] = {}  # by id of the deque; as QueueState.recent: one tuple each until one more ends
        agents = {a.extension: a.name for a in config.agents}
        self.positions = [_Position(p.extension, agents.get(p.extension, p.extension), self.plan.slots[p.extension],
                                    p.overflow) for p in config.queue(config.front_office).positions]
        self.overflow_on_since: float | None = None
        self.overflow_seconds = 0.0
        # One stream per kind of chance, so that a variant that changes one thing leaves the others alone.
        self.rng = {name: random.Random(f"{seed}/{name}") for name in (
            "arrivals", "kind", "keys", "talk", "wrapup", "patience", "colleague", "camp", "front", "callback",
            "target")}
        self.targets = self._targets()
        self.counter = 0

    # -- arrivals --------------------------------------------------------------------------------

    def _targets(self) -> tuple[list[str], list[float]]:
        numbers = dict(self.profile.direct.numbers)
        if not numbers:
            dialable = [p.direct for p in self.config.people if p.direct]
            dialable += [d.number for d in self.config.departments if d.number and d.answered_by]
            numbers = {number: 1.0 for number in dialable}
        return list(numbers), list(numbers.values())

    def arrivals(self):
        rng = self.rng["arrivals"]
        day = self.request.start
        while day <= self.request.end:
            for hour in range(24):
                rate = self.profile.arrivals.per_hour(day.weekday(), hour) / 3600
                if rate <= 0:
                    continue
                begin = dt.datetime.combine(day, dt.time(hour), self.zone).timestamp()
                at = begin + rng.expovariate(rate)
                while at < begin + 3600:
                    yield self.env.timeout(at - self.env.now)
                    self._new_call()
                    at += rng.expovariate(rate)
            day += dt.timedelta(days=1)

    def _new_call(self) -> None:
        self.counter += 1
        call_id = f"sim-{self.counter}"
        caller = f"06{self.counter:08d}"
        direct = self.targets[0] and self.rng["kind"].random() < self.profile.direct.share
        if direct:
            dialled = self.rng["target"].choices(*self.targets)[0]
            self.env.process(self.direct_call(_Trip(call_id, dialled, caller, self.env.now)))
        else:
            self.env.process(self.front_call(_Trip(call_id, self.config.number, caller, self.env.now)))

    def _finish(self, trip: _Trip) -> None:
        trip.step(self.env.now, "hung_up")
        trip.journey.ended = True
        self.rows.append(summarise(trip.journey, self.zone, self.front_numbers))

    # -- the front office ------------------------------------------------------------------------

    def front_call(self, trip: _Trip):
        now = dt.datetime.fromtimestamp(self.env.now, self.zone)
        flow = CallFlow(self.config, now, hours=self.hours)
        decisions = [flow.start()]
        keys: list[str | None] = []
        while isinstance(decisions[-1], Ask):
            ask = decisions[-1]
            key = self._key(ask)
            yield self.env.timeout(len(ask.say) * self.profile.handling.ivr_prompt_seconds
                                   + (self.profile.handling.key_seconds if key else ask.timeout))
            keys.append(key)
            decisions.append(flow.pressed(key))
        self._traced("flow", (now, tuple(keys)), tuple(decisions))
        decision = decisions[-1]
        if isinstance(decision, Enqueue):
            trip.journey.labels.update({f.TOPIC: decision.topic or "", f.REASON: decision.reason})
            yield from self.queue(trip, decision.topic, fell_back=False)
            return
        if isinstance(decision, PutThrough):  # the outside organisation's answer is not simulated
            trip.journey.labels.update({f.CHOICE: decision.choice, f.ORGANISATION: decision.organisation,
                                        f.REASON: f.OUTSIDE_ORGANISATION})
            trip.step(self.env.now, "forwarded", to=decision.number)
        elif isinstance(decision, Forward):
            trip.step(self.env.now, "forwarded", to=decision.number)
        elif isinstance(decision, Hangup):
            yield self.env.timeout(len(decision.say) * self.profile.handling.ivr_prompt_seconds)
        self._finish(trip)

    def _key(self, ask: Ask) -> str | None:
        shares = self.profile.municipality_keys if ask.stage == "municipality" else self.profile.menu_keys
        if not shares:  # nobody told: everyone presses a key the menu offers, alike
            shares = {key: 1.0 for key in sorted(ask.keys)}
        key = self.rng["keys"].choices(list(shares), list(shares.values()))[0]
        return None if key == "none" else key

    def queue(self, trip: _Trip, topic: str | None, fell_back: bool):
        """Wait for an agent, hearing bereik's messages; answered, gave up or asked for a call-back."""
        joined = self.env.now
        trip.step(joined, "queued", queue=self.config.front_office)
        low, high = self.plan.ranges.get(topic or "", self.plan.everyone)
        self._traced("topic", (topic,), (low, high))
        waiter = _Waiter(trip.journey.call_id, joined, topic, low, high, self.env.event())
        self.waiting.append(waiter)
        self._dispatch()
        self._check_overflow()
        deadline = joined + self.rng["patience"].expovariate(1 / self.profile.patience_seconds)
        widen = joined + self.config.waiting.topic_fallback_seconds
        while not waiter.agent:
            announce = joined + self.schedule.next_after(self.env.now - joined)
            until = min(announce, deadline, widen if widen > self.env.now else math.inf)
            yield waiter.assigned | self.env.timeout(until - self.env.now)
            if waiter.agent:
                break
            if self.env.now >= deadline:
                self._leave(waiter, gave_up=True)
                self._finish(trip)
                return
            if self.env.now >= announce and self._takes_callback(waiter):
                self._leave(waiter, gave_up=False)
                trip.step(self.env.now, CALLBACK_REQUESTED, via="queue")
                self._callback(trip, self.profile.callbacks.on_time, self.profile.callbacks.late)
                self._finish(trip)
                return
            self._dispatch()  # the topic range may have widened
        self._ended(self.waits, FinishedWait(self.env.now, self.env.now - joined, gave_up=False))
        yield from self.answered(trip, waiter, fell_back)

    def _takes_callback(self, waiter: _Waiter) -> bool:
        if not self.config.waiting.callback_key or not self.profile.callback_key_share:
            return False
        estimate = self._estimate(waiter)
        told = estimate.wait_seconds is not None and estimate.wait_seconds >= self.profile.callback_key_above_seconds
        return told and self.rng["callback"].random() < self.profile.callback_key_share

    def _leave(self, waiter: _Waiter, gave_up: bool) -> None:
        self.waiting.remove(waiter)
        self._ended(self.waits, FinishedWait(self.env.now, self.env.now - waiter.joined_at, gave_up))
        self._check_overflow()

    def answered(self, trip: _Trip, waiter: _Waiter, fell_back: bool):
        position = next(p for p in self.positions if p.extension == waiter.agent)
        trip.step(self.env.now, "agent_answered", agent=position.agent)
        talk = self._talk()
        front = self.rng["front"]
        if fell_back:
            yield self.env.timeout(talk)
            if front.random() >= self.profile.front_office.resolves_fallback:
                trip.step(self.env.now, CALLBACK_REQUESTED, via="note")
                self._callback(trip, self.profile.callbacks.on_time, self.profile.callbacks.late)
        elif front.random() < self.profile.front_office.transfer_share:
            yield self.env.timeout(front.expovariate(1 / max(self.profile.front_office.search_seconds, 1e-9)))
            handed_over = yield from self.transfer(trip, position)
            if handed_over:
                trip.step(self.env.now, "agent_completed")  # the caller's trip goes on without the agent
                talk = 0.0
            elif trip.journey.first(TRANSFER_ANSWERED) is None:
                yield self.env.timeout(min(talk, 60.0))  # back with the caller: a call-back note
        else:
            yield self.env.timeout(talk)
        if not trip.journey.ended and trip.journey.first("agent_completed") is None:
            trip.step(self.env.now, "agent_completed")
            self._finish(trip)
        yield self.env.timeout(self._wrapup())
        self._ended(self.handled, HandledCall(self.env.now, talk, self.profile.handling.wrapup_seconds))
        position.busy, position.free_since = False, self.env.now
        self._dispatch()
        self._check_overflow()

    def _talk(self) -> float:
        handling = self.profile.handling
        if handling.talk_distribution == "exponential":
            return self.rng["talk"].expovariate(1 / handling.talk_seconds)
        if handling.talk_cv == 0:
            return handling.talk_seconds
        sigma2 = math.log(1 + handling.talk_cv ** 2)
        return self.rng["talk"].lognormvariate(math.log(handling.talk_seconds) - sigma2 / 2, math.sqrt(sigma2))

    def _wrapup(self) -> float:
        mean = self.profile.handling.wrapup_seconds
        return self.rng["wrapup"].expovariate(1 / mean) if mean else 0.0

    def _dispatch(self) -> None:
        """app_queue's choice: each free agent (longest free first) takes the first caller its penalty fits."""
        free = sorted((p for p in self.positions if not p.busy and self._staffed(p)), key=lambda p: p.free_since)
        for position in free:
            for waiter in self.waiting:
                widened = self.env.now - waiter.joined_at >= self.config.waiting.topic_fallback_seconds
                if widened or waiter.low <= position.slot <= waiter.high:
                    self.waiting.remove(waiter)
                    position.busy = True
                    waiter.agent = position.extension
                    waiter.assigned.succeed()
                    break

    def _staffed(self, position: _Position) -> bool:
        return not position.overflow or self.overflow.on

    def _snapshot(self, waiter: _Waiter) -> QueueSnapshot:
        paused = sum(not self._staffed(p) for p in self.positions)
        return QueueSnapshot(
            callers_ahead=self.waiting.index(waiter), agents_logged_in=len(self.positions),
            agents_free=sum(not p.busy and self._staffed(p) for p in self.positions), agents_paused=paused,
            recent_calls=self._shared(self.handled), waited_seconds=self.env.now - waiter.joined_at,
            recent_waits=self._shared(self.waits))

    def _ended(self, kept: deque, item: HandledCall | FinishedWait) -> None:
        kept.append(item)
        self._recent.pop(id(kept), None)

    def _shared(self, kept: deque) -> tuple:
        if id(kept) not in self._recent:
            self._recent[id(kept)] = tuple(kept)
        return self._recent[id(kept)]

    def _estimate(self, waiter: _Waiter):
        snapshot = self._snapshot(waiter)
        estimate = estimate_wait(snapshot, self.env.now)
        self._traced("estimate", (snapshot, self.env.now), (estimate,))
        return estimate

    def _check_overflow(self) -> None:
        if not any(p.overflow for p in self.positions):
            return
        wait = self._estimate(self.waiting[-1]).wait_seconds if self.waiting else 0.0
        facts = (len(self.waiting), wait, self.env.now)
        decision = self.overflow.update(*facts)
        self._traced("overflow", facts, (decision,))
        if decision is None:
            return
        if decision.on:
            self.overflow_on_since = self.env.now
            for position in self.positions:
                if position.overflow:
                    position.free_since = self.env.now
            self._dispatch()
        elif self.overflow_on_since is not None:
            self.overflow_seconds += self.env.now - self.overflow_on_since
            self.overflow_on_since = None

    # -- colleagues ------------------------------------------------------------------------------

    def _state(self, department: str) -> str:
        a: Availability = self.profile.availability_of(department)
        draw = self.rng["colleague"].random()
        for state, share in ((IN_MEETING, a.in_meeting), (ABSENT, a.absent), (ON_THE_PHONE, a.on_the_phone),
                             (NOT_ANSWERING, a.not_answering)):
            if draw < share:
                return state
            draw -= share
        return AVAILABLE

    def _answers_within(self, state: str, department: str, seconds: float) -> float | None:
        """When a ringing colleague in `state` picks up, if within `seconds`."""
        if state != AVAILABLE:
            return None
        delay = self.rng["colleague"].expovariate(1 / max(self.profile.availability_of(department).answer_seconds, 1e-9))
        return delay if delay < seconds else None

    def _facts(self, attempt: Attempt, state: str) -> tuple[Facts, str]:
        """What bereik would read (device state, absence forward), and the state of whoever will ring."""
        device = "INUSE" if state == ON_THE_PHONE else "NOT_INUSE"
        a = self.profile.availability_of(attempt.department)
        if state == ABSENT and self.rng["colleague"].random() < a.forwards_when_absent:
            person = self.config.person(attempt.extension)
            forwarded_to = self._state(attempt.department)  # the substitute, or the person on the mobile
            if person and person.substitute:
                substitute = "INUSE" if forwarded_to == ON_THE_PHONE else "NOT_INUSE"
                return Facts(device, diversion=Diversion(person.substitute, mobile=False, device=substitute)), \
                    forwarded_to
            if person and person.mobile:
                return Facts(device, diversion=Diversion(person.mobile, mobile=True)), forwarded_to
        return Facts(device), state

    def direct_call(self, trip: _Trip):
        at = dt.datetime.fromtimestamp(self.env.now, self.zone).isoformat(timespec="seconds")
        attempt = attempt_for(self.config, trip.journey.dialled, Origin.OUTSIDE, at)
        state = self._state(attempt.department)
        # Whom the caller tried, on the channel as bereik's direct-call handler leaves it.
        trip.journey.labels.update({f.TRIED: attempt.extension, f.DEPARTMENT: attempt.department})
        if self.profile.policy.fallback != "front_office":
            yield from self.ring_round(trip, attempt, state)
            return
        call = DirectCall(self.config, attempt)
        facts, state = self._facts(attempt, state)
        events: list[tuple] = [("start", facts)]
        decisions = [call.start(facts)]
        while not isinstance(decisions[-1], (Fallback, Done)):
            decision = decisions[-1]
            if isinstance(decision, Ring):
                answer = self._answers_within(state, attempt.department, decision.seconds)
                yield self.env.timeout(decision.seconds if answer is None else answer)
                event = ("rang", "NOANSWER" if answer is None else "ANSWER", "NOT_INUSE")
                decisions.append(call.rang(event[1], device=event[2]))
            elif isinstance(decision, OfferCampOn):
                accepts = self.profile.policy.camp_on and self.rng["camp"].random() < self.profile.policy.camp_on_accept
                key = CAMP_ON_KEYS["wait" if accepts else "front_office"]
                if self.profile.policy.camp_on:  # with camp-on off the offer is not made: at once to the TIC
                    yield self.env.timeout(len(decision.say) * self.profile.handling.ivr_prompt_seconds
                                           + self.profile.handling.key_seconds)
                event = ("pressed", key)
                decisions.append(call.pressed(key))
            elif isinstance(decision, CampOn):
                rest = self.rng["camp"].expovariate(
                    1 / max(self.profile.availability_of(attempt.department).call_remaining_seconds, 1e-9))
                yield self.env.timeout(min(rest, decision.seconds))
                event = ("waited", "" if rest <= decision.seconds else "TIMEOUT", rest <= decision.seconds)
                decisions.append(call.waited(event[1], answered=event[2]))
            events.append(event)
        self._traced("direct", (attempt, tuple(events)), tuple(decisions))
        if isinstance(decisions[-1], Done):
            trip.step(self.env.now, "colleague_answered")
            yield self.env.timeout(COLLEAGUE_TALK_SECONDS)
            self._finish(trip)
            return
        fallback = decisions[-1]
        trip.step(self.env.now, FALLBACK, reason=fallback.reason.value)
        trip.journey.labels[f.REASON] = "direct"
        yield self.env.timeout(len(fallback.say) * self.profile.handling.ivr_prompt_seconds)
        yield from self.queue(trip, None, fell_back=True)

    def ring_round(self, trip: _Trip, attempt: Attempt, state: str, after_transfer: bool = False):
        """Not bereik: the dialled colleague, then (hunt group) the next ones in turn, then voicemail."""
        seconds = self.config.back_office.rings * SECONDS_PER_RING
        department = self.config.department_of(attempt.extension)
        others = [m for m in (department.members if department else []) if m != attempt.extension]
        size = self.profile.policy.hunt_group_size if self.profile.policy.fallback == "hunt_group" else 1
        for ring in range(min(size, 1 + len(others))):
            if ring:
                state = self._state(attempt.department)
            if state == ON_THE_PHONE:
                continue  # a busy member is skipped
            answer = self._answers_within(state, attempt.department, seconds)
            yield self.env.timeout(seconds if answer is None else answer)
            if answer is not None:
                trip.step(self.env.now, TRANSFER_ANSWERED if after_transfer else "colleague_answered")
                yield self.env.timeout(COLLEAGUE_TALK_SECONDS)
                self._finish(trip)
                return
        voicemail = self.profile.voicemail
        if self.rng["callback"].random() < voicemail.leaves_message:
            yield self.env.timeout(VOICEMAIL_SECONDS)
            trip.step(self.env.now, CALLBACK_REQUESTED, via="voicemail")
            self._callback(trip, voicemail.on_time, voicemail.late)
        self._finish(trip)

    def transfer(self, trip: _Trip, position: _Position):
        dialled = self.rng["target"].choices(*self.targets)[0]
        at = dt.datetime.fromtimestamp(self.env.now, self.zone).isoformat(timespec="seconds")
        attempt = attempt_for(self.config, dialled, Origin.INSIDE, at)
        state = self._state(attempt.department)
        trip.step(self.env.now, TRANSFER_STARTED, target=attempt.extension)
        if self.profile.policy.fallback != "front_office":
            # A blind transfer into the hunt group or voicemail: the agent is free at once.
            self.env.process(self.ring_round(trip, attempt, state, after_transfer=True))
            return True
        step = warm.Idle().start(position.extension, trip.journey.call_id, attempt.extension, self.env.now)
        if state == ON_THE_PHONE:
            step = step.state.target_busy(self.env.now)
        else:
            answer = self._answers_within(state, attempt.department, self.config.console.transfer_ring_seconds)
            yield self.env.timeout(self.config.console.transfer_ring_seconds if answer is None else answer)
            if answer is None:
                step = step.state.target_no_answer(self.env.now)
            else:
                step = step.state.target_answers(self.env.now)
                trip.step(self.env.now, TRANSFER_ANSWERED)
                yield self.env.timeout(TRANSFER_INTRODUCTION_SECONDS)
                step = step.state.agent_completes(self.env.now)
        outcome = step.state.transfer.outcome
        self._traced("transfer", (state,), (outcome,))
        if outcome is not warm.Outcome.COMPLETED:
            trip.step(self.env.now, CALLBACK_REQUESTED, via="note")
            self._callback(trip, self.profile.callbacks.on_time, self.profile.callbacks.late)
        return False

    def _callback(self, trip: _Trip, on_time: float, late: float) -> None:
        """Whether the call-back was kept; one never kept counts as late once the month is over."""
        draw = self.rng["callback"].random()
        kept = draw < on_time
        trip.step(self.env.now + (CALLBACK_TERM_SECONDS / 2 if kept else CALLBACK_TERM_SECONDS * 2), CALLBACK_KEPT,
                  on_time="yes" if kept else "no", kept="yes" if draw < on_time + late else "no")

    def _traced(self, kind: str, facts: tuple, decisions: tuple) -> None:
        if self.tracing:
            self.trace.append(Traced(kind, facts, decisions))


def simulate(config: Config, profile: TrafficProfile, seed: int = 0, *, request: ReportRequest | None = None,
             trace: bool = False, progress: Callable[[Any], None] | None = None) -> SimulationRun:
    """Simulate the profile's month (or `request`'s days) and return the call rows the report reads."""
    request = request or ReportRequest.month(profile.month)
    sim = _Simulation(config, profile, seed, request, trace)
    sim.env.process(sim.arrivals())
    events = 0
    env = sim.env
    try:
        while True:
            env.step()
            events += 1
    except simpy.core.EmptySchedule:
        pass
    if sim.overflow_on_since is not None:
        sim.overflow_seconds += env.now - sim.overflow_on_since
    rows = sorted(sim.rows, key=lambda row: row.started_at)
    return SimulationRun(request, rows, events, sim.trace, round(sim.overflow_seconds / 60, 1))
