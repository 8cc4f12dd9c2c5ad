"""What a waiting caller hears: wait bands, callers ahead, the uncertain rule, Dutch and English."""
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bereik.ivr.wait_message import (
    ENGLISH,
    WaitMessageSettings,
    all_wait_messages,
    wait_message,
    wait_texts,
)
from bereik.routing.estimate import Estimate, Uncertainty

WAIT = WaitMessageSettings(mode="wait")
POSITION = WaitMessageSettings(mode="position")
BOTH = WaitMessageSettings(mode="both")
ENGLISH_BOTH = WaitMessageSettings(mode="both", language="en", texts=ENGLISH)


@pytest.mark.parametrize(("seconds", "heard"), [
    (0, "minder dan een minuut"),
    (59, "minder dan een minuut"),
    (60, "ongeveer een minuut"),
    (89, "ongeveer een minuut"),
    (90, "ongeveer twee minuten"),
    (200, "ongeveer drie minuten"),
    (269, "ongeveer vier minuten"),
    (270, "ongeveer vijf minuten"),
    (449, "ongeveer vijf minuten"),
    (450, "ongeveer tien minuten"),
    (749, "ongeveer tien minuten"),
    (750, "ongeveer een kwartier"),
    (899, "ongeveer een kwartier"),
    (900, "meer dan een kwartier"),
    (7200, "meer dan een kwartier"),
])
def test_the_wait_is_rounded_as_a_person_says_it(seconds, heard):
    assert wait_message(Estimate(3, seconds), WAIT) == f"De verwachte wachttijd is {heard}."


@pytest.mark.parametrize(("ahead", "heard"), [
    (0, "U bent de volgende."),
    (1, "Er is nog één beller voor u."),
    (2, "Er zijn nog twee bellers voor u."),
    (21, "Er zijn nog eenentwintig bellers voor u."),
    (50, "Er zijn nog vijftig bellers voor u."),
    (51, "Er zijn nog meer dan vijftig bellers voor u."),
])
def test_the_callers_ahead_in_words(ahead, heard):
    assert wait_message(Estimate(ahead, 100), POSITION) == heard


@pytest.mark.parametrize(("settings", "estimate", "heard"), [
    (BOTH, Estimate(2, 200), "Er zijn nog twee bellers voor u. De verwachte wachttijd is ongeveer drie minuten."),
    (ENGLISH_BOTH, Estimate(0, 30), "You are next in line. The expected waiting time is less than a minute."),
    (ENGLISH_BOTH, Estimate(3, 500), "There are three callers ahead of you. The expected waiting time is about ten minutes."),
    # Uncertain: the position only, whatever the mode.
    (WAIT, Estimate(2, 200, Uncertainty.FEW_RECENT_CALLS), "Er zijn nog twee bellers voor u."),
    (BOTH, Estimate(4, None, Uncertainty.NO_AGENT_WORKING), "Er zijn nog vier bellers voor u."),
])
def test_modes_and_the_uncertain_rule(settings, estimate, heard):
    assert wait_message(estimate, settings) == heard


def test_the_online_hint_comes_last():
    texts = wait_texts("nl", {"online_hint": "Veel zaken regelt u ook online, op www.bloemendaal.nl."})
    message = wait_message(Estimate(0, 30), WaitMessageSettings(mode="position", texts=texts))
    assert message == "U bent de volgende. Veel zaken regelt u ook online, op www.bloemendaal.nl."


def test_texts_from_the_yaml_replace_the_defaults():
    texts = wait_texts("nl", {"callers_ahead": "Voor u wachten nog {count} mensen."})
    assert wait_message(Estimate(3, 0), WaitMessageSettings(mode="position", texts=texts)) == "Voor u wachten nog drie mensen."


@pytest.mark.parametrize(("overrides", "problem"), [
    ({"welcome_back": "Hallo"}, "'welcome_back' is not a wait text"),
    ({"callers_ahead": "Nog {aantal} bellers."}, "'callers_ahead' may use ['count'], not ['aantal']"),
    ({"you_are_next": "U bent nummer {count}."}, "'you_are_next' may use no placeholders"),
])
def test_wrong_texts_are_refused_with_the_reason(overrides, problem):
    with pytest.raises(ValueError, match=problem.replace("[", r"\[").replace("]", r"\]")):
        wait_texts("nl", overrides)


SETTINGS = st.sampled_from([WAIT, POSITION, BOTH, ENGLISH_BOTH, WaitMessageSettings(mode="wait", position_limit=5)])
ESTIMATES = st.builds(
    Estimate,
    callers_ahead=st.integers(0, 500),
    wait_seconds=st.none() | st.floats(0, 100_000),
    uncertainty=st.none() | st.sampled_from(Uncertainty),
)


@given(estimate=ESTIMATES, settings=SETTINGS)
def test_every_estimate_has_a_sentence_rendered_in_advance(estimate, settings):
    message = wait_message(estimate, settings)
    assert message.strip() and "{" not in message and not any(ch.isdigit() for ch in message)
    assert message in all_wait_messages(settings)


@pytest.mark.parametrize(("settings", "count"), [
    (POSITION, 52),          # next, 1 .. 50, more than 50
    (WAIT, 9 + 52),          # nine wait bands, and the positions for uncertain estimates
    (BOTH, 52 * 9 + 52),
])
def test_the_set_of_sentences_is_bounded(settings, count):
    assert len(all_wait_messages(settings)) == count
