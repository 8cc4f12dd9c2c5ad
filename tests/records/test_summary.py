"""The call's row from its journey: where a kind of step repeats, the first one counts."""
from zoneinfo import ZoneInfo

from bereik.records.journey import Journey, Step
from bereik.records.summary import summarise

AMS = ZoneInfo("Europe/Amsterdam")


def test_the_first_step_of_each_kind_counts_wherever_it_stands():
    journey = Journey("1.1", "0612345678", dialled="14023", ended=True, steps=[
        Step(100.0, "entered", {"channel": "PJSIP/301-00000001", "inside": "yes"}),
        Step(101.0, "queued", {"queue": "tic"}), Step(130.0, "hung_up", {"code": "16"}),
        Step(102.0, "queued", {"queue": "other"}), Step(120.0, "agent_answered", {"agent": "Anna"}),
        Step(125.0, "agent_answered", {"agent": "Bram"}), Step(140.0, "hung_up", {"code": "17"}),
        Step(99.0, "entered", {"channel": "PJSIP/trunk-00000002"})])
    row = summarise(journey, AMS, frozenset({"14023"}))
    assert (row.started_at, row.queue, row.agent, row.ended_at) == (100.0, "tic", "Anna", 130.0)
    assert (row.wait_seconds, row.talk_seconds, row.inside, row.refused) == (19.0, 10.0, True, False)
