"""The appointment offer in the IVR, pure: free times in, the spoken menu and the caller's choice out; every way
it cannot go on (no time, no key, another key, the time taken meanwhile) ends in the ordinary call-back."""
import datetime as dt

import pytest

from bereik.config.model import IvrAppointments, PresenceGraph
from bereik.ivr.catalogue import spoken_texts
from bereik.routing.appointment_offer import Slot, department_for, earliest, offer
from bereik.routing.flow import Ask, CallerCallback, CallFlow, Hangup
from tests.examples import example_config

EXAMPLE = example_config()
ZONE = EXAMPLE.zone
CONFIG = EXAMPLE.model_copy(update={
    "callbacks": EXAMPLE.callbacks.model_copy(update={"appointments": IvrAppointments(
        department="vergunningen", topics={"zorg": "wmo"})}),
    "presence": EXAMPLE.presence.model_copy(update={"graph": PresenceGraph(
        tenant="t", client_id="c", schedule_mailbox="bereik@bloemendaal.test")}),
})
MONDAY_EVENING = dt.datetime(2026, 11, 23, 18, 0, tzinfo=ZONE)
TUESDAY_1030 = dt.datetime(2026, 11, 24, 10, 30, tzinfo=ZONE)
WEDNESDAY_14 = dt.datetime(2026, 11, 25, 14, 0, tzinfo=ZONE)
EVA, GIJS = "eva.smit@bloemendaal.test", "gijs.mulder@bloemendaal.test"
SLOTS = [Slot(TUESDAY_1030, "301", EVA), Slot(WEDNESDAY_14, "303", GIJS)]
VERGUNNINGEN = CONFIG.departments[0]


def test_two_free_times_and_the_ordinary_call_back_as_spoken_dutch_keys():
    menu = offer(CONFIG, VERGUNNINGEN, SLOTS, MONDAY_EVENING)
    assert menu.say == (
        "U kunt ook een afspraak maken: dan belt een medewerker van Vergunningen u op een vast tijdstip.",
        "Druk 1 voor morgen 10 uur 30.", "Druk 2 voor woensdag 14 uur.", "Druk 3 voor een gewone terugbelafspraak.")
    assert (menu.chosen("1"), menu.chosen("2"), menu.plain_key) == (SLOTS[0], SLOTS[1], "3")
    assert menu.chosen("3") is None and menu.chosen(None) is None and menu.chosen("7") is None


def test_one_time_offered_when_the_yaml_says_one_and_english_when_the_language_is_english():
    one = CONFIG.model_copy(update={"language": "en", "callbacks": CONFIG.callbacks.model_copy(update={
        "appointments": CONFIG.callbacks.appointments.model_copy(update={"slots": 1})})})
    friday = dt.datetime(2026, 11, 20, 18, 0, tzinfo=ZONE)
    menu = offer(one, VERGUNNINGEN, SLOTS, friday)
    assert menu.say[1:] == ("Press 1 for Tuesday 10:30 a.m.", "Press 2 for an ordinary call-back.")
    assert list(menu.slots) == ["1"] and menu.plain_key == "2"


def test_no_free_time_is_no_offer():
    assert offer(CONFIG, VERGUNNINGEN, [], MONDAY_EVENING) is None


def test_the_department_by_topic_else_the_yamls_department_and_none_without_graph():
    assert department_for(CONFIG, "zorg").id == "wmo"
    assert department_for(CONFIG, "afval").id == "vergunningen" and department_for(CONFIG, None).id == "vergunningen"
    assert department_for(EXAMPLE, None) is None  # no appointments in the YAML
    assert department_for(CONFIG.model_copy(update={"presence": EXAMPLE.presence}), None) is None  # no calendars


def test_the_earliest_time_of_anyone_then_one_in_another_part_of_the_day():
    at = lambda hour, minute=0: dt.datetime(2026, 11, 24, hour, minute, tzinfo=ZONE)  # noqa: E731
    free = {"301": [at(10, 30), at(10, 45), at(15)], "303": [at(9), at(9, 15), at(10, 30), at(11, 30)]}
    chosen = earliest(free, {"301": EVA, "303": GIJS}, 2)
    assert chosen == [Slot(at(9), "303", GIJS), Slot(at(11, 30), "303", GIJS)]
    both_free = earliest({"301": [at(10, 30)], "303": [at(10, 30)]}, {"301": EVA, "303": GIJS}, 2)
    assert both_free == [Slot(at(10, 30), "301", EVA)]  # the first of the department's people


def after_hours_flow(times):
    flow = CallFlow(CONFIG, MONDAY_EVENING, callback=CallerCallback(number="0612345678"))
    flow.start()
    flow.pressed("1")  # Bloemendaal
    read_back = flow.pressed("9")
    assert isinstance(read_back, Ask) and read_back.stage == "after_hours_confirm"
    flow.times_found(offer(CONFIG, VERGUNNINGEN, times, MONDAY_EVENING))
    return flow, flow.pressed("1")


def test_after_hours_the_confirmed_caller_chooses_a_time():
    flow, menu = after_hours_flow(SLOTS)
    assert isinstance(menu, Ask) and menu.stage == "after_hours_appointment"
    assert menu.keys == {"1", "2", "3"} and menu.say[1] == "Druk 1 voor morgen 10 uur 30."
    chosen = flow.pressed("2")
    assert isinstance(chosen, Hangup) and chosen.appointment == SLOTS[1] and not chosen.callback
    assert chosen.say == ("Dank u wel. Uw afspraak is woensdag 14 uur. Dan bellen wij u op dit nummer. Tot ziens.",)


