"""Two Asterisk servers, one store: calls never collide, and a stand-by bereik writes a dead one's calls."""
import asyncio

from bereik import facts as f

from bereik.records import lost
from bereik.records.journey import Step
from bereik.records.recorder import Recorder
from bereik.records.standby import CLAIM_SECONDS, Reachability, ServerWriters
from bereik.records.summary import TRANSFER_ANSWERED, TRANSFER_ENDED, TRANSFER_STARTED, Transfer, transfers_of
from bereik.reports.figures import compute
from bereik.reports.schema import ReportRequest
from tests.ami_facts import told
from tests.examples import example_config

from .calls import front_office_call
from .test_store import FRONT, MONDAY_10, ZONE

CONFIG = example_config()


def recorder(store, server: str, writing: bool = True) -> Recorder:
    made = Recorder(store, ZONE, FRONT, clock=lambda: MONDAY_10 + 3600, server=server, writing=writing)
    made.start()
    return made


def test_the_same_uniqueid_on_two_servers_is_two_calls(store):
    noord, zuid = recorder(store, "noord"), recorder(store, "zuid")
    for event in front_office_call("1795424400.7", MONDAY_10, wait=15):
        told(noord, event)
    for event in front_office_call("1795424400.7", MONDAY_10 + 5, wait=40, agent=None):
        told(zuid, event)
    noord.close()
    zuid.close()
    rows = {row.call_id: row for row in store.calls(0, 2e10)}
    assert sorted(rows) == ["noord-1795424400.7", "zuid-1795424400.7"]
    assert (rows["noord-1795424400.7"].abandoned, rows["zuid-1795424400.7"].abandoned) == (False, True)
    assert store.journey("zuid-1795424400.7").first("queued").detail["queue"] == "tic"


def test_a_stand_by_writes_the_calls_of_a_server_whose_bereik_died_and_hands_them_back(store):
    now = [MONDAY_10]
    # bereik "noord" records its own server; bereik "zuid" follows noord's AMI as a stand-by.
    home = recorder(store, "noord")
    stand_by = recorder(store, "noord", writing=False)
    noord = ServerWriters(store, "noord", {"noord": home}, clock=lambda: now[0])
    zuid = ServerWriters(store, "zuid", {"noord": stand_by}, clock=lambda: now[0])
    asyncio.run(noord.renew())
    asyncio.run(zuid.renew())
    assert (home.writing, stand_by.writing) == (True, False)

    home.writer = None  # noord's bereik is killed: what it had not written yet is gone with it
    for event in front_office_call("1795424400.1", MONDAY_10, wait=15):
        told(home, event)
        told(stand_by, event)
    stand_by.flush()
    assert store.count() == 0

    now[0] += 3  # within the claim: zuid still waits
    asyncio.run(zuid.renew())
    assert not stand_by.writing
    now[0] += 5  # noord stopped renewing; its claim lapsed
    asyncio.run(zuid.renew())
    stand_by.flush()
    assert stand_by.writing
    [row] = store.calls(0, 2e10)
    assert row.call_id == "noord-1795424400.1" and row.agent == "Anna" and row.ended_at is not None

    asyncio.run(noord.renew())  # noord's bereik is back and claims its server
    asyncio.run(zuid.renew())
    assert not stand_by.writing
    stand_by.close()


async def settled(*recorders) -> None:
    """What the recorders' writers were asked is done, and its answers are back on the event loop."""
    for made in recorders:
        await asyncio.to_thread(made.flush)
    await asyncio.sleep(0)


