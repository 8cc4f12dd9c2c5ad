"""The FastAGI entry handler over a real socket, with a fake Asterisk on the other end."""
import asyncio
import datetime as dt
import json
import logging
import threading
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bereik.config import ConfigError, parse_config
from bereik.config.model import Server
from bereik.ivr.prompts import PromptLibrary
from bereik.pbx import variables as var
from bereik.pbx.agi import AgiError, AgiServer, parse_environment, quote
from bereik.pbx.entry import EntryHandler

from fake_asterisk import FakeAsterisk
from tests.examples import example_config

EXAMPLE = Path(__file__).parents[2] / "examples" / "bloemendaal.yaml"
CONFIG = example_config()
AMS = ZoneInfo("Europe/Amsterdam")
MONDAY_MORNING = dt.datetime(2026, 11, 23, 10, 0, tzinfo=AMS)
MONDAY_EVENING = dt.datetime(2026, 11, 23, 18, 0, tzinfo=AMS)


@pytest.fixture
async def serve(tmp_path):
    servers = []

    async def start(now=MONDAY_MORNING, handlers=None):
        handler = EntryHandler(CONFIG, PromptLibrary(tmp_path / "sounds"), clock=lambda: now)
        server = AgiServer(handlers or {"entry": handler}, port=0)
        await server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        await server.close()


async def test_option_two_in_hours_sends_the_caller_to_the_queue_with_the_topic_and_no_place_variables(serve):
    """The action, the queue and ROUTED are read only by the dialplan after the AGI, which a caller sent on never
    reaches: each set would be work for Asterisk's one AMI thread."""
    server = await serve()
    asterisk = FakeAsterisk(keys=["1", "2"])
    await asterisk.call(server)
    assert (asterisk.variables[var.TOPIC], asterisk.variables[var.CHOICE]) == ("afval", "2")
    assert {var.ACTION, var.QUEUE, var.ROUTED}.isdisjoint(asterisk.variables)
    assert asterisk.commands[-1] == ["EXEC", "Goto", "bereik-queue,tic,1"]


async def test_a_decision_the_dialplan_carries_out_sets_routed_last_in_the_same_step_as_the_rest(serve):
    server = await serve(now=MONDAY_EVENING)
    asterisk = FakeAsterisk(keys=["1"])
    await asterisk.call(server)
    [mset] = [words for words in asterisk.commands if words[:2] == ["EXEC", "MSet"]]
    assert mset[2].split(",")[-1] == f"{var.ROUTED}=1"
    assert f"{var.ACTION}=hangup" in mset[2].split(",")


async def test_a_caller_for_the_queue_is_sent_on_by_bereik_with_the_watchdog_cleared_in_the_decisions_step(serve):
    """The dialplan then takes no step to clear the watchdog or find the queue (tasks of Asterisk's AMI thread)."""
    server = await serve()
    asterisk = FakeAsterisk(keys=["1", "2"])
    await asterisk.call(server)
    mset, goto = asterisk.commands[-2:]
    assert mset[:2] == ["EXEC", "MSet"] and mset[2].split(",")[0] == "TIMEOUT(absolute)=0"
    assert goto == ["EXEC", "Goto", "bereik-queue,tic,1"]


async def test_a_caller_for_no_queue_is_left_to_the_dialplan(serve):
    server = await serve(now=MONDAY_EVENING)
    asterisk = FakeAsterisk(keys=["1"])
    await asterisk.call(server)
    assert not [words for words in asterisk.commands if words[:2] == ["EXEC", "Goto"]]
    [mset] = [words for words in asterisk.commands if words[:2] == ["EXEC", "MSet"]]
    assert "TIMEOUT(absolute)" not in mset[2]  # the dialplan clears the watchdog itself on its way on


async def test_closed_plays_the_closing_message_and_asks_to_hang_up(serve, tmp_path):
    server = await serve(now=MONDAY_EVENING)
    asterisk = FakeAsterisk(keys=["1"])
    await asterisk.call(server)
    assert asterisk.variables[var.ACTION] == "hangup"
    assert asterisk.variables[var.REASON] == "outside_hours"
    [playback] = [words for words in asterisk.commands if words[:2] == ["EXEC", "Playback"]]
    sound = playback[2].split("/", 1)[1]
    assert (tmp_path / "sounds" / f"{sound}.wav").stat().st_size > 8000  # real speech, rendered on demand


