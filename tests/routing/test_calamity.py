"""The calamity switch as the routing core sees it: a message after the welcome and before the menu, or
the lines closed with the message whatever the hours say, until the end time; and what may be set."""
import datetime as dt

import pytest

from bereik.routing.calamity import Calamity, CalamityError, Mode, checked, default_text, end_of_day
from bereik.routing.flow import Ask, CallFlow, Enqueue, Hangup
from tests.examples import example_config

CONFIG = example_config()
MONDAY_MORNING = dt.datetime(2026, 11, 23, 10, 0, tzinfo=CONFIG.zone)
SUNDAY = dt.datetime(2026, 11, 22, 10, 0, tzinfo=CONFIG.zone)
STORM = "Vanwege een storing is het gemeentehuis gesloten."


class Call:
    """A caller to the shared 14 number who chooses Bloemendaal first."""

    def __init__(self, now, calamity):
        self.flow = CallFlow(CONFIG, now, calamity=calamity)

    def start(self):
        asked = self.flow.start()
        assert asked.stage == "municipality" and STORM not in asked.say  # the calamity is ours, not Heemstede's
        return self.flow.pressed(CONFIG.shared_number.our_key)

    def pressed(self, key):
        return self.flow.pressed(key)


def flow(now, calamity):
    return Call(now, calamity)


def calamity(mode, until=MONDAY_MORNING + dt.timedelta(hours=2)):
    return Calamity(mode, STORM, until, "coco")


def test_a_message_comes_after_the_welcome_and_before_the_menu():
    usual = flow(MONDAY_MORNING, None).start()
    said = flow(MONDAY_MORNING, calamity(Mode.MESSAGE)).start()
    assert isinstance(said, Ask) and said.say == (usual.say[0], STORM, *usual.say[1:])


def test_the_menu_still_works_after_the_message():
    call = flow(MONDAY_MORNING, calamity(Mode.MESSAGE))
    call.start()
    routed = call.pressed("1")
    assert isinstance(routed, Enqueue) and routed.reason == "menu_choice"


def test_closed_lines_end_the_call_after_the_message_even_in_opening_hours():
    decision = flow(MONDAY_MORNING, calamity(Mode.CLOSED)).start()
    assert decision == Hangup((STORM,), "calamity")


def test_outside_hours_the_message_comes_before_the_closing_text():
    decision = flow(SUNDAY, calamity(Mode.MESSAGE, until=SUNDAY + dt.timedelta(hours=1))).start()
    assert isinstance(decision, Hangup) and decision.reason == "outside_hours"
    assert decision.say[0] == STORM and "buiten onze openingstijden" in decision.say[1]


def test_after_the_end_time_callers_hear_the_usual_menu():
    ended = calamity(Mode.CLOSED, until=MONDAY_MORNING)
    assert flow(MONDAY_MORNING, ended).start() == flow(MONDAY_MORNING, None).start()


@pytest.mark.parametrize("mode, text, hours, message", [
    ("storm", STORM, 2, "Kies: een melding vóór het menu, of de lijnen sluiten."),
    ("message", "  ", 2, "Schrijf de melding die bellers horen."),
    ("message", "x" * 501, 2, "De melding is 501 tekens; houd haar onder 500."),
    ("closed", STORM, -1, "De eindtijd is al voorbij; kies een tijd in de toekomst."),
    ("closed", STORM, 24 * 8, "Ten hoogste 7 dagen; pas voor langer de openingstijden of teksten aan."),
])
def test_what_cannot_be_set_is_said_in_the_coordinators_words(mode, text, hours, message):
    with pytest.raises(CalamityError) as refused:
        checked(CONFIG, mode, text, MONDAY_MORNING + dt.timedelta(hours=hours), MONDAY_MORNING, "coco")
    assert str(refused.value) == message


def test_a_calamity_from_a_phone_says_the_municipality_and_ends_at_midnight():
    text = default_text(CONFIG, Mode.CLOSED)
    assert "Bloemendaal" in text and CONFIG.website in text and "{" not in text
    assert end_of_day(MONDAY_MORNING) == dt.datetime(2026, 11, 24, 0, 0, tzinfo=CONFIG.zone)
    set_ = checked(CONFIG, "closed", f"  {text}\n", end_of_day(MONDAY_MORNING), MONDAY_MORNING, "phone 201")
    assert set_.text == text and set_.mode is Mode.CLOSED
