"""The live queue state from AMI events, and its re-read after a login."""
from bereik.routing.queue_state import QueueState
from bereik.pbx.facts import queue_status
from tests.ami_facts import told


def join(channel, position, at, topic=""):
    return {"Event": "QueueCallerJoin", "Queue": "tic", "Channel": channel, "Uniqueid": channel[-3:],
            "Position": str(position), "Timestamp": str(at), "ChanVariable(BEREIK_TOPIC)": topic}


def member(interface, status="1", paused="0", in_call="0"):
    return {"Event": "QueueMemberStatus", "Queue": "tic", "Interface": interface, "Status": status,
            "Paused": paused, "InCall": in_call}


def test_positions_follow_joins_and_leaves_and_a_returning_caller_gets_its_place_back():
    state = QueueState("tic")
    for n in (1, 2, 3):
        told(state, join(f"PJSIP/trunk-00{n}", n, 100 + n), now=200)
    told(state, {"Event": "QueueCallerLeave", "Queue": "tic", "Channel": "PJSIP/trunk-001"}, now=200)
    assert [state.position(f"PJSIP/trunk-00{n}") for n in (1, 2, 3)] == [None, 1, 2]
    told(state, join("PJSIP/trunk-004", 1, 205), now=205)  # Queue(...,position=1)
    assert state.position("PJSIP/trunk-004") == 1 and state.position("PJSIP/trunk-003") == 3


def test_the_snapshot_counts_agents_logged_in_free_and_paused_and_the_callers_ahead():
    state = QueueState("tic", wrapup_seconds=30)
    for event in (member("PJSIP/201"), member("PJSIP/202", status="2", in_call="1"),
                  member("PJSIP/203", paused="1"), member("PJSIP/204", status="5"),
                  join("PJSIP/trunk-001", 1, 100), join("PJSIP/trunk-002", 2, 110),
                  {"Event": "AgentComplete", "Queue": "tic", "TalkTime": "90", "Timestamp": "150"}):
        told(state, event, now=150)
    snapshot = state.snapshot("PJSIP/trunk-002", now=160)
    assert (snapshot.callers_ahead, snapshot.agents_logged_in, snapshot.agents_free, snapshot.agents_paused) == \
        (1, 3, 1, 1)
    assert snapshot.waited_seconds == 50
    assert snapshot.recent_calls[0].handling_seconds == 120  # talk plus the configured wrap-up


def test_events_of_other_queues_are_ignored():
    state = QueueState("tic")
    assert told(state, {**join("PJSIP/trunk-001", 1, 1), "Queue": "camp-301"}, now=1) is None
    assert state.callers == []


def test_a_re_read_replaces_everything_but_keeps_what_only_events_told():
    state = QueueState("tic")
    told(state, join("PJSIP/trunk-001", 1, 100, topic="afval"), now=100)
    told(state, join("PJSIP/trunk-002", 2, 101), now=101)
    state.load_status(queue_status([
        {"Event": "QueueMember", "Queue": "tic", "StateInterface": "PJSIP/201", "Status": "1", "Paused": "0",
         "InCall": "0"},
        {"Event": "QueueEntry", "Queue": "tic", "Channel": "PJSIP/trunk-003", "Position": "2", "Wait": "5"},
        {"Event": "QueueEntry", "Queue": "tic", "Channel": "PJSIP/trunk-001", "Position": "1", "Wait": "30"},
    ]), now=130)
    assert [c.channel for c in state.callers] == ["PJSIP/trunk-001", "PJSIP/trunk-003"]
    assert state.callers[0].topic == "afval" and state.callers[0].joined_at == 100
    assert state.callers[1].joined_at == 125
    assert state.caller("PJSIP/trunk-002") is None and state.caller("PJSIP/trunk-003") is state.callers[1]
    assert list(state.members) == ["PJSIP/201"]


def test_a_caller_who_joins_again_is_in_the_line_once_at_the_new_place():
    state = QueueState("tic")
    for n in (1, 2, 3):
        told(state, join(f"PJSIP/trunk-00{n}", n, 100 + n), now=103)
    told(state, join("PJSIP/trunk-001", 3, 110), now=110)  # back from a transfer, put at the end
    assert [c.channel for c in state.callers] == ["PJSIP/trunk-002", "PJSIP/trunk-003", "PJSIP/trunk-001"]
    assert state.caller("PJSIP/trunk-001").joined_at == 110
    told(state, {"Event": "QueueCallerLeave", "Queue": "tic", "Channel": "PJSIP/trunk-001"}, now=111)
    assert state.caller("PJSIP/trunk-001") is None and len(state.callers) == 2


def test_every_wait_that_ends_is_kept_and_only_a_caller_who_hung_up_counts_as_giving_up():
    state = QueueState("tic")
    for n in (1, 2, 3):
        told(state, join(f"PJSIP/trunk-00{n}", n, 100), now=100)
    # Hung up: app_queue tells it twice, QueueCallerAbandon (with its HoldTime) and then QueueCallerLeave.
    for event in ("QueueCallerAbandon", "QueueCallerLeave"):
        told(state, {"Event": event, "Queue": "tic", "Channel": "PJSIP/trunk-001", "HoldTime": "42",
                     "Timestamp": "142"}, now=142)
    told(state, {"Event": "QueueCallerLeave", "Queue": "tic", "Channel": "PJSIP/trunk-002", "Timestamp": "150"},
         now=150)
    # Taken out by bereik for a call-back: app_queue says abandoned, the caller did not give up.
    told(state, {"Event": "QueueCallerAbandon", "Queue": "tic", "Channel": "PJSIP/trunk-003", "HoldTime": "70",
                 "Timestamp": "170", "ChanVariable(BEREIK_CALLBACK)": "cb-1"}, now=170)
    told(state, join("PJSIP/trunk-004", 1, 171), now=171)
    assert [(w.ended_at, w.waited_seconds, w.gave_up) for w in state.waits] == \
        [(142, 42, True), (150, 50, False), (170, 70, False)]
    assert state.snapshot("PJSIP/trunk-004", now=180).recent_waits == tuple(state.waits)
    assert state.snapshot_for_new_caller(180).recent_waits == tuple(state.waits)


def test_the_recent_calls_stay_the_same_tuple_while_callers_leave_and_each_shows_what_ended():
    """The estimator sorts the recent calls once per tuple: a caller leaving must not make a new one."""
    state = QueueState("tic", wrapup_seconds=10)
    told(state, {"Event": "AgentComplete", "Queue": "tic", "TalkTime": "100"}, now=100)
    calls, waits = state.recent()
    told(state, join("PJSIP/trunk-001", 1, 101), now=101)
    told(state, {"Event": "QueueCallerLeave", "Queue": "tic", "Channel": "PJSIP/trunk-001"}, now=130)
    assert waits == () and state.recent()[1] == tuple(state.waits) and len(state.waits) == 1
    assert state.recent()[0] is calls
    told(state, {"Event": "AgentComplete", "Queue": "tic", "TalkTime": "50"}, now=140)
    assert state.recent() == (tuple(state.handled), tuple(state.waits)) and len(state.recent()[0]) == 2
