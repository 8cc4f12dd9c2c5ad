"""The FastAGI handler for calls to one colleague, over a real socket with a fake Asterisk."""
import datetime as dt
import json
import logging
from zoneinfo import ZoneInfo

import pytest
from fake_asterisk import FakeAsterisk

from bereik.forwarding.store import ForwardingStore
from bereik.ivr.prompts import PromptLibrary
from bereik.pbx import variables as var
from bereik.pbx.agi import AgiServer
from bereik.pbx.direct import DirectHandler
from bereik.presence.book import AbsenceBook
from tests.examples import example_config

CONFIG = example_config()
MONDAY_MORNING = dt.datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))
EVA_DIRECT = "0235115301"


class DirectAsterisk(FakeAsterisk):
    """Asterisk in context bereik-direct: the dialled number, the event, and channel state."""

    def __init__(self, dialled: str, event: str, variables: dict[str, str] | None = None,
                 hang_up_at: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self.dialled, self.event, self.hang_up_at = dialled, event, hang_up_at
        # The dialplan keeps the number dialled on the channel (BEREIK_DIALLED), as it does on entry.
        self.variables.update({var.ORIGIN: "outside", var.DIALLED: dialled, "DEVICE_STATE(PJSIP/301)": "NOT_INUSE",
                               "DEVICE_STATE(PJSIP/302)": "NOT_INUSE", **(variables or {})})

    def environment(self, script: str) -> bytes:
        block = super().environment(script).decode()
        # After a hang-up Asterisk runs the h extension: agi_extension no longer says what was dialled.
        extension = "h" if self.event == "hungup" else self.dialled
        block = block.replace("agi_extension: 14023", f"agi_extension: {extension}")
        return block.replace("\n\n", f"\nagi_arg_1: {self.event}\n\n").encode()

    def _reply(self, words: list[str]) -> str:
        if words[:2] == ["EXEC", self.hang_up_at]:
            return "HANGUP\n"  # the caller hangs up while the application runs
        return super()._reply(words)

    def executed(self, application: str) -> list[list[str]]:
        return [words for words in self.commands if words[:2] == ["EXEC", application]]


@pytest.fixture
def store(tmp_path):
    opened = ForwardingStore(tmp_path / "forwarding.sqlite3", CONFIG)
    yield opened
    opened.close()


@pytest.fixture
async def serve(tmp_path, store):
    servers = []

    async def start():
        handler = DirectHandler(CONFIG, PromptLibrary(tmp_path / "sounds"), lambda: MONDAY_MORNING,
                                AbsenceBook(CONFIG, lambda: MONDAY_MORNING, store))
        server = AgiServer({"direct": handler}, port=0)
        await server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        await server.close()


def records(caplog) -> list[dict]:
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == "bereik.call"]


async def test_a_free_colleague_is_rung_for_four_rings_with_the_attempt_on_the_channel(serve, caplog):
    caplog.set_level(logging.INFO)
    asterisk = DirectAsterisk(EVA_DIRECT, "start")
    await asterisk.call(await serve(), "direct")
    [mset] = asterisk.executed("MSet")
    assert mset[2].split(",")[-1] == f"{var.ROUTED}=1"
    assert asterisk.variables[var.ACTION] == "ring"
    assert asterisk.variables[var.DIAL] == "PJSIP/301"
    assert asterisk.variables[var.RING_SECONDS] == "20"
    assert asterisk.variables[var.DIRECT_STAGE] == "ringing"
    assert asterisk.variables[var.TRIED] == "301"
    assert asterisk.variables[var.TRIED_AT] == "2026-11-23T10:00:00+01:00"
    [record] = records(caplog)
    assert record["caller"] == "06******78" and record["target"] == "301" and record["action"] == "ring"


