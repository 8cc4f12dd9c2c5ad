"""The console in a real headless Chromium, against the real Asterisk: screen-pop, warm transfer, recording.

A SIPp caller chooses option 1 (burgerzaken), the queue rings the agent's SIPp phone (201), the
screen-pop appears in the browser; the agent finds a colleague (Eva Smit, a SIPp phone at
127.0.1.11), transfers warm and completes or cancels. Assertions on what Asterisk reports.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import math
import re
import struct
import time
import wave
from pathlib import Path

import pytest

from bereik.config.model import Console, ConsoleUser, Presence, Records, Wallboard
from bereik.console.auth import Verdict
from bereik.ivr.catalogue import spoken_texts
from bereik.ivr.prompts import PromptLibrary
from bereik.records.store import SqliteStore
from bereik.records.summary import summarise
from bereik.secrets import AMI_SECRET, PHONES_SECRET, Secrets
from bereik.pbx import members
from bereik.service import Service, pretend_clock

from bereik.pbx.backoff import Backoff
from helpers import (OBSERVER, Cut, call_state_shown, enabled, follow_call_states, hang_up, record_sockets,
                     write_config_with_observer)
from tests.examples import example_config
from tests.polling import until

EXAMPLE = Path(__file__).parents[2] / "examples" / "bloemendaal.yaml"
MONDAY_MORNING = dt.datetime(2026, 11, 23, 10, 0)
AGENT_PHONE, EVA_PHONE = "127.0.1.1", "127.0.1.11"
# Functions and selectors, never string predicates: the console's CSP has no 'unsafe-eval'.
SOCKET_OPEN = """() => new Promise((resolve) => { const check = () =>
  (window.bereikSocket && window.bereikSocket.readyState === 1) ? resolve() : setTimeout(check, 20); check(); })"""


def config_for(root: Path, state: Path):
    """`state`: where the absences of this test's presence service are kept."""
    base = example_config()
    (root / "var/log/asterisk/cel-custom").mkdir(parents=True, exist_ok=True)
    console = Console(
        listen="127.0.0.1:0", secure_cookies=False, users=[ConsoleUser(login="anna", extension="201", may_pick=True),
                                                     ConsoleUser(login="bram", extension="202")],
        team_mailboxes={"tic": "kcc@bloemendaal.test"}, transfer_ring_seconds=15,
        recordings_dir=str(root / "var/spool/asterisk/monitor"))
    return base.model_copy(update={
        "console": console, "wallboard": Wallboard(listen="127.0.0.1:0"),
        # No LDAP: the directory is the example's own people and agents, as `bereik run` builds it.
        "presence": Presence(absences_store=str(state / "absences.sqlite3")),
        "records": Records(asterisk_cel=str(root / "var/log/asterisk/cel-custom/bereik.csv")),
        "pbx": base.pbx.model_copy(update={"call_files": str(root / "var/spool/asterisk/outgoing")})})


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    directory = tmp_path_factory.mktemp("asterisk-console")
    secrets = Secrets({AMI_SECRET: "e2e-" + "x" * 28, PHONES_SECRET: "phones-" + "p" * 26})
    return write_config_with_observer(example_config(), secrets, directory, str(EXAMPLE)), secrets


