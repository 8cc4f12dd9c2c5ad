"""The wait estimate: position, agents working, recent handling times, callers giving up; and app_queue's baseline."""
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bereik.routing.estimate import (
    AppQueueHoldtime,
    Estimate,
    EstimatorSettings,
    FinishedWait,
    HandledCall,
    QueueSnapshot,
    Uncertainty,
    estimate_wait,
    giving_up_per_second,
    mean_handling_seconds,
    median_of_gaps,
    median_wait,
)

NOW = 100_000.0
SETTINGS = EstimatorSettings(window_seconds=3600, min_recent_calls=5, prior_handling_seconds=300, prior_weight=0)


def calls(count, handling=240.0, finished_at=NOW - 60):
    return tuple(HandledCall(finished_at, handling - 30, 30) for _ in range(count))


TEN_CALLS = calls(10)


def snapshot(ahead=0, logged_in=3, free=0, paused=0, recent=TEN_CALLS, waits=()):
    return QueueSnapshot(ahead, logged_in, free, paused, recent, recent_waits=waits)


def waits(count, waited=100.0, gave_up=False, ended_at=NOW - 60):
    return tuple(FinishedWait(ended_at, waited, gave_up) for _ in range(count))


@pytest.mark.parametrize(("ahead", "logged_in", "free", "paused", "expected"), [
    (0, 3, 0, 0, (1 - 1 / 3) * 240 / 3),   # next in line: the median wait for one of three agents
    (2, 3, 0, 0, (3 - 1 / 3) * 240 / 3),
    (2, 4, 0, 0, (3 - 1 / 3) * 240 / 4),   # a fourth agent shortens every wait
    (2, 4, 0, 1, (3 - 1 / 3) * 240 / 3),   # a paused agent does not count
    (0, 3, 1, 0, 0.0),                      # a free agent takes the next caller now
    (1, 3, 1, 0, (1 - 1 / 3) * 240 / 3),    # one turn left once the free agent has taken the first
    (1, 3, 2, 0, 0.0),
])
def test_wait_follows_position_and_agents_working(ahead, logged_in, free, paused, expected):
    estimate = estimate_wait(snapshot(ahead, logged_in, free, paused), NOW, SETTINGS)
    assert estimate.wait_seconds == pytest.approx(expected)
    assert estimate.certain and estimate.position == ahead + 1


@pytest.mark.parametrize(("logged_in", "paused"), [(0, 0), (2, 2)])
def test_nobody_working_gives_no_number(logged_in, paused):
    estimate = estimate_wait(snapshot(2, logged_in, 0, paused), NOW, SETTINGS)
    assert estimate == Estimate(2, None, Uncertainty.NO_AGENT_WORKING)
    assert not estimate.certain


def test_few_recent_calls_make_the_wait_uncertain():
    estimate = estimate_wait(snapshot(recent=calls(4)), NOW, SETTINGS)
    assert estimate.uncertainty is Uncertainty.FEW_RECENT_CALLS and estimate.wait_seconds is not None


def test_calls_older_than_the_window_do_not_count():
    old = calls(10, handling=1000, finished_at=NOW - 3601)
    handling, seen = mean_handling_seconds(old + calls(5, 240), NOW, SETTINGS)
    assert (handling, seen) == (240, 5)


def test_the_prior_stands_in_before_calls_are_seen_and_fades_after():
    settings = EstimatorSettings(prior_handling_seconds=300, prior_weight=2)
    assert mean_handling_seconds((), NOW, settings) == (300, 0)
    assert mean_handling_seconds(calls(2, 200), NOW, settings) == (250, 2)
    assert mean_handling_seconds(calls(98, 200), NOW, settings)[0] == pytest.approx(202)


def test_the_longest_call_in_a_hundred_is_left_out_of_the_handling_time():
    one_long = calls(99, 240) + calls(1, 3600)
    assert mean_handling_seconds(one_long, NOW, SETTINGS) == (240, 100)
    assert mean_handling_seconds(one_long[1:], NOW, SETTINGS)[0] == pytest.approx((98 * 240 + 3600) / 99)
    assert mean_handling_seconds(calls(990, 240) + calls(10, 3600) + calls(1, 3600), NOW, SETTINGS)[0] == \
        pytest.approx((990 * 240 + 3600) / 991)


@pytest.mark.parametrize(("turns", "median"), [(0, 0.0), (1, 0.693), (2, 1.678), (5, 4.671), (10, 9.669)])
def test_the_median_of_equal_gaps_is_close_to_the_erlang_median(turns, median):
    assert median_of_gaps([1.0] * turns) == pytest.approx(median, rel=0.04, abs=1e-9)


