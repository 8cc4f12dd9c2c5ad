"""The console on a platform of several Asterisk servers: the agent's desk follows every server.

An agent's phone is rung by whichever node has the call, so the screen-pop must come from that node too,
whichever node's bereik serves the agent's console. Each server here is its own fake AMI; both hand out the
same channel names and Uniqueids, as two real Asterisks do."""
import asyncio

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bereik.audit import AuditLog
from bereik.console.wiring import steps_by_server
from bereik.pbx.ami import AmiError
from bereik.records.store import SqliteStore
from console_helpers import CallbackStore, Console, Desk, FakeAmi, FakeDirectory, Mailer, console_config, log_in

CALLER, PHONE, SAME_ID = "PJSIP/trunk-00000001", "PJSIP/201-00000002", "1700000000.1"


def ring(ami, uniqueid=SAME_ID, number="0612345678"):
    ami.emit(Event="QueueCallerJoin", Queue="tic", Channel=CALLER, Uniqueid=uniqueid, Linkedid=uniqueid,
             CallerIDNum=number, Timestamp="1800000000.0")
    ami.emit(Event="AgentCalled", Queue="tic", Interface="PJSIP/201", Channel=CALLER, DestChannel=PHONE,
             CallerIDNum=number, CallerIDName="J. Jansen", Uniqueid=uniqueid, Linkedid=uniqueid,
             Timestamp="1800000042.5", **{"ChanVariable(BEREIK_TOPIC)": "afval"})


def answer(ami, uniqueid=SAME_ID):
    ami.emit(Event="AgentConnect", Queue="tic", Interface="PJSIP/201", Channel=CALLER, DestChannel=PHONE,
             Uniqueid=uniqueid, Linkedid=uniqueid, Timestamp="1800000045.0")


class DownAmi(FakeAmi):
    """A node that died: every action fails as AmiClient's does when the connection is gone."""
    connected = False

    async def action(self, name, timeout=None, **headers):
        raise AmiError(f"AMI is not connected; cannot send {name}")


@pytest.fixture
async def platform(tmp_path, clock):
    """noord's bereik serves the console; zuid is another node whose calls ring the same phones."""
    config = console_config(tmp_path / "recordings")
    amis = {"noord": FakeAmi(), "zuid": FakeAmi()}
    callbacks = CallbackStore(tmp_path / "callbacks.sqlite3")
    steps = []
    desk = Desk(config, amis["noord"], callbacks, clock, server="noord", peers={"zuid": amis["zuid"]},
                steps=lambda *step: steps.append(step))
    records = SqliteStore(tmp_path / "calls.sqlite3")
    console = Console(config, desk, callbacks, Mailer("127.0.0.1", 1, "bereik@test", config.zone, timeout=0.5),
                      FakeDirectory(), clock=clock, audit_log=AuditLog(records))
    async with TestClient(TestServer(console.app())) as client:
        yield client, desk, amis, steps
    records.close()


async def news(socket_, kind: str) -> dict:
    while True:
        message = await asyncio.wait_for(socket_.receive_json(), 2)
        if message["type"] == kind:
            return message


