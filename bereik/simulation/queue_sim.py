"""A discrete-event simulation of the front-office queue (SimPy).

Poisson arrivals, talk time (lognormal or exponential) plus wrap-up, N agents
serving first come first served, and optionally callers who give up. At every
announcement moment (after 20 s, then every 20 s, as the Dutch four rings) the
simulation records what a waiting caller could have been told: the queue
snapshot bereik sees and app_queue's hold-time state. Once the caller is
answered, the real remaining wait is known and the moment is complete.

Estimators are judged afterwards on the recorded moments, so every estimator
sees exactly the same callers. Same profile and seed, same result.
"""
from __future__ import annotations

import bisect
import math
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import simpy

from bereik.routing.estimate import (
    DEFAULT_SETTINGS,
    AppQueueHoldtime,
    EstimatorSettings,
    FinishedWait,
    HandledCall,
    QueueSnapshot,
    estimate_wait,
    median_wait,
)
from bereik.routing.queue_state import RECENT_CALLS


@dataclass(frozen=True)
class Profile:
    agents: int
    occupancy: float  # share of agent time spent handling calls: arrival rate x handling time / agents
    talk_seconds: float = 210.0
    talk_distribution: Literal["lognormal", "exponential"] = "lognormal"
    talk_cv: float = 1.0  # lognormal spread: standard deviation / mean
    wrapup_seconds: float = 30.0  # exponential mean; 0 for none
    patience_seconds: float | None = None  # exponential mean; None: nobody gives up
    hours: float = 40.0
    first_announcement_seconds: float = 20.0
    announcement_every_seconds: float = 20.0
    history_seconds: float = 3600.0  # how far back snapshots carry arrivals (handled calls: the last RECENT_CALLS)
    warm_up_hours: float = 0.0  # announcements before this are not judged: bereik runs for days, its memory full

    @property
    def handling_seconds(self) -> float:
        return self.talk_seconds + self.wrapup_seconds

    @property
    def arrivals_per_second(self) -> float:
        return self.occupancy * self.agents / self.handling_seconds

    @property
    def name(self) -> str:
        patience = f", patience {self.patience_seconds:.0f}s" if self.patience_seconds else ""
        return f"{self.agents} agents, {self.occupancy:.0%} busy, {self.talk_distribution} talk{patience}"


@dataclass(frozen=True)
class CallRecord:
    joined_at: float
    answered_at: float | None
    left_at: float  # hung up after wrap-up, or gave up waiting

    @property
    def waited_seconds(self) -> float:
        end = self.answered_at if self.answered_at is not None else self.left_at
        return end - self.joined_at


@dataclass(frozen=True)
class Moment:
    """One announcement to one caller, with the truth that followed."""

    at: float
    snapshot: QueueSnapshot
    app_queue: AppQueueHoldtime
    remaining_seconds: float


@dataclass(frozen=True)
class SimulationResult:
    profile: Profile
    seed: int
    calls: tuple[CallRecord, ...]
    moments: tuple[Moment, ...]  # of answered callers only: a caller who gave up has no true remaining wait
    censored_moments: int  # announcements to callers who later gave up


