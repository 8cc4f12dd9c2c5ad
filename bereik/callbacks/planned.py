"""Which callers have a call-back still planned: asked for every call to the entry, read from the store in bulk.

A query per call cost the decision thread two thread hops and the query itself (bench call_paths, issue 18). The
callers with an open request are few, so they are read all at once: again as soon as this bereik changed a note,
and otherwise once the last read is `fresh_seconds` old, for what another bereik sharing the store wrote.
"""
from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable

from bereik.callbacks.store import CallbackStore, Note


class PlannedCallbacks:
    def __init__(self, store: CallbackStore, fresh_seconds: float = 1.0,
                 clock: Callable[[], float] = time.monotonic):
        self.store = store
        self.fresh_seconds = fresh_seconds
        self.clock = clock
        self._requests: dict[str, Note] = {}
        self._read_at = -math.inf
        self._changes_read = -1
        self._reading: asyncio.Future | None = None

    def due(self) -> bool:
        return (self.store.changes != self._changes_read
                or self.clock() - self._read_at >= self.fresh_seconds)

    async def read(self) -> None:
        """Read the open requests; calls that come in meanwhile wait for the same read. A caller that stops
        waiting (a time-out) leaves it running for the others."""
        if self._reading is None:
            self._reading = asyncio.ensure_future(self._read())
            self._reading.add_done_callback(_seen)  # its failure is not "never retrieved" when every caller timed out
        await asyncio.shield(self._reading)

    def of(self, number: str) -> Note | None:
        """The caller's open request as last read."""
        return self._requests.get(number)

    async def _read(self) -> None:
        try:
            changes, started = self.store.changes, self.clock()
            self._requests = await asyncio.to_thread(self.store.open_requests)
            self._changes_read, self._read_at = changes, started
        finally:
            self._reading = None


def _seen(reading: asyncio.Future) -> None:
    if not reading.cancelled():
        reading.exception()