async def test_a_call_on_another_node_pops_up_and_the_buttons_act_on_that_node(platform):
    client, desk, amis, steps = platform
    token = await log_in(client, "anna")
    socket_ = await client.ws_connect("/api/stream")
    ring(amis["zuid"])
    pop = await news(socket_, "ringing")
    assert (pop["number"], pop["topic"], pop["waited_seconds"]) == ("0612345678", "afval", 42)
    answer(amis["zuid"])
    await news(socket_, "connected")

    hung_up = await client.post("/api/call/hangup", headers={"X-CSRF-Token": token})
    assert (await hung_up.json())["hung_up"] is True
    assert amis["zuid"].sent("Hangup") == [{"Channel": PHONE}] and amis["noord"].sent("Hangup") == []
    # noord hands out the same channel names: its hang-up of "the same" channel is another call.
    amis["noord"].emit(Event="Hangup", Channel=PHONE, Uniqueid="1700000000.2", Linkedid="1700000000.2")
    assert desk.positions["201"].call is not None
    amis["zuid"].emit(Event="Hangup", Channel=CALLER, Uniqueid=SAME_ID, Linkedid=SAME_ID)
    ended = await news(socket_, "ended")
    assert ended["call"]["call"] == f"zuid-{SAME_ID}"  # the call id bereik keeps: the server's name first

    done = await client.post("/api/wrapup", json={"call": f"zuid-{SAME_ID}", "topic": "Afval", "resolved": True},
                             headers={"X-CSRF-Token": token})
    assert done.status == 200
    assert [s[0] for s in steps if s[1] == "wrapped_up"] == [f"zuid-{SAME_ID}"]


async def test_warm_transfer_of_a_call_on_another_node_is_sent_to_and_followed_on_that_node(platform):
    client, desk, amis, _ = platform
    token = await log_in(client, "anna")
    ring(amis["zuid"])
    answer(amis["zuid"])
    started = await client.post("/api/transfer", json={"target": "301"}, headers={"X-CSRF-Token": token})
    assert started.status == 200
    await asyncio.sleep(0)  # the transfer is begun in a task
    assert [h["Channel"] for h in amis["zuid"].transfers()] == [PHONE] and amis["noord"].transfers() == []
    amis["noord"].emit(Event="DialBegin", Channel="Local/301@x-00000001;2", DestChannel="PJSIP/301-00000009")
    assert desk.positions["201"].transfer.name == "ringing"  # noord's dial to 301 is not this transfer
    amis["zuid"].emit(Event="DialEnd", Channel="Local/301@x-00000001;2", DestChannel="PJSIP/301-00000009",
                      DialStatus="ANSWER")
    assert desk.positions["201"].transfer.name == "talking"


async def test_the_same_uniqueid_waiting_on_two_nodes_is_two_callers_and_a_pick_redirects_on_the_callers_node(
        platform):
    client, desk, amis, _ = platform
    for server, number in (("noord", "0611111111"), ("zuid", "0622222222")):
        amis[server].emit(Event="QueueCallerJoin", Queue="tic", Channel=CALLER, Uniqueid=SAME_ID, Linkedid=SAME_ID,
                          CallerIDNum=number, Timestamp="1800000000.0")
    token = await log_in(client, "lisa")
    waiting = (await (await client.get("/api/waiting")).json())["callers"]
    assert sorted((w["id"], w["number"]) for w in waiting) == [
        (f"noord-{SAME_ID}", "0611111111"), (f"zuid-{SAME_ID}", "0622222222")]
    picked = await client.post(f"/api/waiting/zuid-{SAME_ID}/pick", headers={"X-CSRF-Token": token})
    assert (await picked.json())["picked"] is True
    assert [h["Channel"] for h in amis["zuid"].sent("Redirect")] == [CALLER] and amis["noord"].sent("Redirect") == []
    amis["zuid"].emit(Event="QueueCallerLeave", Queue="tic", Channel=CALLER, Uniqueid=SAME_ID, Linkedid=SAME_ID)
    assert [w["number"] for w in desk.waiting_callers()] == ["0611111111"]  # noord's caller still waits


async def test_a_pause_reaches_every_node_and_a_dead_node_does_not_stop_it(platform):
    client, desk, amis, _ = platform
    token = await log_in(client, "anna")
    desk.amis["zuid"] = amis["zuid"] = DownAmi()
    paused = await client.post("/api/position/pause", json={"reason": "overleg"},
                               headers={"X-CSRF-Token": token})
    assert paused.status == 200
    # Through QUEUE_MEMBER and the reason's global (bereik.pbx.members: bereik's AMI user has no agent class).
    assert [(v["Variable"], v["Value"]) for v in amis["noord"].sent("Setvar")] == [
        ("BEREIK_PAUSED_201", "overleg"), ("QUEUE_MEMBER(tic,paused,PJSIP/201)", "1")]
    desk.amis["noord"] = DownAmi()
    with pytest.raises(AmiError):  # no node took it: the agent is told, not silently left unpaused
        await desk.set_paused("201", True, "overleg")


