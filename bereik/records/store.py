"""The call-record store: one interface, SQLite (default) and PostgreSQL (several servers, one store).

Writes are idempotent: a step is keyed on (call, step, moment), so the same AMI
event applied twice, or replayed from Asterisk's own log after a restart, is
one step; a call's row is replaced by its latest summary, an ended call's never
by an open one. The recorder writes from its writer thread while reports, the wallboard and the calls' own
questions (a planned call-back?) read from others: with SQLite each thread has its own connection; PostgreSQL's
come from a pool made ahead, so that no call waits for a connection to be made (seconds on a loaded server).
"""
from __future__ import annotations

import json
import logging
import sqlite3
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, NamedTuple

from bereik.records import schema
from bereik.records.journey import Journey, Step
from bereik.records.summary import COLUMNS, CallRow

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_SECONDS = 5  # PostgreSQL
# Connections kept open to PostgreSQL: enough for the recorder, a report and the calls' own reads at once; more are
# made while the threads asking for one at the same moment outnumber them, up to the most there are threads.
POOL_SIZE, POOL_MAX = 4, 16


class StepRow(NamedTuple):
    call_id: str
    at: float
    what: str
    detail: str  # JSON


class Update(NamedTuple):
    """A call's latest summary and the steps not yet written."""

    call: CallRow
    extra: str  # JSON: what restores the journey (caller name, labels)
    steps: list[StepRow]


# One encoder each, made once: json.dumps with options makes a new one every time, and an update is made for every
# AMI event of a call (python -m bench call_paths).
_extra_json = json.JSONEncoder(ensure_ascii=False).encode
_detail_json = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode


def update_for(journey: Journey, row: CallRow, steps: Sequence[Step]) -> Update:
    extra = _extra_json({"caller_name": journey.caller_name, "labels": journey.labels})
    return Update(row, extra, [StepRow(journey.call_id, s.at, s.what, _detail_json(s.detail)) for s in steps])


class AuditRow(NamedTuple):
    at: float  # epoch seconds
    actor: str  # a login, "cli" or "bereik"
    action: str
    target: str
    source: str  # where from: an address, the command line, a signal
    detail: str  # JSON


_CALL_COLUMNS = (*COLUMNS, "extra")


def _without_name(extra: str | None) -> str:
    more = json.loads(extra or "{}")
    more.pop("caller_name", None)
    return json.dumps(more, ensure_ascii=False)


def _db_value(value: Any) -> Any:
    return int(value) if isinstance(value, bool) else value


