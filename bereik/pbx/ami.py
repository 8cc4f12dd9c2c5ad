"""The one door to Asterisk's Manager Interface (AMI); panoramisk stays behind it.

- Every action has a timeout; a dead connection never hangs a caller's flow.
- Every header value is checked for CR, LF and NUL, which would let a value
  start a second action (AMI is a line protocol and panoramisk escapes nothing).
- After every (re)login the registered callbacks re-read state: events missed
  while disconnected must not leave stale queue, device or channel state.
- Events reach callbacks as plain dicts; channel variables as keys "ChanVariable(NAME)",
  also those Asterisk carries joined in one channelvar (bereik.pbx.variables.IN_AMI_EVENTS_FUNCTION).
"""
from __future__ import annotations

import asyncio
import logging
import random
import re
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from typing import Any

from panoramisk import Manager
from panoramisk.ami_protocol import AMIProtocol
from panoramisk.message import Message

from bereik.pbx.backoff import Backoff

from bereik.pbx.events import CONSUMED
from bereik.pbx.variables import FIELD_SEPARATOR

log = logging.getLogger(__name__)

AmiEvent = dict[str, str]
EventCallback = Callable[[AmiEvent], Any]
LoginCallback = Callable[[], Awaitable[None]]

DEFAULT_ACTION_TIMEOUT = 5.0
READY_TIMEOUT = 60.0  # Asterisk's boot, at most
READY_POLL_SECONDS = 0.2
# Asterisk may still drop a session that looks ready (seen 0.1 s into a restart's boot: the actions listed, the
# next one "Permission denied", the connection closed 2 ms later): ready twice, this far apart, is ready.
READY_SETTLE_SECONDS = 0.25


class AmiError(Exception):
    pass


def checked(value: Any) -> str:
    text = str(value)
    if any(c in text for c in "\r\n\0"):
        raise AmiError(f"refusing to send a line break or NUL in an AMI header: {text[:40]!r}")
    return text


# A channelvar that joins variables: EVAL(${A}|${B}|...), as bereik's manager.conf has it. The names are read
# from the line itself, so an Asterisk whose manager.conf lists other variables (a server not yet regenerated)
# is still read right.
_JOINED = re.compile(r"EVAL\((\$\{[A-Za-z0-9_]+\}(?:" + re.escape(FIELD_SEPARATOR) + r"\$\{[A-Za-z0-9_]+\})*)\)")
_JOINED_MAX = 8  # distinct joined lines remembered (one per manager.conf; a bound all the same)
_joined_keys: dict[str, tuple[str, ...] | None] = {}
_miscounted: set[str] = set()  # joined lines whose wrong field count is logged (once each)


def _keys_of(name: str) -> tuple[str, ...] | None:
    """("ChanVariable(A)", "ChanVariable(B)", ...) for a joined channelvar's name, None for any other name."""
    if name in _joined_keys:
        return _joined_keys[name]
    match = _JOINED.fullmatch(name)
    keys = tuple(f"ChanVariable({field[2:-1]})" for field in match.group(1).split(FIELD_SEPARATOR)) if match else None
    if len(_joined_keys) < _JOINED_MAX:
        _joined_keys[name] = keys
    return keys


def _add_variable(event: AmiEvent, assignment: str) -> None:
    """One "NAME=value" of a ChanVariable line into `event`; a joined one as each of its variables."""
    name, _, content = assignment.partition("=")
    keys = _keys_of(name) if name[-1:] == ")" else None
    if keys is None:
        event[f"ChanVariable({name})"] = content
        return
    values = content.split(FIELD_SEPARATOR)
    if len(values) == len(keys):
        event.update(zip(keys, values))
    elif name not in _miscounted:
        # A value with the separator in it, set some other way than by bereik: which field is which is not
        # known, so the event carries none of them (as if unset), never one under another's name.
        _miscounted.add(name)
        log.warning("an AMI event carried %d fields in a channelvar of %d variables; such events carry none "
                    "of them (logged once)", len(values), len(keys))


def plain_event(message: Any) -> AmiEvent:
    event: AmiEvent = {}
    for key, value in message.items():
        if key.lower() == "chanvariable":
            for assignment in value if isinstance(value, list) else [value]:
                _add_variable(event, assignment)
        elif isinstance(value, list):
            event[key] = value[-1]
        else:
            event[key] = value
    return event


def read_event(block: str) -> AmiEvent:
    """One event as Asterisk writes it ("Key: Value" lines), straight into what plain_event makes."""
    event: AmiEvent = {}
    for line in block.split("\r\n"):
        key, separator, value = line.partition(": ")
        if not separator:
            continue
        if key == "ChanVariable":
            _add_variable(event, value)
        else:
            event[key] = value
    return event


