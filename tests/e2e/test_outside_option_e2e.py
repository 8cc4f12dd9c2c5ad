"""A menu option to an outside organisation on the real Asterisk (issue 22): Bloemendaal's key 5 puts the
caller through to Sociale Zaken in Heemstede over the trunk, a SIPp carrier at 127.0.0.1:5080 (pbx.trunk),
through the class of service, as key 2 of the shared 14023 puts callers through to Heemstede itself; busy,
the caller comes back to the front office with why; a 0900 number is refused by `bereik check`, and in a
hand-edited dialplan by Asterisk's class of service, the caller still reaching the front office. Asserted on what Asterisk did (AMI events, channel variables), what the carrier
received, and what bereik recorded."""
import datetime as dt
from pathlib import Path

import pytest

from bereik.cli import main
from bereik.config.model import Records, Wallboard
from bereik.ivr.catalogue import spoken_texts
from bereik.ivr.phrases import other_municipality_text, outside_text
from bereik.ivr.prompts import PromptLibrary
from bereik.records.store import SqliteStore
from bereik.records.summary import summarise
from bereik.secrets import AMI_SECRET, PHONES_SECRET, Secrets
from bereik.service import Service, pretend_clock

from helpers import OBSERVER, ended_journey, hang_up, variable, write_config_with_observer
from tests.examples import example_config

EXAMPLE = Path(__file__).parents[2] / "examples" / "bloemendaal.yaml"
CONFIG = example_config()
SECRETS = Secrets({AMI_SECRET: "e2e-" + "x" * 28, PHONES_SECRET: "phones-" + "p" * 26})
MONDAY_MORNING = dt.datetime(2026, 11, 23, 10, 0)
CARRIER = ("127.0.0.1", 5080)  # pbx.trunk: calls out arrive here
SOCIALE_ZAKEN = "0235485868"
KEYS = [("asked", "1"), ("asked", "5")]  # Bloemendaal, then Sociale Zaken


def generated(tmp_path: Path, hand_edit: tuple[str, str] | None = None) -> Path:
    directory = write_config_with_observer(CONFIG, SECRETS, tmp_path / "asterisk", str(EXAMPLE))
    if hand_edit:  # as an administrator (or an intruder) might edit extensions.conf
        extensions = directory / "extensions.conf"
        text = extensions.read_text()
        assert hand_edit[0] in text
        extensions.write_text(text.replace(*hand_edit))
    return directory


@pytest.fixture
async def running(asterisk, ami, tmp_path):
    """Asterisk with the example's configuration (or a hand-edited one), and bereik serving it."""
    started = []

    async def start(hand_edit=None):
        instance = asterisk(generated(tmp_path, hand_edit))
        PromptLibrary(instance.sounds_dir, CONFIG.language).ensure_all(spoken_texts(CONFIG))
        instance.ami = instance.ami.__class__(instance.ami.port, *OBSERVER)
        events = await ami(instance)
        (instance.root / "var/log/asterisk/cel-custom").mkdir(parents=True, exist_ok=True)
        config = CONFIG.model_copy(update={
            "wallboard": Wallboard(listen="127.0.0.1:0"),
            "records": Records(asterisk_cel=str(instance.root / "var/log/asterisk/cel-custom/bereik.csv"))})
        store = SqliteStore(tmp_path / "calls.sqlite3")
        service = Service(config, SECRETS, instance.sounds_dir, clock=pretend_clock(CONFIG, MONDAY_MORNING),
                          store=store)
        await service.start()
        started.append(service)
        return instance, events, service

    yield start
    for service in started:
        await service.stop()
        service.store.close()


def the_caller(event: dict) -> bool:
    """The citizen's own channel: it came in over the trunk and is its call's first leg."""
    return event.get("Channel", "").startswith("PJSIP/trunk-") and event.get("Uniqueid") == event.get("Linkedid")


def to_the_carrier(event: dict) -> bool:
    return event.get("DestChannel", "").startswith("PJSIP/trunk-")