class CallStore(ABC):
    """Where call journeys are kept. The same tests run against every implementation."""

    placeholder = "?"

    def __init__(self) -> None:
        p = self.placeholder
        self._insert_step = f"INSERT INTO steps (call_id, at, what, detail) VALUES ({p}, {p}, {p}, {p}) ON CONFLICT DO NOTHING"
        updates = ", ".join(f"{c} = excluded.{c}" for c in _CALL_COLUMNS if c != "call_id")
        # A row of a call still open never replaces an ended one: a stand-by taking over writes what it holds,
        # which may be behind what another bereik closed meanwhile (its steps still go in).
        self._upsert_call = (
            f"INSERT INTO calls ({', '.join(_CALL_COLUMNS)}) VALUES ({', '.join([p] * len(_CALL_COLUMNS))})"
            f" ON CONFLICT (call_id) DO UPDATE SET {updates}"
            f" WHERE calls.ended_at IS NULL OR excluded.ended_at IS NOT NULL"
        )
        self._tables_made = False
        try:
            self._make_tables()
        except Exception as error:  # sqlite3, psycopg or OS errors alike
            # Locked, full or down at start: bereik starts and routes; the first write that gets through makes them.
            log.error("the call-record store is unavailable (%s); records wait until it is back", error)

    def _make_tables(self) -> None:
        """Bring the tables to this bereik's schema version (bereik.records.schema)."""
        if self.version().pending:
            schema.upgrade(self.location)
        self._tables_made = True

    def version(self) -> schema.Version:
        with self._transaction() as cursor:
            return schema.Version(schema.applied(cursor, self._has_table), schema.expected())

    @property
    @abstractmethod
    def location(self) -> str:
        """As records.store in the YAML: a path or a postgresql:// URL."""

    @abstractmethod
    def _has_table(self, cursor: Any, name: str) -> bool: ...

    @abstractmethod
    def _transaction(self) -> AbstractContextManager[Any]:
        """A cursor in a transaction: committed when the block ends, rolled back when it raises."""

    @abstractmethod
    def _stream(self, query: str, parameters: tuple) -> Iterator[tuple]:
        """The rows of a query, fetched a batch at a time."""

    def write(self, updates: Iterable[Update]) -> None:
        """Write a batch in one transaction; safe to repeat."""
        latest: dict[str, tuple] = {}
        steps: list[StepRow] = []
        for update in updates:
            latest[update.call.call_id] = (*map(_db_value, update.call), update.extra)
            steps.extend(update.steps)
        if not self._tables_made:
            self._make_tables()
        with self._transaction() as cursor:
            if steps:
                cursor.executemany(self._insert_step, steps)
            if latest:
                cursor.executemany(self._upsert_call, list(latest.values()))

    def calls(self, start: float, end: float) -> Iterator[CallRow]:
        """Every call that started in [start, end), oldest first, streamed."""
        p = self.placeholder
        query = f"SELECT {', '.join(COLUMNS)} FROM calls WHERE started_at >= {p} AND started_at < {p} ORDER BY started_at"
        for row in self._stream(query, (start, end)):
            yield CallRow._make(row)

    def count(self) -> int:
        with self._transaction() as cursor:
            cursor.execute("SELECT count(*) FROM calls")
            return cursor.fetchone()[0]

    def journey(self, call_id: str) -> Journey | None:
        found = self._journeys(f"call_id = {self.placeholder}", (call_id,))
        return found[0] if found else None

    def open_journeys(self, since: float) -> list[Journey]:
        """Calls not yet ended that started after `since`: to pick up after a restart."""
        return self._journeys(f"ended_at IS NULL AND started_at >= {self.placeholder}", (since,))

    def _journeys(self, where: str, parameters: tuple) -> list[Journey]:
        with self._transaction() as cursor:
            return self._read_journeys(cursor, where, parameters)

    def _read_journeys(self, cursor: Any, where: str, parameters: tuple, lock: str = "") -> list[Journey]:
        cursor.execute(f"SELECT call_id, caller, dialled, ended_at, extra FROM calls WHERE {where}{lock}", parameters)
        calls = cursor.fetchall()
        journeys = []
        for call_id, caller, dialled, ended_at, extra in calls:
            more = json.loads(extra or "{}")
            journey = Journey(call_id, caller_number=caller, caller_name=more.get("caller_name", ""),
                              dialled=dialled, labels=more.get("labels", {}), ended=ended_at is not None)
            cursor.execute(f"SELECT at, what, detail FROM steps WHERE call_id = {self.placeholder} ORDER BY at",
                           (call_id,))
            journey.steps = [Step(at, what, json.loads(detail)) for at, what, detail in cursor.fetchall()]
            journeys.append(journey)
        return journeys

    row_lock = ""  # what makes a read row wait for another writer's transaction (SQLite has one writer)

    def add_steps(self, call_id: str, steps: Sequence[Step], summary: Callable[[Journey], CallRow]) -> Journey | None:
        """Add `steps` to a stored call and rewrite its row from every step the store has of it, in one
        transaction: with several bereiks, the console of one adds steps to a call another writes, and neither
        row may leave out the other's steps. The journey as stored afterwards; None when there is no such call."""
        with self._transaction() as cursor:
            found = self._read_journeys(cursor, f"call_id = {self.placeholder}", (call_id,), self.row_lock)
            if not found:
                return None
            journey = found[0]
            have = {(s.what, s.at) for s in journey.steps}
            new = [s for s in steps if (s.what, s.at) not in have]
            journey.steps = sorted([*journey.steps, *new], key=lambda s: s.at)
            update = update_for(journey, summary(journey), new)
            if update.steps:
                cursor.executemany(self._insert_step, update.steps)
            cursor.execute(self._upsert_call, (*map(_db_value, update.call), update.extra))
            return journey

    def close_open(self, call_id: str, step: Step, summary: Callable[[Journey], CallRow],
                   before: Sequence[Step]) -> Journey | None:
        """End a call the store still has open with `step`, in one transaction: of several bereiks that close the
        same call, only the first does. `before`: steps of the call the closing bereik knows and the store may lack,
        added either way. The journey as the store has it afterwards; None when it has no such call."""
        with self._transaction() as cursor:
            found = self._read_journeys(cursor, f"call_id = {self.placeholder}", (call_id,), self.row_lock)
            if not found:
                return None
            journey = found[0]
            have = {(s.what, s.at) for s in journey.steps}
            new = [s for s in before if (s.what, s.at) not in have]
            if not journey.ended:
                new.append(step)
                journey.ended = True
            if not new:
                return journey
            journey.steps = sorted([*journey.steps, *new], key=lambda s: s.at)
            update = update_for(journey, summary(journey), new)
            cursor.executemany(self._insert_step, update.steps)
            cursor.execute(self._upsert_call, (*map(_db_value, update.call), update.extra))
            return journey

    def purge(self, before: float) -> int:
        """Delete the records of calls that started before `before` (retention)."""
        p = self.placeholder
        with self._transaction() as cursor:
            cursor.execute(f"DELETE FROM steps WHERE call_id IN (SELECT call_id FROM calls WHERE started_at < {p})",
                           (before,))
            cursor.execute(f"DELETE FROM calls WHERE started_at < {p}", (before,))
            return cursor.rowcount

    def pseudonymise(self, before: float, pseudonym: Callable[[str], str], prefix: str) -> int:
        """Replace the caller number (and drop the caller's name) of calls that started before `before`
        by `pseudonym(number)`; numbers already starting with `prefix` are left alone. The number of calls changed."""
        p = self.placeholder
        with self._transaction() as cursor:
            cursor.execute(f"SELECT call_id, caller, extra FROM calls WHERE started_at < {p} AND caller <> ''"
                           f" AND caller NOT LIKE {p}", (before, prefix + "%"))
            changes = [(pseudonym(caller), _without_name(extra), call_id) for call_id, caller, extra in cursor.fetchall()]
            if changes:
                cursor.executemany(f"UPDATE calls SET caller = {p}, extra = {p} WHERE call_id = {p}", changes)
        return len(changes)

    def add_audit(self, rows: Iterable[AuditRow]) -> None:
        p = self.placeholder
        with self._transaction() as cursor:
            cursor.executemany(f"INSERT INTO audit (at, actor, action, target, source, detail)"
                               f" VALUES ({p}, {p}, {p}, {p}, {p}, {p})", list(rows))

    def audit(self, start: float, end: float, limit: int = 1000) -> list[AuditRow]:
        """Audit entries in [start, end), newest first."""
        p = self.placeholder
        with self._transaction() as cursor:
            cursor.execute(f"SELECT at, actor, action, target, source, detail FROM audit"
                           f" WHERE at >= {p} AND at < {p} ORDER BY at DESC LIMIT {p}", (start, end, limit))
            return [AuditRow._make(row) for row in cursor.fetchall()]

    def latest_audit(self, actions: Sequence[str]) -> AuditRow | None:
        """The newest entry of one of `actions` (the calamity switch's state is its last act)."""
        p = self.placeholder
        with self._transaction() as cursor:
            cursor.execute(f"SELECT at, actor, action, target, source, detail FROM audit"
                           f" WHERE action IN ({', '.join([p] * len(actions))}) ORDER BY at DESC LIMIT 1",
                           tuple(actions))
            row = cursor.fetchone()
            return AuditRow._make(row) if row else None

    def purge_audit(self, before: float) -> int:
        with self._transaction() as cursor:
            cursor.execute(f"DELETE FROM audit WHERE at < {self.placeholder}", (before,))
            return cursor.rowcount

    def claim_server(self, server: str, instance: str, now: float, seconds: float, home: bool) -> str:
        """Claim the writing of `server`'s calls for `seconds`: its home bereik always gets it, another
        only when the claim lapsed (its holder stopped renewing). Returns who holds it now."""
        p = self.placeholder
        with self._transaction() as cursor:
            cursor.execute(
                f"INSERT INTO server_writers (server, instance, until) VALUES ({p}, {p}, {p})"
                f" ON CONFLICT (server) DO UPDATE SET instance = excluded.instance, until = excluded.until"
                f" WHERE server_writers.instance = excluded.instance OR server_writers.until < {p} OR {p}",
                (server, instance, now + seconds, now, home))
            cursor.execute(f"SELECT instance FROM server_writers WHERE server = {p}", (server,))
            return cursor.fetchone()[0]

    def put_recording(self, name: str, server: str, data: bytes, at: float) -> None:
        """A finished recording of `server`'s Asterisk (bereik.console.shared), replaced when copied again."""
        p = self.placeholder
        with self._transaction() as cursor:
            cursor.execute(f"INSERT INTO recordings (name, server, size, stored_at, data) VALUES ({p}, {p}, {p}, {p}, {p})"
                           f" ON CONFLICT (name) DO UPDATE SET server = excluded.server, size = excluded.size,"
                           f" stored_at = excluded.stored_at, data = excluded.data", (name, server, len(data), at, data))

    def recordings(self) -> list[tuple[str, str, int]]:
        """(name, server, size) of every recording in the store."""
        with self._transaction() as cursor:
            cursor.execute("SELECT name, server, size FROM recordings")
            return [tuple(row) for row in cursor.fetchall()]

    def recording(self, name: str) -> bytes | None:
        with self._transaction() as cursor:
            cursor.execute(f"SELECT data FROM recordings WHERE name = {self.placeholder}", (name,))
            row = cursor.fetchone()
            return bytes(row[0]) if row else None

    def delete_recording(self, name: str) -> None:
        with self._transaction() as cursor:
            cursor.execute(f"DELETE FROM recordings WHERE name = {self.placeholder}", (name,))

    @abstractmethod
    def close(self) -> None: ...


