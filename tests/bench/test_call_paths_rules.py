"""The call-path bench's rules, without Asterisk: what counts as saturated, failed or not run."""
from collections import Counter

import pytest

from bench._running import BenchError
from bench.call_paths import Step, expect_own_reasons, pooled, saturated, saturation_rate


def step(path="b", rate=100.0, achieved=99.0, failed=0, latencies=(505.0,) * 100, reasons=None):
    return Step(path, rate, calls=1000, seconds=10, achieved=achieved, failed=failed, latencies=list(latencies),
                reasons=Counter({"no_menu": 1000} if reasons is None else reasons))


def test_a_path_that_answers_less_than_95_percent_of_the_offered_rate_is_saturated_though_nothing_failed():
    assert not saturated(step(achieved=95.0))
    assert saturated(step(achieved=94.9))


def test_one_percent_failed_or_a_slow_p99_is_saturated():
    assert saturated(step(failed=10))
    assert not saturated(step(failed=9))
    assert saturated(step(latencies=[505.0] * 98 + [1200.0] * 2))


def test_calls_that_failed_open_are_counted_apart_from_bereiks_decisions():
    assert step(reasons={"no_menu": 990, "failopen-FAILURE": 7, "watchdog": 3}).failed_open == 10


def test_a_path_whose_calls_all_failed_open_at_its_first_rate_did_not_run_and_stops_the_bench():
    with pytest.raises(BenchError, match="failopen-FAILURE"):
        expect_own_reasons(step(reasons={"failopen-FAILURE": 3}))
    with pytest.raises(BenchError):
        expect_own_reasons(step(reasons={}))
    with pytest.raises(BenchError):  # the pure dialplan carries no reason at all
        expect_own_reasons(step(path="a"))
    expect_own_reasons(step(path="a", reasons={"(none)": 1000}))


def test_some_calls_failing_open_at_the_first_rate_are_failed_calls_not_a_path_that_did_not_run():
    slow = step(reasons={"no_menu": 980, "watchdog": 20}, failed=20)
    expect_own_reasons(slow)
    assert slow.failed_open == 20 and saturated(slow)


def test_the_saturation_rate_is_the_last_rate_before_the_first_saturated_one():
    steps = [step(rate=r, achieved=r) for r in (50, 100, 150)] + [step(rate=200, achieved=150)]
    steps.append(step(rate=250, achieved=250))  # a lucky step after an overload does not count
    assert saturation_rate(steps) == 150
    assert saturation_rate([step(rate=50, achieved=10)]) is None


def test_interleaved_samples_pool_their_calls_failures_and_latencies():
    total = pooled([step(failed=4, latencies=[500.0]), step(failed=6, achieved=97.0, latencies=[510.0])])
    assert (total.calls, total.failed, total.achieved, sorted(total.latencies)) == (2000, 10, 98.0, [500.0, 510.0])
    assert total.reasons == Counter({"no_menu": 2000})
