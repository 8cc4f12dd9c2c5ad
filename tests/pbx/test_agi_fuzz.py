"""Whatever Asterisk answers on the FastAGI line, bereik's handlers end and the caller fails open.

A reply bereik cannot read as success ends the conversation: bereik sends no further
command, so it never routes a caller on an answer it did not understand, and the
dialplan, seeing no BEREIK_ROUTED, sends the caller to the front office. The one exception
is the hand-over, bereik's last word: its MSet and Goto go together, decided before either
reply came, so a bad reply to the MSet finds the Goto already sent.
"""
import asyncio
import datetime as dt
import logging
import re
from zoneinfo import ZoneInfo

import pytest
from fake_asterisk import FakeAsterisk
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bereik.callbacks.store import CallbackStore
from bereik.forwarding.store import ForwardingStore
from bereik.ivr.prompts import PromptLibrary
from bereik.pbx import variables as var
from bereik.pbx.agi import AgiError, AgiHangup, AgiServer, parse_reply
from bereik.pbx.callback import CallbackHandler
from bereik.pbx.direct import DirectHandler
from bereik.presence.book import AbsenceBook
from bereik.pbx.entry import EntryHandler
from tests.examples import example_config

CONFIG = example_config()
MONDAY_MORNING = dt.datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))
EVA_DIRECT = "0235115301"
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

USAGE_ERROR = (b"520-Invalid command syntax.  Proper usage follows:\n"
               b" Usage: GET VARIABLE <variablename>\n"
               b"520 End of proper usage.\n")
garbled_replies = st.one_of(
    st.sampled_from([b"510 Invalid or unknown command\n", USAGE_ERROR, b"200 result=-1\n", b"HANGUP\n",
                     b"511 Command Not Permitted on a dead channel or intercept routine\n",
                     b"0 result=1\n", b"300 result=1 (1)\n", b"\n", b"200 res", b"", b"\xff\xfe\n",
                     b"200\n", b"200 1\n", b"result=1 (1)\n"]),
    st.integers(60_000, 70_000).map(lambda n: b"200 result=1 (" + b"x" * n + b")\n"),  # over the line limit
    st.binary(max_size=80).map(lambda raw: raw + b"\n"),
    st.binary(max_size=80),  # truncated: the line ends with the connection
    st.builds(lambda code, rest: f"{code}{rest}\n".encode(), st.integers(0, 999),
              st.text(st.characters(exclude_characters="\n", exclude_categories=["Cs"]), max_size=40)),
    # Success with any value: a variable bereik reads may hold anything.
    st.text(st.characters(exclude_characters="\n", exclude_categories=["Cs"]), max_size=40).map(lambda v: f"200 result=1 ({v})\n".encode()),
)


def succeeds(reply: bytes) -> bool:
    """What res_agi sends for success: code 200 and a result other than -1, on one whole line."""
    return re.fullmatch(rb"200 result=(?!-1\b)\S*( \([^\n]*\))?( [^\n]*)?\n", reply) is not None


class GarblingAsterisk(FakeAsterisk):
    """Answers like Asterisk until command number `at`, which gets `reply`; then goes silent."""

    def __init__(self, at: int, reply: bytes, **kwargs):
        super().__init__(**kwargs)
        self.at, self.reply = at, reply

    def _reply(self, words):
        if len(self.commands) - 1 < self.at:
            return super()._reply(words)
        self.silent = True
        return self.reply


class DirectGarbling(GarblingAsterisk):
    def environment(self, script):
        block = super().environment(script).decode().replace("agi_extension: 14023", f"agi_extension: {EVA_DIRECT}")
        return block.replace("\n\n", "\nagi_arg_1: start\n\n").encode()


@pytest.fixture(scope="module")
def sounds(tmp_path_factory):
    return PromptLibrary(tmp_path_factory.mktemp("sounds"))


