"""bereik as a real process, killed (SIGKILL) or frozen (SIGSTOP) while a caller is in the menu:
the caller still reaches the front-office queue, and soon."""
import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bereik.config import load_config
from bereik.ivr.catalogue import spoken_texts
from bereik.ivr.prompts import PromptLibrary
from bereik.secrets import AMI_SECRET, Secrets, write_new_secrets_file

from helpers import OBSERVER, from_outside, variable, write_config_with_observer

EXAMPLE = Path(__file__).parents[2] / "examples" / "bloemendaal.yaml"
CONFIG = load_config(EXAMPLE)
MONDAY_MORNING = "2026-11-23T10:00"


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    directory = tmp_path_factory.mktemp("faults")
    secrets_file = write_new_secrets_file(directory / "secrets.env")
    write_config_with_observer(CONFIG, Secrets.load(secrets_file), directory / "asterisk", str(EXAMPLE))
    return directory / "asterisk", secrets_file


@pytest.fixture
async def pbx(asterisk, ami, generated):
    instance = asterisk(generated[0])
    PromptLibrary(instance.sounds_dir, CONFIG.language).ensure_all(spoken_texts(CONFIG))
    instance.ami = instance.ami.__class__(instance.ami.port, *OBSERVER)
    return instance, await ami(instance)


@pytest.fixture
def bereik_process(pbx, generated, tmp_path):
    """`bereik run` as its own process, the way it runs in production."""
    processes = []

    def start() -> subprocess.Popen:
        process = subprocess.Popen(
            [sys.executable, "-m", "bereik", "run", str(EXAMPLE), "--sounds", str(pbx[0].sounds_dir),
             "--secrets", str(generated[1]), "--pretend-time", MONDAY_MORNING],
            stdout=open(tmp_path / "bereik.log", "w"), stderr=subprocess.STDOUT,
            env={**os.environ, AMI_SECRET: Secrets.load(generated[1]).get(AMI_SECRET)})
        processes.append(process)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", 4573)) == 0:
                    return process
            time.sleep(0.05)
        raise AssertionError(f"bereik did not listen on 4573:\n{(tmp_path / 'bereik.log').read_text()}")

    yield start
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGCONT)
            process.kill()
        process.wait(10)


async def wait_for_menu(events, timeout=15):
    """The moment Asterisk starts reading the menu (after the municipality choice)."""
    def menu_read(event):
        return event.get("Command", "").startswith('EXEC "Read"') and "&" in event.get("Command", "")
    return await events.wait_for_event("AGIExecStart", menu_read, timeout=timeout)


async def test_bereik_killed_in_the_menu_the_caller_still_joins_the_queue(pbx, bereik_process, sipp):
    _, events = pbx
    bereik = bereik_process()
    caller = sipp.call("14023", talk_seconds=15, dtmf=[(1.0, "1"), (4.0, "2")])
    menu = await wait_for_menu(events)
    bereik.send_signal(signal.SIGKILL)

    joined = await events.wait_for_event("QueueCallerJoin", from_outside, timeout=45)
    # Asterisk notices the closed connection when the menu's Read ends (here: the caller's key),
    # and the dialplan fails open; the choice is lost with bereik, the caller is not.
    assert variable(joined, "BEREIK_REASON") == "failopen-SUCCESS"
    assert float(joined["Timestamp"]) - float(menu["Timestamp"]) < 4 + 2
    caller.expect_success(timeout=30)


async def test_bereik_frozen_in_the_menu_the_watchdog_sends_the_caller_on(pbx, bereik_process, sipp):
    _, events = pbx
    bereik = bereik_process()
    caller = sipp.call("14023", talk_seconds=60, dtmf=[(1.0, "1")])
    menu = await wait_for_menu(events)
    await asyncio.sleep(0.5)  # let the Read begin, with the watchdog armed for it
    bereik.send_signal(signal.SIGSTOP)

    joined = await events.wait_for_event("QueueCallerJoin", from_outside, timeout=60)
    assert variable(joined, "BEREIK_REASON") == "watchdog"
    # The menu with its prompts lasts about half a minute; the margin after it is 3 s.
    armed = [e for e in events.matching("AGIExecStart", lambda e: "TIMEOUT(absolute)" in e.get("Command", ""))]
    menu_budget = int(armed[-1]["Command"].rsplit('"', 2)[-2])
    assert float(joined["Timestamp"]) - float(menu["Timestamp"]) < menu_budget + 2
    caller.expect_success(timeout=60)