async def test_key_5_puts_the_caller_through_the_trunk_to_sociale_zaken_and_the_record_says_so(running, sipp):
    instance, events, service = await running()
    carrier = sipp.phone(*CARRIER[:1], port=CARRIER[1], behaviour="answer", ring_seconds=0.5)
    caller = sipp.call("14023", talk_seconds=25, dtmf=KEYS)

    # bereik's decision on the caller's channel, then Asterisk's dial through the class of service.
    through = await events.wait_for_event("DialBegin", lambda e: the_caller(e) and e.get("Context") ==
                                          "bereik-outside", timeout=40)
    assert through["DialString"] == f"{SOCIALE_ZAKEN}@bereik-outbound/n" and through["Exten"] == "5"
    assert variable(through, "BEREIK_ORGANISATION") == "Sociale Zaken Heemstede"
    assert variable(through, "BEREIK_CHOICE") == "5" and variable(through, "BEREIK_REASON") == "outside_organisation"
    out = await events.wait_for_event("DialBegin", to_the_carrier, timeout=10)
    assert out["DialString"] == f"{SOCIALE_ZAKEN}@trunk" and out["Context"] == "bereik-outbound"
    assert out["Linkedid"] == through["Linkedid"]  # the same call, on the trunk
    answered = await events.wait_for_event("DialEnd", lambda e: the_caller(e) and e.get("DialStatus") == "ANSWER",
                                           timeout=15)
    assert answered["Context"] == "bereik-outside"

    await hang_up(instance)
    await caller.succeeds(timeout=40)
    await carrier.succeeds(timeout=10)
    [invite] = carrier.received("INVITE")  # what the carrier was asked for: Sociale Zaken's number
    assert f"sip:{SOCIALE_ZAKEN}@" in invite["To"]
    # bereik told the caller where the call goes before it went.
    sound = PromptLibrary(Path(), "nl").sound_name(outside_text(CONFIG, "put_through", "Sociale Zaken Heemstede"))
    assert any(sound in e.get("Command", "") for e in events.matching("AGIExecStart"))
    assert not events.matching("QueueCallerJoin")

    journey = await ended_journey(service.store, through["Linkedid"])
    assert journey.first("forwarded").detail == {"to": SOCIALE_ZAKEN}
    assert journey.labels["organisation"] == "Sociale Zaken Heemstede" and journey.labels["choice"] == "5"
    row = summarise(journey, CONFIG.zone, frozenset(CONFIG.entry_numbers))
    assert row.forwarded_to == SOCIALE_ZAKEN and not row.abandoned and not row.fallback


async def test_when_sociale_zaken_is_busy_the_caller_hears_so_and_the_front_office_answers(running, sipp):
    instance, events, service = await running()
    sipp.phone(*CARRIER[:1], port=CARRIER[1], behaviour="busy")
    anna = sipp.phone("127.0.1.1", ring_seconds=0.5)
    caller = sipp.call("14023", talk_seconds=30, dtmf=KEYS)

    ended = await events.wait_for_event("DialEnd", lambda e: the_caller(e) and e.get("Context") == "bereik-outside",
                                        timeout=40)
    assert ended["DialStatus"] == "BUSY"
    told = await events.wait_for_event("Newexten", lambda e: the_caller(e) and e.get("Application") == "Playback"
                                       and e.get("Context") == "bereik-outside", timeout=10)
    not_reached = outside_text(CONFIG, "not_reached", "Sociale Zaken Heemstede")
    assert told["AppData"] == PromptLibrary(Path(), "nl").sound_name(not_reached)
    joined = await events.wait_for_event("QueueCallerJoin", the_caller, timeout=20)
    assert joined["Queue"] == "tic" and variable(joined, "BEREIK_FAILED") == "busy"
    assert variable(joined, "BEREIK_ORGANISATION") == "Sociale Zaken Heemstede"
    connected = await events.wait_for_event("AgentConnect", lambda e: e["Queue"] == "tic", timeout=20)
    assert connected["Interface"] == "PJSIP/201"
    await hang_up(instance)
    await caller.succeeds(timeout=40)
    await anna.succeeds(timeout=20)

    journey = await ended_journey(service.store, joined["Linkedid"])
    row = summarise(journey, CONFIG.zone, frozenset(CONFIG.entry_numbers))
    assert row.fallback and row.agent and not row.abandoned and row.forwarded_to == SOCIALE_ZAKEN


