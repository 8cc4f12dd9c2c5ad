"""Callers waiting for the front office: bereik's own messages, the live queue state, the overflow position.

The message reaches a caller who stays in Queue(): bereik whispers it through the caller's companion
(bereik.pbx.whisper), a channel bereik starts beside a waiting caller when it first has something to say,
spying on it in whisper mode. The caller never leaves the queue, so it keeps its place and an agent freeing up is
connected at once, mid-sentence; when the caller leaves the queue the companion is hung up, so the
agent never hears the rest. (Withdrawing the caller to play the message and putting it back would
hold the caller outside Queue() for the length of the message, when no agent can take it; a
per-caller music-on-hold class would need files rewritten per caller and estimate.)

`whisper(channel, text)` / `hush(channel)` are the interface for anyone who wants to speak to
a waiting caller (camp-on and the call-back key, for two). Whether a message offers the call-back
is asked of `offer_for` (bereik.pbx.virtual_hold sets it).
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from bereik import facts as f
from bereik.calllog import CallLog
from bereik.config.model import Config
from bereik.ivr.prompts import PromptLibrary
from bereik.ivr.wait_message import wait_message
from bereik.pbx import members
from bereik.pbx.ami import AmiClient, AmiError
from bereik.pbx.dialplan import OVERFLOW_PENALTY
from bereik.pbx.facts import fact_of, is_callback_leg, queue_status
from bereik.pbx.whisper import Whispers
from bereik.routing.estimate import Estimate, estimate_wait
from bereik.routing.queue_state import QueueState
from bereik.routing.waiting import (
    AnnouncementSchedule,
    OverflowDecision,
    OverflowSwitch,
    penalty_plan,
    waiting_settings,
)

log = logging.getLogger(__name__)

OVERFLOW_OFF_REASON = "bereik: overflow off"


@dataclass(frozen=True)
class OverflowSwitched:
    """Told to every observer (wallboard, console) when the overflow position joins or leaves."""

    queue: str
    interface: str
    on: bool
    reason: str
    at: float
    callers: int


OverflowObserver = Callable[[OverflowSwitched], None]
# (caller channel, its estimate) -> the call-back offer to add to its message, or "".
OfferFor = Callable[[str, Estimate], Awaitable[str]]


async def no_offer(channel: str, estimate: Estimate) -> str:
    return ""


class Announcer:
    def __init__(self, config: Config, ami: AmiClient, prompts: PromptLibrary, whispers: Whispers,
                 now: Callable[[], float] = time.time, observers: tuple[OverflowObserver, ...] = ()):
        self.config = config
        self.ami = ami
        self.whispers = whispers
        self.prompts = prompts
        self.now = now
        self.observers = list(observers)
        self.queue = config.front_office
        self.state = QueueState(self.queue, config.waiting.wrapup_seconds)
        self.schedule = AnnouncementSchedule.from_config(config.waiting)
        self.settings = waiting_settings(config)
        self.offer_for: OfferFor = no_offer
        self.quiet: dict[str, float] = {}  # caller channel -> until when no message interrupts (a number read back)
        self.overflow = OverflowSwitch.from_config(config.waiting)
        self.plan = penalty_plan(config)
        self.overflow_interfaces = [f"PJSIP/{p.extension}" for p in config.queue(self.queue).positions if p.overflow]
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._sounds: dict[str, str] = {}
        self.announcements = 0

    def attach(self) -> None:
        for name in ("QueueCallerJoin", "QueueCallerLeave", "QueueCallerAbandon", "QueueMemberStatus",
                     "QueueMemberAdded", "QueueMemberRemoved", "QueueMemberPause", "AgentComplete"):
            self.ami.on_event(name, self._on_event)
        self.ami.on_login(self.resync)

    def close(self) -> None:
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()

    # -- the interface for whoever speaks to a waiting caller -----------------------------------

    async def whisper(self, channel: str, text: str | Sequence[str]) -> bool:
        """Speak `text` (or several texts in a row) to `channel` without taking it out of what it is in
        (Queue(), a camp-on wait), after what it hears now. False: it has no companion to speak through."""
        sounds = [await self._sound(part) for part in ([text] if isinstance(text, str) else text)]
        return self.whispers.say(channel, "&".join(sounds))

    async def hush(self, channel: str) -> None:
        """Stop whatever is being whispered to `channel`, for good (it left the queue or the camp-on)."""
        await self.whispers.hush(channel)

    # -- waiting callers --------------------------------------------------------------------------

    async def resync(self) -> None:
        """After every AMI login: the queue as Asterisk has it now, and the overflow position set to match."""
        try:
            replies = await self.ami.action("QueueStatus", Queue=self.queue)
        except AmiError as error:
            log.warning("could not read queue %s: %s", self.queue, error)
            return
        now = self.now()
        self.state.load_status(queue_status(replies), now)
        for caller in self.state.callers:
            self._plan(caller.channel, now)
        await self._set_overflow(self.overflow.on, "bereik connected", force=True)
        await self._check_overflow()

    def _on_event(self, event: dict[str, str]) -> None:
        fact = fact_of(event)
        if fact is None:
            return
        now = self.now()
        channel = getattr(fact, "channel", "")
        if self.state.apply(fact, now) is None:
            return
        if isinstance(fact, f.QueueJoined):
            self._plan(channel, now)
        elif isinstance(fact, (f.QueueLeft, f.QueueAbandoned)):
            timer = self._timers.pop(channel, None)
            if timer:
                timer.cancel()  # its companion is hung up by bereik.pbx.whisper
            self.quiet.pop(channel, None)
        # Decided here, on every queue event; only a switch to make (AMI actions) becomes a task: a task per
        # event is main-loop work that the callers' decisions wait behind (python -m bench call_paths).
        if isinstance(fact, (f.QueueJoined, f.QueueLeft, f.QueueAbandoned, f.AgentCompleted)):
            decision = self._overflow_decision()
            if decision is not None:
                asyncio.ensure_future(self._set_overflow(decision.on, decision.reason))

    def _plan(self, channel: str, now: float) -> None:
        caller = self.state.caller(channel)
        if caller is None or is_callback_leg(channel):  # a stand-in for a caller called back hears nothing
            return
        previous = self._timers.pop(channel, None)
        if previous:
            previous.cancel()
        waited = now - caller.joined_at
        delay = self.schedule.next_after(waited) - waited
        self._timers[channel] = asyncio.get_running_loop().call_later(
            delay, lambda: asyncio.ensure_future(self._announce(channel)))

    async def _announce(self, channel: str) -> None:
        now = self.now()
        snapshot = self.state.snapshot(channel, now)
        if snapshot is None:
            return
        self._plan(channel, now + 0.001)  # the next one, counted from the entry: no drift
        if self.quiet.get(channel, 0.0) > now:
            return
        estimate = estimate_wait(snapshot, now)
        offer = await self.offer_for(channel, estimate)
        text = " ".join(part for part in (wait_message(estimate, self.settings), offer) if part)
        if not await self.whisper(channel, text):
            return
        self.announcements += 1
        caller = self.state.caller(channel)
        CallLog(caller.leg if caller else channel).step(
            "announced", queue=self.queue, position=estimate.position, waited=round(snapshot.waited_seconds, 1),
            wait=None if estimate.wait_seconds is None else round(estimate.wait_seconds),
            certain=estimate.certain)

    async def _sound(self, text: str) -> str:
        name = self._sounds.get(text)
        if name is None:
            name, _ = await asyncio.to_thread(self.prompts.ensure, text)
            self._sounds[text] = name
        return name

    # -- the overflow position --------------------------------------------------------------------

    def expected_wait_of_last(self, now: float) -> float | None:
        if not self.state.callers:
            return 0.0
        snapshot = self.state.snapshot(self.state.callers[-1].channel, now)
        return estimate_wait(snapshot, now).wait_seconds

    async def _check_overflow(self) -> None:
        decision = self._overflow_decision()
        if decision is not None:
            await self._set_overflow(decision.on, decision.reason)

    def _overflow_decision(self) -> OverflowDecision | None:
        if not self.overflow_interfaces:
            return None
        now, callers = self.now(), len(self.state.callers)
        # The estimate costs a gap per caller in line (and a sort of the recent calls after one ended): made only
        # when it can decide, which a line long enough to keep the position on never needs.
        wait = self.expected_wait_of_last(now) if self.overflow.needs_wait(callers, now) else None
        return self.overflow.update(callers, wait, now)

    async def _set_overflow(self, on: bool, reason: str, force: bool = False) -> None:
        for interface in self.overflow_interfaces:
            extension = interface.split("/", 1)[1]
            penalty = self.plan.slots[extension] if on else OVERFLOW_PENALTY
            try:
                # Off: paused, so that app_queue does not count it as available and let a later caller
                # take a turn ahead of the first; and parked above every caller's penalty range.
                await members.set_penalty(self.ami, self.queue, interface, penalty)
                await members.set_paused(self.ami, [self.queue], interface, not on, "" if on else OVERFLOW_OFF_REASON)
            except AmiError as error:
                log.warning("could not switch the overflow position %s: %s", interface, error)
                continue
            if force:
                continue
            switched = OverflowSwitched(self.queue, interface, on, reason, self.now(), len(self.state.callers))
            CallLog(f"overflow-{self.queue}").step("overflow", interface=interface, on=on, reason=reason,
                                                   callers=switched.callers)
            for observer in self.observers:
                try:
                    observer(switched)
                except Exception:
                    log.exception("overflow observer failed")