class SqliteStore(CallStore):
    def __init__(self, path: Path | str, busy_seconds: float = 5.0):
        """`busy_seconds`: how long a write waits for a lock before it fails (and the recorder spools)."""
        self.path = Path(path)
        self.busy_seconds = busy_seconds
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()  # each thread its own connection
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._in_use = 0  # transactions and streams under way, which close() waits for
        self._idle = threading.Condition(self._lock)
        super().__init__()

    def _connect(self) -> sqlite3.Connection:
        # check_same_thread off only for close(); each thread otherwise uses its own connection.
        connection = sqlite3.connect(self.path, timeout=self.busy_seconds, check_same_thread=False)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")  # durable across a crash of bereik; WAL keeps it consistent
        return connection

    def _connection(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._local.connection = self._connect()
            with self._lock:
                self._connections.append(connection)
        return connection

    @contextmanager
    def _using(self) -> Iterator[sqlite3.Connection]:
        """This thread's connection, which close() does not close under it (a read of the calamity switch in a
        worker thread while bereik stops crashed the interpreter)."""
        connection = self._connection()
        with self._lock:
            self._in_use += 1
        try:
            yield connection
        finally:
            with self._lock:
                self._in_use -= 1
                self._idle.notify_all()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Cursor]:
        with self._using() as connection:
            cursor = connection.cursor()
            try:
                yield cursor
            except BaseException:
                connection.rollback()
                cursor.close()
                raise
            connection.commit()

    def _stream(self, query: str, parameters: tuple) -> Iterator[tuple]:
        with self._using() as connection:
            cursor = connection.cursor()
            try:
                cursor.execute(query, parameters)
                while batch := cursor.fetchmany(5000):
                    yield from batch
            finally:
                cursor.close()
                connection.commit()  # end the read transaction

    def close(self) -> None:
        """Once the reads and writes under way are done (at most `busy_seconds` more)."""
        with self._lock:
            self._idle.wait_for(lambda: self._in_use == 0, self.busy_seconds)
            for connection in self._connections:
                connection.close()
            self._connections.clear()
        self._local = threading.local()

    @property
    def location(self) -> str:
        return str(self.path)

    def _has_table(self, cursor, name: str) -> bool:
        cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,))
        return cursor.fetchone() is not None

    def __repr__(self) -> str:
        return f"SqliteStore({str(self.path)!r})"


