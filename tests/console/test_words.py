"""The YAML's codes in people's words: the menu option as the caller heard it, names for extensions and ids."""
import datetime as dt

import pytest

from bereik.console import words
from bereik.console.texts import date_text
from tests.examples import example_config

CONFIG = example_config()


@pytest.mark.parametrize(("text", "spoken"), [
    ("Voor een paspoort, identiteitskaart, rijbewijs of een verhuizing, toets 1.",
     "een paspoort, identiteitskaart, rijbewijs of een verhuizing"),
    ("Voor afval, toets dan de 2.", "afval"),
    ("For taxes, press 3.", "taxes"),
    ("Alle andere vragen", "Alle andere vragen"),  # nothing to strip: as written
])
def test_an_options_spoken_text_without_its_key(text, spoken):
    assert words.option_words(text) == spoken


def test_the_choice_in_words_by_key_or_by_topic():
    assert words.choice_text(CONFIG, "1", "burgerzaken") == \
        "Burgerzaken: een paspoort, identiteitskaart, rijbewijs of een verhuizing"
    assert words.choice_text(CONFIG, "", "afval") == "Afval, grofvuil of een kapotte container"
    assert words.choice_text(CONFIG, "", "") == ""
    assert words.choice_text(CONFIG, "9", "onbekend_onderwerp") == "Onbekend onderwerp"


def test_people_departments_and_teams_by_name():
    assert words.colleague(CONFIG, "302") == {"name": "Femke de Boer", "department": "Vergunningen"}
    assert words.colleague(CONFIG, "311", "wmo") == {"name": "Hanna Bos", "department": "Zorg en WMO"}
    assert words.colleague(CONFIG, "999") == {"name": "999", "department": ""}  # unknown: as told
    assert words.person_name(CONFIG, "201") == "Anna de Vries"
    assert words.team_name(CONFIG, "tic") == "Klantcontactcentrum"
    assert words.team_name(CONFIG, "wmo") == "Zorg en WMO"
    assert words.team_name(CONFIG, "archief") == "archief"


def test_dates_as_people_write_them():
    moment = dt.datetime(2026, 11, 24, 17, 0)
    assert date_text(moment, "nl") == "di 24 nov 2026 17:00"
    assert date_text(moment, "en") == "Tue 24 Nov 2026 17:00"
