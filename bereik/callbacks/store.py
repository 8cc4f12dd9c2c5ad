"""Call-back notes and requests: one SQLite store for the console's notes and the queue's call-back key.

A note is due a number of working days after it was taken (weekends, Dutch public holidays
and the YAML's extra closing days do not count). Every note carries an idempotency key:
the console sends one per form, the queue the call's linkedid, so a double click, a resent
form or a replayed AMI event never makes a second note.
"""
from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache
from pathlib import Path

import holidays as holiday_calendars

from bereik.config.model import Config


class Status(Enum):
    OPEN = "open"
    DONE = "done"
    LATE = "late"  # not done, past its deadline


@dataclass(frozen=True)
class Note:
    key: str  # idempotency key
    number: str
    name: str
    question: str
    team: str  # whose mailbox it goes to; the team lead of this team sees it
    created_at: dt.datetime
    due_at: dt.datetime
    created_by: str  # the agent's login, or "queue" for a caller's own request
    for_person: str = ""  # a colleague's name or extension; empty: anyone in the team
    mailbox: str = ""
    done_at: dt.datetime | None = None
    done_by: str = ""
    mailed_at: dt.datetime | None = None
    id: int | None = None

    def status(self, now: dt.datetime) -> Status:
        if self.done_at is not None:
            return Status.DONE
        return Status.LATE if now > self.due_at else Status.OPEN

    @property
    def on_time(self) -> bool | None:
        return None if self.done_at is None else self.done_at <= self.due_at


class WorkingDays:
    """Deadlines in working days for one municipality."""

    def __init__(self, config: Config):
        self.zone = config.zone
        self.country = config.holidays.country
        self.extra_closed = {day.date for day in config.holidays.extra_closed}

    @lru_cache(maxsize=64)
    def _holidays(self, year: int) -> holiday_calendars.HolidayBase:
        return holiday_calendars.country_holidays(self.country, years=year)

    def is_working_day(self, day: dt.date) -> bool:
        return day.weekday() < 5 and day not in self._holidays(day.year) and day not in self.extra_closed

    def deadline(self, taken: dt.datetime, working_days: int) -> dt.datetime:
        """The same time of day, `working_days` working days after `taken` (its own day not counted)."""
        local = taken.astimezone(self.zone)
        day, left = local.date(), working_days
        while left:
            day += dt.timedelta(days=1)
            left -= self.is_working_day(day)
        return dt.datetime.combine(day, local.timetz().replace(tzinfo=None), self.zone)


_SCHEMA = """
CREATE TABLE IF NOT EXISTS callbacks (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    number TEXT NOT NULL,
    name TEXT NOT NULL,
    question TEXT NOT NULL,
    team TEXT NOT NULL,
    for_person TEXT NOT NULL,
    mailbox TEXT NOT NULL,
    created_at TEXT NOT NULL,
    due_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    done_at TEXT,
    done_by TEXT NOT NULL DEFAULT '',
    mailed_at TEXT
);
CREATE INDEX IF NOT EXISTS callbacks_number ON callbacks (number);
CREATE INDEX IF NOT EXISTS callbacks_team ON callbacks (team, done_at);
"""

_COLUMNS = ("key", "number", "name", "question", "team", "for_person", "mailbox", "created_at", "due_at",
            "created_by", "done_at", "done_by", "mailed_at")
_TIMES = ("created_at", "due_at", "done_at", "mailed_at")


def _utc(moment: dt.datetime) -> str:
    # Stored in UTC so that text order is time order across the summer-time change.
    return moment.astimezone(dt.timezone.utc).isoformat()


def _note(row: sqlite3.Row) -> Note:
    values = {k: row[k] for k in _COLUMNS}
    for k in _TIMES:
        values[k] = dt.datetime.fromisoformat(values[k]) if values[k] else None
    return Note(id=row["id"], **values)


