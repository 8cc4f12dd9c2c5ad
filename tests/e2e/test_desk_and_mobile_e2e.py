"""Desk and mobile together, and calls out from the mobile, on the real Asterisk.

Eva (ring_mobile) has a SIPp desk phone at 127.0.1.11; her mobile is a SIPp phone behind the trunk
(the mobile network, 127.0.0.1:5080). One person, so not a hunt group: the first to answer wins, the
other gets a CANCEL (a SIPp phone that never answers ends its scenario only on that CANCEL), and if
neither answers the caller goes to the TIC. With back_office.mobile_dial_out, a call from Eva's mobile
through the trunk goes out showing the department's number, and her busy lamp burns meanwhile.
"""
from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pytest

from bereik.config.model import BackOffice
from bereik.forwarding.store import ForwardingStore
from bereik.ivr.catalogue import spoken_texts
from bereik.ivr.prompts import PromptLibrary
from bereik.pbx.agi import AgiServer
from bereik.pbx.direct import DirectHandler
from bereik.presence.book import AbsenceBook
from bereik.secrets import AMI_SECRET, PHONES_SECRET, Secrets
from bereik.service import pretend_clock

from helpers import OBSERVER, variable, write_config_with_observer
from tests.examples import example_config

EXAMPLE = Path(__file__).parents[2] / "examples" / "bloemendaal.yaml"
_example = example_config()
CONFIG = _example.model_copy(update={
    # Two rings (10 s): beside a CPU hog Asterisk took 4.6 s to start the mobile's leg, and one ring ended the
    # Dial before the mobile could answer (ci88).
    "back_office": BackOffice(rings=2, mobile_dial_out=True),
    "people": [p.model_copy(update={"ring_mobile": True}) if p.extension == "301" else p for p in _example.people]})
MONDAY_MORNING = dt.datetime(2026, 11, 23, 10, 0)
EVA_DESK, EVA_DIRECT, EVA_MOBILE = "127.0.1.11", "0235115301", "0612340301"
MOBILE_NETWORK = ("127.0.0.1", 5080)


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    directory = tmp_path_factory.mktemp("asterisk-desk-and-mobile")
    return write_config_with_observer(CONFIG, Secrets({AMI_SECRET: "e2e-" + "x" * 28, PHONES_SECRET: "phones-" + "p" * 26}), directory, str(EXAMPLE))


@pytest.fixture
async def pbx(asterisk, ami, generated):
    instance = asterisk(generated)
    PromptLibrary(instance.sounds_dir, CONFIG.language).ensure_all(spoken_texts(CONFIG))
    instance.ami = instance.ami.__class__(instance.ami.port, *OBSERVER)
    return instance, await ami(instance)


@pytest.fixture
async def bereik(pbx, tmp_path):
    clock = pretend_clock(CONFIG, MONDAY_MORNING)
    forwarding = ForwardingStore(tmp_path / "forwarding.sqlite3", CONFIG)
    handler = DirectHandler(CONFIG, PromptLibrary(pbx[0].sounds_dir, CONFIG.language), clock,
                            AbsenceBook(CONFIG, clock, forwarding))
    server = AgiServer({"direct": handler}, port=4573)
    await server.start()
    yield
    await server.close()
    forwarding.close()


def to_desk(event) -> bool:
    return event.get("DestChannel", "").startswith("PJSIP/301-")


def to_mobile(event) -> bool:
    return event.get("DestChannel", "").startswith("Local/301@bereik-mobile-") and event["DestChannel"].endswith(";1")


