"""Call-backs on the real Asterisk with SIPp callers and phones, bereik in this process.

- The defect found by real calls: a caller who typed 9, 9, 9 at a menu without a 9 reached the queue
  after the second 9, and the third, 3.4 s later, took them out for a call-back nobody offered. Now a key
  does nothing before the offer, and the caller keeps waiting until an agent answers.
- The call-back that keeps the caller's place: offered in the waiting message, the key, the number read
  back, the confirm key; the caller hangs up and a stand-in keeps the place, ahead of a caller who came
  later. When an agent frees up the agent's phone rings first, the screen-pop shows the original call,
  then the caller's phone rings showing the municipality's number; answered long enough, the note closes
  by itself. The caller who calls again meanwhile hears that the call-back is planned and gets no second.
- Asked for outside opening hours: at the opening a stand-in (a call file) takes the caller's turn.

The caller's own phone is a SIPp phone behind the trunk (127.0.0.1:5080), as the mobile network is.
"""
import asyncio
import datetime as dt
from pathlib import Path

import pytest

from bereik.callbacks.lifecycle import why_not_closable
from bereik.callbacks.store import AFTER_HOURS, CALLED_BACK, NOT_REACHED, QUEUE, CallbackStore, Note
from bereik.console.desk import Desk
from bereik.ivr.catalogue import whispered_texts
from bereik.ivr.prompts import PromptLibrary
from bereik.pbx.note_call import NoteCaller
from bereik.records.store import SqliteStore
from bereik.routing.virtual_hold import offer_text
from bereik.service import Service

from helpers import (Clock, FRONT_OFFICE, ended_journey, generated_with_observer, kinds, observe, pause, recorded,
                     render_prompts, until, variable, waiting_and_call_back_messages, whisper_plays)
from tests.examples import example_config

EXAMPLE = Path(__file__).parents[2] / "examples" / "bloemendaal.yaml"
_EXAMPLE = example_config()
# The first waiting message after one ring (5 s), offering the call-back at once; a call-back answered
# for more than 2 s closes its note.
CONFIG = _EXAMPLE.model_copy(update={
    "waiting": _EXAMPLE.waiting.model_copy(update={"first_after_rings": 1, "callback_offer_callers_ahead": 0}),
    "callbacks": _EXAMPLE.callbacks.model_copy(update={"answered_seconds": 2}),
})
MONDAY_MORNING = dt.datetime(2026, 11, 23, 10, 0, tzinfo=CONFIG.zone)
AFVAL = [("asked", "1"), ("asked", "2")]  # Bloemendaal, then afval: agents 202 and 204
NETWORK = ("127.0.0.1", 5080)  # behind the trunk: where the caller's own phone answers


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    return generated_with_observer(CONFIG, tmp_path_factory.mktemp("asterisk-callbacks"), str(EXAMPLE))


@pytest.fixture
async def pbx(asterisk, ami, generated):
    instance = asterisk(generated[0])
    render_prompts(instance, CONFIG, waiting_and_call_back_messages)
    return instance, await observe(instance, ami, paused=FRONT_OFFICE)


@pytest.fixture
async def bereik(pbx, generated, tmp_path):
    instance, _ = pbx
    _, secrets = generated
    config = recorded(CONFIG, instance)
    clock = Clock(MONDAY_MORNING)
    store = SqliteStore(tmp_path / "calls.sqlite3")
    service = Service(config, secrets, instance.sounds_dir, clock=clock, store=store,
                      callback_store=CallbackStore(store, CONFIG.zone))
    service.clock = clock
    await service.start()
    yield service
    await service.stop()
    store.close()


def spoken(events, channel):
    """What bereik played or asked with over FastAGI on `channel`."""
    return [e for e in events.matching("AGIExecStart", lambda e: e.get("Channel") == channel)
            if e.get("Command", "").startswith(('EXEC "Playback"', 'EXEC "Read"'))]