async def test_every_step_re_arms_the_watchdog_for_as_long_as_it_takes(serve, tmp_path):
    server = await serve()
    asterisk = FakeAsterisk(keys=["1", "2"])
    await asterisk.call(server)
    steps = [words for words in asterisk.commands if words[:2] in (["EXEC", "Read"], ["SET", "VARIABLE"])]
    arms = [i for i, words in enumerate(steps) if words[2:3] == ["TIMEOUT(absolute)"]]
    reads = [i for i, words in enumerate(steps) if words[1] == "Read"]
    assert [i + 1 for i in arms] == reads  # armed right before each question
    municipality_seconds, menu_seconds = (int(steps[i][3]) for i in arms)
    # The menu (welcome, intro, five options) is far longer than the municipality question,
    # and each allows the prompts, the 5 s for a key and a 3 s margin.
    assert 5 + 3 < municipality_seconds < menu_seconds < 5 + 3 + 60


async def test_the_menu_is_one_read_with_every_option_as_a_sound(serve):
    server = await serve()
    asterisk = FakeAsterisk(keys=["1", "9", "9"])
    await asterisk.call(server)
    reads = [words[2].split(",") for words in asterisk.commands if words[:2] == ["EXEC", "Read"]]
    assert len(reads) == 3  # municipality, menu, menu again after a wrong key
    assert len(reads[1][1].split("&")) == 2 + len(CONFIG.menu.options)  # welcome, intro, options
    assert asterisk.variables[var.REASON] == "no_choice" and asterisk.variables.get(var.TOPIC, "") == ""


async def test_a_caller_who_hangs_up_in_the_menu_is_not_routed(serve):
    server = await serve()
    asterisk = FakeAsterisk(keys=["1"], hang_up_after=1)
    await asterisk.call(server)
    assert var.ROUTED not in asterisk.variables or asterisk.variables[var.ROUTED] == ""
    await asyncio.sleep(0)
    assert server.active_sessions == 0


def call_lines(caplog) -> list[dict]:
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == "bereik.call"]


async def test_a_routed_call_is_one_log_line_with_its_steps_and_the_caller_masked(serve, caplog):
    caplog.set_level(logging.INFO, logger="bereik.call")
    server = await serve()
    await FakeAsterisk(keys=["1", "2"]).call(server)
    [line] = call_lines(caplog)
    assert (line["call"], line["step"], line["action"], line["queue"], line["topic"]) == (
        "1700000000.1", "routed", "queue", "tic", "afval")
    assert [(s["step"], s.get("key")) for s in line["steps"]] == [("entry", None), ("municipality", "1"), ("menu", "2")]
    assert line["steps"][0]["caller"] == "06******78" and "0612345678" not in caplog.text
    assert 0 <= line["steps"][0]["t"] <= line["steps"][-1]["t"] <= line["t"]


class RepliesAfterTheEnd(FakeAsterisk):
    """Holds its replies to the hand-over's commands until bereik's side of the line has ended: a bereik that waited
    for a reply before ending it would wait for ever."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.held: list[str] = []

    def _reply(self, words):
        reply = super()._reply(words)
        if words[:2] in (["EXEC", "MSet"], ["EXEC", "Goto"]):
            self.held.append(reply)
            return ""
        return reply

    def at_the_end(self):
        return "".join(self.held).encode()


async def test_the_caller_is_sent_on_without_waiting_for_bereik_to_read_a_reply_to_the_hand_over(serve, caplog):
    """The hand-over's commands and the end of bereik's side come in one go (res_agi then carries them out and ends
    the script without waiting for bereik to run again); bereik reads the replies after, for the call's line."""
    caplog.set_level(logging.INFO, logger="bereik.call")
    server = await serve()
    asterisk = RepliesAfterTheEnd(keys=["1", "2"])
    await asyncio.wait_for(asterisk.call(server), 5)
    assert [words[:2] for words in asterisk.commands[-2:]] == [["EXEC", "MSet"], ["EXEC", "Goto"]]
    assert len(asterisk.held) == 2
    [line] = call_lines(caplog)
    assert (line["step"], line["queue"]) == ("routed", "tic")


async def test_a_hang_up_at_a_question_is_the_line_of_its_call_with_the_stage(serve, caplog):
    caplog.set_level(logging.INFO, logger="bereik.call")
    server = await serve()
    await FakeAsterisk(keys=["1"], hang_up_after=1).call(server)
    [line] = call_lines(caplog)
    assert (line["step"], line["stage"]) == ("hung_up", "municipality")
    assert [s["step"] for s in line["steps"]] == ["entry"]


async def test_a_crashing_handler_closes_the_connection_without_routing(serve):
    async def broken(session):
        raise RuntimeError("bug")

    server = await serve(handlers={"entry": broken})
    asterisk = FakeAsterisk()
    await asyncio.wait_for(asterisk.call(server), 5)
    assert asterisk.variables == {}  # the dialplan sees no BEREIK_ROUTED and fails open


