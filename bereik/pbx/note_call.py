"""A call-back note dialled from the console: the owner's own phone first, then the caller's.

The person the note is for presses one button; bereik writes a call file (bereik.pbx.call_files) that
rings their phone (dialplan context bereik-callback-owner), and once they answer its other half asks
bereik whom to ring (FastAGI `callback`, bereik.pbx.callback) and rings the caller through the trunk
with the department's outgoing number. The attempt is written before the phone rings; how it ended
comes back with the dialplan's UserEvent (bereik.callbacks.outcomes).
"""
from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Callable

from bereik.callbacks.lifecycle import FAILED
from bereik.callbacks.store import Attempt, CallbackStore
from bereik.calllog import CallLog, mask_number
from bereik.config.model import Config
from bereik.pbx import variables as var
from bereik.pbx.call_files import CallFileError, CallFiles
from bereik.pbx.dialplan import CALLBACK_OUT_CONTEXT, CALLBACK_OWNER_CONTEXT
from bereik.routing.outbound import OutboundPolicy
from bereik.routing.virtual_hold import callable_number

Clock = Callable[[], dt.datetime]
EXTENSION_DIGITS = frozenset("0123456789")


class DialRefused(Exception):
    """Why a note cannot be dialled now, in the console's words (Dutch)."""


class NoteCaller:
    def __init__(self, config: Config, store: CallbackStore, clock: Clock, call_files: CallFiles | None = None):
        self.config, self.store, self.clock = config, store, clock
        self.call_files = call_files or CallFiles(config.pbx.call_files)

    async def dial(self, note_id: int, actor: str, extension: str) -> Attempt:
        """Ring `extension` (the person pressing the button), then the note's number. `actor`: their login."""
        note = await asyncio.to_thread(self.store.get, note_id)
        if note is None:
            raise DialRefused("deze notitie bestaat niet")
        if note.closed:
            raise DialRefused("deze notitie is al gesloten")
        if not OutboundPolicy.from_config(self.config).verdict(note.number or "").allowed and note.number:
            raise DialRefused("bereik belt dit nummer niet: het valt buiten de nummers die de gemeente naar buiten "
                              "toestaat (zoals 0900 of het buitenland); sluit de notitie met een reden")
        if not callable_number(note.number, self.config):
            raise DialRefused("dit nummer kan niet worden teruggebeld; sluit de notitie met een reden")
        if not extension or not set(extension) <= EXTENSION_DIGITS:
            raise DialRefused("u heeft geen eigen toestel in bereik; vraag de beheerder uw toestel in te stellen")
        if not self.config.pbx.trunk:
            raise DialRefused("bereik kan niet naar buiten bellen: er is geen trunk ingesteld")
        attempt = Attempt(f"n-{uuid.uuid4().hex[:16]}", note.id, actor, extension, self.clock())
        await asyncio.to_thread(self.store.start_attempt, attempt)
        ring = self.config.callbacks.owner_ring_seconds
        try:
            await asyncio.to_thread(
                self.call_files.start, attempt.id, f"{note.id}@{CALLBACK_OWNER_CONTEXT}", CALLBACK_OUT_CONTEXT,
                str(note.id), {var.CALLBACK: str(note.id), var.CALLBACK_FOR: note.number, var.OWNER: extension,
                               var.ATTEMPT: attempt.id, var.RING_SECONDS: str(ring)}, ring + 5)
        except CallFileError as error:
            await asyncio.to_thread(self.store.end_attempt, attempt.id, FAILED, self.clock(), None, None)
            raise DialRefused("bereik kon het gesprek niet starten; probeer het over een minuut opnieuw") from error
        CallLog(attempt.id).step("callback", outcome="ringing_owner", note=note.id, owner=extension,
                                 caller=mask_number(note.number))
        return attempt
