"""Call records and the wallboard through the real Asterisk: SIPp calls, bereik in this process.

The store is asserted on: what bereik kept, after the call, must be the journey Asterisk reported.
"""
import re

import pytest
from playwright.async_api import expect

from bereik.pbx import cel
from bereik.pbx import variables as var
from bereik.pbx.records import SOURCE
from bereik.records.journey import FROM_AGENT_COMPLETED
from bereik.records.store import SqliteStore
from bereik.service import Service, pretend_clock

from .test_first_call import CONFIG, MONDAY_MORNING, bereik, generated, pbx  # noqa: F401 (fixtures)

from helpers import ended_journey, hang_up, kinds, recorded, until

TOPIC_AFVAL = [("asked", "1"), ("asked", "2")]  # Bloemendaal, then option 2 (afval)


async def test_a_call_placed_with_sipp_is_kept_with_its_journey(pbx, bereik, sipp):
    _, events = pbx
    service = await bereik(MONDAY_MORNING)
    phones = [sipp.phone(f"127.0.1.{n}", ring_seconds=1) for n in (1, 2, 3)]
    caller = sipp.call("14023", talk_seconds=3, dtmf=TOPIC_AFVAL)

    entered = await events.wait_for_event("QueueCallerJoin", timeout=20)
    connected = await events.wait_for_event("AgentConnect", timeout=20)
    await caller.succeeds(20)  # SIPp waits; bereik keeps running
    journey = await ended_journey(service.store, entered["Linkedid"])

    assert kinds(journey)[:4] == ["entered", "answered", "queued", "agent_answered"]
    assert "hung_up" in kinds(journey)
    assert journey.first("agent_answered").detail["agent"] == connected["MemberName"]
    assert journey.labels["topic"] == "afval"
    # Asterisk carried the labels in one line, the joined channelvar (bereik.pbx.variables.IN_AMI_EVENTS_FUNCTION),
    # computed from the variables bereik set over FastAGI; bereik's reader split them back into each label.
    line = entered["ChanVariable"]
    assert isinstance(line, str), f"one ChanVariable line, not one per variable: {line}"
    name, _, fields = line.partition("=")
    carried = dict(zip(var.IN_AMI_EVENTS, fields.split(var.FIELD_SEPARATOR), strict=True))
    assert name == var.IN_AMI_EVENTS_FUNCTION
    assert (carried[var.TOPIC], carried[var.CHOICE], carried[var.MUNICIPALITY]) == ("afval", "2", "Bloemendaal")
    assert carried[var.REASON] and not carried[var.TRIED] and not carried[var.CALLBACK]
    assert (journey.labels["choice"], journey.labels["municipality"]) == ("2", "Bloemendaal")
    [row] = [r for r in service.store.calls(0, 2e10) if r.call_id == entered["Linkedid"]]
    assert (row.kind, row.queue, row.topic, row.agent) == ("front", "tic", "afval", connected["MemberName"])
    assert 0 < row.wait_seconds < 10 and row.talk_seconds > 1
    # Asterisk's own log of the call is its CEL file (bereik's after a restart); it keeps no CDR of it.
    assert re.search(r"Logging:\s+Disabled", pbx[0].cli("cdr show status"))
    for phone in phones:
        phone.stop()


