"""Absence forwarding, kept in SQLite so that it survives a restart.

One forward per person at most. Each department chooses what its members may
forward to (departments[].forwarding). A forward never makes a call hop from
person to person: nobody forwards to a colleague who forwards, and nobody who
receives forwarded calls forwards their own (no hunt group in disguise).
"""
from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from bereik.config.model import Config

MOBILE = "mobile"
SUBSTITUTE = "substitute"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS forward (
    person TEXT PRIMARY KEY,
    target TEXT NOT NULL,        -- a colleague's extension, or 'mobile'
    starts TEXT NOT NULL,        -- ISO 8601 with offset
    ends TEXT,                   -- NULL: until cleared
    set_by TEXT NOT NULL,
    set_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS dnd (  -- do-not-disturb (*78 on, *79 off): callers go to the TIC at once
    person TEXT PRIMARY KEY,
    set_by TEXT NOT NULL,
    set_at TEXT NOT NULL
);
"""


class ForwardingError(ValueError):
    """A forward that is not allowed; the message says why, for the CLI and the console. `kind` and `name`
    let the phone say it (bereik.pbx.features): nobody, time, no_substitute, policy, no_mobile, not_colleague,
    hop (the target forwards), inward (someone forwards to this person); `name`: the colleague in the way."""

    def __init__(self, message: str, kind: str = "", name: str = ""):
        super().__init__(message)
        self.kind, self.name = kind, name


@dataclass(frozen=True)
class Forward:
    person: str
    target: str  # a colleague's extension or "mobile"
    starts: dt.datetime
    ends: dt.datetime | None
    set_by: str

    @property
    def mobile(self) -> bool:
        return self.target == MOBILE

    def in_force(self, now: dt.datetime) -> bool:
        return self.starts <= now and (self.ends is None or now < self.ends)

    def overlaps(self, starts: dt.datetime, ends: dt.datetime | None) -> bool:
        return (ends is None or self.starts < ends) and (self.ends is None or starts < self.ends)

    def as_dict(self) -> dict[str, str | None]:
        return {"person": self.person, "to": self.target, "from": self.starts.isoformat(),
                "until": self.ends.isoformat() if self.ends else None, "set_by": self.set_by}


class ForwardingStore:
    def __init__(self, path: str | Path, config: Config):
        self.config = config
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    def set(self, person: str, target: str, *, starts: dt.datetime, ends: dt.datetime | None,
            set_by: str) -> Forward:
        """Forward `person`'s calls to `target`: an extension, "mobile" or "substitute"."""
        forward = self._checked(person, target, starts, ends, set_by)
        self._db.execute(
            "INSERT OR REPLACE INTO forward VALUES (?, ?, ?, ?, ?, ?)",
            (forward.person, forward.target, forward.starts.isoformat(),
             forward.ends.isoformat() if forward.ends else None, set_by,
             dt.datetime.now(dt.UTC).isoformat(timespec="seconds")),
        )
        return forward

    def set_dnd(self, person: str, on: bool, *, set_by: str) -> None:
        """Do-not-disturb on or off; on is kept until switched off (also across restarts)."""
        if self.config.person(person) is None:
            raise ForwardingError(f"{person} is nobody under people: in the configuration")
        if on:
            self._db.execute("INSERT OR REPLACE INTO dnd VALUES (?, ?, ?)",
                             (person, set_by, dt.datetime.now(dt.UTC).isoformat(timespec="seconds")))
        else:
            self._db.execute("DELETE FROM dnd WHERE person = ?", (person,))

    def dnd(self, person: str) -> bool:
        return self._db.execute("SELECT 1 FROM dnd WHERE person = ?", (person,)).fetchone() is not None

    def clear(self, person: str) -> bool:
        return self._db.execute("DELETE FROM forward WHERE person = ?", (person,)).rowcount > 0

    def purge_ended(self, before: dt.datetime) -> int:
        """Delete forwards that ended before `before` (retention). Times carry their own offsets, so they
        are compared as times, not as text."""
        ended = [f.person for f in self.all() if f.ends is not None and f.ends < before]
        self._db.executemany("DELETE FROM forward WHERE person = ?", [(person,) for person in ended])
        return len(ended)

    def all(self) -> list[Forward]:
        rows = self._db.execute("SELECT person, target, starts, ends, set_by FROM forward ORDER BY person")
        return [_forward(*row) for row in rows]

    def in_force(self, person: str, now: dt.datetime) -> Forward | None:
        row = self._db.execute(
            "SELECT person, target, starts, ends, set_by FROM forward WHERE person = ?", (person,)).fetchone()
        forward = _forward(*row) if row else None
        return forward if forward and forward.in_force(now) else None

    def _checked(self, person: str, target: str, starts: dt.datetime, ends: dt.datetime | None,
                 set_by: str) -> Forward:
        who = self.config.person(person)
        if who is None:
            raise ForwardingError(f"{person} is nobody under people: in the configuration", "nobody")
        if starts.tzinfo is None or (ends is not None and ends.tzinfo is None):
            raise ForwardingError("give times with their UTC offset, e.g. 2026-11-23T08:00+01:00", "time")
        if ends is not None and ends <= starts:
            raise ForwardingError("the forward ends before it starts", "time")
        if target == SUBSTITUTE:
            if who.substitute is None:
                raise ForwardingError(f"{who.name} has no substitute in the configuration; name a colleague",
                                      "no_substitute")
            target = who.substitute
        department = self.config.department_of(person)
        allowed = department.forwarding if department else ["colleague", "mobile"]
        kind = "mobile" if target == MOBILE else "colleague"
        if kind not in allowed:
            where = f"department '{department.id}'"
            choice = f"only to: {', '.join(allowed)}" if allowed else "no forwarding: calls go to the TIC"
            raise ForwardingError(f"{where} allows {choice}", "policy")
        if target == MOBILE and not who.mobile:
            raise ForwardingError(f"{who.name} has no mobile number in the configuration", "no_mobile")
        if kind == "colleague":
            colleague = self.config.person(target)
            if colleague is None or target == person:
                raise ForwardingError(f"forward to a colleague's extension under people:, not {target}",
                                      "not_colleague")
            others = [f for f in self.all() if f.person != person]
            onward = next((f for f in others if f.person == target and f.overlaps(starts, ends)), None)
            if onward:
                raise ForwardingError(
                    f"{colleague.name} forwards to {onward.target} in that period: the call would hop from person "
                    "to person (a hunt group in disguise); pick someone who is in, or let the TIC take the calls",
                    "hop", colleague.name)
        inward = next((f for f in self.all() if f.target == person and f.overlaps(starts, ends)), None)
        if inward:
            sender = self.config.person(inward.person)
            raise ForwardingError(
                f"{sender.name if sender else inward.person} forwards to {who.name} in that period: the call "
                "would hop from person to person (a hunt group in disguise); clear that forward first",
                "inward", sender.name if sender else inward.person)
        return Forward(person, target, starts, ends, set_by)


def _forward(person: str, target: str, starts: str, ends: str | None, set_by: str) -> Forward:
    return Forward(person, target, dt.datetime.fromisoformat(starts),
                   dt.datetime.fromisoformat(ends) if ends else None, set_by)
