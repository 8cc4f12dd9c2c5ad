"""Recordings for coaching, in Asterisk's monitor directory, kept for the YAML's retention period.

automixmon names its file `<TOUCH_MIXMONITOR_PREFIX>-<epoch>-<TOUCH_MIXMONITOR>.wav` in the
monitor directory and turns every "/" into "-" (bridges/bridge_builtin_features.c), so no
directory per agent is possible. The console sets the prefix to "bereik" and the name to
`<login>+<YYYYMMDDTHHMMSS>-<call>`: "+" never occurs in a login, so the owner is read back from
the name. The directory is the list, the YAML says who is whose team lead.

On several servers a recording is made by the Asterisk of the call's node, in that node's directory: each
node's bereik copies the recordings its Asterisk finished into the municipality's store
(bereik.console.shared), and the console lists and plays those beside its own node's directory.
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from bereik.config.model import Console, ConsoleUser

PREFIX = "bereik"
FILE_NAME = re.compile(r"^bereik-[0-9]{1,12}-([A-Za-z0-9._-]{1,64})\+([0-9]{8}T[0-9]{6})-[0-9A-Za-z.]{1,40}\.wav$")


def touch_name(login: str, moment: dt.datetime, call_id: str) -> str:
    """The TOUCH_MIXMONITOR value for a recording of `login` starting at `moment`."""
    return f"{login}+{moment:%Y%m%dT%H%M%S}-{re.sub(r'[^0-9A-Za-z.]', '', call_id)[:40] or 'call'}"


@dataclass(frozen=True)
class Recording:
    login: str
    name: str
    size: int
    started: dt.datetime  # local time, from the name


def parse(name: str, size: int = 0) -> Recording | None:
    match = FILE_NAME.match(name)
    if match is None:
        return None
    return Recording(match.group(1), name, size, dt.datetime.strptime(match.group(2), "%Y%m%dT%H%M%S"))


def may_listen(listener: ConsoleUser, owner: ConsoleUser | None) -> bool:
    """Only the agent and the team lead of the agent's team."""
    if owner is None:
        return False
    return listener.login == owner.login or (listener.role == "team_lead" and listener.team == owner.team)


def _all(directory: Path) -> list[Recording]:
    if not directory.is_dir():
        return []
    found = (parse(f.name, f.stat().st_size) for f in directory.iterdir() if f.is_file())
    return [r for r in found if r is not None]


def listing(directory: Path, console: Console, listener: ConsoleUser,
            shared: Iterable[tuple[str, int]] = ()) -> list[Recording]:
    """What `listener` may hear, newest first: this node's directory and `shared` (name, size: the other nodes'
    recordings in the store), each recording once."""
    allowed = {u.login for u in console.users if may_listen(listener, u)}
    found = {r.name: r for r in (parse(name, size) for name, size in shared) if r is not None}
    found.update((r.name, r) for r in _all(directory))
    return sorted((r for r in found.values() if r.login in allowed), key=lambda r: r.started, reverse=True)


def audible(console: Console, listener: ConsoleUser, login: str, name: str) -> Recording | None:
    """The recording `name` of `login`, if `listener` may hear it."""
    recording = parse(name)
    if recording is None or recording.login != login or not may_listen(listener, console.user(login)):
        return None
    return recording


def path_for(directory: Path, console: Console, listener: ConsoleUser, login: str, name: str) -> Path | None:
    """The file, if it exists and `listener` may hear it; the name is matched, never joined raw."""
    recording = audible(console, listener, login, name)
    if recording is None:
        return None
    path = directory / recording.name
    return path if path.is_file() else None


QUIET_SECONDS = 5.0  # MixMonitor writes every 20 ms while it records: a file untouched this long is finished


def to_copy(files: Iterable[tuple[str, int, float]], copied: Mapping[str, int], now: float,
            quiet: float = QUIET_SECONDS) -> list[str]:
    """Of this node's recordings (name, size, last written), those finished and not yet copied at this size."""
    return [name for name, size, written in files
            if parse(name) is not None and now - written >= quiet and copied.get(name) != size]


def stored(directory: Path) -> list[Recording]:
    """Every recording in the directory, whoever it belongs to: for the retention job."""
    return _all(directory)


def delete(directory: Path, recording: Recording) -> None:
    (directory / recording.name).unlink(missing_ok=True)
