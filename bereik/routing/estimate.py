"""How long a waiting caller will still wait, from a snapshot of the queue.

Pure: the live queue state and the clock go in, an `Estimate` comes out. The
AMI side builds the snapshot (QueueStatus, QueueMember, AgentComplete events).

bereik's estimate is position-aware. In a first-come-first-served queue with N
agents working, a caller with k callers ahead is connected at the (k+1)-th
moment an agent frees up; with mean handling time H those moments come on
average H/N apart, so the remaining wait is the sum of k+1 gaps of mean H/N
(in M/M/N exactly an Erlang(k+1) distribution, mean (k+1) * H / N). bereik
announces its median, about (k + 2/3) * H / N: half of the callers wait
less, half more, which makes the announcement as close as it can be to what
callers then live through (the median minimises the mean absolute error).

Callers ahead who give up move the line too. With a rate of giving up g per
waiting caller (exponential patience: M/M/N+M, Erlang A), the gap before the
next move while i callers still need an agent ahead is exponential with rate
N/H + i*g, so the wait the caller would have if it stays is a sum of gaps of
means 1/(N/H + i*g), i = 0..turns-1 (Ibrahim and Whitt, "Real-time delay
estimation in overloaded multiserver queues with abandonments", Management
Science 55(10), 2009: their queue-length estimator for M/M/s+M). g is measured,
not set: callers who gave up divided by all seconds callers spent waiting (the
estimate of an exponential rate from waits some of which ended before they
could show it). Without anyone giving up g = 0 and the estimate is as above.
Picked by measurement against the mean, k * H / N, Erlang C and app_queue's
method: `python -m bench estimator_bench` (bereik.simulation.queue_sim).

app_queue's own method is here too, faithfully (apps/app_queue.c 22.10.1,
recalc_holdtime and say_position), as the baseline it is compared with: one
queue-wide exponential average of answered callers' waits, announced as
|average - own wait|, blind to position and to the number of agents.
"""
from __future__ import annotations

import enum
import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class HandledCall:
    """A call an agent finished: its talk and wrap-up, the time the agent was not free."""

    finished_at: float
    talk_seconds: float
    wrapup_seconds: float

    @property
    def handling_seconds(self) -> float:
        return self.talk_seconds + self.wrapup_seconds


@dataclass(frozen=True)
class FinishedWait:
    """A caller's time in the queue, ended by the caller hanging up or by anything else (an agent, bereik)."""

    ended_at: float
    waited_seconds: float
    gave_up: bool


@dataclass(frozen=True)
class QueueSnapshot:
    """The queue as one waiting caller sees it at one moment."""

    callers_ahead: int
    agents_logged_in: int
    agents_free: int
    agents_paused: int
    recent_calls: tuple[HandledCall, ...] = ()  # oldest first, as recent_waits
    recent_arrivals: tuple[float, ...] = ()  # join times of callers; for Erlang C and the what-if tools
    recent_waits: tuple[FinishedWait, ...] = ()  # oldest first: how often callers give up, for the estimate
    waited_seconds: float = 0.0  # this caller's time in the queue so far


@dataclass(frozen=True)
class EstimatorSettings:
    # Handled calls older than this no longer count. A week, not an hour: at 90-95% busy a caller has a
    # dozen callers ahead and the handling time's error is multiplied by each of them; an hour's 40 calls
    # (lognormal talk, cv 1) miss the mean by 16%, the last RECENT_CALLS (1,000) by 3%
    # (python -m bench estimator_bench). The price: a lasting change in handling times shows slowly.
    window_seconds: float = 7 * 86400.0
    min_recent_calls: int = 5  # fewer than this in the window: the wait is uncertain
    prior_handling_seconds: float = 300.0  # assumed handling time before calls are seen
    prior_weight: float = 2.0  # the prior counts as this many calls, so one odd call cannot swing it
    # Before callers are seen nobody is assumed to give up, as firmly as prior_weight callers who waited
    # prior_handling_seconds each: one early hang-up cannot make the line look as if it empties by itself.
    # The longest calls left out of the mean, one in this many (none below that many calls). A call that ties
    # one agent up for an hour lifts the mean by more than it slows the line the others keep serving, and such
    # calls are what build the queues the announcements are made in: with them the estimate ran high at
    # 90-95% busy (python -m bench estimator_bench; 4 agents, 95%, lognormal, one run: 0.77 -> 0.69 of
    # app_queue's error; exponential talk 0.73 -> 0.71; never worse in 12 runs from 70 to 95%).
    longest_left_out: int = 100


