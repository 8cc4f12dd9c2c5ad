"""The call-back that keeps a waiting caller's place (virtual hold), on Asterisk.

The story of one caller:
1. Their waiting message (bereik.pbx.waiting) offers the call-back once the wait or the callers ahead
   pass the YAML's threshold (bereik.routing.virtual_hold); before that the key does nothing.
2. They press the call-back key: app_queue ignores it (the queue has no exit context); bereik sees it
   over AMI (DTMFEnd) and whispers the number back, digit by digit, asking for the confirm key. The
   caller is still in the queue, at their place, and an agent who frees up meanwhile takes the call.
3. They press the confirm key: bereik writes the note, marks the caller's channel with it and withdraws
   it from the queue (QueueWithdrawCaller). The dialplan (bereik-callback-left) at once puts a stand-in
   in the queue at the caller's place, then says goodbye and hangs up.
   Where the YAML offers appointments for the caller's topic (callbacks.appointments), the calendars are
   read while the number is read back, and the confirmed caller first hears the free times, still at
   their place: a time's key books it (an event in the colleague's calendar, an appointment note) and the
   caller leaves with the time said, without a stand-in; the ordinary key, another key or none, a time
   taken meanwhile, or calendars that did not answer: the stand-in, as below.
4. The stand-in waits as the caller would have. When an agent takes it, the agent's console shows the
   original call, and the stand-in's other half rings the caller (bereik.pbx.callback), showing the
   municipality's number.

A caller who asked for a call-back and calls again is told at the entry (bereik.pbx.entry) and not offered
a second one. Asked for outside opening hours, the call-back waits for the opening: then bereik starts a
stand-in for each such request, in the order they were asked (a call file: bereik's AMI user cannot start
calls).
"""
from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Callable

from bereik import facts as f
from bereik.callbacks.appointments import CALENDAR_FAULTS, Appointments
from bereik.callbacks.store import AFTER_HOURS, IVR, QUEUE, CallbackStore, Note, WorkingDays
from bereik.calllog import CallLog, mask_number
from bereik.config.model import Config
from bereik.ivr.prompts import PromptLibrary
from bereik.pbx import variables as var
from bereik.pbx.ami import AmiClient, AmiError
from bereik.pbx.call_files import CallFileError, CallFiles
from bereik.pbx.dialplan import CALLBACK_HOLD_CONTEXT, CALLBACK_OUT_CONTEXT, STAND_IN_SECONDS
from bereik.pbx.facts import fact_of, is_callback_leg
from bereik.pbx.waiting import Announcer
from bereik.records.summary import CALLBACK_REQUESTED
from bereik.routing.estimate import Estimate
from bereik.routing.appointment_offer import Slot, booked, department_for, offer, taken
from bereik.routing.hours import OpeningHours
from bereik.routing.queue_state import Caller as WaitingCaller
from bereik.routing.virtual_hold import (Act, HoldKeys, StandIn, offer_due, offer_text, read_back_parts,
                                         stand_in)

log = logging.getLogger(__name__)

Clock = Callable[[], dt.datetime]
Steps = Callable[[str, str, float, dict], None]
PLACING_INTERVAL_SECONDS = 30.0


def question_for(config: Config, topic: str, since: dt.datetime, kind: str) -> str:
    where = "de wachtrij" if kind == QUEUE else "buiten openingstijden"
    return f"Terugbelverzoek uit {where}. Onderwerp: {topic or 'geen'}. Gevraagd om {since:%H:%M:%S}."


