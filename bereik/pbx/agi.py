"""FastAGI: Asterisk hands a call to bereik over TCP; bereik sends commands back.

The start-up block and the replies are parsed here, defensively: Asterisk
writes caller-controlled values into both raw. A reply bereik cannot read as
success ends the call's conversation, and the dialplan fails open. Every
argument bereik sends is quoted, and control characters are refused, so no
value can become a second command.
"""
from __future__ import annotations

import asyncio
import ipaddress
import logging
import re
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bereik.pbx.variables import field_value

log = logging.getLogger(__name__)

MAX_ENVIRONMENT_BYTES = 64 * 1024  # also the longest reply line
MAX_USAGE_LINES = 50
ENVIRONMENT_TIMEOUT = 5.0
DEFAULT_COMMAND_TIMEOUT = 10.0
MAX_REFUSED_LOGGED = 1024  # addresses remembered as already logged


class AgiError(Exception):
    pass


class AgiHangup(AgiError):
    """The caller hung up; the call's handler stops."""


def quote(argument: str) -> str:
    """One AGI argument: double-quoted, with backslash and quote escaped (res_agi parse_args)."""
    if any(c in argument for c in "\r\n\0"):
        raise AgiError(f"refusing to send a control character in an AGI argument: {argument!r}")
    return '"' + argument.replace("\\", "\\\\").replace('"', '\\"') + '"'


def command_line(*words: str) -> bytes:
    """One command as res_agi reads it: the first word is the verb, the rest are quoted arguments."""
    verb, *arguments = words
    return " ".join([verb, *(quote(a) for a in arguments)]).encode() + b"\n"


def exec_words(application: str, *arguments: str) -> tuple[str, ...]:
    """EXEC of a dialplan application; EXEC takes the application's arguments as one string, comma-separated."""
    for argument in arguments:
        if "," in argument or any(c in argument for c in "\r\n\0"):
            raise AgiError(f"refusing a separator or control character in {application} argument {argument!r}")
    return ("EXEC", application, ",".join(arguments))


def parse_environment(block: bytes) -> dict[str, str]:
    """The agi_* lines Asterisk sends first. Malformed lines are dropped, never fatal."""
    environment: dict[str, str] = {}
    for raw_line in block.split(b"\n"):
        line = raw_line.decode("utf-8", "replace").rstrip("\r")
        key, separator, value = line.partition(": ")
        if separator and key.startswith("agi_") and key[4:].replace("_", "").isalnum():
            environment.setdefault(key, value)
    return environment


@dataclass(frozen=True)
class AgiReply:
    code: int
    result: str | None = None  # None: no "result=", which res_agi always writes on success
    data: str | None = None  # the text in parentheses: a variable's value, "timeout", ...
    continued: bool = False  # "520-": the usage text follows, up to "520 End of proper usage."


_REPLY = re.compile(r"(?P<code>\d{3})(?:(?P<dash>-).*| (?P<text>.*))?")
_RESULT = re.compile(r"result=(?P<result>\S*)(?: \((?P<data>.*)\))?")


def parse_reply(line: bytes) -> AgiReply:
    """One reply line as res_agi writes it ("200 result=1 (value)", "510 ...", "520-...", "HANGUP")."""
    text = line.decode("utf-8", "replace").rstrip("\r\n")
    if text == "HANGUP":
        raise AgiHangup("the caller hung up")
    reply = _REPLY.fullmatch(text)
    if reply is None:
        # Never the text itself: it may hold a caller's number.
        raise AgiError(f"Asterisk sent an unreadable reply ({len(line)} bytes)")
    result = _RESULT.match(reply["text"] or "")
    return AgiReply(int(reply["code"]), result["result"] if result else None, result["data"] if result else None,
                    continued=bool(reply["dash"]))


