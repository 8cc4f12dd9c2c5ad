"""The call-back that keeps the caller's place: offered past a threshold, the key acts only once offered,
and the caller leaves the queue only after confirming the number read back."""
import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bereik.routing.estimate import Estimate
from bereik.routing.flow import Ask, CallerCallback, CallFlow, Enqueue, Hangup
from bereik.routing.virtual_hold import Act, HoldKeys, offer_due, read_back_parts, stand_in
from tests.examples import example_config

EXAMPLE = example_config()
CONFIG = EXAMPLE.model_copy(update={"waiting": EXAMPLE.waiting.model_copy(update={
    "callback_offer_wait_seconds": 120, "callback_offer_callers_ahead": 3})})


@pytest.mark.parametrize(("ahead", "wait", "offered"), [
    (0, 60.0, False), (2, 119.0, False),  # below both thresholds
    (0, 120.0, True),  # the expected wait reached its threshold
    (3, None, True),  # callers ahead reached theirs, though nobody can say how long
    (2, None, False),
])
def test_the_offer_comes_once_the_wait_or_the_callers_ahead_pass_the_yamls_threshold(ahead, wait, offered):
    assert offer_due(CONFIG, Estimate(callers_ahead=ahead, wait_seconds=wait)) is offered


def test_no_call_back_key_no_offer():
    config = CONFIG.model_copy(update={"waiting": CONFIG.waiting.model_copy(update={"callback_key": None})})
    assert not offer_due(config, Estimate(callers_ahead=50, wait_seconds=3600.0))


def keys(number="0612345678"):
    return HoldKeys.for_caller(CONFIG, number)


def test_the_stray_key_of_the_issue_does_nothing_before_the_offer():
    """999 typed at a menu without a 9: the third 9 lands 3.4 s after joining, long before any offer."""
    caller = keys()
    assert caller.pressed("9", 3.4) is Act.NOTHING
    assert caller.pressed("1", 3.9) is Act.NOTHING  # nor does a confirm key without a read-back
    caller.offer(20.0)
    assert caller.pressed("9", 25.0) is Act.READ_BACK


def test_the_caller_leaves_only_after_the_confirm_key_within_the_read_back_and_its_wait():
    caller = keys()
    caller.offer(20.0)
    assert caller.pressed("9", 25.0) is Act.READ_BACK
    caller.asking(25.0, read_back_seconds=8.0)  # the confirm key counts until 25 + 8 + 10
    assert caller.pressed("7", 30.0) is Act.NOTHING
    assert caller.pressed("9", 31.0) is Act.NOTHING  # pressing the call-back key again reads nothing twice
    assert caller.pressed("1", 42.9) is Act.CONFIRM
    assert caller.pressed("1", 43.0) is Act.NOTHING  # confirmed once


def test_too_late_a_confirm_key_does_nothing_and_the_caller_may_ask_again():
    caller = keys()
    caller.offer(20.0)
    caller.pressed("9", 25.0)
    caller.asking(25.0, read_back_seconds=8.0)
    assert caller.pressed("1", 43.5) is Act.NOTHING
    assert caller.pressed("9", 50.0) is Act.READ_BACK


def test_a_hidden_number_hears_that_it_cannot_be_called_back():
    caller = keys("anonymous")
    caller.offer(20.0)
    assert caller.pressed("9", 21.0) is Act.NO_NUMBER


@given(st.lists(st.tuples(st.sampled_from("0123456789*#"), st.floats(0, 300)), max_size=30))
def test_no_keys_ever_confirm_without_an_offer(presses):
    caller = keys()
    assert all(caller.pressed(key, at) is Act.NOTHING for key, at in sorted(presses, key=lambda p: p[1]))


def test_the_number_is_read_back_digit_by_digit_with_the_confirm_key_and_never_as_one_recording():
    parts = read_back_parts(CONFIG, "0612")
    assert parts == ["Wij bellen u terug op het nummer", "nul", "zes", "één", "twee",
                     "zodra u aan de beurt bent. Toets de één om dit te bevestigen."]


def test_the_stand_in_keeps_the_place_and_the_topic_until_the_topics_fallback():
    assert stand_in(CONFIG, 3, "zorg", waited_seconds=30) == stand_in(CONFIG, 3, "zorg", 59.9)
    assert stand_in(CONFIG, 3, "zorg", 30).topic == "zorg"
    assert stand_in(CONFIG, 3, "zorg", 60).topic == ""  # already offered to every agent: so the stand-in too
    assert stand_in(CONFIG, 0, "", 0).position == 1


CHRISTMAS = dt.datetime(2026, 12, 25, 11, 0, tzinfo=CONFIG.zone)
MONDAY = dt.datetime(2026, 11, 23, 10, 0, tzinfo=CONFIG.zone)


def test_after_hours_a_call_back_on_the_next_working_day_read_back_and_confirmed():
    flow = CallFlow(CONFIG, CHRISTMAS, callback=CallerCallback(number="0612345678"))
    flow.start()  # the municipality choice
    offer = flow.pressed("1")
    assert isinstance(offer, Ask) and offer.keys == {"9"} and offer.say[1].startswith("Wilt u op de eerstvolgende")
    read_back = flow.pressed("9")
    assert isinstance(read_back, Ask) and read_back.keys == {"1"} and "nul" in read_back.say
    confirmed = flow.pressed("1")
    assert isinstance(confirmed, Hangup) and confirmed.callback and confirmed.reason == "holiday"
    assert confirmed.say == ("Dank u wel. Wij bellen u op maandag om 8 uur 30 terug. Tot ziens.",)


@pytest.mark.parametrize("keys_pressed", [[None], ["5"], ["9", None], ["9", "9"]])
def test_after_hours_without_the_keys_the_call_just_ends(keys_pressed):
    flow = CallFlow(CONFIG, CHRISTMAS, callback=CallerCallback(number="0612345678"))
    flow.start()
    decision = flow.pressed("1")
    for key in keys_pressed:
        decision = flow.pressed(key)
    assert isinstance(decision, Hangup) and not decision.callback and decision.say == ()


def test_a_hidden_number_after_hours_hears_only_the_closing_message():
    flow = CallFlow(CONFIG, CHRISTMAS, callback=CallerCallback(number=""))
    flow.start()
    decision = flow.pressed("1")
    assert isinstance(decision, Hangup) and len(decision.say) == 1 and not decision.callback


def test_a_caller_whose_call_back_is_planned_is_told_and_offered_none():
    flow = CallFlow(CONFIG, MONDAY, callback=CallerCallback(number="0612345678", planned=True))
    flow.start()
    menu = flow.pressed("1")
    assert CONFIG.waiting.callback_already_planned in menu.say
    assert isinstance(flow.pressed("2"), Enqueue)  # and waits as anyone does, if they like
    closed = CallFlow(CONFIG, CHRISTMAS, callback=CallerCallback(number="0612345678", planned=True))
    closed.start()
    decision = closed.pressed("1")
    assert isinstance(decision, Hangup) and decision.say[-1] == CONFIG.waiting.callback_already_planned
