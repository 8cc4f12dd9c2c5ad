"""The back office on the real Asterisk: direct calls, fallback to the TIC, camp-on, pickup, forwarding.

SIPp plays the desk phones (127.0.1.N) and the mobile network (behind the trunk, 127.0.0.1:5080).
The configuration is the example's with one ring (5 s) and a short camp-on maximum, so the suite
stays fast; the default is four rings. Assertions are on what Asterisk reports over AMI.
"""
import datetime as dt
from pathlib import Path

import pytest

from bereik.config.model import BackOffice
from bereik.forwarding.store import ForwardingStore
from bereik.ivr.catalogue import spoken_texts
from bereik.ivr.prompts import PromptLibrary
from bereik.pbx import dialplan
from bereik.pbx.agi import AgiServer
from bereik.pbx.ami import AmiClient
from bereik.pbx.call_files import CallFiles
from bereik.pbx.camp_on import CampOnAnnouncer
from bereik.pbx.direct import DirectHandler
from bereik.presence.book import AbsenceBook
from bereik.pbx.entry import EntryHandler
from bereik.pbx.waiting import Announcer
from bereik.pbx.whisper import Whispers
from bereik.routing.waiting import AnnouncementSchedule
from bereik.secrets import AMI_SECRET, PHONES_SECRET, Secrets

from helpers import OBSERVER, hang_up, is_whisper, variable, write_config_with_observer
from tests.examples import example_config

EXAMPLE = Path(__file__).parents[2] / "examples" / "bloemendaal.yaml"
CONFIG = example_config().model_copy(update={"back_office": BackOffice(rings=1, camp_on_seconds=8)})
MONDAY_MORNING = dt.datetime(2026, 11, 23, 10, 0, tzinfo=CONFIG.zone)
EVA, FEMKE, HANNA = "127.0.1.11", "127.0.1.12", "127.0.1.21"
EVA_DIRECT, FEMKE_DIRECT = "0235115301", "0235115302"
MOBILE_NETWORK = ("127.0.0.1", 5080)
SECRETS = Secrets({AMI_SECRET: "e2e-" + "x" * 28, PHONES_SECRET: "phones-" + "p" * 26})


def phone_login(extension: str) -> tuple[str, str]:
    """A desk phone's SIP digest account: Asterisk challenges every call a phone makes."""
    return extension, SECRETS.phone(extension)


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    directory = tmp_path_factory.mktemp("asterisk-back-office")
    return write_config_with_observer(CONFIG, SECRETS, directory, str(EXAMPLE))


@pytest.fixture
async def pbx(asterisk, ami, generated):
    instance = asterisk(generated)
    PromptLibrary(instance.sounds_dir, CONFIG.language).ensure_all(spoken_texts(CONFIG))
    instance.ami = instance.ami.__class__(instance.ami.port, *OBSERVER)
    return instance, await ami(instance)


@pytest.fixture
async def bereik(pbx, tmp_path):
    """bereik's FastAGI handlers for the entry and for direct calls, with absence forwarding."""
    forwarding = ForwardingStore(tmp_path / "forwarding.sqlite3", CONFIG)
    prompts = PromptLibrary(pbx[0].sounds_dir, CONFIG.language)
    clock = lambda: MONDAY_MORNING
    server = AgiServer({"entry": EntryHandler(CONFIG, prompts, clock),
                        "direct": DirectHandler(CONFIG, prompts, clock, AbsenceBook(CONFIG, clock, forwarding))}, port=4573)
    await server.start()
    forwarding.agi = server  # a test that speaks to waiting callers adds their companions' handler
    yield forwarding
    await server.close()
    forwarding.close()


