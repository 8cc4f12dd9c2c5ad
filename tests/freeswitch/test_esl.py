"""The FreeSWITCH adapter: the same decisions as the Asterisk adapter for the same facts, over ESL as documented."""
import datetime as dt
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bereik.freeswitch.esl import EslEntry, EslServer, variable_name
from bereik.ivr.prompts import PromptLibrary
from bereik.pbx import variables as var
from bereik.pbx.agi import AgiServer
from bereik.pbx.dialplan import QUEUE_CONTEXT
from bereik.pbx.entry import EntryHandler
from tests.examples import example_config

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1] / "pbx"))
from fake_asterisk import FakeAsterisk  # noqa: E402
from fake_freeswitch import UUID, FakeFreeswitch  # noqa: E402

CONFIG = example_config()
AMS = ZoneInfo("Europe/Amsterdam")
MONDAY_MORNING = dt.datetime(2026, 11, 23, 10, 0, tzinfo=AMS)
MONDAY_EVENING = dt.datetime(2026, 11, 23, 18, 0, tzinfo=AMS)
CHRISTMAS = dt.datetime(2026, 12, 25, 10, 0, tzinfo=AMS)

# (moment, keys the caller presses): every kind of decision the entry can make.
FACTS = [
    (MONDAY_MORNING, ["1", "2"]),  # menu option: afval
    (MONDAY_MORNING, ["1", "5"]),
    (MONDAY_MORNING, ["2"]),  # Heemstede: forwarded
    (MONDAY_MORNING, ["1", "9", "7"]),  # two wrong keys: the general queue
    (MONDAY_MORNING, ["1", None, None]),  # no key at all
    (MONDAY_MORNING, ["8", "1", "3"]),  # a wrong municipality key, then ours
    (MONDAY_EVENING, ["1"]),  # closed
    (CHRISTMAS, ["1"]),  # a public holiday
]


async def asterisk_decision(tmp_path, now, keys) -> dict[str, str]:
    server = AgiServer({"entry": EntryHandler(CONFIG, PromptLibrary(tmp_path / "sounds"), lambda: now)}, port=0)
    await server.start()
    try:
        asterisk = FakeAsterisk(keys=list(keys))
        await asterisk.call(server)
    finally:
        await server.close()
    decision = {name: asterisk.variables.get(name, "") for name in (*var.OUTPUTS,)}
    match asterisk.commands[-1]:  # a caller for a queue bereik sends there itself, without the place's variables
        case ["EXEC", "Goto", place] if place.startswith(f"{QUEUE_CONTEXT},"):
            decision |= {var.ROUTED: "1", var.ACTION: var.ACTION_QUEUE, var.QUEUE: place.split(",")[1]}
    return decision


async def freeswitch_call(tmp_path, now, keys) -> FakeFreeswitch:
    server = EslServer(EslEntry(CONFIG, PromptLibrary(tmp_path / "sounds"), lambda: now), port=0)
    await server.start()
    try:
        freeswitch = FakeFreeswitch(keys=list(keys))
        await freeswitch.call(server.port)
    finally:
        await server.close()
    return freeswitch


@pytest.mark.parametrize("now, keys", FACTS, ids=[f"{now:%a %H:%M}-{keys}" for now, keys in FACTS])
async def test_the_esl_adapter_decides_what_the_agi_adapter_decides(tmp_path, now, keys):
    on_asterisk = await asterisk_decision(tmp_path, now, keys)
    freeswitch = await freeswitch_call(tmp_path, now, keys)
    on_freeswitch = {name: freeswitch.variables.get(variable_name(name), "") for name in var.OUTPUTS}
    assert on_freeswitch == on_asterisk
    assert on_asterisk[var.ROUTED] == "1"