class VirtualHold:
    def __init__(self, config: Config, ami: AmiClient, announcer: Announcer, store: CallbackStore,
                 prompts: PromptLibrary, clock: Clock, *, steps: Steps = lambda *step: None,
                 now: Callable[[], float] = time.time, call_files: CallFiles | None = None,
                 appointments: Appointments | None = None):
        """`prompts`: the caller's goodbye, played by the dialplan after the withdrawal; `steps`: adds the
        request to the call's record (Recorder.add_step); `now`: epoch seconds, as AMI's; `call_files`:
        where stand-ins for after-hours requests are started (default: pbx.call_files); `appointments`: the
        calendars to offer times in (None: no Graph, or none offered)."""
        self.config, self.ami, self.announcer, self.store = config, ami, announcer, store
        self.prompts, self.clock, self.steps, self.now = prompts, clock, steps, now
        self.call_files = call_files or CallFiles(config.pbx.call_files)
        self.working_days = WorkingDays(config)
        self.keys: dict[str, HoldKeys] = {}  # waiting caller's channel -> its keys since the offer
        self.appointments = appointments
        self._looking: dict[str, asyncio.Future] = {}  # channel -> its appointment times being read
        # channel -> (caller, place) of a caller who confirmed and has not yet left or chosen: one who hangs up
        # before the times are said, or while they are, still gets the call-back it confirmed.
        self._confirmed: dict[str, tuple[WaitingCaller, int]] = {}
        self._agents: dict[str, str] = {}  # note id -> the agent who took its stand-in
        self._placing: asyncio.Task | None = None
        announcer.offer_for = self.offer_for

    def attach(self) -> None:
        self.ami.on_event("DTMFEnd", self._on_key)
        for name in ("QueueCallerJoin", "AgentConnect", "QueueCallerLeave", "QueueCallerAbandon"):
            self.ami.on_event(name, self._on_queue)

    def start(self) -> None:
        self._placing = asyncio.ensure_future(self._place_periodically())

    def close(self) -> None:
        if self._placing:
            self._placing.cancel()

    def agent_of(self, note_id: str) -> str:
        """The agent whose answer started this note's call-back (asked once, by bereik.pbx.callback)."""
        return self._agents.pop(note_id, "")

    # --- 1. the offer -------------------------------------------------------------------------

    async def offer_for(self, channel: str, estimate: Estimate) -> str:
        """The offer to add to this caller's waiting message now, or ""."""
        caller = self.announcer.state.caller(channel)
        if caller is None or not self.config.pbx.trunk or not offer_due(self.config, estimate):
            return ""
        keys = self.keys.setdefault(channel, HoldKeys.for_caller(self.config, caller.caller_number))
        if not keys.number_callable:
            return ""  # a hidden number is never offered what cannot be kept
        if await asyncio.to_thread(self.store.open_request_of, caller.caller_number):
            return ""  # one call-back per caller: this one is planned already
        keys.offer(self.now())
        return offer_text(self.config)

    # --- 2. and 3. the keys -------------------------------------------------------------------

    def _on_key(self, event: dict[str, str]) -> None:
        fact = fact_of(event)
        if not isinstance(fact, f.KeyPressed) or fact.channel not in self.keys:
            return  # a key in a menu, or in the queue before any offer: nothing happens
        caller = self.announcer.state.caller(fact.channel)
        if caller is None:
            return
        act = self.keys[fact.channel].pressed(fact.key, self.now())
        CallLog(caller.leg).step("callback_key", key=fact.key, act=act.value)
        if act is Act.READ_BACK:
            asyncio.ensure_future(self._read_back(fact.channel, caller.caller_number))
            self._look_up_times(fact.channel, caller.topic)
        elif act is Act.NO_NUMBER:
            asyncio.ensure_future(self._say(fact.channel, self.config.waiting.callback_no_number))
        elif act is Act.CONFIRM and self.keys[fact.channel].choosing_until is None:
            self._confirmed[fact.channel] = (caller, self.announcer.state.position(fact.channel) or 1)
            asyncio.ensure_future(self._offer_times(fact.channel))  # the confirm key: the times first, if any
        elif act is Act.CONFIRM:
            asyncio.ensure_future(self._confirm(fact.channel))  # the ordinary key, or another, at the times
        elif act is Act.APPOINTMENT:
            asyncio.ensure_future(self._book(fact.channel, self.keys[fact.channel].chosen_slot(fact.key)))

    async def _say(self, channel: str, text: str | list[str]) -> None:
        try:
            await self.announcer.whisper(channel, text)
        except AmiError as error:
            log.warning("could not speak to a waiting caller: %s", error)

    async def _read_back(self, channel: str, number: str) -> None:
        parts = read_back_parts(self.config, number)
        seconds = sum([await asyncio.to_thread(self.announcer.prompts.seconds, part) for part in parts])
        keys = self.keys[channel]
        keys.asking(self.now(), seconds)
        self.announcer.quiet[channel] = keys.asking_until  # no waiting message talks over it
        await self._say(channel, parts)

    # --- 3b. the appointment times, where the YAML offers them ------------------------------------

    def _look_up_times(self, channel: str, topic: str) -> None:
        department = department_for(self.config, topic)
        if department is None or self.appointments is None or channel in self._looking:
            return
        wanted = self.config.callbacks.appointments
        self._looking[channel] = asyncio.ensure_future(asyncio.wait_for(self.appointments.department_times(
            department, self.clock(), wanted.slots, wanted.within_working_days), wanted.lookup_seconds))

    async def _offer_times(self, channel: str) -> None:
        """The number is confirmed: the free times, read meanwhile, or at once the ordinary call-back."""
        looking = self._looking.pop(channel, None)
        caller = self.announcer.state.caller(channel)
        department = department_for(self.config, caller.topic) if caller else None
        try:
            slots = await looking if looking is not None else []
        except CALENDAR_FAULTS as fault:
            log.warning("no appointment times offered, the calendars did not answer: %s", type(fault).__name__)
            slots = []
        times = offer(self.config, department, slots, self.clock()) if department and slots else None
        keys = self.keys.get(channel)
        if times is None or keys is None or self.announcer.state.caller(channel) is None:
            await self._confirm(channel)
            return
        seconds = sum([await asyncio.to_thread(self.announcer.prompts.seconds, text) for text in times.say])
        keys.choosing(times, self.now(), seconds)
        self.announcer.quiet[channel] = keys.choosing_until  # no waiting message talks over the times
        await self._say(channel, list(times.say))
        asyncio.get_running_loop().call_later(max(0.0, keys.choosing_until - self.now()) + 0.2, self._lapse, channel)

    def _lapse(self, channel: str) -> None:
        keys = self.keys.get(channel)
        if keys is not None and keys.lapsed(self.now()):
            asyncio.ensure_future(self._confirm(channel))  # no key in time: the ordinary call-back

    async def _book(self, channel: str, slot: Slot) -> None:
        """The chosen time in the colleague's calendar; the caller leaves the queue hearing it, no stand-in.
        Refused (taken meanwhile, Graph failed): told, and the ordinary call-back keeps the place."""
        self._confirmed.pop(channel, None)  # chosen: a hang-up from now on changes nothing
        caller = self.announcer.state.caller(channel)
        if caller is None:
            return  # an agent took the call meanwhile, or the caller hung up
        department = department_for(self.config, caller.topic)
        taken_at = self.clock()
        person = self.config.person(slot.extension)
        note = Note(key=f"queue-appointment-{caller.leg}", number=caller.caller_number, name="",
                    question=question_for(self.config, caller.topic, taken_at, QUEUE) + " Belafspraak gekozen.",
                    team=department.id, created_at=taken_at, due_at=slot.start, created_by=IVR,
                    for_person=person.name if person else "", department=department.id, call_id=caller.leg,
                    mailbox=self.config.console.team_mailboxes.get(department.id, ""))
        try:
            stored = await asyncio.wait_for(self.appointments.book(slot.mailbox, slot.start, note, owner=slot.extension,
                                                                   by=IVR), 2 * self.config.callbacks.appointments.lookup_seconds)
        except CALENDAR_FAULTS as fault:
            CallLog(caller.leg).step("appointment", outcome="refused", why=type(fault).__name__)
            await self._confirm(channel, lead=taken(self.config))
            return
        self.steps(caller.leg, CALLBACK_REQUESTED, self.now(), {"via": "queue_appointment", "note": stored.id})
        CallLog(caller.leg).step("appointment", outcome="booked", note=stored.id, at=slot.start.isoformat(),
                                 colleague=slot.extension, caller=mask_number(caller.caller_number))
        goodbye, _ = await asyncio.to_thread(self.prompts.ensure, booked(self.config, slot, taken_at))
        try:  # marked with its note (withdrawn, not given up) and as an appointment: the dialplan starts no stand-in
            for name, value in ((var.CALLBACK, stored.id), (var.APPOINTMENT, 1)):
                await self.ami.action("Setvar", Channel=channel, Variable=name, Value=value)
            await self.ami.action("QueueWithdrawCaller", Queue=self.announcer.queue, Caller=channel,
                                  WithdrawInfo=goodbye.split("/", 1)[1])
        except AmiError as error:
            log.warning("could not take caller %s out of the queue after its appointment: %s", caller.leg, error)
        self.keys.pop(channel, None)

    async def _confirm(self, channel: str, lead: str = "") -> None:
        self._confirmed.pop(channel, None)  # decided: the ordinary call-back
        caller = self.announcer.state.caller(channel)
        if caller is None:
            return  # connected to an agent, or gone meanwhile (a confirmed caller's hang-up: _on_queue)
        if await asyncio.to_thread(self.store.open_request_of, caller.caller_number):
            await self._say(channel, self.config.waiting.callback_already_planned)
            return
        place = self.announcer.state.position(channel) or 1
        note, seat = await self._queue_note(caller, place)
        goodbye, _ = await asyncio.to_thread(self.prompts.ensure,
                                             f"{lead} {self.config.waiting.callback_confirmed}".strip())
        try:
            for name, value in ((var.CALLBACK, note.id), (var.POSITION, seat.position),
                                (var.STAND_IN_TOPIC, seat.topic)):
                await self.ami.action("Setvar", Channel=channel, Variable=name, Value=value)
            await self.ami.action("QueueWithdrawCaller", Queue=self.announcer.queue, Caller=channel,
                                  WithdrawInfo=goodbye.split("/", 1)[1])
        except AmiError as error:
            # The note stands: the front office calls back from it (the caller may have hung up meanwhile).
            log.warning("could not take caller %s out of the queue for its call-back: %s", caller.leg, error)
        self.keys.pop(channel, None)

    async def _queue_note(self, caller: WaitingCaller, place: int) -> tuple[Note, StandIn]:
        """The confirmed caller's note, and where its stand-in waits."""
        now = self.now()
        queued_at = dt.datetime.fromtimestamp(caller.joined_at, self.config.zone)
        taken = self.clock()  # the municipality's time, as every deadline
        seat = stand_in(self.config, place, caller.topic, now - caller.joined_at)
        note, new = await asyncio.to_thread(self.store.add, Note(
            key=f"queue-{caller.leg}", number=caller.caller_number, name="",
            question=question_for(self.config, caller.topic, queued_at, QUEUE), team=self.config.front_office,
            created_at=taken, due_at=self.working_days.deadline(taken, self.config.console.callback_working_days),
            created_by="queue", kind=QUEUE, call_id=caller.leg,
            extra={"topic": caller.topic, "queued_at": caller.joined_at, "position": place}))
        if new:
            self.steps(caller.leg, CALLBACK_REQUESTED, now, {"via": "queue", "note": note.id})
        CallLog(caller.leg).step("callback", outcome="confirmed", note=note.id, position=place,
                                 caller=mask_number(caller.caller_number))
        return note, seat

    async def _hung_up(self, caller: WaitingCaller, place: int) -> None:
        """The caller confirmed the number and hung up before choosing a time: the ordinary call-back, its
        stand-in started by a call file (the caller's channel is gone) at the caller's place."""
        if await asyncio.to_thread(self.store.open_request_of, caller.caller_number):
            return
        note, seat = await self._queue_note(caller, place)
        try:
            await asyncio.to_thread(self.call_files.start, f"stand-in-{note.id}",
                                    f"{note.id}@{CALLBACK_HOLD_CONTEXT}", CALLBACK_OUT_CONTEXT, str(note.id),
                                    {var.CALLBACK: str(note.id), var.CALLBACK_FOR: note.number,
                                     var.POSITION: str(seat.position), var.TOPIC: seat.topic,
                                     var.QUEUED_AT: str(int(caller.joined_at))}, STAND_IN_SECONDS)
        except CallFileError as error:
            log.error("could not start the call-back of note %s: %s", note.id, error)  # the note stands

    # --- 4. the stand-in ----------------------------------------------------------------------

    def _on_queue(self, event: dict[str, str]) -> None:
        fact = fact_of(event)
        channel = getattr(fact, "channel", "")
        if isinstance(fact, (f.QueueLeft, f.QueueAbandoned)):
            keys = self.keys.pop(channel, None)
            if looking := self._looking.pop(channel, None):
                looking.cancel()
            confirmed = self._confirmed.pop(channel, None)
            if isinstance(fact, f.QueueAbandoned) and confirmed and keys and keys.undecided:
                asyncio.ensure_future(self._hung_up(*confirmed))
        note_id = event.get(f"ChanVariable({var.CALLBACK})", "")
        if not note_id.isdigit() or not is_callback_leg(event.get("Channel", "")):
            return
        if isinstance(fact, f.QueueJoined):
            self._note_step(note_id, "stand_in_waiting", {"position": fact.position})
        elif isinstance(fact, f.AgentConnected):
            self._agents[note_id] = fact.member
            self._note_step(note_id, "agent_answered", {"agent": fact.agent, "interface": fact.member})

    def _note_step(self, note_id: str, what: str, detail: dict) -> None:
        at = self.clock()
        asyncio.ensure_future(asyncio.to_thread(self.store.add_step, int(note_id), what, at, "queue", detail))

    # --- after hours: stand-ins at the opening ------------------------------------------------

    async def _place_periodically(self) -> None:
        while True:
            try:
                await self.place_waiting_requests()
            except Exception:
                log.exception("could not start the stand-ins of call-backs asked for after hours")
            await asyncio.sleep(PLACING_INTERVAL_SECONDS)

    async def place_waiting_requests(self) -> list[Note]:
        """While the front office is open: a stand-in in the queue for each after-hours request not yet
        placed, in the order they were asked, ahead of everyone who called since the opening."""
        if not OpeningHours(self.config).status(self.clock()).open:
            return []
        notes = await asyncio.to_thread(self.store.open_notes)
        waiting = sorted((n for n in notes if n.kind == AFTER_HOURS and not n.extra.get("placed")),
                         key=lambda n: n.created_at)
        for position, note in enumerate(waiting, start=1):
            try:
                await asyncio.to_thread(self.call_files.start, f"stand-in-{note.id}",
                                        f"{note.id}@{CALLBACK_HOLD_CONTEXT}", CALLBACK_OUT_CONTEXT, str(note.id),
                                        {var.CALLBACK: str(note.id), var.CALLBACK_FOR: note.number,
                                         var.POSITION: str(position), var.QUEUED_AT: str(int(note.created_at.timestamp()))},
                                        STAND_IN_SECONDS)
            except CallFileError as error:
                log.error("could not start the call-back of note %s: %s", note.id, error)
                continue
            await asyncio.to_thread(self.store.update_extra, note.id, {"placed": self.clock().isoformat()})
        return waiting
