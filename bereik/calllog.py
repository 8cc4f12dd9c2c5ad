"""Structured JSON log lines of calls, without personal data in full.

A FastAGI session (the entry) writes one line when bereik's part of the call ends, however it ends: that of
its last step, carrying the earlier steps under "steps", as a PBX writes one record per call (Asterisk's CDR,
Kamailio's acc). A line per step cost the decision thread more than the decision (bench call_paths, issue 18).
Events outside a session (an announcement, a call-back, a direct attempt) write their line at once.
"""
from __future__ import annotations

import json
import logging
import os
import time

log = logging.getLogger("bereik.call")

# One encoder for every line: json.dumps with options builds a new one each time.
_encode = json.JSONEncoder(ensure_ascii=False, default=str).encode


def mask_number(number: str) -> str:
    """Enough to recognise a number in a log, never the whole of it (AVG)."""
    digits = number.strip()
    if len(digits) <= 4:
        return "*" * len(digits)
    return digits[:2] + "*" * (len(digits) - 4) + digits[-2:]


class CallLog:
    """`step` writes a line; inside `with CallLog(...) as call:` the steps are kept for the session's one line."""

    def __init__(self, call_id: str, clock=time.monotonic):
        self.call_id = call_id
        self._clock = clock
        self._started = clock()
        self._kept: list[dict[str, object]] | None = None

    def step(self, step: str, **fields: object) -> None:
        if not log.isEnabledFor(logging.INFO):
            return
        record = {"step": step, "t": round(self._clock() - self._started, 3), **fields}
        if self._kept is None:
            log.info(_encode({"call": self.call_id, **record}))
        else:
            self._kept.append(record)

    def __enter__(self) -> CallLog:
        self._kept = []
        return self

    def __exit__(self, *exc_info: object) -> None:
        kept, self._kept = self._kept, None
        if kept:
            *earlier, last = kept
            log.info(_encode({"call": self.call_id, **last, "steps": earlier}))


# syslog priorities, as journald reads them from a "<N>" line prefix (sd-daemon(3)).
_PRIORITY = {logging.CRITICAL: 2, logging.ERROR: 3, logging.WARNING: 4, logging.INFO: 6, logging.DEBUG: 7}


class JsonLineFormatter(logging.Formatter):
    """Call steps are JSON already; everything else becomes a JSON line too. `journald`: each line starts with
    its syslog priority, so that `journalctl -u bereik -p warning` shows warnings and errors only."""

    def __init__(self, journald: bool = False):
        super().__init__()
        self.journald = journald

    def format(self, record: logging.LogRecord) -> str:
        line = self._json(record)
        if self.journald:
            return f"<{_PRIORITY.get(record.levelno, 6)}>{line}"
        return line

    def _json(self, record: logging.LogRecord) -> str:
        if record.name == log.name:
            return record.getMessage()
        entry = {"level": record.levelname.lower(), "logger": record.name, "message": record.getMessage()}
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def log_to_stderr() -> None:
    """`bereik run`'s logging (and its decision process's): JSON lines on stderr, journald's priorities under
    systemd."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonLineFormatter(journald="JOURNAL_STREAM" in os.environ))  # set by systemd
    logging.basicConfig(level=logging.INFO, handlers=[handler])