async def test_a_stray_call_back_key_never_costs_the_caller_its_place(pbx, bereik, sipp):
    """The issue's defect, as found: 9, 9, 9 at a menu without a 9; the third lands seconds after joining."""
    _, events = pbx
    caller = sipp.call("14023", talk_seconds=60, dtmf=[("asked", "1"), ("asked", "9"), ("asked", "9"), ("queued", "9")],
                       from_user="0611111111")
    joined = await events.wait_for_event("QueueCallerJoin", lambda e: e["Queue"] == "tic", timeout=25)
    stray = await events.wait_for_event("DTMFEnd", lambda e: e["Channel"] == joined["Channel"]
                                        and e.get("Direction") == "Received", timeout=15)
    assert float(stray["Timestamp"]) - float(joined["Timestamp"]) < 5  # before any offer (after one ring)

    await asyncio.sleep(3)  # the old defect had the caller out within a second of the key
    gone = [e for e in events.events if e.get("Event") in ("QueueCallerLeave", "QueueCallerAbandon", "Hangup")
            and e.get("Channel") == joined["Channel"]]
    assert gone == [] and bereik.callback_store.open_for_number("0611111111") == []
    phone = sipp.phone("127.0.1.1", ring_seconds=0.2)
    await pause(events, "201", False)
    connected = await events.wait_for_event("AgentConnect", timeout=15)
    assert connected["Channel"] == joined["Channel"]  # its place was kept: an agent answers this caller
    caller.stop()
    phone.stop()


async def test_the_call_back_keeps_the_place_rings_the_agent_first_and_closes_by_the_answered_call(
        pbx, bereik, sipp):
    _, events = pbx
    desk = Desk(CONFIG, bereik.ami, bereik.callback_store, bereik.clock)
    screen = desk.listen("202")
    # The first caller waits for the offer (5 s after joining), presses 9, hears the number, confirms with 1.
    asker = sipp.call("14023", talk_seconds=60, dtmf=[*AFVAL, ("whispered", "9"), ("whispered", "1")], from_user="0644444444")
    asked = await events.wait_for_event("QueueCallerJoin", lambda e: e["Queue"] == "tic", timeout=25)
    later = sipp.call("14023", talk_seconds=90, dtmf=AFVAL, from_user="0655555555")
    behind = await events.wait_for_event("QueueCallerJoin", lambda e: e["CallerIDNum"] == "0655555555", timeout=25)
    assert behind["Position"] == "2"

    left = await events.wait_for_event("QueueCallerLeave", lambda e: e["Channel"] == asked["Channel"], timeout=40)
    stand_in = await events.wait_for_event("QueueCallerJoin", lambda e: e["Channel"].startswith("Local/"), timeout=5)
    assert stand_in["Position"] == "1" and stand_in["CallerIDNum"] == "0644444444"  # the place is kept
    assert float(stand_in["Timestamp"]) - float(left["Timestamp"]) < 1.0
    [note] = bereik.callback_store.open_for_number("0644444444")
    assert note.kind == QUEUE and variable(stand_in, "BEREIK_CALLBACK") == str(note.id)
    assert not events.matching("QueueCallerAbandon", lambda e: e["Channel"] == asked["Channel"]
                               and not variable(e, "BEREIK_CALLBACK"))  # withdrawn for a call-back, not given up
    await asker.succeeds(20)  # Asterisk said goodbye and hung up: the caller is gone
    # Before the key, the waiting message whispered to the caller offered the call-back.
    whispered = PromptLibrary(Path(), CONFIG.language, over_ring=True)
    offers = {whispered.sound_name(t) for t in whispered_texts(CONFIG) if t.endswith(offer_text(CONFIG))}
    first_play = whisper_plays(events, asked)[0]
    assert first_play[1] in offers and first_play[0] < float(left["Timestamp"])
    journey = await ended_journey(bereik.store, asked["Linkedid"])
    assert "callback_requested" in kinds(journey)
    [row] = [r for r in bereik.store.calls(0, 2e10) if r.call_id == asked["Linkedid"]]
    assert row.callback_requested and not row.abandoned  # a call-back asked for is no caller given up

    # The same caller calls again: told the call-back is planned, offered none, and no second note.
    again = sipp.call("14023", talk_seconds=40, dtmf=[*AFVAL, ("whispered", "9"), ("whispered", "1")], from_user="0644444444")
    rejoined = await events.wait_for_event("QueueCallerJoin", lambda e: e["CallerIDNum"] == "0644444444"
                                           and e["Channel"].startswith("PJSIP/") and e["Channel"] != asked["Channel"],
                                           timeout=30)
    planned = PromptLibrary(Path(), CONFIG.language).sound_name(CONFIG.waiting.callback_already_planned)
    assert any(planned in e["Command"] for e in spoken(events, rejoined["Channel"]))
    assert rejoined["Position"] == "3"

    # An agent frees up: the stand-in, first in line, rings the agent; the screen-pop shows the original call.
    agent = sipp.phone("127.0.1.2", ring_seconds=0.5)
    caller_phone = sipp.phone(*NETWORK[:1], port=NETWORK[1], ring_seconds=0.5)
    await pause(events, "202", False)
    called = await events.wait_for_event("AgentCalled", timeout=15)
    assert called["Channel"] == stand_in["Channel"]  # arrival order: before the caller behind
    pop = await asyncio.wait_for(next_of(screen, "ringing"), 5)
    assert (pop["type"], pop["number"], pop["callback"]) == ("ringing", "0644444444", {"note": str(note.id)})
    assert pop["topic"] == "afval" and pop["waited_seconds"] >= float(called["Timestamp"]) - float(asked["Timestamp"]) - 1
    rang = await events.wait_for_event("DialBegin", lambda e: e.get("DestChannel", "").startswith("PJSIP/trunk-"),
                                       timeout=15)
    assert rang["Channel"].startswith("Local/0644444444@bereik-outbound-")  # through the class of service
    connect = events.matching("AgentConnect", lambda e: e["Channel"] == stand_in["Channel"])
    assert connect and float(connect[0]["Timestamp"]) <= float(rang["Timestamp"])  # the agent first, then the caller
    answered = await events.wait_for_event("DialEnd", lambda e: e.get("DestChannel") == rang["DestChannel"], timeout=15)
    assert answered["DialStatus"] == "ANSWER"
    [invite] = caller_phone.received("INVITE")[:1]
    assert invite["From"].startswith('"Gemeente Bloemendaal" <sip:14023@')  # the municipality's number
    assert invite["To"].startswith("<sip:0644444444@")
    await asyncio.sleep(3)  # they talk; then the caller hangs up
    await events.send_action({"Action": "Hangup", "Channel": rang["DestChannel"]})
    await events.wait_for_event("UserEvent", lambda e: e.get("UserEvent") == "BereikCallback", timeout=10)

    closed = await until(lambda: bereik.callback_store.get(note.id), lambda n: n.closed)
    assert closed.outcome == CALLED_BACK and closed.on_time
    [attempt] = bereik.callback_store.attempts(note.id)
    assert attempt.outcome == "answered" and attempt.talk_seconds >= 2 and attempt.target == "PJSIP/202"
    assert [s.what for s in bereik.callback_store.steps(note.id)] == [
        "taken", "stand_in_waiting", "agent_answered", "attempt", "closed"]
    assert [n.key for n in bereik.callback_store.of_team("tic") if n.number == "0644444444"] == [note.key]
    assert not events.matching("QueueCallerLeave", lambda e: e["Channel"] == rejoined["Channel"])  # still waiting
    assert len(caller_phone.received("INVITE")) >= 1 and all(
        i["Call-ID"] == invite["Call-ID"] for i in caller_phone.received("INVITE"))  # called back once
    for party in (later, again, agent, caller_phone):
        party.stop()
    desk.leave("202", screen)


