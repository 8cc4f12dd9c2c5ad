"""Outbound webhooks: every step of a call's journey, POSTed to the municipality's systems in the Standard
Webhooks shape (https://www.standardwebhooks.com): headers webhook-id, webhook-timestamp and
webhook-signature ("v1,<base64 HMAC-SHA256 of id.timestamp.body>"), a body {type, timestamp, data}.

Each event is kept in an outbox (SQLite) before it is sent, so a receiver that is down, or a bereik that
restarts, loses none. Per receiver the events go out one at a time in the order they happened, so every
call's events arrive in order; a failure is retried with doubling back-off (2 s .. 10 min), and after
`integrations.max_attempts` the event goes to the dead letters, which the administrator sees at /webhooks
and can send again. The webhook-id stays the same on every attempt: the receiver drops what it already has.
"""
from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import hmac
import json
import logging
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import aiohttp

from bereik.config.model import Config, Webhook
from bereik.records.journey import Journey, Step
from bereik.secrets import Secrets

log = logging.getLogger(__name__)

FIRST_RETRY_SECONDS = 2.0
LAST_RETRY_SECONDS = 600.0
SEND_TIMEOUT_SECONDS = 10.0
DEAD_LETTER_DAYS = 14  # then deleted: they hold callers' numbers (AVG)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    receiver TEXT NOT NULL,
    event_id TEXT NOT NULL,
    type TEXT NOT NULL,
    call_id TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at REAL NOT NULL,
    error TEXT NOT NULL DEFAULT '',
    dead INTEGER NOT NULL DEFAULT 0,
    UNIQUE (receiver, event_id)
);
CREATE INDEX IF NOT EXISTS deliveries_waiting ON deliveries (receiver, dead, id);
"""


@dataclass(frozen=True)
class Delivery:
    id: int
    receiver: str
    event_id: str
    type: str
    call_id: str
    body: str
    created_at: float
    attempts: int
    next_at: float
    error: str


def signing_key(secret: str) -> bytes:
    """Standard Webhooks' secrets are whsec_<base64 key>; any other secret is used as its UTF-8 bytes."""
    return base64.b64decode(secret.removeprefix("whsec_")) if secret.startswith("whsec_") else secret.encode()


