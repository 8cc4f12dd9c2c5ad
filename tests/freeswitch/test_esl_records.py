"""A call through FreeSWITCH is recorded as a journey and counted in the report, as an Asterisk call is.

The fake event socket plays what the caller's channel reports after bereik's hand-over: mod_callcenter's
member-queue-start and member-queue-end (CC-Cause Terminated after an agent's conversation, Cancel when
the caller gave up), then the hang-up.
"""
import sys
from pathlib import Path

from bereik.freeswitch.esl import EslEntry, EslServer
from bereik.ivr.prompts import PromptLibrary
from bereik.records.store import SqliteStore
from bereik.records.recorder import Recorder
from bereik.records.narrative import describe
from bereik.reports.figures import from_store
from bereik.reports.schema import ReportRequest

sys.path.insert(0, str(Path(__file__).parent))
from fake_freeswitch import UUID, FakeFreeswitch  # noqa: E402
from test_esl import CONFIG, MONDAY_MORNING  # noqa: E402

START = MONDAY_MORNING.timestamp()


def callcenter(action: str, at: float, **headers: str) -> dict[str, str]:
    return {"Event-Name": "CUSTOM", "Event-Subclass": "callcenter::info", "CC-Queue": "tic@default",
            "CC-Action": action, "CC-Member-CID-Number": "0612345678", "Event-Date-Timestamp": str(int(at * 1e6)),
            **{name.replace("_", "-"): value for name, value in headers.items()}}


def answered_after(wait: float, talk: float) -> list[dict[str, str]]:
    joined, answered, left = START + 8, START + 8 + wait, START + 8 + wait + talk
    return [callcenter("member-queue-start", joined),
            callcenter("member-queue-end", left, CC_Cause="Terminated", CC_Agent="201@default",
                       CC_Member_Joined_Time=str(int(joined)), CC_Agent_Answered_Time=str(int(answered)),
                       CC_Member_Leaving_Time=str(int(left)))]


def abandoned_after(wait: float) -> list[dict[str, str]]:
    joined, left = START + 8, START + 8 + wait
    return [callcenter("member-queue-start", joined),
            callcenter("member-queue-end", left, CC_Cause="Cancel", CC_Cancel_Reason="BREAK_OUT",
                       CC_Member_Joined_Time=str(int(joined)), CC_Member_Leaving_Time=str(int(left)))]


async def recorded_call(tmp_path, store, story, hangup_at, uuid=UUID):
    recorder = Recorder(store, CONFIG.zone, frozenset({CONFIG.number}))
    recorder.start()
    server = EslServer(EslEntry(CONFIG, PromptLibrary(tmp_path / "sounds"), lambda: MONDAY_MORNING, recorder.apply),
                       port=0)
    await server.start()
    try:
        await FakeFreeswitch(keys=["1", "2"], started=START, story=story, hangup_at=hangup_at,
                             uuid=uuid).call(server.port)
    finally:
        await server.close()
        recorder.close()


async def test_a_call_answered_by_an_agent_is_a_journey_with_its_menu_choice_queue_agent_and_end(tmp_path):
    store = SqliteStore(tmp_path / "calls.sqlite3")
    await recorded_call(tmp_path, store, answered_after(wait=12, talk=60), hangup_at=START + 80.5)

    journey = store.journey(UUID)
    assert [s.what for s in journey.steps] == ["entered", "answered", "queued", "agent_answered",
                                               "agent_completed", "hung_up"]
    assert journey.labels == {"topic": "afval", "choice": "2", "municipality": "Bloemendaal",
                              "reason": "menu_choice", "stage": "menu"}  # the menu's last question
    assert (journey.caller_number, journey.dialled, journey.ended) == ("0612345678", "14023", True)
    [row] = store.calls(START - 1, START + 1)
    assert (row.kind, row.queue, row.topic, row.agent, row.wait_seconds, row.talk_seconds, row.abandoned) == \
        ("front", "tic", "afval", "Anna de Vries", 12, 60, False)
    assert "Opgenomen door Anna de Vries na 12 s wachten" in describe(journey)


async def test_answered_and_abandoned_freeswitch_calls_are_counted_in_the_months_report(tmp_path):
    store = SqliteStore(tmp_path / "calls.sqlite3")
    await recorded_call(tmp_path, store, answered_after(wait=12, talk=60), hangup_at=START + 80.5)
    await recorded_call(tmp_path, store, abandoned_after(wait=45), hangup_at=START + 53.5,
                        uuid="0c1d2e3f-4a5b-4c6d-8e7f-0a1b2c3d4e5f")

    report = from_store(store, CONFIG, ReportRequest.month("2026-11"))
    assert report.calls == 2
    [anna] = report.by_agent
    assert (anna.agent, anna.answered, anna.average_speed_of_answer, anna.average_talk_seconds) == \
        ("Anna de Vries", 1, 12, 60)
    figures = {figure.id: figure for figure in report.figures}
    assert (figures["abandoned"].value, figures["abandoned"].count) == (0.5, 2)
    assert figures["average_speed_of_answer"].value == 12
    [ten_o_clock] = [bucket for bucket in report.by_hour if bucket.offered]
    assert (ten_o_clock.key, ten_o_clock.offered, ten_o_clock.answered, ten_o_clock.abandoned) == ("10:00", 2, 1, 1)


async def test_bereik_esl_keeps_the_calls_it_serves_in_the_yamls_store(tmp_path):
    import asyncio
    import os
    import signal
    import socket

    from bereik.freeswitch.esl import serve

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = CONFIG.model_copy(update={"records": CONFIG.records.model_copy(
        update={"store": str(tmp_path / "calls.sqlite3")})})
    task = asyncio.create_task(serve(config, tmp_path / "sounds", "127.0.0.1", port))
    for _ in range(50):
        await asyncio.sleep(0.05)
        try:
            await FakeFreeswitch(keys=["2"], started=START, hangup_at=START + 9).call(port)  # Heemstede: forwarded
            break
        except ConnectionRefusedError:
            continue
    os.kill(os.getpid(), signal.SIGTERM)
    await asyncio.wait_for(task, 5)

    journey = SqliteStore(tmp_path / "calls.sqlite3").journey(UUID)
    assert journey.ended and journey.labels["reason"] == "other_municipality"
