"""The calamity switch as `bereik run` wires it, with a real Asterisk: set on the coordinator's screen in
Chromium (the wallboard shows it), or from a SIPp desk phone with *28, the PIN and a key (RFC 4733 DTMF);
then a SIPp caller to the 14 number hears the message: before the menu, or instead of it with the line
closed."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bereik.config.model import Console, ConsoleUser, Presence, Records, Wallboard
from bereik.console.auth import Verdict
from bereik.ivr.phrases import feature_text, fill
from bereik.ivr.prompts import PromptLibrary
from bereik.records.store import SqliteStore
from bereik.routing.calamity import Mode, default_text
from bereik.secrets import AMI_SECRET, CALAMITY_SECRET, PHONES_SECRET, Secrets
from bereik.service import Service, pretend_clock

from helpers import OBSERVER, variable, write_config_with_observer
from tests.examples import example_config

EXAMPLE = Path(__file__).parents[2] / "examples" / "bloemendaal.yaml"
MONDAY_MORNING = dt.datetime(2026, 11, 23, 10, 0)
EVA_DESK = "127.0.1.11"
PIN = "802615"
STORM = "Door een storm is het gemeentehuis vandaag gesloten. Voor spoed belt u 112."
BASE = example_config()


def config_for(root: Path, state: Path):
    (root / "var/log/asterisk/cel-custom").mkdir(parents=True, exist_ok=True)
    return BASE.model_copy(update={
        "console": Console(listen="127.0.0.1:0", secure_cookies=False,
                           users=[ConsoleUser(login="coco", role="coordinator")]),
        "wallboard": Wallboard(listen="127.0.0.1:0"),
        "presence": Presence(absences_store=str(state / "absences.sqlite3")),
        "back_office": BASE.back_office.model_copy(update={"forwarding_store": str(state / "forwarding.sqlite3")}),
        "records": Records(asterisk_cel=str(root / "var/log/asterisk/cel-custom/bereik.csv")),
        "pbx": BASE.pbx.model_copy(update={"call_files": str(root / "var/spool/asterisk/outgoing")})})


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    directory = tmp_path_factory.mktemp("asterisk-calamity")
    secrets = Secrets({AMI_SECRET: "e2e-" + "x" * 28, CALAMITY_SECRET: PIN, PHONES_SECRET: "phones-" + "p" * 26})
    return write_config_with_observer(BASE, secrets, directory, str(EXAMPLE)), secrets


class Coordinator:
    async def check(self, login, password):
        return Verdict() if (login, password) == ("coco", "coco-pw") else None


@pytest.fixture
async def running(asterisk, ami, generated, tmp_path):
    instance = asterisk(generated[0])
    instance.ami = instance.ami.__class__(instance.ami.port, *OBSERVER)
    events = await ami(instance)
    config = config_for(instance.root, tmp_path)
    service = Service(config, generated[1], instance.sounds_dir, clock=pretend_clock(config, MONDAY_MORNING),
                      store=SqliteStore(tmp_path / "calls.sqlite3"))
    service.console.authenticator = Coordinator()
    await service.start()
    yield service, instance, events
    await service.stop()
    service.store.close()


def played(events, application: str, channel: str = "PJSIP/trunk-") -> list[str]:
    return [e["Command"] for e in events.matching("AGIExecStart")
            if e.get("Channel", "").startswith(channel) and f'EXEC "{application}"' in e.get("Command", "")]


async def test_from_the_screen_a_message_before_the_menu_on_the_wallboard_and_to_the_caller(running, sipp,
                                                                                              browser):
    service, instance, events = running
    page = await browser.new_page()
    await page.goto(f"http://127.0.0.1:{service.console.port}/manage")
    await page.fill("#login", "coco")
    await page.fill("#password", "coco-pw")
    await page.click("button[type=submit]")
    await page.wait_for_selector("#h-calamity")
    await page.check("#calamity-mode-message")
    await page.fill("#calamity-text", STORM)
    await page.fill("#calamity-until", "2026-11-23T18:00")
    await page.fill("#calamity-why", "Storm, gemeentehuis dicht")
    await page.click("#calamity-on button[type=submit]")
    await page.wait_for_selector("#calamity-state")
    state = " ".join((await page.inner_text("#calamity-state")).split())
    assert state == (f"Calamiteit staat aan: bellers horen een melding vóór het keuzemenu, tot 23-11-2026 18:00. "
                     f"Bellers horen: „{STORM}” Aangezet door coco.")
    border = await page.evaluate("getComputedStyle(document.getElementById('calamity')).borderTopColor")
    assert border == "rgb(176, 0, 32)"

    # The wallboard, behind the same login, says it in words on a red band.
    await page.goto(f"http://127.0.0.1:{service.web.port}/wallboard/")
    await page.wait_for_selector("#calamity:not([hidden])", timeout=10_000)
    assert await page.inner_text("#calamity") == (
        f"Calamiteit tot 23-11-2026 18:00: bellers horen een melding vóór het keuzemenu. Bellers horen: „{STORM}”")
    assert await page.evaluate("getComputedStyle(document.getElementById('calamity')).backgroundColor") == \
        "rgb(138, 0, 24)"

    # A caller chooses Bloemendaal (1) and hears the welcome, the storm, then the menu; 2 is a topic.
    caller = sipp.call("14023", talk_seconds=25, dtmf=[("asked", "1")])
    sounds = PromptLibrary(instance.sounds_dir)
    menu = await events.wait_for_event("AGIExecStart", lambda e: e.get("Channel", "").startswith("PJSIP/trunk-")
                                       and 'EXEC "Read"' in e.get("Command", "")
                                       and sounds.sound_name(STORM) in e["Command"], timeout=30)
    welcome = sounds.sound_name(fill(BASE, BASE.texts["welcome"]))
    menu_intro = sounds.sound_name(fill(BASE, BASE.texts["menu_intro"]))
    assert f"{welcome}&{sounds.sound_name(STORM)}&{menu_intro}&" in menu["Command"]
    caller.stop()
    audited = [(e.actor, e.action, e.detail["why"]) for e in service.audit.entries(since=0)
               if e.action.startswith("calamity")]
    assert audited == [("coco", "calamity_on", "Storm, gemeentehuis dicht")]


async def test_from_a_desk_phone_with_the_pin_the_lines_close_and_a_caller_hears_why(running, sipp, generated):
    service, instance, events = running
    digits = [("asked", PIN[0]), *((0.3, d) for d in PIN[1:]), (0.3, "#"), ("asked", "2")]  # one GET DATA, one Read
    sipp.call("*28", local_ip=EVA_DESK, talk_seconds=40, from_user="301", dtmf=digits,
              auth=("301", generated[1].phone("301")))  # a desk phone answers Asterisk's digest challenge
    sounds = PromptLibrary(instance.sounds_dir)
    closed = default_text(BASE, Mode.CLOSED)
    confirmation = f'{sounds.sound_name(feature_text(BASE, "calamity_closed_on"))}&{sounds.sound_name(closed)}'
    await events.wait_for_event("AGIExecStart", lambda e: confirmation in e.get("Command", ""), timeout=40)
    on = service.calamity.current(service._clock())
    assert (on.mode, on.text, on.set_by) == (Mode.CLOSED, closed, "phone 301")
    assert not [e for e in events.matching("VarSet") if PIN in e.get("Value", "")]  # never a channel variable

    caller = sipp.call("14023", talk_seconds=30, dtmf=[("asked", "1")])
    hangup = await events.wait_for_event("Hangup", lambda e: e.get("Channel", "").startswith("PJSIP/trunk-"),
                                         timeout=40)
    assert variable(hangup, "BEREIK_REASON") == "calamity"
    assert played(events, "Playback") == [f'EXEC "Playback" "{sounds.sound_name(closed)}"']
    await caller.succeeds(timeout=10)
