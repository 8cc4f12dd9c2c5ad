"""A waiting caller pressed the call-back key (dialplan context bereik-queue-exit).

bereik records one call-back task for this call (the channel's uniqueid is the idempotency
key: a second press, a retried AGI or a replay never makes a second task), with the caller's
topic and first queue entry time, and reads the number back digit by digit. Without a
number to call, the caller returns to the queue at the place it left.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections.abc import Callable

from bereik.callbacks.store import CallbackStore, Note, WorkingDays
from bereik.calllog import CallLog, mask_number
from bereik.config.model import Config
from bereik.ivr.prompts import PromptLibrary
from bereik.pbx import variables as var
from bereik.pbx.agi import AgiSession
from bereik.pbx.voice import Voice
from bereik.records.summary import CALLBACK_REQUESTED
from bereik.routing.waiting import confirmation_parts

Clock = Callable[[], dt.datetime]
Steps = Callable[[str, str, float, dict], None]
_CALLABLE = re.compile(r"^\+?[0-9]{6,15}$")  # anonymous, internal or garbled numbers cannot be called back


class CallbackHandler:
    def __init__(self, config: Config, store: CallbackStore, prompts: PromptLibrary, clock: Clock,
                 place_of: Callable[[str], int | None] = lambda channel: None, steps: Steps = lambda *step: None):
        """`place_of(channel)`: where that caller stood in the queue when it left (the announcer knows);
        `steps(uniqueid, what, at, detail)`: adds the request to the call's record (Recorder.add_step)."""
        self.config = config
        self.store = store
        self.voice = Voice(prompts)
        self.clock = clock
        self.place_of = place_of
        self.steps = steps
        self.working_days = WorkingDays(config)

    async def __call__(self, session: AgiSession) -> None:
        call = CallLog(session.uniqueid or "unknown")
        number = session.environment.get("agi_callerid", "")
        if not _CALLABLE.match(number):
            call.step("callback", outcome="no_number", caller=mask_number(number))
            await self.voice.say(session, [self.config.waiting.callback_no_number])
            place = self.place_of(session.channel)
            # Not routed: the dialplan puts the caller back in the queue, at its place.
            await session.execute("Set", f"{var.POSITION}={place or ''}")
            return
        topic = await session.get_variable(var.TOPIC) or ""
        queued_at = await session.get_variable(var.QUEUED_AT) or ""
        note, new = await asyncio.to_thread(self.store.add, self._note(session.uniqueid, number, topic, queued_at))
        call.step("callback", outcome="recorded" if new else "already_recorded", note=note.id,
                  caller=mask_number(number), topic=topic or None)
        if new:
            self.steps(session.uniqueid, CALLBACK_REQUESTED, self.clock().timestamp(), {"via": "queue", "note": note.id})
        await self.voice.say(session, confirmation_parts(self.config, number))
        await session.execute("Set", f"{var.ROUTED}=1")

    def _note(self, uniqueid: str, number: str, topic: str, queued_at: str) -> Note:
        now = self.clock()
        entered = dt.datetime.fromtimestamp(int(queued_at), self.config.zone) if queued_at.isdigit() else now
        question = (f"Terugbelverzoek uit de wachtrij. Onderwerp: {topic or 'geen'}. "
                    f"In de wachtrij sinds {entered:%H:%M:%S}.")
        return Note(key=f"queue-{uniqueid}", number=number, name="", question=question,
                    team=self.config.front_office, created_at=entered,
                    due_at=self.working_days.deadline(entered, self.config.console.callback_working_days),
                    created_by="queue")