async def test_the_calls_of_a_node_that_died_and_stays_dead_are_closed_once_by_a_survivor(store):
    """noord dies (its Asterisk and its bereik) with a caller waiting and one talking; midden and zuid follow it."""
    now = [MONDAY_10 + 100]
    home = recorder(store, "noord")
    midden, zuid = recorder(store, "noord", writing=False), recorder(store, "noord", writing=False)
    seen = {name: Reachability(lambda: now[0]) for name in ("midden", "zuid")}
    writers = {name: ServerWriters(store, name, {"noord": made}, clock=lambda: now[0], reachability={"noord": seen[name]})
               for name, made in (("midden", midden), ("zuid", zuid))}
    for reachable in seen.values():
        reachable.back()  # both logged in to noord's AMI
    await ServerWriters(store, "noord", {"noord": home}, clock=lambda: now[0]).renew()
    for events in (front_office_call("1795424400.1", MONDAY_10, wait=15)[:3],  # waiting
                   front_office_call("1795424400.2", MONDAY_10, wait=15)[:4]):  # talking to Anna
        for event in events:
            for made in (home, midden, zuid):
                told(made, event)
    await settled(home)
    assert {r.call_id for r in store.calls(0, 2e10) if r.ended_at is None} == {"noord-1795424400.1",
                                                                               "noord-1795424400.2"}

    home.writer = None  # noord is gone: its bereik renews nothing, its AMI is lost to the others
    seen["midden"].lost()
    now[0] += 0.5
    seen["zuid"].lost()  # each survivor notices at its own moment
    lost_at = MONDAY_10 + 100
    now[0] += 7  # noord's claim lapsed; within the grace period nothing is closed
    for name in ("midden", "zuid"):
        await writers[name].renew()
        writers[name].close_lost()
    await settled(midden, zuid)
    assert (midden.writing, zuid.writing) == (True, False)
    assert all(r.ended_at is None for r in store.calls(0, 2e10))

    now[0] = lost_at + lost.GRACE_SECONDS + 1
    for name in ("midden", "zuid"):
        await writers[name].renew()
        writers[name].close_lost()
    await settled(midden, zuid)
    rows = {r.call_id: r for r in store.calls(0, 2e10)}
    assert {(r.ended_at, bool(r.cut_off), bool(r.abandoned)) for r in rows.values()} == {(lost_at, True, False)}
    assert rows["noord-1795424400.2"].talk_seconds == lost_at - (MONDAY_10 + 25)

    # midden dies too; zuid takes over and writes all it holds: the calls stay closed once, at midden's moment.
    midden.writer = None
    now[0] += CLAIM_SECONDS + 1
    await writers["zuid"].renew()
    writers["zuid"].close_lost()
    await settled(zuid)
    assert zuid.writing
    # noord comes back: its new bereik neither picks the calls up as open nor closes them again.
    back = recorder(store, "noord")
    assert back.open_calls() == set()
    back.reconcile([], [], back.open_calls(), "cel")
    await ServerWriters(store, "noord", {"noord": back}, clock=lambda: now[0]).renew()
    await settled(back, zuid)
    for call_id in ("noord-1795424400.1", "noord-1795424400.2"):
        journey = store.journey(call_id)
        assert [s.detail for s in journey.steps if s.what == "hung_up"] == [{"from": lost.LOST, "node": "noord"}]
        assert journey.first("hung_up").at == lost_at
    assert {r.ended_at for r in store.calls(0, 2e10)} == {lost_at}
    for made in (zuid, back):
        made.close()


async def test_a_lost_call_closed_after_a_late_take_over_keeps_what_noord_had_not_written(store):
    """noord dies (Asterisk and bereik) before its bereik wrote that the caller joined the queue; the stand-by cannot
    renew its claims (the store is away) until the grace period is over, so it closes the call before it writes."""
    now = [MONDAY_10 + 100]
    home = recorder(store, "noord")
    stand_by = recorder(store, "noord", writing=False)
    seen = Reachability(lambda: now[0])
    seen.back()
    await ServerWriters(store, "noord", {"noord": home}, clock=lambda: now[0]).renew()
    midden = ServerWriters(store, "midden", {"noord": stand_by}, clock=lambda: now[0], reachability={"noord": seen})
    events = front_office_call("1795424400.1", MONDAY_10, wait=15)
    for event in events[:2]:  # entered, answered
        told(home, event)
    await settled(home)
    home.writer = None
    for event in events[:3]:
        told(stand_by, event)

    lost_at = now[0]
    seen.lost()
    now[0] = lost_at + lost.GRACE_SECONDS + 1
    midden.close_lost()
    await midden.renew()
    midden.close_lost()
    await settled(stand_by)
    journey = store.journey("noord-1795424400.1")
    assert [s.what for s in journey.steps] == ["entered", "answered", "queued", "hung_up"]
    assert stand_by.book.journeys["noord-1795424400.1"] == journey
    stand_by.close()


