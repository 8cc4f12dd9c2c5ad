"""Fail-open and the queue respect time, on the real Asterisk, with bereik stopped.

Asterisk runs on the machine's clock, so each test makes the YAML say what it needs about *now*: the
office closed now (by its hours, or a closing day today), or open with nobody at a position.
"""
import asyncio
import datetime as dt
from pathlib import Path

import pytest

from bereik.config.model import WEEKDAYS, ClosingDay, WeekHours
from bereik.ivr.catalogue import spoken_texts
from bereik.ivr.phrases import fill, next_opening_phrase
from bereik.ivr.prompts import PromptLibrary
from bereik.routing.hours import OpeningHours
from bereik.routing.waiting import max_wait_text
from bereik.secrets import AMI_SECRET, PHONES_SECRET, Secrets

from helpers import OBSERVER, always_open, variable, write_config_with_observer
from tests.examples import example_config

EXAMPLE = Path(__file__).parents[2] / "examples" / "bloemendaal.yaml"
BASE = example_config()
SECRETS = Secrets({AMI_SECRET: "e2e-" + "x" * 28, PHONES_SECRET: "phones-" + "p" * 26})
MAX_WAIT = 6


def closed_now(how: str):
    """The example, closed right now: by its hours (open one hour that is not this one), or a closing day."""
    now = dt.datetime.now(BASE.zone)
    if how == "closing day":
        config = always_open(BASE)
        return config.model_copy(update={"holidays": config.holidays.model_copy(
            update={"extra_closed": [ClosingDay(date=now.date(), reason="test")]})})
    hour = "09:00-10:00" if now.hour not in (9, 10) else "14:00-15:00"
    return BASE.model_copy(update={"hours": WeekHours(**{day: [hour] for day in WEEKDAYS})})


async def start(asterisk, ami, tmp_path, config, name):
    directory = write_config_with_observer(config, SECRETS, tmp_path / name, str(EXAMPLE), hours_as_configured=True)
    instance = asterisk(directory)
    PromptLibrary(instance.sounds_dir, config.language).ensure_all(spoken_texts(config))
    instance.ami = instance.ami.__class__(instance.ami.port, *OBSERVER)
    return instance, await ami(instance)


def sound(config, text: str) -> str:
    return PromptLibrary(Path(), config.language).sound_name(text)


@pytest.mark.parametrize("how", ["outside hours", "closing day"])
async def test_closed_with_bereik_stopped_the_caller_hears_the_closing_message_and_the_call_ends(
        asterisk, ami, sipp, tmp_path, how):
    config = closed_now(how)
    _, events = await start(asterisk, ami, tmp_path, config, how.replace(" ", "-"))
    now = dt.datetime.now(config.zone)
    status = OpeningHours(config).status(now)
    assert not status.open
    expected = fill(config, config.texts["closed"],
                    next_opening=next_opening_phrase(status.next_opening, now, config.zone, config.language))

    caller = sipp.call("14023", talk_seconds=60)  # no bereik: nothing listens on the FastAGI port
    played = await events.wait_for_event("Newexten", lambda e: e.get("Application") == "Playback"
                                         and e.get("Context") == "bereik-closed", timeout=15)
    assert played["AppData"] == sound(config, expected)  # with the next opening, as bereik would say it
    hangup = await events.wait_for_event("Hangup", lambda e: e["Channel"] == played["Channel"], timeout=30)
    assert variable(hangup, "BEREIK_REASON") == "failopen-FAILURE-closed"
    await caller.succeeds(10)  # Asterisk ended the call (BYE), long before 60 s
    assert not events.matching("QueueCallerJoin")


async def test_by_day_with_nobody_at_a_position_the_caller_leaves_the_queue_at_the_maximum_wait(
        asterisk, ami, sipp, tmp_path):
    config = always_open(BASE)
    config = config.model_copy(update={"waiting": config.waiting.model_copy(update={"max_wait_seconds": MAX_WAIT})})
    _, events = await start(asterisk, ami, tmp_path, config, "max-wait")
    for extension in ("201", "202", "203", "204"):  # nobody logged in
        await events.send_action({"Action": "Setvar", "Variable": f"QUEUE_MEMBER(tic,paused,PJSIP/{extension})",
                                  "Value": "1"})
    message = max_wait_text(config)

    # Nobody takes the call (and with bereik away nobody offers the call-back while it waits): at the maximum
    # the caller hears what to do next and is let go.
    caller = sipp.call("14023", talk_seconds=40, from_user="0611111111")
    joined = await events.wait_for_event("QueueCallerJoin", lambda e: e.get("CallerIDNum") == "0611111111",
                                         timeout=15)
    left = await events.wait_for_event("QueueCallerLeave", lambda e: e["Channel"] == joined["Channel"],
                                       timeout=MAX_WAIT + 10)
    assert MAX_WAIT - 0.5 <= float(left["Timestamp"]) - float(joined["Timestamp"]) <= MAX_WAIT + 2
    told = await events.wait_for_event("Newexten", lambda e: e["Channel"] == joined["Channel"]
                                       and e.get("Application") == "Playback", timeout=5)
    assert told["AppData"] == sound(config, message)
    await events.wait_for_event("Hangup", lambda e: e["Channel"] == joined["Channel"], timeout=20)
    await caller.succeeds(10)  # the call ended: nobody rings on
