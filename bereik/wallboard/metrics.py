"""Prometheus metrics: calls, waiting callers, service level, AMI health, FastAGI latency, and the
process's own memory, open files and asyncio tasks (a soak shows whether they grow).

Each Service has its own registry (no globals), read at scrape time from the floor.
"""
from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from prometheus_client import CollectorRegistry, Histogram, ProcessCollector
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from bereik.wallboard.floor import STATES, Floor

# FastAGI sessions last from milliseconds (a routing decision) to a minute (a caller in the menu).
AGI_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)


class _FloorCollector:
    def __init__(self, floor: Floor, ami_connected: Callable[[], bool], clock: Callable[[], float]):
        self.floor, self.ami_connected, self.clock = floor, ami_connected, clock

    def collect(self):
        board = self.floor.snapshot(self.clock())
        yield CounterMetricFamily("bereik_calls", "Calls that entered since bereik started", value=self.floor.calls_entered)
        answered = CounterMetricFamily("bereik_queue_calls", "Queue calls since bereik started, by outcome",
                                       labels=["outcome"])
        for outcome, count in self.floor.totals.items():
            answered.add_metric([outcome], count)
        yield answered
        yield GaugeMetricFamily("bereik_waiting_callers", "Callers waiting in a queue now", value=board["waiting"])
        yield GaugeMetricFamily("bereik_longest_wait_seconds", "The longest wait now", value=board["longest_wait"])
        if board["service_level"] is not None:
            yield GaugeMetricFamily("bereik_service_level_today",
                                    "Share of today's queue calls answered within the norm",
                                    value=board["service_level"])
        agents = GaugeMetricFamily("bereik_agents", "Agents by state", labels=["state"])
        for state in STATES:
            agents.add_metric([state], board["agents"][state])
        yield agents
        yield GaugeMetricFamily("bereik_ami_connected", "1 while bereik is logged in to Asterisk's AMI",
                                value=1.0 if self.ami_connected() else 0.0)
        # Scraped on bereik's own loop (aiohttp), so this counts that loop's tasks.
        yield GaugeMetricFamily("bereik_asyncio_tasks", "asyncio tasks alive in bereik's event loop",
                                value=len(asyncio.all_tasks()))


class Metrics:
    def __init__(self, floor: Floor, ami_connected: Callable[[], bool], clock: Callable[[], float] = time.time):
        self.registry = CollectorRegistry()
        self.registry.register(_FloorCollector(floor, ami_connected, clock))
        ProcessCollector(registry=self.registry)  # process_resident_memory_bytes, process_open_fds
        self.agi_seconds = Histogram("bereik_fastagi_session_seconds", "Duration of a FastAGI entry session",
                                     buckets=AGI_BUCKETS, registry=self.registry)

    def timed(self, handler: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
        """The handler, with its duration observed (also when it fails or the caller hangs up)."""
        async def observed(session) -> None:
            with self.agi_seconds.time():
                await handler(session)
        return observed
