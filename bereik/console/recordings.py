"""Recordings for coaching: one directory per agent, kept for the YAML's retention period.

The file name carries the moment (YYYYMMDDTHHMMSS-<call>.wav), so no database is needed:
the directory is the list, its owner the agent, and the team lead is found in the YAML.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path

from bereik.config.model import Console, ConsoleUser
from bereik.console.desk import RECORDING_NAME

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Recording:
    login: str
    name: str
    size: int

    @property
    def started(self) -> dt.datetime:
        return dt.datetime.strptime(self.name[:15], "%Y%m%dT%H%M%S")


def may_listen(listener: ConsoleUser, owner: ConsoleUser | None) -> bool:
    """Only the agent and the team lead of the agent's team."""
    if owner is None:
        return False
    return listener.login == owner.login or (listener.role == "team_lead" and listener.team == owner.team)


def _owners(console: Console, listener: ConsoleUser) -> list[ConsoleUser]:
    return [u for u in console.users if may_listen(listener, u)]


def listing(directory: Path, console: Console, listener: ConsoleUser) -> list[Recording]:
    found = []
    for owner in _owners(console, listener):
        folder = directory / owner.login
        if folder.is_dir():
            found += [Recording(owner.login, f.name, f.stat().st_size)
                      for f in folder.iterdir() if RECORDING_NAME.match(f.name) and f.is_file()]
    return sorted(found, key=lambda r: r.name, reverse=True)


def path_for(directory: Path, console: Console, listener: ConsoleUser, login: str, name: str) -> Path | None:
    """The file, if it exists and `listener` may hear it; names are matched, never joined raw."""
    owner = console.user(login)
    if not RECORDING_NAME.match(name) or not may_listen(listener, owner):
        return None
    path = directory / owner.login / name
    return path if path.is_file() else None


def purge(directory: Path, console: Console, now: dt.datetime) -> int:
    """Delete recordings older than the retention period (by the moment in their name)."""
    limit = (now - dt.timedelta(days=console.recording_retention_days)).replace(tzinfo=None)
    removed = 0
    for user in console.users:
        folder = directory / user.login
        if not folder.is_dir():
            continue
        for file in folder.iterdir():
            if RECORDING_NAME.match(file.name) and Recording(user.login, file.name, 0).started < limit:
                file.unlink(missing_ok=True)
                removed += 1
    if removed:
        log.info("deleted %d recording(s) past the retention period", removed)
    return removed