@dataclass
class _Queue:
    """The mutable state while the simulation runs; never leaves this module."""

    profile: Profile
    env: simpy.Environment
    agents: simpy.Resource
    waiting: list[int] = field(default_factory=list)  # caller ids, first in line first
    finished_at: list[float] = field(default_factory=list)
    handled: list[HandledCall] = field(default_factory=list)
    waits: list[FinishedWait] = field(default_factory=list)
    arrivals: list[float] = field(default_factory=list)
    app_queue: AppQueueHoldtime = field(default_factory=AppQueueHoldtime)
    calls: list[CallRecord] = field(default_factory=list)
    pending: dict[int, list[tuple[float, QueueSnapshot, AppQueueHoldtime]]] = field(default_factory=dict)
    moments: list[Moment] = field(default_factory=list)
    censored: int = 0
    tuples: dict[str, tuple[tuple[int, int], tuple]] = field(default_factory=dict)

    def snapshot(self, caller: int, joined_at: float) -> QueueSnapshot:
        now, since = self.env.now, self.env.now - self.profile.history_seconds
        # As bereik keeps them (QueueState.handled, .waits): the last RECENT_CALLS; the estimator applies its window.
        first_call = max(0, len(self.handled) - RECENT_CALLS)
        first_wait = max(0, len(self.waits) - RECENT_CALLS)
        first_arrival = bisect.bisect_left(self.arrivals, since)
        return QueueSnapshot(
            callers_ahead=self.waiting.index(caller),
            agents_logged_in=self.profile.agents,
            agents_free=self.profile.agents - self.agents.count,
            agents_paused=0,
            recent_calls=self._shared("calls", self.handled, first_call),
            recent_arrivals=self._shared("arrivals", self.arrivals, first_arrival),
            recent_waits=self._shared("waits", self.waits, first_wait),
            waited_seconds=now - joined_at,
        )

    def _shared(self, kind: str, items: list, first: int) -> tuple:
        """items[first:] as a tuple, the same one for every snapshot until it changes: the callers waiting at
        high load would otherwise hold a copy each (gigabytes at 95% busy)."""
        key = (first, len(items))
        if self.tuples.get(kind, (None,))[0] != key:
            self.tuples[kind] = (key, tuple(items[first:]))
        return self.tuples[kind][1]


def simulate(profile: Profile, seed: int) -> SimulationResult:
    env = simpy.Environment()
    queue = _Queue(profile, env, simpy.Resource(env, capacity=profile.agents))
    # One stream per kind of chance, so that e.g. adding patience leaves arrivals unchanged.
    arrivals = random.Random(f"{seed}/arrivals")
    talks = random.Random(f"{seed}/talk")
    wrapups = random.Random(f"{seed}/wrapup")
    patiences = random.Random(f"{seed}/patience")

    def draw_talk() -> float:
        if profile.talk_distribution == "exponential":
            return talks.expovariate(1 / profile.talk_seconds)
        sigma2 = math.log(1 + profile.talk_cv**2)
        return talks.lognormvariate(math.log(profile.talk_seconds) - sigma2 / 2, math.sqrt(sigma2))

    def caller(caller_id: int):
        joined_at = env.now
        talk = draw_talk()
        wrapup = wrapups.expovariate(1 / profile.wrapup_seconds) if profile.wrapup_seconds else 0.0
        patience = patiences.expovariate(1 / profile.patience_seconds) if profile.patience_seconds else math.inf
        queue.arrivals.append(joined_at)
        queue.waiting.append(caller_id)
        queue.pending[caller_id] = []
        env.process(announcer(caller_id, joined_at))
        with queue.agents.request() as request:
            outcome = yield request | env.timeout(patience)
            queue.waiting.remove(caller_id)
            announced = queue.pending.pop(caller_id)
            queue.waits.append(FinishedWait(env.now, env.now - joined_at, gave_up=request not in outcome))
            if request not in outcome:
                queue.censored += len(announced)
                queue.app_queue = queue.app_queue.call_ended()
                queue.calls.append(CallRecord(joined_at, None, env.now))
                return
            answered_at = env.now
            queue.app_queue = queue.app_queue.answered(int(answered_at) - int(joined_at))
            queue.moments += [Moment(at, snap, held, answered_at - at) for at, snap, held in announced]
            yield env.timeout(talk)
            queue.app_queue = queue.app_queue.call_ended()
            yield env.timeout(wrapup)
        queue.finished_at.append(env.now)
        queue.handled.append(HandledCall(env.now, talk, wrapup))
        queue.calls.append(CallRecord(joined_at, answered_at, env.now))

    def announcer(caller_id: int, joined_at: float):
        yield env.timeout(profile.first_announcement_seconds)
        while caller_id in queue.pending:
            queue.pending[caller_id].append((env.now, queue.snapshot(caller_id, joined_at), queue.app_queue))
            yield env.timeout(profile.announcement_every_seconds)

    def source():
        for caller_id in range(1_000_000_000):
            yield env.timeout(arrivals.expovariate(profile.arrivals_per_second))
            if env.now >= profile.hours * 3600:
                return
            env.process(caller(caller_id))

    env.process(source())
    env.run()  # runs on until the last caller is done
    moments = tuple(sorted(queue.moments, key=lambda moment: moment.at))
    return SimulationResult(profile, seed, tuple(queue.calls), moments, queue.censored)


