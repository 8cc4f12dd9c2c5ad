"""The call records of one Asterisk: after every login, what bereik missed (its live events come through
bereik.service, which translates each once for the records and the wallboard).

After every AMI (re)login the Status action tells which calls are up, and Asterisk's own
event log (CEL, bereik.pbx.cel) what happened while bereik was away or disconnected; both
go to the recorder in bereik's words (bereik.records.reconcile fills the gaps).
"""
from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path

from bereik import facts as f
from bereik.pbx import cel
from bereik.pbx.ami import AmiClient, AmiError
from bereik.pbx.dialplan import CAMP_QUEUE_PREFIX
from bereik.pbx.facts import TRUNK_CHANNEL_PREFIX, calls_up, inside, is_call, is_callback_leg
from bereik.records.recorder import Recorder

log = logging.getLogger(__name__)

SOURCE = "cel"  # what a journey step filled in from CEL says it came from
# CEL and AMI stamp the same moment apart by a little; calls known already are not added twice.
SEEN_MARGIN_SECONDS = 5.0


class RecordsFeed:
    def __init__(self, recorder: Recorder, ami: AmiClient, cel_path: Path | str | None = None,
                 agent_names: Mapping[str, str] = {}):
        """`agent_names`: interface (PJSIP/201) -> the agent's name, which CEL does not carry."""
        self.recorder = recorder
        self.ami = ami
        self.cel_path = cel_path
        self.agent_names = dict(agent_names)
        self._seen_until: float | None = None  # the PBX's clock when the connection went: newest event seen

    def attach(self) -> None:
        self.ami.on_disconnect(self._connection_lost)
        self.ami.on_login(self.reconcile)

    def _connection_lost(self) -> None:
        # Taken now: the next session's events may come in before Asterisk is ready for the re-read, and would
        # hide the calls that began while bereik was away.
        self._seen_until = self.recorder.last_event_at

    async def reconcile(self) -> None:
        open_at_login = self.recorder.open_calls()
        try:
            live = calls_up(await self.ami.action("Status", timeout=10))
        except AmiError as error:
            log.warning("could not list Asterisk's channels to reconcile call records: %s", error)
            return
        # Calls that began after the last event bereik saw may have ended unseen (AMI disconnected).
        since = self._seen_until - SEEN_MARGIN_SECONDS if self._seen_until else None
        wanted = open_at_login | {call.call for call in live}
        records = await asyncio.to_thread(cel.read, self.cel_path, wanted, since) if self.cel_path else []
        self.recorder.reconcile(live, cel_facts(records, self.agent_names), open_at_login, SOURCE)


def cel_facts(records: Iterable[cel.CelRecord], agent_names: Mapping[str, str] = {}) -> list[f.CallFact]:
    """What CEL tells of each call's caller leg: entered, answered, fell through to the dialplan, queued or
    camped, met an agent (the first channel to enter a bridge after the caller joined the queue that is
    no trunk), ended."""
    by_call: dict[str, list[cel.CelRecord]] = defaultdict(list)
    for record in records:
        by_call[record.linkedid].append(record)
    told: list[f.CallFact] = []
    for call, own_records in by_call.items():
        if any(r.uniqueid == call and is_callback_leg(r.channel) for r in own_records):
            continue  # a call-back bereik placed, not a caller's call
        queued = ""  # the queue the caller waits in
        for r in sorted(own_records, key=lambda r: r.eventtime):
            own = r.uniqueid == call
            leg = {"call": call, "leg": call, "at": r.eventtime}
            if own and r.eventtype == "CHAN_START":
                if not is_call(r.channel):
                    break  # bereik's whisper to a waiting caller: not a call
                told.append(f.CallEntered(**leg, caller_number=r.caller, dialled=r.exten, channel=r.channel,
                                          inside=inside(r.channel)))
            elif own and r.eventtype == "ANSWER":
                told.append(f.CallAnswered(**leg))
            elif own and r.eventtype == "APP_START" and r.appname.lower() == "queue":
                queue = r.appdata.split(",")[0]
                if queue.startswith(CAMP_QUEUE_PREFIX):  # waiting behind a colleague's call, as AMI tells it
                    told.append(f.CampedOn(**leg, colleague=queue[len(CAMP_QUEUE_PREFIX):], channel=r.channel))
                    continue
                queued = queue
                told.append(f.QueueJoined(**leg, queue=queue, channel=r.channel))
            elif not own and r.eventtype == "BRIDGE_ENTER" and queued and not r.channel.startswith(TRUNK_CHANNEL_PREFIX):
                interface = r.channel.rsplit("-", 1)[0]  # PJSIP/201-0000001a -> PJSIP/201
                told.append(f.AgentConnected(**leg, queue=queued, member=interface,
                                             agent=agent_names.get(interface, "")))
                queued = ""
            elif own and r.eventtype == cel.FELL_THROUGH:  # the dialplan went on without bereik
                told.append(f.FellThrough(**leg, reason=r.extra_value("extra")))
            elif own and r.eventtype == "HANGUP":
                told.append(f.CallEnded(**leg, code=r.extra_value("hangupcause")))
    return told