async def test_a_0900_number_is_refused_by_check_and_in_a_hand_edited_dialplan_by_asterisk(running, sipp, tmp_path):
    yaml = tmp_path / "bloemendaal.yaml"
    yaml.write_text(EXAMPLE.read_text().replace(f'forward_to: "{SOCIALE_ZAKEN}"\n      organisation:',
                                                'forward_to: "0900123456"\n      organisation:'))
    assert main(["check", str(yaml)]) == 1

    # The dialplan edited by hand past bereik check: Asterisk's class of service still refuses the number.
    _, events, _ = await running(hand_edit=(f"Local/{SOCIALE_ZAKEN}@bereik-outbound", "Local/0900123456@bereik-outbound"))
    carrier = sipp.phone(*CARRIER[:1], port=CARRIER[1], behaviour="answer", ring_seconds=0.2)
    sipp.phone("127.0.1.1", behaviour="no_answer")
    sipp.call("14023", talk_seconds=30, dtmf=KEYS)

    refused = await events.wait_for_event("Newexten", lambda e: e.get("Context") == "bereik-outbound" and
                                          e.get("Application") == "Hangup", timeout=40)
    assert refused["AppData"] == "21" and refused["Exten"] == "0900123456"
    joined = await events.wait_for_event("QueueCallerJoin", the_caller, timeout=20)  # never a dead end
    assert variable(joined, "BEREIK_FAILED") == "unavailable"
    assert not events.matching("DialBegin", to_the_carrier)  # nothing reached the trunk
    assert not carrier.received("INVITE")
    carrier.stop()


async def test_when_heemstede_on_the_shared_number_is_busy_the_caller_hears_so_and_the_front_office_answers(
        running, sipp):
    """14023 is shared: key 2 puts the caller through to Heemstede's number, the same way as an outside
    organisation. Busy, the caller is told and our front office answers, never a hang-up."""
    instance, events, service = await running()
    sipp.phone(*CARRIER[:1], port=CARRIER[1], behaviour="busy")
    anna = sipp.phone("127.0.1.1", ring_seconds=0.5)
    caller = sipp.call("14023", talk_seconds=30, dtmf=[("asked", "2")])

    through = await events.wait_for_event("DialBegin", lambda e: the_caller(e) and e.get("Context") ==
                                          "bereik-other-municipality", timeout=40)
    assert through["DialString"] == f"{SOCIALE_ZAKEN}@bereik-outbound/n"  # Heemstede's general number
    assert variable(through, "BEREIK_REASON") == "other_municipality"
    assert variable(through, "BEREIK_MUNICIPALITY") == "Heemstede"
    ended = await events.wait_for_event("DialEnd", lambda e: the_caller(e) and e.get("Context") ==
                                        "bereik-other-municipality", timeout=30)  # through the trunk and back
    assert ended["DialStatus"] == "BUSY"
    told = await events.wait_for_event("Newexten", lambda e: the_caller(e) and e.get("Application") == "Playback"
                                       and e.get("Context") == "bereik-other-municipality", timeout=10)
    not_reached = other_municipality_text(CONFIG, "not_reached", "Heemstede")
    assert not_reached.startswith("De gemeente Heemstede is nu niet bereikbaar.")
    assert told["AppData"] == PromptLibrary(Path(), "nl").sound_name(not_reached)
    joined = await events.wait_for_event("QueueCallerJoin", the_caller, timeout=20)
    assert joined["Queue"] == "tic" and variable(joined, "BEREIK_FAILED") == "busy"
    connected = await events.wait_for_event("AgentConnect", lambda e: e["Queue"] == "tic", timeout=20)
    assert connected["Interface"] == "PJSIP/201"
    await hang_up(instance)
    await caller.succeeds(timeout=40)
    await anna.succeeds(timeout=20)

    journey = await ended_journey(service.store, joined["Linkedid"])
    assert journey.first("forwarded").detail == {"to": SOCIALE_ZAKEN}
    row = summarise(journey, CONFIG.zone, frozenset(CONFIG.entry_numbers))
    assert row.fallback and row.agent and not row.abandoned
