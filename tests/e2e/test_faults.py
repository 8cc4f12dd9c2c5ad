"""bereik as a real process, killed (SIGKILL), frozen (SIGSTOP) or restarted while callers are in
the menu, in the queue, in a warm transfer or waiting behind a colleague's call: every caller still
reaches a person or the front-office queue, and soon. After each fault a new bereik reads what
Asterisk did meanwhile (CEL) and the store must hold the call to its end."""
import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from bench._running import decision_process_of, metric, metrics, processes_of
from bench.soak import METRICS_PORT
from bereik.callbacks.store import CallbackStore
from bereik.config import load_config
from bereik.ivr.catalogue import spoken_texts
from bereik.ivr.prompts import PromptLibrary
from bereik.pbx import warm_transfer
from bereik.records.store import SqliteStore
from bereik.secrets import AMI_SECRET, Secrets, write_new_secrets_file

from helpers import (OBSERVER, Actions, ended_journey, from_outside, hang_up, kinds, pause, short_prompts, until,
                     variable, write_config_with_observer)
from test_console_e2e import bridged, music_on_hold

EXAMPLE = Path(__file__).parents[2] / "examples" / "bloemendaal.yaml"
MONDAY_MORNING = "2026-11-23T10:00"
AFVAL = [("asked", "1"), ("asked", "2")]  # Bloemendaal, then option 2 (afval): Bram (202) and Daan (204)
BURGERZAKEN = [("asked", "1"), ("asked", "1")]  # option 1: Anna (201) and Carla (203)
EVA, FEMKE = "127.0.1.11", "127.0.1.12"
EVA_DIRECT = "0235115301"
MOBILE_NETWORK = ("127.0.0.1", 5080)
CAMP_ON_SECONDS = 8


@pytest.fixture(scope="module")
def generated(tmp_path_factory, sandbox_root):
    """The example with one ring, a short camp-on maximum and short menu texts, its stores in a temporary folder."""
    directory = tmp_path_factory.mktemp("faults")
    yaml = YAML()
    document = yaml.load(EXAMPLE.read_text())
    document["back_office"] = {"rings": 1, "camp_on_seconds": CAMP_ON_SECONDS,
                               "forwarding_store": str(directory / "forwarding.sqlite3")}
    document["records"] = {"store": str(directory / "calls.sqlite3"),
                           "asterisk_cel": str(sandbox_root / "var/log/asterisk/cel-custom/bereik.csv")}
    document["pbx"]["call_files"] = str(sandbox_root / "var/spool/asterisk/outgoing")
    # The call-back offered with the first waiting message, after one ring.
    document["waiting"] = {"callback_store": str(directory / "callbacks.sqlite3"), "first_after_rings": 1,
                           "callback_offer_callers_ahead": 0}
    document["callbacks"] = {"answered_seconds": 2}  # a call-back answered longer closes its note
    document["wallboard"] = {"listen": f"127.0.0.1:{METRICS_PORT}"}  # /metrics for the short soak
    short_prompts(document)  # the watchdog waits out the menu
    path = directory / "gemeente.yaml"
    with path.open("w") as file:
        yaml.dump(document, file)
    secrets_file = write_new_secrets_file(directory / "secrets.env")
    write_config_with_observer(load_config(path), Secrets.load(secrets_file), directory / "asterisk", str(path),
                               write="call,agent")
    return directory / "asterisk", secrets_file, path


@pytest.fixture
async def pbx(sandbox_root, asterisk, ami, generated):
    music_on_hold(sandbox_root)  # the caller held during a consultation hears it
    instance = asterisk(generated[0])
    (instance.root / "var/log/asterisk/cel-custom").mkdir(parents=True, exist_ok=True)
    PromptLibrary(instance.sounds_dir, "nl").ensure_all(spoken_texts(load_config(generated[2])))
    instance.ami = instance.ami.__class__(instance.ami.port, *OBSERVER)
    return instance, await ami(instance)


@pytest.fixture
def store(generated):
    calls = SqliteStore(generated[2].parent / "calls.sqlite3")
    yield calls
    calls.close()


