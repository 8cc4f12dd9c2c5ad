"""The callers' decisions in a process of their own (`bereik run` on more than one core).

bereik reads every AMI event of every call (records, wallboard, announcements); on two shared cores that
work, in the same interpreter as the decisions, held callers in silence (docs/benchmarks.md). Here the
entry's FastAGI sessions run in a child process with an interpreter of its own:

- `bereik run` binds the FastAGI port and hands the listening socket to the child, which accepts every
  connection. An entry it serves itself; any other script (direct, features, callback, the waiting callers'
  companions) it passes back, socket and start-up block, to `bereik run`, whose state those need.
- The child reads what an entry needs from the same store (planned call-backs, the calamity switch) and
  books appointments with a Graph client of its own; a call-back request and each session's duration it
  sends to `bereik run` (the call records, /metrics). A new YAML and a switched calamity reach it from
  `bereik run`.
- The child listens once it is ready (until then Asterisk's connections are refused and the callers fail open at
  once). A child that dies is started again; meanwhile Asterisk's connections wait in the listening queue.

On one core the two would only take turns, by the scheduler's clock, where a thread of `bereik run` takes its
turn sooner (bereik.service.decisions_apart).

The two talk over a Unix socket pair, one pickled message a packet (SOCK_SEQPACKET keeps packets whole and
carries a passed socket with its packet); a parent and its own child only.
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import pickle
import signal
import socket
import subprocess
import sys
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import aiohttp

from bereik.audit import AuditLog
from bereik.calamity import CalamitySwitch
from bereik.callbacks.appointments import Appointments
from bereik.callbacks.store import CallbackStore
from bereik.calllog import log_to_stderr
from bereik.config.model import Config
from bereik.ivr.prompts import PromptLibrary
from bereik.pbx.agi import AgiServer, timed
from bereik.pbx.decisions import keep_collections_short
from bereik.pbx.entry import EntryHandler
from bereik.presence.configured import graph_settings
from bereik.presence.graph import GraphClient
from bereik.secrets import Secrets

log = logging.getLogger(__name__)

PACKET_BYTES = 1 << 20  # the largest message: a pickled YAML model (about 10 KiB for the example)
START_SECONDS = 60.0  # beside a busy processor the child's imports take seconds
RESTART_SECONDS = 1.0

READY, SESSION, STEP, PASS = "ready", "session", "step", "pass"  # child -> bereik run
CONFIG, CALAMITY = "config", "calamity"  # bereik run -> child


@dataclass(frozen=True)
class Start:
    """What the child needs to decide as `bereik run` would (the first message it reads)."""

    config: Config
    secrets: Secrets
    sounds_dir: Path
    clock: Callable[[], Any]


def _send(channel: socket.socket, message: tuple, fds: tuple[int, ...] = ()) -> None:
    socket.send_fds(channel, [pickle.dumps(message)], list(fds))


class DecisionProcess:
    """`bereik run`'s side: starts the child, restarts it, and acts on what it sends. Runs on one event loop
    (the decision loop, where the passed connections are served)."""

    def __init__(self, start: Start, *, on_step: Callable[..., None], on_session: Callable[[float], None],
                 on_passed: Callable[[socket.socket, bytes], Coroutine[Any, Any, None]]):
        """`on_step(uniqueid, name, at, data)`: a call-back request for the call's record; `on_session(seconds)`:
        an entry session's duration; `on_passed(connection, block)`: a coroutine serving a passed connection."""
        self.start_message = start
        self.listening: socket.socket | None = None
        self.on_step, self.on_session, self.on_passed = on_step, on_session, on_passed
        self.process: subprocess.Popen | None = None
        self._channel: socket.socket | None = None
        self._ready: asyncio.Future | None = None
        self._stopping = False
        self._restarting: asyncio.Task | None = None

    @property
    def up(self) -> bool:
        """Whether a child serves calls (/metrics)."""
        return self._channel is not None and self._ready is not None and self._ready.done()

    @property
    def pid(self) -> int | None:
        """The serving child's (/metrics: its memory and processor)."""
        return self.process.pid if self.up and self.process else None

    async def start(self, listening: socket.socket) -> None:
        """The child started and serving on `listening` (bound, kept here to start a child again), or RuntimeError."""
        self.listening = listening
        loop = asyncio.get_running_loop()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self._channel = ours
        self._ready = loop.create_future()
        with theirs:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bereik.pbx.decider", "--listening", str(self.listening.fileno()),
                 "--channel", str(theirs.fileno())], pass_fds=(self.listening.fileno(), theirs.fileno()))
        _send(ours, (self.start_message,))
        ours.setblocking(False)
        loop.add_reader(ours, self._receive)
        try:
            async with asyncio.timeout(START_SECONDS):
                await self._ready
        except TimeoutError:
            self._close_channel()
            self.process.kill()
            raise RuntimeError(f"the decision process did not start within {START_SECONDS:.0f} s; its log "
                               "lines are bereik's") from None

    def use_config(self, config: Config) -> None:
        self.start_message = replace(self.start_message, config=config)  # for a child started again
        self._tell((CONFIG, config))

    def calamity_changed(self) -> None:
        """Switched here (*28 or the coordinator's screen): the child reads the switch at its next call."""
        self._tell((CALAMITY,))

    async def stop(self) -> None:
        self._stopping = True
        if self._restarting:
            self._restarting.cancel()
        self._close_channel()
        if self.process and self.process.poll() is None:
            self.process.terminate()  # its sessions end now; Asterisk sends those callers on (fail-open)
            try:
                await asyncio.to_thread(self.process.wait, 10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        if self.listening:
            self.listening.close()

    def _tell(self, message: tuple) -> None:
        """From either loop; never blocking, since the decision loop reads the same socket (a child that does not
        read its few messages is stuck, and one started again reads the newest YAML)."""
        if self._channel is None:
            return
        try:
            _send(self._channel, message)
        except OSError as error:
            log.warning("could not tell the decision process: %s", error)

    def _receive(self) -> None:
        while self._channel is not None:
            try:
                data, fds, _, _ = socket.recv_fds(self._channel, PACKET_BYTES, 1)
            except BlockingIOError:
                return
            except OSError as error:
                log.error("lost the decision process: %s", error)
                data, fds = b"", []
            if not data:
                self._lost()
                return
            self._act(pickle.loads(data), fds)

    def _act(self, message: tuple, fds: list[int]) -> None:
        kind, *rest = message
        if kind == SESSION:
            self.on_session(*rest)
        elif kind == STEP:
            self.on_step(*rest)
        elif kind == PASS and fds:  # served, and ended at stop, by bereik run's AgiServer
            asyncio.ensure_future(self.on_passed(socket.socket(fileno=fds[0]), *rest))
        elif kind == READY and self._ready and not self._ready.done():
            self._ready.set_result(None)

    def _lost(self) -> None:
        self._close_channel()
        if self._ready is not None and not self._ready.done():  # it ended while starting: start() says so
            self._ready.set_exception(RuntimeError(
                "the decision process ended while it started; what it could not do is in bereik's log lines"))
        elif not self._stopping:
            self._restarting = asyncio.ensure_future(self._restart())

    async def _restart(self) -> None:
        code = await asyncio.to_thread(self.process.wait)
        log.error("the decision process ended (exit status %s); starting it again in %.0f s, callers wait in "
                  "the listening queue meanwhile", code, RESTART_SECONDS)
        while not self._stopping:
            await asyncio.sleep(RESTART_SECONDS)
            try:
                await self.start(self.listening)
                log.info("the decision process serves calls again")
                return
            except (RuntimeError, OSError) as error:
                log.error("the decision process did not start again: %s", error)
                await asyncio.to_thread(self.process.wait)

    def _close_channel(self) -> None:
        if self._channel is not None:
            asyncio.get_running_loop().remove_reader(self._channel)
            self._channel.close()
            self._channel = None


class Decider:
    """The child's side: the entry handler on the inherited listening socket, the rest passed back."""

    def __init__(self, start: Start, channel: socket.socket, graph: GraphClient | None):
        self.start, self.channel, self.graph = start, channel, graph
        config = start.config
        self.callbacks = CallbackStore(config.records.store, config.zone)
        self.calamity = CalamitySwitch(AuditLog(self.callbacks.calls))
        self.agi = AgiServer({}, allowed_peers=config.agi_allowed())
        self.agi.elsewhere = self._pass
        self.use_config(config)

    def use_config(self, config: Config) -> None:
        wanted = config.callbacks.appointments
        appointments = Appointments(config, self.graph, self.callbacks, wanted.minutes) \
            if wanted and self.graph else None
        entry = EntryHandler(config, PromptLibrary(self.start.sounds_dir, config.language), self.start.clock,
                             self.calamity, callbacks=self.callbacks, steps=self._step, appointments=appointments)
        self.agi.handlers["entry"] = timed(entry, self._session)
        self.agi.allow(config.agi_allowed())

    async def serve(self, listening: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        stopped = asyncio.Event()
        loop.add_signal_handler(signal.SIGTERM, stopped.set)
        self.channel.setblocking(False)
        loop.add_reader(self.channel, self._receive, stopped)
        await self.agi.start(listening)
        keep_collections_short()
        self._tell((READY,))
        await stopped.wait()
        await self.agi.close()
        self.callbacks.close()

    def _receive(self, stopped: asyncio.Event) -> None:
        while True:
            try:
                data = self.channel.recv(PACKET_BYTES)
            except BlockingIOError:
                return
            except OSError:
                data = b""
            if not data:  # bereik run is gone, and with it the calls' records: stop
                stopped.set()
                return
            kind, *rest = pickle.loads(data)
            if kind == CONFIG:
                self.use_config(rest[0])
            elif kind == CALAMITY:
                self.calamity.stale()

    def _pass(self, writer: asyncio.StreamWriter, block: bytes) -> None:
        self._tell((PASS, block), writer.get_extra_info("socket").fileno())

    def _step(self, uniqueid: str, name: str, at: float, data: dict) -> None:
        self._tell((STEP, uniqueid, name, at, data))

    def _session(self, seconds: float) -> None:
        self._tell((SESSION, seconds))

    def _tell(self, message: tuple, *fds: int) -> None:
        # Blocking: a few hundred bytes a call against the socket's buffer of hundreds of KiB, which bereik run
        # reads as they come; only this loop reads the socket.
        self.channel.setblocking(True)
        try:
            _send(self.channel, message, fds)
        except OSError as error:  # bereik run is gone; _receive stops this process
            log.error("could not reach bereik run: %s", error)
        finally:
            self.channel.setblocking(False)


async def _decide(start: Start, channel: socket.socket, listening: socket.socket) -> None:
    config = start.config
    settings = graph_settings(config, start.secrets) if config.callbacks.appointments else None
    graph = GraphClient(settings, aiohttp.ClientSession(), start.clock) if settings else None
    try:
        await Decider(start, channel, graph).serve(listening)
    finally:
        if graph:
            await graph.session.close()


def main() -> None:
    parser = argparse.ArgumentParser(description="bereik's decision process; `bereik run` starts it")
    parser.add_argument("--listening", type=int, required=True)
    parser.add_argument("--channel", type=int, required=True)
    args = parser.parse_args()
    log_to_stderr()
    channel = socket.socket(fileno=args.channel)
    start = pickle.loads(channel.recv(PACKET_BYTES))[0]
    asyncio.run(_decide(start, channel, socket.socket(fileno=args.listening)))


if __name__ == "__main__":
    main()
