"""Absence registered by the person or the team lead: from, until, reason, substitute.

Stored in SQLite (stdlib sqlite3 in a worker thread); absences that have not ended
are also kept in memory, so merged views never wait for the disk.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from bereik.presence.merge import Absence

MAX_REASON = 200

_SCHEMA = """
CREATE TABLE IF NOT EXISTS absence (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    person_id TEXT NOT NULL,
    starts TEXT NOT NULL,
    ends TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    substitute TEXT NOT NULL DEFAULT '',
    registered_by TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS absence_person ON absence (person_id, ends);
"""


def problems(absence: Absence) -> list[str]:
    """Everything wrong with an absence, in the words the console shows (Dutch)."""
    found = []
    if not absence.person_id.strip():
        found.append("wie is afwezig? (person_id ontbreekt)")
    if absence.starts.tzinfo is None or absence.ends.tzinfo is None:
        found.append("van en tot hebben een tijdzone nodig")
    elif absence.ends <= absence.starts:
        found.append("'tot' moet na 'van' liggen")
    if len(absence.reason) > MAX_REASON:
        found.append(f"reden is langer dan {MAX_REASON} tekens")
    if absence.substitute and absence.substitute == absence.person_id:
        found.append("de vervanger kan niet de afwezige zelf zijn")
    return found


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat()


def _row(row: tuple) -> Absence:
    id_, person_id, starts, ends, reason, substitute, registered_by = row
    return Absence(person_id, dt.datetime.fromisoformat(starts), dt.datetime.fromisoformat(ends),
                   reason, substitute, registered_by, id_)


class AbsenceStore:
    def __init__(self, path: Path | str, clock: Callable[[], dt.datetime]):
        self.path = str(path)
        self.clock = clock
        self._db: sqlite3.Connection | None = None
        self._lock = asyncio.Lock()
        self._open: dict[str, dict[int, Absence]] = {}  # person -> absences not yet ended
        self.loaded_at: dt.datetime | None = None

    def _run(self, sql: str, args: tuple = ()) -> tuple[list[tuple], int | None]:
        assert self._db is not None, "AbsenceStore.open() first"
        with self._db:
            cursor = self._db.execute(sql, args)
            return cursor.fetchall(), cursor.lastrowid

    async def _execute(self, sql: str, args: tuple = ()) -> tuple[list[tuple], int | None]:
        async with self._lock:
            return await asyncio.to_thread(self._run, sql, args)

    async def open(self) -> None:
        def connect() -> sqlite3.Connection:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, check_same_thread=False)
            db.executescript(_SCHEMA)
            return db
        self._db = await asyncio.to_thread(connect)
        rows, _ = await self._execute("SELECT * FROM absence WHERE ends > ?", (_stamp(self.clock()),))
        self._open = {}
        for absence in map(_row, rows):
            self._remember(absence)
        self.loaded_at = self.clock()

    def close(self) -> None:
        if self._db:
            self._db.close()
            self._db = None

    def _remember(self, absence: Absence) -> None:
        self._open.setdefault(absence.person_id, {})[absence.id] = absence

    def _forget(self, absence: Absence) -> None:
        self._open.get(absence.person_id, {}).pop(absence.id, None)

    def of(self, person_id: str) -> tuple[Absence, ...]:
        """Absences of one person that have not ended, from memory."""
        return tuple(self._open.get(person_id, {}).values())

    async def add(self, absence: Absence) -> Absence:
        if found := problems(absence):
            raise ValueError("; ".join(found))
        _, new_id = await self._execute(
            "INSERT INTO absence (person_id, starts, ends, reason, substitute, registered_by) VALUES (?,?,?,?,?,?)",
            (absence.person_id, _stamp(absence.starts), _stamp(absence.ends), absence.reason,
             absence.substitute, absence.registered_by))
        stored = replace(absence, id=new_id)
        self._remember(stored)
        return stored

    async def get(self, absence_id: int) -> Absence | None:
        rows, _ = await self._execute("SELECT * FROM absence WHERE id = ?", (absence_id,))
        return _row(rows[0]) if rows else None

    async def update(self, absence: Absence) -> Absence | None:
        if found := problems(absence):
            raise ValueError("; ".join(found))
        before = await self.get(absence.id)
        if before is None:
            return None
        await self._execute(
            "UPDATE absence SET person_id=?, starts=?, ends=?, reason=?, substitute=?, registered_by=? WHERE id=?",
            (absence.person_id, _stamp(absence.starts), _stamp(absence.ends), absence.reason,
             absence.substitute, absence.registered_by, absence.id))
        self._forget(before)
        if absence.ends > self.clock():
            self._remember(absence)
        return absence

    async def remove(self, absence_id: int) -> Absence | None:
        before = await self.get(absence_id)
        if before is None:
            return None
        await self._execute("DELETE FROM absence WHERE id = ?", (absence_id,))
        self._forget(before)
        return before

    async def list(self, person_id: str | None = None, include_past: bool = False) -> list[Absence]:
        sql, args = "SELECT * FROM absence WHERE 1=1", []
        if person_id:
            sql += " AND person_id = ?"
            args.append(person_id)
        if not include_past:
            sql += " AND ends > ?"
            args.append(_stamp(self.clock()))
        rows, _ = await self._execute(sql + " ORDER BY starts, id", tuple(args))
        return [_row(r) for r in rows]
