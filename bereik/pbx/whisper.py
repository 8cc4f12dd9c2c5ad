"""Speaking to a caller who waits in a queue, without AMI's originate class.

Right before a caller enters a queue where bereik may speak to it (the TIC queue, a camp-on queue), the
dialplan starts the caller's companion itself:

    Originate(Local/<caller's uniqueid>@bereik-whisper,app,ChanSpy,<caller's channel>,qwES,,,a)

The ;1 half spies on the caller in whisper mode (w: only the caller hears it, q: no beep, E: it ends
with the caller, S: also when the caller left before it began); the ;2 half hands itself to bereik over
FastAGI (script `whisper`, leaving when hung up even if bereik froze) and stays silent until bereik plays
a sound into it, which the caller hears over its ringing. The caller never leaves Queue(): it keeps its
place, and an agent who frees up takes the call at once, mid-sentence. When the caller leaves the queue
bereik hangs the companion up, so the agent never hears the rest.

Until 2026-12 bereik originated a Local channel per message over AMI. The originate class it needed
lets whoever holds bereik's AMI credentials dial any channel, the trunk to a premium number included;
now no AMI action of bereik's user can start a call.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from bereik.pbx.agi import AgiSession
from bereik.pbx.ami import AmiClient, AmiError

log = logging.getLogger(__name__)

CONTEXT = "bereik-whisper"  # the companions' dialplan context (bereik.pbx.dialplan writes it)

PLAY_TIMEOUT = 120.0  # the longest message, with room
INTERRUPT = "#"  # the key bereik makes the companion hear (AMI PlayDTMF, Receive) to cut its message short
HEARD = "BEREIK_WHISPER_KEY"  # Read's variable on the companion (only INTERRUPT ever lands there)
# A companion lives as long as its caller waits; the queue's maximum wait bounds that (waiting.max_wait).
SESSION_SECONDS = 4 * 3600


@dataclass
class Companion:
    channel: str  # the ;2 half, which plays
    task: asyncio.Task
    # FastAGI's own loop (bereik.pbx.decisions), while say and hush come from the main loop's AMI events:
    # the task and its queue are touched on their loop only, handed over with call_soon_threadsafe.
    loop: asyncio.AbstractEventLoop
    sounds: asyncio.Queue = field(default_factory=lambda: asyncio.Queue(maxsize=1))
    playing: bool = False

    def play(self, sound: str) -> None:
        if self.sounds.full():  # a message still waiting to be played is out of date
            self.sounds.get_nowait()
        self.sounds.put_nowait(sound)

    def on_its_loop(self, function, *args) -> None:
        if not self.loop.is_closed():
            self.loop.call_soon_threadsafe(function, *args)


class Whispers:
    """The companions of waiting callers: the FastAGI handler for `whisper`, and say/hush by caller channel."""

    session_timeout = SESSION_SECONDS

    def __init__(self, ami: AmiClient):
        self.ami = ami
        self._companions: dict[str, Companion] = {}  # caller's uniqueid -> its companion
        self._uniqueids: dict[str, str] = {}  # caller's channel -> its uniqueid, while it waits

    def attach(self) -> None:
        self.ami.on_event("QueueCallerJoin", self._joined)
        for name in ("QueueCallerLeave", "QueueCallerAbandon"):
            self.ami.on_event(name, self._left)

    async def __call__(self, session: AgiSession) -> None:
        uniqueid = session.environment.get("agi_extension", "")
        companion = Companion(session.channel, asyncio.current_task(), asyncio.get_running_loop())
        previous = self._companions.get(uniqueid)
        self._companions[uniqueid] = companion
        if previous:
            self._end(previous)
        try:
            while (sound := await self._next(session, companion)) is not None:
                companion.playing = True
                try:
                    await self._play(session, sound)
                finally:
                    companion.playing = False
        finally:
            if self._companions.get(uniqueid) is companion:
                del self._companions[uniqueid]

    @staticmethod
    async def _play(session: AgiSession, sound: str) -> None:
        """`sound` (a&b&c: one after the other) as Read plays it: any key cuts it short, so a newer message
        (INTERRUPT, see say) is heard at once; the companion itself waits for no key."""
        await session.execute("Read", HEARD, sound, "1", "", "1", "0.1", timeout=PLAY_TIMEOUT)

    @staticmethod
    async def _next(session: AgiSession, companion: Companion) -> str | None:
        """The next sound to play, or None once Asterisk says HANGUP (the caller is gone, however that
        happened: it may hang up before bereik has heard it join the queue)."""
        hangup = asyncio.ensure_future(session.reader.readline())  # Asterisk writes nothing else unasked
        sound = asyncio.ensure_future(companion.sounds.get())
        try:
            await asyncio.wait({hangup, sound}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (hangup, sound):
                task.cancel()
        return None if hangup.done() and not hangup.cancelled() else sound.result()

    def say(self, channel: str, sound: str) -> bool:
        """Play `sound` (bereik/<hash>, or several joined by &) to the caller on `channel` now, cutting off what
        it hears (as a person would: the newest message counts); False: no companion."""
        companion = self._companions.get(self._uniqueids.get(channel, ""))
        if companion is None:
            log.info("no companion to whisper to a waiting caller (bereik was away when it joined)")
            return False
        companion.on_its_loop(companion.play, sound)
        if companion.playing:
            # The key as if the companion heard it: its Read ends at once (PlayDTMF is AMI's call class).
            asyncio.ensure_future(self._interrupt(companion.channel))
        return True

    async def _interrupt(self, channel: str) -> None:
        try:
            await self.ami.action("PlayDTMF", Channel=channel, Digit=INTERRUPT, Receive="yes")
        except AmiError as error:
            log.info("could not cut a whisper short: %s", error)

    async def hush(self, channel: str) -> None:
        """Silence the caller's companion for good (the caller left the queue)."""
        companion = self._companions.pop(self._uniqueids.get(channel, ""), None)
        if companion:
            self._end(companion)
            await self._hang_up(companion.channel)

    def _joined(self, event: dict[str, str]) -> None:
        self._uniqueids[event.get("Channel", "")] = event.get("Uniqueid", "")

    def _left(self, event: dict[str, str]) -> None:
        channel = event.get("Channel", "")
        companion = self._companions.pop(self._uniqueids.pop(channel, ""), None)
        if companion:  # detached now, before the caller's next queue starts a new one
            self._end(companion)
            asyncio.ensure_future(self._hang_up(companion.channel))

    @staticmethod
    def _end(companion: Companion) -> None:
        if companion.task is not asyncio.current_task():
            companion.on_its_loop(companion.task.cancel)

    async def _hang_up(self, channel: str) -> None:
        try:
            await self.ami.action("Hangup", Channel=channel)
        except AmiError as error:
            log.info("companion of a caller already gone: %s", error)

