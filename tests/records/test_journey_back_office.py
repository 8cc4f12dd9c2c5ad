"""Journeys of direct calls: rung, ring ended, camped, picked up, fallen back with the context."""
from bereik.records.journey import JourneyBook
from tests.ami_facts import told

CALL = {"Linkedid": "1.1", "Uniqueid": "1.1", "Timestamp": "100.0"}


def journey_of(*events):
    book = JourneyBook()
    told(book, {"Event": "Newchannel", **CALL, "Channel": "PJSIP/trunk-00000001", "Exten": "0235115301"})
    for event in events:
        told(book, event)
    return book.journeys["1.1"]


def test_a_direct_call_that_falls_back_carries_whom_and_why_into_the_queue():
    journey = journey_of(
        {"Event": "DialBegin", **CALL, "Context": "bereik-direct", "DestChannel": "PJSIP/301-00000002"},
        {"Event": "DialEnd", **CALL, "Context": "bereik-direct", "DestChannel": "PJSIP/301-00000002",
         "DialStatus": "NOANSWER"},
        {"Event": "QueueCallerJoin", **CALL, "Queue": "tic", "Position": "2",
         "ChanVariable(BEREIK_TRIED)": "301", "ChanVariable(BEREIK_FAILED)": "noanswer"},
    )
    assert [s.what for s in journey.steps] == ["entered", "rang", "ring_ended", "queued"]
    assert journey.steps[1].detail == {"to": "301", "via": ""}
    assert journey.steps[2].detail["status"] == "NOANSWER"
    assert journey.first("queued").detail | {} == {
        "queue": "tic", "position": "2", "topic": "", "tried": "301", "failed": "noanswer"}
    assert journey.labels["failed"] == "noanswer"


def test_waiting_behind_a_call_and_a_pickup_are_steps():
    journey = journey_of(
        {"Event": "QueueCallerJoin", **CALL, "Queue": "camp-301", "Position": "1"},
        {"Event": "Pickup", "Channel": "PJSIP/302-00000009", "TargetChannel": "PJSIP/301-00000003",
         "TargetLinkedid": "1.1", "Timestamp": "130.0"},
    )
    assert journey.first("camped").detail == {"colleague": "301"}
    assert journey.first("picked_up").detail == {"ringing": "301", "by": "302"}


def test_the_colleague_answering_after_camp_on_is_no_front_office_answer():
    journey = journey_of({"Event": "AgentConnect", **CALL, "Queue": "camp-301", "HoldTime": "40"})
    assert journey.first("colleague_answered").detail == {"colleague": "301", "hold_seconds": "40"}
    assert journey.first("agent_answered") is None


def test_a_dial_outside_the_direct_context_is_no_ring_of_a_colleague():
    journey = journey_of({"Event": "DialBegin", **CALL, "Context": "bereik-queue",
                          "DestChannel": "PJSIP/201-00000002"})
    assert journey.first("rang") is None


def test_a_caller_who_leaves_the_queue_with_the_call_back_key_did_not_abandon_it():
    from zoneinfo import ZoneInfo

    from bereik.records.journey import Step
    from bereik.records.summary import summarise

    def ended(*steps):
        journey = journey_of({"Event": "QueueCallerJoin", **CALL, "Queue": "tic", "Position": "1"})
        journey.steps += [Step(130.0, what, {"via": "queue"}) for what in steps] + [Step(140.0, "hung_up", {})]
        journey.ended = True
        return summarise(journey, ZoneInfo("Europe/Amsterdam"))

    asked = ended("callback_requested")
    assert asked.callback_requested and not asked.abandoned
    assert ended().abandoned  # without the key: hung up waiting