class PostgresStore(CallStore):
    placeholder = "%s"
    row_lock = " FOR UPDATE"

    def __init__(self, dsn: str):
        from psycopg_pool import ConnectionPool

        self.dsn = dsn
        # A server that does not answer (not even refuses) fails the write in seconds, and the recorder spools. A
        # connection broken under it (PostgreSQL restarted) fails its transaction and is dropped; the next gets a
        # new one.
        self._pool = ConnectionPool(dsn, min_size=POOL_SIZE, max_size=POOL_MAX, timeout=CONNECT_TIMEOUT_SECONDS,
                                    kwargs={"connect_timeout": CONNECT_TIMEOUT_SECONDS}, open=True,
                                    name="bereik-records")
        super().__init__()

    @contextmanager
    def _transaction(self) -> Iterator[Any]:
        # The pool commits when the block ends and rolls back when it raises.
        with self._pool.connection() as connection, connection.cursor() as cursor:
            yield cursor

    def _stream(self, query: str, parameters: tuple) -> Iterator[tuple]:
        # A server-side cursor: a month of a million calls never sits in memory at once.
        with self._pool.connection() as connection, connection.transaction(), \
                connection.cursor(name="bereik_calls") as cursor:
            cursor.itersize = 5000
            cursor.execute(query, parameters)
            yield from cursor

    def close(self) -> None:
        self._pool.close()

    @property
    def location(self) -> str:
        return self.dsn

    def _has_table(self, cursor, name: str) -> bool:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", (name,))
        return cursor.fetchone()[0]

    def __repr__(self) -> str:
        return "PostgresStore(…)"  # the address may hold a password


def open_store(location: str) -> CallStore:
    if location.startswith(("postgresql://", "postgres://")):
        return PostgresStore(location)
    return SqliteStore(location)
