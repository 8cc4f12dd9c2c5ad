"""A note is closed by the call, not by a click; 'niet bereikt' only after unanswered attempts at different
times; every call-back call's end becomes the note's step (CallbackOutcomes, on a real store)."""
import datetime as dt

import pytest

from bereik import facts as f
from bereik.callbacks.lifecycle import (
    ANSWERED,
    BUSY,
    FAILED,
    FIRST_NOT_ANSWERED,
    NO_ANSWER,
    TOO_SHORT,
    outcome_of,
    unanswered_attempts_apart,
    why_not_closable,
)
from bereik.callbacks.outcomes import CallbackOutcomes
from bereik.callbacks.store import CALLED_BACK, HANDLED, NOT_REACHED, Attempt, CallbackStore, Note, Status
from tests.examples import example_config

CONFIG = example_config()
SETTINGS = CONFIG.callbacks  # answered after 10 s, 'niet bereikt' after 2 attempts 60 minutes apart
MONDAY = dt.datetime(2026, 11, 23, 10, 0, tzinfo=CONFIG.zone)


def ended(first=True, status="ANSWER", talk=None):
    return f.CallbackCallEnded(attempt="a1", first_answered=first, status=status, talk_seconds=talk)


@pytest.mark.parametrize(("call", "outcome", "closes"), [
    (ended(talk=42.0), ANSWERED, True),
    (ended(talk=10.0), TOO_SHORT, False),  # a voicemail greeting, hung up on: not a call-back
    (ended(status="NOANSWER"), NO_ANSWER, False),
    (ended(status="BUSY"), BUSY, False),
    (ended(status="CHANUNAVAIL"), FAILED, False),
    (ended(status=""), FAILED, False),  # bereik refused to ring (a closed note, a number it cannot call)
    (ended(first=False, status=""), FIRST_NOT_ANSWERED, False),  # the owner's own phone was not answered
])
def test_only_an_answered_call_back_longer_than_a_few_seconds_closes_the_note(call, outcome, closes):
    result = outcome_of(call, MONDAY, SETTINGS)
    assert (result.outcome, result.closes) == (outcome, closes)


def test_the_moment_the_caller_answered_is_the_end_minus_the_talk():
    assert outcome_of(ended(talk=42.0), MONDAY, SETTINGS).answered_at == MONDAY - dt.timedelta(seconds=42)


def attempt(minutes, outcome):
    return Attempt(f"a{minutes}", 1, "evasmit", "301", MONDAY + dt.timedelta(minutes=minutes), outcome=outcome,
                   ended_at=MONDAY + dt.timedelta(minutes=minutes, seconds=30))


def test_unanswered_attempts_count_only_apart_and_only_when_the_caller_was_rung():
    attempts = [attempt(0, NO_ANSWER), attempt(10, BUSY), attempt(20, FIRST_NOT_ANSWERED), attempt(70, FAILED),
                attempt(75, TOO_SHORT)]
    assert unanswered_attempts_apart(attempts, SETTINGS) == 2  # at 0 and 75; 10 is too soon, 20 and 70 rang nobody


NOTE = Note(key="n1", number="0612345678", name="Jan", question="WOZ", team="vergunningen", created_at=MONDAY,
            due_at=MONDAY + dt.timedelta(days=2), created_by="avries", owner="301")


def test_not_reached_only_after_two_unanswered_attempts_at_different_times():
    twice_soon = [attempt(0, NO_ANSWER), attempt(5, NO_ANSWER)]
    assert "nu 1" in why_not_closable(NOTE, NOT_REACHED, "", twice_soon, SETTINGS)
    assert why_not_closable(NOTE, NOT_REACHED, "", [attempt(0, NO_ANSWER), attempt(61, BUSY)], SETTINGS) is None


def test_the_owner_closes_with_one_of_the_reasons_and_never_as_called_back():
    assert why_not_closable(NOTE, HANDLED, "beantwoord per e-mail", [], SETTINGS) is None
    assert "kies een van de redenen" in why_not_closable(NOTE, HANDLED, "geen zin", [], SETTINGS)
    assert "terugbelgesprek zelf" in why_not_closable(NOTE, CALLED_BACK, "", [], SETTINGS)


async def test_an_answered_call_back_closes_its_note_by_itself_and_a_short_one_does_not(tmp_path):
    store = CallbackStore(tmp_path / "calls.sqlite3", CONFIG.zone)
    stored, _ = store.add(NOTE)
    end = MONDAY + dt.timedelta(hours=1)
    outcomes = CallbackOutcomes(CONFIG, store, lambda: end)
    changed = []
    outcomes.on_change(changed.append)
    for number, talk in (("a1", 4.0), ("a2", 38.5)):
        store.start_attempt(Attempt(number, stored.id, "evasmit", "301", end - dt.timedelta(minutes=1)))
        await outcomes.apply(f.CallbackCallEnded(attempt=number, at=end.timestamp(), first_answered=True,
                                                 status="ANSWER", talk_seconds=talk))
    note = store.get(stored.id)
    assert note.status(end) is Status.DONE and note.closed_by == "evasmit" and note.on_time
    assert note.answered_at == end - dt.timedelta(seconds=38.5)
    assert [(a.outcome, a.talk_seconds) for a in store.attempts(stored.id)] == [(TOO_SHORT, 4.0), (ANSWERED, 38.5)]
    assert [n.closed for n in changed] == [False, True]
    await outcomes.apply(f.CallbackCallEnded(attempt="forged", first_answered=True, status="ANSWER", talk_seconds=60))
    assert len(store.attempts(stored.id)) == 2 and len(changed) == 2  # one bereik never started changes nothing
