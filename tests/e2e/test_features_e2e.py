"""The phone as the switch, as `bereik run` wires it: feature codes from a SIPp desk phone, the spoken
confirmation, the busy lamps (AMI ExtensionStatus and PresenceStatus) and the console in headless Chromium.

Eva's desk phone (127.0.1.11) dials the codes; the YAML gives her the mobile number 0612345678. A SIP
phone sends '#' in the request URI as %23, as real phones do.
"""
from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pytest

from bereik.config.model import BackOffice, Console, ConsoleUser, Presence, Records, Wallboard
from bereik.console.auth import Verdict
from bereik.ivr.catalogue import spoken_texts
from bereik.ivr.phrases import feature_text
from bereik.ivr.prompts import PromptLibrary
from bereik.records.store import SqliteStore
from bereik.reports.figures import from_store
from bereik.reports.schema import ReportRequest
from bereik.secrets import AMI_SECRET, PHONES_SECRET, Secrets
from bereik.service import Service, pretend_clock

from helpers import OBSERVER, hang_up, variable, write_config_with_observer
from tests.examples import example_config

EXAMPLE = Path(__file__).parents[2] / "examples" / "bloemendaal.yaml"
MONDAY_MORNING = dt.datetime(2026, 11, 23, 10, 0)
EVA_DESK, FEMKE_DESK, HANNA_DESK, AGENT_PHONE = "127.0.1.11", "127.0.1.12", "127.0.1.21", "127.0.1.1"
EVA_DIRECT, EVA_MOBILE = "0235115301", "0612345678"
_example = example_config()
BASE = _example.model_copy(update={
    "back_office": BackOffice(rings=1),
    "people": [p.model_copy(update={"mobile": EVA_MOBILE}) if p.extension == "301" else p for p in _example.people]})


def config_for(root: Path, state: Path):
    (root / "var/log/asterisk/cel-custom").mkdir(parents=True, exist_ok=True)
    return BASE.model_copy(update={
        "console": Console(listen="127.0.0.1:0", secure_cookies=False, users=[ConsoleUser(login="anna", extension="201")],
                           team_mailboxes={"tic": "kcc@bloemendaal.test"},
                           recordings_dir=str(root / "var/spool/asterisk/monitor")),
        "wallboard": Wallboard(listen="127.0.0.1:0"),
        "presence": Presence(absences_store=str(state / "absences.sqlite3")),
        "back_office": BASE.back_office.model_copy(update={"forwarding_store": str(state / "forwarding.sqlite3")}),
        "records": Records(asterisk_cel=str(root / "var/log/asterisk/cel-custom/bereik.csv")),
        "pbx": BASE.pbx.model_copy(update={"call_files": str(root / "var/spool/asterisk/outgoing")})})


SECRETS = Secrets({AMI_SECRET: "e2e-" + "x" * 28, PHONES_SECRET: "phones-" + "p" * 26})


def desk(extension: str) -> tuple[str, str]:
    """A desk phone's SIP digest account: Asterisk challenges every call a phone makes."""
    return extension, SECRETS.phone(extension)


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    directory = tmp_path_factory.mktemp("asterisk-features")
    return write_config_with_observer(BASE, SECRETS, directory, str(EXAMPLE)), SECRETS


@pytest.fixture
async def pbx(asterisk, ami, generated):
    instance = asterisk(generated[0])
    PromptLibrary(instance.sounds_dir, "nl").ensure_all(spoken_texts(BASE))
    instance.ami = instance.ami.__class__(instance.ami.port, *OBSERVER)
    return instance, await ami(instance)


class OneLogin:
    async def check(self, login, password):
        return Verdict() if (login, password) == ("anna", "anna-pw") else None


@pytest.fixture
async def bereik(pbx, generated, tmp_path):
    instance, events = pbx
    config = config_for(instance.root, tmp_path)
    service = Service(config, generated[1], instance.sounds_dir, clock=pretend_clock(config, MONDAY_MORNING),
                      store=SqliteStore(tmp_path / "calls.sqlite3"))
    service.console.authenticator = OneLogin()
    await service.start()
    # bereik sets every lamp after its login: Eva's desk takes her calls.
    for _ in range(100):
        state = await events.send_action({"Action": "ExtensionState", "Exten": "301", "Context": "bereik-internal"})
        presence = await events.send_action({"Action": "Getvar", "Variable": "PRESENCE_STATE(CustomPresence:301,value)"})
        if (state.get("Status"), presence.get("Value")) == ("0", "available"):
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError(f"Eva's lamp is not free after bereik's start: {state}, {presence}")
    yield service
    await service.stop()
    service.store.close()


