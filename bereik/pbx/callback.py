"""FastAGI `callback`: the phone rung first has answered (a free agent for a waiting caller's call-back, or
the note's owner); bereik says whom to ring now (dialplan context bereik-callback-out).

The number comes from the note in bereik's store, never from the channel, and only a number that can
be called back is rung. The caller sees the department's outgoing number (its `caller_id`), or the
municipality's 14 number for the front office: Haarlem lost callers to call-backs from an unknown number.
Every call is an attempt of the note; how it ended comes back as the dialplan's UserEvent
(bereik.callbacks.outcomes).
"""
from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable

from bereik.callbacks.store import Attempt, CallbackStore, Note
from bereik.calllog import CallLog, mask_number
from bereik.config.model import Config
from bereik.pbx import variables as var
from bereik.pbx.agi import AgiSession
from bereik.pbx.voice import Voice
from bereik.records.store import CONNECT_TIMEOUT_SECONDS
from bereik.routing.virtual_hold import callable_number

Clock = Callable[[], dt.datetime]
QUEUE_ACTOR = "queue"  # a waiting caller's call-back, taken by whichever agent was free
AGENT_WAITS, AGENT_POLL_SECONDS = 20, 0.05  # at most a second for the AMI event that names the agent
# Before the caller is rung the note is read and its attempt written, each perhaps on a store connection made
# first: the dialplan's watchdog (5 s by default, the store's connect timeout too) must not end the call-back
# while bereik waits for a slow store (ci43: the agent answered the stand-in, the watchdog hung up 5 s later).
STORE_SECONDS = 2 * CONNECT_TIMEOUT_SECONDS + AGENT_WAITS * AGENT_POLL_SECONDS


def outgoing_id(config: Config, note: Note) -> tuple[str, str]:
    """(number, name) the caller sees: the department's, or the municipality's 14 number."""
    department = next((d for d in config.departments if d.id == note.department), None)
    if department is not None and (department.caller_id or department.number):
        return department.caller_id or department.number, department.name
    return config.number, f"Gemeente {config.municipality}" if config.language == "nl" else config.municipality


class CallbackHandler:
    def __init__(self, config: Config, store: CallbackStore, clock: Clock,
                 agent_of: Callable[[str], str] = lambda note_id: ""):
        """`agent_of(note id)`: the agent who took a waiting caller's call-back (bereik.pbx.virtual_hold)."""
        self.config, self.store, self.clock, self.agent_of = config, store, clock, agent_of

    async def _agent(self, note_id: int) -> str:
        # This runs on the decision loop; the AgentConnect that names the agent is read on the main loop
        # and may come a few milliseconds after the answer that started this script.
        for _ in range(AGENT_WAITS):
            if agent := self.agent_of(str(note_id)):
                return agent
            await asyncio.sleep(AGENT_POLL_SECONDS)
        return ""

    async def __call__(self, session: AgiSession) -> None:
        call = CallLog(session.uniqueid or "unknown")
        await Voice.arm_watchdog(session, STORE_SECONDS)
        argument = session.environment.get("agi_arg_1", "")
        note = await asyncio.to_thread(self.store.get, int(argument)) if argument.isdigit() else None
        if note is None or note.closed or not callable_number(note.number, self.config):
            call.step("callback", outcome="nothing_to_call", note=argument)
            return  # not routed: the dialplan hangs up, the agent or owner hears the call end
        attempt_id = await session.get_variable(var.ATTEMPT) or f"q-{session.uniqueid}"
        if attempt_id.startswith("q-"):  # a waiting caller's: its attempt begins now, with the agent
            await asyncio.to_thread(self.store.start_attempt, Attempt(
                attempt_id, note.id, QUEUE_ACTOR, await self._agent(note.id) or QUEUE_ACTOR, self.clock()))
        number, name = outgoing_id(self.config, note)
        await session.set_variable("CALLERID(num)", number)
        await session.set_variable("CALLERID(name)", name)
        await Voice.hand_over(session, {var.ATTEMPT: attempt_id, var.DIAL_NUMBER: note.number,
                                        var.RING_SECONDS: str(self.config.waiting.callback_ring_seconds)})
        call.step("callback", outcome="ringing_caller", note=note.id, attempt=attempt_id,
                  caller=mask_number(note.number), shown=number)
