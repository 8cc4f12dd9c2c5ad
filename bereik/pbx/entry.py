"""A call to the 14xxx number, from Asterisk's hand-over to the queue.

The story of one call, top to bottom:
1. Asterisk connects over FastAGI (dialplan: AGI(agi://.../entry)).
   The calamity switch, when on, is a fact the routing core gets with the time (bereik.calamity).
2. The routing core decides what the caller hears and where the call goes.
3. Questions (municipality, menu) are asked with Read(); the key goes back to the core.
   A caller who hangs up meanwhile is logged, and the stage left on the channel tells the records.
4. The final decision is written to channel variables, BEREIK_ROUTED last,
   and the dialplan carries it out (queue, forward, or hang up after the
   closing message). If bereik fails anywhere before that, the dialplan
   sends the caller to the front office.

A caller whose call-back is still planned hears so and is offered no second one; outside opening hours
a caller may ask for a call-back on the next working day (bereik.pbx.virtual_hold starts it then).
"""
from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable

from bereik.calamity import CalamitySwitch
from bereik.callbacks.store import AFTER_HOURS, CallbackStore, Note, WorkingDays
from bereik.calllog import CallLog, mask_number
from bereik.config.model import Config
from bereik.ivr.prompts import PromptLibrary
from bereik.pbx import variables as var
from bereik.pbx.decision import settings
from bereik.pbx.agi import AgiHangup, AgiSession
from bereik.pbx.voice import Voice
from bereik.records.summary import CALLBACK_REQUESTED
from bereik.routing.flow import Ask, CallerCallback, CallFlow, Decision, Enqueue, Forward, Hangup
from bereik.routing.hours import OpeningHours
from bereik.routing.virtual_hold import callable_number

Clock = Callable[[], dt.datetime]
Steps = Callable[[str, str, float, dict], None]


class EntryHandler:
    def __init__(self, config: Config, prompts: PromptLibrary, clock: Clock, calamity: CalamitySwitch | None = None,
                 *, callbacks: CallbackStore | None = None, steps: Steps = lambda *step: None):
        """`callbacks`: the call-back notes (None: this entry knows no call-backs); `steps`: adds a call-back
        request to the call's record (Recorder.add_step)."""
        self.config = config
        self.clock = clock
        self.calamity = calamity
        self.hours = OpeningHours(config)
        self.voice = Voice(prompts)
        self.callbacks = callbacks
        self.steps = steps

    async def __call__(self, session: AgiSession) -> None:
        call = CallLog(session.uniqueid or "unknown")
        number = session.environment.get("agi_callerid", "")
        dialled = session.environment.get("agi_extension", "")
        call.step("entry", dialled=dialled, caller=mask_number(number))

        now = self.clock()
        calamity = await self.calamity.in_force(now) if self.calamity else None
        flow = CallFlow(self.config, now, hours=self.hours, dialled=dialled or None, calamity=calamity,
                        callback=await self._callback_of(number))
        decision = flow.start()
        while isinstance(decision, Ask):
            # On the channel, so that Asterisk's hang-up event says where a caller who gave up was.
            await session.set_variable(var.STAGE, decision.stage)
            try:
                key = await self.voice.ask(session, decision.say, decision.timeout)
            except AgiHangup:
                call.step("hung_up", stage=decision.stage)
                return
            call.step(decision.stage, key=key or "none")
            decision = flow.pressed(key)

        if isinstance(decision, Hangup) and decision.callback:
            await self._after_hours_request(session.uniqueid, number)
        await self.voice.say(session, decision.say)
        await self.voice.hand_over(session, settings(self.config, decision))
        call.step("routed", **_summary(decision))

    async def _callback_of(self, number: str) -> CallerCallback:
        if self.callbacks is None or not self.config.waiting.callback_key or not callable_number(number):
            return CallerCallback()
        planned = await asyncio.to_thread(self.callbacks.open_request_of, number)
        return CallerCallback(number=number, planned=planned is not None)

    async def _after_hours_request(self, uniqueid: str, number: str) -> None:
        now = self.clock()
        note, new = await asyncio.to_thread(self.callbacks.add, Note(
            key=f"after-hours-{uniqueid}", number=number, name="",
            question=f"Terugbelverzoek buiten openingstijden, gevraagd om {now:%d-%m-%Y %H:%M}.",
            team=self.config.front_office, created_at=now,
            due_at=WorkingDays(self.config).deadline(now, self.config.console.callback_working_days),
            created_by="queue", kind=AFTER_HOURS, call_id=uniqueid))
        if new:
            self.steps(uniqueid, CALLBACK_REQUESTED, now.timestamp(), {"via": "after_hours", "note": note.id})
        CallLog(uniqueid).step("callback", outcome="after_hours", note=note.id, caller=mask_number(number))


def _summary(decision: Decision) -> dict[str, object]:
    match decision:
        case Enqueue():
            return {"action": "queue", "queue": decision.queue, "topic": decision.topic, "reason": decision.reason}
        case Forward():
            return {"action": "forward", "municipality": decision.municipality}
        case Hangup():
            return {"action": "hangup", "reason": decision.reason, "callback": decision.callback or None}
    return {}