DEFAULT_SETTINGS = EstimatorSettings()


class Uncertainty(enum.Enum):
    FEW_RECENT_CALLS = "few_recent_calls"
    NO_AGENT_WORKING = "no_agent_working"


@dataclass(frozen=True)
class Estimate:
    callers_ahead: int
    wait_seconds: float | None  # None when nobody is working: no honest number exists
    uncertainty: Uncertainty | None = None

    @property
    def position(self) -> int:
        """1 for the next caller to be connected, as Asterisk counts."""
        return self.callers_ahead + 1

    @property
    def certain(self) -> bool:
        return self.uncertainty is None and self.wait_seconds is not None


class _PerWindow:
    """summary(the items in the window) of the last tuple asked about, for its start of the window.

    Snapshots share their tuple of recent calls (or waits) until one more ends (QueueState, the simulations),
    and in between every waiting caller's announcement and every queue event asks about the same thousand
    items. Pure all the same: the same tuple, time and settings give the same answer."""

    def __init__(self, ended_at: Callable[[Any], float], summary: Callable[[tuple, EstimatorSettings], Any]):
        self._ended_at, self._summary = ended_at, summary
        self._last: tuple[tuple, int, EstimatorSettings, Any] | None = None  # the tuple kept: its id is not reused

    def __call__(self, items: tuple, now: float, settings: EstimatorSettings) -> Any:
        # Oldest first: the items that left the window are at the front (usually none).
        first = 0
        while first < len(items) and now - self._ended_at(items[first]) > settings.window_seconds:
            first += 1
        last = self._last
        if last is not None and last[0] is items and last[1] == first and last[2] == settings:
            return last[3]
        result = self._summary(items[first:] if first else items, settings)
        self._last = (items, first, settings, result)
        return result


def _handling(calls: tuple[HandledCall, ...], settings: EstimatorSettings) -> tuple[float, int]:
    return trimmed_mean(sorted(call.talk_seconds + call.wrapup_seconds for call in calls), settings), len(calls)


def _giving_up(waits: tuple[FinishedWait, ...], settings: EstimatorSettings) -> float:
    return giving_up_rate(sum(map(_GAVE_UP, waits)), sum(map(_WAITED, waits)), settings)


_GAVE_UP, _WAITED = operator.attrgetter("gave_up"), operator.attrgetter("waited_seconds")


_handling_of = _PerWindow(lambda call: call.finished_at, _handling)
_giving_up_of = _PerWindow(lambda wait: wait.ended_at, _giving_up)


def mean_handling_seconds(calls: tuple[HandledCall, ...], now: float, settings: EstimatorSettings) -> tuple[float, int]:
    """The mean handling time over the window without its longest calls, shrunk towards the prior; and how
    many calls in the window it rests on."""
    return _handling_of(calls, now, settings)


