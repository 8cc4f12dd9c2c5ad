"""The queue simulation: reproducible, true to Erlang C, and the judge of the wait estimators."""
from dataclasses import replace

import pytest

from bereik.routing.estimate import DEFAULT_SETTINGS, estimate_wait, giving_up_per_second, median_wait
from bereik.simulation import erlang
from bereik.simulation.queue_sim import (
    Profile,
    app_queue_estimator,
    bereik_estimator,
    judge,
    pooled_ratio,
    run,
    simulate,
    true_rates_estimator,
)


def test_the_same_seed_gives_the_same_day_and_another_seed_another():
    profile = Profile(3, 0.8, hours=4, patience_seconds=300)
    first, again, other = simulate(profile, 7), simulate(profile, 7), simulate(profile, 8)
    assert first == again
    assert first.calls != other.calls


def test_announcements_come_after_twenty_seconds_and_every_twenty_while_waiting():
    result = simulate(Profile(3, 0.9, hours=8), 1)
    waited = {moment.snapshot.waited_seconds for moment in result.moments}
    assert waited and all(w / 20 == pytest.approx(round(w / 20)) and w >= 20 for w in waited)
    assert all(moment.remaining_seconds > 0 for moment in result.moments)


def test_callers_who_give_up_are_counted_but_not_judged():
    result = simulate(Profile(3, 0.9, hours=8, patience_seconds=120), 1)
    gave_up = [call for call in result.calls if call.answered_at is None]
    assert gave_up and result.censored_moments > 0


def test_the_rate_of_giving_up_bereik_measures_is_the_callers_patience():
    """Exponential patience of 300 s: one in 300 waiting callers gives up each second (within 12 %: four runs
    of 16 hours, some 600 hang-ups)."""
    waits = ()
    for seed in range(4):
        last = simulate(Profile(3, 0.95, hours=16, patience_seconds=300), seed).moments[-1]
        waits += last.snapshot.recent_waits
        assert last.snapshot.recent_waits[-1].ended_at <= last.at
    assert giving_up_per_second(waits, 16 * 3600, DEFAULT_SETTINGS) == pytest.approx(1 / 300, rel=0.12)


@pytest.mark.parametrize("agents", [3, 4])
def test_on_an_m_m_n_queue_the_simulated_wait_matches_erlang_c(agents):
    """1800 simulated hours: the mean wait within 15 %, the share of callers who wait within 3 points."""
    profile = Profile(agents, 0.6, talk_distribution="exponential", talk_seconds=240, wrapup_seconds=0, hours=600)
    calls = [call for seed in range(3) for call in simulate(profile, seed).calls]
    waits = [call.waited_seconds for call in calls]
    load = erlang.offered_load(profile.arrivals_per_second, 240)
    assert sum(waits) / len(waits) == pytest.approx(
        erlang.mean_wait_seconds(agents, profile.arrivals_per_second, 240), rel=0.15)
    assert sum(w > 0 for w in waits) / len(waits) == pytest.approx(erlang.probability_of_waiting(agents, load), abs=0.03)


@pytest.mark.parametrize(("agents", "load", "expected"), [
    (3, 2.4, 0.6472), (4, 3.0, 0.5094), (1, 0.5, 0.5), (3, 3.0, 1.0),
])
def test_erlang_c_textbook_values(agents, load, expected):
    assert erlang.probability_of_waiting(agents, load) == pytest.approx(expected, abs=1e-3)


@pytest.mark.parametrize("profile", [
    Profile(agents, occupancy) for occupancy in (0.6, 0.8, 0.9) for agents in (3, 4)
] + [Profile(3, 0.9, patience_seconds=300)], ids=lambda profile: profile.name)
def test_bereik_announces_waits_closer_to_the_truth_than_app_queue(profile):
    """A real claim: at least 15 % lower mean absolute error (python -m bench estimator_bench measures more)."""
    moments = run(profile, seeds=[0])
    bereik, app_queue = judge(moments, bereik_estimator()), judge(moments, app_queue_estimator)
    assert bereik.announcements > 500
    assert bereik.mean_absolute_error < 0.85 * app_queue.mean_absolute_error


@pytest.mark.parametrize("profile", [Profile(3, 0.85, hours=6), Profile(3, 0.9, hours=6, patience_seconds=120)],
                         ids=lambda profile: profile.name)
def test_snapshots_sharing_their_recent_calls_get_the_estimate_of_a_fresh_copy(profile):
    """The estimator summarises a tuple of recent calls (and waits) once while snapshots share it: the
    announcements, in the order they were made, are those of snapshots with copies of their own."""
    moments = run(profile, range(1))
    assert any(wait.gave_up for wait in moments[-1].snapshot.recent_waits) == bool(profile.patience_seconds)
    announced = [estimate_wait(moment.snapshot, moment.at).wait_seconds for moment in moments]
    assert len({id(moment.snapshot.recent_calls) for moment in moments}) < len(moments) / 2  # shared
    for moment, wait in zip(moments, announced):
        copied = replace(moment.snapshot, recent_calls=tuple(list(moment.snapshot.recent_calls)),
                         recent_waits=tuple(list(moment.snapshot.recent_waits)))
        assert estimate_wait(copied, moment.at).wait_seconds == wait


def test_the_ratio_over_runs_is_of_their_sums_and_its_error_is_the_jackknifes():
    ratio, error = pooled_ratio([(1, 2), (3, 4), (2, 2)])
    assert ratio == 6 / 8
    # Left out in turn: 5/6, 3/4, 4/6 around their mean 3/4; sqrt(2/3 * 2 * (1/12)**2).
    assert error == pytest.approx((2 / 3 * 2 / 144) ** 0.5)
    assert pooled_ratio([(1, 2), (2, 4), (3, 6)]) == (0.5, 0.0)  # runs that agree: no spread
    assert pooled_ratio([(1, 2)])[1] != pooled_ratio([(1, 2)])[1]  # one run: nan, no spread to tell


def test_the_true_rates_reference_is_bereiks_formula_with_the_simulations_own_handling_time_and_patience():
    profile = Profile(3, 0.9, hours=4, patience_seconds=300)
    moments = run(profile, [0])
    reference = true_rates_estimator(profile)
    queued = [moment for moment in moments if moment.snapshot.callers_ahead >= 3]
    assert queued
    for moment in queued[:50]:
        expected = median_wait(moment.snapshot.callers_ahead, moment.snapshot.agents_free, 3, 240, 1 / 300)
        assert reference(moment) == pytest.approx(expected) and expected > 0
