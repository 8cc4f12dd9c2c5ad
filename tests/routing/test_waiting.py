"""Waiting for the front office: the message schedule in rings, the overflow switch, topics as penalty ranges."""
import copy
import itertools
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bereik.routing.waiting import (
    AnnouncementSchedule, OverflowSwitch, TopicsNotArrangeable, arrange,
    penalty_plan,
)
from tests.examples import example_config
CONFIG = example_config()


def test_the_first_message_comes_after_four_dutch_rings_and_then_every_four_rings():
    schedule = AnnouncementSchedule(first_after_rings=4, repeat_every_rings=4)
    assert schedule.next_after(0) == 20
    assert schedule.next_after(19.9) == 20
    assert schedule.next_after(20) == 40  # just played: the next one
    assert schedule.next_after(41) == 60


def test_rings_are_configured_in_rings_not_seconds():
    schedule = AnnouncementSchedule(first_after_rings=2, repeat_every_rings=6)
    assert [schedule.next_after(t) for t in (0, 10, 40)] == [10, 40, 70]


def test_a_caller_found_after_a_reconnect_is_not_told_twice_for_the_missed_moment():
    assert AnnouncementSchedule().next_after(23) == 40


def switch():
    return OverflowSwitch(on_callers=4, on_wait=240, off_callers=1, off_wait=60, min_on_seconds=300)


def test_the_overflow_position_joins_at_the_high_mark_of_callers_or_wait():
    assert switch().update(3, 100, now=0) is None
    assert switch().update(4, 100, now=0).on
    assert switch().update(1, 240, now=0).on


def test_the_overflow_position_stays_between_the_marks_and_for_its_minimum_time():
    overflow = switch()
    assert overflow.update(5, 300, now=0).on
    assert overflow.update(2, 100, now=400) is None  # between the marks: no flapping
    assert overflow.update(1, 30, now=200) is None  # quiet, but on for less than five minutes
    off = overflow.update(1, 30, now=301)
    assert off is not None and not off.on
    assert overflow.update(3, 100, now=302) is None  # below the high mark again: stays off


def test_an_unknown_expected_wait_counts_as_no_wait():
    assert switch().update(2, None, now=0) is None


# (callers, the last caller's expected wait, seconds since the previous update)
moments = st.lists(st.tuples(st.integers(0, 6), st.one_of(st.none(), st.floats(0, 600)), st.floats(0, 200)),
                   max_size=60)


@given(moments)
def test_a_wait_not_estimated_when_it_cannot_decide_decides_the_same(sequence):
    """The announcer estimates the wait only when needs_wait says it can change the decision."""
    always, lazy, now = switch(), switch(), 0.0
    for callers, wait, elapsed in sequence:
        now += elapsed
        expected = always.update(callers, wait, now)
        if lazy.needs_wait(callers, now):
            assert lazy.update(callers, wait, now) == expected
            continue
        for any_wait in (0.0, math.inf):  # no wait and any wait decide alike
            assert copy.deepcopy(lazy).update(callers, any_wait, now) == expected
        lazy.update(callers, None, now)


def test_every_topic_is_one_penalty_range_of_exactly_its_trained_agents():
    plan = penalty_plan(CONFIG)
    trained = {a.extension: set(a.topics) for a in CONFIG.agents}
    for topic, (low, high) in plan.ranges.items():
        in_range = {e for e, slot in plan.slots.items() if low <= slot <= high}
        assert in_range == {e for e, topics in trained.items() if topic in topics}, topic
    assert sorted(plan.slots.values()) == [1, 2, 3, 4]


def test_a_caller_without_topic_is_offered_to_every_position_at_one_equal_penalty():
    variables = penalty_plan(CONFIG).variables(None)
    assert variables == {"QUEUE_MIN_PENALTY": "1", "QUEUE_MAX_PENALTY": "4", "QUEUE_RAISE_PENALTY": "r4"}


def test_after_the_fallback_wait_a_topic_caller_is_offered_to_every_tic_agent():
    assert penalty_plan(CONFIG).fallback_rule(45) == "penaltychange => 45,4,1,r4"


def test_topics_in_a_circle_get_the_row_with_fewest_untrained_agents_and_say_whom():
    agents = [{"name": n, "extension": e, "topics": t} for n, e, t in (
        ("A", "201", ["x", "y"]), ("B", "202", ["y", "z"]), ("C", "203", ["z", "x"]), ("D", "204", ["x", "y", "z"]),
        ("E", "205", []))]
    queue = CONFIG.queues[0].model_copy(update={"topics": ["x", "y", "z"], "positions": [
        CONFIG.queues[0].positions[0].model_copy(update={"extension": a["extension"], "overflow": False})
        for a in agents]})
    config = CONFIG.model_copy(update={"queues": [queue], "agents": [
        CONFIG.agents[0].model_copy(update=a) for a in agents]})
    # x={201,203,204}, y={201,202,204}, z={202,203,204}: a triangle around 204, no row has all three side by side.
    plan = penalty_plan(config)
    trained = {a["extension"]: set(a["topics"]) for a in agents}
    for topic, (low, high) in plan.ranges.items():
        inside = {e for e, slot in plan.slots.items() if low <= slot <= high}
        assert {e for e, ts in trained.items() if topic in ts} <= inside
        assert set(plan.widened.get(topic, ())) == {e for e in inside if topic not in trained[e]}

    def strangers(order):
        index = {e: i for i, e in enumerate(order)}
        spans = [[index[e] for e in trained if t in trained[e]] for t in "xyz"]
        return sum(max(s) - min(s) + 1 - len(s) for s in spans)

    best = min(strangers(order) for order in itertools.permutations(trained))
    assert best == 1 and sum(len(w) for w in plan.widened.values()) == best


def test_more_positions_than_can_be_arranged_is_refused():
    with pytest.raises(TopicsNotArrangeable, match="10 positions"):
        arrange([str(200 + n) for n in range(10)], {"200": {"x"}})
