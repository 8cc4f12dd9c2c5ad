"""Prometheus metrics: what an operator alarms on, and the process's own memory, open files and asyncio tasks.

The first alarm is a call that went on without bereik (`bereik_fallthrough_calls_total`): the dialplan's
fail-open or watchdog put it in the front-office queue. Beside it: waiting callers and service level per
queue and server (present on a day without calls), agents logged in during opening hours, call-backs open
and late, presence sources up or down, call records waiting in the spool, AMI logins per server, and
build info. The alert rules and a Grafana dashboard are in bereik/deploy/.

Each Service has its own registry (no globals), read at scrape time.
"""
from __future__ import annotations

import asyncio
import platform
import re
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from prometheus_client import CollectorRegistry, Histogram, ProcessCollector
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, InfoMetricFamily

from bereik import version
from bereik.pbx.agi import Handler, timed
from bereik.records import servers as call_ids
from bereik.records.summary import CallRow
from bereik.wallboard.floor import AWAY, STATES, Floor


# FastAGI sessions last from milliseconds (a routing decision) to a minute (a caller in the menu).
AGI_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)
SINGLE_SERVER = "default"  # the server label when the YAML lists no pbx.servers
# BEREIK_REASON when the dialplan went on without bereik (bereik.pbx.dialplan._fell_through).
_FELL_THROUGH = re.compile(r"watchdog|failopen-[A-Z]{1,16}")
# Shown at 0 from the start: a counter's first sample is no increase, so its first call would go unalarmed.
FELL_THROUGH_REASONS = ("watchdog", "failopen-FAILURE", "failopen-SUCCESS", "failopen-HANGUP", "failopen-NOTFOUND")


class FallThrough:
    """Calls that went on without bereik, once per call, from the call records: live from AMI (the reason
    on the channel) and, for calls bereik missed while AMI was away, from Asterisk's CEL log."""

    def __init__(self, remember: int = 100_000):
        self.counts: dict[tuple[str, str], int] = {}  # (server, reason) -> calls
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._remember = remember

    def observe(self, server: str, row: CallRow) -> None:
        if not _FELL_THROUGH.fullmatch(row.reason) or row.call_id in self._seen:
            return
        self._seen[row.call_id] = None
        if len(self._seen) > self._remember:
            self._seen.popitem(last=False)
        key = (server or SINGLE_SERVER, row.reason)
        self.counts[key] = self.counts.get(key, 0) + 1


class AmiLike(Protocol):
    connected: bool
    logins: int
    events_read: Mapping[str, int]


@dataclass
class Sources:
    """What the metrics read besides the floor; every part optional, so a test can give only what it checks."""

    servers: Mapping[str, AmiLike] = field(default_factory=dict)  # server name -> its AMI connection
    queues: tuple[str, ...] = ()  # every configured queue, present with 0 before its first caller
    open_now: Callable[[], bool] | None = None  # opening hours (bereik.routing.hours)
    spool_bytes: Callable[[], int] | None = None  # call records waiting on disk for the store
    held_updates: Callable[[], int] | None = None  # ... and in memory, when even the spool is full
    presence: Callable[[], Mapping[str, bool]] | None = None  # presence source -> up
    decisions_up: Callable[[], bool] | None = None  # a decision process serves calls (bereik.pbx.decider)
    decisions_pid: Callable[[], int | None] | None = None  # ... its pid while it does
    fallthrough: FallThrough = field(default_factory=FallThrough)


def _server(floor: Floor, call_id: str) -> str:
    return call_ids.server_of(call_id, list(floor.servers)) or SINGLE_SERVER