async def test_no_answer_after_the_rings_joins_the_tic_queue_behind_a_caller_already_waiting(pbx, bereik, sipp):
    _, events = pbx
    sipp.phone(EVA, behaviour="no_answer")
    # Femke's phone is off (nothing answers at her address): her caller reaches the TIC first, and holds on
    # until the test ends (ci53, load 15-20: a 25-s hold was over before the second caller joined).
    first = sipp.call(FEMKE_DIRECT, talk_seconds=300, from_user="0611111111")
    waiting = await events.wait_for_event("QueueCallerJoin", lambda e: e["Queue"] == "tic", timeout=15)
    assert waiting["Position"] == "1"
    assert (variable(waiting, "BEREIK_TRIED"), variable(waiting, "BEREIK_FAILED")) == ("302", "noanswer")

    second = sipp.call(EVA_DIRECT, talk_seconds=25, from_user="0622222222")
    rang = await events.wait_for_event("DialBegin", lambda e: e.get("DestChannel", "").startswith("PJSIP/301-"))
    joined = await events.wait_for_event(
        "QueueCallerJoin", lambda e: e["Queue"] == "tic" and variable(e, "BEREIK_TRIED") == "301", timeout=20)
    assert joined["Position"] == "2"  # behind the caller already waiting: no priority
    assert variable(joined, "BEREIK_FAILED") == "noanswer"
    assert variable(joined, "BEREIK_TRIED_AT") == MONDAY_MORNING.isoformat(timespec="seconds")
    assert variable(joined, "BEREIK_DEPARTMENT") == "vergunningen"
    ended = events.matching("DialEnd", lambda e: e.get("DestChannel", "").startswith("PJSIP/301-"))
    assert ended[0]["DialStatus"] == "NOANSWER"
    rang_seconds = float(ended[0]["Timestamp"]) - float(rang["Timestamp"])
    assert 4.5 <= rang_seconds <= 6.5  # one Dutch ring in this configuration
    # Exactly one message between the ringing and the queue.
    playbacks = [e for e in events.matching("AGIExecStart") if e.get("Channel") == joined["Channel"]
                 and e.get("Command", "").startswith('EXEC "Playback"')]
    assert len(playbacks) == 1
    for caller in (first, second):
        caller.stop()


async def test_busy_the_caller_waits_behind_the_call_and_is_connected_when_the_line_frees(pbx, bereik, sipp):
    _, events = pbx
    eva = sipp.phone(EVA, behaviour="answer", ring_seconds=0.5, calls=2)
    colleague = sipp.call("301", local_ip=FEMKE, talk_seconds=6, from_user="302", auth=phone_login("302"))
    await events.wait_for_event("DialEnd", lambda e: e.get("DestChannel", "").startswith("PJSIP/301-")
                                and e.get("DialStatus") == "ANSWER")
    caller = sipp.call(EVA_DIRECT, talk_seconds=20, dtmf=[("asked", "1")])

    camped = await events.wait_for_event("QueueCallerJoin", lambda e: e["Queue"] == "camp-301", timeout=15)
    assert not events.matching("AgentConnect", lambda e: e["Queue"] == "camp-301")  # Eva is still busy
    await colleague.succeeds(timeout=10)
    connected = await events.wait_for_event("AgentConnect", lambda e: e["Queue"] == "camp-301", timeout=15)
    assert connected["Interface"] == "PJSIP/301"
    assert float(connected["Timestamp"]) > float(camped["Timestamp"])
    await hang_up(pbx[0])  # each party answers Asterisk's BYE: nothing left to retransmit
    caller.stop()
    eva.stop()


async def test_waiting_behind_a_call_past_the_maximum_goes_to_the_tic_queue(pbx, bereik, sipp):
    """Meanwhile the caller hears whom they wait for, whispered over the ringing (here after one ring)."""
    instance, events = pbx
    ami = AmiClient("127.0.0.1", instance.ami.port, dialplan.AMI_USER, "e2e-" + "x" * 28)
    await ami.connect()
    whispers = Whispers(ami, CallFiles(instance.outgoing).companion)
    whispers.attach()
    bereik.agi.handlers[dialplan.WHISPER_SCRIPT] = whispers
    front_office = Announcer(CONFIG, ami, PromptLibrary(instance.sounds_dir, CONFIG.language, over_ring=True),
                             whispers)
    camp_on = CampOnAnnouncer(CONFIG, ami, front_office.whisper, front_office.hush, AnnouncementSchedule(1, 1))
    camp_on.attach()
    # Femke this time: a fresh phone, untouched by the previous test's calls to Eva.
    sipp.phone(FEMKE, behaviour="answer", ring_seconds=0.5)
    colleague = sipp.call("302", local_ip=HANNA, talk_seconds=20, from_user="311", auth=phone_login("311"))
    await events.wait_for_event("DialEnd", lambda e: e.get("DestChannel", "").startswith("PJSIP/302-")
                                and e.get("DialStatus") == "ANSWER")
    caller = sipp.call(FEMKE_DIRECT, talk_seconds=25, dtmf=[("asked", "1")])

    camped = await events.wait_for_event("QueueCallerJoin", lambda e: e["Queue"] == "camp-302", timeout=15)
    joined = await events.wait_for_event("QueueCallerJoin", lambda e: e["Queue"] == "tic", timeout=15)
    assert variable(joined, "BEREIK_FAILED") == "camp_timeout"
    assert 8 <= float(joined["Timestamp"]) - float(camped["Timestamp"]) <= 8 + 8  # the maximum, then the message
    # bereik starts the caller's companion when the message is due, after one ring, and plays it there.
    [spy] = events.matching("ChanSpyStart", lambda e: e.get("SpyeeChannel") == camped["Channel"])
    assert 4.5 <= float(spy["Timestamp"]) - float(camped["Timestamp"]) <= 7
    player = spy["SpyerChannel"].replace(";1", ";2")
    played = [e for e in events.matching("AGIExecStart", lambda e: e["Channel"] == player) if is_whisper(e)]
    assert played and 5 <= float(played[0]["Timestamp"]) - float(camped["Timestamp"]) <= 7
    caller.stop()
    colleague.stop()
    camp_on.close()
    ami.close()