@pytest.mark.parametrize("cel_behind", [False, True], ids=["cel_in_time", "cel_behind_ami"])
async def test_bereik_restarted_mid_call_misses_nothing(pbx, generated, sipp, tmp_path, monkeypatch, cel_behind):
    """bereik stops while the caller waits; the agent answers while it is down; a new bereik
    picks the call up from the store, fills in the answer from Asterisk's CEL log and sees the end.
    Under load Asterisk may write the answer to CEL after the new bereik read it (ci, 2026-12-06):
    then the agent's completion at the end tells it, to the whole second it counts in."""
    instance, events = pbx
    _, secrets = generated
    path = tmp_path / "calls.sqlite3"
    if cel_behind:  # as under load: the log has no bridge yet when the new bereik reads it
        read = cel.read
        monkeypatch.setattr(cel, "read", lambda *args: [r for r in read(*args) if r.eventtype != "BRIDGE_ENTER"])

    def new_service() -> Service:
        return Service(recorded(CONFIG, instance), secrets, instance.sounds_dir, clock=pretend_clock(CONFIG, MONDAY_MORNING),
                       store=SqliteStore(path))

    first = new_service()
    await first.start()
    for n in (1, 2, 3):
        sipp.phone(f"127.0.1.{n}", ring_seconds=6)  # whoever the queue rings answers after 6 s
    caller = sipp.call("14023", talk_seconds=22, dtmf=TOPIC_AFVAL)  # counted from the greeting
    joined = await events.wait_for_event("QueueCallerJoin", timeout=20)
    await first.stop()
    first.store.close()

    connected = await events.wait_for_event("AgentConnect", timeout=30)  # nobody from bereik is listening
    second = new_service()
    await second.start()
    try:
        await caller.succeeds(30)  # SIPp waits; bereik keeps running
        # Asterisk may send the agent's completion after the caller's hang-up, which the store may have first.
        journey = await until(lambda: second.store.journey(joined["Linkedid"]),
                              lambda journey: journey is not None and journey.ended and journey.first("agent_completed"))
    finally:
        await second.stop()
        second.store.close()

    assert kinds(journey)[:4] == ["entered", "answered", "queued", "agent_answered"]
    assert sorted(kinds(journey)) == sorted(set(kinds(journey))), "a step was recorded twice"
    answered = journey.first("agent_answered")
    told_by = (FROM_AGENT_COMPLETED,) if cel_behind else (SOURCE, FROM_AGENT_COMPLETED)
    assert answered.detail["from"] in told_by
    assert answered.detail["interface"] == connected["Interface"] and answered.detail["agent"] == connected["MemberName"]
    if answered.detail["from"] == SOURCE:
        assert abs(answered.at - float(connected["Timestamp"])) < 1.0  # CEL stamps the bridge to the microsecond
    else:  # TalkTime and HoldTime count whole seconds, and Asterisk stamps its event a moment on
        assert abs(answered.at - float(connected["Timestamp"])) < 1.5
        assert abs(float(answered.detail["hold_seconds"]) - float(connected["HoldTime"])) <= 1
    hung_up = journey.first("hung_up")
    assert hung_up.detail.get("from") != "gone"  # seen by the second bereik, not guessed
    [row] = [r for r in SqliteStore(path).calls(0, 2e10) if r.call_id == joined["Linkedid"]]
    assert row.wait_seconds is not None and 4 < row.wait_seconds < 15


async def test_the_wallboard_in_chromium_shows_a_caller_joining_the_queue(pbx, bereik, sipp, browser):
    _, events = pbx
    service = await bereik(MONDAY_MORNING)
    page = await browser.new_page()
    await page.goto(f"http://127.0.0.1:{service.web.port}/wallboard/")
    # Locators, not wait_for_function: its string is eval'd in the page, which the wallboard's CSP refuses.
    waiting = page.locator("#waiting")
    await expect(waiting).to_have_text("0", timeout=5000)
    caller = sipp.call("14023", talk_seconds=10, dtmf=TOPIC_AFVAL)  # no phone answers
    await events.wait_for_event("QueueCallerJoin", timeout=20)
    await expect(waiting).to_have_text("1", timeout=3000)
    assert "1 wachtende bellers" in await page.text_content("#announce")
    await hang_up(pbx[0])  # the caller leaves the queue: the wallboard shows it
    await caller.succeeds(20)
    await expect(waiting).to_have_text("0", timeout=5000)
    assert await page.text_content("#status") == ""  # connected to the PBX
    assert await page.text_content("#callbacks") == "0 open"  # from the call-back notes