async def test_no_answer_plays_one_message_and_sends_the_caller_to_the_tic_with_the_context(serve, caplog):
    caplog.set_level(logging.INFO)
    asterisk = DirectAsterisk(EVA_DIRECT, "rang", {
        "DIALSTATUS": "NOANSWER", var.DIAL_BEGAN: "1795430380.250", var.DIAL_ENDED: "1795430400.250",
        var.TRIED_AT: "2026-11-23T09:59:40+01:00"})
    await asterisk.call(await serve(), "direct")
    assert len(asterisk.executed("Playback")) == 1
    assert asterisk.variables[var.ACTION] == "queue" and asterisk.variables[var.QUEUE] == "tic"
    assert asterisk.variables[var.FAILED] == "noanswer"
    assert asterisk.variables[var.TRIED_AT] == "2026-11-23T09:59:40+01:00"  # when the attempt began
    [record] = records(caplog)
    assert (record["outcome"], record["ring_seconds"], record["queue"]) == ("noanswer", 20, "tic")


@pytest.mark.parametrize(("key", "action", "outcome"), [("1", "camp", None), ("2", "queue", "busy")])
async def test_a_colleague_on_the_phone_the_caller_chooses_to_wait_or_go_to_the_tic(serve, key, action, outcome):
    asterisk = DirectAsterisk(EVA_DIRECT, "start", {"DEVICE_STATE(PJSIP/301)": "INUSE"}, keys=[key])
    await asterisk.call(await serve(), "direct")
    assert len(asterisk.executed("Read")) == 1
    assert asterisk.variables[var.ACTION] == action
    if action == "camp":
        assert asterisk.variables[var.CAMP_QUEUE] == "camp-301"
        assert asterisk.variables[var.CAMP_SECONDS] == "180"
    else:
        assert asterisk.variables[var.FAILED] == outcome


async def test_forwarding_to_the_mobile_rings_it_through_the_trunk(serve, store):
    """Through the dialplan's bereik-mobile, which knows Eva's mobile number from the YAML and dials the trunk."""
    store.set("301", "mobile", starts=MONDAY_MORNING - dt.timedelta(hours=1), ends=None, set_by="eva")
    asterisk = DirectAsterisk(EVA_DIRECT, "start")
    await asterisk.call(await serve(), "direct")
    assert asterisk.variables[var.DIAL] == "Local/301@bereik-mobile/n"
    assert asterisk.variables[var.TRIED_VIA] == "mobile"


async def test_the_caller_hangs_up_during_the_message_on_the_way_to_the_queue(serve, caplog):
    caplog.set_level(logging.INFO)
    asterisk = DirectAsterisk(EVA_DIRECT, "rang", {"DIALSTATUS": "NOANSWER"}, hang_up_at="Playback")
    await asterisk.call(await serve(), "direct")
    assert asterisk.executed("Playback") and var.ROUTED not in asterisk.variables
    [record] = records(caplog)
    assert record["outcome"] == "caller_hung_up_before_queue"


@pytest.mark.parametrize(("stage", "variables", "outcome"), [
    ("camped", {}, "caller_hung_up_while_waiting"),
    ("camped", {"MEMBERINTERFACE": "PJSIP/301"}, "answered_after_waiting"),
    ("ringing", {"DIALSTATUS": "CANCEL"}, "caller_hung_up"),
    ("ringing", {"DIALSTATUS": "ANSWER", var.DIAL_BEGAN: "1795430370.100", var.DIAL_ENDED: "1795430400.100",
                 "ANSWEREDTIME_MS": "22000"}, "answered"),
])
async def test_a_hang_up_while_ringing_or_waiting_is_recorded(serve, caplog, stage, variables, outcome):
    caplog.set_level(logging.INFO)
    asterisk = DirectAsterisk(EVA_DIRECT, "hungup", {var.DIRECT_STAGE: stage, **variables})
    await asterisk.call(await serve(), "direct")
    [record] = records(caplog)
    assert record["outcome"] == outcome
    if outcome == "answered":
        assert record["ring_seconds"] == 8


async def test_a_number_bereik_does_not_know_fails_open(serve):
    asterisk = DirectAsterisk("0235119999", "start")
    await asterisk.call(await serve(), "direct")
    assert var.ROUTED not in asterisk.variables
