"""One structured log line per step of a call, without personal data in full."""
from __future__ import annotations

import json
import logging
import time

log = logging.getLogger("bereik.call")


def mask_number(number: str) -> str:
    """Enough to recognise a number in a log, never the whole of it (AVG)."""
    digits = number.strip()
    if len(digits) <= 4:
        return "*" * len(digits)
    return digits[:2] + "*" * (len(digits) - 4) + digits[-2:]


class CallLog:
    def __init__(self, call_id: str, clock=time.monotonic):
        self.call_id = call_id
        self._clock = clock
        self._started = clock()

    def step(self, step: str, **fields: object) -> None:
        record = {"call": self.call_id, "step": step, "t": round(self._clock() - self._started, 3), **fields}
        log.info(json.dumps(record, ensure_ascii=False, default=str))


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
