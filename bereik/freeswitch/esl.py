"""A call to the 14xxx number on FreeSWITCH: the same routing core as on Asterisk, over an outbound event socket.

FreeSWITCH's dialplan runs `socket 127.0.0.1:8084 async full` (bereik.freeswitch.generate), so FreeSWITCH
connects to bereik for every call. genesis's Outbound server answers `connect`, subscribes to the call's
events and hands bereik a Session; each step below is one `sendmsg` execute whose end bereik awaits
(CHANNEL_EXECUTE_COMPLETE):

1. questions: play_and_get_digits with bereik's prompts, one try, any digit (the core judges the key);
2. what the caller hears before the hand-over: playback;
3. the decision: `set` for each variable (bereik.pbx.decision.settings, names in lower case), bereik_routed last;
4. `transfer` to the generated extension for the queue (mod_callcenter), the forward or the hang-up.

If bereik fails before step 4 the socket application returns and the dialplan's next action sends the
caller to the front-office queue. After step 4 the call goes on in FreeSWITCH and its events keep coming
on the socket until FreeSWITCH closes it (linger): from the first to the last, they are told to the
call records as facts (bereik.freeswitch.facts), as the Asterisk adapter tells AMI's.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import logging
import signal
from collections.abc import Callable, Sequence
from pathlib import Path

from genesis import Outbound, Session
from genesis.exceptions import CommandStage, ConnectionLost, SessionGoneAway

from bereik import facts as f
from bereik.audit import AuditLog
from bereik.calamity import CalamitySwitch
from bereik.config.model import Config
from bereik.freeswitch.facts import connected, facts_of, one_header, variable_name
from bereik.freeswitch.generate import CONTEXT, DOMAIN, FORWARD_PREFIX, HANGUP_EXTENSION, OUTSIDE_PREFIX, QUEUE_PREFIX
from bereik.ivr.prompts import PromptLibrary
from bereik.pbx import variables as var
from bereik.pbx.decision import settings
from bereik.records.recorder import Recorder
from bereik.records.spool import Spool
from bereik.records.spool import default_directory as default_spool_directory
from bereik.records.store import open_store
from bereik.routing.flow import Ask, CallFlow, Decision, Enqueue, Forward, PutThrough
from bereik.routing.hours import OpeningHours

log = logging.getLogger(__name__)
Clock = Callable[[], dt.datetime]
FactSink = Callable[[f.Fact], object]
KEY_VARIABLE = "bereik_key"
# A step FreeSWITCH never reports complete ends the session; the dialplan then fails open.
STEP_TIMEOUT = 120.0


def _no_records(fact: f.Fact) -> None:
    return None


class EslEntry:
    def __init__(self, config: Config, prompts: PromptLibrary, clock: Clock, facts: FactSink = _no_records,
                 calamity: CalamitySwitch | None = None):
        """`facts`: where the call's facts go (a Recorder's apply); `calamity`: the calamity switch, read from
        the store that `bereik run`'s screen writes it to (bereik.calamity)."""
        self.config = config
        self.prompts = prompts
        self.clock = clock
        self.facts = facts
        self.calamity = calamity
        self.hours = OpeningHours(config)
        self.agent_names = {f"{a.extension}@{DOMAIN}": a.name for a in config.agents}

    async def __call__(self, session: Session) -> None:
        for fact in connected(session.context):
            self.facts(fact)
        # A processor sees every event inline and in order (genesis runs handlers as tasks).
        session.event_processors.append(self._told)
        try:
            await self._route(session)
            await session.wait_lost(CommandStage.ACCEPTED)
        except (ConnectionLost, SessionGoneAway):
            pass  # the caller hung up, or FreeSWITCH closed the socket after the call: its facts are told

    def _told(self, session: Session, event) -> None:
        for fact in facts_of(event, self.agent_names):
            self.facts(fact)

    async def _route(self, session: Session) -> None:
        dialled = one_header(session.context, "Caller-Destination-Number") or None
        now = self.clock()
        calamity = await self.calamity.in_force(now) if self.calamity else None
        flow = CallFlow(self.config, now, hours=self.hours, dialled=dialled, calamity=calamity)
        decision = flow.start()
        while isinstance(decision, Ask):
            # As on Asterisk: the question a caller who hangs up was at (bereik.pbx.entry).
            await _execute(session, "set", f"{variable_name(var.STAGE)}={decision.stage}")
            decision = flow.pressed(await self._ask(session, decision))
        if decision.say:
            await _execute(session, "playback", self._files(decision.say))
        for name, value in (*settings(self.config, decision).items(), (var.ROUTED, "1")):
            await _execute(session, "set", f"{variable_name(name)}={value}")
        await _execute(session, "transfer", f"{_destination(decision)} XML {CONTEXT}")

    async def _ask(self, session: Session, question: Ask) -> str | None:
        milliseconds = int(question.timeout * 1000)
        # min max tries timeout terminators file invalid_file var_name regexp digit_timeout
        data = (f"1 1 1 {milliseconds} # {self._files(question.say)} silence_stream://250 "
                f"{KEY_VARIABLE} \\d {milliseconds}")
        complete = await _execute(session, "play_and_get_digits", data)
        key = complete.get(f"variable_{KEY_VARIABLE}") or ""
        return key[:1] if key.isdigit() else None

    def _files(self, texts: Sequence[str]) -> str:
        paths = []
        for text in texts:
            self.prompts.ensure(text)
            paths.append(str(self.prompts.path(text)))
        return paths[0] if len(paths) == 1 else "file_string://" + "!".join(paths)


