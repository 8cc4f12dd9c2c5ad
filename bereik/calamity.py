"""The calamity switch, kept where every act of an administrator is: the audit log. Its state is its last
act (calamity_on with the mode, message and end time, or calamity_off), so who switched it, when and why
is never separate from what callers hear, and servers that share one store share one switch.

Each new call asks `current`; the store is read at most every `refresh_seconds` (another server's switch
is heard within that time, this server's at once).
"""
from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import time
from collections.abc import Callable

from bereik.audit import CALAMITY_OFF, CALAMITY_ON, AuditLog
from bereik.routing.calamity import Calamity, Mode

log = logging.getLogger(__name__)
PIN_TRIES, PIN_LOCK_SECONDS = 3, 15 * 60


class CalamitySwitch:
    def __init__(self, audit: AuditLog, refresh_seconds: float = 5.0,
                 monotonic: Callable[[], float] = time.monotonic):
        self.audit, self.refresh_seconds, self.monotonic = audit, refresh_seconds, monotonic
        self._known: Calamity | None = None
        self._read_at: float | None = None
        self.changed: Callable[[], None] = lambda: None  # the wallboard wakes up
        self._wrong_pins: list[float] = []  # monotonic times of wrong PINs from desk phones

    def wrong_pin(self) -> None:
        self._wrong_pins.append(self.monotonic())

    def locked(self) -> bool:
        """Three wrong PINs within 15 minutes lock *28 until 15 minutes after the last."""
        now = self.monotonic()
        self._wrong_pins = [at for at in self._wrong_pins if now - at < PIN_LOCK_SECONDS]
        return len(self._wrong_pins) >= PIN_TRIES

    def current(self, now: dt.datetime) -> Calamity | None:
        """The calamity in force at `now`, or None. Reads the store (blocking) when the last read is old."""
        if self._read_due():
            self._read()
        return self._known if self._known and self._known.in_force(now) else None

    def _read_due(self) -> bool:
        return self._read_at is None or self.monotonic() - self._read_at >= self.refresh_seconds

    def stale(self) -> None:
        """Switched elsewhere in this server (bereik.pbx.decider): read the store at the next call."""
        self._read_at = None

    def known(self, now: dt.datetime) -> Calamity | None:
        """As `current`, without reading the store: for the wallboard's every-second snapshot."""
        return self._known if self._known and self._known.in_force(now) else None

    async def in_force(self, now: dt.datetime) -> Calamity | None:
        # Every call asks; only a read that is due leaves the decision loop for a thread (a hop through the
        # thread pool waits for the GIL twice behind the busy main loop: the caller hears silence meanwhile).
        if not self._read_due():
            return self.known(now)
        before = self._known
        try:
            found = await asyncio.to_thread(self.current, now)
        except Exception as error:  # the store is down: calls go on with what was known
            log.error("could not read the calamity switch: %s", error)
            return self.known(now)
        if self._known != before:  # another server switched it: the wallboard follows
            self.changed()
        return found

    async def follow(self, clock: Callable[[], dt.datetime]) -> None:
        """Read the switch now and every `refresh_seconds`, so the wallboard shows another server's switch
        and its end without waiting for a call."""
        while True:
            await self.in_force(clock())
            await asyncio.sleep(self.refresh_seconds)

    async def switch_on(self, calamity: Calamity, source: str, why: str) -> None:
        """Raises when the audit log cannot be written: a switch nobody can account for is not set."""
        await self.audit.add(calamity.set_by, CALAMITY_ON, "", source, mode=calamity.mode.value,
                             text=calamity.text, until=calamity.until.isoformat(timespec="minutes"), why=why)
        self._known, self._read_at = calamity, self.monotonic()
        self.changed()

    async def switch_off(self, actor: str, source: str, why: str) -> None:
        await self.audit.add(actor, CALAMITY_OFF, "", source, why=why)
        self._known, self._read_at = None, self.monotonic()
        self.changed()

    def _read(self) -> None:
        row = self.audit.store.latest_audit((CALAMITY_ON, CALAMITY_OFF))
        self._read_at = self.monotonic()
        if row is None or row.action == CALAMITY_OFF:
            self._known = None
        else:
            detail = json.loads(row.detail)
            self._known = Calamity(Mode(detail["mode"]), detail["text"], dt.datetime.fromisoformat(detail["until"]),
                                   row.actor)