async def test_caller_ids_with_quotes_and_backslashes_travel_quoted(serve):
    server = await serve()
    asterisk = FakeAsterisk(keys=["1", "1"], caller_name='Jan "de Baas" \\ Jansen')
    await asterisk.call(server)
    assert asterisk.commands[-1][:2] == ["EXEC", "Goto"]  # routed
    for raw in asterisk.raw_commands:
        assert "\n" not in raw


def test_quote_escapes_and_refuses_line_breaks():
    assert quote('a "b" \\c') == '"a \\"b\\" \\\\c"'
    for bad in ("a\nEXEC System", "a\rb", "a\0b"):
        with pytest.raises(AgiError):
            quote(bad)


def test_an_injected_line_in_the_environment_cannot_override_a_real_one():
    block = (b"agi_network_script: entry\n"
             b"agi_calleridname: Jan\n"
             b"agi_network_script: evil\n"     # a newline smuggled into a value
             b"garbage without separator\n"
             b"agi_callerid: \xff\xfe0612\n\n")
    environment = parse_environment(block)
    assert environment["agi_network_script"] == "entry"
    assert environment["agi_calleridname"] == "Jan"
    assert environment["agi_callerid"].endswith("0612")


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_any_environment_bytes_parse_without_error(block):
    environment = parse_environment(block)
    assert all(key.startswith("agi_") and "\n" not in value for key, value in environment.items())


async def test_a_peer_outside_the_allow_list_is_refused_and_logged_once_with_the_reason(serve, caplog):
    server = AgiServer({"entry": None}, port=0, allowed_peers=("10.0.0.0/8",))
    await server.start()
    try:
        for _ in range(3):
            asterisk = FakeAsterisk()
            await asyncio.wait_for(asterisk.call(server), 5)
            assert asterisk.commands == []
        [refusal] = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
        assert "from 127.0.0.1 refused: not in the allow-list (10.0.0.0/8)" in refusal
        assert "pbx.agi_allow" in refusal  # what to do about it
    finally:
        await server.close()


def test_the_allow_list_defaults_to_the_configured_asterisk_servers_addresses():
    example = example_config()
    assert example.agi_allowed() == ["127.0.0.0/8"]  # this machine
    servers = example.model_copy(update={"pbx": example.pbx.model_copy(update={"servers": [
        Server(name="noord", sip_bind="10.0.0.11:5060", agi="10.0.0.21:4573", ami="10.0.0.11:5038"),
        Server(name="zuid", sip_bind="10.0.0.12:5060", agi="10.0.0.22:4573", ami="10.0.0.12:5038")]})})
    assert servers.for_server("zuid").agi_allowed() == ["127.0.0.0/8", "10.0.0.11/32", "10.0.0.12/32"]
    assert "10.0.0.21/32" not in servers.agi_allowed()  # another bereik is not an Asterisk
    pinned = example.model_copy(update={"pbx": example.pbx.model_copy(update={"agi_allow": ["10.1.0.0/24"]})})
    assert pinned.agi_allowed() == ["10.1.0.0/24"]
    with pytest.raises(ConfigError, match="neither an address nor a network"):
        parse_config(EXAMPLE.read_text().replace("  ami: 127.0.0.1:5038", "  ami: 127.0.0.1:5038\n  agi_allow: [asterisk]"),
                     "gemeente.yaml")


class _StoreAway:
    """A call-back store that does not answer: one that refuses (a PostgreSQL over its connect timeout), or one
    that answers only when the test lets it, after the call."""

    changes = 0

    def __init__(self, slow: bool):
        self.slow = slow
        self.released = threading.Event()

    def open_requests(self):
        if self.slow:
            self.released.wait(30)
            return {}
        raise ConnectionError("connection timeout expired")


@pytest.mark.parametrize("slow", [False, True], ids=["refusing", "slow"])
async def test_a_call_back_store_away_or_slow_still_gives_the_caller_the_menu(serve, tmp_path, slow, caplog):
    store = _StoreAway(slow)
    handler = EntryHandler(CONFIG, PromptLibrary(tmp_path / "sounds"), clock=lambda: MONDAY_MORNING, callbacks=store)
    server = await serve(handlers={"entry": handler})
    asterisk = FakeAsterisk(keys=["1", "2"])
    try:
        await asterisk.call(server)  # the slow store has not answered yet: the decision did not wait for it
    finally:
        store.released.set()
    assert (asterisk.commands[-1], asterisk.variables[var.TOPIC]) == (["EXEC", "Goto", "bereik-queue,tic,1"], "afval")
    assert "offered the menu as if none were" in caplog.text and "0612345678" not in caplog.text