async def test_a_node_that_comes_back_within_the_grace_period_keeps_its_calls_open(store):
    now = [MONDAY_10 + 100]
    home = recorder(store, "noord")
    reachable = Reachability(lambda: now[0])
    writers = ServerWriters(store, "noord", {"noord": home}, clock=lambda: now[0], reachability={"noord": reachable})
    await writers.renew()
    for event in front_office_call("1795424400.1", MONDAY_10, wait=15)[:3]:
        told(home, event)
    reachable.back()
    reachable.lost()  # noord's own Asterisk restarts
    now[0] += lost.GRACE_SECONDS - 1
    reachable.back()
    now[0] += 60
    writers.close_lost()
    await settled(home)
    [row] = store.calls(0, 2e10)
    assert row.ended_at is None
    # Its own bereik alive, its own Asterisk gone for good: that bereik writes, so it closes them.
    reachable.lost()
    now[0] += lost.GRACE_SECONDS
    writers.close_lost()
    await settled(home)
    [row] = store.calls(0, 2e10)
    assert (row.ended_at, bool(row.cut_off)) == (now[0] - lost.GRACE_SECONDS, True)
    home.close()


async def test_a_transfer_made_from_another_nodes_console_is_in_the_calls_row_once(store):
    """A call on noord; the agent's console is zuid's (it follows noord's AMI). The console writes the transfer's
    steps into the store; noord's bereik, which writes the call, never hears of them, yet the call's row (what the
    report counts) has the transfer once when the call ends."""
    home = recorder(store, "noord")
    console = recorder(store, "noord", writing=False)  # zuid's bereik: its record of noord's calls
    await ServerWriters(store, "noord", {"noord": home}).renew()
    events = front_office_call("1795424400.5", MONDAY_10, wait=15, talk=60)
    for event in events[:4]:  # answered by Anna 25 s in
        told(home, event)
        told(console, event)
    transfer = [(30, TRANSFER_STARTED, {"target": "301"}), (36, TRANSFER_ANSWERED, {"target": "301"}),
                (50, TRANSFER_ENDED, {"target": "301", "outcome": "completed"})]
    for offset, what, detail in transfer:
        console.add_step("1795424400.5", what, MONDAY_10 + offset, detail)
    await settled(console)
    for event in events[4:]:  # the caller hangs up; Asterisk tells the agent's completion
        told(home, event)
        told(console, event)
    await settled(home, console)
    [row] = store.calls(0, 2e10)
    assert transfers_of(row) == (Transfer("301", 5.0, 6.0, True),)
    report = compute([row], CONFIG, ReportRequest.month("2026-11"))
    assert [(a.agent, a.transfers) for a in report.by_agent] == [("Anna", 1)]
    journey = store.journey("noord-1795424400.5")
    assert [s.what for s in journey.steps].count(TRANSFER_STARTED) == 1
    for made in (home, console):
        made.close()


async def a_call_on_noord_followed_by_midden(store, now: list[float]):
    """noord's bereik writing a call waiting in its queue, midden's following it as stand-by, both reaching noord's
    Asterisk (clocks read `now[0]`): (noord's recorder, midden's, their Reachability of noord, their writers)."""
    home = recorder(store, "noord")
    stand_by = recorder(store, "noord", writing=False)
    seen = {name: Reachability(lambda: now[0]) for name in ("noord", "midden")}
    noord = ServerWriters(store, "noord", {"noord": home}, clock=lambda: now[0], reachability={"noord": seen["noord"]})
    midden = ServerWriters(store, "midden", {"noord": stand_by}, clock=lambda: now[0],
                           reachability={"noord": seen["midden"]})
    for reachable in seen.values():
        reachable.back()
    await noord.renew()
    for event in front_office_call("1795424400.1", MONDAY_10, wait=15)[:3]:  # waiting in the queue
        told(home, event)
        told(stand_by, event)
    await settled(home)
    return home, stand_by, seen, noord, midden