class CallbackStore:
    """Thread-safe; small enough to call from the event loop (one local file, indexed)."""

    def __init__(self, path: str | Path):
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.executescript(_SCHEMA)

    def add(self, note: Note) -> tuple[Note, bool]:
        """Store the note; (the stored note, True) or, for a key seen before, (the first one, False)."""
        values = [getattr(note, k) for k in _COLUMNS]
        values = [_utc(v) if isinstance(v, dt.datetime) else v for v in values]
        with self._lock:
            inserted = self._db.execute(
                f"INSERT INTO callbacks ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})"
                " ON CONFLICT (key) DO NOTHING", values).rowcount
            row = self._db.execute("SELECT * FROM callbacks WHERE key = ?", (note.key,)).fetchone()
        return _note(row), bool(inserted)

    def get(self, note_id: int) -> Note | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM callbacks WHERE id = ?", (note_id,)).fetchone()
        return _note(row) if row else None

    def mark_mailed(self, note_id: int, at: dt.datetime) -> None:
        with self._lock:
            self._db.execute("UPDATE callbacks SET mailed_at = ? WHERE id = ?", (_utc(at), note_id))

    def mark_done(self, note_id: int, by: str, at: dt.datetime) -> Note | None:
        """Done once: a second click keeps the first handler and time."""
        with self._lock:
            self._db.execute("UPDATE callbacks SET done_at = ?, done_by = ? WHERE id = ? AND done_at IS NULL",
                             (_utc(at), by, note_id))
        return self.get(note_id)

    def of_team(self, team: str, limit: int = 500) -> list[Note]:
        with self._lock:
            rows = self._db.execute("SELECT * FROM callbacks WHERE team = ? ORDER BY done_at IS NOT NULL, due_at"
                                    " LIMIT ?", (team, limit)).fetchall()
        return [_note(r) for r in rows]

    def by_creator(self, login: str, limit: int = 200) -> list[Note]:
        with self._lock:
            rows = self._db.execute("SELECT * FROM callbacks WHERE created_by = ? ORDER BY id DESC LIMIT ?",
                                    (login, limit)).fetchall()
        return [_note(r) for r in rows]

    def open_for_number(self, number: str) -> list[Note]:
        with self._lock:
            rows = self._db.execute("SELECT * FROM callbacks WHERE number = ? AND done_at IS NULL ORDER BY due_at",
                                    (number,)).fetchall()
        return [_note(r) for r in rows]

    def due_between(self, start: dt.datetime, end: dt.datetime) -> list[Note]:
        """Notes whose deadline falls in [start, end): the monthly report counts those kept on time."""
        with self._lock:
            rows = self._db.execute("SELECT * FROM callbacks WHERE due_at >= ? AND due_at < ? ORDER BY due_at",
                                    (_utc(start), _utc(end))).fetchall()
        return [_note(r) for r in rows]

    def created_between(self, start: dt.datetime, end: dt.datetime) -> list[Note]:
        """Notes taken in [start, end): the report links them to the calls they came from."""
        with self._lock:
            rows = self._db.execute("SELECT * FROM callbacks WHERE created_at >= ? AND created_at < ? ORDER BY created_at",
                                    (_utc(start), _utc(end))).fetchall()
        return [_note(r) for r in rows]

    def counts(self, now: dt.datetime) -> tuple[int, int]:
        """(open, late) over all teams, for the wallboard."""
        with self._lock:
            open_, late = self._db.execute(
                "SELECT COUNT(*), COALESCE(SUM(due_at < ?), 0) FROM callbacks WHERE done_at IS NULL",
                (_utc(now),)).fetchone()
        return open_, late

    def purge(self, before: dt.datetime) -> int:
        """Delete notes handled before `before`, and notes never handled whose deadline was before it (retention)."""
        with self._lock:
            return self._db.execute("DELETE FROM callbacks WHERE COALESCE(done_at, due_at) < ?",
                                    (_utc(before),)).rowcount

    def close(self) -> None:
        with self._lock:
            self._db.close()
