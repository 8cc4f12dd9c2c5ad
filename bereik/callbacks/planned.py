"""Which callers have a call-back still planned: asked for every call to the entry, read from the store in bulk.

A query per call cost the decision thread two thread hops and the query itself (bench call_paths, issue 18). The
callers with an open request are few, so they are read all at once: again as soon as this bereik changed a note,
and otherwise once the last read is `fresh_seconds` old, for what another bereik sharing the store wrote. Only the
first kind is waited for: under load a read waits for a thread and a processor, and every caller meanwhile would
wait with it, where a request another bereik took a second ago can as well be seen a moment later.
"""
from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable

from bereik.callbacks.store import CallbackStore, Note

log = logging.getLogger(__name__)


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
        return self._changed_here() or self.clock() - self._read_at >= self.fresh_seconds

    async def refresh(self) -> None:
        """Up to date for the next caller: waits for a read after a change through this bereik (or before the
        first); a read that is merely old is done again in the background, callers answered from it meanwhile."""
        if self._changed_here():
            await self.read()
        elif self.due() and self._reading is None:
            self._start().add_done_callback(_logged)

    async def read(self) -> None:
        """Read the open requests; calls that come in meanwhile wait for the same read. A caller that stops
        waiting (a time-out) leaves it running for the others."""
        await asyncio.shield(self._start())

    def _changed_here(self) -> bool:
        return self.store.changes != self._changes_read

    def _start(self) -> asyncio.Future:
        if self._reading is None:
            self._reading = asyncio.ensure_future(self._read())
            self._reading.add_done_callback(_seen)  # its failure is not "never retrieved" when every caller timed out
        return self._reading

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


def _logged(reading: asyncio.Future) -> None:
    """A read nobody waited for says itself when it failed; the next caller tries again."""
    if not reading.cancelled() and reading.exception() is not None:
        log.warning("call-back store could not be read (%s); callers hear about their planned call-backs as last "
                    "read until it answers again", type(reading.exception()).__name__)
