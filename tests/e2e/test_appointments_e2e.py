"""Call-back appointments (belafspraak) on the real Asterisk, with SIPp callers and phones, bereik in this
process and its Graph client talking to the local server that follows Graph's documented shapes
(tests/presence/fake_graph.py; Microsoft Graph cannot be reached from here).

- After hours a caller asks for the call-back, confirms the number and hears the first free times in the
  calendars of Vergunningen's people; the key chooses one: an event in Gijs's calendar, an appointment note.
- At that time bereik rings Gijs's desk phone, and once he answers the caller's own phone (behind the trunk)
  with Vergunningen's number; the answered call closes the note, on time.
- In the queue, the caller who pressed the call-back key and confirmed the number hears the times whispered,
  still at their place; the key books one and the caller leaves hearing it, without a stand-in.
"""
import asyncio
import datetime as dt
import importlib.util
import time
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer

from bereik.callbacks.store import APPOINTMENT, CALLED_BACK, IVR, QUEUE, CallbackStore
from bereik.config.model import IvrAppointments, PresenceGraph
from bereik.ivr.prompts import PromptLibrary
from bereik.pbx import cel
from bereik.records.store import SqliteStore
from bereik.secrets import AMI_SECRET, GRAPH_SECRET, Secrets
from bereik.service import Service

from helpers import (Clock, FRONT_OFFICE, ended_journey, generated_with_observer, observe, recorded, render_prompts, until,
                     variable,
                     waiting_and_call_back_messages, whisper_plays)
from tests.examples import example_config

_spec = importlib.util.spec_from_file_location("fake_graph", Path(__file__).parents[1] / "presence" / "fake_graph.py")
fake_graph = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fake_graph)

EXAMPLE = Path(__file__).parents[2] / "examples" / "bloemendaal.yaml"
_EXAMPLE = example_config()
EVA, GIJS = "eva.smit@bloemendaal.test", "gijs.mulder@bloemendaal.test"
# In the queue the call-back is offered at the first waiting message, after one ring.
CONFIG = _EXAMPLE.model_copy(update={
    "waiting": _EXAMPLE.waiting.model_copy(update={"first_after_rings": 1, "callback_offer_callers_ahead": 0}),
    "people": [p.model_copy(update={"email": {"301": EVA, "303": GIJS}.get(p.extension)}) for p in _EXAMPLE.people],
    "callbacks": _EXAMPLE.callbacks.model_copy(update={
        "answered_seconds": 2, "appointments": IvrAppointments(department="vergunningen")}),
})
ZONE = CONFIG.zone
AFVAL = [("asked", "1"), ("asked", "2")]  # Bloemendaal, then afval
MONDAY_EARLY = dt.datetime(2026, 11, 23, 7, 0, tzinfo=ZONE)  # before the 08:30 opening
NETWORK = ("127.0.0.1", 5080)  # behind the trunk: where the caller's own phone answers
GIJS_PHONE = "127.0.1.13"
CALLER = "0619999999"  # a Dutch mobile (06-1..06-5): within the class of service


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    return generated_with_observer(CONFIG, tmp_path_factory.mktemp("asterisk-appointments"), str(EXAMPLE))


@pytest.fixture
async def pbx(asterisk, ami, generated):
    instance = asterisk(generated[0])
    render_prompts(instance, CONFIG, waiting_and_call_back_messages)
    return instance, await observe(instance, ami, paused=FRONT_OFFICE)


@pytest.fixture
async def graph():
    fake = fake_graph.FakeGraph()
    server = TestServer(fake.app(), host="127.0.0.1")
    await server.start_server()
    fake.base = str(server.make_url("")).rstrip("/")
    yield fake
    await server.close()


@pytest.fixture
async def bereik(pbx, generated, graph, tmp_path):
    instance, _ = pbx
    _, secrets = generated
    config = recorded(CONFIG, instance,
                      presence=CONFIG.presence.model_copy(update={"graph": PresenceGraph(
                          tenant=fake_graph.TENANT, client_id=fake_graph.CLIENT_ID,
                          schedule_mailbox="bereik@bloemendaal.test", authority_url=graph.base,
                          graph_url=graph.base + "/v1.0")}))
    clock = Clock(MONDAY_EARLY)
    store = SqliteStore(tmp_path / "calls.sqlite3")
    service = Service(config, Secrets({AMI_SECRET: secrets.get(AMI_SECRET), GRAPH_SECRET: fake_graph.CLIENT_SECRET}), instance.sounds_dir,
                      clock=clock, store=store, callback_store=CallbackStore(store, ZONE))
    service.clock = clock
    await service.start()
    service._watching.cancel()  # the test moves the clock and checks the notes itself, once
    yield service
    await service.stop()
    store.close()


