"""Speaking to a caller who waits in a queue, without AMI's originate class.

The first time bereik has something to say to a waiting caller (its first message, after four rings; the
number it typed, read back), it starts the caller's companion with a call file in Asterisk's outgoing spool
(bereik.pbx.call_files):

    Channel: Local/<caller's uniqueid>@bereik-whisper
    Application: ChanSpy
    Data: <caller's channel>,qwES

The ;1 half spies on the caller in whisper mode (w: only the caller hears it, q: no beep, E: it ends
with the caller, S: also when the caller left before it began); the ;2 half hands itself to bereik over
FastAGI (script `whisper`, leaving when hung up even if bereik froze), plays what bereik had to say and
then stays silent until bereik plays the next sound into it, which the caller hears over its ringing. The
caller never leaves Queue(): it keeps its place, and an agent who frees up takes the call at once,
mid-sentence. When the caller leaves the queue bereik hangs the companion up, so the agent never hears the
rest.

A caller answered within four rings never has one. Until 2026-12 the dialplan started a companion for every
caller as it joined the queue; spying costs Asterisk about as much as the rest of the call
(python -m bench call_paths). Before that bereik originated a Local channel per message over AMI, with the
originate class, which lets whoever holds bereik's AMI credentials dial any channel, the trunk to a premium
number included; no AMI action of bereik's user can start a call.
"""
from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
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
# A call file is taken at once (Asterisk watches its spool); one that is not is in the wrong place.
START_SECONDS = 10.0

# (caller's uniqueid, caller's channel): write the call file that starts its companion (CallFiles.companion).
StartCompanion = Callable[[str, str], object]


def caller_of(companion_channel: str) -> str | None:
    """The uniqueid of the caller whose companion plays on `companion_channel` (Local/<uniqueid>@bereik-whisper-...)."""
    local, at, rest = companion_channel.partition("@")
    return local.removeprefix("Local/") if at and rest.startswith(f"{CONTEXT}-") else None


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


@dataclass(frozen=True)
class Deadline:
    timer: asyncio.TimerHandle
    loop: asyncio.AbstractEventLoop  # the timer's (cancelled there when the companion connects on FastAGI's)


