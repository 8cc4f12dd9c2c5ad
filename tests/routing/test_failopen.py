"""With bereik down, the dialplan decides alone: open or closed, and which closing message. Minute by minute
it must say what bereik would have said (bereik.routing.hours), holidays and daylight saving included."""
import datetime as dt
import re
from pathlib import Path

import pytest

from bereik.ivr.phrases import fill, next_opening_phrase
from bereik.ivr.prompts import PromptLibrary
from bereik.pbx.dialplan import generate
from bereik.routing import failopen
from bereik.routing.hours import OpeningHours
from bereik.secrets import AMI_SECRET, PHONES_SECRET, Secrets
from tests.examples import example_config

EXAMPLE = Path(__file__).parents[2] / "examples" / "bloemendaal.yaml"
CONFIG = example_config()
SECRETS = Secrets({AMI_SECRET: "k3Wq9-long-random-secret", PHONES_SECRET: "phones-" + "p" * 26})
GENERATED_ON = dt.date(2026, 10, 20)
EXTENSIONS = generate(CONFIG, SECRETS, today=GENERATED_ON)["extensions.conf"]
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def context(name: str) -> str:
    return EXTENSIONS.split(f"[{name}]\n", 1)[1].split("\n[", 1)[0]


RULE = re.compile(r"GotoIfTime\((\d\d):(\d\d)-(\d\d):(\d\d),(\w+|\*),\*,\*,Europe/Amsterdam\?([^)]+)\)")


def rules(lines: str) -> list[tuple]:
    return [(dt.time(int(h1), int(m1)), dt.time(int(h2), int(m2)), day, target)
            for h1, m1, h2, m2, day, target in RULE.findall(lines)]


WEEKLY = rules(context("bereik-failopen"))
DATED = {key: rules(body) for key, body in
         re.findall(r"^exten => (\d{8}),1,NoOp\(.*?\)\n((?: same => .*\n?)*)", context("bereik-failopen-dates"),
                    re.MULTILINE)}


def asterisk_says(local: dt.datetime) -> str:
    """What the generated dialplan does at this local time, read as Asterisk would: 'open' or a sound hash."""
    table = DATED.get(f"{local:%Y%m%d}")
    for first, last, day, target in table if table is not None else WEEKLY:
        if (day == "*" or day == WEEKDAYS[local.weekday()]) and first <= local.time().replace(second=0) <= last:
            return "open" if target == "open" else target.split(",")[1]
    return "open"


HOURS, SOUNDS = OpeningHours(CONFIG), PromptLibrary(Path(), CONFIG.language)


def bereik_says(moment: dt.datetime) -> str:
    status = HOURS.status(moment)
    if status.open:
        return "open"
    phrase = next_opening_phrase(status.next_opening, moment, CONFIG.zone, CONFIG.language)
    return SOUNDS.sound_name(fill(CONFIG, CONFIG.texts["closed"], next_opening=phrase)).split("/", 1)[1]


@pytest.mark.parametrize(("first", "days"), [
    (dt.date(2026, 10, 20), 9),  # a plain week, and the clocks going back (25 October)
    (dt.date(2026, 12, 21), 14),  # Christmas, the extra closing days, New Year
    (dt.date(2027, 3, 24), 10),  # Easter 2027 on the night the clocks go forward
    (dt.date(2027, 4, 26), 3),  # King's Day
])
def test_the_dialplan_alone_says_what_bereik_would_minute_by_minute(first, days):
    zone = CONFIG.zone
    start = dt.datetime.combine(first, dt.time(), tzinfo=zone)
    moment, end = start, start + dt.timedelta(days=days)
    while moment < end:
        local = moment.astimezone(zone)
        assert asterisk_says(local) == bereik_says(moment), local
        moment += dt.timedelta(minutes=1)


def test_every_closing_message_the_dialplan_plays_is_rendered_by_bereik_prompts():
    from bereik.ivr.catalogue import spoken_texts

    rendered = {PromptLibrary(Path(), CONFIG.language).sound_name(t).split("/", 1)[1] for t in spoken_texts(CONFIG)}
    today = dt.datetime.now(CONFIG.zone).date()
    played = set(re.findall(r"bereik-closed,([0-9a-f]+),1", generate(CONFIG, SECRETS, today=today)["extensions.conf"]))
    assert played and played <= rendered


def test_open_until_midnight_leaves_no_closed_minute():
    text = EXAMPLE.read_text().replace('  monday:    ["08:30-17:00"]', '  monday:    ["08:30-24:00"]')
    config = load_config_text(text)
    monday = failopen.weekly(config)[0]
    assert [(s.times, s.closed_message is None) for s in monday] == [("00:00-08:29", False), ("08:30-23:59", True)]
    assert OpeningHours(config).status(dt.datetime(2026, 11, 23, 23, 59, 30, tzinfo=config.zone)).open


def load_config_text(text: str):
    from bereik.config import parse_config

    return parse_config(text, "gemeente.yaml")


def test_the_tic_queue_has_a_maximum_wait_then_what_to_do_next_but_a_stand_in_waits_on():
    from bereik.routing.waiting import max_wait_text

    tic = EXTENSIONS.split("exten => tic,1,", 1)[1].split("\nexten =>", 1)[0]
    first_entry = '${IF($["${BEREIK_QUEUED_AT}" = ""]?${EPOCH}:${BEREIK_QUEUED_AT})}'  # kept by a returning caller
    assert f"BEREIK_QUEUED_AT={first_entry})" in tic
    wait_left = "$[600 - ${EPOCH} + ${BEREIK_QUEUED_AT}]"  # seconds left of the maximum wait, from the first entry
    assert f"Queue(tic,rtx,,,{wait_left},,,topic-fallback,${{BEREIK_POSITION}})" in tic
    assert 'GotoIf($["${QUEUESTATUS}" = "TIMEOUT"]?too_long)' in tic
    message = PromptLibrary(Path(), CONFIG.language).sound_name(max_wait_text(CONFIG))
    assert f"n(too_long),Playback({message})\n same => n,Hangup()" in tic
    # A call-back's stand-in keeps the caller's place however long it takes: no timeout, no companion.
    lines = tic.splitlines()
    # Where to, in one step: the stand-in first, so the wait left is not even looked at.
    where = lines.index(' same => n,GotoIf($["${BEREIK_STAND_IN}" = "1"]?stand_in:'
                        f'${{IF($[{wait_left} < 1]?too_long:wait)}})')
    assert lines[where + 1].startswith(f" same => n(wait),Queue(tic,rtx,,,{wait_left},")
    assert " same => n(stand_in),Queue(tic,rtx,,,,,,topic-fallback,${BEREIK_POSITION})" in lines