@pytest.mark.parametrize(("picker", "code"), [(FEMKE, "*8"), (HANNA, "*8301")])
async def test_a_ringing_phone_on_an_empty_desk_is_picked_up_from_another(pbx, bereik, sipp, picker, code):
    """*8: a colleague of the same department; *8301: anyone, naming the colleague."""
    _, events = pbx
    sipp.phone(EVA, behaviour="no_answer")
    caller = sipp.call(EVA_DIRECT, talk_seconds=10)
    await events.wait_for_event("DialBegin", lambda e: e.get("DestChannel", "").startswith("PJSIP/301-"))
    picker_endpoint = {FEMKE: "302", HANNA: "311"}[picker]
    sipp.call(code, local_ip=picker, talk_seconds=3, from_user="picker", auth=phone_login(picker_endpoint))

    pickup = await events.wait_for_event("Pickup", timeout=5)
    assert pickup["TargetChannel"].startswith("PJSIP/301-")
    assert pickup["Channel"].startswith(f"PJSIP/{picker_endpoint}-")
    # The outside caller and the colleague who picked up end up in one bridge.
    caller_channel = pickup["TargetLinkedid"]
    entered = await events.wait_for_event(
        "BridgeEnter", lambda e: e.get("Channel", "").startswith(f"PJSIP/{picker_endpoint}-"), timeout=5)
    await events.wait_for_event(
        "BridgeEnter", lambda e: e.get("Uniqueid") == caller_channel and e["BridgeUniqueid"] == entered["BridgeUniqueid"],
        timeout=5)
    await hang_up(pbx[0])  # each party answers Asterisk's BYE: nothing left to retransmit
    caller.stop()


async def test_forwarded_to_the_mobile_and_not_answered_there_the_call_goes_to_the_tic(pbx, bereik, sipp):
    _, events = pbx
    bereik.set("301", "mobile", starts=MONDAY_MORNING - dt.timedelta(hours=1), ends=None, set_by="eva")
    mobile = sipp.phone(MOBILE_NETWORK[0], port=MOBILE_NETWORK[1], behaviour="no_answer")
    caller = sipp.call(EVA_DIRECT, talk_seconds=20)

    rang = await events.wait_for_event("DialBegin", lambda e: e.get("DestChannel", "").startswith("PJSIP/trunk-"))
    assert rang.get("DialString", "").startswith("0612340301@trunk")
    joined = await events.wait_for_event("QueueCallerJoin", lambda e: e["Queue"] == "tic", timeout=20)
    assert (variable(joined, "BEREIK_TRIED"), variable(joined, "BEREIK_TRIED_VIA")) == ("301", "mobile")
    assert variable(joined, "BEREIK_FAILED") == "noanswer"
    await mobile.succeeds(timeout=5)  # the mobile saw the CANCEL: no ringing left behind
    caller.stop()


async def test_a_call_back_from_a_department_shows_the_departments_number(pbx, bereik, sipp):
    """Haarlem lost callers because call-backs came from the contact centre's own number."""
    _, events = pbx
    citizen = sipp.phone(MOBILE_NETWORK[0], port=MOBILE_NETWORK[1], behaviour="answer", ring_seconds=0.5)
    sipp.call("0612345678", local_ip=FEMKE, talk_seconds=2, from_user="302", auth=phone_login("302"))
    out = await events.wait_for_event("DialBegin", lambda e: e.get("DestChannel", "").startswith("PJSIP/trunk-"))
    assert out["DestConnectedLineNum"] == "0235115300"  # the From the mobile network sees
    await citizen.succeeds(timeout=10)
