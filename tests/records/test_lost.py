"""Calls on a node that died and stays dead: when and how their records are closed (pure)."""
from bereik.records import lost
from bereik.records.journey import Journey, Step
from bereik.records.summary import summarise

from .test_store import FRONT, ZONE

T = 1795424400.0


def waiting_call(call_id: str = "noord-1.1") -> Journey:
    return Journey(call_id, caller_number="0612345678", dialled="14023",
                   steps=[Step(T, "entered"), Step(T + 0.2, "answered"), Step(T + 10, "queued", {"queue": "tic"})])


def talking_call(call_id: str = "noord-1.2") -> Journey:
    journey = waiting_call(call_id)
    journey.steps.append(Step(T + 20, "agent_answered", {"agent": "Anna"}))
    return journey


def test_nothing_is_closed_while_the_node_is_reachable_or_within_the_grace_period():
    calls = [waiting_call()]
    assert lost.cut_off(calls, None, T + 3600, "noord") == []
    assert lost.cut_off(calls, T + 30, T + 30 + lost.GRACE_SECONDS - 0.1, "noord") == []


def test_after_the_grace_period_each_open_call_ends_when_the_node_was_lost():
    ended = waiting_call("noord-1.3")
    ended.steps.append(Step(T + 40, "hung_up", {"cause": "Normal Clearing"}))
    ended.ended = True
    closes = lost.cut_off([waiting_call(), talking_call(), ended], T + 60, T + 60 + lost.GRACE_SECONDS, "noord")
    assert [(journey.call_id, step) for journey, step in closes] == [
        ("noord-1.1", Step(T + 60, "hung_up", {"from": lost.LOST, "node": "noord"})),
        ("noord-1.2", Step(T + 60, "hung_up", {"from": lost.LOST, "node": "noord"}))]


def test_a_call_never_ends_before_its_last_step():
    # Two clocks: the AMI events carry the node's, the loss the surviving bereik's.
    [(_, step)] = lost.cut_off([talking_call()], T + 19.5, T + 100, "noord")
    assert step.at == T + 20


def test_a_cut_off_call_is_no_caller_who_gave_up_and_its_talk_time_runs_to_the_loss():
    waiting, talking = waiting_call(), talking_call()
    for journey, step in lost.cut_off([waiting, talking], T + 80, T + 200, "noord"):
        journey.steps.append(step)
        journey.ended = True
    row = summarise(waiting, ZONE, FRONT)
    assert (row.cut_off, row.abandoned, row.ended_at, row.agent) == (True, False, T + 80, "")
    row = summarise(talking, ZONE, FRONT)
    assert (row.cut_off, row.abandoned, row.talk_seconds, row.wait_seconds) == (True, False, 60.0, 10.0)
    hung_up = waiting_call()
    hung_up.steps.append(Step(T + 80, "hung_up", {"cause": "Normal Clearing"}))
    hung_up.ended = True
    row = summarise(hung_up, ZONE, FRONT)
    assert (row.cut_off, row.abandoned) == (False, True)
