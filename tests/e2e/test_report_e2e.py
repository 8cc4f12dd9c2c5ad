"""The monthly report's figures from real calls: SIPp callers through the real Asterisk, `bereik run`'s
Service recording them, the report counted from its store.

The configuration is the example's with one ring (5 s) before a direct call falls back, a camp-on of
6 s, and bereik's wait message after every ring, so that each caller in the front-office queue hears
several whispered messages within seconds. The front office's positions are paused: nobody answers there.
"""
import asyncio
import datetime as dt
import json
import logging
from pathlib import Path

import pytest

from bereik.config.model import BackOffice
from bereik.records.store import SqliteStore
from bereik.reports.figures import from_store
from bereik.reports.schema import ReportRequest
from bereik.service import Service, pretend_clock

from helpers import FRONT_OFFICE, generated_with_observer, is_whisper, observe, recorded, render_prompts
from tests.examples import example_config

EXAMPLE = Path(__file__).parents[2] / "examples" / "bloemendaal.yaml"
_EXAMPLE = example_config()
CONFIG = _EXAMPLE.model_copy(update={
    "back_office": BackOffice(rings=1, camp_on_seconds=6),
    "waiting": _EXAMPLE.waiting.model_copy(update={
        "first_after_rings": 1, "repeat_every_rings": 1,
        # The overflow position stays out: these tests are about records, not staffing.
        "overflow": _EXAMPLE.waiting.overflow.model_copy(update={"on_callers": 50, "on_wait_seconds": 3600}),
    }),
})
MONDAY_MORNING = dt.datetime(2026, 11, 23, 10, 0)
EVA, FEMKE, GIJS, HANNA = "127.0.1.11", "127.0.1.12", "127.0.1.13", "127.0.1.21"
EVA_DIRECT, FEMKE_DIRECT, VERGUNNINGEN = "0235115301", "0235115302", "0235115300"


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    return generated_with_observer(CONFIG, tmp_path_factory.mktemp("asterisk-report"), str(EXAMPLE))


@pytest.fixture
async def pbx(asterisk, ami, generated):
    instance = asterisk(generated[0])
    render_prompts(instance, CONFIG, lambda text: text.startswith(("U bent", "Er is nog", "Eva Smit")))
    return instance, await observe(instance, ami, paused=FRONT_OFFICE)


@pytest.fixture
async def bereik(pbx, generated, tmp_path):
    instance, _ = pbx
    _, secrets = generated
    config = recorded(CONFIG, instance,
                      back_office=CONFIG.back_office.model_copy(update={"forwarding_store": str(tmp_path / "fwd.sqlite3")}),
                      waiting=CONFIG.waiting.model_copy(update={"callback_store": str(tmp_path / "callbacks.sqlite3")}))
    service = Service(config, secrets, instance.sounds_dir, clock=pretend_clock(CONFIG, MONDAY_MORNING),
                      store=SqliteStore(tmp_path / "calls.sqlite3"))
    await service.start()
    yield service
    await service.stop()
    service.store.close()


def today() -> ReportRequest:
    # Asterisk stamps its events with the machine's clock (bereik's pretend clock only routes).
    now = dt.date.today()
    return ReportRequest(start=now - dt.timedelta(days=1), end=now + dt.timedelta(days=1))


def call_log(caplog) -> list[dict]:
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == "bereik.call"]