@dataclass
class AgiSession:
    """One call's FastAGI conversation."""

    environment: dict[str, str]
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    last_word_at: float | None = None  # time.perf_counter() when the last word went: the caller's wait ended

    @property
    def script(self) -> str:
        return self.environment.get("agi_network_script", "")

    @property
    def channel(self) -> str:
        return self.environment.get("agi_channel", "")

    @property
    def uniqueid(self) -> str:
        return self.environment.get("agi_uniqueid", "")

    async def command(self, *words: str, timeout: float = DEFAULT_COMMAND_TIMEOUT) -> AgiReply:
        """Send one command (`command_line`) and wait for its reply. Only a success (200, result not -1) comes
        back; anything else raises."""
        await self._send(command_line(*words))
        return await self._checked_reply(words[0], timeout)

    async def last_word(self, *commands: tuple[str, ...], timeout: float = DEFAULT_COMMAND_TIMEOUT) -> None:
        """The session's last commands, written at once and followed by the end of bereik's side of the
        connection: res_agi carries them out in order and takes that end as the script's, so the caller moves on
        without waiting for bereik to run again (under load, each time a wait for a processor). The replies are
        read after and checked as `command` checks them."""
        await self._send(b"".join(command_line(*words) for words in commands), last=True)
        self.last_word_at = time.perf_counter()
        for words in commands:
            await self._checked_reply(words[0], timeout)

    async def _send(self, lines: bytes, last: bool = False) -> None:
        try:
            self.writer.write(lines)
            if last:
                self.writer.write_eof()
            await self.writer.drain()
        except ConnectionError as error:
            raise AgiHangup(str(error) or "connection closed") from None

    async def _checked_reply(self, verb: str, timeout: float) -> AgiReply:
        try:
            async with asyncio.timeout(timeout):  # wait_for would make a task for every command
                reply = await self._reply()
        except ConnectionError as error:
            raise AgiHangup(str(error) or "connection closed") from None
        except TimeoutError:
            raise AgiError(f"Asterisk did not answer '{verb}' within {timeout:.0f} s") from None
        if reply.code == 200 and reply.data == "hangup":
            raise AgiHangup("the caller hung up")
        if reply.code != 200 or reply.result in (None, "-1"):
            raise AgiError(f"'{verb}' failed: Asterisk replied {reply.code} result={(reply.result or '')[:10]}")
        return reply

    async def _reply(self) -> AgiReply:
        while True:
            reply = parse_reply(await self._line())
            if reply.code == 100:  # "Trying...": the real answer follows
                continue
            if reply.continued:
                for _ in range(MAX_USAGE_LINES):
                    if (await self._line()).startswith(b"%d " % reply.code):
                        break
            return reply

    async def _line(self) -> bytes:
        try:
            line = await self.reader.readline()
        except ValueError:  # longer than the stream's limit
            raise AgiError(f"Asterisk sent a reply longer than {MAX_ENVIRONMENT_BYTES} bytes") from None
        if not line.endswith(b"\n"):
            raise AgiHangup("connection closed")
        return line

    async def set_variable(self, name: str, value: str) -> None:
        await self.command("SET VARIABLE", name, field_value(name, value))

    async def get_variable(self, name: str) -> str | None:
        reply = await self.command("GET VARIABLE", name)
        return (reply.data or "") if reply.result == "1" else None

    async def execute(self, application: str, *arguments: str,
                      timeout: float = DEFAULT_COMMAND_TIMEOUT) -> AgiReply:
        return await self.command(*exec_words(application, *arguments), timeout=timeout)


Handler = Callable[[AgiSession], Awaitable[None]]
Elsewhere = Callable[[asyncio.StreamWriter, bytes], None]


def timed(handler: Handler, observe: Callable[[float], None]) -> Handler:
    """The handler, with the caller's wait on it observed (also when it fails or the caller hangs up): up to its
    last word (AgiSession.last_word), not the reading of Asterisk's replies after it, which nobody waits for."""
    async def observed(session: AgiSession) -> None:
        started = time.perf_counter()
        try:
            await handler(session)
        finally:
            observe((session.last_word_at or time.perf_counter()) - started)
    return observed


