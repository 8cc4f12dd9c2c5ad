"""Two Asterisk servers, one store: calls never collide, and a stand-by bereik writes a dead one's calls."""
import asyncio

from bereik.records.recorder import Recorder
from bereik.records.standby import ServerWriters
from tests.ami_facts import told

from .calls import front_office_call
from .test_store import FRONT, MONDAY_10, ZONE


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
