"""The recorder: facts in (bereik.facts, from whichever PBX adapter), durable call journeys out.

The event loop only updates journeys in memory and queues what changed; a
writer thread writes batches to the store, so a slow disk or database never
delays a caller. After every (re)connect the adapter tells which calls are up
and what the PBX's own log says bereik missed (for Asterisk: bereik.pbx.records),
and `reconcile` fills it in; after a restart the recorder first picks up the
calls it left open.
"""
from __future__ import annotations

import asyncio
import dataclasses
import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from zoneinfo import ZoneInfo

from bereik import facts as f
from bereik.records import lost, servers
from bereik.records.journey import Journey, JourneyBook, Step
from bereik.records.reconcile import reconcile
from bereik.records.spool import Spool
from bereik.records.store import CallStore, Update, update_for
from bereik.records.summary import CallRow, summarise

log = logging.getLogger(__name__)

DAY = 86400.0
# The PBX may report an agent's completion just after the caller's hang-up.
KEEP_ENDED_SECONDS = 60.0


class StoreWriter:
    """Writes queued updates in batches on its own thread.

    A batch is what arrives within `gather_seconds` of its first update: under load a transaction per update, and
    the writer woken for each, cost more than the rest of recording (bench call_paths); a call's updates in one
    batch are one row written. A flush or close cuts that moment short.

    A batch the store refuses (locked, disk full, PostgreSQL down) goes to the
    spool, and everything after it too, so the order holds; the spool is written
    to the store when it is back. When even the spool cannot be written (the
    same full disk), batches wait in memory, up to `held_limit` updates.
    """

    def __init__(self, store: CallStore, spool: Spool | None = None, *, batch: int = 2000,
                 gather_seconds: float = 0.05, retry_seconds: float = 1.0, held_limit: int = 200_000):
        self.store = store
        self.spool = spool
        self.batch = batch
        self.gather_seconds = gather_seconds
        self.retry_seconds = retry_seconds
        self.held_limit = held_limit
        self._held: deque[Update] = deque()
        self._dropped = 0
        self._next_attempt = 0.0
        self._queue: queue.Queue = queue.Queue()
        self._urgent = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bereik-store-writer", daemon=True)
        self._thread.start()

    @property
    def behind(self) -> bool:
        """Whether updates wait for the store (in the spool or in memory)."""
        return bool(self._held) or bool(self.spool)

    @property
    def held(self) -> int:
        """Updates waiting in memory because even the spool could not be written."""
        return len(self._held)

    def put(self, update: Update) -> None:
        self._queue.put(update)

    def call(self, job: Callable[[CallStore], object]) -> None:
        """Run `job(store)` on the writer thread, in order with the writes."""
        self._queue.put(job)

    def flush(self, timeout: float = 30.0) -> None:
        """Wait until what was put is in the store or, when the store is unavailable, in the spool."""
        done = threading.Event()
        self._queue.put(done)
        self._urgent.set()
        if not done.wait(timeout):
            raise TimeoutError("the call-record store did not keep up")

    def close(self) -> None:
        self._queue.put(None)
        self._urgent.set()
        self._thread.join()
        if self._held:
            log.error("bereik stops with %d call updates neither in the store nor in the spool; they are lost",
                      len(self._held))

    def _run(self) -> None:
        while True:
            try:
                item = self._queue.get(timeout=self.retry_seconds if self.behind else None)
            except queue.Empty:
                self._catch_up()
                continue
            if isinstance(item, Update):
                self._urgent.wait(self.gather_seconds)
                self._urgent.clear()
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
            self._write(pending, force=stop)
            for signal in signals:
                if isinstance(signal, threading.Event):
                    signal.set()
                else:
                    self._job(signal)
            if stop:
                return

    def _write(self, pending: list[Update], force: bool = False) -> None:
        if self.behind and not self._catch_up(force):
            self._defer(pending)
            return
        if not pending:
            return
        try:
            self.store.write(pending)
        except Exception as error:
            log.warning("the call-record store refused %d updates (%s); they wait until it is back",
                        len(pending), error)
            self._next_attempt = time.monotonic() + self.retry_seconds
            self._defer(pending)

    def _catch_up(self, force: bool = False) -> bool:
        if not force and time.monotonic() < self._next_attempt:
            return False
        self._next_attempt = time.monotonic() + self.retry_seconds
        self._spool_held()
        try:
            if self.spool:
                log.info("wrote %d spooled batches of call updates to the store", self.spool.replay_into(self.store))
            if self._held:
                self.store.write(list(self._held))
                self._held.clear()
                log.info("wrote the call updates held in memory to the store")
        except Exception as error:
            log.debug("the call-record store is still unavailable: %s", error)
            return False
        return True

    def _defer(self, pending: list[Update]) -> None:
        if not pending:
            return
        if self.spool is not None and not self._held:
            try:
                self.spool.append(pending)
                return
            except OSError as error:
                log.error("cannot write the call-record spool %s either (%s); call updates wait in memory, "
                          "lost if bereik stops before the store or the spool is back", self.spool.path, error)
        self._held.extend(pending)
        excess = len(self._held) - self.held_limit
        if excess > 0:
            for _ in range(excess):
                self._held.popleft()
            self._dropped += excess
            log.error("call updates held in memory exceed %d; %d dropped so far", self.held_limit, self._dropped)

    def _spool_held(self) -> None:
        """Move updates held in memory to the spool once it has room again."""
        if self._held and self.spool is not None:
            try:
                self.spool.append(list(self._held))
            except OSError:
                return
            self._held.clear()

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
        clock: Callable[[], float] = time.time,
        spool: Spool | None = None,
        retry_seconds: float = 1.0,
        server: str = "",
        writing: bool = True,
    ):
        """`spool`: where records wait while the store is unavailable; `retry_seconds`: how often it is tried;
        `server`: the Asterisk's name when several share the store (bereik.records.servers); `writing`: False
        for a stand-by that follows another bereik's server and writes only once it takes over."""
        self.store = store
        self.server = server
        self.writing = writing
        self.spool = spool
        self.retry_seconds = retry_seconds
        self.zone = zone
        self.front_numbers = front_numbers
        self.clock = clock
        self.book = JourneyBook()
        self.writer: StoreWriter | None = None
        self._written: dict[str, set[tuple[str, float]]] = {}
        self._on_row: list[Callable[[CallRow], None]] = []
        self._on_step: list[Callable[[Journey, Step], None]] = []
        self._told: dict[str, set[tuple[str, float]]] = {}
        self._ended: deque[tuple[float, str]] = deque()
        self._ended_at: set[str] = set()
        # Closed where another bereik may have closed them too (cut off by a lost node, or ended unseen while away
        # on several servers): closed in the store only if still open there.
        self._closing: dict[str, Step] = {}
        self._asked: set[str] = set()  # of those, the ones the writer is closing now
        self.last_event_at = 0.0  # the PBX's clock: the newest fact seen

    def on_row(self, callback: Callable[[CallRow], None]) -> None:
        """Call `callback(row)` with a call's summary each time it changes."""
        self._on_row.append(callback)

    def on_step(self, callback: Callable[[Journey, Step], None]) -> None:
        """Call `callback(journey, step)` once for each new step of a call, in the call's order; only while
        this recorder writes (of several bereiks following a server, one tells)."""
        self._on_step.append(callback)

    def start(self) -> None:
        """Write what the previous run spooled, pick up the calls it left open, start writing (retention: bereik.privacy.job)."""
        try:
            if self.spool:
                log.info("wrote %d batches of call updates spooled by the previous run",
                         self.spool.replay_into(self.store))
            for journey in self.store.open_journeys(since=self.clock() - DAY):
                if not servers.of_server(self.server, journey.call_id):
                    continue  # another server's call, followed by that server's bereik
                self.book.journeys[journey.call_id] = journey
                self._written[journey.call_id] = {(s.what, s.at) for s in journey.steps}
        except Exception as error:  # sqlite3, psycopg or OS errors alike: routing must start regardless
            log.error("the call-record store is unavailable at start (%s); records wait until it is back", error)
        self.writer = StoreWriter(self.store, self.spool, retry_seconds=self.retry_seconds)

    def close(self) -> None:
        if self.writer:
            self.writer.close()
            self.writer = None

    def flush(self) -> None:
        if self.writer:
            self.writer.flush()

    def take_over(self, writing: bool) -> None:
        """Start (or stop) writing; on start, everything this recorder holds, which the bereik that
        wrote before may not have written when it died (the store keeps each step once)."""
        if writing and not self.writing:
            self._written.clear()
            self.writing = True
            for journey in list(self.book.journeys.values()):
                self.record(journey)
        self.writing = writing

    def apply(self, fact: f.Fact) -> Journey | None:
        if fact.at is not None:
            self.last_event_at = max(self.last_event_at, fact.at)
        journey = self.book.apply(servers.qualified(self.server, fact))
        if journey is not None:
            self.record(journey)
        return journey

    def open_calls(self) -> set[str]:
        """The calls not yet ended, by the PBX's own ids: to ask its log about after a (re)connect."""
        return {servers.pbx_id(self.server, cid) for cid, j in self.book.journeys.items() if not j.ended}

    def reconcile(self, live: Iterable[f.CallUp], missed: Iterable[f.CallFact], open_at_login: Iterable[str],
                  source: str) -> None:
        """Fill in what the live facts did not tell: `live`, the calls up now; `missed`, what the PBX's own
        log (`source`) tells; `open_at_login`, open_calls() as the (re)connect began. On several servers a call
        it ends is closed once, as by close_lost."""
        ended_before = {call_id for call_id, journey in self.book.journeys.items() if journey.ended}
        changed = reconcile(
            self.book.journeys, [servers.qualified(self.server, c) for c in live],
            [servers.qualified(self.server, m) for m in missed], self.clock(),
            {servers.call_id(self.server, c) for c in open_at_login}, source)
        for journey in changed:
            if self.server and journey.ended and journey.call_id not in ended_before:
                # While this bereik was away from its server, another may have closed the call as cut off.
                self._closing[journey.call_id] = journey.first("hung_up")
            else:
                self.record(journey)
        self._ask_to_close()
        if changed:
            log.info("reconciled %d call(s) with the PBX after a (re)connect", len(changed))

    def add_step(self, call_id: str, what: str, at: float, detail: Mapping[str, object]) -> None:
        """A step that bereik itself knows and Asterisk does not tell (a warm transfer from the console,
        a call-back the caller asked for), added to the call's journey by the caller channel's uniqueid."""
        journey = self.book.journeys.get(servers.call_id(self.server, call_id))
        step = Step(at, what, {k: str(v) for k, v in detail.items() if v is not None})
        if journey is not None:
            journey.steps.append(step)
            self.record(journey)
        if self.writer and (journey is None or not self.writing):
            # Ended and written a while ago (an agent's wrap-up after the call): add it in the store. A stand-by
            # writes it too: its server's own bereik never hears of a step from this bereik's console; what it
            # knows of the call goes with it, for a call its own bereik has not written yet.
            loop = asyncio.get_running_loop()
            known = dataclasses.replace(journey, steps=list(journey.steps), labels=dict(journey.labels)) \
                if journey is not None else None
            self.writer.call(lambda store: self._add_to_stored(store, servers.call_id(self.server, call_id), step,
                                                               loop, known))

    def close_lost(self, down_since: float | None, now: float, grace: float = lost.GRACE_SECONDS) -> None:
        """Close the open calls of this recorder's server once its AMI has been unreachable since `down_since` for
        longer than `grace` (bereik.records.lost). Every bereik following the server closes them in memory; the
        one that writes closes them in the store, each only if the store still has it open, so a call is closed
        once whichever bereik wrote it, took over or comes back."""
        for journey, step in lost.cut_off(self.book.journeys.values(), down_since, now, self.server, grace):
            journey.steps.append(step)
            journey.ended = True
            self._closing[journey.call_id] = step
            log.warning("call %s was on server %s, unreachable for %.0f s: closed as cut off", journey.call_id,
                        self.server, now - down_since)
        self._ask_to_close()

    def _ask_to_close(self) -> None:
        """Have the writer close the calls in `_closing` in the store, each only if the store still has it open,
        with the steps before the close that this recorder has not written (a stand-by that took over has written
        none); while this recorder does not write, they wait."""
        if not (self._closing and self.writing and self.writer):
            return
        loop = asyncio.get_running_loop()
        for call_id, step in self._closing.items():
            if call_id not in self._asked:
                self._asked.add(call_id)
                written = self._written.get(call_id, set())
                unwritten = [s for s in self.book.journeys[call_id].steps
                             if s != step and (s.what, s.at) not in written]
                self.writer.call(lambda store, call_id=call_id, step=step, unwritten=unwritten:
                                 self._close_in_store(store, call_id, step, unwritten, loop))

    def _close_in_store(self, store: CallStore, call_id: str, step: Step, before: list[Step],
                        loop: asyncio.AbstractEventLoop) -> None:
        try:
            stored = store.close_open(call_id, step, self._summary, before)
        except Exception:
            loop.call_soon_threadsafe(self._asked.discard, call_id)  # asked again at the next check
            raise
        loop.call_soon_threadsafe(self._closed, call_id, step, stored)

    def _closed(self, call_id: str, step: Step, stored: Journey | None) -> None:
        self._asked.discard(call_id)
        journey = self.book.journeys.get(call_id)
        if self._closing.pop(call_id, None) is None or journey is None:
            return
        if stored is None:  # never written (the store was behind): this bereik's journey is all there is
            self.record(journey)
            return
        self.book.journeys[call_id] = stored  # what the store has, whoever closed it
        self._written[call_id] = {(s.what, s.at) for s in stored.steps}
        if stored.first("hung_up") != step:  # another bereik closed it, or its node told its end: that one tells
            self._told[call_id] = {(s.what, s.at) for s in stored.steps}
        self.record(stored)

    def _summary(self, journey: Journey) -> CallRow:
        return summarise(journey, self.zone, self.front_numbers)

    def _add_to_stored(self, store: CallStore, call_id: str, step: Step, loop: asyncio.AbstractEventLoop,
                       known: Journey | None) -> None:
        journey = store.add_steps(call_id, [step], self._summary)
        if journey is None and known is not None:  # the call's own bereik keeps the steps and merges them at the end
            store.write([update_for(known, self._summary(known), known.steps)])
            journey = known
        if journey is None:
            log.warning("no call %s in the store for its %s step", call_id, step.what)
            return
        loop.call_soon_threadsafe(self._tell, journey, step)

    def _tell(self, journey: Journey, step: Step) -> None:
        for callback in self._on_step:
            callback(journey, step)

    def record(self, journey: Journey) -> None:
        """Queue the journey's new steps and latest summary for the store."""
        if journey.call_id in self._closing:
            return  # written once the store says whether it is still open (_ask_to_close)
        row = summarise(journey, self.zone, self.front_numbers)
        if self.writer and self.writing:
            self._put(journey, row)
        if self._on_step and self.writing:
            told = self._told.setdefault(journey.call_id, set())
            for step in journey.steps:
                if (step.what, step.at) not in told:
                    told.add((step.what, step.at))
                    self._tell(journey, step)
        for callback in self._on_row:
            callback(row)
        if journey.ended and journey.call_id not in self._ended_at:
            self._ended.append((journey.steps[-1].at, journey.call_id))
            self._ended_at.add(journey.call_id)
        self._forget_before(journey.steps[-1].at - KEEP_ENDED_SECONDS if journey.steps else 0.0)

    def _put(self, journey: Journey, row: CallRow) -> None:
        written = self._written.setdefault(journey.call_id, set())
        new = [s for s in journey.steps if (s.what, s.at) not in written]
        written.update((s.what, s.at) for s in new)
        self.writer.put(update_for(journey, row, new))
        if journey.ended and self.server:
            # Several servers: its final row from every step in the store, since a step another bereik's console
            # added (a warm transfer made from the console of another node) is not in this journey.
            call_id = journey.call_id
            self.writer.call(lambda store: store.add_steps(call_id, [], self._summary))

    def _forget_before(self, moment: float) -> None:
        # Event time, not the wall clock: the same in production, replays and the benchmark.
        while self._ended and self._ended[0][0] < moment:
            _, call_id = self._ended.popleft()
            self._ended_at.discard(call_id)
            self.book.journeys.pop(call_id, None)
            self._written.pop(call_id, None)
            self._told.pop(call_id, None)