@pytest.fixture
def bereik_process(pbx, generated, tmp_path):
    """`bereik run` as its own process, the way it runs in production."""
    processes = []
    log = tmp_path / "bereik.log"

    def start(cores: set[int] | None = None) -> subprocess.Popen:
        """`cores`: the only cores it may run on."""
        process = subprocess.Popen(
            [sys.executable, "-m", "bereik", "run", str(generated[2]), "--sounds", str(pbx[0].sounds_dir),
             "--secrets", str(generated[1]), "--pretend-time", MONDAY_MORNING],
            stdout=open(log, "a"), stderr=subprocess.STDOUT,
            env={**os.environ, AMI_SECRET: Secrets.load(generated[1]).get(AMI_SECRET)},
            preexec_fn=(lambda: os.sched_setaffinity(0, cores)) if cores else None)
        processes.append(process)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", 4573)) == 0:
                    return process
            time.sleep(0.05)
        raise AssertionError(f"bereik did not listen on 4573:\n{log.read_text()}")

    yield start
    for process in processes:
        if process.poll() is None:
            signal_all(process, signal.SIGCONT)
            process.kill()  # its decision process ends with it
        process.wait(10)


def signal_all(bereik: subprocess.Popen, number: int) -> None:
    """`bereik run` and its decision process, which decides the callers in the menu."""
    for pid in processes_of(bereik.pid):
        os.kill(pid, number)


async def all_of(events, name, predicate, count, timeout):
    """The first `count` events called `name` that satisfy `predicate`, waiting for them if needed."""
    deadline = time.monotonic() + timeout
    while len(found := events.matching(name, predicate)) < count:
        if time.monotonic() > deadline:
            raise AssertionError(f"{len(found)} of {count} {name} events within {timeout} s")
        await asyncio.sleep(0.1)
    return found[:count]


async def wait_for_menu(events, timeout=15):
    """The moment Asterisk starts reading the menu (after the municipality choice)."""
    def menu_read(event):
        return event.get("Command", "").startswith('EXEC "Read"') and "&" in event.get("Command", "")
    return await events.wait_for_event("AGIExecStart", menu_read, timeout=timeout)


async def test_bereik_killed_in_the_menu_the_caller_still_joins_the_queue(pbx, bereik_process, sipp):
    _, events = pbx
    bereik = bereik_process()
    caller = sipp.call("14023", talk_seconds=10, dtmf=[("asked", "1"), ("told", "2")])
    menu = await wait_for_menu(events)
    bereik.send_signal(signal.SIGKILL)
    bereik.wait(5)
    await events.tell(menu["Channel"])  # the key that ends the menu's Read, with bereik gone

    joined = await events.wait_for_event("QueueCallerJoin", from_outside, timeout=45)
    # Asterisk notices the closed connection when the menu's Read ends (here: the caller's key),
    # and the dialplan fails open; the choice is lost with bereik, the caller is not.
    assert variable(joined, "BEREIK_REASON") == "failopen-SUCCESS"
    assert float(joined["Timestamp"]) - float(menu["Timestamp"]) < 4 + 2
    await hang_up(pbx[0])
    await caller.succeeds(timeout=30)


async def test_the_decision_process_killed_in_the_menu_the_caller_joins_and_the_next_is_decided_by_a_new_one(
        pbx, bereik_process, sipp, tmp_path):
    _, events = pbx
    bereik = bereik_process()
    caller = sipp.call("14023", talk_seconds=10, dtmf=[("asked", "1"), ("told", "2")])
    menu = await wait_for_menu(events)
    decider = decision_process_of(bereik.pid)
    started = metric(metrics(), "bereik_decisions_process_start_time_seconds")  # /metrics tells of this child
    os.kill(decider, signal.SIGKILL)
    await events.tell(menu["Channel"])

    first = await events.wait_for_event("QueueCallerJoin", from_outside, timeout=45)
    assert variable(first, "BEREIK_REASON") == "failopen-SUCCESS"  # as with all of bereik killed
    await hang_up(pbx[0])
    await caller.succeeds(timeout=30)
    # Started again (beside this suite's other workers its imports may take longer than Asterisk's 5 s for a first
    # word: a caller meanwhile would be the watchdog's).
    await until(lambda: (tmp_path / "bereik.log").read_text(), lambda log: "serves calls again" in log, timeout=60)

    second = sipp.call("14023", talk_seconds=10, dtmf=AFVAL, from_user="0611111119")
    joined = await events.wait_for_event(
        "QueueCallerJoin", lambda e: from_outside(e) and e["Channel"] != first["Channel"], timeout=45)
    assert (variable(joined, "BEREIK_REASON"), variable(joined, "BEREIK_TOPIC")) == ("menu_choice", "afval")
    assert bereik.poll() is None and decision_process_of(bereik.pid) not in (None, decider)
    assert metric(metrics(), "bereik_decisions_process_start_time_seconds") > started  # ... and then of the new one
    await hang_up(pbx[0])
    await second.succeeds(timeout=30)


