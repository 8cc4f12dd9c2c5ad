"""A direct call to an absent colleague on the real Asterisk: never the empty desk, one sentence, the substitute.

Eva's desk is a UDP socket the test owns at her phone's address: every datagram Asterisk sends there is
kept, so "no INVITE to the desk" is read off the wire. The substitutes are SIPp phones. The absence comes
from the team lead's register (SQLite) or from Outlook's automatic reply, read through bereik's Graph
client from the local server that follows Graph's documented shapes (tests/presence/fake_graph.py).
"""
from __future__ import annotations

import asyncio
import datetime as dt
import importlib.util
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from bereik.config.model import BackOffice
from bereik.forwarding.store import ForwardingStore
from bereik.ivr.catalogue import spoken_texts
from bereik.ivr.phrases import absence_sentence
from bereik.ivr.prompts import PromptLibrary
from bereik.pbx.agi import AgiServer
from bereik.pbx.direct import DirectHandler
from bereik.presence.absence import AbsenceStore
from bereik.presence.book import AbsenceBook
from bereik.presence.configured import ConfigDirectory
from bereik.presence.graph import GraphClient, GraphSettings, OutlookSource
from bereik.presence.merge import Absence
from bereik.secrets import AMI_SECRET, PHONES_SECRET, Secrets

from helpers import OBSERVER, hang_up, variable, write_config_with_observer
from tests.examples import example_config

EXAMPLE = Path(__file__).parents[2] / "examples" / "bloemendaal.yaml"
_spec = importlib.util.spec_from_file_location("fake_graph", Path(__file__).parents[1] / "presence" / "fake_graph.py")
fake_graph = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fake_graph)

EVA_MAIL = "eva.smit@bloemendaal.test"
_example = example_config()
# Eva has a mailbox and a standing substitute (Gijs); one ring, so the suite stays short.
CONFIG = _example.model_copy(update={
    "back_office": BackOffice(rings=1),
    "people": [p.model_copy(update={"email": EVA_MAIL, "substitute": "303"}) if p.extension == "301" else p
               for p in _example.people]})
WEDNESDAY = dt.datetime(2026, 12, 2, 10, 0, tzinfo=CONFIG.zone)
BACK_MONDAY = dt.datetime(2026, 12, 7, 0, 0, tzinfo=CONFIG.zone)
EVA_DESK, FEMKE, GIJS = ("127.0.1.11", 5060), "127.0.1.12", "127.0.1.13"
EVA_DIRECT = "0235115301"


class Desk(asyncio.DatagramProtocol):
    """Eva's empty desk: whatever Asterisk sends to her phone's address."""

    def __init__(self):
        self.received: list[bytes] = []

    def datagram_received(self, data, addr):
        self.received.append(data)

    def invites(self) -> list[bytes]:
        return [d for d in self.received if d.startswith(b"INVITE ")]


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    directory = tmp_path_factory.mktemp("asterisk-absence")
    return write_config_with_observer(CONFIG, Secrets({AMI_SECRET: "e2e-" + "x" * 28, PHONES_SECRET: "phones-" + "p" * 26}), directory, str(EXAMPLE))


@pytest.fixture
async def pbx(asterisk, ami, generated):
    instance = asterisk(generated)
    PromptLibrary(instance.sounds_dir, CONFIG.language).ensure_all(spoken_texts(CONFIG))
    instance.ami = instance.ami.__class__(instance.ami.port, *OBSERVER)
    return instance, await ami(instance)


@pytest.fixture
async def graph():
    server = fake_graph.FakeGraph()
    test_server = TestServer(server.app(), host="127.0.0.1")
    await test_server.start_server()
    server.base = str(test_server.make_url("")).rstrip("/")
    yield server
    await test_server.close()


@pytest.fixture
async def bereik(pbx, graph, tmp_path):
    """bereik's direct-call handler with the absence book: the team lead's register, Outlook, own forwards."""
    clock = lambda: WEDNESDAY
    absences = AbsenceStore(tmp_path / "absences.sqlite3", clock)
    await absences.open()
    forwarding = ForwardingStore(tmp_path / "forwarding.sqlite3", CONFIG)
    session = aiohttp.ClientSession()
    client = GraphClient(GraphSettings(fake_graph.TENANT, fake_graph.CLIENT_ID, fake_graph.CLIENT_SECRET,
                                       "bereik@bloemendaal.test", authority_url=graph.base,
                                       graph_url=graph.base + "/v1.0"), session, clock)
    outlook = OutlookSource(client, lambda: [EVA_MAIL])
    directory = ConfigDirectory(CONFIG, clock)
    book = AbsenceBook(CONFIG, clock, forwarding, absences=absences, outlook=outlook, directory=lambda: directory.index)
    server = AgiServer({"direct": DirectHandler(CONFIG, PromptLibrary(pbx[0].sounds_dir, CONFIG.language), clock, book)},
                       port=4573)
    await server.start()
    loop = asyncio.get_running_loop()
    transport, desk = await loop.create_datagram_endpoint(Desk, local_addr=EVA_DESK)
    yield absences, outlook, desk
    transport.close()
    await server.close()
    await session.close()
    forwarding.close()
    absences.close()


