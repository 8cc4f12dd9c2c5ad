"""Nobody forgets a call-back: open notes move from an absent owner at once, their owner is reminded before
the deadline and the team lead is told at it (the rules: bereik.callbacks.escalation). Each move, reminder
and escalation is a step of the note and a mail (console.smtp_*); the console shows the note's new owner
and that it was reminded.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable

from bereik.callbacks.escalation import Escalate, Move, Remind, Ring, due_now
from bereik.callbacks.mail import Mailer
from bereik.callbacks.store import CallbackStore, Note, WorkingDays
from bereik.config.model import Config
from bereik.routing.stand_in import StandIn, Taker

log = logging.getLogger(__name__)

Clock = Callable[[], dt.datetime]
StandInOf = Callable[[str], StandIn]
RingOwner = Callable[[Note], Awaitable[object]]
CHECK_SECONDS = 60.0
ACTOR = "bereik"


def away_to(stand_in: StandIn) -> str | None:
    """None while the person is there; else who takes their notes: the substitute, or "" (the team)."""
    if not stand_in.absent:
        return None
    return stand_in.extension if stand_in.taker is Taker.SUBSTITUTE else ""


class CallbackWatch:
    def __init__(self, config: Config, store: CallbackStore, mailer: Mailer, clock: Clock, stand_in_of: StandInOf,
                 ring: RingOwner | None = None):
        """`stand_in_of(extension)`: who stands in for that person now (AbsenceBook.stand_in); `ring(note)`:
        rings the note's owner and then its caller (NoteCaller.dial), for appointments."""
        self.config, self.store, self.mailer, self.clock, self.stand_in_of = config, store, mailer, clock, stand_in_of
        self.ring = ring

    async def run_periodically(self, seconds: float = CHECK_SECONDS) -> None:
        while True:
            try:
                await self.check()
            except Exception:
                log.exception("could not check the open call-back notes")
            await asyncio.sleep(seconds)

    async def check(self) -> list[tuple[int, str]]:
        """Act on every open note once; (note id, what was done) in order."""
        done: list[tuple[int, str]] = []
        days = WorkingDays(self.config)
        for note in await asyncio.to_thread(self.store.open_notes):
            now = self.clock()
            away = away_to(await asyncio.to_thread(self.stand_in_of, note.owner)) if note.owner else None
            for action in due_now(note, now, self.config.callbacks, owner_away_to=away,
                                  working_hours_left=days.working_hours_between(now, note.due_at)):
                note = await self._act(note, action, now)
                done.append((note.id, type(action).__name__.lower()))
        return done

    async def _act(self, note: Note, action: Move | Remind | Escalate | Ring, now: dt.datetime) -> Note:
        if isinstance(action, Ring):
            await asyncio.to_thread(self.store.update_extra, note.id, {"rung": now.isoformat()})
            if self.ring is not None:
                try:
                    await self.ring(note)
                except Exception as error:  # the note stays open for its owner to call back by hand
                    log.warning("could not ring the appointment of note %s: %s", note.id, error)
            return await asyncio.to_thread(self.store.get, note.id)
        if isinstance(action, Move):
            mailbox = self._mailbox(action.to) or self.config.console.team_mailboxes.get(note.team, note.mailbox)
            moved = await asyncio.to_thread(self.store.move, note.id, action.to, mailbox, now, ACTOR,
                                            {"from": action.away, "why": "absent"})
            await self.mailer.send_notice(moved, "moved", mailbox, away=self._name(action.away))
            log.info("call-back note %s moved from %s (away) to %s", note.id, action.away, action.to or "the team")
            return moved
        if isinstance(action, Remind):
            to = self._mailbox(note.owner) or note.mailbox
            mailed = await self.mailer.send_notice(note, "remind", to)
            await asyncio.to_thread(self.store.mark_reminded, note.id, now,
                                    {"to": note.owner or note.team, "hours_left": action.hours_left, "mailed": mailed})
            return await asyncio.to_thread(self.store.get, note.id)
        lead = self.config.reports.mail.team_leads.get(note.department or note.team, "")
        to = lead or note.mailbox
        mailed = await self.mailer.send_notice(note, "escalated", to)
        await asyncio.to_thread(self.store.mark_escalated, note.id, now, {
            "to": "team_lead" if lead else "team", "late_minutes": round(action.late_by.total_seconds() / 60),
            "mailed": mailed})
        log.info("call-back note %s past its deadline: told %s", note.id, "the team lead" if lead else "the team")
        return await asyncio.to_thread(self.store.get, note.id)

    def _mailbox(self, extension: str) -> str:
        person = self.config.person(extension) if extension else None
        return person.email if person and person.email else ""

    def _name(self, extension: str) -> str:
        person = self.config.person(extension)
        return person.name if person else extension
