"""The recorder: AMI events in, durable call journeys out.

The event loop only updates journeys in memory and queues what changed; a
writer thread writes batches to the store, so a slow disk or database never
delays a caller. After every AMI (re)login the recorder asks Asterisk which
channels are up and reads Asterisk's own event log (CEL) to fill in what it
missed; after a restart it first picks up the calls it left open.
"""
from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from pathlib import Path
from zoneinfo import ZoneInfo

from bereik.pbx.ami import AmiClient, AmiError
from bereik.records import cel
from bereik.records.journey import Journey, JourneyBook
from bereik.records.reconcile import reconcile
from bereik.records.store import CallStore, Update, update_for
from bereik.records.summary import CallRow, summarise

log = logging.getLogger(__name__)

DAY = 86400.0
# Asterisk may report an agent's completion just after the caller's hang-up.
KEEP_ENDED_SECONDS = 60.0


class StoreWriter:
    """Writes queued updates in batches on its own thread; a failed batch is retried, not dropped."""

    def __init__(self, store: CallStore, batch: int = 2000, retry_seconds: float = 1.0):
        self.store = store
        self.batch = batch
        self.retry_seconds = retry_seconds
        self._queue: queue.Queue = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="bereik-store-writer", daemon=True)
        self._thread.start()

    def put(self, update: Update) -> None:
        self._queue.put(update)

    def call(self, job: Callable[[CallStore], object]) -> None:
        """Run `job(store)` on the writer thread, in order with the writes."""
        self._queue.put(job)

    def flush(self, timeout: float = 30.0) -> None:
        done = threading.Event()
        self._queue.put(done)
        if not done.wait(timeout):
            raise TimeoutError("the call-record store did not keep up")

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            pending: list[Update] = []
            signals: list = []
            stop = False
            while True:
                if item is None:
                    stop = True
                elif isinstance(item, Update):
                    pending.append(item)
                else:
                    signals.append(item)
                if stop or len(pending) >= self.batch or signals:
                    break
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
            self._write(pending)
            for signal in signals:
                if isinstance(signal, threading.Event):
                    signal.set()
                else:
                    self._job(signal)
            if stop:
                return

    def _write(self, pending: list[Update]) -> None:
        while pending:
            try:
                self.store.write(pending)
                return
            except Exception:
                log.exception("writing %d call updates failed; retrying", len(pending))
                time.sleep(self.retry_seconds)

    def _job(self, job: Callable[[CallStore], object]) -> None:
        try:
            job(self.store)
        except Exception:
            log.exception("call-record store job failed")


class Recorder:
    def __init__(
        self,
        store: CallStore,
        zone: ZoneInfo,
        front_numbers: frozenset[str],
        *,
        cel_path: Path | str | None = None,
        agent_names: Mapping[str, str] = {},
        retention_days: int = 400,
        clock: Callable[[], float] = time.time,
    ):
        self.store = store
        self.zone = zone
        self.front_numbers = front_numbers
        self.cel_path = cel_path
        self.agent_names = dict(agent_names)
        self.retention_days = retention_days
        self.clock = clock
        self.book = JourneyBook()
        self.writer: StoreWriter | None = None
        self._written: dict[str, set[tuple[str, float]]] = {}
        self._on_row: list[Callable[[CallRow], None]] = []
        self._ended: deque[tuple[float, str]] = deque()
        self._ended_at: set[str] = set()

    def on_row(self, callback: Callable[[CallRow], None]) -> None:
        """Call `callback(row)` with a call's summary each time it changes."""
        self._on_row.append(callback)

    def attach(self, ami: AmiClient) -> None:
        ami.on_event("*", self.apply)
        ami.on_login(lambda: self.reconcile(ami))

    def start(self) -> None:
        """Pick up the calls left open by the previous run, purge old records, start writing."""
        for journey in self.store.open_journeys(since=self.clock() - DAY):
            self.book.journeys[journey.call_id] = journey
            self._written[journey.call_id] = {(s.what, s.at) for s in journey.steps}
        self.writer = StoreWriter(self.store)
        self.writer.call(lambda store: store.purge(self.clock() - self.retention_days * DAY))

    def close(self) -> None:
        if self.writer:
            self.writer.close()
            self.writer = None

    def flush(self) -> None:
        if self.writer:
            self.writer.flush()

    def apply(self, event: dict[str, str]) -> Journey | None:
        journey = self.book.apply(event)
        if journey is not None:
            self.record(journey)
        return journey

    async def reconcile(self, ami: AmiClient) -> None:
        open_at_login = {cid for cid, j in self.book.journeys.items() if not j.ended}
        try:
            live = [e for e in await ami.action("Status", timeout=10) if e.get("Event") == "Status"]
        except AmiError as error:
            log.warning("could not list Asterisk's channels to reconcile call records: %s", error)
            return
        wanted = open_at_login | {c.get("Linkedid", "") for c in live}
        records = await asyncio.to_thread(cel.read, self.cel_path, wanted) if self.cel_path else []
        changed = reconcile(self.book.journeys, live, records, self.clock(), self.agent_names, open_at_login)
        for journey in changed:
            self.record(journey)
        if changed:
            log.info("reconciled %d call(s) with Asterisk after login", len(changed))

    def record(self, journey: Journey) -> None:
        """Queue the journey's new steps and latest summary for the store."""
        written = self._written.setdefault(journey.call_id, set())
        new = [s for s in journey.steps if (s.what, s.at) not in written]
        written.update((s.what, s.at) for s in new)
        row = summarise(journey, self.zone, self.front_numbers)
        if self.writer:
            self.writer.put(update_for(journey, row, new))
        for callback in self._on_row:
            callback(row)
        if journey.ended and journey.call_id not in self._ended_at:
            self._ended.append((journey.steps[-1].at, journey.call_id))
            self._ended_at.add(journey.call_id)
        self._forget_before(journey.steps[-1].at - KEEP_ENDED_SECONDS if journey.steps else 0.0)

    def _forget_before(self, moment: float) -> None:
        # Event time, not the wall clock: the same in production, replays and the benchmark.
        while self._ended and self._ended[0][0] < moment:
            _, call_id = self._ended.popleft()
            self._ended_at.discard(call_id)
            self.book.journeys.pop(call_id, None)
            self._written.pop(call_id, None)