async def test_asked_for_after_hours_the_call_back_takes_its_turn_at_the_opening(pbx, bereik, sipp):
    _, events = pbx
    bereik.clock.set(dt.datetime(2026, 11, 23, 7, 0, tzinfo=CONFIG.zone))  # Monday before 08:30
    asker = sipp.call("14023", talk_seconds=40, dtmf=[("asked", "1"), ("asked", "9"), ("asked", "1")], from_user="0616666666")
    await asker.succeeds(40)  # the closing message, the offer, the read-back, the goodbye
    [note] = bereik.callback_store.open_for_number("0616666666")
    assert note.kind == AFTER_HOURS
    assert await bereik.virtual_hold.place_waiting_requests() == []  # still closed: nothing starts

    bereik.clock.set(dt.datetime(2026, 11, 23, 8, 31, tzinfo=CONFIG.zone))
    placed = await bereik.virtual_hold.place_waiting_requests()
    assert [n.id for n in placed] == [note.id]
    stand_in = await events.wait_for_event("QueueCallerJoin", lambda e: e["Channel"].startswith("Local/"), timeout=10)
    assert stand_in["CallerIDNum"] == "0616666666" and stand_in["Position"] == "1"
    assert await bereik.virtual_hold.place_waiting_requests() == []  # placed once
    agent = sipp.phone("127.0.1.3", ring_seconds=0.2)
    caller_phone = sipp.phone(*NETWORK[:1], port=NETWORK[1], behaviour="no_answer")
    await pause(events, "203", False)
    rang = await events.wait_for_event("DialBegin", lambda e: e.get("DestChannel", "").startswith("PJSIP/trunk-"),
                                       timeout=20)
    assert rang["DialString"].startswith("0616666666@trunk")
    await events.send_action({"Action": "Hangup", "Channel": rang["DestChannel"]})
    await events.wait_for_event("UserEvent", lambda e: e.get("UserEvent") == "BereikCallback", timeout=10)
    attempt = await until(lambda: bereik.callback_store.attempts(note.id), lambda a: a and a[0].ended)
    assert not bereik.callback_store.get(note.id).closed  # not answered: the note stays for the front office
    assert attempt[0].outcome in ("no_answer", "failed")
    for party in (agent, caller_phone):
        party.stop()