Estimator = Callable[[Moment], float]


def bereik_estimator(settings: EstimatorSettings = DEFAULT_SETTINGS) -> Estimator:
    def announced(moment: Moment) -> float:
        wait = estimate_wait(moment.snapshot, moment.at, settings).wait_seconds
        return math.inf if wait is None else wait
    return announced


def true_rates_estimator(profile: Profile) -> Estimator:
    """bereik's formula with the simulation's own mean handling time and patience in place of the measured ones.
    With exponential talk, no wrap-up and exponential patience no announcement made from the queue's state can
    have a smaller mean absolute error (bereik.routing.estimate.median_wait): what is left of bereik's error
    there is the sample's, not the estimator's. With lognormal talk it is a reference, not a bound."""
    hang_ups_per_second = 1 / profile.patience_seconds if profile.patience_seconds else 0.0

    def announced(moment: Moment) -> float:
        snapshot = moment.snapshot
        return median_wait(snapshot.callers_ahead, snapshot.agents_free,
                           snapshot.agents_logged_in - snapshot.agents_paused, profile.handling_seconds,
                           hang_ups_per_second)
    return announced


def app_queue_estimator(moment: Moment) -> float:
    """app_queue's |holdtime - waited| before rounding to minutes."""
    return moment.app_queue.remaining(round(moment.snapshot.waited_seconds))


def app_queue_spoken_estimator(moment: Moment) -> float:
    """app_queue as the caller hears it: whole minutes, silence counted as 0."""
    return moment.app_queue.spoken_seconds(round(moment.snapshot.waited_seconds))


@dataclass(frozen=True)
class ErrorSummary:
    announcements: int
    mean_absolute_error: float
    p90_absolute_error: float
    mean_error: float  # positive: announced too long

    @classmethod
    def of(cls, announced_minus_real: Iterable[float]) -> ErrorSummary:
        errors = list(announced_minus_real)
        absolute = sorted(abs(error) for error in errors)
        if not errors:
            return cls(0, math.nan, math.nan, math.nan)
        p90 = absolute[min(len(absolute) - 1, math.ceil(0.9 * len(absolute)) - 1)]
        return cls(len(errors), sum(absolute) / len(errors), p90, sum(errors) / len(errors))


def judge(moments: Iterable[Moment], estimator: Estimator) -> ErrorSummary:
    return ErrorSummary.of(estimator(moment) - moment.remaining_seconds for moment in moments)


def pooled_ratio(runs: Sequence[tuple[float, float]]) -> tuple[float, float]:
    """sum(numerators) / sum(denominators) over independent runs (e.g. the absolute errors of two estimators),
    and its standard error by the jackknife (each run left out in turn; nan for one run). At 95% busy a run
    of two days holds only a few of the queue's long excursions, so runs' ratios differ far more than their
    hundreds of thousands of announcements suggest: the spread between runs is the honest uncertainty."""
    numerator, denominator = sum(run[0] for run in runs), sum(run[1] for run in runs)
    count = len(runs)
    if count < 2:
        return numerator / denominator, math.nan
    left_out = [(numerator - top) / (denominator - bottom) for top, bottom in runs]
    mean = sum(left_out) / count
    return numerator / denominator, math.sqrt((count - 1) / count * sum((r - mean) ** 2 for r in left_out))


def run(profile: Profile, seeds: Iterable[int]) -> tuple[Moment, ...]:
    """The announcement moments of several independent runs after their warm-up, pooled."""
    judged_from = profile.warm_up_hours * 3600
    return tuple(moment for seed in seeds for moment in simulate(profile, seed).moments if moment.at >= judged_from)