@pytest.fixture(scope="module")
def handlers(sounds, tmp_path_factory):
    directory = tmp_path_factory.mktemp("stores")
    forwarding = ForwardingStore(directory / "forwarding.sqlite3", CONFIG)
    callbacks = CallbackStore(directory / "callbacks.sqlite3")
    yield {"entry": EntryHandler(CONFIG, sounds, clock=lambda: MONDAY_MORNING),
           "direct": DirectHandler(CONFIG, sounds, lambda: MONDAY_MORNING,
                                   AbsenceBook(CONFIG, lambda: MONDAY_MORNING, forwarding)),
           "callback": CallbackHandler(CONFIG, callbacks, sounds, lambda: MONDAY_MORNING)}
    forwarding.close()
    callbacks.close()


async def one_call(handlers, asterisk, script):
    server = AgiServer(handlers, port=0)
    await server.start()
    try:
        await asyncio.wait_for(asterisk.call(server, script), 30)
    finally:
        await server.close()


@pytest.mark.parametrize("script, asterisk_class", [("entry", GarblingAsterisk), ("direct", DirectGarbling),
                                                    ("callback", GarblingAsterisk)])
@FUZZ
@given(at=st.integers(0, 8), reply=garbled_replies)
def test_a_garbled_reply_ends_the_call_unrouted_and_the_handler_never_fails(
        handlers, script, asterisk_class, at, reply, caplog):
    caplog.clear()
    asterisk = asterisk_class(at, reply, keys=["1", "1"], caller_number="0612345678")
    asyncio.run(one_call(handlers, asterisk, script))
    assert not [r for r in caplog.records if r.getMessage() == "FastAGI handler failed"], \
        "a bad reply is an expected failure, not a crash of the handler"
    if asterisk.silent and not succeeds(reply):
        after = asterisk.commands[at + 1:]
        rest_of_last_word = asterisk.commands[at][:2] == ["EXEC", "MSet"] and [words[:2] for words in after] == [
            ["EXEC", "Goto"]]
        assert not after or rest_of_last_word, "no command after a reply bereik could not read as success"
        assert not any(f"{var.ROUTED}=1" in " ".join(words) for words in asterisk.commands[:at])


@FUZZ
@given(st.binary(max_size=200))
def test_any_reply_line_parses_or_is_refused_with_an_agi_error(line):
    try:
        reply = parse_reply(line)
    except AgiHangup:
        assert line.rstrip(b"\r\n") == b"HANGUP"
        return
    except AgiError:
        return
    assert 0 <= reply.code <= 999


@pytest.mark.parametrize("line, code, result, data", [
    (b"200 result=1 (PJSIP/301)\n", 200, "1", "PJSIP/301"),
    (b"200 result=1 (Jan (de Baas))\n", 200, "1", "Jan (de Baas)"),
    (b"200 result=0\n", 200, "0", None),
    (b"200 result= (timeout)\n", 200, "", "timeout"),
    (b"200 result=49 endpos=8000\n", 200, "49", None),
    (b"200 result=1 (caf\xe9)\n", 200, "1", "caf\ufffd"),
    (b"510 Invalid or unknown command\n", 510, None, None),
])
def test_reply_lines_as_res_agi_writes_them(line, code, result, data):
    reply = parse_reply(line)
    assert (reply.code, reply.result, reply.data) == (code, result, data)


async def test_a_usage_error_is_read_whole_and_logged_and_the_next_call_is_served(handlers, caplog):
    caplog.set_level(logging.ERROR)
    asterisk = GarblingAsterisk(0, USAGE_ERROR)
    await one_call(handlers, asterisk, "entry")
    assert len(asterisk.commands) == 1
    assert "520" in caplog.text and "FastAGI handler failed" not in caplog.text
    again = FakeAsterisk(keys=["1", "1"])
    await one_call(handlers, again, "entry")
    assert again.commands[-1] == ["EXEC", "Goto", "bereik-queue,tic,1"]
