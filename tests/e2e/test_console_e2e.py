"""The console in a real headless Chromium, against the real Asterisk: screen-pop, warm transfer, recording.

A SIPp caller chooses option 2 (afval), the queue rings the agent's SIPp phone (201), the
screen-pop appears in the browser; the agent finds a colleague (Eva Smit, a SIPp phone at
127.0.1.11), transfers warm and completes or cancels. Assertions on what Asterisk reports.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import math
import struct
import wave
from pathlib import Path

import pytest
from playwright.async_api import async_playwright

from bereik.config import load_config
from bereik.config.model import Console, ConsoleUser, Records, Wallboard
from bereik.ivr.catalogue import spoken_texts
from bereik.ivr.prompts import PromptLibrary
from bereik.pbx import dialplan
from bereik.presence.absence import AbsenceStore
from bereik.presence.directory import DirectoryIndex, Person
from bereik.presence.http import presence_app
from bereik.presence.merge import SourceStatus
from bereik.presence.phone import PhoneWatcher
from bereik.presence.service import PresenceService
from bereik.records.store import SqliteStore
from bereik.secrets import AMI_SECRET, Secrets
from bereik.service import Service, pretend_clock

EXAMPLE = Path(__file__).parents[2] / "examples" / "bloemendaal.yaml"
OBSERVER = ("observer", "observer-secret-for-tests-only")
MONDAY_MORNING = dt.datetime(2026, 11, 23, 10, 0)
AGENT_PHONE, EVA_PHONE = "127.0.1.1", "127.0.1.11"
# Functions and selectors, never string predicates: the console's CSP has no 'unsafe-eval'.
SOCKET_OPEN = """() => new Promise((resolve) => { const check = () =>
  (window.bereikSocket && window.bereikSocket.readyState === 1) ? resolve() : setTimeout(check, 20); check(); })"""
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]


def config_for(root: Path):
    base = load_config(EXAMPLE)
    (root / "var/log/asterisk/cel-custom").mkdir(parents=True, exist_ok=True)
    console = Console(
        listen="127.0.0.1:0", secure_cookies=False, users=[ConsoleUser(login="anna", extension="201")],
        team_mailboxes={"tic": "kcc@bloemendaal.test"}, transfer_ring_seconds=15,
        recordings_dir=str(root / "var/spool/asterisk/monitor/bereik"),
        asterisk_recordings_dir="/var/spool/asterisk/monitor/bereik")
    return base.model_copy(update={
        "console": console, "wallboard": Wallboard(listen="127.0.0.1:0"),
        "records": Records(asterisk_cel=str(root / "var/log/asterisk/cel-custom/bereik.csv"))})


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    directory = tmp_path_factory.mktemp("asterisk-console")
    secrets = Secrets({AMI_SECRET: "e2e-" + "x" * 28})
    dialplan.write(dialplan.generate(load_config(EXAMPLE), secrets, source=str(EXAMPLE)), directory)
    with open(directory / "manager.conf", "a") as manager:
        manager.write(f"\n[{OBSERVER[0]}]\nsecret={OBSERVER[1]}\nread=all\nwrite=call\n")
    return directory, secrets


def music_on_hold(root: Path) -> None:
    """The sandbox's moh directory is empty; a held caller needs something to hear (8 kHz tones)."""
    target = root / "var/lib/asterisk/moh/bereik-tones.wav"
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
    PromptLibrary(instance.sounds_dir, "nl").ensure_all(spoken_texts(load_config(EXAMPLE)))
    instance.ami = instance.ami.__class__(instance.ami.port, *OBSERVER)
    return instance, await ami(instance)


class OneLogin:
    async def check(self, login, password):
        return (login, password) == ("anna", "anna-pw")


class StaticDirectory:
    """The example's back office as the directory (LDAP is tested against slapd elsewhere)."""

    def __init__(self, config, now):
        people = {p.extension: Person(id=p.extension, dn=f"uid={p.extension}", name=p.name, extension=p.extension,
                                      department=(config.department_of(p.extension).name
                                                  if config.department_of(p.extension) else ""))
                  for p in config.people}
        self.index = DirectoryIndex(people)
        self.status = SourceStatus(True, now)
        self.on_change = lambda diff: None


@pytest.fixture
async def console(pbx, generated, tmp_path):
    """bereik with the console and the directory; the agent's phone is the only free position."""
    instance, _ = pbx
    config = config_for(instance.root)
    clock = pretend_clock(config, MONDAY_MORNING)
    service = Service(config, generated[1], instance.sounds_dir, clock=clock,
                      store=SqliteStore(tmp_path / "calls.sqlite3"))
    service.console.authenticator = OneLogin()
    absences = AbsenceStore(tmp_path / "absences.sqlite3", clock)
    await absences.open()
    presence = PresenceService(StaticDirectory(config, clock()), PhoneWatcher(service.ami, clock), absences, clock)
    service.console.presence = presence_app(presence)
    await service.start()
    for extension in ("202", "203", "204"):
        await service.ami.action("QueuePause", Interface=f"PJSIP/{extension}", Paused="true", Reason="test")
    yield service
    await service.stop()
    service.store.close()
    absences.close()


