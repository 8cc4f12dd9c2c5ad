"""A call to the 14xxx number, from Asterisk's hand-over to the queue.

The story of one call, top to bottom:
1. Asterisk connects over FastAGI (dialplan: AGI(agi://.../entry)).
2. The routing core decides what the caller hears and where the call goes.
3. Questions (municipality, menu) are asked with Read(); the key goes back to the core.
4. The final decision is written to channel variables, BEREIK_ROUTED last,
   and the dialplan carries it out (queue, forward, or hang up after the
   closing message). If bereik fails anywhere before that, the dialplan
   sends the caller to the front office.
"""
from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable

from bereik.calllog import CallLog, mask_number
from bereik.config.model import Config
from bereik.ivr.prompts import PromptLibrary
from bereik.pbx import variables as var
from bereik.pbx.agi import AgiSession
from bereik.routing.flow import Ask, CallFlow, Decision, Enqueue, Forward, Hangup
from bereik.routing.hours import OpeningHours

Clock = Callable[[], dt.datetime]


class EntryHandler:
    def __init__(self, config: Config, prompts: PromptLibrary, clock: Clock):
        self.config = config
        self.prompts = prompts
        self.clock = clock
        self.hours = OpeningHours(config)
        self._known_sounds: dict[str, str] = {}

    async def __call__(self, session: AgiSession) -> None:
        call = CallLog(session.uniqueid or "unknown")
        call.step("entry", dialled=session.environment.get("agi_extension", ""),
                  caller=mask_number(session.environment.get("agi_callerid", "")))

        flow = CallFlow(self.config, self.clock(), hours=self.hours)
        decision = flow.start()
        while isinstance(decision, Ask):
            key = await self._ask(session, decision)
            call.step(decision.stage, key=key or "none")
            decision = flow.pressed(key)

        await self._carry_out(session, decision)
        call.step("routed", **_summary(decision))

    async def _ask(self, session: AgiSession, question: Ask) -> str | None:
        sounds = [await self._sound(text) for text in question.say]
        await session.execute(
            "Read", var.READ_RESULT, "&".join(sounds), "1", "", "1", f"{question.timeout:g}",
            timeout=question.timeout + 120,
        )
        key = await session.get_variable(var.READ_RESULT)
        return key[:1] if key else None

    async def _carry_out(self, session: AgiSession, decision: Decision) -> None:
        if decision.say:
            sounds = [await self._sound(text) for text in decision.say]
            await session.execute("Playback", "&".join(sounds), timeout=300)
        match decision:
            case Enqueue(queue=queue, topic=topic, choice=choice, reason=reason):
                settings = {var.ACTION: var.ACTION_QUEUE, var.QUEUE: queue, var.TOPIC: topic or "",
                            var.CHOICE: choice or "", var.REASON: reason,
                            var.MUNICIPALITY: self.config.municipality}
            case Forward(number=number, municipality=municipality):
                settings = {var.ACTION: var.ACTION_FORWARD, var.FORWARD_TO: number,
                            var.MUNICIPALITY: municipality, var.REASON: "other_municipality"}
            case Hangup(reason=reason):
                settings = {var.ACTION: var.ACTION_HANGUP, var.REASON: reason,
                            var.MUNICIPALITY: self.config.municipality}
        # One MSet, BEREIK_ROUTED last: one round trip instead of seven, and the
        # dialplan never sees ROUTED without the rest.
        await session.execute("MSet", *(f"{name}={value}" for name, value in settings.items()), f"{var.ROUTED}=1")

    async def _sound(self, text: str) -> str:
        """The sound name for a text, rendered now if `bereik prompts` has not done it."""
        name = self._known_sounds.get(text)
        if name is None:
            name, _ = await asyncio.to_thread(self.prompts.ensure, text)
            self._known_sounds[text] = name
        return name


def _summary(decision: Decision) -> dict[str, object]:
    match decision:
        case Enqueue():
            return {"action": "queue", "queue": decision.queue, "topic": decision.topic, "reason": decision.reason}
        case Forward():
            return {"action": "forward", "municipality": decision.municipality}
        case Hangup():
            return {"action": "hangup", "reason": decision.reason}
    return {}
