"""A call to one colleague: every branch of the decision, hang-up races included."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bereik.routing.direct import (
    Attempt,
    Away,
    CampOn,
    DirectCall,
    Diversion,
    Done,
    Facts,
    Fallback,
    OfferCampOn,
    Origin,
    Reason,
    Ring,
    Stage,
    TransitionError,
    attempt_for,
)
from tests.examples import example_config

CONFIG = example_config()
AT = "2026-11-23T10:00:00+01:00"
EVA = Attempt("301", "Eva Smit", "vergunningen", Origin.OUTSIDE, AT)
NOT_REACHABLE = "Eva Smit is niet bereikbaar. U wordt doorverbonden met ons klantcontactcentrum."


def call(stage: Stage = Stage.NEW, attempt: Attempt = EVA) -> DirectCall:
    return DirectCall(CONFIG, attempt, stage)


def test_a_free_colleague_rings_four_dutch_rings():
    assert call().start(Facts(device="NOT_INUSE")) == Ring("301", external=False, seconds=20)


def test_no_answer_after_four_rings_falls_back_to_the_tic_with_one_message():
    eva = call()
    eva.start(Facts(device="NOT_INUSE"))
    decision = eva.rang("NOANSWER", device="NOT_INUSE")
    assert decision == Fallback((NOT_REACHABLE,), "tic", Reason.NO_ANSWER)
    assert eva.stage is Stage.FALLING_BACK


@pytest.mark.parametrize(("facts", "expected"), [
    (Facts(device="NOT_INUSE"), Ring),
    (Facts(device="UNKNOWN"), Ring),  # a fixed-address phone Asterisk has not seen yet
    (Facts(device="RINGING"), Ring),
    (Facts(device="INUSE"), OfferCampOn),
    (Facts(device="ONHOLD"), OfferCampOn),
    (Facts(device="RINGINUSE"), OfferCampOn),
    (Facts(device="UNAVAILABLE"), Reason.UNAVAILABLE),
    (Facts(device="INVALID"), Reason.UNAVAILABLE),
    (Facts(device="NOT_INUSE", presence="dnd"), Reason.DND),
    (Facts(device="INUSE", presence="dnd"), Reason.DND),
    (Facts(device="INUSE", diversion=Diversion("302", mobile=False, device="NOT_INUSE")), Ring),
    (Facts(device="NOT_INUSE", diversion=Diversion("302", mobile=False, device="INUSE")), Reason.BUSY),
    (Facts(device="NOT_INUSE", diversion=Diversion("302", mobile=False, device="UNAVAILABLE")), Reason.UNAVAILABLE),
    (Facts(device="UNAVAILABLE", diversion=Diversion("0612340301", mobile=True)), Ring),
])
def test_start(facts, expected):
    decision = call().start(facts)
    if isinstance(expected, Reason):
        assert isinstance(decision, Fallback) and decision.reason is expected and decision.queue == "tic"
    else:
        assert isinstance(decision, expected)


def test_forwarding_to_a_mobile_rings_it_through_the_trunk_and_is_carried_as_via():
    eva = call()
    assert eva.start(Facts(device="NOT_INUSE", diversion=Diversion("0612340301", mobile=True))) == \
        Ring("0612340301", external=True, seconds=20)
    assert eva.attempt.via == "mobile"


def test_forwarding_to_a_colleague_rings_only_that_colleague():
    eva = call()
    assert eva.start(Facts(device="NOT_INUSE", diversion=Diversion("302", mobile=False))) == Ring("302", False, 20)
    assert eva.attempt.via == "302"
    # The colleague does not answer: the TIC, never a third person, and Eva's name in the message.
    assert eva.rang("NOANSWER") == Fallback((NOT_REACHABLE,), "tic", Reason.NO_ANSWER)


@pytest.mark.parametrize(("status", "device", "via", "expected"), [
    ("ANSWER", "INUSE", "", Done("answered")),
    ("CANCEL", "NOT_INUSE", "", Done("caller_hung_up")),
    ("NOANSWER", "NOT_INUSE", "", Reason.NO_ANSWER),
    ("BUSY", "INUSE", "", OfferCampOn),  # the line was taken while we looked
    ("BUSY", "NOT_INUSE", "", Reason.DND),  # the phone refuses calls while idle
    ("BUSY", "INUSE", "302", Reason.BUSY),  # forwarded calls never wait behind a call
    ("NOANSWER", "NOT_INUSE", "mobile", Reason.NO_ANSWER),
    ("CHANUNAVAIL", "UNAVAILABLE", "", Reason.UNAVAILABLE),
    ("CONGESTION", "NOT_INUSE", "", Reason.UNAVAILABLE),
    ("SOMETHING_NEW", "NOT_INUSE", "", Reason.UNAVAILABLE),
])
def test_after_ringing(status, device, via, expected):
    attempt = Attempt(EVA.extension, EVA.name, EVA.department, EVA.origin, EVA.at, via=via)
    decision = call(Stage.RINGING, attempt).rang(status, device=device)
    if isinstance(expected, Reason):
        assert isinstance(decision, Fallback) and decision.reason is expected
    elif isinstance(expected, type):
        assert isinstance(decision, expected)
    else:
        assert decision == expected


@pytest.mark.parametrize(("key", "expected"), [
    ("1", CampOn("301", 180)),
    ("2", Fallback((NOT_REACHABLE,), "tic", Reason.BUSY)),
    (None, Fallback((NOT_REACHABLE,), "tic", Reason.BUSY)),  # no answer to the offer: the TIC helps
    ("7", Fallback((NOT_REACHABLE,), "tic", Reason.BUSY)),
])
def test_the_camp_on_offer(key, expected):
    offered = call()
    offer = offered.start(Facts(device="INUSE"))
    assert offer.keys == {"1", "2"} and "Eva Smit is in gesprek" in offer.say[0]
    assert offered.pressed(key) == expected


@pytest.mark.parametrize(("status", "answered", "expected"), [
    ("CONTINUE", True, Done("answered_after_waiting")),
    ("", True, Done("answered_after_waiting")),
    ("TIMEOUT", False, Fallback((NOT_REACHABLE,), "tic", Reason.CAMP_TIMEOUT)),
    ("LEAVEUNAVAIL", False, Fallback((NOT_REACHABLE,), "tic", Reason.UNAVAILABLE)),
])
def test_after_waiting_behind_a_call(status, answered, expected):
    assert call(Stage.CAMPED).waited(status, answered) == expected


@pytest.mark.parametrize(("stage", "outcome"), [
    (Stage.NEW, "caller_hung_up"),
    (Stage.RINGING, "caller_hung_up"),
    (Stage.OFFERED, "caller_hung_up_at_offer"),
    (Stage.CAMPED, "caller_hung_up_while_waiting"),
    (Stage.FALLING_BACK, "caller_hung_up_before_queue"),
])
def test_the_caller_hangs_up(stage, outcome):
    gone = call(stage)
    assert gone.hung_up() == Done(outcome)
    assert gone.stage is Stage.GONE
    with pytest.raises(TransitionError):
        gone.waited("TIMEOUT", answered=False)  # a late camp-on result is not acted on


def test_a_hang_up_after_the_conversation_keeps_the_answer():
    eva = call(Stage.RINGING)
    eva.rang("ANSWER")
    assert eva.hung_up() == Done("answered")


def test_a_hang_up_while_being_moved_to_the_queue_is_recorded_with_the_reason_first():
    eva = call()
    eva.start(Facts(device="NOT_INUSE"))
    eva.rang("NOANSWER")
    assert eva.hung_up() == Done("caller_hung_up_before_queue")


@pytest.mark.parametrize(("stage", "event"), [
    (Stage.NEW, lambda c: c.rang("NOANSWER")),
    (Stage.RINGING, lambda c: c.pressed("1")),
    (Stage.CAMPED, lambda c: c.start(Facts(device="NOT_INUSE"))),
    (Stage.FALLING_BACK, lambda c: c.waited("TIMEOUT", answered=False)),
    (Stage.CONNECTED, lambda c: c.rang("NOANSWER")),
])
def test_events_out_of_order_are_refused(stage, event):
    with pytest.raises(TransitionError):
        event(call(stage))


def test_a_colleague_calling_a_colleague_is_never_sent_to_the_tic():
    inside = Attempt("301", "Eva Smit", "vergunningen", Origin.INSIDE, AT)
    colleague = call(Stage.RINGING, inside)
    assert colleague.rang("NOANSWER") == Fallback((), None, Reason.NO_ANSWER)


@pytest.mark.parametrize(("dialled", "extension", "name"), [
    ("0235115301", "301", "Eva Smit"),  # a direct number
    ("301", "301", "Eva Smit"),  # an extension
    ("0235115300", "303", "Vergunningen"),  # the department number rings its one answerer
    ("312", "312", "Ivo Meijer"),
])
def test_whom_a_number_reaches(dialled, extension, name):
    attempt = attempt_for(CONFIG, dialled, Origin.OUTSIDE, AT)
    assert (attempt.extension, attempt.name) == (extension, name)


def test_an_unknown_number_reaches_nobody():
    assert attempt_for(CONFIG, "0235115999", Origin.OUTSIDE, AT) is None


def test_english_callers_hear_english():
    english = CONFIG.model_copy(update={"language": "en"})
    decision = DirectCall(english, EVA, Stage.RINGING).rang("NOANSWER")
    assert decision.say == ("Eva Smit cannot take your call. We are putting you through to our contact centre.",)


BACK_MONDAY = dt.datetime(2026, 12, 7, 0, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))
ABSENT_AT = "2026-12-02T10:00:00+01:00"  # Wednesday 2 December


def absent_call(attempt: Attempt = EVA) -> DirectCall:
    return call(attempt=Attempt(attempt.extension, attempt.name, attempt.department, attempt.origin, ABSENT_AT))


def test_an_absent_colleague_is_never_rung_the_caller_is_told_once_and_rings_the_substitute():
    eva = absent_call()
    decision = eva.start(Facts(device="NOT_INUSE", away=Away(BACK_MONDAY, "302", "Femke de Boer", "NOT_INUSE")))
    assert decision == Ring("302", False, 20, ("Eva Smit is afwezig tot maandag 7 december. "
                                                "U wordt doorverbonden met de vervanger, Femke de Boer.",))
    assert eva.attempt.via == "302"
    # The substitute does not answer either: the TIC, never a third person.
    assert eva.rang("NOANSWER", device="NOT_INUSE") == Fallback((NOT_REACHABLE,), "tic", Reason.NO_ANSWER)


@pytest.mark.parametrize("substitute_device", ["INUSE", "UNAVAILABLE"])
def test_an_absent_colleague_whose_substitute_cannot_take_it_goes_to_the_tic_at_once(substitute_device):
    decision = absent_call().start(Facts(device="NOT_INUSE", away=Away(BACK_MONDAY, "302", "Femke", substitute_device)))
    assert decision == Fallback(("Eva Smit is afwezig tot maandag 7 december. "
                                 "U wordt doorverbonden met ons klantcontactcentrum.",), "tic", Reason.ABSENT)


def test_absent_until_further_notice_without_substitute():
    decision = absent_call().start(Facts(device="INUSE", away=Away(None)))
    assert decision == Fallback(("Eva Smit is afwezig. U wordt doorverbonden met ons klantcontactcentrum.",),
                                "tic", Reason.ABSENT)


def test_a_colleague_calling_an_absent_colleague_hears_until_when_and_the_call_ends():
    inside = Attempt("301", "Eva Smit", "vergunningen", Origin.INSIDE, AT)
    decision = absent_call(inside).start(Facts(device="NOT_INUSE", away=Away(BACK_MONDAY)))
    assert decision == Fallback(("Eva Smit is afwezig tot maandag 7 december.",), None, Reason.ABSENT)


def test_a_department_number_whose_answerer_is_absent_says_nothing_of_whose_absence():
    department = attempt_for(CONFIG, "0235115300", Origin.OUTSIDE, ABSENT_AT)
    to_substitute = call(attempt=department).start(
        Facts(device="NOT_INUSE", away=Away(BACK_MONDAY, "302", "Femke de Boer", "NOT_INUSE")))
    assert to_substitute == Ring("302", False, 20)
    to_tic = call(attempt=department).start(Facts(device="NOT_INUSE", away=Away(BACK_MONDAY)))
    assert to_tic == Fallback(("Vergunningen is niet bereikbaar. U wordt doorverbonden met ons klantcontactcentrum.",),
                              "tic", Reason.ABSENT)


def test_desk_and_mobile_ring_together_as_one_ring():
    assert call().start(Facts(device="NOT_INUSE", ring_mobile=True)) == Ring("301", False, 20, also_mobile=True)