class AgiServer:
    """Serves FastAGI scripts (agi://host:port/<script>) to their handlers."""

    def __init__(self, handlers: dict[str, Handler], host: str = "127.0.0.1", port: int = 4573,
                 allowed_peers: tuple[str, ...] | list[str] = ("127.0.0.0/8",), session_timeout: float = 900.0):
        """`allowed_peers`: addresses and networks whose Asterisk may connect (Config.agi_allowed)."""
        self.handlers = handlers
        self.host, self.port = host, port
        self._refused: dict[str, None] = {}  # addresses already logged, oldest first
        self.allow(allowed_peers)
        self.session_timeout = session_timeout
        self._server: asyncio.Server | None = None
        self._sessions: set[asyncio.Task] = set()
        # Where a connection for a script without a handler here goes, with the block read (bereik.pbx.decider).
        self.elsewhere: Elsewhere | None = None

    def allow(self, peers: tuple[str, ...] | list[str]) -> None:
        """Set the allow-list (at start, and when a reloaded YAML changes it)."""
        self.allowed = [ipaddress.ip_network(net, strict=False) for net in peers]
        self._refused.clear()

    async def start(self, listening: socket.socket | None = None) -> None:
        """Listen on host and port, or on `listening`, a socket another process bound (bereik.pbx.decider)."""
        if listening is None:
            self._server = await asyncio.start_server(self._serve, self.host, self.port, limit=MAX_ENVIRONMENT_BYTES)
        else:
            # A long queue: while a new decision process starts, Asterisk's connections wait in it.
            self._server = await asyncio.start_server(self._serve, sock=listening, limit=MAX_ENVIRONMENT_BYTES,
                                                      backlog=socket.SOMAXCONN)
        self.port = self._server.sockets[0].getsockname()[1]

    async def serve_passed(self, connection: socket.socket, block: bytes) -> None:
        """A connection another process accepted and read the start-up `block` of (bereik.pbx.decider)."""
        await self._serve(*await asyncio.open_connection(sock=connection, limit=MAX_ENVIRONMENT_BYTES), block)

    async def close(self) -> None:
        """Stop listening and end every session now (Asterisk sends its callers on through the dialplan's fail-open):
        a waiting caller's companion lasts hours, and Server.wait_closed waits for every connection."""
        if self._server:
            self._server.close()
        for task in list(self._sessions):
            task.cancel()
        await asyncio.gather(*self._sessions, return_exceptions=True)
        if self._server:
            await self._server.wait_closed()

    @property
    def active_sessions(self) -> int:
        return len(self._sessions)

    def _peer_allowed(self, writer: asyncio.StreamWriter) -> bool:
        peer = writer.get_extra_info("peername")
        address = ipaddress.ip_address(peer[0]) if peer else None
        if address is not None and any(address in net for net in self.allowed):
            return True
        self._log_refusal(str(address))
        return False

    def _log_refusal(self, address: str) -> None:
        """Once per address (a scanner must not flood the log), with what to do about it."""
        if address in self._refused:
            return
        if len(self._refused) >= MAX_REFUSED_LOGGED:
            self._refused.pop(next(iter(self._refused)))
        self._refused[address] = None
        allowed = ", ".join(str(n.network_address if n.prefixlen == n.max_prefixlen else n) for n in self.allowed)
        log.warning("FastAGI connection from %s refused: not in the allow-list (%s). If that is an Asterisk of "
                    "yours, add it to pbx.agi_allow or pbx.servers in the YAML", address, allowed or "nobody")

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                     block: bytes | None = None) -> None:
        """`block`: the start-up block, when another process read it (serve_passed)."""
        task = asyncio.current_task()
        self._sessions.add(task)
        try:
            if not self._peer_allowed(writer):
                return
            if block is None:
                async with asyncio.timeout(ENVIRONMENT_TIMEOUT):  # not wait_for: no task of its own per call
                    block = await reader.readuntil(b"\n\n")
            session = AgiSession(parse_environment(block), reader, writer)
            handler = self.handlers.get(session.script.strip("/"))
            if handler is None and self.elsewhere is not None:
                self.elsewhere(writer, block)
                return
            if handler is None:
                log.error("no FastAGI handler for script %r", session.script[:40])
                return
            # A handler may say how long its sessions last (a waiting caller's companion: hours).
            async with asyncio.timeout(getattr(handler, "session_timeout", self.session_timeout)):
                await handler(session)
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            log.warning("FastAGI connection ended before the call was handled")
        except AgiHangup:
            pass
        except AgiError as error:
            log.error("FastAGI call handed back to the dialplan: %s", error)
        except TimeoutError:
            log.error("FastAGI session timed out; the dialplan sends the caller on")
        except Exception:
            # The dialplan fails open; the call goes to the front office.
            log.exception("FastAGI handler failed")
        finally:
            self._sessions.discard(task)
            writer.close()
