"""Call-back notes: the console's notes, the queue's call-backs and appointments, in the call-record store.

A note is due a number of working days after it was taken (weekends, Dutch public holidays
and the YAML's extra closing days do not count). Every note carries an idempotency key:
the console sends one per form, the queue the call's linkedid, so a double click, a resent
form or a replayed AMI event never makes a second note.

Everything that happens to a note is a step (taken, mailed, each call-back attempt, reminded,
moved, escalated, closed), and each call-back call an attempt: who rang, when, answered or not,
how long. The tables live beside the calls (records/migrations/0006_callbacks.py), so several
servers sharing one PostgreSQL store share their notes too.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import sqlite3
from dataclasses import dataclass, field
from enum import Enum
from functools import lru_cache
from pathlib import Path
from typing import Any

import holidays as holiday_calendars

from bereik.config.model import Config
from bereik.records.store import CallStore, open_store

log = logging.getLogger(__name__)

# What a note is for.
NOTE = "note"  # taken by someone in the console
QUEUE = "queue"  # a waiting caller's call-back: keeps the caller's place in the queue
AFTER_HOURS = "after_hours"  # asked for outside opening hours: for the next working day
APPOINTMENT = "appointment"  # a time in the colleague's calendar
REQUESTED_BY_CALLER = (QUEUE, AFTER_HOURS)  # the caller asked; one such note per number at a time
IVR = "ivr"  # created_by of an appointment the caller chose in the menu: their request too

# How a note was closed.
CALLED_BACK = "called_back"  # by a call-back that was answered long enough (never by a click)
HANDLED = "handled"  # by its owner, with a reason ("beantwoord per e-mail", "nummer onjuist")
NOT_REACHED = "not_reached"  # by its owner, after enough unanswered attempts at different times


class Status(Enum):
    OPEN = "open"
    LATE = "late"  # not closed, past its deadline
    DONE = "done"  # called back
    HANDLED = "handled"
    NOT_REACHED = "not_reached"


@dataclass(frozen=True)
class Note:
    key: str  # idempotency key
    number: str
    name: str
    question: str
    team: str  # whose mailbox it goes to; the team lead of this team sees it
    created_at: dt.datetime
    due_at: dt.datetime
    created_by: str  # a console login, or "queue" for a caller's own request
    for_person: str = ""  # the colleague's name as the note names them; empty: anyone in the team
    owner: str = ""  # the extension whose "my call-back notes" it is now; empty: the team's
    mailbox: str = ""
    kind: str = NOTE
    department: str = ""  # called back with this department's caller_id; empty: the front office's number
    call_id: str = ""  # the call it was taken in, if any
    closed_at: dt.datetime | None = None
    closed_by: str = ""
    outcome: str = ""  # CALLED_BACK, HANDLED or NOT_REACHED once closed
    close_reason: str = ""
    answered_at: dt.datetime | None = None  # the first call-back the caller answered
    mailed_at: dt.datetime | None = None
    reminded_at: dt.datetime | None = None
    escalated_at: dt.datetime | None = None
    appointment_at: dt.datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False)  # topic, place in the queue, ...
    id: int | None = None

    @property
    def closed(self) -> bool:
        return self.closed_at is not None

    def status(self, now: dt.datetime) -> Status:
        if self.closed_at is not None:
            return {CALLED_BACK: Status.DONE, NOT_REACHED: Status.NOT_REACHED}.get(self.outcome, Status.HANDLED)
        return Status.LATE if now > self.due_at else Status.OPEN

    @property
    def on_time(self) -> bool:
        """Telan's call-back on time: the caller answered a call-back before the deadline."""
        return self.answered_at is not None and self.answered_at <= self.due_at


@dataclass(frozen=True)
class Step:
    at: dt.datetime
    what: str  # taken, mailed, attempt, reminded, moved, escalated, closed, ...
    actor: str  # a login, an extension, "bereik" or "queue"
    detail: dict[str, Any]


@dataclass(frozen=True)
class Attempt:
    id: str
    note_id: int
    actor: str  # who called: the owner's login or extension, or "queue" (a free agent)
    target: str  # the phone rung first: an extension, or the queue
    started_at: dt.datetime
    answered_at: dt.datetime | None = None  # by the caller
    ended_at: dt.datetime | None = None
    outcome: str = ""  # answered, no_answer, busy, failed, owner_no_answer, too_short
    talk_seconds: float | None = None

    @property
    def ended(self) -> bool:
        return self.ended_at is not None


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

    def working_hours_between(self, start: dt.datetime, end: dt.datetime) -> float:
        """Hours of working days (whole days, any hour) between two moments: a reminder "a working day
        before" the deadline does not fall on a Sunday."""
        if end <= start:
            return 0.0
        total, cursor = 0.0, start.astimezone(self.zone)
        end = end.astimezone(self.zone)
        while cursor < end:
            midnight = dt.datetime.combine(cursor.date() + dt.timedelta(days=1), dt.time(), self.zone)
            upto = min(midnight, end)
            if self.is_working_day(cursor.date()):
                total += (upto - cursor).total_seconds() / 3600
            cursor = upto
        return total