@pytest.fixture
async def browser():
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield chromium
        await chromium.close()


async def agent_page(browser, service):
    page = await browser.new_page()
    base = f"http://127.0.0.1:{service.console.port}"
    await page.goto(base + "/")
    await page.fill("#login", "anna")
    await page.fill("#password", "anna-pw")
    await page.click("button[type=submit]")
    await page.wait_for_selector("#screenpop")
    await page.evaluate(SOCKET_OPEN)
    return page


async def call_in(sipp, page, events, talk_seconds=30):
    sipp.phone(AGENT_PHONE, ring_seconds=1.5)
    caller = sipp.call("14023", talk_seconds=talk_seconds, dtmf=[(1.0, "1"), (2.0, "2")])
    await page.wait_for_selector("#screenpop:has-text('afval')", timeout=25_000)
    connected = await events.wait_for_event("AgentConnect", lambda e: e["Interface"] == "PJSIP/201", timeout=15)
    await page.wait_for_selector("#screenpop:has-text('In gesprek')")
    return caller, connected


async def transfer_to_eva(page, events):
    await page.press("body", "/")  # keyboard first: "/" jumps to the search
    await page.keyboard.type("Eva")
    await page.wait_for_selector("button.person[data-extension='301']")
    await page.keyboard.press("ArrowDown")
    await page.keyboard.press("Enter")
    await events.wait_for_event("DialBegin", lambda e: e.get("DestChannel", "").startswith("PJSIP/301-"), timeout=10)
    await page.wait_for_selector("#complete:not([disabled])", timeout=15_000)


async def test_screen_pop_then_warm_transfer_completed_bridges_caller_and_colleague(console, pbx, sipp, browser):
    _, events = pbx
    page = await agent_page(browser, console)
    eva = sipp.phone(EVA_PHONE, ring_seconds=2)
    caller, connected = await call_in(sipp, page, events)
    pop = await page.text_content("#screenpop")
    assert "afval (2)" in pop and "0612345678" in pop and "Bloemendaal" in pop

    await transfer_to_eva(page, events)
    assert "overleg" in await page.text_content("#transfer-state")
    await page.click("#complete")
    done = await events.wait_for_event("AttendedTransfer", timeout=10)
    assert done["Result"] == "Success" and done["DestType"] == "Bridge"
    assert done["TransfereeChannel"] == connected["Channel"]  # the caller ...
    assert done["TransferTargetChannel"].startswith("PJSIP/301-")  # ... is with Eva now
    await page.wait_for_selector("#transfer-state:has-text('Doorverbonden')")
    caller.expect_success(timeout=40)
    eva.expect_success(timeout=10)
    steps = [s.what for s in console.recorder.book.journeys[connected["Linkedid"]].steps]
    assert "transfer_started" in steps and "transfer_answered" in steps and "transfer_ended" in steps


async def test_recording_then_cancel_returns_the_caller(console, pbx, sipp, browser):
    instance, events = pbx
    page = await agent_page(browser, console)
    sipp.phone(EVA_PHONE, ring_seconds=1)
    caller, connected = await call_in(sipp, page, events, talk_seconds=25)

    await page.click("#record")
    await page.wait_for_selector("#record[aria-pressed='true']")
    await asyncio.sleep(2)
    await page.click("#record")
    recordings = instance.root / "var/spool/asterisk/monitor/bereik/anna"
    for _ in range(50):
        files = list(recordings.glob("*.wav")) if recordings.exists() else []
        if files and files[0].stat().st_size > 8000:
            break
        await asyncio.sleep(0.1)
    assert files, "no recording written"
    with wave.open(str(files[0])) as recorded:  # playable: a WAV Python's own reader accepts
        assert recorded.getnframes() / recorded.getframerate() >= 1.0

    await transfer_to_eva(page, events)
    await page.click("#cancel")
    await events.wait_for_event("Hangup", lambda e: e.get("Channel", "").startswith("PJSIP/301-"), timeout=10)
    agent_enters = lambda: events.matching("BridgeEnter", lambda e: e.get("Channel") == connected["DestChannel"])  # noqa: E731
    for _ in range(50):  # the agent's leg goes back into the caller's bridge
        if len(agent_enters()) >= 2:
            break
        await asyncio.sleep(0.1)
    assert agent_enters()[-1]["BridgeUniqueid"] == agent_enters()[0]["BridgeUniqueid"]
    assert not events.matching("AttendedTransfer", lambda e: e.get("Result") == "Success")
    assert not events.matching("Hangup", lambda e: e.get("Channel") == connected["Channel"])  # caller still there
    await page.wait_for_selector("#transfer-state:has-text('Terug bij')")

    listed = await page.evaluate("() => fetch('/api/recordings').then((r) => r.json())")
    url = listed["recordings"][0]["url"]
    response = await page.request.get(f"http://127.0.0.1:{console.console.port}{url}")
    assert response.status == 200 and response.headers["content-type"] == "audio/wav"
    caller.expect_success(timeout=40)