async def test_the_call_is_handed_over_by_documented_esl_steps_routed_last_then_transferred(tmp_path):
    freeswitch = await freeswitch_call(tmp_path, MONDAY_MORNING, ["1", "2"])
    commands = [c["command"] for c in freeswitch.commands]
    assert commands[:4] == ["connect", f"filter Unique-ID {UUID}", "event plain all", "linger"]
    # Before each question, the stage it is (where a caller who hangs up was), as on Asterisk.
    assert freeswitch.executed[:4:2] == [("set", "bereik_stage=municipality"), ("set", "bereik_stage=menu")]
    applications = [app for app, _ in freeswitch.executed]
    assert applications[1:4:2] == ["play_and_get_digits", "play_and_get_digits"]
    sets = [arg for app, arg in freeswitch.executed if app == "set"]
    assert sets[-1] == "bereik_routed=1" and "bereik_topic=afval" in sets
    assert freeswitch.executed[-1] == ("transfer", "bereik-queue-tic XML bereik")
    # min max tries timeout terminators file invalid var regexp digit-timeout: one digit, one try, 5 s
    arguments = freeswitch.executed[3][1].split(" ")
    assert arguments[:5] == ["1", "1", "1", "5000", "#"] and arguments[7:9] == ["bereik_key", "\\d"]
    assert arguments[5].startswith("file_string://") and arguments[5].count(".wav") == 7  # welcome, intro, 5 options
    assert all(app_headers.get("call-command") == "execute" for app_headers in freeswitch.commands[4:])


async def test_closed_plays_the_closing_message_then_transfers_to_the_hangup(tmp_path):
    freeswitch = await freeswitch_call(tmp_path, MONDAY_EVENING, ["1"])
    [playback] = [arg for app, arg in freeswitch.executed if app == "playback"]
    assert playback.endswith(".wav") and Path(playback).stat().st_size > 8000
    assert freeswitch.executed[-1] == ("transfer", "bereik-hangup XML bereik")
    assert freeswitch.variables["bereik_reason"] == "outside_hours"


async def test_forward_to_the_other_municipality(tmp_path):
    freeswitch = await freeswitch_call(tmp_path, MONDAY_MORNING, ["2"])
    assert freeswitch.executed[-1] == ("transfer", "bereik-forward-0235485868 XML bereik")


async def test_bereik_esl_serves_calls_until_stopped(tmp_path):
    import asyncio
    import os
    import signal
    import socket

    from bereik.freeswitch.esl import serve

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = CONFIG.model_copy(update={"records": CONFIG.records.model_copy(
        update={"store": str(tmp_path / "calls.sqlite3")})})  # bereik esl records its calls
    task = asyncio.create_task(serve(config, tmp_path / "sounds", "127.0.0.1", port))
    for _ in range(50):
        await asyncio.sleep(0.05)
        try:
            freeswitch = FakeFreeswitch(keys=["2"])
            await freeswitch.call(port)
            break
        except ConnectionRefusedError:
            continue
    assert freeswitch.executed[-1] == ("transfer", "bereik-forward-0235485868 XML bereik")
    os.kill(os.getpid(), signal.SIGTERM)
    await asyncio.wait_for(task, 5)


async def test_the_calamity_switch_closes_the_lines_on_freeswitch_too(tmp_path):
    from bereik.audit import AuditLog
    from bereik.calamity import CalamitySwitch
    from bereik.records.store import SqliteStore
    from bereik.routing.calamity import Calamity, Mode

    store = SqliteStore(tmp_path / "calls.sqlite3")
    try:
        storm = "Vanwege een storing zijn wij vandaag telefonisch niet bereikbaar."
        await CalamitySwitch(AuditLog(store)).switch_on(
            Calamity(Mode.CLOSED, storm, MONDAY_MORNING + dt.timedelta(hours=1), "coco"), "http", "Storing")
        prompts = PromptLibrary(tmp_path / "sounds")
        server = EslServer(EslEntry(CONFIG, prompts, lambda: MONDAY_MORNING,
                                    calamity=CalamitySwitch(AuditLog(store))), port=0)
        await server.start()
        try:
            freeswitch = FakeFreeswitch(keys=["1"])
            await freeswitch.call(server.port)
        finally:
            await server.close()
        [playback] = [arg for app, arg in freeswitch.executed if app == "playback"]
        assert playback == str(prompts.path(storm))
        assert freeswitch.variables["bereik_reason"] == "calamity"
        assert freeswitch.executed[-1] == ("transfer", "bereik-hangup XML bereik")
    finally:
        store.close()
