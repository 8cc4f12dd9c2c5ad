"""Each citizen's call registered as a contact in a local Klantinteracties API (the shapes VNG publishes,
checked strictly by tests/integrations/klantinteracties_server.py): answered and wrapped up, fallen back from
a colleague, a caller who asked to be called back, and the call-back kept; a registration that is down
gets the contact later, once."""
import asyncio
import datetime as dt
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from aiohttp.test_utils import TestServer

from bereik.callbacks.store import Note
from bereik.config.model import Integrations
from bereik.integrations import webhooks as wh
from bereik.integrations.klantinteracties import Registration
from bereik.records.recorder import Recorder
from bereik.records.store import SqliteStore
from bereik.records.summary import CALLBACK_REQUESTED, WRAPPED_UP
from bereik.secrets import Secrets
from tests.ami_facts import told
from tests.records.calls import front_office_call
from tests.examples import example_config

from .klantinteracties_server import KlantinteractiesApi

EXAMPLE = Path(__file__).parents[2] / "examples" / "bloemendaal.yaml"
TOKEN = "a-long-klantinteracties-api-token"
NOW = time.time()


@pytest.fixture
async def api():
    fake = KlantinteractiesApi(TOKEN)
    server = TestServer(fake.app(), host="127.0.0.1")
    await server.start_server()
    fake.root = f"http://127.0.0.1:{server.port}/klantinteracties/api/v1"
    yield fake
    await server.close()


@pytest.fixture
async def registered(api, tmp_path, monkeypatch):
    monkeypatch.setattr(wh, "FIRST_RETRY_SECONDS", 0.1)
    monkeypatch.setattr(wh, "LAST_RETRY_SECONDS", 0.2)
    config = example_config().model_copy(update={"integrations": Integrations(
        klantinteracties={"url": api.root, "token": "BEREIK_KLANTINTERACTIES_SECRET", "wrap_up_seconds": 300})})
    registration = Registration(config, Secrets({"BEREIK_KLANTINTERACTIES_SECRET": TOKEN}),
                                wh.Outbox(tmp_path / "outbox.sqlite3"))
    store = SqliteStore(tmp_path / "calls.sqlite3")
    recorder = Recorder(store, ZoneInfo("Europe/Amsterdam"), frozenset({"14023"}), clock=lambda: NOW + 3600)
    recorder.on_step(registration.step)
    recorder.start()
    await registration.start()
    yield registration, recorder
    await registration.stop()
    recorder.close()
    store.close()
    registration.outbox.close()


async def contacts(api, registration, count: int, seconds: float = 10.0) -> list[dict]:
    """The contacts once `count` are made and nothing waits (each with its betrokkene and address)."""
    deadline = time.monotonic() + seconds
    while (len(api.created["klantcontacten"]) < count or registration.outbox.waiting()) \
            and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert api.refused == []
    assert len(api.created["klantcontacten"]) == count, api.created
    return api.created["klantcontacten"]


def caller_of(api, contact: dict) -> str:
    """The number on the contact's betrokkene (role klant), as the API links them."""
    [betrokkene] = [b for b in api.created["betrokkenen"] if b["hadKlantcontact"]["uuid"] == contact["uuid"]]
    assert betrokkene["rol"] == "klant" and betrokkene["initiator"] is True
    [address] = [a for a in api.created["digitaleadressen"]
                 if a["verstrektDoorBetrokkene"] and a["verstrektDoorBetrokkene"]["uuid"] == betrokkene["uuid"]]
    assert address["soortDigitaalAdres"] == "telefoonnummer"
    return address["adres"]


