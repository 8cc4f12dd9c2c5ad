"""What a caller to an absent colleague hears: until when, in people's words, and where the call goes."""
import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bereik.ivr.phrases import absence_sentence, until_phrase
from tests.examples import example_config

CONFIG = example_config()
AMS = ZoneInfo("Europe/Amsterdam")
NOW = dt.datetime(2026, 12, 2, 10, 0, tzinfo=AMS)  # Wednesday 2 December


@pytest.mark.parametrize(("until", "language", "said"), [
    (dt.datetime(2026, 12, 2, 13, 0, tzinfo=AMS), "nl", "13 uur"),
    (dt.datetime(2026, 12, 2, 14, 30, tzinfo=AMS), "nl", "14 uur 30"),
    (dt.datetime(2026, 12, 3, 0, 0, tzinfo=AMS), "nl", "morgen"),
    (dt.datetime(2026, 12, 3, 12, 0, tzinfo=AMS), "nl", "morgen 12 uur"),
    (dt.datetime(2026, 12, 7, 0, 0, tzinfo=AMS), "nl", "maandag 7 december"),
    (dt.datetime(2026, 12, 7, 8, 30, tzinfo=AMS), "nl", "maandag 7 december"),  # back at the start of the day
    (dt.datetime(2027, 1, 4, 0, 0, tzinfo=AMS), "nl", "maandag 4 januari"),
    (dt.datetime(2026, 12, 6, 23, 0, tzinfo=dt.UTC), "nl", "maandag 7 december"),  # Graph's times are UTC
    (dt.datetime(2026, 12, 7, 0, 0, tzinfo=AMS), "en", "Monday 7 December"),
])
def test_until_when_as_people_say_it(until, language, said):
    assert until_phrase(until, NOW, AMS, language) == said


def test_the_sentence_with_a_substitute_and_with_the_front_office():
    monday = dt.datetime(2026, 12, 7, tzinfo=AMS)
    assert absence_sentence(CONFIG, "Eva Smit", monday, NOW, "Jan de Boer") == (
        "Eva Smit is afwezig tot maandag 7 december. U wordt doorverbonden met de vervanger, Jan de Boer.")
    assert absence_sentence(CONFIG, "Eva Smit", None, NOW, None) == (
        "Eva Smit is afwezig. U wordt doorverbonden met ons klantcontactcentrum.")


def test_the_yaml_may_word_it_differently():
    config = CONFIG.model_copy(update={"texts": {**CONFIG.texts, "absent_until": "{name} is er weer op {until}.",
                                                 "to_substitute": "{substitute} neemt het over."}})
    sentence = absence_sentence(config, "Eva Smit", dt.datetime(2026, 12, 7, tzinfo=AMS), NOW, "Femke")
    assert sentence == "Eva Smit is er weer op maandag 7 december. Femke neemt het over."
