"""Warm transfer: every transition and every hang-up race, as the agent and the caller live them."""
import pytest

from bereik.console.transfer import (
    EVENTS,
    Cancelled,
    Command,
    Completed,
    Failed,
    Idle,
    Outcome,
    Ringing,
    Talking,
)


def ringing(at=100.0):
    step = Idle().start("PJSIP/201-1", "PJSIP/trunk-1", "301", at)
    assert step.commands == (Command.ATXFER,)
    return step.state


def talking(at=105.0):
    return ringing().target_answers(at).state


def test_starting_rings_the_colleague_while_the_caller_hears_music():
    state = ringing()
    assert isinstance(state, Ringing)
    assert state.transfer.target == "301" and state.transfer.started_at == 100.0


def test_the_colleague_answers_and_the_agent_completes_the_caller_is_handed_over():
    state = talking(at=112.0)
    assert isinstance(state, Talking) and state.transfer.transfer_seconds == 12.0
    step = state.agent_completes(130.0)
    assert isinstance(step.state, Completed) and step.commands == (Command.COMPLETE,)
    assert step.state.transfer.outcome is Outcome.COMPLETED
    assert step.state.transfer.wait_after_transfer_seconds == 30.0


def test_the_agent_cancels_while_consulting_and_is_back_with_the_caller():
    step = talking().agent_cancels(120.0)
    assert isinstance(step.state, Cancelled) and step.commands == (Command.CANCEL,)


def test_the_agent_cancels_while_it_rings():
    step = ringing().agent_cancels(103.0)
    assert isinstance(step.state, Cancelled) and step.commands == (Command.CANCEL,)
    assert step.state.transfer.transfer_seconds is None


def test_a_colleague_who_does_not_answer_sends_the_agent_back_to_the_caller():
    step = ringing().target_no_answer(120.0)
    assert isinstance(step.state, Failed) and step.state.transfer.outcome is Outcome.NO_ANSWER
    assert step.commands == (Command.CANCEL,)


def test_a_busy_colleague_fails_the_transfer_and_asterisk_already_returned_the_agent():
    step = ringing().target_busy(101.0)
    assert step.state.transfer.outcome is Outcome.BUSY and step.commands == ()


def test_race_complete_before_the_colleague_answered_is_refused_transfers_are_always_warm():
    state = ringing()
    step = state.agent_completes(102.0)
    assert step.state is state and step.commands == () and "not answered" in step.refused


def test_race_the_caller_hangs_up_while_the_colleague_rings():
    step = ringing().caller_hangs_up(104.0)
    assert isinstance(step.state, Failed) and step.state.transfer.outcome is Outcome.CALLER_LEFT
    assert step.commands == ()


def test_race_the_caller_hangs_up_during_the_consultation_agent_and_colleague_stay_connected():
    step = talking().caller_hangs_up(110.0)
    assert step.state.transfer.outcome is Outcome.CALLER_LEFT and step.commands == ()


def test_race_the_colleague_hangs_up_during_the_consultation():
    step = talking().target_hangs_up(110.0)
    assert isinstance(step.state, Failed) and step.state.transfer.outcome is Outcome.TARGET_HUNG_UP


def test_race_the_colleague_rejects_the_ringing_call():
    step = ringing().target_hangs_up(102.0)
    assert step.state.transfer.outcome is Outcome.DECLINED


def test_race_the_agent_hangs_up_during_the_consultation_which_completes_it():
    step = talking().agent_hangs_up(110.0)
    assert isinstance(step.state, Completed) and step.state.transfer.outcome is Outcome.COMPLETED
    assert step.commands == ()  # the hang-up itself is the completion


def test_race_the_agent_hangs_up_while_it_rings_asterisk_hands_over_unattended():
    step = ringing().agent_hangs_up(102.0)
    assert step.state.transfer.outcome is Outcome.COMPLETED_UNATTENDED


def test_race_asterisk_reports_a_failed_transfer_after_the_agent_completed():
    done = talking().agent_completes(110.0).state
    step = done.asterisk_refused(110.2)
    assert isinstance(step.state, Failed) and step.state.transfer.outcome is Outcome.REFUSED_BY_ASTERISK


@pytest.mark.parametrize("state", ["ringing", "talking"])
def test_asterisk_refusing_the_atxfer_fails_the_transfer(state):
    current = ringing() if state == "ringing" else talking()
    assert current.asterisk_refused(101.0).state.transfer.outcome is Outcome.REFUSED_BY_ASTERISK


def test_a_second_transfer_cannot_start_while_one_is_under_way():
    state = ringing()
    step = state.start("PJSIP/201-1", "PJSIP/trunk-1", "302", 101.0)
    assert step.state is state and step.commands == () and step.refused


@pytest.mark.parametrize("final", [
    lambda: talking().agent_completes(110.0).state,
    lambda: talking().agent_cancels(110.0).state,
    lambda: ringing().target_no_answer(120.0).state,
])
@pytest.mark.parametrize("event", [e for e in EVENTS if e != "asterisk_refused"])
def test_late_events_never_change_an_ended_transfer(final, event):
    """A cancelled transfer that still completes is the bug other systems have."""
    state = final()
    step = getattr(state, event)(200.0)
    assert step.state is state and step.commands == () and step.refused


@pytest.mark.parametrize("event", EVENTS)
def test_idle_ignores_every_event_but_start(event):
    state = Idle()
    step = getattr(state, event)(1.0)
    assert step.state is state and step.commands == ()


def test_every_state_answers_every_event():
    for state in (Idle(), ringing(), talking(), talking().agent_completes(1).state):
        for event in EVENTS:
            assert getattr(state, event)(1.0).state is not None