def reads(events, channel):
    """The sounds of every Read bereik asked with over FastAGI on `channel`, one list per Read."""
    return [e["Command"].split(",")[1].split("&") for e in events.matching(
        "AGIExecStart", lambda e: e.get("Channel") == channel and e.get("Command", "").startswith('EXEC "Read"'))]


async def test_a_time_chosen_after_hours_is_booked_and_at_that_time_the_colleague_then_the_caller_is_rung(
        pbx, bereik, graph, sipp):
    _, events = pbx
    # Eva is in meetings until 12:00, Gijs until 09:00 (local; winter time is UTC+1).
    graph.calendars[EVA] = fake_graph.calendar(fake_graph.busy("2026-11-23T07:00:00", "2026-11-23T11:00:00"))
    graph.calendars[GIJS] = fake_graph.calendar(fake_graph.busy("2026-11-23T07:00:00", "2026-11-23T08:00:00"))

    # Bloemendaal, the call-back key over the closing message, the number confirmed, the first time.
    asker = sipp.call("14023", talk_seconds=60, dtmf=[("asked", "1"), ("asked", "9"), ("asked", "1"), ("asked", "1")],
                      from_user=CALLER)
    entered = await events.wait_for_event("AGIExecStart", lambda e: e.get("CallerIDNum") == CALLER, timeout=20)
    await asker.succeeds(60)  # the goodbye, then Asterisk hangs up
    library = PromptLibrary(Path(), CONFIG.language)
    menu = reads(events, entered["Channel"])[-1]
    assert menu[1:] == [library.sound_name(t) for t in (
        "Druk 1 voor vandaag 9 uur.", "Druk 2 voor vandaag 11 uur.", "Druk 3 voor een gewone terugbelafspraak.")]
    [event] = graph.events[GIJS]
    assert event["start"] == {"dateTime": "2026-11-23T09:00:00", "timeZone": "Europe/Amsterdam"}
    assert CALLER in event["body"]["content"]
    [note] = bereik.callback_store.open_for_number(CALLER)
    assert (note.kind, note.owner, note.created_by) == (APPOINTMENT, "303", IVR)
    nine = dt.datetime(2026, 11, 23, 9, 0, tzinfo=ZONE)
    assert note.appointment_at == nine
    hangup = await events.wait_for_event("Hangup", lambda e: e.get("Channel") == entered["Channel"], timeout=10)
    assert hangup.get("Cause") == "16"  # a normal goodbye, not a dropped call

    # Not yet at 08:59; at 09:00 the watch rings Gijs's desk phone, and once he answers the caller's phone.
    bereik.clock.set(nine - dt.timedelta(minutes=1))
    assert await bereik.callback_watch.check() == []
    gijs = sipp.phone(GIJS_PHONE, ring_seconds=0.5)
    caller_phone = sipp.phone(*NETWORK[:1], port=NETWORK[1], ring_seconds=0.5)
    bereik.clock.set(nine)
    assert await bereik.callback_watch.check() == [(note.id, "ring")]
    owner_rang = await events.wait_for_event("DialBegin", lambda e: e.get("DestChannel", "").startswith("PJSIP/303-"),
                                             timeout=20)
    rang = await events.wait_for_event("DialBegin", lambda e: e.get("DialString", "").startswith(f"{CALLER}@trunk"),
                                       timeout=20)
    assert float(owner_rang["Timestamp"]) < float(rang["Timestamp"])  # the colleague first, then the caller
    answered = await events.wait_for_event("DialEnd", lambda e: e.get("DestChannel") == rang["DestChannel"], timeout=15)
    assert answered["DialStatus"] == "ANSWER"
    [invite] = caller_phone.received("INVITE")[:1]
    assert invite["From"].startswith('"Vergunningen" <sip:0235115300@')  # the department's number
    await asyncio.sleep(3)  # they talk; then the caller hangs up
    await events.send_action({"Action": "Hangup", "Channel": rang["DestChannel"]})

    closed = await until(lambda: bereik.callback_store.get(note.id), lambda n: n.closed)
    assert (closed.outcome, closed.on_time) == (CALLED_BACK, True)
    [attempt] = bereik.callback_store.attempts(note.id)
    assert (attempt.target, attempt.outcome) == ("303", "answered") and attempt.talk_seconds >= 2
    assert await bereik.callback_watch.check() == []  # rung once
    # Asterisk's own CEL log of that call: the colleague's phone answered before the caller's, one linked call.
    records = await until(lambda: cel.read(bereik.config.records.asterisk_cel, [rang["DestLinkedid"]]),
                          lambda found: any(r.eventtype == "HANGUP" and r.channel.startswith("PJSIP/trunk-")
                                            for r in found))
    answered_at = {r.channel.split("-")[0]: r.eventtime for r in records if r.eventtype == "ANSWER"}
    assert answered_at["PJSIP/303"] < answered_at["PJSIP/trunk"]
    # The wallboard's share of call-backs on time this month, in all and for Vergunningen.
    board = bereik.floor.snapshot(time.time())["callbacks"]
    assert board["on_time"] == 1.0 and list(map(tuple, board["on_time_by_department"])) == [("Vergunningen", 1.0)]
    for party in (gijs, caller_phone):
        party.stop()


