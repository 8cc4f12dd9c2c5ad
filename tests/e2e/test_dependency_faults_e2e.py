"""Dependencies failing while callers call. Asterisk restarted, or only bereik's AMI connection cut:
bereik reconnects with back-off, re-reads Asterisk's state, and the call records show every call,
none twice. The call-record store locked: the caller is routed as ever, the call waits in the spool
and is written once the store is free."""
import asyncio
import logging
import sqlite3

import pytest

from bereik.pbx.backoff import Backoff
from bereik.records.spool import Spool
from bereik.records.store import SqliteStore
from bereik.sandbox import SandboxError
from bereik.service import Service, pretend_clock

from helpers import Cut, recorded
from tests.polling import until

from .test_first_call import CONFIG, MONDAY_MORNING, generated, pbx  # noqa: F401 (fixtures)
from .test_records_e2e import TOPIC_AFVAL, kinds


@pytest.fixture
async def service(pbx, generated, tmp_path):
    """bereik in this process, its AMI through a relay the test can cut."""
    instance, _ = pbx
    relay = Cut(instance.ami.port)
    await relay.mend()
    config = recorded(CONFIG, instance)
    config = config.model_copy(update={"pbx": config.pbx.model_copy(update={"ami": f"127.0.0.1:{relay.listen_port}"})})
    running = Service(config, generated[1], instance.sounds_dir, clock=pretend_clock(CONFIG, MONDAY_MORNING),
                      store=SqliteStore(tmp_path / "calls.sqlite3"))
    running.ami.backoff = Backoff(first=0.5, cap=2.0)  # short, to keep the test lean
    await running.start()
    running.relay = relay
    yield running
    await running.stop()
    running.store.close()


async def every_call_once(store, call_ids: set[str], timeout: float = 15.0) -> dict:
    """The journeys of these calls once all have ended; no other call, no step twice."""
    async def all_ended():
        journeys = {c: await asyncio.to_thread(store.journey, c) for c in call_ids}
        return all(j is not None and j.ended for j in journeys.values())

    await until(all_ended, timeout, "a call is missing from the records, or never ended", step=0.2)
    rows = await asyncio.to_thread(lambda: list(store.calls(0, 2e10)))
    assert sorted(r.call_id for r in rows) == sorted(call_ids), "a call recorded that was not made, or twice"
    journeys = {c: await asyncio.to_thread(store.journey, c) for c in call_ids}
    for journey in journeys.values():
        assert sorted(kinds(journey)) == sorted(set(kinds(journey))), f"a step recorded twice: {kinds(journey)}"
        assert kinds(journey)[0] == "entered" and "hung_up" in kinds(journey)
    return journeys


TOPIC_BURGERZAKEN = [("asked", "1"), ("asked", "1")]


def booted(instance) -> bool:
    try:
        instance.cli("core waitfullybooted")
        return True
    except SandboxError:  # the CLI socket is not there yet
        return False


def joined_calls(events) -> set[str]:
    return {e["Linkedid"] for e in events.matching("QueueCallerJoin")}


async def test_the_ami_connection_cut_while_calls_go_on_leaves_no_gap_in_the_records(pbx, service, sipp):
    _, events = pbx
    for n in (1, 2):  # Anna takes burgerzaken, Bram afval
        sipp.phone(f"127.0.1.{n}", ring_seconds=1)
    talking = sipp.call("14023", talk_seconds=14, dtmf=TOPIC_AFVAL)
    await events.wait_for_event("AgentConnect", timeout=20)

    await service.relay.cut()
    await until(lambda: not service.ami.connected, 5, "bereik did not notice the cut", step=0.2)
    # begins and ends while bereik is blind: it is answered by Anna, then hangs up (seen by the test's own
    # AMI; a fixed hold time would, on a loaded machine, sometimes end the call before an agent answers)
    unseen = sipp.call("14023", talk_seconds=60, dtmf=TOPIC_BURGERZAKEN, from_user="0687654321")
    joined = await events.wait_for_event("QueueCallerJoin", lambda e: e["CallerIDNum"] == "0687654321", timeout=30)
    await events.wait_for_event("AgentConnect", lambda e: e["Channel"] == joined["Channel"], timeout=20)
    await events.send_action({"Action": "Hangup", "Channel": joined["Channel"]})
    await unseen.succeeds(30)
    await service.relay.mend()

    await until(lambda: service.ami.connected, 10, "bereik did not reconnect", step=0.2)
    await talking.succeeds(30)
    journeys = await every_call_once(service.store, joined_calls(events))
    assert len(journeys) == 2
    for journey in journeys.values():
        assert kinds(journey)[:4] == ["entered", "answered", "queued", "agent_answered"], journey.steps
    [blind] = [j for j in journeys.values() if j.first("entered").detail.get("from") == "cel"]
    assert blind.first("hung_up").detail.get("from") == "cel", "its end from Asterisk's log, not guessed"