def _destination(decision: Decision) -> str:
    if isinstance(decision, Enqueue):
        return f"{QUEUE_PREFIX}{decision.queue}"
    if isinstance(decision, Forward):
        return f"{FORWARD_PREFIX}{decision.number}"
    if isinstance(decision, PutThrough):
        return f"{OUTSIDE_PREFIX}{decision.number}"
    return HANGUP_EXTENSION


async def _execute(session: Session, application: str, data: str):
    """One dialplan application on the call, awaited until FreeSWITCH reports it complete."""
    if any(c in data for c in "\r\n\x00"):
        raise ValueError(f"refusing a line break in an ESL argument: {data[:40]!r}")
    return await session.sendmsg("execute", application, data, block=True, timeout=STEP_TIMEOUT)


class EslServer:
    """bereik's outbound event socket: FreeSWITCH connects here once per call."""

    def __init__(self, handler: Callable[[Session], object], host: str = "127.0.0.1", port: int = 8084):
        self.outbound = Outbound(handler, host, port, events=True, linger=True)

    @property
    def port(self) -> int:
        return self.outbound.server.sockets[0].getsockname()[1]

    async def start(self) -> None:
        await self.outbound.start(block=False)

    async def close(self) -> None:
        await self.outbound.stop()


async def serve(config: Config, sounds_dir: Path, host: str, port: int) -> None:
    """`bereik esl`: route FreeSWITCH's calls, and record them (records.store), until SIGINT or SIGTERM."""
    zone = config.zone
    store = open_store(config.records.store)
    recorder = Recorder(store, zone, frozenset({config.number}),
                        spool=Spool(config.records.spool or default_spool_directory(config.records.store)))
    recorder.start()
    server = EslServer(EslEntry(config, PromptLibrary(sounds_dir, config.language), lambda: dt.datetime.now(zone),
                                recorder.apply, CalamitySwitch(AuditLog(store))), host, port)
    await server.start()
    log.info("outbound event socket listening on %s:%d", host, server.port)
    stopped = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stopped.set)
    await stopped.wait()
    await server.close()
    await asyncio.to_thread(recorder.close)  # writes what is still queued
    store.close()
