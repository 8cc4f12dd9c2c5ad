"""A call to the 14xxx number, from Asterisk's hand-over to the queue.

The story of one call, top to bottom:
1. Asterisk connects over FastAGI (dialplan: AGI(agi://.../entry)).
   The calamity switch, when on, is a fact the routing core gets with the time (bereik.calamity).
2. The routing core decides what the caller hears and where the call goes.
3. Questions (municipality, menu) are asked with Read(); the key goes back to the core.
   A caller who hangs up meanwhile is logged, and the stage left on the channel tells the records.
4. The final decision is written to channel variables, BEREIK_ROUTED last,
   and the dialplan carries it out (forward, or hang up after the closing
   message); a caller for a queue bereik sends there itself. If bereik fails
   anywhere before that, the dialplan sends the caller to the front office.

A caller whose call-back is still planned hears so and is offered no second one; outside opening hours
a caller may ask for a call-back on the next working day (bereik.pbx.virtual_hold starts it then), or,
where the YAML offers appointments, choose a free time in a colleague's calendar: the calendars are read
while the number is read back, the chosen time is booked before the goodbye, and whatever fails there
leaves the caller with the ordinary call-back.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any


from bereik.calamity import CalamitySwitch
from bereik.callbacks.appointments import CALENDAR_FAULTS, Appointments
from bereik.callbacks.planned import PlannedCallbacks
from bereik.callbacks.store import AFTER_HOURS, IVR, CallbackStore, Note, WorkingDays
from bereik.calllog import CallLog, mask_number
from bereik.config.model import Config
from bereik.ivr.prompts import PromptLibrary
from bereik.pbx import variables as var
from bereik.pbx.decision import settings
from bereik.pbx.dialplan import QUEUE_CONTEXT
from bereik.pbx.agi import AgiHangup, AgiSession
from bereik.pbx.voice import Voice
from bereik.records.summary import CALLBACK_REQUESTED
from bereik.routing.appointment_offer import Offer, Slot, department_for, offer
from bereik.routing.flow import Ask, CallerCallback, CallFlow, Decision, Enqueue, Forward, Hangup, PutThrough, Stage
from bereik.routing.hours import OpeningHours
from bereik.routing.virtual_hold import callable_number

log = logging.getLogger(__name__)

# A planned call-back is read before the caller hears anything (ci45: a PostgreSQL connect over its 5 s failed
# the whole entry, and the caller fell open past the menu); a normal store answers in milliseconds.
CALLBACK_LOOKUP_SECONDS = 1.0

Clock = Callable[[], dt.datetime]
Steps = Callable[[str, str, float, dict], None]
OnMain = Callable[[Coroutine[Any, Any, Any]], Awaitable[Any]]


async def _here(coroutine: Coroutine[Any, Any, Any]) -> Any:
    return await coroutine


class EntryHandler:
    def __init__(self, config: Config, prompts: PromptLibrary, clock: Clock, calamity: CalamitySwitch | None = None,
                 *, callbacks: CallbackStore | None = None, steps: Steps = lambda *step: None,
                 appointments: Appointments | None = None, on_main: OnMain = _here):
        """`callbacks`: the call-back notes (None: this entry knows no call-backs); `steps`: adds a call-back
        request to the call's record (Recorder.add_step); `appointments`: the calendars to offer times in
        (None: no Graph); `on_main`: runs a coroutine where the Graph client lives (DecisionLoop.on_main)."""
        self.config = config
        self.clock = clock
        self.calamity = calamity
        self.hours = OpeningHours(config)
        self.voice = Voice(prompts)
        self.callbacks = callbacks
        self.planned = PlannedCallbacks(callbacks) if callbacks is not None else None
        self.steps = steps
        self.appointments = appointments
        self.on_main = on_main

    async def __call__(self, session: AgiSession) -> None:
        with CallLog(session.uniqueid or "unknown") as call:
            await self._route(session, call)

    async def _route(self, session: AgiSession, call: CallLog) -> None:
        number = session.environment.get("agi_callerid", "")
        dialled = session.environment.get("agi_extension", "")
        call.step("entry", dialled=dialled, caller=mask_number(number))

        now = self.clock()
        calamity = await self.calamity.in_force(now) if self.calamity else None
        flow = CallFlow(self.config, now, hours=self.hours, dialled=dialled or None, calamity=calamity,
                        callback=await self._callback_of(number))
        decision = flow.start()
        times: asyncio.Future | None = None
        try:
            while isinstance(decision, Ask):
                if decision.stage == Stage.CALLBACK_CONFIRM.value and times is None:
                    times = asyncio.ensure_future(self._times(now))  # while the number is read back
                # On the channel, so that Asterisk's hang-up event says where a caller who gave up was.
                await session.set_variable(var.STAGE, decision.stage)
                try:
                    key = await self.voice.ask(session, decision.say, decision.timeout)
                except AgiHangup:
                    call.step("hung_up", stage=decision.stage)
                    if decision.stage == Stage.APPOINTMENT.value:  # the number was confirmed: that call-back stands
                        await self._after_hours_request(session.uniqueid, number)
                    return
                call.step(decision.stage, key=key or "none")
                if flow.stage is Stage.CALLBACK_CONFIRM and times is not None:
                    flow.times_found(await times)
                decision = flow.pressed(key)
        finally:
            if times is not None and not times.done():
                times.cancel()

        if isinstance(decision, Hangup) and decision.appointment is not None:
            if not await self._book(session.uniqueid, number, decision.appointment):
                decision = flow.appointment_refused()
        if isinstance(decision, Hangup) and decision.callback:
            await self._after_hours_request(session.uniqueid, number)
        await self.voice.say(session, decision.say)
        # The entry cleared every output (dialplan: bereik-entry): an empty one need not be set again, and each set
        # is a task of Asterisk's one AMI thread (bench.call_paths).
        outputs = {name: value for name, value in settings(self.config, decision).items() if value}
        queue = (QUEUE_CONTEXT, outputs[var.QUEUE], "1") if outputs[var.ACTION] == var.ACTION_QUEUE else None
        await self.voice.hand_over(session, outputs, go_to=queue)
        call.step("routed", **_summary(decision))

    async def _callback_of(self, number: str) -> CallerCallback:
        if self.planned is None or not self.config.waiting.callback_key or not callable_number(number, self.config):
            return CallerCallback()
        try:
            async with asyncio.timeout(CALLBACK_LOOKUP_SECONDS):
                await self.planned.refresh()
        except Exception as error:  # the store slow or away: the caller, in silence meanwhile, gets the menu
            log.warning("call-back store did not answer whether a call-back is planned (%s); the caller is "
                        "offered the menu as if none were", type(error).__name__)
            return CallerCallback(number=number)
        planned = self.planned.of(number)
        return CallerCallback(number=number, planned=planned is not None,
                              planned_at=planned.appointment_at if planned is not None else None)

    async def _times(self, now: dt.datetime) -> Offer | None:
        """The free times to offer after hours (the department for requests without a topic), or None."""
        department = department_for(self.config, None)
        if department is None or self.appointments is None:
            return None
        wanted = self.config.callbacks.appointments
        try:
            slots = await self.on_main(asyncio.wait_for(self.appointments.department_times(
                department, now, wanted.slots, wanted.within_working_days), wanted.lookup_seconds))
        except CALENDAR_FAULTS as fault:
            log.warning("no appointment times offered, the calendars did not answer: %s", type(fault).__name__)
            return None
        return offer(self.config, department, slots, now)

    async def _book(self, uniqueid: str, number: str, slot: Slot) -> bool:
        """The chosen time in the colleague's calendar and the note; False when it could not be booked."""
        now = self.clock()
        department = department_for(self.config, None)
        person = self.config.person(slot.extension)
        note = Note(key=f"ivr-appointment-{uniqueid}", number=number, name="",
                    question=f"Belafspraak gemaakt in het keuzemenu buiten openingstijden, om {now:%d-%m-%Y %H:%M}.",
                    team=department.id, created_at=now, due_at=slot.start, created_by=IVR,
                    for_person=person.name if person else "", department=department.id, call_id=uniqueid,
                    mailbox=self.config.console.team_mailboxes.get(department.id, ""))
        try:
            booked = await self.on_main(asyncio.wait_for(self.appointments.book(
                slot.mailbox, slot.start, note, owner=slot.extension, by=IVR),
                2 * self.config.callbacks.appointments.lookup_seconds))
        except CALENDAR_FAULTS as fault:
            CallLog(uniqueid).step("appointment", outcome="refused", why=type(fault).__name__)
            return False
        self.steps(uniqueid, CALLBACK_REQUESTED, now.timestamp(), {"via": "appointment", "note": booked.id})
        CallLog(uniqueid).step("appointment", outcome="booked", note=booked.id, at=slot.start.isoformat(),
                               colleague=slot.extension, caller=mask_number(number))
        return True

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
        case PutThrough():
            return {"action": "outside", "organisation": decision.organisation, "choice": decision.choice}
        case Hangup():
            return {"action": "hangup", "reason": decision.reason, "callback": decision.callback or None}
    return {}