async def test_in_the_queue_the_confirmed_caller_chooses_a_time_and_leaves_without_a_stand_in(pbx, bereik, graph, sipp):
    _, events = pbx
    bereik.clock.set(dt.datetime(2026, 11, 23, 10, 0, tzinfo=ZONE))  # Monday, open; every agent paused
    graph.calendars[EVA] = fake_graph.calendar(fake_graph.busy("2026-11-23T07:00:00", "2026-11-23T11:00:00"))
    graph.calendars[GIJS] = fake_graph.calendar(fake_graph.busy("2026-11-23T07:00:00", "2026-11-23T08:00:00"))
    # Bloemendaal, afval; the call-back key at the offer, the number confirmed at the read-back, then the
    # first time as the times are whispered.
    asker = sipp.call("14023", talk_seconds=90, dtmf=[*AFVAL, ("whispered", "9"), ("whispered", "1"), ("whispered", "1")],
                      from_user=CALLER)
    joined = await events.wait_for_event("QueueCallerJoin", lambda e: e["CallerIDNum"] == CALLER, timeout=25)
    left = await events.wait_for_event("QueueCallerLeave", lambda e: e["Channel"] == joined["Channel"], timeout=60)
    await asker.succeeds(30)  # the time said, then Asterisk hangs up

    whispered = PromptLibrary(Path(), CONFIG.language, over_ring=True)
    plays = [sound for when, sound in whisper_plays(events, joined) if when < float(left["Timestamp"])]
    times = [whispered.sound_name(t) for t in ("Druk 1 voor vandaag 11 uur.", "Druk 2 voor vandaag 13 uur.",
                                               "Druk 3 voor een gewone terugbelafspraak.")]
    assert any(all(name in sound for name in times) for sound in plays)  # the times, whispered in the queue
    [event] = graph.events[GIJS]
    assert event["start"] == {"dateTime": "2026-11-23T11:00:00", "timeZone": "Europe/Amsterdam"}
    [note] = bereik.callback_store.open_for_number(CALLER)
    assert (note.kind, note.owner, note.created_by) == (APPOINTMENT, "303", IVR)
    assert note.appointment_at == dt.datetime(2026, 11, 23, 11, 0, tzinfo=ZONE)
    goodbye = PromptLibrary(Path(), CONFIG.language).sound_name(
        "Dank u wel. Uw afspraak is vandaag 11 uur. Dan bellen wij u op dit nummer. Tot ziens.")
    # The dialplan's ExecIf after Queue() plays it (Newexten shows its data with the sound filled in).
    assert events.matching("Newexten", lambda e: e.get("Channel") == joined["Channel"]
                           and e.get("Application") == "ExecIf" and f"Playback({goodbye})" in e.get("AppData", ""))
    assert not events.matching("QueueCallerJoin", lambda e: e["Channel"].startswith("Local/"))  # no stand-in
    # app_queue reports the withdrawal as an abandon; the note on the channel says it was none.
    assert all(variable(e, "BEREIK_CALLBACK") == str(note.id) for e in events.matching(
        "QueueCallerAbandon", lambda e: e["Channel"] == joined["Channel"]))
    await ended_journey(bereik.store, joined["Linkedid"])
    [row] = [r for r in bereik.store.calls(0, 2e10) if r.call_id == joined["Linkedid"]]
    assert row.callback_requested and not row.abandoned