def trimmed_mean(ordered: list[float], settings: EstimatorSettings) -> float:
    """The mean of handling times (shortest first) without the longest one in settings.longest_left_out,
    shrunk towards the prior."""
    kept = ordered[:len(ordered) - len(ordered) // settings.longest_left_out]
    return (sum(kept) + settings.prior_handling_seconds * settings.prior_weight) / (len(kept) + settings.prior_weight)


def giving_up_per_second(waits: tuple[FinishedWait, ...], now: float, settings: EstimatorSettings) -> float:
    """The rate at which one waiting caller gives up: callers who gave up over all seconds waited in the window
    (exponential patience; a wait ended by an agent still counts its seconds, in which the caller did not give up)."""
    return _giving_up_of(waits, now, settings)


def giving_up_rate(gave_up: int, waited_seconds: float, settings: EstimatorSettings) -> float:
    seconds = waited_seconds + settings.prior_weight * settings.prior_handling_seconds
    return gave_up / seconds if seconds > 0 else 0.0


def estimate_wait(snapshot: QueueSnapshot, now: float, settings: EstimatorSettings = DEFAULT_SETTINGS) -> Estimate:
    """bereik's estimate: the median wait for (turns) agents to free up, at (agents working) / (mean handling time),
    the line moving on too as callers ahead give up."""
    working = snapshot.agents_logged_in - snapshot.agents_paused
    if working <= 0:
        return Estimate(snapshot.callers_ahead, None, Uncertainty.NO_AGENT_WORKING)
    handling, seen = mean_handling_seconds(snapshot.recent_calls, now, settings)
    giving_up = giving_up_per_second(snapshot.recent_waits, now, settings)
    uncertainty = Uncertainty.FEW_RECENT_CALLS if seen < settings.min_recent_calls else None
    wait = median_wait(snapshot.callers_ahead, snapshot.agents_free, working, handling, giving_up)
    return Estimate(snapshot.callers_ahead, wait, uncertainty)


def median_wait(callers_ahead: int, agents_free: int, working: int, handling_seconds: float,
                hang_ups_per_second: float) -> float:
    """The median wait for the caller's turn in Erlang A (M/M/N+M) with these rates, for a caller who stays.
    With exponential handling times and patience and the true rates, no announcement made from the queue's
    state has a smaller mean absolute error (the median of the wait given that state, up to the gamma
    approximation); bereik's estimate differs from it only by its measured rates."""
    # A free agent takes the head of the line now; each later turn needs an agent to finish, or the callers
    # still ahead of it to give up.
    turns = max(0, callers_ahead + 1 - agents_free)
    return median_of_gaps([1 / (working / handling_seconds + ahead * hang_ups_per_second) for ahead in range(turns)])


def median_of_gaps(means: list[float]) -> float:
    """The median of a sum of independent exponential gaps with these means: that of the gamma distribution with
    the same mean m and variance v, about m - v / (3m) (Wilson-Hilferty's cube-root approximation, simplified).
    For n equal gaps of mean 1 that is n - 1/3, within 4% of the Erlang median from 1 gap up (n=1: ln 2 = 0.69);
    for the gaps of a line whose callers give up within 3% (tests/routing/test_estimate.py), up to 6% high when
    hang-ups move the line far faster than the agents do."""
    mean = sum(means)
    return mean - sum(m * m for m in means) / (3 * mean) if mean > 0 else 0.0


@dataclass(frozen=True)
class AppQueueHoldtime:
    """app_queue's queue-wide hold time: whole seconds, as Asterisk keeps it."""

    holdtime: int = 0
    settled: bool = False  # a call completed or was abandoned: from then on samples are averaged

    def answered(self, waited_seconds: int) -> AppQueueHoldtime:
        """recalc_holdtime(): new = (3 * old + sample) / 4, integer; samples replace it until settled."""
        if not self.settled:
            return AppQueueHoldtime(waited_seconds, False)
        return AppQueueHoldtime((3 * self.holdtime + waited_seconds) >> 2, True)

    def call_ended(self) -> AppQueueHoldtime:
        """callscompleted or callsabandoned went up."""
        return AppQueueHoldtime(self.holdtime, True)

    def remaining(self, waited_seconds: int) -> int:
        """The value behind the announcement: |holdtime - waited|, which grows again after the average."""
        return abs(self.holdtime - waited_seconds)

    def spoken_seconds(self, waited_seconds: int) -> int:
        """What say_position() says: whole minutes of |holdtime + 30 - waited| (C division); 0 is not said."""
        return 60 * abs(int((self.holdtime + 30 - waited_seconds) / 60))