def music_on_hold(root: Path) -> None:
    """The sandbox has no music on hold; a held caller needs something to hear (8 kHz tones)."""
    (root / "usr/share/asterisk/moh").mkdir(parents=True, exist_ok=True)
    target = root / "usr/share/asterisk/moh/bereik-tones.wav"  # Debian's astdatadir
    if target.exists():
        return
    frames = bytearray()
    for note in (523.25, 659.25, 783.99, 659.25) * 4:
        frames += b"".join(struct.pack("<h", int(6000 * math.sin(2 * math.pi * note * n / 8000)))
                           for n in range(4000))
    with wave.open(str(target), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(bytes(frames))


@pytest.fixture
async def pbx(sandbox_root, asterisk, ami, generated):
    directory, _ = generated
    music_on_hold(sandbox_root)  # before Asterisk starts: it reads the class's files at load
    instance = asterisk(directory)
    PromptLibrary(instance.sounds_dir, "nl").ensure_all(spoken_texts(example_config()))
    instance.ami = instance.ami.__class__(instance.ami.port, *OBSERVER)
    return instance, await ami(instance)


class OneLogin:
    async def check(self, login, password):
        return Verdict() if (login, password) in (("anna", "anna-pw"), ("bram", "bram-pw")) else None


@pytest.fixture
async def console(pbx, generated, tmp_path):
    """bereik with the console and the directory; the agent's phone is the only free position."""
    instance, _ = pbx
    config = config_for(instance.root, tmp_path)
    clock = pretend_clock(config, MONDAY_MORNING)
    service = Service(config, generated[1], instance.sounds_dir, clock=clock,
                      store=SqliteStore(tmp_path / "calls.sqlite3"))
    service.console.authenticator = OneLogin()
    await service.start()
    for extension in ("202", "203", "204"):
        await members.set_paused(service.ami, ["tic"], f"PJSIP/{extension}", True, "test")
    yield service
    await service.stop()
    service.store.close()


async def agent_page(browser, service, login="anna"):
    page = await (await browser.new_context()).new_page()  # a context each: its own session cookie
    record_sockets(page)
    base = f"http://127.0.0.1:{service.console.port}"
    await page.goto(base + "/")
    await page.fill("#login", login)
    await page.fill("#password", f"{login}-pw")
    await page.click("button[type=submit]")
    try:
        await page.wait_for_selector("#screenpop", timeout=10_000)
    except Exception:
        raise AssertionError(f"not logged in at {page.url}: {(await page.content())[:600]}") from None
    await page.evaluate(SOCKET_OPEN)
    await follow_call_states(page)
    return page


async def call_in(sipp, page, events, talk_seconds=30):
    sipp.phone(AGENT_PHONE, ring_seconds=1.5)
    # Option 1 (burgerzaken): Anna (201) is trained for it, so the queue rings her at once.
    caller = sipp.call("14023", talk_seconds=talk_seconds, dtmf=[("asked", "1"), ("asked", "1")])
    await events.wait_for_event("AgentCalled", lambda e: e["Interface"] == "PJSIP/201", timeout=25)
    # The phone answers after 1.5 s: the ringing screen-pop may be gone before a loaded machine looks (ci27).
    ringing = await call_state_shown(page, "ringing")
    connected = await events.wait_for_event("AgentConnect", lambda e: e["Interface"] == "PJSIP/201", timeout=15)
    await call_state_shown(page, "connected")
    return caller, connected, ringing


async def transfer_to_eva(page, events):
    await page.press("body", "/")  # keyboard first: "/" jumps to the search
    await page.keyboard.type("Eva")
    await page.wait_for_selector("#results[data-query='Eva'] button.person[data-extension='301']")
    await page.keyboard.press("ArrowDown")
    await page.keyboard.press("Enter")  # Eva is chosen: looking up is not yet transferring
    await enabled(page, "transfer")
    await page.keyboard.press("Alt+D")  # transfer
    await events.wait_for_event("DialBegin", lambda e: e.get("DestChannel", "").startswith("PJSIP/301-"), timeout=10)
    await enabled(page, "complete", timeout=15)


def _current_bridges(events) -> dict[str, str]:
    """Channel -> the bridge it is in now, from BridgeEnter and BridgeLeave."""
    now: dict[str, str] = {}
    for event in events.events:
        if event.get("Event") == "BridgeEnter":
            now[event["Channel"]] = event["BridgeUniqueid"]
        elif event.get("Event") == "BridgeLeave" and now.get(event["Channel"]) == event["BridgeUniqueid"]:
            del now[event["Channel"]]
    return now


async def bridged(events, channel: str, other_prefix: str, timeout: float = 30.0) -> bool:
    """Whether `channel` talks to a channel starting with `other_prefix`: in one bridge, or in two
    bridges joined by the two halves of one Local channel (Asterisk may optimise it away later)."""
    for _ in range(int(timeout * 10)):
        now = _current_bridges(events)
        mine = now.get(channel)
        others = {b for c, b in now.items() if c.startswith(other_prefix)}
        if mine in others:
            return True
        halves = {c[:-2]: c for c, b in now.items() if c.startswith("Local/") and c.endswith(";1") and b == mine}
        if any(now.get(base + ";2") in others for base in halves):
            return True
        await asyncio.sleep(0.1)
    return False


async def test_screen_pop_then_warm_transfer_completed_bridges_caller_and_colleague(console, pbx, sipp, browser):
    instance, events = pbx
    page = await agent_page(browser, console)
    eva = sipp.phone(EVA_PHONE, ring_seconds=2)
    caller, connected, ringing = await call_in(sipp, page, events)
    # What the agent reads at each state of the real call, in words and one state at a time.
    assert re.search(r"Gaat over: [^\n]+ sinds \d\d:\d\d", ringing), ringing
    assert "Burgerzaken: een paspoort, identiteitskaart, rijbewijs of een verhuizing" in ringing
    assert "Bloemendaal" in ringing and "(1)" not in ringing
    pop = await page.inner_text("#screenpop")
    assert re.search(r"In gesprek sinds \d\d:\d\d", pop) and "Gaat over" not in pop, pop

    await transfer_to_eva(page, events)
    assert "overleg" in await page.text_content("#transfer-state")
    # live presence: Eva's phone is in use now, and the search result on screen says so without a new search
    await page.wait_for_selector("span.presence[data-person='301'].presence-on_the_phone")
    await page.keyboard.press("Alt+V")  # keyboard only, as the whole transfer
    done = await events.wait_for_event("AttendedTransfer", timeout=10)
    assert done["Result"] == "Success" and done["DestType"] == "Bridge", done
    assert done["TransfereeChannel"] == connected["Channel"]  # the caller ...
    assert done.get("TransferTargetChannel", "").startswith("Local/301@"), done  # ... goes to the dial towards Eva
    assert await bridged(events, connected["Channel"], "PJSIP/301-"), _current_bridges(events)  # with her
    await page.wait_for_selector("#transfer-state:has-text('Doorverbonden')")
    await page.wait_for_selector("#call-state.call-ended")  # the agent's part of the call is over
    pop = await page.inner_text("#screenpop")
    assert re.search(r"Beëindigd om \d\d:\d\d", pop) and "In gesprek" not in pop and "Gaat over" not in pop, pop
    await hang_up(instance)
    await caller.succeeds(timeout=40)
    await eva.succeeds(timeout=10)
    steps = [s.what for s in console.recorder.book.journeys[connected["Linkedid"]].steps]
    assert "transfer_started" in steps and "transfer_answered" in steps and "transfer_ended" in steps


async def test_recording_then_cancel_returns_the_caller(console, pbx, sipp, browser):
    instance, events = pbx
    page = await agent_page(browser, console)
    sipp.phone(EVA_PHONE, ring_seconds=1)
    # The caller holds on until Anna hangs up: a loaded machine took more than 25 s to get to the transfer, and
    # the caller who had hung up by then left nothing to transfer.
    caller, connected, _ = await call_in(sipp, page, events, talk_seconds=120)

    monitor = instance.root / "var/spool/asterisk/monitor"
    earlier = set(monitor.glob("bereik-*.wav"))
    await page.click("#record")
    await page.wait_for_selector("#record[aria-pressed='true']")
    await asyncio.sleep(2)
    await page.click("#record")
    await events.wait_for_event("MixMonitorStop", timeout=30)
    deadline = time.monotonic() + 30
    while not (files := [f for f in set(monitor.glob("bereik-*-anna+*.wav")) - earlier if f.stat().st_size > 44]):
        # MixMonitor finishes the file just after it stops
        assert time.monotonic() < deadline, f"no recording with sound in {sorted(p.name for p in monitor.iterdir())}"
        await asyncio.sleep(0.1)
    with wave.open(str(files[0])) as recorded:  # playable: a WAV Python's own reader accepts, with sound
        assert recorded.getnframes() > 0 and recorded.getframerate() == 8000

    await transfer_to_eva(page, events)
    await page.keyboard.press("Alt+T")  # back to the caller, by keyboard
    await events.wait_for_event("Hangup", lambda e: e.get("Channel", "").startswith("PJSIP/301-"), timeout=10)
    first = await events.wait_for_event("BridgeEnter", lambda e: e.get("Channel") == connected["DestChannel"])
    await events.wait_for_event(  # the agent's leg goes back into the caller's bridge
        "BridgeEnter", lambda e: e.get("Channel") == connected["DestChannel"] and e is not first
        and e["BridgeUniqueid"] == first["BridgeUniqueid"], timeout=30)
    assert not events.matching("AttendedTransfer", lambda e: e.get("Result") == "Success")
    assert not events.matching("Hangup", lambda e: e.get("Channel") == connected["Channel"])  # caller still there
    await page.wait_for_selector("#transfer-state:has-text('Terug bij')")

    listed = await page.evaluate("() => fetch('/api/recordings').then((r) => r.json())")
    url, = [r["url"] for r in listed["recordings"] if r["name"] == files[0].name]
    response = await page.request.get(f"http://127.0.0.1:{console.console.port}{url}")
    assert response.status == 200 and response.headers["content-type"] == "audio/wav"
    await page.click("#hangup")
    await caller.succeeds(timeout=40)  # Asterisk's BYE ends the call


async def member(service, interface="PJSIP/201") -> dict:
    """The member as Asterisk has it, with the pause reason Asterisk keeps for bereik (bereik.pbx.members:
    QUEUE_MEMBER has no reason, so it lives in a global of Asterisk's, not in bereik's memory)."""
    replies = await service.ami.action("QueueStatus", Queue="tic", Member=interface)
    found, = [r for r in replies if r.get("Event") == "QueueMember" and r.get("StateInterface") == interface]
    return {**found, "PausedReason": await members.pause_reason(service.ami, interface)}


async def test_pause_with_a_reason_sign_out_and_back_in_are_what_asterisk_shows(console, pbx, browser):
    page = await agent_page(browser, console)
    await page.select_option("#pause-reason", "overleg")
    await page.click("#pause")
    await page.wait_for_selector("#state:has-text('Gepauzeerd (overleg)')")
    paused = await member(console)
    assert (paused["Paused"], paused["PausedReason"]) == ("1", "overleg")
    await page.click("#logout-position")
    await page.wait_for_selector("#state:has-text('Afgemeld')")
    assert (await member(console))["PausedReason"] == "afgemeld"
    await page.click("#login-position")
    await page.wait_for_selector("#state:has-text('Aangemeld')")
    assert (await member(console))["Paused"] == "0"


async def test_taking_a_waiting_caller_from_the_list_connects_that_caller_to_the_agents_phone(console, pbx, sipp,
                                                                                           browser):
    """Every position paused, so the caller waits; the agent takes the caller from the list: Asterisk dials the
    agent's phone from the caller's channel, and the two are bridged; the records count it answered."""
    instance, events = pbx
    await members.set_paused(console.ami, ["tic"], "PJSIP/201", True, "test")  # as bereik pauses (call class)
    page = await agent_page(browser, console)
    sipp.phone(AGENT_PHONE, ring_seconds=1)
    caller = sipp.call("14023", talk_seconds=25, dtmf=[("asked", "1"), ("asked", "1")])
    joined = await events.wait_for_event("QueueCallerJoin", lambda e: e.get("Queue") == "tic", timeout=25)
    waiting = page.locator(f"#waiting li[data-caller='{joined['Uniqueid']}']")
    await waiting.wait_for()
    assert "Klantcontactcentrum" in await waiting.inner_text()
    assert "Burgerzaken: een paspoort, identiteitskaart, rijbewijs of een verhuizing" in await waiting.inner_text()
    await waiting.locator("button:has-text('Aannemen')").click()
    dialled = await events.wait_for_event(
        "DialBegin", lambda e: e.get("Channel") == joined["Channel"] and e.get("DestChannel", "").startswith("PJSIP/201-"),
        timeout=10)
    await events.wait_for_event("DialEnd", lambda e: e.get("DestChannel") == dialled["DestChannel"]
                                and e.get("DialStatus") == "ANSWER", timeout=10)
    assert await bridged(events, joined["Channel"], "PJSIP/201-"), _current_bridges(events)
    await page.wait_for_selector("#call-state.call-connected")
    await page.wait_for_selector("#waiting li:has-text('Er wacht niemand.')")
    await hang_up(instance)
    await caller.succeeds(timeout=40)
    steps = console.recorder.book.journeys[joined["Linkedid"]].steps
    answered = next(s for s in steps if s.what == "agent_answered")
    assert answered.detail["picked"] == "yes" and answered.detail["interface"] == "PJSIP/201"


async def test_opnemen_in_the_browser_makes_the_ringing_desk_phone_answer_and_ophangen_ends_only_her_call(
        console, pbx, sipp, browser):
    """The queue rings Anna's phone, whose user never lifts the handset: it answers only an INVITE with the
    intercom header. She presses Opnemen (Alt+O) in Chromium: Asterisk puts the caller through to her phone
    again with the header, the phone answers by itself and the two are bridged. Bram's console cannot hang
    her call up; her Ophangen does, and the caller's call ends with it."""
    _, events = pbx
    page = await agent_page(browser, console)
    phone = sipp.phone(AGENT_PHONE, behaviour="auto_answer", calls=2)
    caller = sipp.call("14023", talk_seconds=40, dtmf=[("asked", "1"), ("asked", "1")])
    called = await events.wait_for_event("AgentCalled", lambda e: e["Interface"] == "PJSIP/201", timeout=25)
    await call_state_shown(page, "ringing")
    assert not await page.is_disabled("#answer")
    await page.keyboard.press("Alt+O")
    dialled = await events.wait_for_event(
        "DialBegin", lambda e: e.get("Channel") == called["Channel"] and e.get("DestChannel", "").startswith("PJSIP/201-")
        and e["DestChannel"] != called["DestChannel"], timeout=10)
    await events.wait_for_event("DialEnd", lambda e: e.get("DestChannel") == dialled["DestChannel"]
                                and e.get("DialStatus") == "ANSWER", timeout=10)
    assert await bridged(events, called["Channel"], "PJSIP/201-"), _current_bridges(events)
    assert events.matching("BridgeEnter", lambda e: e.get("Channel") == dialled["DestChannel"])
    await page.wait_for_selector("#call-state.call-connected")
    queue_ring, intercom = phone.received("INVITE")[:2]
    assert "answer-after=0" not in queue_ring.get("Call-Info", ""), queue_ring  # the queue's ring: not answered
    assert "answer-after=0" in intercom["Call-Info"] and "alert-autoanswer" in intercom["Alert-Info"], intercom

    bram = await agent_page(browser, console, "bram")
    status = await bram.evaluate("""async () => (await fetch('/api/call/hangup', {method: 'POST',
        headers: {'X-CSRF-Token': document.querySelector('meta[name=csrf]').content,
                  'Content-Type': 'application/json'},
        body: JSON.stringify({channel: '%s'})})).status""" % dialled["DestChannel"])
    assert status == 409
    assert await bridged(events, called["Channel"], "PJSIP/201-"), "Bram's console hung up Anna's call"

    await page.keyboard.press("Alt+H")
    await events.wait_for_event("Hangup", lambda e: e.get("Channel") == dialled["DestChannel"], timeout=10)
    await events.wait_for_event("Hangup", lambda e: e.get("Channel") == called["Channel"], timeout=10)
    await page.wait_for_selector("#call-state.call-ended")
    await phone.succeeds(timeout=10)
    await caller.succeeds(timeout=10)  # Asterisk's BYE ended it
    journey = console.recorder.book.journeys[called["Linkedid"]]
    answered = journey.first("agent_answered")
    assert answered.detail["interface"] == "PJSIP/201", answered
    row = summarise(journey, console.config.zone)  # the reports: answered by Anna, never abandoned
    assert not row.abandoned and row.agent == "Anna de Vries" and row.wait_seconds is not None, row


@pytest.fixture
async def console_behind_a_relay(pbx, generated, tmp_path):
    """The console's bereik with its AMI through a relay the test can cut; every position paused, so callers wait."""
    instance, _ = pbx
    relay = Cut(instance.ami.port)
    await relay.mend()
    config = config_for(instance.root, tmp_path)
    config = config.model_copy(update={"pbx": config.pbx.model_copy(update={"ami": f"127.0.0.1:{relay.listen_port}"})})
    service = Service(config, generated[1], instance.sounds_dir, clock=pretend_clock(config, MONDAY_MORNING),
                      store=SqliteStore(tmp_path / "calls.sqlite3"))
    service.console.authenticator = OneLogin()
    service.ami.backoff = Backoff(first=0.5, cap=2.0)  # short, to keep the test lean
    await service.start()
    for extension in ("201", "202", "203", "204"):
        await members.set_paused(service.ami, ["tic"], f"PJSIP/{extension}", True, "test")
    service.relay = relay
    yield service
    await service.stop()
    await relay.cut()
    service.store.close()


async def test_after_the_ami_connection_is_cut_the_waiting_list_is_what_asterisk_has_again(
        console_behind_a_relay, pbx, sipp, browser):
    """Two callers wait; bereik's AMI connection is cut. The console says its view may be stale while one caller
    hangs up and another joins, unseen by bereik. Once the connection is back, the agent sees the list as
    Asterisk has it (QueueStatus and Status re-read): the one who left gone, the newcomer with the menu choice
    in words, the agent's own pause made meanwhile, Eva's phone in use since the cut (DeviceStateList re-read),
    the banner gone; and the list follows live events again. (The waits are generous: at a load of 25 on two
    cores the reconnect and the re-reads take seconds.)"""
    instance, events = pbx
    service = console_behind_a_relay
    page = await agent_page(browser, service)
    burgerzaken, afval = [("asked", "1"), ("asked", "1")], [("asked", "1"), ("asked", "2")]

    async def caller(number, name, keys):
        process = sipp.call("14023", talk_seconds=90, dtmf=keys, from_user=number, from_name=name)
        joined = await events.wait_for_event("QueueCallerJoin", lambda e: e.get("CallerIDNum") == number, timeout=30)
        return process, joined

    jan, jan_joined = await caller("0611111111", "Jan Jansen", burgerzaken)
    piet, piet_joined = await caller("0622222222", "Piet Pietersen", afval)
    row = lambda joined: page.locator(f"#waiting li[data-caller='{joined['Uniqueid']}']")  # noqa: E731
    await row(jan_joined).wait_for()
    await row(piet_joined).wait_for()
    banner = page.locator("#pbx-state")
    assert await banner.is_hidden()
    eva = sipp.phone(EVA_PHONE, ring_seconds=0.5)
    await page.fill("#search", "Eva")  # her presence on screen, followed live
    eva_presence = page.locator("span.presence[data-person='301']")
    await eva_presence.wait_for()
    assert "presence-on_the_phone" not in await eva_presence.get_attribute("class")

    await service.relay.cut()
    await until(lambda: not service.ami.connected, 20, "bereik did not notice the cut")
    await banner.wait_for(state="visible", timeout=15_000)
    assert "Geen verbinding met de telefooncentrale" in await banner.inner_text()
    await page.wait_for_selector("#state:has-text('Gepauzeerd (test)')")
    # Paused from elsewhere while bereik is blind (the observer's AMI login may not: the CLI).
    await asyncio.to_thread(instance.cli, "queue pause member PJSIP/201 queue tic reason overleg")
    await asyncio.to_thread(instance.cli, "channel originate PJSIP/301 application Wait 60")  # Eva's phone busy
    await events.wait_for_event("DeviceStateChange", lambda e: e.get("Device") == "PJSIP/301"
                                and e.get("State") == "INUSE", timeout=10)
    await events.send_action({"Action": "Hangup", "Channel": jan_joined["Channel"]})
    await events.wait_for_event("QueueCallerAbandon", lambda e: e.get("Uniqueid") == jan_joined["Uniqueid"],
                                timeout=10)
    kees, kees_joined = await caller("0633333333", "Kees de Boer", burgerzaken)
    assert await row(jan_joined).count() == 1 and await row(kees_joined).count() == 0  # what bereik last knew

    await service.relay.mend()
    await until(lambda: service.ami.connected, 30, "bereik did not reconnect")
    await row(kees_joined).wait_for(timeout=20_000)
    text = await row(kees_joined).inner_text()
    assert text.startswith("Klantcontactcentrum · Kees de Boer 0633333333 · Burgerzaken: een paspoort, "
                           "identiteitskaart, rijbewijs of een verhuizing · wacht "), text
    assert await row(jan_joined).count() == 0, await page.inner_text("#waiting")
    assert "Piet Pietersen 0622222222 · Afval" in await row(piet_joined).inner_text()
    await banner.wait_for(state="hidden", timeout=15_000)
    await page.wait_for_selector("#state:has-text('Gepauzeerd (overleg)')", timeout=15_000)
    await page.wait_for_selector("span.presence[data-person='301'].presence-on_the_phone", timeout=15_000)

    await events.send_action({"Action": "Hangup", "Channel": piet_joined["Channel"]})  # live again
    await row(piet_joined).wait_for(state="detached", timeout=15_000)
    for process in (jan, piet, kees, eva):
        process.stop()