@pytest.mark.parametrize("key", ["3", None, "8"])
def test_the_ordinary_key_no_key_or_another_key_is_the_ordinary_call_back(key):
    flow, _ = after_hours_flow(SLOTS)
    ordinary = flow.pressed(key)
    assert isinstance(ordinary, Hangup) and ordinary.callback and ordinary.appointment is None
    assert ordinary.say == ("Dank u wel. Wij bellen u morgen om 8 uur 30 terug. Tot ziens.",)


def test_no_times_read_the_caller_gets_the_ordinary_call_back_at_once():
    _, ordinary = after_hours_flow([])
    assert isinstance(ordinary, Hangup) and ordinary.callback and ordinary.appointment is None


def test_a_time_taken_meanwhile_is_said_and_the_ordinary_call_back_follows():
    flow, _ = after_hours_flow(SLOTS)
    flow.pressed("1")
    refused = flow.appointment_refused()
    assert refused.callback and refused.appointment is None
    assert refused.say == ("Dat tijdstip is helaas niet meer vrij. U wordt gewoon teruggebeld.",
                           "Dank u wel. Wij bellen u morgen om 8 uur 30 terug. Tot ziens.")


def test_a_caller_with_an_appointment_to_come_hears_its_time_and_no_second_offer():
    flow = CallFlow(CONFIG, MONDAY_EVENING, callback=CallerCallback(
        number="0612345678", planned=True, planned_at=TUESDAY_1030))
    flow.start()
    closed = flow.pressed("1")
    assert isinstance(closed, Hangup) and not closed.callback
    assert closed.say[-1] == "U heeft al een afspraak: wij bellen u morgen 10 uur 30."


def test_the_offers_sentences_without_a_time_are_rendered_ahead_with_the_other_prompts():
    ahead = spoken_texts(CONFIG)
    menu = offer(CONFIG, VERGUNNINGEN, SLOTS, MONDAY_EVENING)
    assert menu.say[0] in ahead and menu.say[-1] in ahead
    assert "Druk 2 voor een gewone terugbelafspraak." in ahead  # when only one time is free
    assert "Dat tijdstip is helaas niet meer vrij. U wordt gewoon teruggebeld." in ahead
    assert not any(text.startswith("U kunt ook een afspraak") for text in spoken_texts(EXAMPLE))


def confirmed_in_the_queue():
    from bereik.routing.virtual_hold import Act, HoldKeys
    keys = HoldKeys.for_caller(CONFIG, "0612345678")
    keys.offer(0.0)
    assert keys.pressed("9", 1.0) is Act.READ_BACK
    keys.asking(1.0, 6.0)
    assert keys.pressed("1", 5.0) is Act.CONFIRM
    return keys, Act


def test_in_the_queue_a_times_key_books_the_time_once_and_later_keys_do_nothing():
    keys, act = confirmed_in_the_queue()
    keys.choosing(offer(CONFIG, VERGUNNINGEN, SLOTS, MONDAY_EVENING), 5.0, say_seconds=10.0)
    assert keys.pressed("2", 12.0) is act.APPOINTMENT and keys.chosen_slot("2") == SLOTS[1]
    assert keys.pressed("3", 13.0) is act.NOTHING and not keys.lapsed(100.0)


@pytest.mark.parametrize("key", ["3", "7"])
def test_in_the_queue_the_ordinary_key_or_another_is_the_stand_in(key):
    keys, act = confirmed_in_the_queue()
    keys.choosing(offer(CONFIG, VERGUNNINGEN, SLOTS, MONDAY_EVENING), 5.0, say_seconds=10.0)
    assert keys.pressed(key, 20.0) is act.CONFIRM


def test_in_the_queue_no_key_while_the_times_are_said_and_the_wait_lapses_once_into_the_stand_in():
    keys, act = confirmed_in_the_queue()
    keys.choosing(offer(CONFIG, VERGUNNINGEN, SLOTS, MONDAY_EVENING), 5.0, say_seconds=10.0)
    wait = CONFIG.callbacks.appointments.wait_for_key
    assert not keys.lapsed(5.0 + 10.0 + wait)  # the last moment a key still counts
    assert keys.lapsed(5.0 + 10.0 + wait + 0.1) and not keys.lapsed(60.0)
    assert keys.pressed("1", 60.0) is act.NOTHING  # too late: the stand-in is on its way


def test_in_the_queue_a_caller_is_undecided_from_the_confirmation_until_a_key_or_the_lapse():
    from bereik.routing.virtual_hold import HoldKeys
    keys, act = confirmed_in_the_queue()
    assert keys.undecided  # confirmed, the times still being read
    keys.choosing(offer(CONFIG, VERGUNNINGEN, SLOTS, MONDAY_EVENING), 5.0, say_seconds=10.0)
    assert keys.undecided
    keys.pressed("3", 8.0)
    assert not keys.undecided
    lapsed, _ = confirmed_in_the_queue()
    lapsed.choosing(offer(CONFIG, VERGUNNINGEN, SLOTS, MONDAY_EVENING), 5.0, say_seconds=10.0)
    assert lapsed.lapsed(60.0) and not lapsed.undecided
    unconfirmed = HoldKeys.for_caller(CONFIG, "0612345678")
    unconfirmed.offer(0.0)
    assert not unconfirmed.undecided