async def test_on_one_core_bereik_decides_on_a_thread_of_its_own_process(pbx, bereik_process, sipp):
    """Two processes on one core take turns by the scheduler's, a thread by the interpreter's shorter switch."""
    _, events = pbx
    bereik = bereik_process(cores={0})
    caller = sipp.call("14023", talk_seconds=10, dtmf=AFVAL)
    joined = await events.wait_for_event("QueueCallerJoin", from_outside, timeout=45)
    assert (variable(joined, "BEREIK_REASON"), variable(joined, "BEREIK_TOPIC")) == ("menu_choice", "afval")
    assert decision_process_of(bereik.pid) is None
    await hang_up(pbx[0])
    await caller.succeeds(timeout=30)


async def test_bereik_frozen_in_the_menu_the_watchdog_sends_the_caller_on(pbx, bereik_process, sipp):
    _, events = pbx
    bereik = bereik_process()
    caller = sipp.call("14023", talk_seconds=60, dtmf=[("asked", "1")])
    menu = await wait_for_menu(events)
    await asyncio.sleep(0.5)  # let the Read begin, with the watchdog armed for it
    signal_all(bereik, signal.SIGSTOP)

    joined = await events.wait_for_event("QueueCallerJoin", from_outside, timeout=60)
    assert variable(joined, "BEREIK_REASON") == "watchdog"
    # The menu with its prompts lasts about half a minute; the margin after it is 3 s.
    armed = [e for e in events.matching("AGIExecStart", lambda e: "TIMEOUT(absolute)" in e.get("Command", ""))]
    menu_budget = int(armed[-1]["Command"].rsplit('"', 2)[-2])
    assert float(joined["Timestamp"]) - float(menu["Timestamp"]) < menu_budget + 2
    # Waiting in the queue is proven; the front office hangs up instead of the caller waiting out the 60 s.
    await events.send_action({"Action": "Hangup", "Channel": joined["Channel"]})
    await caller.succeeds(timeout=10)


async def test_bereik_killed_while_callers_wait_in_the_queue_agents_still_answer_them(
        pbx, bereik_process, sipp, store):
    _, events = pbx
    bereik = bereik_process()
    callers = [sipp.call("14023", talk_seconds=12, dtmf=keys, from_user=f"061111111{n}")
               for n, keys in enumerate((AFVAL, BURGERZAKEN))]
    joined = await all_of(events, "QueueCallerJoin", from_outside, 2, timeout=25)
    bereik.send_signal(signal.SIGKILL)
    bereik.wait(5)

    for n in (1, 2, 3):  # the front office sits down at its three phones
        sipp.phone(f"127.0.1.{n}", ring_seconds=0.5)
    callers_channels = {j["Channel"] for j in joined}
    connected = await all_of(events, "AgentConnect", lambda e: e["Channel"] in callers_channels, 2, timeout=15)
    assert {c["Interface"] for c in connected} <= {"PJSIP/201", "PJSIP/202", "PJSIP/203"}
    assert not events.matching("QueueCallerAbandon")
    bereik_process()  # back, while they talk
    for caller in callers:
        await caller.succeeds(20)

    for join, answer in zip(sorted(joined, key=lambda e: e["Linkedid"]), sorted(connected, key=lambda e: e["Linkedid"])):
        journey = await ended_journey(store, join["Linkedid"], timeout=15)
        assert kinds(journey)[:4] == ["entered", "answered", "queued", "agent_answered"]
        answered = journey.first("agent_answered")
        assert answered.detail["from"] == "cel" and answered.detail["interface"] == answer["Interface"]


