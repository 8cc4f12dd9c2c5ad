"""Keys on cue: each SIPp caller presses its next key when Asterisk listens for it (bereik.sandbox.sipp.Cue).

Used by the end-to-end tests (tests/e2e/conftest.py), `make demo` and the soak bench, so that a key is
never lost on a slow machine.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import threading
import time

from panoramisk import Manager

from bereik.pbx.whisper import caller_of
from bereik.sandbox import AmiLogin, observer_section
from bereik.sandbox.sipp import CUES_HEADER, Cue

log = logging.getLogger(__name__)


def ami_user(name: str, secret: str) -> str:
    """The manager.conf section of a KeyCues login that hears only the events it cues by."""
    return observer_section(name, secret, events=CUE_EVENTS)


def is_whisper(event: dict[str, str]) -> bool:
    """A message bereik plays in a waiting caller's companion: a Read any key cuts short (bereik.pbx.whisper)."""
    return event.get("Command", "").startswith('EXEC "Read" "BEREIK_WHISPER_KEY,')


# What makes a cue due on a caller's channel (bereik.sandbox.sipp.Cue): Asterisk listens for a key from the
# moment these events are sent (a key that arrives before the application reads the channel waits in the
# socket; one that arrives between two AGI commands or during a Playback is read and dropped).
CUE_EVENTS = ("AGIExecStart", "Newexten", "QueueCallerJoin", "Hangup")
_ASKING_COMMAND = re.compile(r'(EXEC\s+"?Read"?|GET\s+DATA)\b', re.I)


def _cue_of(event: dict[str, str]) -> tuple[Cue, str] | None:
    """(cue, caller's channel) that `event` gives, or None."""
    name = event.get("Event")
    if name == "AGIExecStart" and _ASKING_COMMAND.match(event.get("Command", "")):
        return "asked", event["Channel"]
    if name == "Newexten" and event.get("Application") == "Read":
        return "asked", event["Channel"]
    if name == "QueueCallerJoin":
        return "queued", event["Channel"]
    return None


def _whispered(event: dict[str, str], waiting: dict[str, str]) -> tuple[Cue, str] | None:
    """("whispered", caller's channel) when bereik starts a message in a waiting caller's companion (a Read
    over FastAGI in the Local channel named after the caller's uniqueid, bereik.pbx.whisper)."""
    if event.get("Event") == "QueueCallerJoin":
        waiting[event.get("Uniqueid", "")] = event.get("Channel", "")
    elif event.get("Event") == "AGIExecStart" and is_whisper(event):
        caller = waiting.get(caller_of(event.get("Channel", "")) or "")
        return ("whispered", caller) if caller else None
    return None


class KeyCues:
    """Cues each SIPp caller's keys (Sipp.call(dtmf=[("asked", "1"), ...])) when Asterisk listens for them.

    A caller names its cues in its INVITE (read back with PJSIP_HEADER); when its channel gets to the next
    one, an AMI SendText sends the in-dialog MESSAGE the caller waits for before pressing the key. One per
    Asterisk in a test, with an AMI connection and an event loop of its own in a thread: a test that waits
    for a SIPp party without awaiting (blocking its own loop) must not hold a cue back.
    """

    def __init__(self, login: AmiLogin, timeout: float = 10.0):
        self.waiting: dict[str, list[str]] = {}  # caller's channel -> the cues it still waits for
        self.sent: list[str] = []  # "time cue -> channel: Asterisk's response", for a failed test's report
        self.waiting_callers: dict[str, str] = {}  # a waiting caller's uniqueid -> its channel
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="key-cues", daemon=True)
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._connect(login, timeout), self._loop).result(timeout + 1)

    async def _connect(self, login: AmiLogin, timeout: float) -> None:
        self._manager = Manager(host=login.host, port=login.port, username=login.username, secret=login.secret,
                                loop=self._loop)
        self._due: asyncio.Queue[tuple[Cue | None, str]] = asyncio.Queue()  # None: the channel hung up
        for name in CUE_EVENTS:
            self._manager.register_event(name, self._seen)
        self._task = asyncio.ensure_future(self._cue_in_order())
        await self._manager.connect()
        deadline = time.monotonic() + timeout
        while not self._manager.authenticated:
            if time.monotonic() > deadline:
                raise AssertionError(f"AMI login as {login.username!r} failed")
            await asyncio.sleep(0.02)

    def _seen(self, _manager, message) -> None:
        # A name is used again after Asterisk restarts (PJSIP/trunk-00000000): forget a channel that hung up.
        event = dict(message)
        if event.get("Event") == "Hangup":
            self.waiting_callers.pop(event.get("Uniqueid", ""), None)
        cue = (None, event.get("Channel", "")) if event.get("Event") == "Hangup" else \
            _whispered(event, self.waiting_callers) or _cue_of(event)  # a companion's Read asks the caller nothing
        if cue and cue[1].startswith("PJSIP/"):
            self._due.put_nowait(cue)

    async def _cue_in_order(self) -> None:  # "told" comes through tell(), not events
        while True:
            cue, channel = await self._due.get()
            if cue is None:
                self.waiting.pop(channel, None)
                continue
            try:
                await self._cue(cue, channel)
            except Exception:  # noqa: BLE001 -- a caller left without its cue fails its own test, with this log
                log.exception("could not cue %s on %s", cue, channel)

    def tell(self, channel: str, timeout: float = 10.0) -> None:
        """The cue "told": the test's own moment for the caller on `channel` to press its next key."""
        asyncio.run_coroutine_threadsafe(self._cue("told", channel), self._loop).result(timeout)

    async def _cue(self, cue: Cue, channel: str) -> None:
        if channel not in self.waiting:
            reply = await self._action(Action="Getvar", Channel=channel, Variable=f"PJSIP_HEADER(read,{CUES_HEADER})")
            value = reply.get("Value") if reply.get("Response") == "Success" else None
            self.waiting[channel] = [c for c in (value or "").split(",") if c]
        waiting = self.waiting[channel]
        log.debug("%s on %s, which waits for %s", cue, channel, waiting)
        if not waiting or waiting[0] != cue:
            if cue == "told":
                raise AssertionError(f"told {channel} to press a key, but it waits for {waiting or 'no cue'}")
            return
        waiting.pop(0)
        asked_at = time.time()
        reply = await self._action(Action="SendText", Channel=channel, Message=f"cue: {cue}")
        self.sent.append(f"{time.strftime('%H:%M:%S', time.localtime(asked_at))}.{int(asked_at * 1000) % 1000:03d} "
                         f"{cue} -> {channel}: {reply.get('Response')} after {time.time() - asked_at:.3f} s")
        if reply.get("Response") != "Success":
            log.warning("SendText of cue %s to %s: %s", cue, channel, dict(reply))

    async def _action(self, **action: str):
        return await asyncio.wait_for(self._manager.send_action(action), 10)

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()

    async def _stop(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._manager.close()