class _Collector:
    def __init__(self, floor: Floor, ami_connected: Callable[[], bool], clock: Callable[[], float],
                 sources: Sources):
        self.floor, self.ami_connected, self.clock, self.sources = floor, ami_connected, clock, sources

    def collect(self):
        floor, sources = self.floor, self.sources
        now = self.clock()
        board = floor.snapshot(now)
        yield InfoMetricFamily("bereik_build", "The bereik release and Python that run",
                               value={"version": version(), "python": platform.python_version()})
        yield CounterMetricFamily("bereik_calls", "Calls that entered since bereik started", value=floor.calls_entered)
        fell = CounterMetricFamily(
            "bereik_fallthrough_calls", "Calls the dialplan put in the front-office queue without bereik "
            "(reason watchdog: bereik froze; failopen-FAILURE: unreachable; failopen-SUCCESS: gone mid-call)",
            labels=["server", "reason"])
        counts = {(server, reason): 0 for server in sources.servers or (SINGLE_SERVER,)
                  for reason in FELL_THROUGH_REASONS}
        for (server, reason), count in sorted({**counts, **sources.fallthrough.counts}.items()):
            fell.add_metric([server, reason], count)
        yield fell
        queue_calls = CounterMetricFamily("bereik_queue_calls", "Queue calls since bereik started, by outcome",
                                          labels=["queue", "outcome"])
        for (queue, outcome), count in sorted(floor.queue_totals.items()):
            queue_calls.add_metric([queue, outcome], count)
        yield queue_calls
        yield from self._waiting(now)
        level = GaugeMetricFamily("bereik_service_level_today", "Share of today's calls of the queue answered "
                                  "within reports.answer_seconds; 1 on a day without calls", labels=["queue"])
        offered = GaugeMetricFamily("bereik_queue_offered_today", "Today's calls of the queue, answered or "
                                    "abandoned", labels=["queue"])
        for queue in sorted({*sources.queues, *floor.today.by_queue}):
            day = floor.today.by_queue.get(queue)
            level.add_metric([queue], day.service_level if day else 1.0)
            offered.add_metric([queue], day.answered + day.abandoned if day else 0)
        yield level
        yield offered
        agents = GaugeMetricFamily("bereik_agents", "Agents by state", labels=["state"])
        for state in STATES:
            agents.add_metric([state], board["agents"][state])
        yield agents
        yield GaugeMetricFamily("bereik_agents_logged_in", "Agents logged in to a queue (any state but away)",
                                value=sum(n for state, n in board["agents"].items() if state != AWAY))
        if sources.open_now is not None:
            yield GaugeMetricFamily("bereik_open", "1 during opening hours (holidays and closing days count)",
                                    value=1.0 if sources.open_now() else 0.0)
        if board["callbacks"] is not None:
            yield GaugeMetricFamily("bereik_callbacks_open", "Call-backs not yet done",
                                    value=board["callbacks"]["open"])
            yield GaugeMetricFamily("bereik_callbacks_late", "Call-backs past their deadline and not done",
                                    value=board["callbacks"]["late"])
        yield from self._health()
        # Scraped on bereik's own loop (aiohttp), so this counts that loop's tasks.
        yield GaugeMetricFamily("bereik_asyncio_tasks", "asyncio tasks alive in bereik's event loop",
                                value=len(asyncio.all_tasks()))

    def _waiting(self, now: float):
        waiting = GaugeMetricFamily("bereik_waiting_callers", "Callers waiting in a queue now",
                                    labels=["queue", "server"])
        longest = GaugeMetricFamily("bereik_longest_wait_seconds", "The longest wait in the queue now",
                                    labels=["queue", "server"])
        servers = [*self.floor.servers] or [SINGLE_SERVER]
        found: dict[tuple[str, str], list[float]] = {(q, s): [] for q in self.sources.queues for s in servers}
        for call_id, (queue, joined) in self.floor.waiting.items():
            found.setdefault((queue, _server(self.floor, call_id)), []).append(max(0.0, now - joined))
        for (queue, server), waits in sorted(found.items()):
            waiting.add_metric([queue, server], len(waits))
            longest.add_metric([queue, server], max(waits, default=0.0))
        yield waiting
        yield longest

    def _health(self):
        sources = self.sources
        connected = GaugeMetricFamily("bereik_ami_connected", "1 while bereik is logged in to the server's AMI",
                                      labels=["server"])
        logins = CounterMetricFamily("bereik_ami_logins", "AMI logins since bereik started (each after the "
                                     "first is a reconnect)", labels=["server"])
        events = CounterMetricFamily("bereik_ami_events", "AMI events bereik read, per server and event (each is "
                                     "work for Asterisk's AMI and for bereik)", labels=["server", "event"])
        servers = sources.servers or {SINGLE_SERVER: None}
        for name, ami in servers.items():
            connected.add_metric([name], 1.0 if (ami.connected if ami else self.ami_connected()) else 0.0)
            if ami is not None:
                logins.add_metric([name], ami.logins)
                for event, count in sorted(ami.events_read.items()):
                    events.add_metric([name, event], count)
        yield connected
        yield logins
        yield events
        if sources.spool_bytes is not None:
            yield GaugeMetricFamily("bereik_spool_bytes", "Call records waiting on disk until the store takes "
                                    "them", value=sources.spool_bytes())
        if sources.held_updates is not None:
            yield GaugeMetricFamily("bereik_records_held_in_memory", "Call updates waiting in memory (store and "
                                    "spool both unwritable); lost if bereik stops", value=sources.held_updates())
        if sources.decisions_up is not None:
            yield GaugeMetricFamily("bereik_decision_process_up", "1 while bereik's decision process serves calls",
                                    value=1.0 if sources.decisions_up() else 0.0)
        if sources.presence is not None:
            up = GaugeMetricFamily("bereik_presence_source_up", "1 while the presence source answers",
                                   labels=["source"])
            for source, is_up in sorted(sources.presence().items()):
                up.add_metric([source], 1.0 if is_up else 0.0)
            yield up


class _ChildCollector(ProcessCollector):
    """A child process's memory, processor and open files, as `process_*` are `bereik run`'s own; nothing while there
    is none (between a death and its restart)."""

    def __init__(self, namespace: str, pid: Callable[[], int | None], registry: CollectorRegistry):
        self._child = pid
        super().__init__(namespace=namespace, pid=pid, registry=registry)

    def collect(self):
        return super().collect() if self._child() is not None else []


class Metrics:
    def __init__(self, floor: Floor, ami_connected: Callable[[], bool], clock: Callable[[], float] = time.time,
                 sources: Sources | None = None):
        self.sources = sources or Sources()
        self.registry = CollectorRegistry()
        self.registry.register(_Collector(floor, ami_connected, clock, self.sources))
        ProcessCollector(registry=self.registry)  # process_resident_memory_bytes, process_open_fds
        if self.sources.decisions_pid is not None:
            _ChildCollector("bereik_decisions", self.sources.decisions_pid, self.registry)
        self.agi_seconds = Histogram("bereik_fastagi_session_seconds", "Duration of a FastAGI entry session",
                                     buckets=AGI_BUCKETS, registry=self.registry)

    def timed(self, handler: Handler) -> Handler:
        """The handler, with the caller's wait on it observed (bereik.pbx.agi.timed)."""
        return timed(handler, self.agi_seconds.observe)