async def test_a_call_a_stand_by_closed_as_cut_off_is_not_closed_again_when_its_own_bereik_reconnects(store):
    """noord's Asterisk dies while its bereik stalls (load): its claim lapses and the stand-by closes noord's call as
    cut off. Then noord's Asterisk is back before noord's bereik ran its own check: at the reconnect, the call, open
    in its memory and not up, is closed by the reconcile; in the store it stays closed once, by the stand-by."""
    now = [MONDAY_10 + 100]
    home, stand_by, seen, noord, midden = await a_call_on_noord_followed_by_midden(store, now)

    lost_at = now[0]
    for reachable in seen.values():
        reachable.lost()
    now[0] = lost_at + lost.GRACE_SECONDS + 1  # noord's bereik renewed nothing meanwhile
    await midden.renew()
    midden.close_lost()
    await settled(stand_by)
    assert stand_by.writing and store.journey("noord-1795424400.1").ended

    seen["noord"].back()  # noord's Asterisk is back; its bereik logs in before its own check
    home.reconcile([], [], home.open_calls(), "cel")
    await noord.renew()
    await midden.renew()
    noord.close_lost()
    await settled(home, stand_by)
    journey = store.journey("noord-1795424400.1")
    assert [s for s in journey.steps if s.what == "hung_up"] == [
        Step(lost_at, "hung_up", {"from": lost.LOST, "node": "noord"})]
    [row] = store.calls(0, 2e10)
    assert (row.ended_at, bool(row.cut_off)) == (lost_at, True)
    assert home.book.journeys["noord-1795424400.1"] == journey  # what the store has, whoever closed it
    for made in (home, stand_by):
        made.close()


async def test_what_the_pbx_log_tells_of_a_call_another_bereik_closed_is_added_and_the_close_kept(store):
    """As above, but no bereik saw the caller join the queue; noord's Asterisk's log tells it at the reconnect."""
    now = [MONDAY_10 + 100]
    home = recorder(store, "noord")
    stand_by = recorder(store, "noord", writing=False)
    seen = Reachability(lambda: now[0])
    seen.back()
    await ServerWriters(store, "noord", {"noord": home}, clock=lambda: now[0]).renew()
    midden = ServerWriters(store, "midden", {"noord": stand_by}, clock=lambda: now[0], reachability={"noord": seen})
    for event in front_office_call("1795424400.1", MONDAY_10, wait=15)[:2]:  # entered, answered
        told(home, event)
        told(stand_by, event)
    await settled(home)

    lost_at = now[0]
    seen.lost()
    now[0] = lost_at + lost.GRACE_SECONDS + 1
    await midden.renew()
    midden.close_lost()
    await settled(stand_by)

    queued_at = MONDAY_10 + 10
    logged = [f.QueueJoined(call="1795424400.1", leg="1795424400.1", at=queued_at, queue="tic")]
    home.reconcile([], logged, home.open_calls(), "cel")
    await ServerWriters(store, "noord", {"noord": home}, clock=lambda: now[0]).renew()
    await settled(home)
    journey = store.journey("noord-1795424400.1")
    assert [(s.what, s.at) for s in journey.steps] == [
        ("entered", MONDAY_10), ("answered", MONDAY_10 + 0.2), ("queued", queued_at), ("hung_up", lost_at)]
    assert journey.first("hung_up").detail["from"] == lost.LOST
    assert home.book.journeys["noord-1795424400.1"] == journey
    for made in (home, stand_by):
        made.close()


async def test_a_stand_by_that_takes_over_a_call_closed_meanwhile_neither_reopens_nor_closes_it_again(store):
    """noord's Asterisk dies; noord's bereik closes its call as cut off, but its claim renewals fail (the store is
    slow) and midden, which noticed the loss later, takes over with the call still open in its memory."""
    now = [MONDAY_10 + 100]
    home, stand_by, seen, noord, midden = await a_call_on_noord_followed_by_midden(store, now)

    lost_at = now[0]
    seen["noord"].lost()
    now[0] += 10  # pings 10 s apart
    seen["midden"].lost()
    now[0] = lost_at + lost.GRACE_SECONDS + 1
    noord.close_lost()  # its last renewal was at lost_at
    await settled(home)
    now[0] += 2  # noord's claim lapsed long ago; midden's grace period runs on
    await midden.renew()
    midden.close_lost()
    await settled(stand_by)
    assert stand_by.writing
    [row] = store.calls(0, 2e10)
    assert row.ended_at == lost_at
    now[0] = lost_at + 10 + lost.GRACE_SECONDS
    await midden.renew()
    midden.close_lost()
    await settled(stand_by)
    journey = store.journey("noord-1795424400.1")
    assert [s for s in journey.steps if s.what == "hung_up"] == [
        Step(lost_at, "hung_up", {"from": lost.LOST, "node": "noord"})]
    [row] = store.calls(0, 2e10)
    assert (row.ended_at, bool(row.cut_off)) == (lost_at, True)
    for made in (home, stand_by):
        made.close()
