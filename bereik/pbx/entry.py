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
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from bereik.calamity import CalamitySwitch
from bereik.calllog import CallLog, mask_number
from bereik.config.model import Config
from bereik.ivr.prompts import PromptLibrary
from bereik.pbx import variables as var
from bereik.pbx.agi import AgiHangup, AgiSession
from bereik.pbx.voice import Voice
from bereik.routing.flow import Ask, CallFlow, Decision, Enqueue, Forward, Hangup
from bereik.routing.hours import OpeningHours

Clock = Callable[[], dt.datetime]


class EntryHandler:
    def __init__(self, config: Config, prompts: PromptLibrary, clock: Clock, calamity: CalamitySwitch | None = None):
        self.config = config
        self.clock = clock
        self.calamity = calamity
        self.hours = OpeningHours(config)
        self.voice = Voice(prompts)

    async def __call__(self, session: AgiSession) -> None:
        call = CallLog(session.uniqueid or "unknown")
        dialled = session.environment.get("agi_extension", "")
        call.step("entry", dialled=dialled, caller=mask_number(session.environment.get("agi_callerid", "")))

        now = self.clock()
        calamity = await self.calamity.in_force(now) if self.calamity else None
        flow = CallFlow(self.config, now, hours=self.hours, dialled=dialled or None, calamity=calamity)
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

        await self.voice.say(session, decision.say)
        await self.voice.hand_over(session, settings(self.config, decision))
        call.step("routed", **_summary(decision))


def settings(config: Config, decision: Decision) -> dict[str, str]:
    """A final decision as channel variables; the FreeSWITCH adapter sets the same (bereik.freeswitch.esl)."""
    match decision:
        case Enqueue(queue=queue, topic=topic, choice=choice, reason=reason):
            return {var.ACTION: var.ACTION_QUEUE, var.QUEUE: queue, var.TOPIC: topic or "",
                    var.CHOICE: choice or "", var.REASON: reason, var.MUNICIPALITY: config.municipality}
        case Forward(number=number, municipality=municipality):
            return {var.ACTION: var.ACTION_FORWARD, var.FORWARD_TO: number,
                    var.MUNICIPALITY: municipality, var.REASON: "other_municipality"}
        case Hangup(reason=reason):
            return {var.ACTION: var.ACTION_HANGUP, var.REASON: reason, var.MUNICIPALITY: config.municipality}
    raise ValueError(f"not a final decision: {decision!r}")


def _summary(decision: Decision) -> dict[str, object]:
    match decision:
        case Enqueue():
            return {"action": "queue", "queue": decision.queue, "topic": decision.topic, "reason": decision.reason}
        case Forward():
            return {"action": "forward", "municipality": decision.municipality}
        case Hangup():
            return {"action": "hangup", "reason": decision.reason}
    return {}
