"""The optional announcement that calls may be recorded: before the menu, for our own callers, when the YAML asks."""
import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

from bereik.ivr.catalogue import spoken_texts
from bereik.ivr.phrases import RECORDING_NOTICE
from bereik.ivr.prompts import PromptLibrary
from bereik.pbx.dialplan import generate
from bereik.routing.flow import Ask, Enqueue, Forward, Hangup, route_with_keys
from bereik.secrets import AMI_SECRET, PHONES_SECRET, Secrets
from tests.examples import example_config

CONFIG = example_config()
AMS = ZoneInfo("Europe/Amsterdam")
OPEN = dt.datetime(2026, 11, 23, 10, 0, tzinfo=AMS)
EVENING = dt.datetime(2026, 11, 23, 18, 0, tzinfo=AMS)
NOTICE_NL = "Gesprekken kunnen worden opgenomen voor training en coaching."


def announcing(config=CONFIG, **changes):
    privacy = config.privacy.model_copy(update={"recording_announcement": True})
    return config.model_copy(update={"privacy": privacy, **changes})


def test_off_by_default_nobody_hears_it():
    said = [text for d in route_with_keys(CONFIG, OPEN, ["1", "2"]) for text in d.say]
    assert NOTICE_NL not in said
    assert NOTICE_NL not in spoken_texts(CONFIG)


def test_when_on_our_caller_hears_it_after_the_welcome_and_before_the_menu():
    choice, menu, routed = route_with_keys(announcing(), OPEN, ["1", "2"])
    assert NOTICE_NL not in choice.say  # the municipality choice comes first: a caller for Heemstede is not ours
    assert isinstance(menu, Ask) and menu.stage == "menu"
    assert menu.say[:3] == ("Welkom bij de gemeente Bloemendaal.", NOTICE_NL, CONFIG.texts["menu_intro"])
    assert isinstance(routed, Enqueue) and routed.say == ()


def test_once_even_when_the_menu_is_repeated_and_not_for_other_municipalities_or_when_closed():
    said = [text for d in route_with_keys(announcing(), OPEN, ["1", "9", "2"]) for text in d.say]
    assert said.count(NOTICE_NL) == 1
    forwarded = route_with_keys(announcing(), OPEN, ["2"])
    assert isinstance(forwarded[-1], Forward) and NOTICE_NL not in [t for d in forwarded for t in d.say]
    closed = route_with_keys(announcing(), EVENING, ["1"])
    assert isinstance(closed[-1], Hangup) and NOTICE_NL not in [t for d in closed for t in d.say]


def test_without_a_menu_it_is_said_on_the_way_to_the_queue():
    routed = route_with_keys(announcing(menu=None), OPEN, ["1"])[-1]
    assert isinstance(routed, Enqueue) and routed.say[-1] == NOTICE_NL


def test_english_and_the_yamls_own_sentence():
    english = announcing(language="en")
    assert route_with_keys(english, OPEN, ["1", "2"])[1].say[1] == RECORDING_NOTICE["en"]
    own = announcing(texts={**CONFIG.texts, "recording_notice": "Gemeente {municipality} neemt soms op."})
    assert "Gemeente Bloemendaal neemt soms op." in route_with_keys(own, OPEN, ["1", "2"])[1].say


def test_it_is_rendered_ahead_and_played_when_bereik_fails_open():
    config = announcing()
    assert NOTICE_NL in spoken_texts(config)
    sound = PromptLibrary(Path(), "nl").sound_name(NOTICE_NL)
    extensions = generate(config, Secrets({AMI_SECRET: "k3Wq9-long-random-secret", PHONES_SECRET: "phones-" + "p" * 26}))["extensions.conf"]
    entry = extensions.split("[bereik-entry]")[1].split("\n[")[0].splitlines()
    for reason in ("failopen-${AGISTATUS}", "watchdog"):
        at = next(i for i, line in enumerate(entry) if f"Set(BEREIK_REASON={reason})" in line)
        assert entry[at + 1] == " same => n,CELGenUserEvent(BEREIK_FELL_THROUGH,${BEREIK_REASON})"
        assert entry[at + 2] == f" same => n,Playback({sound})"
        assert entry[at + 3].startswith(" same => n,Goto(bereik-failopen,tic,1)")
    plain = generate(CONFIG, Secrets({AMI_SECRET: "k3Wq9-long-random-secret", PHONES_SECRET: "phones-" + "p" * 26}))["extensions.conf"]
    assert "Playback(bereik/" not in plain.split("[bereik-entry]")[1].split("\n[")[0]