async def test_bereik_killed_during_a_warm_transfer_the_caller_reaches_the_colleague(
        pbx, bereik_process, sipp, store):
    """The console asks Asterisk for the consultation (sent here as the console sends it); with bereik gone the
    agent completes it by putting the handset down."""
    _, events = pbx
    bereik = bereik_process()
    for n in (1, 3):  # Anna and Carla (burgerzaken); whom the queue rings first depends on earlier calls
        sipp.phone(f"127.0.1.{n}", ring_seconds=0.5)
    eva = sipp.phone(EVA, ring_seconds=1)
    caller = sipp.call("14023", talk_seconds=16, dtmf=BURGERZAKEN)
    connected = await events.wait_for_event("AgentConnect", from_outside, timeout=25)
    agent_channel = connected["DestChannel"]
    await warm_transfer.begin(Actions(events), agent_channel, "301")
    await events.wait_for_event("DialEnd", lambda e: e.get("DestChannel", "").startswith("PJSIP/301-")
                                and e.get("DialStatus") == "ANSWER", timeout=10)
    bereik.send_signal(signal.SIGKILL)
    bereik.wait(5)

    await events.send_action({"Action": "Hangup", "Channel": agent_channel})
    done = await events.wait_for_event("AttendedTransfer", timeout=10)
    assert done["Result"] == "Success" and done["TransfereeChannel"] == connected["Channel"], done
    assert await bridged(events, connected["Channel"], "PJSIP/301-")
    bereik_process()
    await caller.succeeds(timeout=30)  # the caller hung up after talking to Eva: nobody dropped them
    await eva.succeeds(timeout=10)
    caller_hangup = await events.wait_for_event("Hangup", lambda e: e["Channel"] == connected["Channel"])
    assert caller_hangup["Cause"] == "16"  # normal clearing, by the caller

    journey = await ended_journey(store, connected["Linkedid"], timeout=15)
    assert kinds(journey)[:4] == ["entered", "answered", "queued", "agent_answered"]
    assert journey.first("agent_answered").detail["interface"] == connected["Interface"]


async def test_bereik_killed_while_a_caller_waits_behind_a_colleagues_call_the_tic_takes_over(
        pbx, bereik_process, sipp, store, generated):
    _, events = pbx
    bereik = bereik_process()
    sipp.phone(EVA, ring_seconds=0.5)
    colleague = sipp.call("301", local_ip=FEMKE, talk_seconds=30, from_user="302",
                          auth=("302", Secrets.load(generated[1]).phone("302")))
    await events.wait_for_event("DialEnd", lambda e: e.get("DestChannel", "").startswith("PJSIP/301-")
                                and e.get("DialStatus") == "ANSWER")
    caller = sipp.call(EVA_DIRECT, talk_seconds=15, dtmf=[("asked", "1")])
    camped = await events.wait_for_event("QueueCallerJoin", lambda e: e["Queue"] == "camp-301", timeout=15)
    bereik.send_signal(signal.SIGKILL)
    bereik.wait(5)

    joined = await events.wait_for_event("QueueCallerJoin", lambda e: e["Queue"] == "tic", timeout=CAMP_ON_SECONDS + 8)
    assert joined["Channel"] == camped["Channel"]
    assert variable(joined, "BEREIK_REASON") == "failopen-FAILURE"  # bereik could not be asked again
    assert float(joined["Timestamp"]) - float(camped["Timestamp"]) < CAMP_ON_SECONDS + 3
    bereik_process()
    await caller.succeeds(timeout=20)
    colleague.stop()

    journey = await ended_journey(store, camped["Linkedid"], timeout=15)
    steps = kinds(journey)
    assert steps.index("camped") < steps.index("queued") < steps.index("hung_up")
    assert journey.first("camped").detail["colleague"] == "301"
    assert journey.first("queued").detail["queue"] == "tic"


