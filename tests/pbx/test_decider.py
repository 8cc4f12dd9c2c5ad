"""The entry's decisions in a process of their own (bereik.pbx.decider): a real child process on a real
listening socket, with a fake Asterisk on the other end."""
import asyncio
import datetime as dt
import os
import signal
import socket
import time

import pytest
from fake_asterisk import FakeAsterisk

from bereik.audit import AuditLog
from bereik.calamity import CalamitySwitch
from bereik.callbacks.store import AFTER_HOURS, CallbackStore
from bereik.ivr.prompts import PromptLibrary
from bereik.pbx import variables as var
from bereik.pbx.agi import AgiServer
from bereik.pbx.decider import DecisionProcess, Start
from bereik.pbx.entry import EntryHandler
from bereik.records.store import SqliteStore
from bereik.records.summary import CALLBACK_REQUESTED
from bereik.routing.calamity import Calamity, Mode
from bereik.secrets import Secrets
from bereik.service import PretendClock
from tests.examples import example_config
from tests.polling import until

EXAMPLE = example_config()
MONDAY_MORNING = dt.datetime(2026, 11, 23, 10, 0, tzinfo=EXAMPLE.zone)
MONDAY_EVENING = dt.datetime(2026, 11, 23, 18, 0, tzinfo=EXAMPLE.zone)
TO_THE_QUEUE = ["1", "2"]  # Bloemendaal, waste: the front office's queue
CALL_BACK_TOMORROW = ["1", "9", "1"]  # after hours: Bloemendaal, the call-back key, the number confirmed


class Bereik:
    """What the fake Asterisk calls: the decision process's port, and the sessions served in this process."""

    def __init__(self, process: DecisionProcess, here: AgiServer):
        self.process, self.here = process, here

    @property
    def port(self) -> int:
        return self.process.listening.getsockname()[1]

    @property
    def active_sessions(self) -> int:
        return self.here.active_sessions


def bound() -> socket.socket:
    """A port as `bereik run` hands it over: bound, listened on by the decision process once it is ready."""
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    return listening


def stored_in(directory, config=EXAMPLE):
    """`config` with its call records (and the call-back notes beside them) in `directory`."""
    return config.model_copy(update={"records": config.records.model_copy(
        update={"store": str(directory / "calls.sqlite3")})})


@pytest.fixture
async def bereik(tmp_path):
    """`start(now)`: the decision process, its call-back steps and session times, and this process's server for
    the scripts passed back (`direct`, which answers with the pid that served it)."""
    config = stored_in(tmp_path)
    steps, sessions, running = [], [], []

    async def answered_here(session):
        await session.set_variable("SERVED_BY", str(os.getpid()))

    async def start(now=MONDAY_MORNING):
        here = AgiServer({"direct": answered_here}, port=0)
        process = DecisionProcess(Start(config, Secrets({}), tmp_path / "sounds", PretendClock(now, time.monotonic())),
                                  on_step=lambda *step: steps.append(step), on_session=sessions.append,
                                  on_passed=here.serve_passed)
        running.append((process, here))
        await process.start(bound())
        return Bereik(process, here), steps, sessions

    yield start
    for process, here in running:
        await process.stop()
        await here.close()


async def test_a_caller_is_decided_in_the_decision_process_and_its_session_timed_here(bereik):
    server, _, sessions = await bereik()
    assert server.process.up
    asterisk = FakeAsterisk(keys=TO_THE_QUEUE)
    began = time.monotonic()
    await asterisk.call(server)
    took = time.monotonic() - began
    assert "entry" not in server.here.handlers  # nobody here could have decided
    assert asterisk.variables[var.TOPIC] == "afval"
    assert asterisk.commands[-1] == ["EXEC", "Goto", "bereik-queue,tic,1"]
    await until(lambda: sessions, 5, "the session's duration")
    # The first call renders its prompts (seconds beside a busy suite, ci154): within the call as Asterisk saw it.
    assert len(sessions) == 1 and 0 < sessions[0] <= took


async def test_every_other_script_is_passed_back_and_served_here(bereik):
    server, _, sessions = await bereik()
    asterisk = FakeAsterisk()
    await asterisk.call(server, script="direct")
    assert asterisk.variables["SERVED_BY"] == str(os.getpid()) != str(server.process.process.pid)
    assert sessions == []  # the entry's sessions only


async def test_a_call_back_asked_after_hours_is_noted_in_the_store_and_its_step_sent_to_the_records(bereik, tmp_path):
    server, steps, _ = await bereik(MONDAY_EVENING)
    asterisk = FakeAsterisk(keys=CALL_BACK_TOMORROW)
    await asterisk.call(server)
    await until(lambda: steps, 5, "the call-back step")
    [(uniqueid, name, at, data)] = steps
    store = CallbackStore(tmp_path / "calls.sqlite3", EXAMPLE.zone)
    [note] = store.open_for_number(asterisk.caller_number)
    store.close()
    assert (uniqueid, name, data) == ("1700000000.1", CALLBACK_REQUESTED, {"via": "after_hours", "note": note.id})
    assert note.kind == AFTER_HOURS
    assert at == pytest.approx(MONDAY_EVENING.timestamp(), abs=60)


