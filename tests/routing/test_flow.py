"""The call flow: closed, municipality choice, menu, and never a dead end."""
import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bereik.config import parse_config
from bereik.routing.flow import FINAL, Ask, CallFlow, Enqueue, Forward, Hangup, PutThrough, route_with_keys
from tests.examples import example_config

EXAMPLE = Path(__file__).parents[2] / "examples" / "bloemendaal.yaml"
CONFIG = example_config()
AMS = ZoneInfo("Europe/Amsterdam")
OPEN = dt.datetime(2026, 11, 23, 10, 0, tzinfo=AMS)      # a Monday morning
EVENING = dt.datetime(2026, 11, 23, 18, 0, tzinfo=AMS)
CHRISTMAS = dt.datetime(2026, 12, 25, 10, 0, tzinfo=AMS)


def final(keys, now=OPEN, config=CONFIG):
    return route_with_keys(config, now, keys)[-1]


@pytest.mark.parametrize(("keys", "expected"), [
    (["1", "1"], Enqueue((), "tic", "burgerzaken", "1", "menu_choice")),
    (["1", "2"], Enqueue((), "tic", "afval", "2", "menu_choice")),
    (["1", "5"], PutThrough(("U wordt doorverbonden met Sociale Zaken Heemstede.",), "0235485868",
                            "Sociale Zaken Heemstede", "5", "tic")),  # the joint organisation in Heemstede
    (["1", "9", "3"], Enqueue((), "tic", "belastingen", "3", "menu_choice")),  # one wrong key, then right
    (["1", "9", "9"], Enqueue((), "tic", None, None, "no_choice")),            # wrong twice: general queue
    (["1", None, None], Enqueue((), "tic", None, None, "no_choice")),          # silence twice
    (["1", "7", None], Enqueue((), "tic", None, None, "no_choice")),
    (["2"], Forward((), "0235485868", "Heemstede")),
    (["9", "1", "4"], Enqueue((), "tic", "zorg", "4", "menu_choice")),         # wrong municipality key first
    (["9", "9", "2"], Enqueue((), "tic", "afval", "2", "menu_choice")),        # no choice: we answer ourselves
])
def test_in_hours(keys, expected):
    assert final(keys) == expected


def test_the_menu_explains_every_option_after_the_welcome():
    decisions = route_with_keys(CONFIG, OPEN, ["1", "2"])
    first, menu = decisions[0], decisions[1]
    assert isinstance(first, Ask) and first.stage == "municipality" and first.keys == {"1", "2"}
    assert menu.say[0] == "Welkom bij de gemeente Bloemendaal."
    assert menu.say[2:] == tuple(option.text for option in CONFIG.menu.options)
    assert menu.keys == {"1", "2", "3", "4", "5"} and menu.timeout == 5


def test_a_wrong_key_is_told_but_silence_is_not():
    after_wrong = route_with_keys(CONFIG, OPEN, ["1", "8", "1"])[2]
    after_silence = route_with_keys(CONFIG, OPEN, ["1", None, "1"])[2]
    assert after_wrong.say[0] == "Die keuze kennen wij niet."
    assert after_silence.say[0] != "Die keuze kennen wij niet."
    assert after_silence.say == after_wrong.say[1:]


@pytest.mark.parametrize(("now", "reason", "phrase"), [
    (EVENING, "outside_hours", "morgen om 8 uur 30"),
    (CHRISTMAS, "holiday", "op maandag om 8 uur 30"),
    (dt.datetime(2026, 11, 23, 7, 0, tzinfo=AMS), "outside_hours", "vandaag om 8 uur 30"),
])
def test_closed_says_when_we_open_and_where_online(now, reason, phrase):
    decision = final(["1"], now=now)
    assert isinstance(decision, Hangup) and decision.reason == reason
    [message] = decision.say
    assert phrase in message and "www.bloemendaal.nl" in message


def test_another_municipality_is_forwarded_even_when_we_are_closed():
    assert final(["2"], now=EVENING) == Forward((), "0235485868", "Heemstede")


def without(text: str, section: str) -> str:
    """The example with one top-level section removed."""
    lines, kept, skipping = text.splitlines(keepends=True), [], False
    for line in lines:
        if line.startswith(f"{section}:"):
            skipping = True
            continue
        if skipping and (line.startswith(" ") or not line.strip()):
            continue
        skipping = False
        kept.append(line)
    return "".join(kept)


def test_a_number_not_shared_goes_straight_to_the_menu():
    config = parse_config(without(EXAMPLE.read_text(), "shared_number"))
    decisions = route_with_keys(config, OPEN, ["3"])
    assert decisions[0].stage == "menu"
    assert decisions[-1] == Enqueue((), "tic", "belastingen", "3", "menu_choice")


def test_without_a_menu_every_caller_joins_the_general_queue_after_the_welcome():
    config = parse_config(without(without(EXAMPLE.read_text(), "shared_number"), "menu"))
    assert final([], config=config) == Enqueue(("Welkom bij de gemeente Bloemendaal.",), "tic", None, None, "no_menu")


def test_pressing_after_the_call_is_routed_is_a_programming_error():
    flow = CallFlow(CONFIG, OPEN)
    flow.start()
    assert isinstance(flow.pressed("1"), Ask)
    assert isinstance(flow.pressed("2"), Enqueue)
    with pytest.raises(RuntimeError):
        flow.pressed("1")


keys = st.one_of(st.none(), st.sampled_from(list("0123456789*#")), st.text(max_size=3))
moments = st.datetimes(min_value=dt.datetime(2026, 1, 1), max_value=dt.datetime(2028, 12, 31),
                       timezones=st.just(AMS))


@settings(max_examples=400, deadline=None)
@given(moment=moments, pressed=st.lists(keys, max_size=12))
def test_no_sequence_of_keys_leaves_a_caller_without_a_destination(moment, pressed):
    flow = CallFlow(CONFIG, moment)
    decision = flow.start()
    asked = 0
    for key in pressed:
        if isinstance(decision, FINAL):
            break
        decision = flow.pressed(key[:1] if key else None)
        asked += 1
    # Whatever was pressed so far, silence from here on still reaches a destination, soon.
    while isinstance(decision, Ask):
        decision = flow.pressed(None)
        asked += 1
    assert isinstance(decision, FINAL)
    assert asked <= 2 * (CONFIG.menu.retries + 1) + 1
    if isinstance(decision, Enqueue):
        assert decision.queue == "tic"
        assert decision.topic in {None, *CONFIG.queue("tic").topics}


def test_a_general_number_is_ours_already_no_municipality_choice():
    [general] = CONFIG.general_numbers
    first = CallFlow(CONFIG, OPEN, dialled=general).start()
    assert isinstance(first, Ask) and first.stage == "menu"
    assert route_with_keys(CONFIG, OPEN, ["2"], dialled=general)[-1] == Enqueue((), "tic", "afval", "2", "menu_choice")
    # The 14 number itself still asks which municipality.
    assert CallFlow(CONFIG, OPEN, dialled=CONFIG.number).start().stage == "municipality"
    # Outside hours a general number hears the closing message like the 14 number.
    assert isinstance(route_with_keys(CONFIG, EVENING, [], dialled=general)[-1], Hangup)