async def test_bereik_restarted_mid_day_the_waiting_caller_stays_and_forwarding_and_call_backs_survive(
        pbx, bereik_process, sipp, store, generated):
    _, events = pbx
    # The front office is at its phones but not taking calls (paused) until after the restart. (Phones started
    # only then received the last retransmission of an INVITE Asterisk had given up on 20 s earlier: pjsip
    # sends the CANCEL it held back the moment the phone rings, and the one-call phone was spent on it.)
    for n in (1, 2, 3):
        sipp.phone(f"127.0.1.{n}", ring_seconds=0.5)
    for extension in ("201", "202", "203"):
        await pause(events, extension, True)
    first = bereik_process()
    subprocess.run([sys.executable, "-m", "bereik", "forward", "set", str(generated[2]), "301", "--to", "mobile",
                    "--from", "2026-11-23T09:00", "--by", "teamlead"], check=True, capture_output=True)
    # Offered after one ring (5 s): the key, the number read back, the confirm key.
    asker = sipp.call("14023", talk_seconds=40, dtmf=[*AFVAL, ("whispered", "9"), ("whispered", "1")], from_user="0612222222")
    asking = await events.wait_for_event("QueueCallerJoin", from_outside, timeout=20)
    # Held until the test hangs it up: how long the restart takes must not decide whether it is still there.
    # Another topic (Anna 201 and Carla 203): Bram takes the asker's stand-in, ahead of it in the queue.
    waiting = sipp.call("14023", talk_seconds=120, dtmf=BURGERZAKEN, from_user="0613333333")
    joined = await all_of(events, "QueueCallerJoin", from_outside, 2, timeout=20)
    await asker.succeeds(40)  # Asterisk ended the call after the confirmation
    # A stand-in keeps the asker's place in the queue: Asterisk's, so it outlives bereik.
    await events.wait_for_event("QueueCallerJoin", lambda e: e["Channel"].startswith("Local/"), timeout=10)
    first.send_signal(signal.SIGTERM)
    first.wait(10)

    bereik_process()
    asker_phone = sipp.phone(*MOBILE_NETWORK[:1], port=MOBILE_NETWORK[1], ring_seconds=0.5)  # behind the trunk
    for extension in ("201", "202", "203"):
        await pause(events, extension, False)
    [stayed] = [j for j in joined if j["CallerIDNum"] == "0613333333"]
    await events.wait_for_event("AgentConnect", lambda e: e["Channel"] == stayed["Channel"], timeout=15)
    # The stand-in's turn came with the new bereik: Bram (202, afval) first, then the asker's phone rings.
    called_back = await events.wait_for_event(
        "DialBegin", lambda e: e.get("DialString", "").startswith("0612222222@trunk"), timeout=20)
    answered = await events.wait_for_event("DialEnd", lambda e: e.get("DestChannel") == called_back["DestChannel"],
                                           timeout=15)
    assert answered["DialStatus"] == "ANSWER"
    await asyncio.sleep(3)  # they talk
    await events.send_action({"Action": "Hangup", "Channel": called_back["DestChannel"]})
    await asker_phone.succeeds(timeout=10)
    await events.wait_for_event("UserEvent", lambda e: e.get("UserEvent") == "BereikCallback", timeout=10)
    mobile = sipp.phone(*MOBILE_NETWORK[:1], port=MOBILE_NETWORK[1], ring_seconds=0.5)
    direct = sipp.call(EVA_DIRECT, talk_seconds=3)
    rang = await events.wait_for_event("DialBegin", lambda e: e.get("DestChannel", "").startswith("PJSIP/trunk-")
                                       and e.get("DialString", "").startswith("0612340301@"), timeout=15)
    assert rang["DestChannel"].startswith("PJSIP/trunk-")  # Eva's forward to her mobile survived
    await events.send_action({"Action": "Hangup", "Channel": stayed["Channel"]})
    await waiting.succeeds(timeout=20)
    await direct.succeeds(timeout=15)
    await mobile.succeeds(timeout=10)

    notes = CallbackStore(store)
    [note] = [n for n in notes.of_team("tic") if n.number == "0612222222"]  # once
    [attempt] = await until(lambda: notes.attempts(note.id), lambda found: found and found[0].ended)
    assert (attempt.target, attempt.outcome) == ("PJSIP/202", "answered")
    assert notes.get(note.id).outcome == "called_back"  # closed by the call the new bereik placed
    journey = await ended_journey(store, stayed["Linkedid"], timeout=15)
    assert kinds(journey)[:4] == ["entered", "answered", "queued", "agent_answered"]
    [asked] = [row for row in store.calls(0, 2e10) if row.call_id == asking["Linkedid"]]
    assert asked.ended_at is not None and asked.queue == "tic"  # its note is in the call-back store (above)
    assert asked.callback_requested  # and the call's record says it asked, written before the restart