async def console_showing_eva(browser, service):
    page = await browser.new_page()
    await page.goto(f"http://127.0.0.1:{service.console.port}/")
    await page.fill("#login", "anna")
    await page.fill("#password", "anna-pw")
    await page.click("button[type=submit]")
    await page.wait_for_selector("#search", timeout=10_000)
    await page.fill("#search", "Eva")
    await page.wait_for_selector("span.presence[data-person='301']")
    return page


def confirmed(events, *keys: str, **values: str) -> bool:
    """Whether Eva's phone played the confirmation made of these feature texts, in this order."""
    sounds = "&".join(PromptLibrary(Path(), "nl").sound_name(feature_text(BASE, key, **values)) for key in keys)
    return any(sounds in e.get("Command", "") for e in events.matching("AGIExecStart")
               if e.get("Channel", "").startswith("PJSIP/301-") and e.get("Command", "").startswith('EXEC "Playback"'))


def today() -> ReportRequest:
    # Asterisk stamps its events with the machine's clock (bereik's pretend clock only routes).
    now = dt.date.today()
    return ReportRequest(start=now - dt.timedelta(days=1), end=now + dt.timedelta(days=1))


async def recorded(service, person: str):
    """The record of the one call from outside to this colleague, once the caller has hung up."""
    for _ in range(100):
        service.recorder.flush()
        rows = [r for r in service.store.calls(*today().bounds(service.config.zone)) if r.person == person
                and not r.inside]
        if rows and rows[0].ended_at:
            [row] = rows
            return row
        await asyncio.sleep(0.1)
    raise AssertionError(f"no finished record of a call to {person}")


async def dial_code(sipp, events, code: str, *confirmation: str, **values: str):
    sipp.call(code.replace("#", "%23"), local_ip=EVA_DESK, talk_seconds=8, from_user="301", auth=desk("301"))
    await events.wait_for_event("AGIExecStart", lambda e: confirmed(events, *confirmation, **values), timeout=15)


async def test_forward_to_the_mobile_and_back_confirmed_lit_and_seen_in_the_console(bereik, pbx, sipp, browser):
    _, events = pbx
    page = await console_showing_eva(browser, bereik)
    assert "doorgeschakeld" not in await page.text_content("span.presence[data-person='301']")

    await dial_code(sipp, events, f"*21*{EVA_MOBILE}#", "forward_on", "calls_to_mobile")
    assert bereik.forwarding.in_force("301", bereik.presence.book.clock()).mobile
    await events.wait_for_event("ExtensionStatus", lambda e: e["Exten"] == "301" and e["Status"] == "2", timeout=10)
    lamp = await events.wait_for_event("PresenceStatus", lambda e: e["Exten"] == "301" and e["Status"] == "away",
                                       timeout=10)
    assert (lamp["Subtype"], lamp["Message"]) == ("doorgeschakeld", "naar mobiel")
    await page.wait_for_selector("span.presence[data-person='301']:has-text('doorgeschakeld naar mobiel')",
                                 timeout=10_000)

    await dial_code(sipp, events, "#21#", "forward_off", "calls_here")
    assert bereik.forwarding.in_force("301", bereik.presence.book.clock()) is None
    await events.wait_for_event("ExtensionStatus", lambda e: e["Exten"] == "301" and e["Status"] == "0"
                                and float(e["Timestamp"]) > float(lamp["Timestamp"]), timeout=10)
    await page.wait_for_selector("span.presence[data-person='301']:not(:has-text('doorgeschakeld'))", timeout=10_000)


async def test_a_number_that_is_neither_a_colleague_nor_the_own_mobile_is_refused(bereik, pbx, sipp):
    _, events = pbx
    await dial_code(sipp, events, "*21*0900123456#", "refused_number")
    assert bereik.forwarding.in_force("301", bereik.presence.book.clock()) is None