async def test_a_note_dialled_from_the_console_rings_the_owner_then_the_caller_with_the_departments_number(
        pbx, bereik, sipp):
    """The console button's path (Console.callback_dial -> NoteCaller.dial): Eva's desk phone first; once she answers
    the caller's phone rings showing Vergunningen's number; a long enough call closes the note by itself."""
    _, events = pbx
    note, _ = bereik.callback_store.add(Note(
        key="console-e2e-1", number="0617777777", name="J. de Wit", question="Dakkapel", team="vergunningen",
        created_at=bereik.clock(), due_at=bereik.clock() + dt.timedelta(days=2), created_by="olaf", owner="301",
        department="vergunningen"))
    eva = sipp.phone("127.0.1.11", ring_seconds=0.5)
    caller_phone = sipp.phone(*NETWORK[:1], port=NETWORK[1], ring_seconds=0.5)
    attempt = await NoteCaller(bereik.config, bereik.callback_store, bereik.clock).dial(note.id, "evasmit", "301")

    owner_rang = await events.wait_for_event("DialBegin", lambda e: e.get("DestChannel", "").startswith("PJSIP/301-"),
                                             timeout=15)
    rang = await events.wait_for_event("DialBegin", lambda e: e.get("DialString", "").startswith("0617777777@trunk"),
                                       timeout=15)
    assert float(owner_rang["Timestamp"]) < float(rang["Timestamp"])  # her own phone first
    assert rang["Channel"].startswith("Local/0617777777@bereik-outbound-")  # through the class of service
    answered = await events.wait_for_event("DialEnd", lambda e: e.get("DestChannel") == rang["DestChannel"], timeout=15)
    assert answered["DialStatus"] == "ANSWER"
    [invite] = caller_phone.received("INVITE")[:1]
    assert invite["From"].startswith('"Vergunningen" <sip:0235115300@')  # the department's caller_id
    [eva_invite] = eva.received("INVITE")[:1]
    assert eva_invite["From"].startswith('"Terugbellen" <sip:0617777777@')  # she sees whom she calls
    await asyncio.sleep(3)
    await events.send_action({"Action": "Hangup", "Channel": rang["DestChannel"]})

    closed = await until(lambda: bereik.callback_store.get(note.id), lambda n: n.closed)
    assert (closed.outcome, closed.closed_by, closed.on_time) == (CALLED_BACK, "evasmit", True)
    [done] = bereik.callback_store.attempts(note.id)
    assert (done.id, done.target, done.outcome) == (attempt.id, "301", "answered") and done.talk_seconds >= 2
    for party in (eva, caller_phone):
        party.stop()


async def test_a_busy_caller_twice_at_different_times_lets_the_owner_close_the_note_as_not_reached(
        pbx, bereik, sipp):
    _, events = pbx
    note, _ = bereik.callback_store.add(Note(
        key="console-e2e-2", number="0618888888", name="", question="WOZ", team="vergunningen",
        created_at=bereik.clock(), due_at=bereik.clock() + dt.timedelta(days=2), created_by="olaf", owner="301",
        department="vergunningen"))
    eva = sipp.phone("127.0.1.11", ring_seconds=0.3, calls=2)
    caller_phone = sipp.phone(*NETWORK[:1], port=NETWORK[1], behaviour="busy", calls=2)
    settings = CONFIG.callbacks
    for attempt_number in (1, 2):
        await NoteCaller(bereik.config, bereik.callback_store, bereik.clock).dial(note.id, "evasmit", "301")
        await until(lambda: bereik.callback_store.attempts(note.id),
                    lambda found: len(found) == attempt_number and found[-1].ended, timeout=30)
        attempts = bereik.callback_store.attempts(note.id)
        refusal = why_not_closable(bereik.callback_store.get(note.id), NOT_REACHED, "", attempts, settings)
        if attempt_number == 1:
            assert refusal and "nu 1" in refusal  # one attempt is not enough
            bereik.clock.set(bereik.clock() + dt.timedelta(hours=2))  # the afternoon
    assert [a.outcome for a in attempts] == ["busy", "busy"] and refusal is None
    assert not bereik.callback_store.get(note.id).closed  # a busy line closes nothing by itself
    for party in (eva, caller_phone):
        await party.succeeds(timeout=10)


async def next_of(listener, kind):
    while (message := await listener.get())["type"] != kind:
        pass
    return message
