"""How each call-back call ended, onto its note: the attempt's step, and the note closed by the call.

Fed with the PBX adapter's facts (bereik.facts.CallbackCallEnded); the store calls run off the event loop.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable

from bereik import facts as f
from bereik.callbacks.lifecycle import outcome_of
from bereik.callbacks.store import CALLED_BACK, CallbackStore, Note
from bereik.config.model import Config

log = logging.getLogger(__name__)

Clock = Callable[[], dt.datetime]


class CallbackOutcomes:
    def __init__(self, config: Config, store: CallbackStore, clock: Clock):
        self.config, self.store, self.clock = config, store, clock
        self._listeners: list[Callable[[Note], None]] = []

    def on_change(self, listener: Callable[[Note], None]) -> None:
        """Call `listener(note)` whenever a call-back changed a note (the console follows its notes)."""
        self._listeners.append(listener)

    def apply(self, fact: f.Fact | None) -> asyncio.Future | None:
        if isinstance(fact, f.CallbackCallEnded):
            return asyncio.ensure_future(self._ended(fact))
        return None

    async def _ended(self, fact: f.CallbackCallEnded) -> None:
        try:
            note = await asyncio.to_thread(self._record, fact)
        except Exception:
            log.exception("could not record how call-back %s ended", fact.attempt)
            return
        for listener in (self._listeners if note else ()):
            listener(note)

    def _record(self, fact: f.CallbackCallEnded) -> Note | None:
        at = self.clock()  # the municipality's clock, as the note's deadline (told the moment the call ends)
        attempt = self.store.attempt(fact.attempt)
        if attempt is None:
            log.warning("a call-back ended that bereik did not start (%s); ignored", fact.attempt)
            return None
        result = outcome_of(fact, at, self.config.callbacks)
        self.store.end_attempt(attempt.id, result.outcome, at, result.answered_at, fact.talk_seconds)
        if result.closes:
            self.store.set_answered(attempt.note_id, result.answered_at)
            self.store.close_note(attempt.note_id, CALLED_BACK, attempt.actor, at)
        log.info("call-back %s of note %s: %s", attempt.id, attempt.note_id, result.outcome)
        return self.store.get(attempt.note_id)