_TIMES = ("created_at", "due_at", "closed_at", "answered_at", "mailed_at", "reminded_at", "escalated_at",
          "appointment_at")
_COLUMNS = ("key", "kind", "number", "name", "question", "team", "owner", "for_person", "mailbox", "department",
            "call_id", "created_at", "due_at", "created_by", "closed_at", "closed_by", "outcome", "close_reason",
            "answered_at", "mailed_at", "reminded_at", "escalated_at", "appointment_at", "extra")
_ATTEMPT_COLUMNS = ("id", "note_id", "actor", "target", "started_at", "answered_at", "ended_at", "outcome",
                    "talk_seconds")


def _epoch(moment: dt.datetime | None) -> float | None:
    return None if moment is None else moment.timestamp()


class CallbackStore:
    """On the call-record store (SQLite or PostgreSQL); thread-safe as it is (a connection per thread)."""

    def __init__(self, store: CallStore | str | Path, zone: dt.tzinfo = dt.UTC):
        """`store`: the call-record store, or its location (a path or postgresql:// URL) to open and own.
        `zone`: the time zone the notes' times are given in."""
        self._own = not isinstance(store, CallStore)
        self.calls: CallStore = open_store(str(store)) if self._own else store
        self.zone = zone
        self.p = self.calls.placeholder
        self.changes = 0  # notes added, changed or purged through this object (bereik.callbacks.planned)

    # --- notes -------------------------------------------------------------------------------

    def _time(self, value: float | None) -> dt.datetime | None:
        return None if value is None else dt.datetime.fromtimestamp(value, self.zone)

    def _note(self, row: tuple) -> Note:
        values = dict(zip(("id", *_COLUMNS), row))
        for name in _TIMES:
            values[name] = self._time(values[name])
        values["extra"] = json.loads(values["extra"] or "{}")
        return Note(**values)

    def _select(self, where: str, parameters: tuple, order: str = "due_at", limit: int = 1000) -> list[Note]:
        with self.calls._transaction() as cursor:
            cursor.execute(f"SELECT id, {', '.join(_COLUMNS)} FROM callback_notes WHERE {where}"
                           f" ORDER BY {order} LIMIT {int(limit)}", parameters)
            return [self._note(row) for row in cursor.fetchall()]

    def add(self, note: Note, *, step_detail: dict | None = None) -> tuple[Note, bool]:
        """Store the note; (the stored note, True) or, for a key seen before, (the first one, False).
        A new note gets its first step, "taken"."""
        values = []
        for name in _COLUMNS:
            value = getattr(note, name)
            values.append(json.dumps(value, ensure_ascii=False, sort_keys=True) if name == "extra"
                          else _epoch(value) if name in _TIMES else value)
        p = self.p
        with self.calls._transaction() as cursor:
            cursor.execute(f"INSERT INTO callback_notes ({', '.join(_COLUMNS)}) VALUES ({', '.join([p] * len(_COLUMNS))})"
                           " ON CONFLICT (key) DO NOTHING", values)
            inserted = cursor.rowcount > 0
            cursor.execute(f"SELECT id, {', '.join(_COLUMNS)} FROM callback_notes WHERE key = {p}", (note.key,))
            stored = self._note(cursor.fetchone())
            if inserted:
                self._insert_step(cursor, stored.id, "taken", note.created_at, note.created_by,
                                  {"kind": note.kind, "team": note.team, "owner": note.owner, **(step_detail or {})})
        self.changes += 1 if inserted else 0
        return stored, inserted

    def get(self, note_id: int) -> Note | None:
        found = self._select(f"id = {self.p}", (note_id,))
        return found[0] if found else None

    def by_key(self, key: str) -> Note | None:
        found = self._select(f"key = {self.p}", (key,))
        return found[0] if found else None

    def _update(self, note_id: int, where: str, changes: dict[str, Any],
                step: tuple[str, dt.datetime, str, dict] | None = None) -> bool:
        """`step` (what, at, actor, detail) is written in the same transaction when a row changed: nobody reads
        a note changed without the step that says why, and a crash between the two loses neither."""
        p = self.p
        assignments = ", ".join(f"{name} = {p}" for name in changes)
        values = [_epoch(v) if isinstance(v, dt.datetime) else v for v in changes.values()]
        with self.calls._transaction() as cursor:
            cursor.execute(f"UPDATE callback_notes SET {assignments} WHERE id = {p}{where}", (*values, note_id))
            changed = cursor.rowcount > 0
            if changed and step is not None:
                self._insert_step(cursor, note_id, *step)
        self.changes += 1 if changed else 0
        return changed

    def mark_mailed(self, note_id: int, at: dt.datetime, to: str = "") -> None:
        self._update(note_id, "", {"mailed_at": at}, ("mailed", at, "bereik", {"to": to} if to else {}))

    def mark_reminded(self, note_id: int, at: dt.datetime, detail: dict) -> None:
        self._update(note_id, " AND reminded_at IS NULL", {"reminded_at": at}, ("reminded", at, "bereik", detail))

    def mark_escalated(self, note_id: int, at: dt.datetime, detail: dict) -> None:
        self._update(note_id, " AND escalated_at IS NULL", {"escalated_at": at}, ("escalated", at, "bereik", detail))

    def move(self, note_id: int, owner: str, mailbox: str, at: dt.datetime, actor: str, detail: dict) -> Note | None:
        """Give an open note to someone else (an absent owner's substitute, the team): a step of the note."""
        self._update(note_id, " AND closed_at IS NULL", {"owner": owner, "mailbox": mailbox},
                     ("moved", at, actor, {"to": owner or "team", "mailbox": mailbox, **detail}))
        return self.get(note_id)

    def update_extra(self, note_id: int, changes: dict[str, Any]) -> None:
        note = self.get(note_id)
        if note is not None:
            extra = json.dumps({**note.extra, **changes}, ensure_ascii=False, sort_keys=True)
            self._update(note_id, "", {"extra": extra})

    def set_answered(self, note_id: int, at: dt.datetime) -> None:
        """The first call-back the caller answered (Telan's moment)."""
        self._update(note_id, " AND answered_at IS NULL", {"answered_at": at})

    def close_note(self, note_id: int, outcome: str, by: str, at: dt.datetime, reason: str = "") -> Note | None:
        """Closed once: a second close keeps the first outcome, handler and time."""
        self._update(note_id, " AND closed_at IS NULL",
                     {"closed_at": at, "closed_by": by, "outcome": outcome, "close_reason": reason},
                     ("closed", at, by, {"outcome": outcome, "reason": reason}))
        return self.get(note_id)

    def of_team(self, team: str, limit: int = 500) -> list[Note]:
        return self._select(f"team = {self.p}", (team,), "closed_at IS NOT NULL, due_at", limit)

    def owned_by(self, owner: str, limit: int = 500) -> list[Note]:
        return self._select(f"owner = {self.p}", (owner,), "closed_at IS NOT NULL, due_at", limit)

    def by_creator(self, login: str, limit: int = 200) -> list[Note]:
        return self._select(f"created_by = {self.p}", (login,), "id DESC", limit)

    def open_for_number(self, number: str) -> list[Note]:
        return self._select(f"number = {self.p} AND closed_at IS NULL", (number,))

    def open_request_of(self, number: str) -> Note | None:
        """The call-back this caller asked for (in the queue, after hours, or a time chosen in the menu) and is
        still waiting for."""
        found = self._select(f"number = {self.p} AND {self._requested}", (number, *self._requested_by), "id", 1)
        return found[0] if found else None

    def open_requests(self) -> dict[str, Note]:
        """Every caller's open request, by number: what `open_request_of` finds for each."""
        requests: dict[str, Note] = {}
        for note in self._select(self._requested, self._requested_by, "id", 1_000_000):
            requests.setdefault(note.number, note)
        return requests

    @property
    def _requested(self) -> str:
        p = self.p
        return f"closed_at IS NULL AND (kind IN ({p}, {p}) OR (kind = {p} AND created_by = {p}))"

    _requested_by = (*REQUESTED_BY_CALLER, APPOINTMENT, IVR)

    def open_notes(self, limit: int = 10_000) -> list[Note]:
        return self._select("closed_at IS NULL", (), "due_at", limit)

    def due_between(self, start: dt.datetime, end: dt.datetime) -> list[Note]:
        """Notes whose deadline falls in [start, end): the monthly report counts those kept on time."""
        p = self.p
        return self._select(f"due_at >= {p} AND due_at < {p}", (start.timestamp(), end.timestamp()), "due_at",
                            1_000_000)

    def created_between(self, start: dt.datetime, end: dt.datetime) -> list[Note]:
        """Notes taken in [start, end): the report links them to the calls they came from."""
        p = self.p
        return self._select(f"created_at >= {p} AND created_at < {p}", (start.timestamp(), end.timestamp()),
                            "created_at", 1_000_000)

    def counts(self, now: dt.datetime) -> tuple[int, int]:
        """(open, late) over all teams, for the wallboard."""
        with self.calls._transaction() as cursor:
            cursor.execute(f"SELECT COUNT(*), COALESCE(SUM(CASE WHEN due_at < {self.p} THEN 1 ELSE 0 END), 0)"
                           " FROM callback_notes WHERE closed_at IS NULL", (now.timestamp(),))
            open_, late = cursor.fetchone()
        return int(open_), int(late)

    def kept_on_time(self, start: dt.datetime, now: dt.datetime) -> tuple[int, int]:
        """(kept, judged) of the notes due since `start`: judged once closed or past their deadline, kept when
        the caller answered a call-back before it (Telan's call-backs on time, from the real calls)."""
        by_team = self.kept_on_time_by_team(start, now).values()
        return sum(kept for kept, _ in by_team), sum(judged for _, judged in by_team)

    def kept_on_time_by_team(self, start: dt.datetime, now: dt.datetime) -> dict[str, tuple[int, int]]:
        """kept_on_time per department (the note's, else its team: the front office's queue)."""
        p = self.p
        with self.calls._transaction() as cursor:
            cursor.execute(f"SELECT COALESCE(NULLIF(department, ''), team),"
                           f" COALESCE(SUM(CASE WHEN answered_at IS NOT NULL AND answered_at <= due_at"
                           f" THEN 1 ELSE 0 END), 0), COUNT(*) FROM callback_notes WHERE due_at >= {p}"
                           f" AND (closed_at IS NOT NULL OR due_at < {p}) GROUP BY 1 ORDER BY 1",
                           (start.timestamp(), now.timestamp()))
            return {team: (int(kept), int(judged)) for team, kept, judged in cursor.fetchall()}

    def purge(self, before: dt.datetime) -> int:
        """Delete notes closed before `before`, and notes never closed whose deadline was before it
        (retention), with their steps and attempts."""
        p = self.p
        old = f"SELECT id FROM callback_notes WHERE COALESCE(closed_at, due_at) < {p}"
        with self.calls._transaction() as cursor:
            cursor.execute(f"DELETE FROM callback_steps WHERE note_id IN ({old})", (before.timestamp(),))
            cursor.execute(f"DELETE FROM callback_attempts WHERE note_id IN ({old})", (before.timestamp(),))
            cursor.execute(f"DELETE FROM callback_notes WHERE COALESCE(closed_at, due_at) < {p}", (before.timestamp(),))
            purged = cursor.rowcount
        self.changes += 1 if purged else 0
        return purged

    # --- steps -------------------------------------------------------------------------------

    def _insert_step(self, cursor, note_id: int, what: str, at: dt.datetime, actor: str, detail: dict) -> None:
        p = self.p
        cursor.execute(f"INSERT INTO callback_steps (note_id, at, what, actor, detail) VALUES ({p}, {p}, {p}, {p}, {p})"
                       " ON CONFLICT DO NOTHING",
                       (note_id, at.timestamp(), what, actor, json.dumps(detail, ensure_ascii=False, sort_keys=True)))

    def add_step(self, note_id: int, what: str, at: dt.datetime, actor: str, detail: dict | None = None) -> None:
        with self.calls._transaction() as cursor:
            self._insert_step(cursor, note_id, what, at, actor, detail or {})

    def steps(self, note_id: int) -> list[Step]:
        with self.calls._transaction() as cursor:
            cursor.execute(f"SELECT at, what, actor, detail FROM callback_steps WHERE note_id = {self.p} ORDER BY at",
                           (note_id,))
            return [Step(self._time(at), what, actor, json.loads(detail)) for at, what, actor, detail in cursor.fetchall()]

    # --- attempts ----------------------------------------------------------------------------

    def _attempt(self, row: tuple) -> Attempt:
        values = dict(zip(_ATTEMPT_COLUMNS, row))
        for name in ("started_at", "answered_at", "ended_at"):
            values[name] = self._time(values[name])
        return Attempt(**values)

    def start_attempt(self, attempt: Attempt) -> None:
        p = self.p
        with self.calls._transaction() as cursor:
            cursor.execute(f"INSERT INTO callback_attempts (id, note_id, actor, target, started_at)"
                           f" VALUES ({p}, {p}, {p}, {p}, {p}) ON CONFLICT (id) DO NOTHING",
                           (attempt.id, attempt.note_id, attempt.actor, attempt.target, attempt.started_at.timestamp()))

    def end_attempt(self, attempt_id: str, outcome: str, at: dt.datetime, answered_at: dt.datetime | None,
                    talk_seconds: float | None) -> Attempt | None:
        """The attempt's end, once; its step on the note (when, by whom, answered or not, how long)."""
        p = self.p
        with self.calls._transaction() as cursor:
            cursor.execute(f"UPDATE callback_attempts SET ended_at = {p}, outcome = {p}, answered_at = {p},"
                           f" talk_seconds = {p} WHERE id = {p} AND ended_at IS NULL",
                           (at.timestamp(), outcome, _epoch(answered_at), talk_seconds, attempt_id))
            changed = cursor.rowcount > 0
            cursor.execute(f"SELECT {', '.join(_ATTEMPT_COLUMNS)} FROM callback_attempts WHERE id = {p}", (attempt_id,))
            row = cursor.fetchone()
            attempt = self._attempt(row) if row else None
            if changed and attempt:
                self._insert_step(cursor, attempt.note_id, "attempt", attempt.started_at, attempt.actor, {
                    "attempt": attempt.id, "target": attempt.target, "outcome": outcome,
                    "answered": answered_at is not None, "talk_seconds": talk_seconds,
                    "ended": at.isoformat(timespec="seconds")})
        return attempt

    def attempt(self, attempt_id: str) -> Attempt | None:
        with self.calls._transaction() as cursor:
            cursor.execute(f"SELECT {', '.join(_ATTEMPT_COLUMNS)} FROM callback_attempts WHERE id = {self.p}",
                           (attempt_id,))
            row = cursor.fetchone()
        return self._attempt(row) if row else None

    def attempts(self, note_id: int) -> list[Attempt]:
        with self.calls._transaction() as cursor:
            cursor.execute(f"SELECT {', '.join(_ATTEMPT_COLUMNS)} FROM callback_attempts WHERE note_id = {self.p}"
                           " ORDER BY started_at", (note_id,))
            return [self._attempt(row) for row in cursor.fetchall()]

    def unfinished_attempts(self) -> list[Attempt]:
        with self.calls._transaction() as cursor:
            cursor.execute(f"SELECT {', '.join(_ATTEMPT_COLUMNS)} FROM callback_attempts WHERE ended_at IS NULL")
            return [self._attempt(row) for row in cursor.fetchall()]

    def close(self) -> None:
        """Closes the call-record store only when this opened it."""
        if self._own:
            self.calls.close()