async def test_asterisk_restarted_with_callers_in_the_queue_every_call_is_recorded_once(pbx, service, sipp, caplog):
    instance, events = pbx
    sipp.phone("127.0.1.2", ring_seconds=1)  # Bram takes the first afval caller; Daan's phone is off
    talking = sipp.call("14023", talk_seconds=30, dtmf=TOPIC_AFVAL)
    await events.wait_for_event("AgentConnect", timeout=20)
    waiting = sipp.call("14023", talk_seconds=30, dtmf=TOPIC_AFVAL, from_user="0687654321")
    await events.wait_for_event("QueueCallerJoin", lambda e: e["Linkedid"] not in
                                {c["Linkedid"] for c in events.matching("AgentConnect")}, timeout=20)
    before = joined_calls(events)
    # bereik's own AMI connection may read the join a moment after the test's
    await until(lambda: service.board()["waiting"] >= 1, 5, "the wallboard does not show the waiting caller", step=0.2)

    service.ami.backoff = Backoff(first=0.05, cap=0.2)  # knock often: log in while Asterisk still boots
    instance.cli("core restart now")  # Asterisk hangs up every channel and starts again
    await until(lambda: not service.ami.connected, 10, "bereik did not notice the restart", step=0.2)
    with caplog.at_level(logging.WARNING):
        await until(lambda: service.ami.connected, 30, "bereik did not reconnect", step=0.2)
        await until(lambda: asyncio.to_thread(booted, instance), 30, "Asterisk did not boot again", step=0.2)
        talking.stop()
        waiting.stop()
        await until(lambda: service.board()["waiting"] == 0, 5,
                    "the wallboard still shows callers that Asterisk no longer has", step=0.2)
        journeys = await every_call_once(service.store, before)
    assert len(journeys) == 2
    assert "could not read" not in caplog.text, "the re-read came before Asterisk had loaded its queues"
    assert [a["name"] for a in service.board()["agent_list"]], "the agents, re-read from the restarted Asterisk"


async def test_the_store_locked_while_a_caller_calls_routing_goes_on_and_the_call_is_written_once_free(
        pbx, generated, sipp, tmp_path):
    instance, events = pbx
    path, spool = tmp_path / "calls.sqlite3", Spool(tmp_path / "spool")
    config = recorded(CONFIG, instance)
    config = config.model_copy(update={"records": config.records.model_copy(update={"spool": str(spool.path.parent)})})
    running = Service(config, generated[1], instance.sounds_dir, clock=pretend_clock(CONFIG, MONDAY_MORNING),
                      store=SqliteStore(path, busy_seconds=0.2))
    await running.start()
    other = sqlite3.connect(path, isolation_level=None)  # another program holds the database
    try:
        other.execute("BEGIN EXCLUSIVE")
        sipp.phone("127.0.1.2", ring_seconds=1)
        caller = sipp.call("14023", talk_seconds=4, dtmf=TOPIC_AFVAL)
        connected = await events.wait_for_event("AgentConnect", timeout=20)  # routed as ever
        await caller.succeeds(20)

        def spooled_and_ended() -> bool:
            return any(u.call.call_id == connected["Linkedid"] and u.call.ended_at is not None
                       for batch in spool.batches() for u in batch)
        await until(spooled_and_ended, 15, "the ended call is not in the spool while the store is locked", step=0.2)
        other.execute("ROLLBACK")
        [journey] = (await every_call_once(running.store, {connected["Linkedid"]})).values()
        assert kinds(journey)[:4] == ["entered", "answered", "queued", "agent_answered"]
        await until(lambda: not spool, 5, "the spool was not emptied once the store took it", step=0.2)
    finally:
        other.close()
        await running.stop()
        running.store.close()