@pytest.mark.parametrize(("agents", "handling", "patience", "ahead"), [
    (3, 240, 300, 10), (3, 240, 60, 20), (4, 300, 120, 3), (2, 200, 1000, 40),
])
def test_the_median_of_erlang_a_gaps_is_close_to_the_sampled_median(agents, handling, patience, ahead):
    means = [1 / (agents / handling + i / patience) for i in range(ahead + 1)]
    chance = random.Random(18)
    sums = sorted(sum(chance.expovariate(1 / mean) for mean in means) for _ in range(40_001))
    assert median_of_gaps(means) == pytest.approx(sums[20_000], rel=0.04)


@pytest.mark.parametrize(("ahead", "free", "hang_ups"), [(0, 0, 0), (4, 0, 0), (4, 0, 1 / 300), (4, 2, 1 / 60), (1, 2, 0)])
def test_the_estimate_is_the_median_wait_of_erlang_a_with_the_measured_rates(ahead, free, hang_ups):
    recent_waits = waits(1, 1 / hang_ups, gave_up=True) if hang_ups else ()
    estimate = estimate_wait(snapshot(ahead, 3, free, waits=recent_waits), NOW, SETTINGS)
    assert estimate.wait_seconds == pytest.approx(median_wait(ahead, free, 3, 240, hang_ups))
    turns = max(0, ahead + 1 - free)
    assert median_wait(ahead, free, 3, 240, 0) == pytest.approx(median_of_gaps([80.0] * turns))


def test_the_rate_of_giving_up_is_hang_ups_over_all_seconds_waited_in_the_window():
    recent = waits(5, 1000, gave_up=True, ended_at=NOW - 3601) + waits(3, 100, gave_up=True) + waits(7, 100)
    assert giving_up_per_second(recent, NOW, SETTINGS) == pytest.approx(3 / 1000)
    assert giving_up_per_second((), NOW, SETTINGS) == 0


def test_before_callers_are_seen_nobody_is_assumed_to_give_up_and_one_hang_up_does_not_swing_it():
    settings = EstimatorSettings(prior_handling_seconds=300, prior_weight=2)
    assert giving_up_per_second(waits(1, 10, gave_up=True), NOW, settings) == pytest.approx(1 / 610)


def test_callers_ahead_who_give_up_shorten_the_wait_as_in_erlang_a():
    """Two callers ahead, three agents of 240 s, one in 300 s of waiting gives up: the line moves at 3/240 + 2/300,
    then 3/240 + 1/300, then 3/240 a second (the caller's own patience is not counted: the wait if it stays)."""
    patient = estimate_wait(snapshot(2), NOW, SETTINGS).wait_seconds
    hang_ups = waits(1, 300, gave_up=True)
    estimate = estimate_wait(snapshot(2, waits=hang_ups), NOW, SETTINGS)
    gaps = [1 / (3 / 240 + ahead / 300) for ahead in (2, 1, 0)]
    assert estimate.wait_seconds == pytest.approx(median_of_gaps(gaps))
    assert estimate.wait_seconds < patient == pytest.approx((3 - 1 / 3) * 240 / 3)
    assert estimate.certain
    # The next in line waits for an agent only: nobody ahead of it can give up.
    assert estimate_wait(snapshot(0, waits=hang_ups), NOW, SETTINGS).wait_seconds == pytest.approx(2 / 3 * 80)


@given(ahead=st.integers(0, 200), logged_in=st.integers(1, 10), handling=st.floats(1, 3600),
       gave_up=st.integers(0, 10))
def test_more_callers_ahead_never_means_a_shorter_wait(ahead, logged_in, handling, gave_up):
    recent, ended = calls(10, handling), waits(gave_up, 60, gave_up=True) + waits(10 - gave_up, 60)
    nearer = estimate_wait(snapshot(ahead, logged_in, recent=recent, waits=ended), NOW, SETTINGS).wait_seconds
    further = estimate_wait(snapshot(ahead + 1, logged_in, recent=recent, waits=ended), NOW, SETTINGS).wait_seconds
    assert 0 <= nearer < further


# app_queue, as apps/app_queue.c (22.10.1) does it: recalc_holdtime and say_position.
def test_app_queue_takes_samples_as_they_are_until_a_call_ends_then_averages_in_whole_seconds():
    held = AppQueueHoldtime().answered(100)
    assert held.holdtime == 100
    held = held.answered(40)
    assert held.holdtime == 40                      # nothing completed yet: replaced, not averaged
    held = held.call_ended().answered(81)
    assert held.holdtime == (3 * 40 + 81) >> 2 == 50


@pytest.mark.parametrize(("holdtime", "waited", "remaining", "spoken"), [
    (200, 20, 180, 180),
    (200, 60, 140, 120),    # 2:50 after +30 s, whole minutes: 2
    (200, 200, 0, 0),       # below a minute nothing is said
    (200, 300, 100, 60),    # waited past the average: the announced wait grows again
    (200, 500, 300, 240),   # |200 + 30 - 500| = 270 s: 4 minutes
])
def test_app_queue_announces_the_distance_to_its_average(holdtime, waited, remaining, spoken):
    held = AppQueueHoldtime(holdtime, True)
    assert held.remaining(waited) == remaining
    assert held.spoken_seconds(waited) == spoken
