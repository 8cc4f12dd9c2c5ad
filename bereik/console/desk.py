"""The agents' desks: AMI events in, screen-pops and state out; the console's buttons as AMI actions.

The shell around the pure transfer machine (bereik.console.transfer): it reads AMI
events, feeds them to the machine, sends the machine's commands, and tells the
agent's browsers. Every action goes through AmiClient (timeouts, no line breaks).

With several Asterisk servers (a platform's nodes) the desk follows every one of them: a
phone is rung by whichever node has the call, so the agent's screen-pop must come from that
node too. Each call remembers its server, and the buttons act on that server's Asterisk.
Calls and waiting callers carry bereik's own call ids (bereik.records.servers), since two
servers hand out the same Uniqueids and channel names.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from bereik.calllog import mask_number
from bereik.callbacks.store import CallbackStore
from bereik.config.model import Config, ConsoleUser
from bereik.console import recordings, words
from bereik.console import transfer as tx
from bereik.facts import OTHER_MUNICIPALITY
from bereik.pbx import variables as var
from bereik.pbx import members
from bereik.pbx.ami import AmiClient, AmiError, press_keys
from bereik.pbx import warm_transfer
from bereik.pbx.dialplan import PICK_CONTEXT, PICK_QUEUE, RECORD_CODE
from bereik.pbx.facts import event_time, is_callback_leg
from bereik.records import servers, summary
from bereik.routing.outbound import OutboundPolicy

log = logging.getLogger(__name__)

Clock = Callable[[], dt.datetime]
Listener = asyncio.Queue
# (call id = the caller's Linkedid as bereik keeps it, with its server's name when there are several, step
# name, at, detail): into the call's journey for the reports.
StepSink = Callable[[str, str, float, dict], None]
# The caller's earlier calls: number -> [(start, topic)], newest first (the call-record store).
# A caller's earlier calls: (started, topic) or (started, topic, the outside organisation it was put through to).
History = Callable[[str, float], list[tuple[float, str] | tuple[float, str, str]]]

REPEAT_DAYS = 7
LOGGED_OUT = "afgemeld"  # the pause reason that means "not at the position": members are static
SERVER = "bereik.server"  # put on each event: the server it came from (no AMI header has a dot)


def _no_steps(call_id: str, what: str, at: float, detail: dict) -> None:
    return None


def _no_history(number: str, since: float) -> list[tuple[float, str]]:
    return []



def _tried(config: Config, variable: Callable[[str], str]) -> dict[str, str] | None:
    """Whom a caller who came back to the front office tried: a colleague, or the outside organisation a menu
    option put it through to (which did not answer, was busy or could not be reached)."""
    if tried := variable(var.TRIED):
        return words.colleague(config, tried, variable(var.DEPARTMENT))
    if variable(var.FAILED) and (organisation := variable(var.ORGANISATION)):
        return {"name": organisation, "department": ""}
    if variable(var.FAILED) and variable(var.REASON) == OTHER_MUNICIPALITY:  # another municipality on the 14 number
        return {"name": variable(var.MUNICIPALITY), "department": ""}
    return None

@dataclass
class Call:
    caller_channel: str
    call_id: str  # Linkedid, as bereik keeps it (bereik.records.servers)
    number: str
    name: str
    agent_channel: str = ""
    answered: bool = False
    recording: str = ""  # the file being recorded, if any
    offered_at: float = 0.0
    answered_at: float | None = None
    choice_text: str = ""
    callback_note: bool = False  # the agent made a call-back note for this caller during the call
    picked: bool = False  # put through to the phone by bereik-pick (the waiting list, or Opnemen), not by the queue
    from_list: bool = False  # taken from the waiting list, not offered by the queue first
    queue: str = ""  # the queue the caller waits in: back there if the phone does not answer
    superseded: str = ""  # the queue's ring to the phone that Opnemen replaced: its end is not the call's
    pop: dict | None = None  # the screen-pop as sent, for a console opened or reloaded during the call
    server: str = ""  # the Asterisk that has the call ("" with one server)

    def on(self, server: str, channel: str) -> bool:
        """Whether `channel` on `server` is this call's caller or agent."""
        return server == self.server and channel in (self.caller_channel, self.agent_channel)


@dataclass
class Finished:
    """A call the agent had today: what the history shows and the wrap-up refers to."""

    call_id: str
    number: str
    name: str
    offered_at: float
    answered_at: float | None
    ended_at: float
    choice_text: str = ""
    callback_note: bool = False
    wrap_up: dict | None = None  # the wrap-up's detail once the agent gave it

    def as_dict(self) -> dict:
        return {"call": self.call_id, "number": self.number, "name": self.name, "offered_at": self.offered_at,
                "answered_at": self.answered_at, "ended_at": self.ended_at, "choice_text": self.choice_text,
                "wrap_up": self.wrap_up}