def signature(key: bytes, event_id: str, timestamp: int, body: str) -> str:
    digest = hmac.new(key, f"{event_id}.{timestamp}.{body}".encode(), hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def back_off(attempts: int) -> float:
    return min(LAST_RETRY_SECONDS, FIRST_RETRY_SECONDS * 2 ** max(0, attempts - 1))


def event_of(journey: Journey, step: Step, sequence: int, server: str = "") -> tuple[str, str, dict]:
    """(event id, type, body) of one step of a call: what the receiver needs to follow the call."""
    event_id = "msg_" + hashlib.sha256(f"{journey.call_id}|{sequence}|{step.what}|{step.at}".encode()).hexdigest()[:32]
    at = dt.datetime.fromtimestamp(step.at, dt.timezone.utc).isoformat().replace("+00:00", "Z")
    body = {"type": f"call.{step.what}", "timestamp": at, "data": {
        "call": journey.call_id, "sequence": sequence, "step": step.what, "at": at,
        "caller": journey.caller_number, "caller_name": journey.caller_name, "dialled": journey.dialled,
        "labels": dict(journey.labels), "detail": dict(step.detail), "server": server}}
    return event_id, body["type"], body


class Outbox:
    """The events not yet delivered, per receiver in order, and the dead letters."""

    def __init__(self, path: str | Path):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)

    def add(self, receiver: str, event_id: str, type_: str, call_id: str, body: str, now: float,
            not_before: float | None = None) -> None:
        self._db.execute("INSERT OR IGNORE INTO deliveries (receiver, event_id, type, call_id, body, created_at, "
                         "next_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                         (receiver, event_id, type_, call_id, body, now, now if not_before is None else not_before))

    def replace(self, receiver: str, event_id: str, body: str, now: float) -> bool:
        """A waiting event's newer content, due at once (a call's wrap-up before its registration went)."""
        return self._db.execute("UPDATE deliveries SET body = ?, next_at = ? WHERE receiver = ? AND event_id = ? "
                                "AND dead = 0", (body, now, receiver, event_id)).rowcount > 0

    def first(self, receiver: str, ordered: bool = True) -> Delivery | None:
        """The next to send: the oldest (`ordered`), else the one due first."""
        order = "id" if ordered else "next_at, id"
        row = self._db.execute("SELECT id, receiver, event_id, type, call_id, body, created_at, attempts, next_at, "
                               f"error FROM deliveries WHERE receiver = ? AND dead = 0 ORDER BY {order} LIMIT 1",
                               (receiver,)).fetchone()
        return Delivery(*row) if row else None

    def delivered(self, delivery: Delivery) -> None:
        self._db.execute("DELETE FROM deliveries WHERE id = ?", (delivery.id,))

    def failed(self, delivery: Delivery, error: str, next_at: float, dead: bool, body: str | None = None) -> None:
        """`body`: what the next attempt sends instead (how far a registration of several requests got)."""
        self._db.execute("UPDATE deliveries SET attempts = attempts + 1, error = ?, next_at = ?, dead = ?, "
                         "body = COALESCE(?, body) WHERE id = ?", (error[:300], next_at, int(dead), body, delivery.id))

    def dead_letters(self) -> list[Delivery]:
        rows = self._db.execute("SELECT id, receiver, event_id, type, call_id, body, created_at, attempts, next_at, "
                                "error FROM deliveries WHERE dead = 1 ORDER BY id").fetchall()
        return [Delivery(*row) for row in rows]

    def waiting(self) -> dict[str, int]:
        return dict(self._db.execute("SELECT receiver, COUNT(*) FROM deliveries WHERE dead = 0 GROUP BY receiver"))

    def send_again(self, delivery_id: int, now: float) -> str | None:
        """A dead letter back in line (behind what waits now: its call's later events may have gone first)."""
        row = self._db.execute("SELECT receiver, event_id, type, call_id, body, created_at FROM deliveries "
                               "WHERE id = ? AND dead = 1", (delivery_id,)).fetchone()
        if row is None:
            return None
        self._db.execute("DELETE FROM deliveries WHERE id = ?", (delivery_id,))
        self._db.execute("INSERT INTO deliveries (receiver, event_id, type, call_id, body, created_at, next_at) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?)", (*row, now))
        return row[0]

    def purge(self, before: float) -> int:
        return self._db.execute("DELETE FROM deliveries WHERE dead = 1 AND created_at < ?", (before,)).rowcount

    def close(self) -> None:
        self._db.close()


class Courier:
    """Sends what waits in the outbox, one receiver at a time each, with back-off and dead letters."""

    ordered = True  # in the order kept (webhooks), or by when each is due

    def __init__(self, names: list[str], outbox: Outbox, max_attempts: int, now: Callable[[], float]):
        self.outbox = outbox
        self.max_attempts = max_attempts
        self.now = now
        self._wake = {name: asyncio.Event() for name in names}
        self._tasks: list[asyncio.Task] = []

    async def send(self, name: str, delivery: Delivery) -> tuple[str | None, str | None]:
        """(None, _) when delivered, else (the error, the body to send next time or None)."""
        raise NotImplementedError

    def destinations(self) -> dict[str, str]:
        """Each receiver's name and address, for the administrator."""
        raise NotImplementedError

    def step(self, journey: Journey, step: Step) -> None:
        """A new step of a call (Recorder.on_step): keep what it makes for the receivers."""
        raise NotImplementedError

    def wake(self, name: str) -> None:
        if name in self._wake:
            self._wake[name].set()

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=SEND_TIMEOUT_SECONDS))
        self._tasks = [asyncio.create_task(self._deliver(name)) for name in self._wake]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._session.close()

    async def _deliver(self, name: str) -> None:
        wake = self._wake[name]
        while True:
            wake.clear()
            self.outbox.purge(self.now() - DEAD_LETTER_DAYS * 86400)
            delivery = self.outbox.first(name, self.ordered)
            if delivery is None:
                await wake.wait()
                continue
            if delivery.next_at > self.now():
                try:  # something new or sent again wakes us earlier
                    await asyncio.wait_for(wake.wait(), delivery.next_at - self.now())
                except asyncio.TimeoutError:
                    pass
                continue
            error, progress = await self.send(name, delivery)
            if error is None:
                self.outbox.delivered(delivery)
                continue
            attempts = delivery.attempts + 1
            dead = attempts >= self.max_attempts
            log.warning("%s: %s (%s) not delivered, attempt %d: %s%s", name, delivery.event_id, delivery.type,
                        attempts, error, "; now a dead letter" if dead else "")
            self.outbox.failed(delivery, error, self.now() + back_off(attempts), dead, progress)


class Webhooks(Courier):
    """Keeps each new step of a call (Recorder.on_step) for every receiver that wants it, and sends."""

    def __init__(self, config: Config, secrets: Secrets, outbox: Outbox, *, now: Callable[[], float] = time.time):
        self.receivers: dict[str, Webhook] = {w.name: w for w in config.integrations.webhooks}
        super().__init__(list(self.receivers), outbox, config.integrations.max_attempts, now)
        self.server = config.pbx.server or ""
        self._keys = {w.name: signing_key(secrets.get(w.secret)) for w in self.receivers.values()}

    def destinations(self) -> dict[str, str]:
        return {name: w.url for name, w in self.receivers.items()}

    def step(self, journey: Journey, step: Step) -> None:
        sequence = next(n for n, s in enumerate(journey.steps, start=1) if s is step)
        event_id, type_, body = event_of(journey, step, sequence, self.server)
        text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
        for name, receiver in self.receivers.items():
            if not receiver.events or type_ in receiver.events:
                self.outbox.add(name, event_id, type_, journey.call_id, text, self.now())
                self.wake(name)

    async def send(self, name: str, delivery: Delivery) -> tuple[str | None, str | None]:
        receiver = self.receivers[name]
        timestamp = int(self.now())
        headers = {"content-type": "application/json", "webhook-id": delivery.event_id,
                   "webhook-timestamp": str(timestamp),
                   "webhook-signature": signature(self._keys[name], delivery.event_id, timestamp, delivery.body)}
        try:
            async with self._session.post(receiver.url, data=delivery.body.encode(), headers=headers) as response:
                return (None if 200 <= response.status < 300 else f"HTTP {response.status}"), None
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as problem:
            return type(problem).__name__ + (f": {problem}" if str(problem) else ""), None
