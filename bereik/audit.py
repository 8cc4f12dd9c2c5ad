"""The audit log of administrative acts: forwarding changes, recordings played, configuration reloads, console logins.

Kept in the call-record store (SQLite or PostgreSQL), beside the records it is about, for
privacy.audit_retention_days. An entry names who, what, when and from where; the detail never
holds a personal number in full (a forward to a mobile says "mobile", not the number).
"""
from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bereik.records.store import AuditRow, CallStore

log = logging.getLogger(__name__)
FORWARD_SET = "forwarding_set"
FORWARD_CLEARED = "forwarding_cleared"
DND_SET = "dnd_set"
DND_CLEARED = "dnd_cleared"
RECORDING_PLAYED = "recording_played"
CONFIG_RELOADED = "config_reloaded"
CONFIG_REFUSED = "config_reload_refused"
CONSOLE_LOGIN = "console_login"
CONFIG_CHANGED = "config_changed"  # on the coordinator's screen, with why
WEBHOOK_SENT_AGAIN = "webhook_sent_again"  # a dead letter, by an administrator
CALAMITY_ON = "calamity_on"  # the calamity switch (bereik.calamity): its state is its last act
CALAMITY_OFF = "calamity_off"
CALAMITY_PIN_REFUSED = "calamity_pin_refused"  # a wrong PIN from a desk phone
PROMPT_RECORDED = "prompt_recorded"  # a recording uploaded for a text (bereik.ivr.recorded)

# What an administrator reads in `bereik audit` and on the console's audit page.
ACTIONS = {
    "nl": {FORWARD_SET: "doorschakeling ingesteld", FORWARD_CLEARED: "doorschakeling opgeheven",
           DND_SET: "niet storen aangezet", DND_CLEARED: "niet storen uitgezet",
           RECORDING_PLAYED: "opname beluisterd", CONFIG_RELOADED: "configuratie opnieuw geladen",
           CONFIG_REFUSED: "configuratie geweigerd", CONSOLE_LOGIN: "ingelogd op de console",
           CONFIG_CHANGED: "configuratie gewijzigd", CALAMITY_ON: "calamiteit aangezet",
           CALAMITY_OFF: "calamiteit beëindigd", CALAMITY_PIN_REFUSED: "calamiteit: onjuiste pincode",
           WEBHOOK_SENT_AGAIN: "webhook opnieuw verstuurd", PROMPT_RECORDED: "opname geüpload"},
    "en": {FORWARD_SET: "forwarding set", FORWARD_CLEARED: "forwarding cleared",
           DND_SET: "do-not-disturb on", DND_CLEARED: "do-not-disturb off",
           RECORDING_PLAYED: "recording played", CONFIG_RELOADED: "configuration reloaded",
           CONFIG_REFUSED: "configuration refused", CONSOLE_LOGIN: "logged in to the console",
           CONFIG_CHANGED: "configuration changed", CALAMITY_ON: "calamity switched on",
           CALAMITY_OFF: "calamity ended", CALAMITY_PIN_REFUSED: "calamity: wrong PIN",
           WEBHOOK_SENT_AGAIN: "webhook sent again", PROMPT_RECORDED: "recording uploaded"},
}


@dataclass(frozen=True)
class Entry:
    at: float
    actor: str
    action: str
    target: str
    source: str
    detail: dict[str, str]

    def as_dict(self, zone: ZoneInfo) -> dict:
        return {"at": dt.datetime.fromtimestamp(self.at, zone).isoformat(timespec="seconds"), "actor": self.actor,
                "action": self.action, "target": self.target, "source": self.source, "detail": self.detail}

    def line(self, zone: ZoneInfo, language: str) -> str:
        when = dt.datetime.fromtimestamp(self.at, zone).strftime("%Y-%m-%d %H:%M:%S")
        what = ACTIONS[language].get(self.action, self.action)
        detail = ", ".join(f"{k}={v}" for k, v in sorted(self.detail.items()))
        return "  ".join(part for part in (when, self.actor, what, self.target, f"({self.source})", detail) if part)


class AuditLog:
    """Writes are synchronous and small (one row); from the event loop use `add`, which runs in a thread."""

    def __init__(self, store: CallStore, now: Callable[[], float] = time.time):
        self.store, self.now = store, now

    def record(self, actor: str, action: str, target: str = "", source: str = "", **detail: object) -> Entry:
        entry = Entry(self.now(), actor or "?", action, target, source, {k: str(v) for k, v in detail.items()})
        self.store.add_audit([AuditRow(entry.at, entry.actor, entry.action, entry.target, entry.source,
                                       json.dumps(entry.detail, ensure_ascii=False, sort_keys=True))])
        return entry

    async def add(self, actor: str, action: str, target: str = "", source: str = "", **detail: object) -> Entry:
        """Raises when the store is unavailable: an act that must be accountable (a recording played) fails with it."""
        return await asyncio.to_thread(self.record, actor, action, target, source, **detail)

    async def add_or_warn(self, actor: str, action: str, target: str = "", source: str = "", **detail: object) -> None:
        """For acts that must go on when the store is down (a login, a reload): the gap is logged."""
        try:
            await self.add(actor, action, target, source, **detail)
        except Exception as error:  # sqlite3, psycopg or OS errors alike
            log.error("audit log not written (%s by %s): %s", action, actor, error)

    def entries(self, since: float, until: float = float("inf"), limit: int = 1000) -> list[Entry]:
        """Newest first."""
        return [Entry(r.at, r.actor, r.action, r.target, r.source, json.loads(r.detail))
                for r in self.store.audit(since, until, limit)]