def channel_variables(assignments: Any) -> dict[str, str]:
    """NAME -> value of an event's raw ChanVariable header (one "NAME=value" or a list of them), as read_event
    reads them: for tests and tools that read AMI with a client of their own."""
    event: AmiEvent = {}
    for assignment in assignments if isinstance(assignments, list) else [assignments]:
        _add_variable(event, assignment)
    return {key[len("ChanVariable("):-1]: value for key, value in event.items()}


async def press_keys(ami: Any, channel: str, keys: str) -> None:
    """Keys as if pressed on `channel`'s phone (AMI PlayDTMF, received by Asterisk, not sent to the phone): the
    feature codes the console uses (transfer, record), with the `call` class only. `ami`: anything with
    AmiClient.action."""
    for key in keys:
        await ami.action("PlayDTMF", Channel=channel, Digit=key, Receive="yes")


class EventProtocol(AMIProtocol):
    """panoramisk's protocol, with events read straight into plain dicts and handed to `deliver`.

    Profiled under load, panoramisk's Message (a case-insensitive dict built line by line), its
    pattern dispatch and the conversion to a plain dict cost more than all of bereik's handling of
    an event. Replies to actions, events that carry an ActionID (lists, OriginateResponse) and the
    events panoramisk acts on itself still take panoramisk's own path."""

    OWN_EVENTS = ("FullyBooted", "Shutdown")

    def __init__(self, deliver: Callable[[AmiEvent], None]):
        super().__init__()
        self._deliver = deliver

    def data_received(self, data: bytes) -> None:
        text = data.decode(getattr(self, "encoding", "ascii"), "ignore")
        if self.version is None:
            super().data_received(data)  # the greeting; panoramisk reads the version from it
            return
        if self.queue:
            text = self.queue.popleft() + text
        blocks = text.split("\r\n\r\n")
        self.queue.append(blocks.pop())
        for block in blocks:
            block = block.strip()
            if block.startswith("Event: ") and "\r\nActionID: " not in block \
                    and not block.startswith(tuple(f"Event: {name}\r" for name in self.OWN_EVENTS)):
                self._deliver(read_event(block))
            elif block:
                message = Message.from_line(block)
                if message is not None:
                    self.handle_message(message)