async def test_a_reconnect_to_one_node_leaves_the_call_on_another_node_alone(platform):
    client, desk, amis, _ = platform
    await log_in(client, "anna")
    ring(amis["zuid"])
    answer(amis["zuid"])
    amis["noord"].replies["Status"] = [{"Response": "Success"}]  # noord has no call at position 201
    for callback in amis["noord"].login_callbacks:
        await callback()
    assert desk.positions["201"].call.call_id == f"zuid-{SAME_ID}"
    amis["zuid"].replies["Status"] = [{"Response": "Success"}]  # zuid lost it while its AMI was down
    for callback in amis["zuid"].login_callbacks:
        await callback()
    assert desk.positions["201"].call is None


def test_the_desks_steps_go_to_the_recorder_of_the_calls_node():
    class Recorder:
        def __init__(self, server):
            self.server, self.steps = server, []

        def add_step(self, call_id, what, at, detail):
            self.steps.append((call_id, what))

    noord, zuid = Recorder("noord"), Recorder("zuid")
    add = steps_by_server([noord, zuid])
    add(f"zuid-{SAME_ID}", "wrapped_up", 1.0, {})
    add(f"noord-{SAME_ID}", "transfer_started", 2.0, {})
    assert zuid.steps == [(SAME_ID, "wrapped_up")] and noord.steps == [(SAME_ID, "transfer_started")]


async def test_answering_from_the_browser_a_call_ringing_from_another_node_redirects_it_there(platform):
    client, desk, amis, _ = platform
    token = await log_in(client, "anna")
    ring(amis["zuid"])
    answering = await client.post("/api/call/answer", headers={"X-CSRF-Token": token})
    assert (await answering.json())["answering"] is True
    assert [h["Channel"] for h in amis["zuid"].sent("Redirect")] == [CALLER] and amis["noord"].sent("Redirect") == []


async def test_a_reconnect_to_one_node_rereads_its_waiting_callers_and_a_lost_node_s_leave_the_list(platform):
    client, desk, amis, _ = platform
    for server, number in (("noord", "0611111111"), ("zuid", "0622222222")):
        amis[server].emit(Event="QueueCallerJoin", Queue="tic", Channel=CALLER, Uniqueid=SAME_ID, Linkedid=SAME_ID,
                          CallerIDNum=number, Timestamp="1800000000.0")
    # zuid's link breaks: its caller cannot be taken from the list now; noord's stays.
    for callback in amis["zuid"].disconnect_callbacks:
        callback()
    assert [w["number"] for w in desk.waiting_callers()] == ["0611111111"]
    # zuid back: its queue as Asterisk has it now (another caller); noord's list untouched.
    amis["zuid"].replies["Status"] = [{"Response": "Success"}, {"Event": "Status", "Channel": "PJSIP/trunk-00000007",
                                                                "Uniqueid": "1700000000.7", "Linkedid": "1700000000.7",
                                                                "CallerIDNum": "0633333333"}]
    amis["zuid"].replies["QueueStatus"] = [{"Response": "Success"}, {
        "Event": "QueueEntry", "Queue": "tic", "Channel": "PJSIP/trunk-00000007", "Uniqueid": "1700000000.7",
        "CallerIDNum": "0633333333", "Wait": "12"}]
    for callback in amis["zuid"].login_callbacks:
        await callback()
    assert sorted((w["id"], w["number"]) for w in desk.waiting_callers()) == [
        (f"noord-{SAME_ID}", "0611111111"), ("zuid-1700000000.7", "0633333333")]