async def test_an_answered_call_is_registered_with_its_wrap_up(api, registered):
    registration, recorder = registered
    for event in front_office_call("c1", NOW - 200, wait=12, agent="Anna de Vries", caller="0612345678"):
        told(recorder, event)
    await asyncio.sleep(0.5)
    assert api.created["klantcontacten"] == []  # it waits for the agent's wrap-up
    recorder.add_step("c1", WRAPPED_UP, NOW - 60, {"topic": "Afval", "resolved": "yes", "callback_note": "no"})
    [contact] = await contacts(api, registration, 1)
    assert {k: contact[k] for k in ("kanaal", "onderwerp", "indicatieContactGelukt", "verdereActieOndernomen",
                                    "taal", "vertrouwelijk")} == {
        "kanaal": "telefoon", "onderwerp": "Afval", "indicatieContactGelukt": True, "verdereActieOndernomen": False,
        "taal": "nld", "vertrouwelijk": False}
    assert contact["inhoud"] == ("Keuze in het menu: Afval, grofvuil of een kapotte container. "
                                 "Aangenomen door Anna de Vries na 12 s wachten. Direct geholpen.")
    assert contact["plaatsgevondenOp"] == dt.datetime.fromtimestamp(
        NOW - 200, dt.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
    assert caller_of(api, contact) == "0612345678"


async def test_a_call_fallen_back_from_a_colleague_says_whom_the_caller_tried(api, registered):
    registration, recorder = registered
    call = {"Linkedid": "d1", "Uniqueid": "d1", "Channel": "PJSIP/trunk-00000007"}
    at = lambda seconds: f"{NOW - 300 + seconds:.3f}"  # noqa: E731
    for event in [
        {"Event": "Newchannel", **call, "CallerIDNum": "+31201234567", "CallerIDName": "", "Exten": "0235115301",
         "Timestamp": at(0)},
        {"Event": "DialBegin", **call, "Context": "bereik-direct", "DestChannel": "PJSIP/301-00000002", "Timestamp": at(1)},
        {"Event": "DialEnd", **call, "Context": "bereik-direct", "DestChannel": "PJSIP/301-00000002",
         "DialStatus": "NOANSWER", "Timestamp": at(21)},
        {"Event": "QueueCallerJoin", **call, "Queue": "tic", "Position": "1", "Timestamp": at(22),
         "ChanVariable(BEREIK_TRIED)": "301", "ChanVariable(BEREIK_FAILED)": "noanswer"},
        {"Event": "AgentConnect", **call, "Queue": "tic", "MemberName": "Bram Jansen", "Interface": "PJSIP/202",
         "HoldTime": "8", "RingTime": "3", "Timestamp": at(30)},
        {"Event": "Hangup", **call, "Cause-txt": "Normal Clearing", "Timestamp": at(90)},
        {"Event": "AgentComplete", **call, "Queue": "tic", "MemberName": "Bram Jansen", "TalkTime": "60",
         "Reason": "caller", "Timestamp": at(90.01)},
    ]:
        told(recorder, event)
    recorder.add_step("d1", WRAPPED_UP, NOW - 100, {"topic": "Vergunningen", "resolved": "no", "callback_note": "yes"})
    [contact] = await contacts(api, registration, 1)
    assert contact["onderwerp"] == "Vergunningen" and contact["indicatieContactGelukt"] is True
    assert "Belde Eva Smit (Vergunningen), die niet opnam; teruggevallen naar het klantcontactcentrum." \
        in contact["inhoud"]
    assert "Aangenomen door Bram Jansen" in contact["inhoud"] and "Terugbelnotitie gemaakt." in contact["inhoud"]
    assert contact["verdereActieOndernomen"] is True  # a call-back note follows
    assert caller_of(api, contact) == "+31201234567"


async def test_a_caller_who_asked_to_be_called_back_and_the_call_back_kept(api, registered):
    registration, recorder = registered
    events = front_office_call("c2", NOW - 400, wait=30, agent=None, caller="0687654321")
    for event in events[:3]:  # entered, answered, queued
        told(recorder, event)
    recorder.add_step("c2", CALLBACK_REQUESTED, NOW - 370, {"via": "queue"})
    for event in events[3:]:
        told(recorder, event)
    [asked] = await contacts(api, registration, 1)  # nobody to wrap up: registered at once
    assert asked["indicatieContactGelukt"] is False and asked["verdereActieOndernomen"] is True
    assert "De beller vroeg om terugbellen." in asked["inhoud"] and asked["onderwerp"] == "Afval"
    zone = ZoneInfo("Europe/Amsterdam")
    note = Note(key="queue-c2", number="0687654321", name="", question="Container niet geleegd", team="tic",
                created_at=dt.datetime(2026, 11, 23, 10, tzinfo=zone), due_at=dt.datetime(2026, 11, 25, 17, tzinfo=zone),
                created_by="queue", closed_at=dt.datetime(2026, 11, 24, 9, 30, tzinfo=zone), closed_by="anna",
                outcome="called_back", id=7)
    registration.note_done(Note(**{**note.__dict__, "outcome": "handled", "id": 8}), "Anna de Vries")  # e-mail
    registration.note_done(note, "Anna de Vries")
    kept = (await contacts(api, registration, 2))[1]
    assert kept["onderwerp"] == "Teruggebeld" and kept["indicatieContactGelukt"] is True
    assert kept["inhoud"] == "Teruggebeld door Anna de Vries over: Container niet geleegd"
    assert kept["plaatsgevondenOp"] == "2026-11-24T08:30:00Z"
    assert caller_of(api, kept) == "0687654321"


async def test_a_registration_that_fails_halfway_is_finished_later_without_a_second_contact(api, registered):
    registration, recorder = registered
    api.fail_next = {"betrokkenen": 2}
    events = front_office_call("c3", NOW - 500, wait=40, agent=None, caller="0611112222")
    for event in events:
        told(recorder, event)
    [contact] = await contacts(api, registration, 1)
    assert caller_of(api, contact) == "0611112222"
    await asyncio.sleep(0.3)
    assert len(api.created["klantcontacten"]) == 1 and len(api.created["betrokkenen"]) == 1
    assert registration.outbox.waiting() == {}


async def test_a_hidden_number_makes_a_contact_without_a_betrokkene(api, registered):
    registration, recorder = registered
    for event in front_office_call("c4", NOW - 600, wait=3, agent=None, caller="anonymous"):
        told(recorder, event)
    [contact] = await contacts(api, registration, 1)
    assert api.created["betrokkenen"] == []  # no number the API takes, so no betrokkene with an address
    assert contact["indicatieContactGelukt"] is False