def played(events, channel: str, text: str) -> bool:
    sound = PromptLibrary(Path(), CONFIG.language).sound_name(text)
    return any(sound in e.get("Command", "") for e in events.matching("AGIExecStart")
               if e.get("Channel") == channel and e.get("Command", "").startswith('EXEC "Playback"'))


async def test_the_team_leads_absence_sends_the_call_to_the_substitute_without_ringing_the_desk(pbx, bereik, sipp):
    _, events = pbx
    absences, _, desk = bereik
    await absences.add(Absence("301", WEDNESDAY - dt.timedelta(days=2), BACK_MONDAY, "vakantie", "302", "teamleider"))
    femke = sipp.phone(FEMKE, behaviour="answer", ring_seconds=0.5)
    caller = sipp.call(EVA_DIRECT, talk_seconds=12)

    rang = await events.wait_for_event("DialBegin", lambda e: e.get("DestChannel", "").startswith("PJSIP/302-"),
                                       timeout=20)
    assert variable(rang, "BEREIK_TRIED_VIA") == "302"
    await events.wait_for_event("DialEnd", lambda e: e.get("DestChannel", "").startswith("PJSIP/302-")
                                and e["DialStatus"] == "ANSWER", timeout=10)
    sentence = absence_sentence(CONFIG, "Eva Smit", BACK_MONDAY, WEDNESDAY, "Femke de Boer")
    assert "tot maandag 7 december" in sentence
    assert played(events, rang["Channel"], sentence), "the caller heard the sentence with the date, once"
    await hang_up(pbx[0])  # each party answers Asterisk's BYE: nothing left to retransmit
    caller.stop()
    femke.stop()
    assert not events.matching("DialBegin", lambda e: e.get("DestChannel", "").startswith("PJSIP/301-"))
    assert desk.invites() == [], "no INVITE reached Eva's desk"


async def test_outlooks_automatic_reply_does_the_same_with_the_standing_substitute(pbx, bereik, sipp, graph):
    _, events = pbx
    _, outlook, desk = bereik
    graph.replies = {EVA_MAIL: {
        "status": "scheduled", "externalAudience": "all",
        "scheduledStartDateTime": {"dateTime": "2026-11-30T07:00:00.0000000", "timeZone": "UTC"},
        "scheduledEndDateTime": {"dateTime": "2026-12-06T23:00:00.0000000", "timeZone": "UTC"}}}
    await outlook.refresh()
    assert outlook.status.up
    gijs = sipp.phone(GIJS, behaviour="answer", ring_seconds=0.5)
    caller = sipp.call(EVA_DIRECT, talk_seconds=12)

    rang = await events.wait_for_event("DialBegin", lambda e: e.get("DestChannel", "").startswith("PJSIP/303-"),
                                       timeout=20)
    await events.wait_for_event("DialEnd", lambda e: e.get("DestChannel", "").startswith("PJSIP/303-")
                                and e["DialStatus"] == "ANSWER", timeout=10)
    assert played(events, rang["Channel"], absence_sentence(CONFIG, "Eva Smit", BACK_MONDAY, WEDNESDAY, "Gijs Mulder"))
    await hang_up(pbx[0])  # each party answers Asterisk's BYE: nothing left to retransmit
    caller.stop()
    gijs.stop()
    assert desk.invites() == [], "no INVITE reached Eva's desk"


async def test_absent_with_nobody_to_stand_in_the_caller_goes_to_the_front_office_at_once(pbx, bereik, sipp):
    """Eva's standing substitute Gijs is away too: the call never hops on to a third colleague; the caller
    hears one sentence with the date and joins the front office's queue, and neither desk rings."""
    _, events = pbx
    absences, _, desk = bereik
    await absences.add(Absence("301", WEDNESDAY - dt.timedelta(days=2), BACK_MONDAY, "vakantie", "", "teamleider"))
    await absences.add(Absence("303", WEDNESDAY - dt.timedelta(days=1), BACK_MONDAY, "ziek", "", "teamleider"))
    caller = sipp.call(EVA_DIRECT, talk_seconds=12)

    joined = await events.wait_for_event("QueueCallerJoin", lambda e: e["Queue"] == "tic", timeout=20)
    assert (variable(joined, "BEREIK_TRIED"), variable(joined, "BEREIK_FAILED")) == ("301", "absent")
    sentence = absence_sentence(CONFIG, "Eva Smit", BACK_MONDAY, WEDNESDAY, None)
    assert sentence.startswith("Eva Smit is afwezig tot maandag 7 december.")
    assert played(events, joined["Channel"], sentence), "the caller heard the sentence naming the front office"
    caller.stop()
    assert not events.matching("DialBegin", lambda e: e.get("DestChannel", "").startswith(("PJSIP/301-", "PJSIP/303-")))
    assert desk.invites() == [], "no INVITE reached Eva's desk"