async def test_both_ring_the_mobile_answers_and_the_desk_gets_a_cancel(pbx, bereik, sipp):
    _, events = pbx
    desk = sipp.phone(EVA_DESK, behaviour="no_answer")
    mobile = sipp.phone(*MOBILE_NETWORK[:1], port=MOBILE_NETWORK[1], behaviour="answer", ring_seconds=1.5)
    caller = sipp.call(EVA_DIRECT, talk_seconds=10)  # still on when the phone answers, even on a busy machine
    rang_desk = await events.wait_for_event("DialBegin", to_desk, timeout=15)
    rang_mobile = await events.wait_for_event("DialBegin", to_mobile, timeout=5)
    assert abs(float(rang_desk["Timestamp"]) - float(rang_mobile["Timestamp"])) < 0.5, "together, not one after the other"
    out = await events.wait_for_event("DialBegin", lambda e: e.get("DestChannel", "").startswith("PJSIP/trunk-"))
    assert out["DialString"] == f"{EVA_MOBILE}@trunk"  # the YAML's number, dialled by the dialplan
    await events.wait_for_event("DialEnd", lambda e: to_mobile(e) and e["DialStatus"] == "ANSWER", timeout=15)
    cancelled = await events.wait_for_event("DialEnd", to_desk, timeout=5)
    assert cancelled["DialStatus"] == "CANCEL"
    await desk.succeeds(timeout=5)  # the desk phone got its CANCEL and stopped ringing
    # Eva is on the phone, on her mobile, as the PBX sees it: her busy lamp burns.
    await events.wait_for_event("ExtensionStatus", lambda e: e["Exten"] == "301" and e["Status"] == "1", timeout=5)
    await caller.succeeds(timeout=15)
    await mobile.succeeds(timeout=5)
    await events.wait_for_event("DeviceStateChange", lambda e: e["Device"] == "Custom:bereik-mobile-301"
                                and e["State"] == "NOT_INUSE", timeout=5)


async def test_the_desk_answers_and_the_mobile_gets_a_cancel(pbx, bereik, sipp):
    _, events = pbx
    desk = sipp.phone(EVA_DESK, behaviour="answer", ring_seconds=1.5)
    mobile = sipp.phone(*MOBILE_NETWORK[:1], port=MOBILE_NETWORK[1], behaviour="no_answer")
    caller = sipp.call(EVA_DIRECT, talk_seconds=10)  # still on when the phone answers, even on a busy machine
    await events.wait_for_event("DialEnd", lambda e: to_desk(e) and e["DialStatus"] == "ANSWER", timeout=15)
    cancelled = await events.wait_for_event("DialEnd", to_mobile, timeout=5)
    assert cancelled["DialStatus"] == "CANCEL"
    await mobile.succeeds(timeout=5)  # the mobile network got the CANCEL: the mobile stopped ringing
    await caller.succeeds(timeout=15)
    await desk.succeeds(timeout=5)


async def test_neither_answers_and_the_caller_goes_to_the_tic(pbx, bereik, sipp):
    _, events = pbx
    desk = sipp.phone(EVA_DESK, behaviour="no_answer")
    mobile = sipp.phone(*MOBILE_NETWORK[:1], port=MOBILE_NETWORK[1], behaviour="no_answer")
    caller = sipp.call(EVA_DIRECT, talk_seconds=20)
    joined = await events.wait_for_event("QueueCallerJoin", lambda e: e["Queue"] == "tic", timeout=20)
    assert (variable(joined, "BEREIK_TRIED"), variable(joined, "BEREIK_FAILED")) == ("301", "noanswer")
    await desk.succeeds(timeout=5)
    await mobile.succeeds(timeout=5)
    caller.stop()


async def test_a_call_from_the_mobile_through_the_pbx_shows_the_departments_number(pbx, sipp):
    _, events = pbx
    far_end = sipp.phone(*MOBILE_NETWORK[:1], port=MOBILE_NETWORK[1], behaviour="answer", ring_seconds=0.5)
    call = sipp.call("0201234567", talk_seconds=3, from_user=EVA_MOBILE)
    out = await events.wait_for_event("DialBegin", lambda e: e.get("DestChannel", "").startswith("PJSIP/trunk-"),
                                      timeout=10)
    assert out["DialString"] == "0201234567@trunk"
    assert out["DestConnectedLineNum"] == "0235115300"  # Vergunningen's number, not Eva's private mobile
    await events.wait_for_event("ExtensionStatus", lambda e: e["Exten"] == "301" and e["Status"] == "1", timeout=5)
    await call.succeeds(timeout=15)
    await far_end.succeeds(timeout=5)


async def test_a_number_that_is_no_colleagues_mobile_cannot_call_out(pbx, sipp):
    _, events = pbx
    call = sipp.call("0201234567", talk_seconds=3, from_user="0699999999")
    assert await asyncio.to_thread(call.wait, 15) != 0, "Asterisk refused the call (404: no such number here)"
    assert not events.matching("DialBegin") and not events.matching("Newchannel")
