"""A menu option that puts the caller through to an outside organisation (Bloemendaal's Sociale Zaken is the
joint organisation in Heemstede): the key leads to PutThrough with the number, within the same rules as every
other option (opening hours, closing days, the calamity switch), and never without a way back."""
import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bereik import facts as f
from bereik.config import check_text
from bereik.pbx import variables as var
from bereik.pbx.decision import settings as channel_variables
from bereik.routing.calamity import Calamity, Mode
from bereik.routing.flow import FINAL, Ask, CallFlow, Enqueue, Hangup, PutThrough, route_with_keys
from bereik.routing.outbound import OutboundPolicy
from tests.examples import example_config

EXAMPLE = Path(__file__).parents[2] / "examples" / "bloemendaal.yaml"
CONFIG = example_config()
AMS = ZoneInfo("Europe/Amsterdam")
OPEN = dt.datetime(2026, 11, 23, 10, 0, tzinfo=AMS)  # a Monday morning
THURSDAY_LUNCH = dt.datetime(2026, 11, 26, 12, 30, tzinfo=AMS)  # closed between two periods
EVENING = dt.datetime(2026, 11, 23, 18, 0, tzinfo=AMS)
CHRISTMAS = dt.datetime(2026, 12, 25, 10, 0, tzinfo=AMS)  # a public holiday
CHRISTMAS_EVE = dt.datetime(2026, 12, 24, 10, 0, tzinfo=AMS)  # an extra closing day
SOCIALE_ZAKEN = PutThrough(("U wordt doorverbonden met Sociale Zaken Heemstede.",), "0235485868",
                           "Sociale Zaken Heemstede", "5", "tic")


def final(keys, now=OPEN, config=CONFIG, dialled=None, calamity=None):
    flow = CallFlow(config, now, dialled=dialled, calamity=calamity)
    decision = flow.start()
    pressed = iter(keys)
    while isinstance(decision, Ask):
        decision = flow.pressed(next(pressed, None))
    return decision


def variant(**replacements) -> str:
    text = EXAMPLE.read_text()
    for old, new in replacements.values():
        assert old in text
        text = text.replace(old, new)
    return text


def test_the_key_puts_the_caller_through_with_the_number_and_the_organisation():
    assert final(["1", "5"]) == SOCIALE_ZAKEN


def test_on_a_general_number_the_same_menu_puts_through_without_the_municipality_question():
    assert final(["5"], dialled="0235115000") == SOCIALE_ZAKEN


def test_the_menu_says_the_option_as_written_and_offers_its_key():
    menu = route_with_keys(CONFIG, OPEN, ["1", "5"])[1]
    assert isinstance(menu, Ask) and "5" in menu.keys
    assert "Voor werk, inkomen of een uitkering bij Sociale Zaken in Heemstede, toets 5." in menu.say


@pytest.mark.parametrize("keys", [["1", "9", "5"], ["1", None, "5"], ["9", "1", "5"]])
def test_a_wrong_key_or_silence_first_still_reaches_the_option(keys):
    assert final(keys) == SOCIALE_ZAKEN


def test_other_options_still_join_the_queue_with_their_topic():
    assert final(["1", "4"]) == Enqueue((), "tic", "zorg", "4", "menu_choice")


@pytest.mark.parametrize(("now", "reason"), [
    (EVENING, "outside_hours"), (THURSDAY_LUNCH, "outside_hours"), (CHRISTMAS, "holiday"),
    (CHRISTMAS_EVE, "closing_day"),
])
def test_when_we_are_closed_the_caller_hears_our_closing_message_and_is_not_put_through(now, reason):
    """The menu is ours and keeps our hours: a caller pressing 5 outside them is never put through."""
    decisions = route_with_keys(CONFIG, now, ["1", "5", "5"])
    assert not any(isinstance(d, PutThrough) for d in decisions)
    assert isinstance(decisions[-1], Hangup) and decisions[-1].reason == reason


def test_a_calamity_that_closes_the_lines_closes_this_option_too():
    storm = Calamity(Mode.CLOSED, "Vanwege een storing zijn wij niet bereikbaar.", OPEN + dt.timedelta(hours=2), "c")
    decision = final(["1", "5"], calamity=storm)
    assert decision == Hangup(("Vanwege een storing zijn wij niet bereikbaar.",), "calamity")


def test_a_calamity_message_is_said_before_the_menu_and_the_option_still_puts_through():
    storm = Calamity(Mode.MESSAGE, "Vanwege een storing duurt het langer.", OPEN + dt.timedelta(hours=2), "c")
    flow = CallFlow(CONFIG, OPEN, calamity=storm)
    flow.start()
    menu = flow.pressed("1")
    assert "Vanwege een storing duurt het langer." in menu.say
    assert flow.pressed("5") == SOCIALE_ZAKEN


def test_the_flow_is_done_after_putting_through():
    flow = CallFlow(CONFIG, OPEN)
    flow.start()
    flow.pressed("1")
    assert isinstance(flow.pressed("5"), PutThrough)
    with pytest.raises(RuntimeError):
        flow.pressed("5")


def test_an_english_municipality_hears_it_in_english():
    english = check_text(variant(language=("language: nl", "language: en")), "en.yaml").config
    assert final(["1", "5"], config=english).say == ("You are being put through to Sociale Zaken Heemstede.",)


def test_the_fallback_is_the_front_office_even_when_other_options_name_another_queue():
    text = variant(
        queue=("front_office: tic\nqueues:\n", "front_office: tic\nqueues:\n  - id: kcc\n    name: KCC\n"
               "    topics: [afval]\n    positions: [{extension: \"210\"}]\n"),
        option=('      topic: afval\n', '      topic: afval\n      queue: kcc\n'))
    config = check_text(text, "two.yaml").config
    assert final(["1", "2"], config=config).queue == "kcc"
    assert final(["1", "5"], config=config).fallback_queue == "tic"


def test_the_decision_as_channel_variables_keeps_the_choice_and_names_the_organisation():
    assert channel_variables(CONFIG, SOCIALE_ZAKEN) == {
        var.ACTION: var.ACTION_OUTSIDE, var.ORGANISATION: "Sociale Zaken Heemstede",
        var.CHOICE: "5", var.TOPIC: "", var.REASON: f.OUTSIDE_ORGANISATION,
        var.MUNICIPALITY: "Bloemendaal"}


KEYS = st.lists(st.sampled_from(["0", "1", "2", "3", "4", "5", "6", "9", None]), max_size=8)
MOMENTS = st.datetimes(min_value=dt.datetime(2026, 11, 1), max_value=dt.datetime(2027, 1, 31)).map(
    lambda moment: moment.replace(tzinfo=AMS))


@settings(max_examples=300, deadline=None)
@given(keys=KEYS, now=MOMENTS)
def test_every_way_through_the_menu_ends_and_a_put_through_is_in_hours_and_in_the_class_of_service(keys, now):
    decisions = route_with_keys(CONFIG, now, keys)
    assert isinstance(decisions[-1], FINAL)
    for decision in decisions:
        if isinstance(decision, PutThrough):
            assert OutboundPolicy.from_config(CONFIG).verdict(decision.number).allowed
            assert decision.fallback_queue == CONFIG.front_office
            assert CallFlow(CONFIG, now).hours.status(now).open
