"""Who takes a colleague's calls now: the department's policy, the substitute, the own forward, do-not-disturb."""
import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bereik.presence.absence_fact import AbsenceFact, AbsenceSource, AbsenceState
from bereik.routing.stand_in import OwnSettings, StandIn, Taker, Why, stand_in
from tests.examples import example_config

CONFIG = example_config()
MONDAY = dt.datetime(2026, 12, 7, 0, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))
PRESENT = AbsenceFact(AbsenceState.PRESENT)


def away(substitute: str = "", until=MONDAY) -> AbsenceFact:
    return AbsenceFact(AbsenceState.ABSENT, AbsenceSource.TEAM_LEAD, None, until, substitute)


def who(extension: str, facts: dict | None = None, own: dict | None = None, config=CONFIG) -> StandIn:
    facts, own = facts or {}, own or {}
    return stand_in(config, extension, lambda ext: facts.get(ext, PRESENT), lambda ext: own.get(ext, OwnSettings()))


def with_department(forwarding: list[str]):
    departments = [d.model_copy(update={"forwarding": forwarding}) if d.id == "vergunningen" else d
                   for d in CONFIG.departments]
    return CONFIG.model_copy(update={"departments": departments})


def with_person(extension: str, **changes):
    return CONFIG.model_copy(update={"people": [p.model_copy(update=changes) if p.extension == extension else p
                                                for p in CONFIG.people]})


def test_someone_in_takes_their_own_calls_at_the_desk():
    taker = who("301")
    assert (taker.taker, taker.extension, taker.also_mobile, taker.absent) == (Taker.DESK, "301", False, False)


def test_an_unknown_absence_rings_the_desk_as_if_present():
    """Graph down: the desk rings, and an unanswered call still reaches the TIC (bereik.routing.direct)."""
    assert who("301", {"301": AbsenceFact(AbsenceState.UNKNOWN, unknown=(AbsenceSource.OUTLOOK,))}).taker is Taker.DESK


def test_absent_with_a_named_substitute_who_is_in():
    taker = who("301", {"301": away("302")})
    assert (taker.taker, taker.extension, taker.name, taker.until) == (Taker.SUBSTITUTE, "302", "Femke de Boer", MONDAY)
    assert taker.absent and taker.why is Why.NONE


def test_absent_without_a_named_one_the_yaml_substitute_stands_in():
    taker = who("302", {"302": away()})  # Femke's substitute in the YAML is Eva
    assert (taker.taker, taker.extension, taker.name) == (Taker.SUBSTITUTE, "301", "Eva Smit")


@pytest.mark.parametrize(("facts", "own", "why"), [
    ({"301": away()}, {}, Why.NO_SUBSTITUTE),  # Eva has no substitute in the YAML
    ({"301": away("Jan de Boer")}, {}, Why.NO_SUBSTITUTE),  # a name the team lead typed, nobody under people:
    ({"301": away("301")}, {}, Why.NO_SUBSTITUTE),
    ({"301": away("302"), "302": away()}, {}, Why.SUBSTITUTE_AWAY),  # never onward: no hunt group
    ({"301": away("302")}, {"302": OwnSettings(forward_to="mobile")}, Why.SUBSTITUTE_AWAY),
    ({"301": away("302")}, {"302": OwnSettings(forward_to="303")}, Why.SUBSTITUTE_AWAY),
    ({"301": away("302")}, {"302": OwnSettings(dnd=True)}, Why.SUBSTITUTE_AWAY),
])
def test_absent_and_no_substitute_who_can_take_it_the_front_office(facts, own, why):
    taker = who("301", facts, own)
    assert (taker.taker, taker.why, taker.until, taker.absent) == (Taker.FRONT_OFFICE, why, MONDAY, True)


@pytest.mark.parametrize("forwarding", [[], ["mobile"]])
def test_a_department_that_lets_only_the_tic_take_over(forwarding):
    taker = who("301", {"301": away("302")}, config=with_department(forwarding))
    assert (taker.taker, taker.why) == (Taker.FRONT_OFFICE, Why.POLICY)


def test_the_own_forward_to_the_mobile_and_its_end():
    taker = who("301", own={"301": OwnSettings(forward_to="mobile", forward_until=MONDAY)})
    assert (taker.taker, taker.extension, taker.until, taker.absent) == (Taker.MOBILE, "301", MONDAY, False)


def test_a_mobile_forward_the_department_no_longer_allows_rings_the_desk():
    taker = who("301", own={"301": OwnSettings(forward_to="mobile")}, config=with_department(["colleague"]))
    assert taker.taker is Taker.DESK


def test_do_not_disturb_sends_callers_to_the_front_office_but_is_no_absence():
    taker = who("301", own={"301": OwnSettings(dnd=True)})
    assert (taker.taker, taker.why, taker.absent) == (Taker.FRONT_OFFICE, Why.DND, False)


def test_absence_goes_before_do_not_disturb():
    assert who("301", {"301": away("302")}, {"301": OwnSettings(dnd=True)}).taker is Taker.SUBSTITUTE


@pytest.mark.parametrize(("changes", "config_change", "rings_mobile"), [
    ({"ring_mobile": True}, None, True),
    ({"ring_mobile": False}, None, False),
    ({"ring_mobile": True, "mobile": None}, None, False),  # nothing to ring
    ({"ring_mobile": True}, "no_mobiles", False),  # the department keeps calls off mobiles
    ({"ring_mobile": True}, "no_trunk", False),  # no way out to the mobile network
])
def test_desk_and_mobile_together(changes, config_change, rings_mobile):
    config = with_person("301", **changes)
    if config_change == "no_mobiles":
        config = config.model_copy(update={"departments": with_department(["colleague"]).departments})
    elif config_change == "no_trunk":
        config = config.model_copy(update={"pbx": config.pbx.model_copy(update={"trunk": None})})
    taker = who("301", config=config)
    assert (taker.taker, taker.also_mobile) == (Taker.DESK, rings_mobile)
