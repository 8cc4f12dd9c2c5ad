"""Feature codes as Dutch phone users dial them, the targets they may name, and what the person hears."""
import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bereik.presence.absence_fact import AbsenceFact, AbsenceSource, AbsenceState
from bereik.routing.features import Code, Request, effect, national, parse, target_of
from bereik.routing.stand_in import StandIn, Taker, Why
from tests.examples import example_config

CONFIG = example_config()
NOW = dt.datetime(2026, 12, 2, 10, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))


@pytest.mark.parametrize(("dialled", "request_"), [
    ("*21*0612345678#", Request(Code.FORWARD, "0612345678")),
    ("*21*0612345678", Request(Code.FORWARD, "0612345678")),  # phones that send on '#' leave it off
    ("*21*+31612345678#", Request(Code.FORWARD, "+31612345678")),
    ("*21*302#", Request(Code.FORWARD, "302")),
    ("*21#", Request(Code.FORWARD_SUBSTITUTE)),
    ("#21#", Request(Code.CLEAR)),
    ("*#21#", Request(Code.STATUS)),
    ("*78", Request(Code.DND_ON)),
    ("*79", Request(Code.DND_OFF)),
    ("*21*#", None),
    ("*21*06a#", None),
    ("*21*0612345678##", None),
    ("*21*1234567890123456#", None),  # longer than any number
    ("*80", None),
])
def test_the_codes(dialled, request_):
    assert parse(dialled) == request_


@pytest.mark.parametrize(("typed", "target"), [
    ("302", "302"),  # a colleague's extension
    ("0612340301", "mobile"),  # Eva's own mobile, as the YAML has it
    ("+31612340301", "mobile"),
    ("0031612340301", "mobile"),
    ("0612340303", None),  # Gijs's mobile is not Eva's
    ("0900123456", None),  # never a number outside
    ("201", None),  # a front-office position is no colleague to forward to
])
def test_only_a_colleague_or_the_own_mobile(typed, target):
    assert target_of(CONFIG, "301", typed, "0612340301") == target


def test_national_numbers():
    assert national("+31 6 1234 5678") == national("0031612345678") == "0612345678"


def fact(source: AbsenceSource, until=None) -> AbsenceFact:
    return AbsenceFact(AbsenceState.ABSENT, source, None, until)


MONDAY = dt.datetime(2026, 12, 7, tzinfo=ZoneInfo("Europe/Amsterdam"))


@pytest.mark.parametrize(("taker", "said"), [
    (StandIn("301", Taker.DESK, "301"), ["Uw gesprekken komen binnen op dit toestel."]),
    (StandIn("301", Taker.DESK, "301", also_mobile=True),
     ["Uw gesprekken komen binnen op dit toestel en op uw mobiel."]),
    (StandIn("301", Taker.MOBILE, "301"), ["Uw gesprekken gaan naar uw mobiele nummer."]),
    (StandIn("301", Taker.SUBSTITUTE, "302", "Femke de Boer", fact=fact(AbsenceSource.FORWARDING)),
     ["Uw gesprekken gaan naar Femke de Boer."]),
    (StandIn("301", Taker.FRONT_OFFICE, why=Why.DND), ["Bellers gaan direct naar het klantcontactcentrum."]),
    # Cleared the own forward, but the team lead's absence or Outlook still sends callers elsewhere: said.
    (StandIn("301", Taker.SUBSTITUTE, "302", "Femke de Boer", MONDAY, fact=fact(AbsenceSource.TEAM_LEAD, MONDAY)),
     ["Let op: u bent afwezig gemeld tot maandag 7 december.", "Bellers gaan naar Femke de Boer."]),
    (StandIn("301", Taker.FRONT_OFFICE, why=Why.NO_SUBSTITUTE, fact=fact(AbsenceSource.OUTLOOK)),
     ["Let op: uw automatisch antwoord in Outlook staat aan.", "Bellers gaan naar het klantcontactcentrum."]),
])
def test_what_the_person_hears_about_where_calls_go(taker, said):
    assert effect(CONFIG, taker, NOW) == said
