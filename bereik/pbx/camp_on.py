"""A caller waiting behind a colleague's call hears, every four rings, whom they are waiting for.

The caller stays in its camp-on queue (camp-<extension>) and keeps hearing ringing; the
front office's Announcer whispers the message into the channel (see bereik.pbx.waiting), so
the colleague's phone rings the moment the line frees, mid-sentence if need be. When the
caller leaves the queue (connected, gave up, or sent to the TIC after the maximum) the
whisper is hung up.
"""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from bereik.config.model import Config
from bereik.ivr.phrases import back_office_text
from bereik.pbx.ami import AmiClient
from bereik.pbx.dialplan import CAMP_QUEUE_PREFIX
from bereik.routing.waiting import AnnouncementSchedule

Speak = Callable[[str, str], Awaitable[None]]  # (channel, text)
Hush = Callable[[str], Awaitable[None]]  # (channel)


class CampOnAnnouncer:
    def __init__(self, config: Config, ami: AmiClient, whisper: Speak, hush: Hush,
                 schedule: AnnouncementSchedule | None = None):
        self.config = config
        self.ami = ami
        self.whisper = whisper
        self.hush = hush
        self.schedule = schedule or AnnouncementSchedule.from_config(config.waiting)
        self._timers: dict[str, asyncio.TimerHandle] = {}

    def attach(self) -> None:
        for name in ("QueueCallerJoin", "QueueCallerLeave", "QueueCallerAbandon"):
            self.ami.on_event(name, self._on_queue_event)

    def close(self) -> None:
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()

    def _on_queue_event(self, event: dict[str, str]) -> None:
        queue, channel = event.get("Queue", ""), event.get("Channel", "")
        if not queue.startswith(CAMP_QUEUE_PREFIX) or not channel:
            return
        timer = self._timers.pop(channel, None)
        if timer:
            timer.cancel()
        if event.get("Event") == "QueueCallerJoin":
            person = self.config.person(queue[len(CAMP_QUEUE_PREFIX):])
            if person is not None:
                text = back_office_text(self.config, "camp_on_waiting", name=person.name)
                self._plan(channel, text, waited=0.0)
        else:
            asyncio.ensure_future(self.hush(channel))

    def _plan(self, channel: str, text: str, waited: float) -> None:
        due = self.schedule.next_after(waited)
        self._timers[channel] = asyncio.get_running_loop().call_later(
            due - waited, self._announce, channel, text, due)

    def _announce(self, channel: str, text: str, waited: float) -> None:
        # Plan the next one in the timer's own callback, not in a task: a caller who leaves
        # before such a task ran would find no timer to cancel, and be whispered to forever.
        self._plan(channel, text, waited)  # counted from the entry: no drift
        asyncio.ensure_future(self.whisper(channel, text))
