"""Webhooks to a municipality's system on a host of its own: every call event once, signed as Standard
Webhooks says (checked with the standardwebhooks package), in order per call; a receiver that is down gets
them later; what keeps failing is a dead letter the administrator can send again."""
import asyncio
import base64
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from standardwebhooks import Webhook as Verifier

from bereik.config.model import Integrations
from bereik.integrations import webhooks as wh
from bereik.records.recorder import Recorder
from bereik.records.store import SqliteStore
from bereik.secrets import Secrets
from tests.ami_facts import told
from tests.records.calls import front_office_call
from tests.examples import example_config

EXAMPLE = Path(__file__).parents[2] / "examples" / "bloemendaal.yaml"
RECEIVER = Path(__file__).parent / "receiver.py"
NOW = time.time()
STEPS = ["entered", "answered", "queued", "agent_answered", "hung_up", "agent_completed"]
SECRET = "whsec_" + base64.b64encode(os.urandom(24)).decode()


@pytest.fixture
def kcs(hosts, tmp_path):
    """The KCS on 10.77.0.1, bereik (this process) on 10.77.0.9; the receiver starts when the test says."""
    network = hosts("kcs")
    network.join("10.77.0.9")
    log = tmp_path / "received.jsonl"
    started = []

    def start():
        process = subprocess.Popen(network.on("kcs") + [sys.executable, str(RECEIVER), "10.77.0.1", "8090", str(log)],
                                   stdout=subprocess.PIPE, text=True)
        assert process.stdout.readline().strip() == "listening"
        started.append(process)

    yield start, log
    for process in started:
        process.terminate()
        process.wait()


def sent_to_kcs(tmp_path, max_attempts=12):
    config = example_config().model_copy(update={"integrations": Integrations(
        webhooks=[{"name": "kcs", "url": "http://10.77.0.1:8090/bereik/events", "secret": "BEREIK_KCS_WEBHOOK_SECRET"}],
        max_attempts=max_attempts)})
    webhooks = wh.Webhooks(config, Secrets({"BEREIK_KCS_WEBHOOK_SECRET": SECRET}), wh.Outbox(tmp_path / "outbox.sqlite3"))
    store = SqliteStore(tmp_path / "calls.sqlite3")
    recorder = Recorder(store, ZoneInfo("Europe/Amsterdam"), frozenset({"14023"}), clock=lambda: NOW + 3600)
    recorder.on_step(webhooks.step)
    recorder.start()
    return webhooks, recorder, store


def two_calls_at_once():
    events = front_office_call("c1", NOW - 300, wait=5, caller="0611111111") + \
        front_office_call("c2", NOW - 297, wait=2, caller="0622222222")
    return sorted(events, key=lambda e: float(e["Timestamp"]))


async def received(log: Path, count: int, seconds: float = 20.0) -> list[dict]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        lines = log.read_text().splitlines() if log.exists() else []
        if len(lines) >= count:
            return [json.loads(line) for line in lines]
        await asyncio.sleep(0.05)
    raise AssertionError(f"the KCS got {len(lines)} of {count} requests")


def verified(request: dict) -> dict:
    """The body, after the signature is checked as a Standard Webhooks receiver checks it."""
    headers = {k.lower(): v for k, v in request["headers"].items()}
    return Verifier(SECRET).verify(request["body"], headers)


def assert_every_event_once_and_in_order_per_call(requests: list[dict]) -> None:
    bodies = [verified(r) for r in requests]
    ids = [r["headers"]["webhook-id"] for r in requests]
    assert len(set(ids)) == len(ids) == 12, "an event came twice or not at all"
    for call, number in (("c1", "0611111111"), ("c2", "0622222222")):
        mine = [b for b in bodies if b["data"]["call"] == call]
        assert [b["type"] for b in mine] == [f"call.{step}" for step in STEPS]
        assert [b["data"]["sequence"] for b in mine] == [1, 2, 3, 4, 5, 6]
        assert {b["data"]["caller"] for b in mine} == {number}
    answered = next(b for b in bodies if b["type"] == "call.agent_answered" and b["data"]["call"] == "c1")
    assert answered["data"]["detail"]["agent"] == "Anna" and answered["data"]["labels"]["topic"] == "afval"


async def test_every_call_event_reaches_the_kcs_once_signed_and_in_order_per_call(tmp_path, kcs):
    start, log = kcs
    start()
    webhooks, recorder, store = sent_to_kcs(tmp_path)
    await webhooks.start()
    for event in two_calls_at_once():
        told(recorder, event)
    requests = await received(log, 12)
    assert {r["path"] for r in requests} == {"/bereik/events"}
    assert_every_event_once_and_in_order_per_call(requests)
    forged = dict(requests[0], body=requests[0]["body"].replace("0611111111", "0699999999"))
    with pytest.raises(Exception):
        verified(forged)  # the signature covers the body
    await asyncio.sleep(0.3)
    assert len(log.read_text().splitlines()) == 12 and webhooks.outbox.waiting() == {}
    await webhooks.stop()
    recorder.close()
    store.close()


async def test_a_kcs_that_is_down_gets_every_event_later_in_order(tmp_path, kcs, monkeypatch):
    monkeypatch.setattr(wh, "FIRST_RETRY_SECONDS", 0.2)
    monkeypatch.setattr(wh, "LAST_RETRY_SECONDS", 0.5)
    start, log = kcs
    webhooks, recorder, store = sent_to_kcs(tmp_path)
    await webhooks.start()
    for event in two_calls_at_once():
        told(recorder, event)
    for _ in range(100):
        first = webhooks.outbox.first("kcs")
        if first and first.attempts >= 2:
            break
        await asyncio.sleep(0.05)
    assert first.attempts >= 2 and "Connect" in first.error, first
    assert webhooks.outbox.waiting() == {"kcs": 12}
    start()  # the KCS is back
    assert_every_event_once_and_in_order_per_call(await received(log, 12))
    await webhooks.stop()
    recorder.close()
    store.close()


async def test_events_that_keep_failing_are_dead_letters_and_can_be_sent_again(tmp_path, kcs, monkeypatch):
    monkeypatch.setattr(wh, "FIRST_RETRY_SECONDS", 0.05)
    monkeypatch.setattr(wh, "LAST_RETRY_SECONDS", 0.1)
    start, log = kcs
    Path(f"{log}.status").write_text("500")
    start()
    webhooks, recorder, store = sent_to_kcs(tmp_path, max_attempts=2)
    await webhooks.start()
    for event in front_office_call("c1", NOW - 300, wait=5):
        told(recorder, event)
    await received(log, 12)  # six events, two attempts each
    for _ in range(100):
        if len(webhooks.outbox.dead_letters()) == 6:
            break
        await asyncio.sleep(0.05)
    dead = webhooks.outbox.dead_letters()
    assert [d.type for d in dead] == [f"call.{step}" for step in STEPS]
    assert {(d.attempts, d.error) for d in dead} == {(2, "HTTP 500")}
    assert webhooks.outbox.waiting() == {}
    Path(f"{log}.status").unlink()  # repaired
    for letter in dead:  # as the administrator's button does
        assert webhooks.outbox.send_again(letter.id, time.time()) == "kcs"
    webhooks.wake("kcs")
    requests = (await received(log, 18))[12:]
    assert [verified(r)["data"]["step"] for r in requests] == STEPS
    assert [r["headers"]["webhook-id"] for r in requests] == [d.event_id for d in dead]  # the same ids: idempotent
    assert webhooks.outbox.dead_letters() == []
    await webhooks.stop()
    recorder.close()
    store.close()