class Whispers:
    """The companions of waiting callers: the FastAGI handler for `whisper`, and say/hush by caller channel.

    say and the queue events come from the main loop, companions connect on FastAGI's; `_lock` keeps a sound
    said while its companion connects from being lost between the two."""

    session_timeout = SESSION_SECONDS

    def __init__(self, ami: AmiClient, start_companion: StartCompanion):
        self.ami = ami
        self.start_companion = start_companion
        self._companions: dict[str, Companion] = {}  # caller's uniqueid -> its companion
        self._uniqueids: dict[str, str] = {}  # caller's channel -> its uniqueid, while it waits
        self._starting: dict[str, Deadline] = {}  # uniqueid -> when to stop waiting for its companion
        self._first: dict[str, str] = {}  # uniqueid -> the sound its companion plays once connected
        self._lock = threading.Lock()

    def attach(self) -> None:
        self.ami.on_event("QueueCallerJoin", self._joined)
        for name in ("QueueCallerLeave", "QueueCallerAbandon"):
            self.ami.on_event(name, self._left)

    async def __call__(self, session: AgiSession) -> None:
        uniqueid = session.environment.get("agi_extension", "")
        companion = Companion(session.channel, asyncio.current_task(), asyncio.get_running_loop())
        with self._lock:
            asked = self._starting.pop(uniqueid, None)
            if asked is None:  # its caller left meanwhile (or it is not bereik's): hang it up
                return
            asked.loop.call_soon_threadsafe(asked.timer.cancel)  # a timer of the main loop
            self._companions[uniqueid] = companion
            first = self._first.pop(uniqueid, None)
        if first:
            companion.play(first)
        try:
            while (sound := await self._next(session, companion)) is not None:
                companion.playing = True
                try:
                    await self._play(session, sound)
                finally:
                    companion.playing = False
        finally:
            with self._lock:
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
            # Until the cancelled readline has ended, the next command's reply cannot be read (Python 3.12 raises).
            await asyncio.gather(hangup, sound, return_exceptions=True)
        return None if hangup.done() and not hangup.cancelled() else sound.result()

    def say(self, channel: str, sound: str) -> bool:
        """Play `sound` (bereik/<hash>, or several joined by &) to the caller on `channel` now, cutting off what
        it hears (as a person would: the newest message counts), through its companion, started now if it has
        none yet. False: it does not wait in a queue (as far as bereik heard), or its companion cannot start."""
        uniqueid = self._uniqueids.get(channel)
        if uniqueid is None:
            log.info("no companion to whisper to: the caller does not wait in a queue bereik heard it join")
            return False
        with self._lock:
            companion = self._companions.get(uniqueid)
            if companion is None:
                self._first[uniqueid] = sound  # the newest counts here too
                if uniqueid in self._starting:
                    return True
                loop = asyncio.get_running_loop()
                self._starting[uniqueid] = Deadline(loop.call_later(START_SECONDS, self._not_started, uniqueid), loop)
        if companion is None:
            return self._start(uniqueid, channel)
        companion.on_its_loop(companion.play, sound)
        if companion.playing:
            # The key as if the companion heard it: its Read ends at once (PlayDTMF is AMI's call class).
            asyncio.ensure_future(self._interrupt(companion.channel))
        return True

    def _start(self, uniqueid: str, channel: str) -> bool:
        try:
            self.start_companion(uniqueid, channel)
        except Exception as error:  # noqa: BLE001 (a caller must not lose its place over a message)
            log.warning("could not start a waiting caller's companion: %s", error)
            self._forget(uniqueid)
            return False
        return True

    def _not_started(self, uniqueid: str) -> None:
        if self._forget(uniqueid):  # the next message tries again
            log.warning("a waiting caller's companion did not start within %.0f s: Asterisk does not take bereik's "
                        "call files; set pbx.call_files to Asterisk's outgoing spool as bereik sees it",
                        START_SECONDS)

    def _forget(self, uniqueid: str) -> bool:
        with self._lock:
            self._first.pop(uniqueid, None)
            asked = self._starting.pop(uniqueid, None)
        if asked:
            asked.timer.cancel()
        return asked is not None

    async def _interrupt(self, channel: str) -> None:
        try:
            await self.ami.action("PlayDTMF", Channel=channel, Digit=INTERRUPT, Receive="yes")
        except AmiError as error:
            log.info("could not cut a whisper short: %s", error)

    async def hush(self, channel: str) -> None:
        """Silence the caller's companion for good (the caller left the queue)."""
        companion = self._detach(self._uniqueids.get(channel, ""))
        if companion:
            self._end(companion)
            await self._hang_up(companion.channel)

    def _joined(self, event: dict[str, str]) -> None:
        self._uniqueids[event.get("Channel", "")] = event.get("Uniqueid", "")

    def _left(self, event: dict[str, str]) -> None:
        companion = self._detach(self._uniqueids.pop(event.get("Channel", ""), ""))
        if companion:  # detached now, before the caller's next queue starts a new one
            self._end(companion)
            asyncio.ensure_future(self._hang_up(companion.channel))

    def _detach(self, uniqueid: str) -> Companion | None:
        """The caller's companion, no longer its; one still starting is hung up as it connects."""
        self._forget(uniqueid)
        with self._lock:
            return self._companions.pop(uniqueid, None)

    @staticmethod
    def _end(companion: Companion) -> None:
        if companion.task is not asyncio.current_task():
            companion.on_its_loop(companion.task.cancel)

    async def _hang_up(self, channel: str) -> None:
        try:
            await self.ami.action("Hangup", Channel=channel)
        except AmiError as error:
            log.info("companion of a caller already gone: %s", error)