async def test_a_new_yaml_reaches_the_decision_process_which_then_says_what_bereik_run_would(bereik, tmp_path):
    server, _, _ = await bereik()
    english = stored_in(tmp_path, EXAMPLE.model_copy(update={"language": "en"}))
    in_process = AgiServer({"entry": EntryHandler(english, PromptLibrary(tmp_path / "sounds", "en"),
                                                  lambda: MONDAY_MORNING)}, port=0)
    await in_process.start()
    expected = await said(in_process)
    await in_process.close()

    dutch = await said(server)
    server.process.use_config(english)
    for _ in range(50):
        if (heard := await said(server)) != dutch:
            break
        await asyncio.sleep(0.1)
    assert heard == expected != dutch


async def test_a_calamity_switched_here_is_heard_at_the_next_call_not_at_the_next_read(bereik, tmp_path):
    server, _, _ = await bereik()
    before = await said(server)  # the process read the switch: off, and reads it again in 5 s
    store = SqliteStore(tmp_path / "calls.sqlite3")
    switch = CalamitySwitch(AuditLog(store))
    await switch.switch_on(Calamity(Mode.MESSAGE, "Het gemeentehuis is vandaag gesloten.",
                                    MONDAY_MORNING + dt.timedelta(hours=4), "coordinator"), "test", "storm")
    in_process = AgiServer({"entry": EntryHandler(EXAMPLE, PromptLibrary(tmp_path / "sounds"), lambda: MONDAY_MORNING,
                                                  switch)}, port=0)
    await in_process.start()
    expected = await said(in_process)
    await in_process.close()
    store.close()

    server.process.calamity_changed()
    started = time.monotonic()
    while (heard := await said(server)) == before and time.monotonic() - started < 3:
        await asyncio.sleep(0.05)
    assert heard == expected != before, "heard only once the process read the switch by itself"


async def test_a_decision_process_that_dies_is_started_again_and_the_call_meanwhile_waits_for_it(bereik):
    server, _, _ = await bereik()
    first = server.process.process.pid
    os.kill(first, signal.SIGKILL)
    asterisk = FakeAsterisk(keys=TO_THE_QUEUE)
    await asyncio.wait_for(asterisk.call(server), 60)
    assert asterisk.commands[-1] == ["EXEC", "Goto", "bereik-queue,tic,1"]
    assert server.process.process.pid != first and server.process.up
    assert server.process.pid == server.process.process.pid  # /metrics follows the new child


async def test_the_decision_process_ends_with_bereik_run_and_nobody_listens_after(bereik):
    server, _, _ = await bereik()
    port, child = server.port, server.process.process
    await server.process.stop()
    assert child.poll() is not None and not server.process.up and server.process.pid is None
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()


async def said(server) -> list[str]:
    """The prompts a caller for the queue hears, in order."""
    asterisk = FakeAsterisk(keys=TO_THE_QUEUE)
    await asterisk.call(server)
    return [name for words in asterisk.commands if words[:2] in (["EXEC", "Read"], ["EXEC", "Playback"])
            for name in (words[2].split(",")[1] if words[1] == "Read" else words[2]).split("&")]


def unheard(config, sounds) -> DecisionProcess:
    """A decision process whose call-back steps, session times and passed connections no test here reads."""
    return DecisionProcess(Start(config, Secrets({}), sounds, PretendClock(MONDAY_MORNING, 0.0)),
                           on_step=lambda *step: None, on_session=lambda seconds: None,
                           on_passed=AgiServer({}).serve_passed)


async def test_nobody_listens_until_the_decision_process_is_ready_so_asterisk_fails_open_at_once(tmp_path):
    """A port that accepts means a bereik that decides; before, Asterisk's connection is refused."""
    listening = bound()
    process = unheard(stored_in(tmp_path), tmp_path / "sounds")
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(listening.getsockname(), timeout=2).close()
    starting = asyncio.ensure_future(process.start(listening))
    try:
        assert not process.up
        await starting
        socket.create_connection(listening.getsockname(), timeout=2).close()
        assert process.up
    finally:
        await process.stop()


async def test_a_decision_process_that_cannot_start_makes_bereik_run_say_so(tmp_path):
    """Here its store cannot be opened (a file where its folder should be): the child ends as it starts."""
    (tmp_path / "not-a-folder").write_text("")
    listening = bound()
    process = unheard(stored_in(tmp_path / "not-a-folder"), tmp_path / "sounds")
    try:
        with pytest.raises(RuntimeError, match="ended while it started"):
            await process.start(listening)
        assert not process.up and process.process.wait(10) != 0
    finally:
        await process.stop()
