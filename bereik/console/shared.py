"""Several servers: the recordings this node's Asterisk finished, copied into the municipality's store.

A recording is made by the Asterisk that carries the call, in its own monitor directory; an agent's console
may be served by another node's bereik. Each node's bereik copies its own node's finished recordings into
the store its municipality's bereiks share (one store per municipality: another municipality never sees
them), and every console lists and plays them (bereik.console.recordings). The node keeps its file; the
retention job deletes both.
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from pathlib import Path

from bereik.console import recordings
from bereik.records.store import CallStore

log = logging.getLogger(__name__)

EVERY_SECONDS = 2.0


class SharedRecordings:
    def __init__(self, store: CallStore, directory: Path | str, server: str, *, clock: Callable[[], float] = time.time):
        self.store = store
        self.directory = Path(directory)
        self.server = server
        self.clock = clock
        self._copied: dict[str, int] | None = None  # name -> size, as the store has it

    def copy_finished(self) -> int:
        """Copy what this node finished and the store lacks; how many recordings were copied."""
        if self._copied is None:
            self._copied = {name: size for name, _, size in self.store.recordings()}
        if not self.directory.is_dir():
            return 0
        files = {}
        for entry in self.directory.iterdir():
            if entry.is_file():
                stat = entry.stat()
                files[entry.name] = (entry, stat.st_size, stat.st_mtime)
        names = recordings.to_copy(((name, size, written) for name, (_, size, written) in files.items()),
                                   self._copied, self.clock())
        for name in names:
            data = files[name][0].read_bytes()
            self.store.put_recording(name, self.server, data, self.clock())
            self._copied[name] = len(data)
        return len(names)

    async def run(self, every: float = EVERY_SECONDS) -> None:
        while True:
            try:
                copied = await asyncio.to_thread(self.copy_finished)
                if copied:
                    log.info("copied %d finished recording(s) of server %s into the store", copied, self.server)
            except Exception as error:  # the store away: the files stay here and are copied once it is back
                log.warning("could not copy the recordings of server %s into the store: %s", self.server, error)
            await asyncio.sleep(every)