class AmiClient:
    def __init__(self, host: str, port: int, username: str, secret: str,
                 action_timeout: float = DEFAULT_ACTION_TIMEOUT, backoff: Backoff = Backoff(),
                 jitter: Callable[[], float] = random.random, ready_actions: tuple[str, ...] = (),
                 events: frozenset[str] = CONSUMED):
        """`backoff`: the wait before each reconnect; `jitter()`: a fraction in [0, 1) that spreads it;
        `ready_actions`: after a login, state is re-read once Asterisk offers these (its modules are loaded);
        `events`: the events this login's manager.conf lets through (bereik's own: CONSUMED)."""
        self.events = events
        self.action_timeout = action_timeout
        self.ready_actions = ready_actions
        self.backoff = backoff
        self._jitter = jitter
        self._attempt = 0
        self.logins = 0  # each after the first is a reconnect (/metrics)
        self.events_read: Counter[str] = Counter()  # by event name (/metrics: each costs Asterisk and bereik)
        self._closed = False
        self._event_callbacks: dict[str, list[EventCallback]] = defaultdict(list)
        self._login_callbacks: list[LoginCallback] = []
        self._disconnect_callbacks: list[Callable[[], None]] = []
        self._logged_in = asyncio.Event()
        self._manager = Manager(
            host=host, port=port, username=username, secret=secret,
            ping_delay=10, ping_interval=10, reconnect_timeout=0,
            on_login=self._on_login, on_disconnect=self._on_disconnect,
            forgetable_actions=("ping", "login"), protocol_factory=lambda: EventProtocol(self._deliver),
        )
        # panoramisk retries through self.connect, waiting reconnect_timeout after a try that
        # fails or a connection that is lost: each try sets the wait that follows it.
        self._manager.connect = self._try_connect
        self._manager.register_event("*", self._dispatch)

    @property
    def connected(self) -> bool:
        return self._logged_in.is_set()

    def on_event(self, name: str, callback: EventCallback) -> None:
        """Call `callback(event)` for every event called `name` ("*" for all)."""
        if name != "*" and name not in self.events:
            # Asterisk is told to send bereik only CONSUMED (bereik.pbx.events): this one would never come.
            raise ValueError(f"AMI event {name!r} is not in bereik.pbx.events.CONSUMED; add it there")
        self._event_callbacks[name].append(callback)

    def on_login(self, callback: LoginCallback) -> None:
        """Run `callback()` after every login, to re-read state."""
        self._login_callbacks.append(callback)

    def on_disconnect(self, callback: Callable[[], None]) -> None:
        """Call `callback()` when the connection is lost (whoever shows Asterisk's state says it may be stale)."""
        self._disconnect_callbacks.append(callback)

    async def connect(self, timeout: float = 10.0) -> None:
        self._manager.connect()
        await asyncio.wait_for(self._logged_in.wait(), timeout)

    def close(self) -> None:
        # panoramisk reconnects when the connection is lost; closing must not.
        self._closed = True
        self._manager.connection_lost = lambda exc: None
        self._manager.close()
        self._logged_in.clear()

    async def action(self, name: str, /, timeout: float | None = None, **headers: Any) -> list[AmiEvent]:
        """Send an action; its response followed by any events of its list."""
        if not self.connected:
            raise AmiError(f"AMI is not connected; cannot send {name}")
        action = {"Action": checked(name), **{checked(k): checked(v) for k, v in headers.items()}}
        # panoramisk 1.4 (issue #90) fails on "successfully queued" replies without an Async header.
        action.setdefault("Async", "false")
        try:
            reply = await asyncio.wait_for(self._manager.send_action(action), timeout or self.action_timeout)
        except TimeoutError:
            raise AmiError(f"Asterisk did not answer {name} within {timeout or self.action_timeout:.0f} s") from None
        messages = reply if isinstance(reply, list) else [reply]
        result = [plain_event(message) for message in messages]
        if result and result[0].get("Response") == "Error":
            raise AmiError(f"{name} failed: {result[0].get('Message', 'no reason given')}")
        return result

    def _dispatch(self, manager: Manager, message: Any) -> None:
        self._deliver(plain_event(message))

    def _deliver(self, event: AmiEvent) -> None:
        name = event.get("Event", "")
        self.events_read[name] += 1
        for callback in (*self._event_callbacks.get(name, ()), *self._event_callbacks.get("*", ())):
            try:
                result = callback(event)
                if asyncio.iscoroutine(result):
                    asyncio.ensure_future(result)
            except Exception:
                log.exception("AMI event callback failed on %s", event.get("Event"))

    def _try_connect(self) -> asyncio.Task | None:
        if self._closed:
            return None  # a retry scheduled before close()
        self._manager.reconnect_timeout = self.backoff.delay(self._attempt, self._jitter())
        self._attempt += 1
        return Manager.connect(self._manager)

    def _on_login(self, manager: Manager) -> None:
        log.info("AMI logged in")
        self.logins += 1
        self._attempt = 0
        self._manager.reconnect_timeout = self.backoff.delay(0, self._jitter())
        self._logged_in.set()
        asyncio.ensure_future(self._after_login(self.logins))

    async def _after_login(self, login: int) -> None:
        if not await self._until_ready(login):
            return  # that session is gone; the next login re-reads
        for callback in self._login_callbacks:
            asyncio.ensure_future(self._run_login_callback(callback))

    async def _until_ready(self, login: int) -> bool:
        """Whether login number `login` is still this client's session once Asterisk is ready for it.

        Asterisk takes logins before it has loaded its modules (just after a restart): a re-read then would be
        refused ("Invalid/unknown command") and leave stale state."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + READY_TIMEOUT
        settled = False
        while self.ready_actions:
            try:
                offered = (await self.action("ListCommands"))[0]
                missing = [name for name in self.ready_actions if name not in offered]
            except AmiError as error:
                missing = [str(error)]
            if self.logins != login or not self.connected:
                return False
            if not missing and settled:
                return True
            if loop.time() > deadline:
                log.warning("Asterisk does not offer %s; re-reading state without", ", ".join(missing))
                return True
            settled = not missing
            await asyncio.sleep(READY_SETTLE_SECONDS if settled else READY_POLL_SECONDS)
        return True

    async def _run_login_callback(self, callback: LoginCallback) -> None:
        try:
            await callback()
        except Exception:
            log.exception("re-reading state after AMI login failed")

    def _on_disconnect(self, manager: Manager, exc: Exception | None) -> None:
        log.warning("AMI connection lost; reconnecting in %.1f s, then less and less often",
                    self._manager.reconnect_timeout)
        self._logged_in.clear()
        for callback in self._disconnect_callbacks:
            try:
                callback()
            except Exception:
                log.exception("AMI disconnect callback failed")