async def test_whispers_camp_on_hang_ups_in_the_menu_and_while_ringing_are_counted_as_what_they_were(
        pbx, bereik, sipp, caplog, generated):
    """Five calls to colleagues, one answered; callers who gave up in the menu; messages whispered to
    everyone waiting in the front-office queue. Before: every whisper was an answered direct call, the
    camped caller who fell back was 'reached directly', the menu hang-ups left no trace."""
    caplog.set_level(logging.INFO, logger="bereik.call")
    _, events = pbx
    # Eva is on the phone with Hanna (a colleague's call from her desk: not a citizen's).
    eva = sipp.phone(EVA, behaviour="answer", ring_seconds=0.5)
    colleague = sipp.call("301", local_ip=HANNA, talk_seconds=40, from_user="311",
                          auth=("311", generated[1].phone("311")))
    await events.wait_for_event("DialEnd", lambda e: e.get("DestChannel", "").startswith("PJSIP/301-")
                                and e.get("DialStatus") == "ANSWER", timeout=10)
    gijs = sipp.phone(GIJS, behaviour="answer", ring_seconds=1)
    callers = [
        sipp.call(VERGUNNINGEN, talk_seconds=4, from_user="0611000001"),  # Gijs answers: reached directly
        sipp.call(FEMKE_DIRECT, talk_seconds=22, from_user="0611000002"),  # nobody at Femke's desk: falls back
        sipp.call(EVA_DIRECT, talk_seconds=24, dtmf=[("asked", "1")], from_user="0611000003"),  # camps, falls back
        sipp.call(FEMKE_DIRECT, talk_seconds=2.5, from_user="0611000004"),  # hangs up while it rings
        sipp.call(EVA_DIRECT, talk_seconds=3, dtmf=[("asked", "1")], from_user="0611000005"),  # hangs up camped
        sipp.call("14023", talk_seconds=2, from_user="0611000006"),  # hangs up at the choice of municipality
        sipp.call("14023", talk_seconds=5, dtmf=[("asked", "1")], from_user="0611000007"),  # and in the menu
    ]
    for caller in callers:
        await caller.succeeds(40)
    colleague.stop()
    for phone in (eva, gijs):
        phone.stop()
    await asyncio.sleep(0.5)
    bereik.recorder.flush()

    # Two callers in the queue for over 10 s, a message every ring, each through its companion.
    assert len(events.matching("ChanSpyStart")) >= 2
    assert len([e for e in events.matching("AGIExecStart") if is_whisper(e)]) >= 4
    report = from_store(bereik.store, bereik.config, today())
    rows = {row.caller: row for row in bereik.store.calls(*today().bounds(CONFIG.zone))}
    figures = {f.id: f for f in report.figures}
    assert (report.calls, report.inside_calls) == (7, 1)  # no whisper is a call
    assert (figures["direct_reachability"].value, figures["direct_reachability"].count) == (0.2, 5)
    assert figures["fallback_share"].value == 0.4  # the camped caller fell back; it was not reached
    assert {m.stage: m.hung_up for m in report.menu_stages} == {"municipality": 1, "menu": 1}
    camped = rows["0611000003"]
    assert (camped.direct_answered, camped.fallback, camped.person, camped.department) == (
        False, True, "301", "vergunningen")

    log = call_log(caplog)
    rang = [line for line in log if line.get("event") == "rang" and line["caller"] == "06******02"]
    assert rang and 4.5 <= rang[0]["ring_seconds"] <= 6.5  # one Dutch ring
    hung_up = {line["caller"]: line for line in log if line.get("outcome", "").startswith("caller_hung_up")}
    assert (hung_up["06******04"]["target"], hung_up["06******04"]["outcome"]) == ("302", "caller_hung_up")
    assert 1.5 <= hung_up["06******04"]["ring_seconds"] <= 3.5
    assert (hung_up["06******05"]["target"], hung_up["06******05"]["outcome"]) == ("301", "caller_hung_up_while_waiting")
    assert not [line for line in log if line.get("outcome") == "unknown_number"]
    menu = [line for line in log if line["step"] == "hung_up"]
    assert sorted(line["stage"] for line in menu) == ["menu", "municipality"]

    # Reachability per person (issue 20), from what Asterisk did: Eva was on the phone (the camped caller
    # fell back) and one caller gave up camped; nobody took Femke's call with nothing set, one gave up
    # while it rang; Gijs answered the department's number. Hanna's call from her desk is not counted.
    reach = {p.person: p for p in report.reachability}
    assert (rows["0611000003"].failed, rows["0611000002"].failed) == ("camp_timeout", "noanswer")
    assert {person: (p.total.calls, p.total.reached, p.total.busy, p.total.unannounced, p.total.gave_up)
            for person, p in reach.items()} == {"301": (2, 0, 1, 0, 1), "302": (2, 0, 0, 1, 1), "303": (1, 1, 0, 0, 0)}
    assert "niet bereikbaar (0 van 2 opgenomen)" in reach["301"].signal  # the part of the day is the machine's
    assert reach["302"].signal.endswith("1× niet opgenomen zonder afwezigheid, doorschakeling of niet storen")
    assert reach["303"].signal == ""