async def test_do_not_disturb_sends_the_caller_to_the_tic_at_once_without_ringing(bereik, pbx, sipp):
    _, events = pbx
    await dial_code(sipp, events, "*78", "dnd_on", "dnd_effect")
    await events.wait_for_event("PresenceStatus", lambda e: e["Exten"] == "301" and e["Status"] == "dnd", timeout=10)
    caller = sipp.call(EVA_DIRECT, talk_seconds=12)
    joined = await events.wait_for_event("QueueCallerJoin", lambda e: e["Queue"] == "tic", timeout=15)
    assert (variable(joined, "BEREIK_TRIED"), variable(joined, "BEREIK_FAILED")) == ("301", "dnd")
    assert not events.matching("DialBegin", lambda e: e.get("DestChannel", "").startswith("PJSIP/301-"))
    await hang_up(pbx[0])  # the call ends, as a success for the caller: the call's record is complete
    await caller.succeeds(20)
    # The record keeps why: Eva's reachability counts the call as arranged for, not as one she missed.
    row = await recorded(bereik, "301")
    assert (row.person, row.failed, row.fallback) == ("301", "dnd", True)
    [eva] = from_store(bereik.store, bereik.config, today()).reachability
    assert (eva.person, eva.total.calls, eva.total.covered, eva.total.unannounced, eva.signal) == ("301", 1, 1, 0, "")
    await dial_code(sipp, events, "*79", "dnd_off", "calls_here")
    await events.wait_for_event("PresenceStatus", lambda e: e["Exten"] == "301" and e["Status"] == "available",
                                timeout=10)


async def test_the_lamp_blinks_while_the_desk_rings_and_burns_while_in_a_call(bereik, pbx, sipp):
    _, events = pbx
    eva = sipp.phone(EVA_DESK, behaviour="answer", ring_seconds=1.5)
    caller = sipp.call("301", local_ip=HANNA_DESK, talk_seconds=3, from_user="311", auth=desk("311"))
    ringing = await events.wait_for_event("ExtensionStatus", lambda e: e["Exten"] == "301" and e["Status"] == "8",
                                          timeout=10)
    assert ringing["StatusText"] == "Ringing"
    in_use = await events.wait_for_event("ExtensionStatus", lambda e: e["Exten"] == "301" and e["Status"] == "1",
                                         timeout=10)
    assert in_use["StatusText"] == "InUse" and float(in_use["Timestamp"]) > float(ringing["Timestamp"])
    await caller.succeeds(timeout=15)
    await eva.succeeds(timeout=5)


async def test_forward_to_a_colleague_rings_the_colleague_not_the_desk_and_counts_as_arranged(bereik, pbx, sipp):
    _, events = pbx
    await dial_code(sipp, events, "*21*302#", "forward_on", "calls_to_colleague", name="Femke de Boer")
    femke = sipp.phone(FEMKE_DESK, behaviour="answer", ring_seconds=0.5)
    caller = sipp.call(EVA_DIRECT, talk_seconds=16)  # the caller hears who takes Eva's calls, then Femke
    rang = await events.wait_for_event("DialBegin", lambda e: e.get("DestChannel", "").startswith("PJSIP/302-"),
                                       timeout=20)
    assert (variable(rang, "BEREIK_TRIED"), variable(rang, "BEREIK_TRIED_VIA")) == ("301", "302")
    await events.wait_for_event("DialEnd", lambda e: e.get("DestChannel") == rang["DestChannel"]
                                and e.get("DialStatus") == "ANSWER", timeout=15)  # Femke answered
    await hang_up(pbx[0])
    await caller.succeeds(30)
    femke.stop()
    assert not events.matching("DialBegin", lambda e: e.get("DestChannel", "").startswith("PJSIP/301-"))
    row = await recorded(bereik, "301")
    assert (row.person, row.via, row.direct_answered) == ("301", "302", True)
    [eva] = from_store(bereik.store, bereik.config, today()).reachability
    assert (eva.total.calls, eva.total.covered, eva.total.reached, eva.signal) == (1, 1, 0, "")
    await dial_code(sipp, events, "#21#", "forward_off", "calls_here")