@pytest.mark.parametrize("way", ["graph_down", "no_key"])
async def test_in_the_queue_no_time_read_or_none_chosen_the_stand_in_keeps_the_place(pbx, bereik, graph, sipp, way):
    """Never a dead end: calendars that do not answer, or a caller who lets the times pass, get the ordinary
    call-back, and a stand-in takes the caller's place at once."""
    _, events = pbx
    bereik.clock.set(dt.datetime(2026, 11, 23, 10, 0, tzinfo=ZONE))
    graph.calendars[GIJS] = fake_graph.calendar()
    if way == "graph_down":
        graph.fail(50)  # every Graph call answers 503 (the client retries until lookup_seconds is up)
    asker = sipp.call("14023", talk_seconds=90, dtmf=[*AFVAL, ("whispered", "9"), ("whispered", "1")],
                      from_user=CALLER)
    joined = await events.wait_for_event("QueueCallerJoin", lambda e: e["CallerIDNum"] == CALLER, timeout=25)
    left = await events.wait_for_event("QueueCallerLeave", lambda e: e["Channel"] == joined["Channel"], timeout=60)
    stand_in = await events.wait_for_event("QueueCallerJoin", lambda e: e["Channel"].startswith("Local/"), timeout=5)
    assert stand_in["Position"] == "1" and stand_in["CallerIDNum"] == CALLER
    [note] = bereik.callback_store.open_for_number(CALLER)
    assert note.kind == QUEUE and variable(stand_in, "BEREIK_CALLBACK") == str(note.id)
    assert graph.events == {}
    whispered = PromptLibrary(Path(), CONFIG.language, over_ring=True)
    ordinary = whispered.sound_name("Druk 3 voor een gewone terugbelafspraak.")
    heard = [sound for when, sound in whisper_plays(events, joined) if when < float(left["Timestamp"])]
    assert any(ordinary in sound for sound in heard) is (way == "no_key")  # the times were said, or none read
    await asker.succeeds(30)


async def test_in_the_queue_a_caller_who_hangs_up_before_choosing_a_time_keeps_the_call_back_and_the_place(
        pbx, bereik, graph, sipp):
    """It confirmed the number, then hung up while the times were read or said: the call-back it confirmed
    stands, and a stand-in (a call file: the caller's channel is gone) takes its place."""
    _, events = pbx
    bereik.clock.set(dt.datetime(2026, 11, 23, 10, 0, tzinfo=ZONE))
    graph.calendars[GIJS] = fake_graph.calendar()
    ahead = sipp.call("14023", talk_seconds=120, dtmf=AFVAL, from_user="0655555555")
    await events.wait_for_event("QueueCallerJoin", lambda e: e["CallerIDNum"] == "0655555555", timeout=25)
    # The caller hangs up 5 s after confirming the number.
    asker = sipp.call("14023", talk_seconds=5, dtmf=[*AFVAL, ("whispered", "9"), ("whispered", "1")],
                      from_user=CALLER)
    joined = await events.wait_for_event("QueueCallerJoin", lambda e: e["CallerIDNum"] == CALLER, timeout=25)
    assert joined["Position"] == "2"
    gone = await events.wait_for_event("QueueCallerAbandon", lambda e: e["Channel"] == joined["Channel"], timeout=60)
    assert not variable(gone, "BEREIK_CALLBACK")  # the caller hung up: bereik withdrew nobody
    stand_in = await events.wait_for_event("QueueCallerJoin", lambda e: e["Channel"].startswith("Local/"), timeout=15)
    assert stand_in["CallerIDNum"] == CALLER and stand_in["Position"] == "2"  # its place, behind the first caller
    [note] = bereik.callback_store.open_for_number(CALLER)
    assert note.kind == QUEUE and variable(stand_in, "BEREIK_CALLBACK") == str(note.id) and graph.events == {}
    await asyncio.to_thread(asker.wait, 10)
    ahead.stop()
