"""Waiting for the front office on the real Asterisk: bereik's messages after 4, 8 and 12 rings,
an agent freeing up mid-message, topics, the overflow position and the call-back key.

Asserted on what Asterisk reports to an observer (read=all): the whisper channel's Playback of
bereik's sound (Newexten) with Asterisk's timestamps, relative to the caller's QueueCallerJoin.
"""
import asyncio
import datetime as dt
import time
from pathlib import Path

import pytest

from bereik.callbacks.store import CallbackStore
from bereik.config import load_config
from bereik.config.model import Records, Wallboard
from bereik.ivr.catalogue import spoken_texts, whispered_texts
from bereik.ivr.prompts import PromptLibrary
from bereik.pbx import dialplan
from bereik.records.store import SqliteStore
from bereik.secrets import AMI_SECRET, Secrets
from bereik.service import Service, pretend_clock

EXAMPLE = Path(__file__).parents[2] / "examples" / "bloemendaal.yaml"
_EXAMPLE = load_config(EXAMPLE)
CONFIG = _EXAMPLE.model_copy(update={"waiting": _EXAMPLE.waiting.model_copy(update={"topic_fallback_seconds": 8})})
MONDAY_MORNING = dt.datetime(2026, 11, 23, 10, 0)
OBSERVER = ("observer", "observer-secret-for-tests-only")
BURGERZAKEN = [(1.0, "1"), (2.0, "1")]  # Bloemendaal, then topic 1: agents 201 and 203


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    directory = tmp_path_factory.mktemp("asterisk-waiting")
    secrets = Secrets({AMI_SECRET: "e2e-" + "x" * 28})
    dialplan.write(dialplan.generate(CONFIG, secrets, source=str(EXAMPLE)), directory)
    with open(directory / "manager.conf", "a") as manager:
        # The test plays the agents: it pauses and unpauses them (agent class).
        manager.write(f"\n[{OBSERVER[0]}]\nsecret={OBSERVER[1]}\nread=all\nwrite=call,agent\n")
    return directory, secrets


@pytest.fixture
async def pbx(asterisk, ami, generated):
    directory, _ = generated
    instance = asterisk(directory)
    PromptLibrary(instance.sounds_dir, CONFIG.language).ensure_all(spoken_texts(CONFIG))
    # The messages for the first few places (all 500 take a minute; `bereik prompts` renders them all).
    PromptLibrary(instance.sounds_dir, CONFIG.language, over_ring=True).ensure_all(
        t for t in whispered_texts(CONFIG) if t.startswith(("U bent", "Er is nog"))
    )
    instance.ami = instance.ami.__class__(instance.ami.port, *OBSERVER)
    return instance, await ami(instance)


@pytest.fixture
async def bereik(pbx, generated, tmp_path):
    instance, _ = pbx
    _, secrets = generated
    (instance.root / "var/log/asterisk/cel-custom").mkdir(parents=True, exist_ok=True)
    config = CONFIG.model_copy(update={
        "wallboard": Wallboard(listen="127.0.0.1:0"),
        "records": Records(asterisk_cel=str(instance.root / "var/log/asterisk/cel-custom/bereik.csv")),
    })
    switches = []
    service = Service(config, secrets, instance.sounds_dir, clock=pretend_clock(CONFIG, MONDAY_MORNING),
                      store=SqliteStore(tmp_path / "calls.sqlite3"),
                      callback_store=CallbackStore(tmp_path / "callbacks.sqlite3"),
                      overflow_observers=[switches.append])
    service.switches = switches
    await service.start()
    yield service
    await service.stop()
    service.store.close()
    service.callback_store.close()


async def pause(events, extension, paused):
    await events.send_action({"Action": "QueuePause", "Queue": "tic", "Interface": f"PJSIP/{extension}",
                              "Paused": "true" if paused else "false"})


def at(event):
    return float(event["Timestamp"])


def whisper_plays(events, caller):
    """(seconds after the caller joined, sound) of every Playback Asterisk ran in a whisper to `caller`."""
    players = {e["SpyerChannel"].replace(";1", ";2") for e in events.matching("ChanSpyStart")
               if e.get("SpyeeChannel") == caller["Channel"]}
    return [(at(e) - at(caller), e["AppData"]) for e in events.matching(
        "Newexten", lambda e: e.get("Application") == "Playback" and e["Channel"] in players)]


def expected_sound(library, text):
    return library.sound_name(f"{text} Wilt u liever teruggebeld worden? Toets dan de negen.")


async def test_messages_at_4_8_and_12_rings_and_an_agent_freeing_up_connects_at_once(pbx, bereik, sipp):
    instance, events = pbx
    for extension in ("201", "202", "203"):
        await pause(events, extension, True)
    library = PromptLibrary(instance.sounds_dir, CONFIG.language, over_ring=True)

    callers = [sipp.call("14023", talk_seconds=talk, dtmf=BURGERZAKEN, from_user=number)
               for talk, number in ((80, "0611111111"), (80, "0622222222"))]
    await events.wait_for_event("QueueCallerJoin", lambda e: e["Count"] == "2", timeout=25)
    first_join, second_join = sorted(events.matching("QueueCallerJoin"), key=lambda e: int(e["Position"]))
    phone = sipp.phone("127.0.1.1", ring_seconds=0.2)

    # 25 s after the first caller joined, in the middle of its first message, agent 201 frees up.
    await asyncio.sleep(max(0.0, at(first_join) + 25 - time.time()))  # one clock: the machine's
    await pause(events, "201", False)
    freed = await events.wait_for_event("QueueMemberPause", lambda e: e["Interface"] == "PJSIP/201"
                                        and e["Paused"] == "0", timeout=5)
    connected = await events.wait_for_event("AgentConnect", timeout=10)
    assert connected["Channel"] == first_join["Channel"]
    assert at(connected) - at(freed) < 1.5  # not after the message: it was still playing
    left = await events.wait_for_event("QueueCallerLeave", lambda e: e["Channel"] == first_join["Channel"])
    # The whisper to the first caller ends with its leaving the queue: the agent hears none of it.
    spy = events.matching("ChanSpyStart", lambda e: e.get("SpyeeChannel") == first_join["Channel"])[0]
    player = spy["SpyerChannel"].replace(";1", ";2")  # the Local half that plays the sound
    ended = await events.wait_for_event("Hangup", lambda e: e["Channel"] == player, timeout=5)
    assert at(ended) - at(left) < 1.0

    # The second caller stays to hear three messages: 20, 40 and 60 s after joining.
    await events.wait_for_event("Newexten", lambda e: e.get("Application") == "Playback"
                                and at(e) > at(second_join) + 55, timeout=70)
    plays = whisper_plays(events, second_join)
    assert [round(t) for t, _ in plays] == [20, 40, 60], plays
    assert all(abs(t - due) <= 2 for (t, _), due in zip(plays, (20, 40, 60)))
    # One caller ahead at 20 s (the first was connected at 25 s); next in line at 40 and 60 s.
    assert plays[0][1] == expected_sound(library, "Er is nog één beller voor u.")
    assert plays[1][1] == plays[2][1] == expected_sound(library, "U bent de volgende.")
    first_plays = whisper_plays(events, first_join)
    assert [round(t) for t, _ in first_plays] == [20]
    assert first_plays[0][1] == expected_sound(library, "U bent de volgende.")
    for caller in callers:
        caller.stop()
    phone.stop()
    assert bereik.switches == []  # two callers: the overflow position never joined