@dataclass
class Position:
    extension: str
    listeners: set[Listener] = field(default_factory=set)
    call: Call | None = None
    transfer: tx.State = field(default_factory=tx.Idle)
    transfer_call_id: str = ""  # the caller's call id: the journey the transfer's steps belong to
    transfer_server: str = ""  # the Asterisk the transfer happens on: the call's
    no_answer_timer: asyncio.TimerHandle | None = None
    finished: list[Finished] = field(default_factory=list)  # the calls answered here, newest last


class Desk:
    def __init__(self, config: Config, ami: AmiClient, callbacks: CallbackStore, clock: Clock, *,
                 server: str = "", peers: Mapping[str, AmiClient] | None = None,
                 steps: StepSink = _no_steps, history: History = _no_history,
                 day: Callable[[str, float], list[dict]] = lambda extension, since: [],
                 epoch: Callable[[], float] = time.time):
        """`ami`: the Asterisk of `server` (this bereik's own); `peers`: the other servers' by name, whose
        calls ring the same phones; `clock`: the municipality's time (deadlines, file names); `epoch`:
        seconds as in AMI's Timestamp, for waits and the transfer's steps in the caller's journey."""
        self.config = config
        self.server = server
        self.amis = {server: ami, **(peers or {})}
        self.callbacks = callbacks
        self.clock = clock
        self.steps = steps
        self.history = history
        self.day = day
        self.epoch = epoch
        self.positions = {p.extension: Position(p.extension) for q in config.queues for p in q.positions}
        self._joined: dict[str, float] = {}  # caller's id (server and Uniqueid) -> when it joined the queue
        self.waiting: dict[str, dict] = {}  # caller's id -> who waits in a front-office queue, for the list
        self._names = {a.extension: a.name for a in config.agents}
        self._extensions = {*self.positions, *(p.extension for p in config.people)}
        self.outbound = OutboundPolicy.from_config(config)
        for name, client in self.amis.items():
            client.on_login(functools.partial(self.resync, name))
            client.on_disconnect(functools.partial(self._lost, name))
            for event in ("QueueCallerJoin", "AgentCalled", "AgentConnect", "AgentComplete", "AgentRingNoAnswer",
                          "DialBegin", "DialEnd", "Hangup", "AttendedTransfer", "QueueCallerAbandon",
                          "QueueCallerLeave", "QueueMemberPause"):
                client.on_event(event, functools.partial(self._from, name, getattr(self, f"_on_{event}")))

    @property
    def ami(self) -> AmiClient:
        """This bereik's own Asterisk."""
        return self.amis[self.server]

    @staticmethod
    def _from(server: str, handler: Callable[[dict[str, str]], None], event: dict[str, str]) -> None:
        handler({**event, SERVER: server})

    def _server(self, event: dict[str, str]) -> str:
        return event.get(SERVER, self.server)

    def _id(self, event: dict[str, str], header: str) -> str:
        """A Uniqueid or Linkedid of `event` as bereik keeps it: unique over the servers."""
        return servers.call_id(self._server(event), event.get(header, ""))

    # --- the browsers ------------------------------------------------------------------------

    def listen(self, extension: str) -> Listener:
        queue: Listener = asyncio.Queue(maxsize=100)
        position = self.positions[extension]
        position.listeners.add(queue)
        if not self.ami.connected:
            queue.put_nowait({"type": "pbx", "connected": False})
        call = position.call
        if call is not None:  # a console opened or reloaded during a call shows that call
            queue.put_nowait(call.pop or {"type": "ringing", "number": call.number, "name": call.name,
                                          "choice_text": call.choice_text, "callbacks": [],
                                          "event_at": call.offered_at or self.now()})
            if call.answered:
                queue.put_nowait({"type": "connected", "event_at": call.answered_at or self.now()})
        if isinstance(position.transfer, (tx.Ringing, tx.Talking)):  # its buttons too: complete or cancel it
            queue.put_nowait({"type": "transfer", "state": position.transfer.name,
                              "target": position.transfer.transfer.target, "outcome": None, "refused": None})
        return queue

    def leave(self, extension: str, queue: Listener) -> None:
        self.positions[extension].listeners.discard(queue)

    def _tell(self, position: Position, message: dict) -> None:
        for queue in position.listeners:
            if queue.full():  # a browser that stopped reading loses old news, not the newest
                queue.get_nowait()
            queue.put_nowait(message)

    def _position(self, channel_or_interface: str) -> Position | None:
        match = re.match(r"^PJSIP/([0-9]+)", channel_or_interface or "")
        return self.positions.get(match.group(1)) if match else None

    def now(self) -> float:
        return self.epoch()

    # --- AMI events --------------------------------------------------------------------------

    async def resync(self, server: str = "") -> None:
        """After every AMI (re)login to `server`: the calls at the positions and who waits there, as that
        Asterisk has them now,
        since events were missed while the connection was down."""
        try:
            replies = await self.amis[server].action("Status", timeout=10)
        except AmiError as problem:
            log.warning("could not re-read the positions' calls on %s: %s", server or "Asterisk", problem)
            return
        channels = [r for r in replies if r.get("Event") == "Status"]
        await self._reread_waiting(server, channels)
        if server == self.server:
            self._tell_everyone({"type": "pbx", "connected": True})
        for position in self.positions.values():
            if position.call and position.call.server != server:
                continue  # a call on another server: that server's events tell
            mine = next((c for c in channels if c.get("Channel", "").startswith(f"PJSIP/{position.extension}-")),
                        None)
            if mine is None:
                if isinstance(position.transfer, (tx.Ringing, tx.Talking)) and position.transfer_server == server:
                    self._feed(position, "agent_hangs_up")
                if position.call:
                    self._end_call(position)
                continue
            peer = next((c for c in channels if c is not mine and c.get("BridgeID")
                         and c.get("BridgeID") == mine.get("BridgeID")), None)
            if peer and (position.call is None or position.call.agent_channel != mine["Channel"]):
                position.call = Call(peer["Channel"], servers.call_id(server, peer.get("Linkedid", "")),
                                     peer.get("CallerIDNum", ""), peer.get("CallerIDName", ""),
                                     agent_channel=mine["Channel"], answered=True, server=server)
                self._tell(position, {"type": "connected", "event_at": self.now()})

    async def _reread_waiting(self, server: str, channels: list[dict[str, str]]) -> None:
        """Who waits in `server`'s queues now (QueueStatus's entries, with each channel's Linkedid and labels
        from Status), instead of what the missed joins and leaves would have made of the list."""
        try:
            replies = await self.amis[server].action("QueueStatus", timeout=10)
        except AmiError as problem:
            log.warning("could not re-read who waits on %s: %s", server or "Asterisk", problem)
            return
        by_id = {c.get("Uniqueid", ""): c for c in channels}
        now = self.now()
        waiting: dict[str, dict] = {}
        joined: dict[str, float] = {}
        for entry in (r for r in replies if r.get("Event") == "QueueEntry"):
            uniqueid = servers.call_id(server, entry.get("Uniqueid", ""))
            # Known from before the break: its own join time; else Asterisk's count of seconds waited.
            joined[uniqueid] = self._joined.get(uniqueid, now - float(entry["Wait"]) if entry.get("Wait", "").isdigit()
                                                else now)
            caller = self._waiting_caller({**by_id.get(entry.get("Uniqueid", ""), {}), **entry, SERVER: server},
                                          joined[uniqueid])
            if caller:
                waiting[uniqueid] = caller
        taken = {p.call.caller_channel for p in self.positions.values()
                 if p.call and p.call.picked and p.call.server == server}
        # Only this server's callers are replaced: the other servers' stay as their own events made them.
        self._joined = {k: t for k, t in self._joined.items() if not self._on_server(k, server)} | joined
        self.waiting = {k: w for k, w in self.waiting.items() if w["server"] != server} | {
            k: w for k, w in waiting.items() if w["channel"] not in taken}
        self._tell_waiting()

    def _on_server(self, kept_id: str, server: str) -> bool:
        """Whether a kept id is of `server`'s (with one server: all are)."""
        return servers.server_of(kept_id, [name for name in self.amis if name]) == server

    def _waiting_caller(self, event: dict[str, str], at: float) -> dict | None:
        """A caller in a front-office queue as the list shows it; None for a camp-on queue behind a colleague."""
        queue = next((q for q in self.config.queues if q.id == event.get("Queue")), None)
        if queue is None:
            return None
        variable = lambda name: event.get(f"ChanVariable({name})", "")  # noqa: E731
        number = event.get("CallerIDNum", "")
        return {
            "id": self._id(event, "Uniqueid"), "channel": event.get("Channel", ""), "server": self._server(event),
            "call": self._id(event, "Linkedid"),
            "queue": queue.id, "queue_name": queue.name, "joined_at": at,
            "number": number if number not in ("", "<unknown>") else "",
            "name": event.get("CallerIDName", "") if event.get("CallerIDName") != "<unknown>" else "",
            "choice_text": words.choice_text(self.config, variable(var.CHOICE), variable(var.TOPIC)),
            "tried_person": _tried(self.config, variable)}

    def _on_QueueCallerJoin(self, event: dict[str, str]) -> None:
        at = event_time(event, self.now())
        self._joined[self._id(event, "Uniqueid")] = at
        caller = self._waiting_caller(event, at)
        if caller:
            self.waiting[caller["id"]] = caller
            self._tell_waiting()

    def _on_QueueCallerLeave(self, event: dict[str, str]) -> None:
        if self.waiting.pop(self._id(event, "Uniqueid"), None):
            self._tell_waiting()

    def _on_QueueCallerAbandon(self, event: dict[str, str]) -> None:
        self._joined.pop(self._id(event, "Uniqueid"), None)
        self._on_QueueCallerLeave(event)

    def _tell_waiting(self) -> None:
        """Every console sees who waits, per queue, oldest first. Made only while a console listens (one opened
        asks for the list): every caller joining or leaving sorts all who wait (python -m bench call_paths)."""
        if any(position.listeners for position in self.positions.values()):
            self._tell_everyone({"type": "waiting", "callers": self.waiting_callers()})

    def _tell_everyone(self, message: dict) -> None:
        for position in self.positions.values():
            self._tell(position, message)

    def _lost(self, server: str = "") -> None:
        """An AMI connection is down. This bereik's own server's: every console says what it shows may be out
        of date, until the re-read. Another server's (its node gone, or the link to it): its callers leave the
        waiting list, since none can be taken from there now; the re-read at its next login brings back whoever
        still waits."""
        if server == self.server:
            self._tell_everyone({"type": "pbx", "connected": False})
        elif any(w["server"] == server for w in self.waiting.values()):
            self.waiting = {k: w for k, w in self.waiting.items() if w["server"] != server}
            self._tell_waiting()

    def waiting_callers(self) -> list[dict]:
        return sorted(({k: v for k, v in w.items() if k not in ("channel", "server")} for w in self.waiting.values()),
                      key=lambda w: (w["queue"], w["joined_at"]))

    async def pick(self, extension: str, uniqueid: str) -> dict:
        """Take a waiting caller out of the queue to this position's phone (AMI Redirect to bereik-pick): the
        phone rings, and once it answers the call is the agent's like any queue call."""
        position = self.positions[extension]
        if position.call is not None:
            return {"picked": False, "refused": "you are in a call"}
        waiting = self.waiting.pop(uniqueid, None)  # taken: a second click, in this console or another, is late
        if waiting is None:
            return {"picked": False, "refused": "this caller no longer waits"}
        self._tell_waiting()
        position.call = Call(waiting["channel"], waiting["call"], waiting["number"], waiting["name"],
                             offered_at=self.now(), choice_text=waiting["choice_text"], picked=True, from_list=True,
                             queue=waiting["queue"], server=waiting["server"])
        ami = self.amis[waiting["server"]]  # the caller's Asterisk rings the agent's phone
        try:
            await ami.action("Setvar", Channel=waiting["channel"], Variable=PICK_QUEUE, Value=waiting["queue"])
            await ami.action("Redirect", Channel=waiting["channel"], Context=PICK_CONTEXT, Exten=extension,
                             Priority="1")
        except AmiError:  # still in the queue: back on the list, the agent's phone free
            position.call = None
            self.waiting[uniqueid] = waiting
            self._tell_waiting()
            raise
        position.call.pop = {**{k: v for k, v in waiting.items() if k not in ("channel", "server")},
                             "type": "ringing", "waited_seconds": round(max(0.0, self.now() - waiting["joined_at"])),
                             "event_at": self.now(), "callbacks": [],
                             "link": words.screen_pop_link(self.config, waiting["number"], waiting["call"])}
        self._tell(position, position.call.pop)
        return {"picked": True}

    def _on_QueueMemberPause(self, event: dict[str, str]) -> None:
        """Paused or back, from this console or elsewhere (the phone, a team lead, the overflow switch): the
        page reads the position's state again (it spans every queue the position is in)."""
        position = self._position(event.get("Interface", "") or event.get("StateInterface", ""))
        if position:
            self._tell(position, {"type": "position_changed"})

    def _on_AgentCalled(self, event: dict[str, str]) -> None:
        position = self._position(event.get("Interface", ""))
        if position is None:
            return
        at = event_time(event, self.now())
        number = event.get("CallerIDNum", "")
        variable = lambda name: event.get(f"ChanVariable({name})", "")  # noqa: E731
        position.call = Call(event.get("Channel", ""), self._id(event, "Linkedid"), number,
                             event.get("CallerIDName", ""), agent_channel=event.get("DestChannel", ""),
                             offered_at=at, choice_text=words.choice_text(self.config, variable(var.CHOICE),
                                                                          variable(var.TOPIC)),
                             queue=event.get("Queue", ""), server=self._server(event))
        joined = self._joined.get(self._id(event, "Uniqueid"), at)
        tried, via = variable(var.TRIED), variable(var.TRIED_VIA)
        callback = variable(var.CALLBACK) if is_callback_leg(event.get("Channel", "")) else ""
        if callback and variable(var.QUEUED_AT).isdigit():
            joined = float(variable(var.QUEUED_AT))  # a caller called back: waiting since its own call
        position.call.pop = {
            "type": "ringing", "number": number if number not in ("", "<unknown>") else "",
            # A caller called back: the original call's facts; the name is the stand-in's label.
            "callback": {"note": callback} if callback else None,
            "name": event.get("CallerIDName", "") if event.get("CallerIDName") != "<unknown>" and not callback else "",
            "municipality": variable(var.MUNICIPALITY), "topic": variable(var.TOPIC),
            "choice": variable(var.CHOICE), "waited_seconds": round(max(at - joined, 0.0)),
            # The codes stay for integrations; the agent reads the words.
            "choice_text": words.choice_text(self.config, variable(var.CHOICE), variable(var.TOPIC)),
            "tried": tried, "tried_via": via, "failed": variable(var.FAILED),
            "department": variable(var.DEPARTMENT), "reason": variable(var.REASON),
            "tried_person": _tried(self.config, variable),
            "via_person": words.colleague(self.config, via) if via and via != "mobile" else None,
            "link": words.screen_pop_link(self.config, number if number != "<unknown>" else "",
                                          self._id(event, "Linkedid")),
            "callbacks": [{"id": n.id, "question": n.question, "due": n.due_at.astimezone(self.config.zone).isoformat(),
                           "team": n.team, "team_name": words.team_name(self.config, n.team)}
                          for n in (self.callbacks.open_for_number(number) if number else [])],
            "event_at": at,
        }
        self._tell(position, position.call.pop)
        if number:
            asyncio.ensure_future(self._tell_history(position, number, at))

    async def _tell_history(self, position: Position, number: str, at: float) -> None:
        try:
            earlier = await asyncio.to_thread(self.history, number, at - REPEAT_DAYS * 86400)
        except Exception:
            log.exception("could not read earlier calls of %s", mask_number(number))
            return
        self._tell(position, {"type": "history", "number": number,
                              "earlier": [{"at": start, "topic": topic, **({"organisation": rest[0]} if rest and rest[0]
                                                                            else {})}
                                          for start, topic, *rest in earlier]})

    def _on_AgentRingNoAnswer(self, event: dict[str, str]) -> None:
        position = self._position(event.get("Interface", ""))
        # A call being put through by bereik-pick is the Dial's now (DialEnd), not the queue's ring.
        if position and position.call and not position.call.answered and not position.call.picked \
                and position.call.on(self._server(event), event.get("Channel", "")):
            position.call = None
            self._tell(position, {"type": "missed", "event_at": event_time(event, self.now())})

    def _on_AgentConnect(self, event: dict[str, str]) -> None:
        position = self._position(event.get("Interface", ""))
        if position is None:
            return
        self._joined.pop(self._id(event, "Uniqueid"), None)
        at = event_time(event, self.now())
        server = self._server(event)
        call = position.call if position.call and position.call.on(server, event.get("Channel", "")) else Call(
            event.get("Channel", ""), self._id(event, "Linkedid"), event.get("CallerIDNum", ""),
            event.get("CallerIDName", ""), offered_at=at, server=server)
        call.agent_channel, call.answered, call.answered_at = event.get("DestChannel", call.agent_channel), True, at
        position.call = call
        self._tell(position, {"type": "connected", "event_at": at})

    def _on_AgentComplete(self, event: dict[str, str]) -> None:
        position = self._position(event.get("Interface", ""))
        if position and position.call and position.call.server == self._server(event) \
                and position.call.caller_channel == event.get("Channel"):
            self._end_call(position)

    def _end_call(self, position: Position) -> None:
        call, position.call, now = position.call, None, self.now()
        message = {"type": "ended", "wrapup_seconds": self.config.waiting.wrapup_seconds, "event_at": now}
        if call is not None and call.answered:
            finished = Finished(call.call_id, call.number, call.name, call.offered_at or now, call.answered_at, now,
                                call.choice_text, call.callback_note)
            position.finished = [f for f in position.finished if f.ended_at > now - 86400][-199:] + [finished]
            message["call"] = finished.as_dict()  # the browser asks for the wrap-up of this call
        self._tell(position, message)

    async def today(self, extension: str, since: float) -> list[dict]:
        """The agent's calls since `since`: the store's (before a restart) and the desk's own, oldest first."""
        try:
            stored = await asyncio.to_thread(self.day, extension, since)
        except Exception:
            log.exception("could not read the day's calls of position %s", extension)
            stored = []
        seen = [f.as_dict() for f in self.positions[extension].finished if f.ended_at >= since]
        ids = {c["call"] for c in seen}
        return sorted([c for c in stored if c["call"] not in ids] + seen, key=lambda c: c["answered_at"] or 0)

    def note_made(self, extension: str, number: str) -> None:
        """The agent sent a call-back note for `number`: it belongs to the call with that caller now, or else
        to the last one not yet wrapped up (the note is often written after hanging up)."""
        position = self.positions.get(extension)
        if position is None or not number:
            return
        if position.call and position.call.number == number:
            position.call.callback_note = True
            return
        finished = next((f for f in reversed(position.finished) if f.wrap_up is None), None)
        if finished and finished.number == number:
            finished.callback_note = True

    def finished(self, extension: str, call_id: str) -> Finished | None:
        return next((f for f in reversed(self.positions[extension].finished) if f.call_id == call_id), None)

    def wrap_up(self, extension: str, finished: Finished, detail: dict) -> None:
        """The agent's wrap-up: a step of the call's journey (the reports' first-contact resolution)."""
        finished.wrap_up = detail
        self.steps(finished.call_id, summary.WRAPPED_UP, self.now(), detail)
        self._tell(self.positions[extension], {"type": "wrapped_up", "call": finished.as_dict()})

    def _transferring(self, server: str) -> list[Position]:
        """The positions with a transfer under way on `server`."""
        return [p for p in self.positions.values()
                if isinstance(p.transfer, (tx.Ringing, tx.Talking)) and p.transfer_server == server]

    def _picked(self, event: dict[str, str]) -> Position | None:
        """The position whose picked caller this Dial is: the caller's channel dialling the position's phone."""
        position = self._position(event.get("DestChannel", ""))
        call = position.call if position else None
        return position if call and call.picked and call.server == self._server(event) \
            and call.caller_channel == event.get("Channel") and event.get("DestChannel") != call.superseded else None

    def _on_DialBegin(self, event: dict[str, str]) -> None:
        if position := self._picked(event):
            position.call.agent_channel = event.get("DestChannel", "")
        for position in self._transferring(self._server(event)):
            if event.get("DestChannel", "").startswith(f"PJSIP/{position.transfer.transfer.target}-"):
                self._feed(position, "target_rings", event)

    def _on_DialEnd(self, event: dict[str, str]) -> None:
        if (position := self._picked(event)) and event.get("DialStatus") != "ANSWER":
            position.call = None  # the dialplan puts the caller back in the queue
            self._tell(position, {"type": "missed", "event_at": event_time(event, self.now())})
        elif (position := self._picked(event)) and not position.call.answered:
            call, at = position.call, event_time(event, self.now())
            call.answered, call.answered_at = True, at
            # For the records: answered by this agent, as a queue call would be (not abandoned).
            how = {"picked": "yes"} if call.from_list else {"answered_from": "console"}
            self.steps(call.call_id, "agent_answered", at, {"agent": self._names.get(position.extension, ""),
                                                            "interface": f"PJSIP/{position.extension}", **how})
            self._tell(position, {"type": "connected", "event_at": at})
        status = event.get("DialStatus", "")
        outcome = {"ANSWER": "target_answers", "NOANSWER": "target_no_answer", "BUSY": "target_busy",
                   "CONGESTION": "target_busy", "CHANUNAVAIL": "target_busy"}.get(status)
        for position in self._transferring(self._server(event)):
            if outcome and event.get("DestChannel", "").startswith(f"PJSIP/{position.transfer.transfer.target}-"):
                self._feed(position, outcome, event)

    def _on_Hangup(self, event: dict[str, str]) -> None:
        channel, server = event.get("Channel", ""), self._server(event)
        for position in self.positions.values():
            call = position.call
            if isinstance(position.transfer, (tx.Ringing, tx.Talking)) and position.transfer_server == server:
                transfer = position.transfer.transfer
                if channel == transfer.caller_channel:
                    self._feed(position, "caller_hangs_up", event)
                elif channel == transfer.agent_channel:
                    self._feed(position, "agent_hangs_up", event)
                elif channel.startswith(f"PJSIP/{transfer.target}-"):
                    self._feed(position, "target_hangs_up", event)
            if call and call.on(server, channel):
                self._end_call(position)

    def _on_AttendedTransfer(self, event: dict[str, str]) -> None:
        position = self._position(event.get("OrigTransfererChannel", ""))
        if position is None or not isinstance(position.transfer, (tx.Ringing, tx.Talking, tx.Completed)) \
                or position.transfer_server != self._server(event):
            return
        if event.get("Result") == "Success":
            self._tell(position, {"type": "transfer", "state": position.transfer.name, "confirmed": True})
        else:
            self._feed(position, "asterisk_refused", event)

    # --- warm transfer -----------------------------------------------------------------------

    def _feed(self, position: Position, event_name: str, event: dict | None = None, *,
              by_agent: bool = False) -> tx.Step:
        """Give the transfer machine one event; send its commands; tell the agent."""
        # The console's clock for every transfer time: the button presses have no AMI timestamp.
        at = self.now()
        before = position.transfer
        step = getattr(before, event_name)(at)
        position.transfer = step.state
        if step.state is not before:
            log.info("transfer at %s: %s -> %s on %s", position.extension, before.name, step.state.name, event_name)
            self._after(position, step, event_name, at)
        elif by_agent:  # a late Asterisk event that changes nothing is not news; a refused click is
            self._tell(position, {"type": "transfer", "state": step.state.name, "refused": step.refused})
        return step

    def _after(self, position: Position, step: tx.Step, event_name: str, at: float) -> None:
        transfer = step.state.transfer
        for command in step.commands:
            asyncio.ensure_future(self._send(position, command, transfer))
        if isinstance(step.state, tx.Talking):
            self.steps(position.transfer_call_id, summary.TRANSFER_ANSWERED, at,
                       {"target": transfer.target, "transfer_seconds": transfer.transfer_seconds})
        if step.state.final:
            if position.no_answer_timer:
                position.no_answer_timer.cancel()
                position.no_answer_timer = None
            asyncio.ensure_future(self._forget_target(position, transfer))
            self.steps(position.transfer_call_id, summary.TRANSFER_ENDED, at, {
                "target": transfer.target, "outcome": transfer.outcome.value,
                "wait_after_transfer_seconds": transfer.wait_after_transfer_seconds})
        self._tell(position, {"type": "transfer", "state": step.state.name, "target": transfer.target,
                              "outcome": transfer.outcome.value if transfer.outcome else None,
                              "refused": step.refused})

    async def _send(self, position: Position, command: tx.Command, transfer: tx.Transfer) -> None:
        ami = self.amis[position.transfer_server]
        try:
            if command is tx.Command.ATXFER:
                await warm_transfer.begin(ami, transfer.agent_channel, transfer.target)
            elif command is tx.Command.COMPLETE:
                await warm_transfer.complete(ami, transfer.agent_channel)
            elif command is tx.Command.CANCEL:
                await ami.action("CancelAtxfer", Channel=transfer.agent_channel)
        except AmiError as problem:
            log.warning("transfer %s at %s failed: %s", command.value, position.extension, problem)
            if command is tx.Command.ATXFER:
                self._feed(position, "asterisk_refused")

    async def _forget_target(self, position: Position, transfer: tx.Transfer) -> None:
        try:
            await warm_transfer.forget_target(self.amis[position.transfer_server], transfer.agent_channel)
        except AmiError as problem:  # expected when the agent's leg has ended (a completed transfer)
            log.debug("transfer target at %s not forgotten: %s", position.extension, problem)

    def start_transfer(self, extension: str, target: str) -> tx.Step:
        position = self.positions[extension]
        call = position.call
        if call is None or not call.answered:
            return tx.Step(position.transfer, refused="no call to transfer")
        target, refusal = self._transfer_target(target)
        if refusal:
            return tx.Step(position.transfer, refused=refusal)
        if position.transfer.final:
            position.transfer = tx.Idle()
        at = self.now()
        step = position.transfer.start(call.agent_channel, call.caller_channel, target, at)
        position.transfer = step.state
        if step.refused:
            self._tell(position, {"type": "transfer", "state": step.state.name, "refused": step.refused})
            return step
        position.transfer_call_id, position.transfer_server = call.call_id, call.server
        log.info("transfer at %s: started to %s on %s", extension, target, call.server or "this server")
        self.steps(call.call_id, summary.TRANSFER_STARTED, at, {"target": target})
        position.no_answer_timer = asyncio.get_running_loop().call_later(
            self.config.console.transfer_ring_seconds, self._feed, position, "target_no_answer")
        self._after(position, step, "start", at)
        return step

    def _transfer_target(self, target: str) -> tuple[str, str | None]:
        """A colleague's extension, or a number outside that the class of service allows (then in national
        form); anything else is refused with the reason, before Asterisk is asked."""
        if target in self._extensions:
            return target, None
        verdict = self.outbound.verdict(target)
        if not verdict.allowed:
            return target, ("not a colleague in the directory, and " + verdict.reason) if verdict.kind is None \
                else verdict.reason
        return verdict.number, None

    def complete_transfer(self, extension: str) -> tx.Step:
        return self._feed(self.positions[extension], "agent_completes", by_agent=True)

    def cancel_transfer(self, extension: str) -> tx.Step:
        return self._feed(self.positions[extension], "agent_cancels", by_agent=True)

    # --- agent state in the queue ------------------------------------------------------------

    def _interface(self, extension: str) -> str:
        return f"PJSIP/{extension}"

    async def set_paused(self, extension: str, paused: bool, reason: str = "") -> None:
        """In every queue the position is a member of, on every server (bereik.pbx.members: no AMI `agent`
        class): each offers the phone its own calls. A server that is down now starts with its members as
        configured when it comes back."""
        queues = [q.id for q in self.config.queues if any(p.extension == extension for p in q.positions)]
        refused = []
        for server, ami in self.amis.items():
            try:
                await members.set_paused(ami, queues, self._interface(extension), paused, reason)
            except AmiError as problem:
                refused.append(problem)
                log.warning("position %s not %s on %s: %s", extension, "paused" if paused else "unpaused",
                            server or "Asterisk", problem)
        if len(refused) == len(self.amis):
            raise refused[0]

    async def member_state(self, extension: str) -> dict:
        interface = self._interface(extension)
        # Every server has the same members, paused alike (set_paused): the first one that answers says.
        ami = next((a for a in self.amis.values() if a.connected), self.ami)
        replies = await ami.action("QueueStatus", Member=interface, timeout=5)
        in_queues = [r for r in replies if r.get("Event") == "QueueMember"
                     and interface in (r.get("Location"), r.get("StateInterface"))]
        paused = any(m.get("Paused") == "1" for m in in_queues)
        # A pause made elsewhere (the phone, the CLI) has Asterisk's reason; bereik's own pauses keep theirs in a
        # global (QUEUE_MEMBER sets none).
        reason = (next((m.get("PausedReason", "") for m in in_queues if m.get("PausedReason")), "")
                  or await members.pause_reason(ami, interface)) if paused else ""
        return {"extension": extension, "queues": sorted({m.get("Queue", "") for m in in_queues}),
                "paused": paused, "reason": reason, "logged_in": bool(in_queues) and reason != LOGGED_OUT,
                "call": bool(self.positions[extension].call)}

    async def answer(self, extension: str) -> dict:
        """Answer the call ringing at this position's phone from the browser. bereik may not send a phone the
        in-dialog NOTIFY (Event: talk) that some phones answer on: AMI's PJSIPNotify needs the system class,
        which bereik's login never gets. So the caller is taken out of the queue (AMI Redirect to bereik-pick)
        and put through to this phone with the intercom headers, on which desk phones answer by themselves;
        one that does not rings again and is answered by hand. Not answered: back in the queue."""
        position = self.positions[extension]
        call = position.call
        if call is None or call.answered:
            return {"answering": False, "refused": "no call ringing"}
        if call.picked:
            return {"answering": False, "refused": "the phone is being told to answer"}
        ringing = call.agent_channel
        # The queue's ring ends; bereik-pick's dial is the agent's leg.
        call.picked, call.agent_channel, call.superseded = True, "", ringing
        ami = self.amis[call.server]  # the caller's Asterisk rings the agent's phone
        try:
            await ami.action("Setvar", Channel=call.caller_channel, Variable=PICK_QUEUE,
                             Value=call.queue or self.config.front_office)
            if call.answered or position.call is not call:  # picked up by hand meanwhile, or the caller left
                call.picked, call.superseded, call.agent_channel = False, "", call.agent_channel or ringing
                return {"answering": False, "refused": "no call ringing"}
            await ami.action("Redirect", Channel=call.caller_channel, Context=PICK_CONTEXT, Exten=extension,
                             Priority="1")
        except AmiError:
            if position.call is call and not call.answered:  # the queue still rings the phone
                call.picked, call.agent_channel = False, ringing
            raise
        return {"answering": True}

    async def hang_up(self, extension: str) -> dict:
        """End the agent's call from the browser: Asterisk hangs up the agent's leg, the phone gets a BYE.
        Only this position's own leg: the channel must be its phone's, whatever the desk holds."""
        call = self.positions[extension].call
        if call is None or not call.answered or not call.agent_channel.startswith(f"PJSIP/{extension}-"):
            return {"hung_up": False, "refused": "no call to hang up"}
        await self.amis[call.server].action("Hangup", Channel=call.agent_channel)
        return {"hung_up": True}

    # --- recording ---------------------------------------------------------------------------

    async def toggle_recording(self, user: ConsoleUser) -> dict:
        position = self.positions[user.extension]
        call = position.call
        if call is None or not call.answered:
            return {"recording": False, "refused": "no call to record"}
        ami = self.amis[call.server]
        if not call.recording:
            name = recordings.touch_name(user.login, self.clock(), call.call_id)
            # automixmon reads these from the channel that presses the code; the beep tells caller and
            # agent that recording starts (and gives the file its first sound).
            for variable, value in (("TOUCH_MIXMONITOR_PREFIX", recordings.PREFIX), ("TOUCH_MIXMONITOR", name),
                                    ("TOUCH_MIXMONITOR_MESSAGE_START", "beep")):
                await ami.action("Setvar", Channel=call.agent_channel, Variable=variable, Value=value)
        await press_keys(ami, call.agent_channel, RECORD_CODE)
        call.recording = "" if call.recording else name
        self._tell(position, {"type": "recording", "on": bool(call.recording)})
        return {"recording": bool(call.recording)}

