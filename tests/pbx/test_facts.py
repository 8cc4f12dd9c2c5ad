"""The Asterisk adapter's translation of AMI events into bereik's facts."""
import pytest

from bereik import facts as f
from bereik.pbx import variables as var
from bereik.pbx.facts import LABEL_VARIABLES, fact_of, queue_status

LEG = {"Uniqueid": "1700.1", "Linkedid": "1700.1", "Channel": "PJSIP/trunk-00000001", "Timestamp": "100.5"}


def test_every_label_is_a_channel_variable_asterisk_carries_in_its_events_and_back():
    assert set(LABEL_VARIABLES) == set(f.LABELS)
    assert sorted(LABEL_VARIABLES.values()) == sorted(var.LABELLED)
    assert set(var.LABELLED) <= set(var.IN_AMI_EVENTS)


def test_a_queue_join_carries_its_labels_and_a_camp_on_queue_is_camping_on_the_colleague():
    joined = fact_of({"Event": "QueueCallerJoin", **LEG, "Queue": "tic", "Position": "2",
                      "ChanVariable(BEREIK_TOPIC)": "afval", "ChanVariable(BEREIK_FAILED)": ""})
    assert joined == f.QueueJoined(call="1700.1", leg="1700.1", at=100.5, labels={"topic": "afval"}, queue="tic",
                                   channel="PJSIP/trunk-00000001", position=2)
    assert fact_of({"Event": "QueueCallerJoin", **LEG, "Queue": "camp-301"}) == f.CampedOn(
        call="1700.1", leg="1700.1", at=100.5, colleague="301", channel="PJSIP/trunk-00000001")
    assert isinstance(fact_of({"Event": "AgentConnect", **LEG, "Queue": "camp-301"}), f.ColleagueAnswered)


@pytest.mark.parametrize("timestamp, seconds", [("", ""), ("nan", "nan"), ("inf", "inf"), ("-1", "-1"),
                                                ("1e30", "tomorrow")])
def test_a_missing_or_impossible_time_or_duration_is_none_never_a_crash(timestamp, seconds):
    fact = fact_of({"Event": "AgentConnect", **LEG, "Timestamp": timestamp, "Queue": "tic", "HoldTime": seconds,
                    "RingTime": seconds})
    assert (fact.at, fact.waited_seconds, fact.ring_seconds) == (None, None, None)


def test_app_queues_member_status_codes_become_device_states_and_the_status_list_members_and_callers():
    told = queue_status([
        {"Event": "QueueParams", "Queue": "tic"},
        {"Event": "QueueMember", "Queue": "tic", "StateInterface": "PJSIP/201", "Name": "Anna", "Status": "5",
         "Paused": "1", "InCall": "0"},
        {"Event": "QueueEntry", "Queue": "tic", "Uniqueid": "1700.9", "Channel": "PJSIP/trunk-9", "Position": "1",
         "Wait": "12"},
    ])
    assert told == [f.MemberState(queue="tic", member="PJSIP/201", name="Anna", device=f.UNAVAILABLE, paused=True,
                                  in_call=False),
                    f.CallerWaiting(queue="tic", leg="1700.9", channel="PJSIP/trunk-9", position=1, waited_seconds=12)]
    assert fact_of({"Event": "QueueMemberPause", "Queue": "tic", "Interface": "PJSIP/201", "Paused": "0"}) == \
        f.MemberState(queue="tic", member="PJSIP/201", paused=False)  # what it does not say stays as it was


def test_a_key_pressed_while_waiting_is_a_fact_and_a_key_asterisk_sent_is_none():
    received = fact_of({"Event": "DTMFEnd", **LEG, "Digit": "9", "Direction": "Received", "DurationMs": "120"})
    assert received == f.KeyPressed(call="1700.1", leg="1700.1", at=100.5, key="9", channel="PJSIP/trunk-00000001")
    assert fact_of({"Event": "DTMFEnd", **LEG, "Digit": "9", "Direction": "Sent"}) is None
    assert fact_of({"Event": "DTMFEnd", **LEG, "Digit": "", "Direction": "Received"}) is None


def test_a_caller_bereik_withdrew_for_a_call_back_left_the_queue_and_did_not_give_up():
    """app_queue reports a withdrawn caller as abandoned; the channel's BEREIK_CALLBACK says why it left."""
    withdrawn = fact_of({"Event": "QueueCallerAbandon", **LEG, "Queue": "tic", "HoldTime": "40",
                         "ChanVariable(BEREIK_CALLBACK)": "12"})
    assert withdrawn == f.QueueLeft(call="1700.1", leg="1700.1", at=100.5, queue="tic",
                                    channel="PJSIP/trunk-00000001", callback="12")
    assert isinstance(fact_of({"Event": "QueueCallerAbandon", **LEG, "Queue": "tic", "HoldTime": "40"}),
                      f.QueueAbandoned)


def test_how_a_call_back_ended_comes_from_the_dialplans_user_event():
    told = fact_of({"Event": "UserEvent", "UserEvent": "BereikCallback", "Timestamp": "200.0", "Attempt": "q-1.2",
                    "First": "ANSWER", "Status": "ANSWER", "Talk": "12500"})
    assert told == f.CallbackCallEnded(attempt="q-1.2", at=200.0, first_answered=True, status="ANSWER",
                                       talk_seconds=12.5)
    not_rung = fact_of({"Event": "UserEvent", "UserEvent": "BereikCallback", "Attempt": "n-3", "First": "NOANSWER",
                        "Status": "", "Talk": ""})
    assert (not_rung.first_answered, not_rung.status, not_rung.talk_seconds) == (False, "", None)
    assert fact_of({"Event": "UserEvent", "UserEvent": "Other", "Attempt": "x"}) is None
    assert fact_of({"Event": "UserEvent", "UserEvent": "BereikCallback", "Attempt": ""}) is None


def test_a_call_back_bereik_placed_is_no_callers_call():
    for channel in ("Local/12@bereik-callback-hold-00000001;1", "Local/n-7@bereik-callback-owner-00000002;1"):
        assert fact_of({"Event": "Newchannel", **LEG, "Channel": channel, "Exten": "12"}) is None
    assert isinstance(fact_of({"Event": "Newchannel", **LEG, "Exten": "14023"}), f.CallEntered)


def test_an_agents_completion_tells_how_long_the_caller_waited_and_talked():
    completed = fact_of({"Event": "AgentComplete", **LEG, "Queue": "tic", "Interface": "PJSIP/201",
                         "MemberName": "Anna", "HoldTime": "7", "TalkTime": "58", "Reason": "caller"})
    assert completed == f.AgentCompleted(call="1700.1", leg="1700.1", at=100.5, queue="tic", member="PJSIP/201",
                                         agent="Anna", talk_seconds=58, waited_seconds=7, reason="caller")
