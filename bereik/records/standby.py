"""One writer per server, and a stand-by for each: no call record is lost when a bereik dies.

Every bereik follows the AMI of every server (its wallboard shows them all) and
keeps their journeys in memory, but writes only the calls of servers it holds a
claim on in the shared store: its own always, another's only after that
server's bereik stopped renewing its claim. The one that takes over writes all
it holds, including what the dead one had not written yet; the store keeps each
step once, so writing a call twice is harmless. When the home bereik returns it
claims its server back and the stand-by stops at its next renewal.

A server whose AMI stays unreachable for longer than a grace period is lost with its calls: the
bereik that writes its records (its own, or a stand-by once the dead node's bereik stopped renewing)
closes them as cut off (bereik.records.lost).
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping

from bereik.records import lost
from bereik.records.recorder import Recorder
from bereik.records.store import CallStore

log = logging.getLogger(__name__)

CLAIM_SECONDS = 6.0  # well below the minute a recorder keeps an ended call (recorder.KEEP_ENDED_SECONDS)


class Reachability:
    """Since when a server's AMI is unreachable (None: connected); unreachable until the first login."""

    def __init__(self, clock: Callable[[], float] = time.time):
        self.clock = clock
        self.down_since: float | None = clock()

    def lost(self) -> None:
        if self.down_since is None:
            self.down_since = self.clock()

    def back(self) -> None:
        self.down_since = None


class ServerWriters:
    def __init__(self, store: CallStore, instance: str, recorders: Mapping[str, Recorder], *,
                 seconds: float = CLAIM_SECONDS, clock: Callable[[], float] = time.time,
                 reachability: Mapping[str, Reachability] = {}, grace: float = lost.GRACE_SECONDS):
        """`instance`: this bereik's own server; `recorders`: server name -> its recorder, this server's included;
        `reachability`: server name -> whether its AMI is reachable, to close the calls of a lost one after `grace`."""
        self.store = store
        self.instance = instance
        self.recorders = dict(recorders)
        self.seconds = seconds
        self.clock = clock
        self.reachability = dict(reachability)
        self.grace = grace

    def _claim_all(self) -> dict[str, str]:
        now = self.clock()
        return {server: self.store.claim_server(server, self.instance, now, self.seconds, server == self.instance)
                for server in self.recorders}

    async def renew(self) -> None:
        try:
            holders = await asyncio.to_thread(self._claim_all)
        except Exception as error:  # the store is away: keep writing what we wrote (the spool holds it)
            log.warning("could not renew the claims on the servers' call records: %s", error)
            return
        for server, holder in holders.items():
            recorder = self.recorders[server]
            mine = holder == self.instance
            if mine != recorder.writing:
                log.info("%s the call records of server %s (held by %s)",
                         "taking over" if mine else "handing back", server, holder)
            recorder.take_over(mine)

    def close_lost(self) -> None:
        """Close the calls of every server lost for longer than the grace period (written by whoever holds it)."""
        now = self.clock()
        for server, reachable in self.reachability.items():
            try:
                self.recorders[server].close_lost(reachable.down_since, now, self.grace)
            except Exception:  # the claims must go on being renewed
                log.exception("could not close the calls of lost server %s", server)

    async def run(self) -> None:
        while True:
            await self.renew()
            self.close_lost()
            await asyncio.sleep(self.seconds / 3)
