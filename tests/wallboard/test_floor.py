"""The floor right now, from AMI events: waiting callers, agents, today's service level and occupancy."""
from zoneinfo import ZoneInfo

from bereik.wallboard.floor import CallbackCounts, Floor
from bereik.pbx.facts import queue_status
from tests.ami_facts import told

ZONE = ZoneInfo("Europe/Amsterdam")
T = 1795424400.0  # Monday 2026-11-23 10:00 in Amsterdam


def ev(name, at, **fields):
    return {"Event": name, "Timestamp": f"{T + at:.6f}", **fields}


def member(at, status, paused="0", in_call="0", interface="PJSIP/201", name="Anna"):
    return ev("QueueMemberStatus", at, Queue="tic", Interface=interface, MemberName=name, Status=status,
              Paused=paused, InCall=in_call)


def test_callers_waiting_and_the_longest_wait():
    floor = Floor(ZONE, 30)
    told(floor, ev("QueueCallerJoin", 0, Uniqueid="a", Queue="tic"))
    told(floor, ev("QueueCallerJoin", 10, Uniqueid="b", Queue="tic"))
    board = floor.snapshot(T + 40)
    assert (board["waiting"], board["longest_wait"]) == (2, 40)
    told(floor, ev("QueueCallerLeave", 41, Uniqueid="a", Queue="tic"))
    assert floor.snapshot(T + 45)["longest_wait"] == 35


def test_service_level_today_is_the_share_answered_within_the_norm():
    floor = Floor(ZONE, 30)
    for n, hold in enumerate(("5", "29", "45")):
        told(floor, ev("AgentConnect", n, Uniqueid=f"c{n}", Interface="PJSIP/201", MemberName="Anna", HoldTime=hold))
    told(floor, ev("QueueCallerAbandon", 5, Uniqueid="d", Queue="tic", HoldTime="12"))
    board = floor.snapshot(T + 10)
    assert board["service_level"] == 0.5  # 2 of 4 (the abandoned call counts as not answered in time)
    assert (board["answered"], board["abandoned"]) == (3, 1)


def test_agents_by_state_occupancy_talk_and_wrap_up():
    floor = Floor(ZONE, 30)
    told(floor, member(0, "1"))  # free from 10:00:00
    told(floor, ev("AgentConnect", 60, Uniqueid="c", Interface="PJSIP/201", MemberName="Anna", HoldTime="3"))
    told(floor, member(60, "2", in_call="1"))
    told(floor, ev("AgentComplete", 180, Uniqueid="c", Interface="PJSIP/201", MemberName="Anna", TalkTime="120"))
    told(floor, member(180, "1"))
    told(floor, member(182, "1", paused="1"))  # pauses right after the call: wrap-up
    board = floor.snapshot(T + 240)
    assert board["agents"]["wrapup"] == 1 and board["agent_list"] == [{"name": "Anna", "state": "wrapup",
                                                                        "seconds": 58}]
    assert board["average_talk"] == 120 and board["average_wrapup"] == 58
    # busy: 120 s talking + 58 s wrap-up; free: 60 + 2 s
    assert board["occupancy"] == round(178 / 240, 3)


def test_a_pause_long_after_a_call_is_a_pause_not_wrap_up():
    floor = Floor(ZONE, 30)
    told(floor, ev("AgentComplete", 0, Interface="PJSIP/201", TalkTime="10"))
    told(floor, member(1, "1"))
    told(floor, member(100, "1", paused="1"))
    assert floor.snapshot(T + 110)["agents"]["paused"] == 1


def test_after_a_login_queue_status_replaces_what_was_known():
    floor = Floor(ZONE, 30)
    told(floor, ev("QueueCallerJoin", 0, Uniqueid="gone", Queue="tic"))
    floor.load_status(queue_status([
        {"Event": "QueueParams", "Queue": "tic"},
        {"Event": "QueueMember", "Queue": "tic", "Name": "Bert", "Location": "PJSIP/202", "Status": "1",
         "Paused": "0", "InCall": "0"},
        {"Event": "QueueEntry", "Queue": "tic", "Uniqueid": "new", "Wait": "42"},
    ]), T + 100)
    board = floor.snapshot(T + 100)
    assert (board["waiting"], board["longest_wait"]) == (1, 42)
    assert board["agent_list"] == [{"name": "Bert", "state": "free", "seconds": 0}]


def test_the_counters_restart_at_midnight():
    floor = Floor(ZONE, 30)
    told(floor, ev("AgentConnect", 0, Uniqueid="c", Interface="PJSIP/201", HoldTime="3"))
    told(floor, ev("QueueCallerJoin", 15 * 3600, Uniqueid="d", Queue="tic"))  # 01:00 the next day
    assert floor.snapshot(T + 15 * 3600)["answered"] == 0


def test_call_backs_come_from_the_given_source_or_say_no_data():
    assert Floor(ZONE, 30).snapshot(T)["callbacks"] is None
    floor = Floor(ZONE, 30, callbacks=lambda: CallbackCounts(open=4, late=1))
    assert floor.snapshot(T)["callbacks"] == {"open": 4, "late": 1, "on_time": None,
                                              "on_time_by_department": ()}  # none judged yet
    floor = Floor(ZONE, 30, callbacks=lambda: CallbackCounts(open=4, late=1, on_time=0.8))
    assert floor.snapshot(T)["callbacks"]["on_time"] == 0.8


def test_a_caller_put_through_to_an_outside_organisation_counts_as_put_through_not_as_abandoned():
    floor = Floor(ZONE, 30)
    outside = {"ChanVariable(BEREIK_ORGANISATION)": "Sociale Zaken Heemstede"}
    told(floor, ev("DialBegin", 1, Uniqueid="e", Linkedid="e", Context="bereik-outside",
                   DialString="0235485868@bereik-outbound/n", DestChannel="Local/0235485868@bereik-outbound-1;1",
                   **outside))
    # The carrier's leg of the same call, and another municipality's forward on the shared number: not counted.
    told(floor, ev("DialBegin", 1, Uniqueid="e2", Linkedid="e", Context="bereik-outbound",
                   DestChannel="PJSIP/trunk-00000002", DestExten="0235485868"))
    told(floor, ev("DialBegin", 2, Uniqueid="f", Linkedid="f", Context="bereik-outbound",
                   DestChannel="PJSIP/trunk-00000003", DestExten="0235485868"))
    board = floor.snapshot(T + 10)
    assert (board["put_through"], board["answered"], board["abandoned"], board["service_level"]) == (1, 0, 0, None)