def import_legacy(path: str | Path, store: CallbackStore) -> int:
    """Notes from a 0.2.0 call-back file (waiting.callback_store) into the store; a note already there (same
    key) is left alone, so importing again changes nothing. The file itself is only read. The count imported."""
    path = Path(path)
    if not path.is_file():
        return 0
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    connection.row_factory = sqlite3.Row
    try:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        rows = connection.execute("SELECT * FROM callbacks ORDER BY id").fetchall() if "callbacks" in tables else []
    finally:
        connection.close()
    imported = 0
    for row in rows:
        times = {name: dt.datetime.fromisoformat(row[name]) if row[name] else None
                 for name in ("created_at", "due_at", "done_at", "mailed_at")}
        done = times["done_at"]
        note = Note(key=row["key"], number=row["number"], name=row["name"], question=row["question"],
                    team=row["team"], created_at=times["created_at"], due_at=times["due_at"],
                    created_by=row["created_by"], for_person=row["for_person"], mailbox=row["mailbox"],
                    kind=QUEUE if row["created_by"] == "queue" else NOTE, mailed_at=times["mailed_at"],
                    # 0.2.0 knew only "Afgehandeld": taken as the moment the caller was reached, as it reported it.
                    closed_at=done, closed_by=row["done_by"], outcome=CALLED_BACK if done else "",
                    close_reason="afgehandeld (0.2.0)" if done else "", answered_at=done)
        _, new = store.add(note, step_detail={"imported_from": path.name})
        imported += new
    if imported:
        log.info("imported %d call-back notes of bereik 0.2.0 from %s; once every server runs this release, "
                 "the file may go", imported, path)
    return imported

