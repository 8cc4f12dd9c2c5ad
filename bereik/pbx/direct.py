"""A call to one colleague, handed to bereik at each step (dialplan context bereik-direct).

1. start: whom the number reaches, their phone's state and who stands in for
   them now (the absence book: absence, own forward, do-not-disturb, desk and
   mobile together) go into `DirectCall`; the decision comes back (ring, offer
   camp-on, fall back).
2. rang / waited: after Dial() or the camp-on queue, DIALSTATUS or QUEUESTATUS
   goes in; the next decision comes back.
3. hungup: the caller hung up while the call was ringing or waiting; recorded.

bereik keeps nothing in memory between hand-overs: the stage and the attempt
travel on the channel, so a restart of bereik between two steps loses nothing.
Every step is one structured log line (`direct`), the attempt's record.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from bereik.calllog import CallLog, mask_number
from bereik.config.model import Config
from bereik.ivr.prompts import PromptLibrary
from bereik.pbx import variables as var
from bereik.pbx.agi import AgiError, AgiHangup, AgiSession
from bereik.pbx.dialplan import CAMP_QUEUE_PREFIX, mobile_dial
from bereik.pbx.voice import Voice
from bereik.presence.book import AbsenceBook
from bereik.routing.direct import (
    Attempt,
    Away,
    CampOn,
    Decision,
    DirectCall,
    Diversion,
    Done,
    Facts,
    Fallback,
    OfferCampOn,
    Origin,
    Ring,
    Stage,
    attempt_for,
)
from bereik.routing.stand_in import Taker

Clock = Callable[[], dt.datetime]

# The event the dialplan reports -> the stage bereik left the call in.
_RESUMED_STAGE = {"rang": Stage.RINGING, "waited": Stage.CAMPED}


class DirectHandler:
    def __init__(self, config: Config, prompts: PromptLibrary, clock: Clock, book: AbsenceBook | None = None):
        """`book`: who stands in for whom (absence, own forward, do-not-disturb); without it the desk rings."""
        self.config = config
        self.voice = Voice(prompts)
        self.clock = clock
        self.book = book

    async def __call__(self, session: AgiSession) -> None:
        event = session.environment.get("agi_arg_1", "")
        # After a hang-up the channel is in the h extension: the dialplan kept the number dialled.
        dialled = session.environment.get("agi_extension", "") if event == "start" else \
            await session.get_variable(var.DIALLED) or ""
        log = CallLog(session.uniqueid or "unknown")
        origin = _set_by_dialplan(Origin, await session.get_variable(var.ORIGIN) or Origin.OUTSIDE)
        attempt = attempt_for(self.config, dialled, origin, self.clock().isoformat(timespec="seconds"))
        if attempt is None:
            # Not ours (a stale dialplan): without BEREIK_ROUTED the dialplan fails open.
            log.step("direct", event=event, outcome="unknown_number", dialled=mask_number(dialled))
            return
        if event != "start":
            attempt = await self._attempt_on_channel(session, attempt)
        call = DirectCall(self.config, attempt, stage=await self._stage(session, event))
        caller = mask_number(session.environment.get("agi_callerid", ""))
        record = {"event": event, "caller": caller, "target": attempt.extension,
                  "department": attempt.department, "origin": attempt.origin.value}
        try:
            decision = await self._decide(session, call, event, record)
            while isinstance(decision, OfferCampOn):
                key = await self.voice.ask(session, decision.say, decision.timeout)
                record["camp_on_key"] = key or "none"
                decision = call.pressed(key)
            record.update(_summary(decision))
            await self._carry_out(session, call, decision)
        except AgiHangup:
            record.update(_summary(call.hung_up()))
        finally:  # the attempt's record, also when the dialplan takes the call back
            log.step("direct", via=call.attempt.via, **record)

    async def _decide(self, session: AgiSession, call: DirectCall, event: str, record: dict) -> Decision:
        extension = call.attempt.extension
        if event == "start":
            return call.start(await self._facts(session, extension))
        if event == "rang":
            status = await session.get_variable("DIALSTATUS") or ""
            record.update(status=status, ring_seconds=await self._ring_seconds(session))
            return call.rang(status, device=await self._device(session, extension))
        if event == "waited":
            status = await session.get_variable("QUEUESTATUS") or ""
            record.update(status=status)
            return call.waited(status, answered=bool(await session.get_variable("MEMBERINTERFACE")))
        if event == "hungup":
            # The call may have been answered before the caller hung up.
            if call.stage is Stage.RINGING:
                record.update(ring_seconds=await self._ring_seconds(session))
                if await session.get_variable("DIALSTATUS") == "ANSWER":
                    call.rang("ANSWER")
            elif call.stage is Stage.CAMPED and await session.get_variable("MEMBERINTERFACE"):
                call.waited("", answered=True)
            return call.hung_up()
        raise AgiError(f"unknown event {event[:20]!r} from the dialplan")

    async def _stage(self, session: AgiSession, event: str) -> Stage:
        if event == "start":
            return Stage.NEW
        if event == "hungup":
            return _set_by_dialplan(Stage, await session.get_variable(var.DIRECT_STAGE) or Stage.NEW)
        if event not in _RESUMED_STAGE:
            raise AgiError(f"unknown event {event[:20]!r} from the dialplan")
        return _RESUMED_STAGE[event]

    async def _attempt_on_channel(self, session: AgiSession, attempt: Attempt) -> Attempt:
        via = await session.get_variable(var.TRIED_VIA) or ""
        at = await session.get_variable(var.TRIED_AT) or attempt.at
        return Attempt(attempt.extension, attempt.name, attempt.department, attempt.origin, at, via)

    async def _facts(self, session: AgiSession, extension: str) -> Facts:
        device = await self._device(session, extension)
        if self.book is None:
            return Facts(device)
        taker = self.book.stand_in(extension)
        match taker.taker:
            case Taker.SUBSTITUTE:
                return Facts(device, away=Away(taker.until, taker.extension, taker.name,
                                               await self._device(session, taker.extension)))
            case Taker.FRONT_OFFICE if taker.absent:
                return Facts(device, away=Away(taker.until))
            case Taker.FRONT_OFFICE:
                return Facts(device, presence="dnd")
            case Taker.MOBILE:
                return Facts(device, diversion=Diversion(self.config.person(extension).mobile, mobile=True))
        return Facts(device, ring_mobile=taker.also_mobile)

    @staticmethod
    async def _device(session: AgiSession, extension: str) -> str:
        return await session.get_variable(f"DEVICE_STATE(PJSIP/{extension})") or "UNKNOWN"

    @staticmethod
    async def _ring_seconds(session: AgiSession) -> float | None:
        """From the ringing's start until the answer, or until it stopped: the dialplan's clock stamps,
        less the talk (Dial's g option returns after an answered call)."""
        began, ended, talked = [await session.get_variable(name)
                                for name in (var.DIAL_BEGAN, var.DIAL_ENDED, "ANSWEREDTIME_MS")]
        try:
            return round(max(0.0, float(ended) - float(began) - int(talked or 0) / 1000), 1)
        except (TypeError, ValueError):
            return None

    async def _carry_out(self, session: AgiSession, call: DirectCall, decision: Decision) -> None:
        attempt = call.attempt
        settings = {var.TRIED: attempt.extension, var.TRIED_VIA: attempt.via, var.TRIED_AT: attempt.at,
                    var.DEPARTMENT: attempt.department}
        match decision:
            case Ring(to=to, external=external, seconds=seconds, say=say, also_mobile=also_mobile):
                await self.voice.say(session, say)
                # The mobile is always the person's own, as the YAML has it: bereik never dials a number it was given.
                if external:
                    dial = mobile_dial(attempt.extension)
                else:
                    dial = f"PJSIP/{to}&{mobile_dial(to)}" if also_mobile else f"PJSIP/{to}"
                settings |= {var.ACTION: var.ACTION_RING, var.DIAL: dial, var.RING_SECONDS: str(seconds)}
            case CampOn(extension=extension, seconds=seconds):
                settings |= {var.ACTION: var.ACTION_CAMP, var.CAMP_QUEUE: f"{CAMP_QUEUE_PREFIX}{extension}",
                             var.CAMP_SECONDS: str(seconds)}
            case Fallback(say=say, queue=queue, reason=reason):
                await self.voice.say(session, say)
                settings |= {var.FAILED: reason.value, var.REASON: "direct"}
                settings |= {var.ACTION: var.ACTION_QUEUE, var.QUEUE: queue} if queue else \
                    {var.ACTION: var.ACTION_HANGUP}
            case Done():
                settings |= {var.ACTION: var.ACTION_HANGUP}
        settings[var.DIRECT_STAGE] = call.stage.value
        await self.voice.hand_over(session, settings)


def _set_by_dialplan(kind: type[Origin | Stage], value: str) -> Origin | Stage:
    """A value bereik's own dialplan set; anything else (a stale or edited dialplan) hands the call back."""
    try:
        return kind(value)
    except ValueError:
        raise AgiError(f"the dialplan set an unknown {kind.__name__}: {value[:20]!r}") from None


def _summary(decision: Decision) -> dict[str, object]:
    match decision:
        case Ring():
            return {"action": "ring", "to": mask_number(decision.to) if decision.external else decision.to,
                    "ring_for": decision.seconds, "also_mobile": decision.also_mobile}
        case CampOn():
            return {"action": "camp_on", "max_seconds": decision.seconds}
        case Fallback():
            return {"action": "fallback", "queue": decision.queue or "", "outcome": decision.reason.value}
        case Done():
            return {"action": "end", "outcome": decision.outcome}
    return {}
