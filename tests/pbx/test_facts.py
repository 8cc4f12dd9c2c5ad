"""The Asterisk adapter's translation of AMI events into bereik's facts."""
import pytest

from bereik import facts as f
from bereik.pbx import variables as var
from bereik.pbx.facts import LABEL_VARIABLES, fact_of, queue_status

LEG = {"Uniqueid": "1700.1", "Linkedid": "1700.1", "Channel": "PJSIP/trunk-00000001", "Timestamp": "100.5"}


def test_every_label_is_a_channel_variable_asterisk_carries_in_its_events_and_back():
    assert set(LABEL_VARIABLES) == set(f.LABELS)
    assert sorted(LABEL_VARIABLES.values()) == sorted(var.IN_AMI_EVENTS)


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
