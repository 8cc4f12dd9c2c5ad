"""Call records that the store could not take, kept on disk until it can.

An append-only file of JSON lines, one line per batch, fsync'd before append()
returns: when the store is locked, its disk full or PostgreSQL down, a batch
survives a crash of bereik here and is written, in order, when the store is
back. Replaying twice is harmless because the store's writes are idempotent
(steps keyed on call, step and moment; a call's row replaced by its summary).
"""
from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path

from bereik.records.store import CallStore, StepRow, Update
from bereik.records.summary import CallRow

log = logging.getLogger(__name__)

FILE_NAME = "pending.jsonl"


def default_directory(store: str) -> Path:
    """Next to the SQLite file; for PostgreSQL, in bereik's own data directory."""
    if store.startswith(("postgresql://", "postgres://")):
        return Path("/var/lib/bereik/records-spool")
    return Path(f"{store}.spool")


def encode(batch: Sequence[Update]) -> bytes:
    line = json.dumps([[list(u.call), u.extra, [list(s) for s in u.steps]] for u in batch],
                      ensure_ascii=False, separators=(",", ":"))
    return line.encode() + b"\n"


def decode(line: bytes) -> list[Update]:
    return [Update(CallRow._make(call), extra, [StepRow._make(s) for s in steps])
            for call, extra, steps in json.loads(line)]


class Spool:
    def __init__(self, directory: Path | str):
        self.path = Path(directory) / FILE_NAME

    def __bool__(self) -> bool:
        """Whether batches are waiting."""
        return self.size > 0

    @property
    def size(self) -> int:
        """Bytes waiting for the store."""
        try:
            return self.path.stat().st_size
        except FileNotFoundError:
            return 0

    def append(self, batch: Sequence[Update]) -> None:
        """Add a batch durably; on OSError (a full disk) the file is left as it was."""
        data = encode(batch)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            size = os.fstat(fd).st_size
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
                os.fsync(fd)
            except OSError:
                os.ftruncate(fd, size)  # no half line for the next append to continue
                raise
        finally:
            os.close(fd)
        if size == 0:
            _sync_directory(self.path.parent)  # the new file's name is durable too

    def batches(self) -> list[list[Update]]:
        """Every batch, oldest first; a line cut short by a crash is skipped."""
        try:
            lines = self.path.read_bytes().splitlines()
        except FileNotFoundError:
            return []
        found = []
        for number, line in enumerate(lines, 1):
            try:
                found.append(decode(line))
            except (ValueError, TypeError):
                log.error("call-record spool %s: line %d is damaged and skipped", self.path, number)
        return found

    def replay_into(self, store: CallStore) -> int:
        """Write every batch to `store`, oldest first, then forget them; raises what the store raises."""
        batches = self.batches()
        for batch in batches:
            store.write(batch)
        self.clear()
        return len(batches)

    def clear(self) -> None:
        """Forget the batches (after the store took them all)."""
        try:
            fd = os.open(self.path, os.O_WRONLY)
        except FileNotFoundError:
            return
        try:
            os.ftruncate(fd, 0)
            os.fsync(fd)
        finally:
            os.close(fd)


def _sync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
