"""What an operator alarms on, read from /metrics' registry: calls that went on without bereik, per queue and
per server, a service level on a day without calls, call-backs, presence sources, the spool, AMI logins and events.
Scraped inside the event loop, as bereik serves them (one metric counts the loop's tasks)."""
import asyncio
import subprocess
import sys
from zoneinfo import ZoneInfo

from bereik import version
from bereik.records.journey import Journey, Step
from bereik.records.summary import summarise
from bereik.wallboard.floor import CallbackCounts, Floor
from bereik.wallboard.metrics import FallThrough, Metrics, Sources
from tests.ami_facts import told

ZONE = ZoneInfo("Europe/Amsterdam")
T = 1795424400.0  # Monday 2026-11-23 10:00


class Ami:
    def __init__(self, connected: bool, logins: int, events_read: dict[str, int] | None = None):
        self.connected, self.logins, self.events_read = connected, logins, events_read or {}


def row(call_id: str, reason: str):
    journey = Journey(call_id, caller_number="0612345678", dialled="14023", labels={"reason": reason})
    journey.steps = [Step(T, "entered"), Step(T + 1, "queued", {"queue": "tic"})]
    return summarise(journey, ZONE, frozenset({"14023"}))


def value(metrics: Metrics, name: str, **labels: str) -> float | None:
    return metrics.registry.get_sample_value(name, labels)


async def test_a_call_that_fell_through_is_counted_once_by_server_and_reason_and_routed_calls_never():
    fell = FallThrough()
    metrics = Metrics(Floor(ZONE, 30), lambda: True, clock=lambda: T, sources=Sources(fallthrough=fell))
    # There from the start, so that Prometheus sees the first such call as an increase.
    assert value(metrics, "bereik_fallthrough_calls_total", server="default", reason="watchdog") == 0
    for _ in range(3):  # each update of the call's record comes by again
        fell.observe("", row("a", "watchdog"))
    fell.observe("noord", row("noord-b", "failopen-FAILURE"))
    fell.observe("", row("c", "menu_choice"))
    fell.observe("", row("d", "failopen-\nINJECTED"))
    assert value(metrics, "bereik_fallthrough_calls_total", server="default", reason="watchdog") == 1
    assert value(metrics, "bereik_fallthrough_calls_total", server="noord", reason="failopen-FAILURE") == 1
    assert sum(c for c in fell.counts.values()) == 2


async def test_every_queue_has_a_service_level_of_one_on_a_day_without_calls_and_the_true_one_after_calls():
    floor = Floor(ZONE, 30)
    metrics = Metrics(floor, lambda: True, clock=lambda: T, sources=Sources(queues=("tic", "vergunningen")))
    assert value(metrics, "bereik_service_level_today", queue="tic") == 1.0
    assert value(metrics, "bereik_queue_offered_today", queue="vergunningen") == 0
    at = str(T)
    told(floor, {"Event": "AgentConnect", "Queue": "tic", "Uniqueid": "a", "HoldTime": "12", "Interface": "PJSIP/201",
                 "Timestamp": at})
    told(floor, {"Event": "AgentConnect", "Queue": "tic", "Uniqueid": "b", "HoldTime": "45", "Interface": "PJSIP/202",
                 "Timestamp": at})
    told(floor, {"Event": "QueueCallerAbandon", "Queue": "tic", "Uniqueid": "c", "Timestamp": at})
    assert value(metrics, "bereik_service_level_today", queue="tic") == 1 / 3
    assert value(metrics, "bereik_queue_offered_today", queue="tic") == 3
    assert value(metrics, "bereik_service_level_today", queue="vergunningen") == 1.0
    assert value(metrics, "bereik_queue_calls_total", queue="tic", outcome="answered") == 2
    assert value(metrics, "bereik_agents_logged_in") == 2


async def test_waiting_callers_and_the_longest_wait_per_queue_and_server():
    floor = Floor(ZONE, 30, servers=("noord", "zuid"))
    now = [T]
    metrics = Metrics(floor, lambda: True, clock=lambda: now[0], sources=Sources(queues=("tic",)))
    told(floor, {"Event": "QueueCallerJoin", "Queue": "tic", "Uniqueid": "noord-1", "Timestamp": str(T)})
    told(floor, {"Event": "QueueCallerJoin", "Queue": "tic", "Uniqueid": "noord-2", "Timestamp": str(T + 10)})
    now[0] = T + 40
    assert value(metrics, "bereik_waiting_callers", queue="tic", server="noord") == 2
    assert value(metrics, "bereik_waiting_callers", queue="tic", server="zuid") == 0
    assert value(metrics, "bereik_longest_wait_seconds", queue="tic", server="noord") == 40


async def test_health_of_ami_spool_presence_decisions_call_backs_and_opening_hours():
    spool = [0]
    up = {"directory": True, "outlook": False}
    deciding = [False]
    floor = Floor(ZONE, 30, callbacks=lambda: CallbackCounts(open=4, late=1))
    metrics = Metrics(floor, lambda: True, clock=lambda: T, sources=Sources(
        servers={"noord": Ami(True, 3, {"Newchannel": 7, "Hangup": 6}), "zuid": Ami(False, 1)}, open_now=lambda: True,
        spool_bytes=lambda: spool[0], held_updates=lambda: 0, presence=lambda: up, decisions_up=lambda: deciding[0]))
    assert value(metrics, "bereik_ami_connected", server="zuid") == 0
    assert value(metrics, "bereik_ami_logins_total", server="noord") == 3
    assert value(metrics, "bereik_ami_events_total", server="noord", event="Hangup") == 6
    assert value(metrics, "bereik_ami_events_total", server="zuid", event="Hangup") is None
    assert value(metrics, "bereik_presence_source_up", source="outlook") == 0
    assert value(metrics, "bereik_presence_source_up", source="directory") == 1
    assert (value(metrics, "bereik_callbacks_open"), value(metrics, "bereik_callbacks_late")) == (4, 1)
    assert value(metrics, "bereik_open") == 1
    spool[0] = 5120
    assert value(metrics, "bereik_spool_bytes") == 5120
    assert value(metrics, "bereik_decision_process_up") == 0
    deciding[0] = True
    assert value(metrics, "bereik_decision_process_up") == 1
    assert value(metrics, "bereik_build_info", version=version(), python=__import__("platform").python_version()) == 1


async def test_the_decision_process_memory_and_processor_are_exported_beside_bereik_runs_own():
    child = subprocess.Popen([sys.executable, "-c", "import sys; held = b\"x\" * (96 << 20); sys.stdin.read()"],
                             stdin=subprocess.PIPE)
    serving: list[int | None] = [None]
    metrics = Metrics(Floor(ZONE, 30), lambda: True, clock=lambda: T, sources=Sources(decisions_pid=lambda: serving[0]))
    try:
        assert value(metrics, "bereik_decisions_process_resident_memory_bytes") is None  # none serves yet
        serving[0] = child.pid
        for _ in range(100):  # until the child has touched its 96 MiB
            if (value(metrics, "bereik_decisions_process_resident_memory_bytes") or 0) > 96 << 20:
                break
            await asyncio.sleep(0.05)
        assert value(metrics, "bereik_decisions_process_resident_memory_bytes") > 96 << 20
        assert value(metrics, "bereik_decisions_process_cpu_seconds_total") >= 0
        assert value(metrics, "process_resident_memory_bytes") != value(
            metrics, "bereik_decisions_process_resident_memory_bytes")  # this process's own, as before
    finally:
        child.communicate(b"")
    serving[0] = None
    assert value(metrics, "bereik_decisions_process_resident_memory_bytes") is None
