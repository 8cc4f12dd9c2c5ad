"""Fill in what bereik missed while it was down or AMI was disconnected.

Pure: the journeys bereik knows, the channels Asterisk has now (the Status
action) and Asterisk's own event log (CEL) go in; the journeys that changed come
out. Only steps a journey lacks are added, so what AMI did report wins.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

from bereik.pbx.dialplan import CAMP_QUEUE_PREFIX
from bereik.pbx import variables as var
from bereik.records import cel
from bereik.records.cel import CelRecord
from bereik.records.journey import FRONT_CHANNEL_PREFIXES, Journey, Step


def _interface(channel: str) -> str:
    return channel.rsplit("-", 1)[0]  # PJSIP/201-0000001a -> PJSIP/201


def _cel_steps(call_id: str, records: list[CelRecord], agent_names: Mapping[str, str]) -> list[Step]:
    steps: list[Step] = []
    queued = False
    for r in sorted(records, key=lambda r: r.eventtime):
        own = r.uniqueid == call_id
        if own and r.eventtype == "CHAN_START":
            steps.append(Step(r.eventtime, "entered", {"channel": r.channel, "from": "cel"}))
        elif own and r.eventtype == "ANSWER":
            steps.append(Step(r.eventtime, "answered", {"from": "cel"}))
        elif own and r.eventtype == "APP_START" and r.appname.lower() == "queue":
            queue = r.appdata.split(",")[0]
            if queue.startswith(CAMP_QUEUE_PREFIX):  # waiting behind a colleague's call, as AMI tells it
                steps.append(Step(r.eventtime, "camped", {"colleague": queue[len(CAMP_QUEUE_PREFIX):], "from": "cel"}))
                continue
            queued = True
            steps.append(Step(r.eventtime, "queued", {"queue": queue, "from": "cel"}))
        elif not own and r.eventtype == "BRIDGE_ENTER" and queued and not r.channel.startswith(FRONT_CHANNEL_PREFIXES):
            interface = _interface(r.channel)
            steps.append(Step(r.eventtime, "agent_answered", {
                "agent": agent_names.get(interface, ""), "interface": interface, "from": "cel"}))
            queued = False
        elif own and r.eventtype == cel.FELL_THROUGH:  # the dialplan went on without bereik
            steps.append(Step(r.eventtime, "fell_through", {"reason": r.extra_value("extra"), "from": "cel"}))
        elif own and r.eventtype == "HANGUP":
            steps.append(Step(r.eventtime, "hung_up", {"cause": r.extra_value("hangupcause"), "from": "cel"}))
    return steps


def reconcile(
    journeys: dict[str, Journey],
    live: Iterable[Mapping[str, str]],
    cel: Iterable[CelRecord],
    now: float,
    agent_names: Mapping[str, str] = {},
    open_at_login: Iterable[str] | None = None,
) -> list[Journey]:
    """Update `journeys` in place; return those that changed.

    `live` are Status events (one per channel up at login); a call in `cel` that bereik
    does not know and that is no longer up began and ended while bereik was away. A journey bereik still
    has open but whose caller channel is gone ended while bereik was away: CEL says
    when; without CEL it is closed at `now`, marked as such. `open_at_login`: the
    calls open when the login began; their gaps are filled even if AMI has
    reported their end while Asterisk's answers were on the way.
    """
    by_call: dict[str, list[CelRecord]] = defaultdict(list)
    for record in cel:
        by_call[record.linkedid].append(record)
    up = {c.get("Uniqueid", ""): c for c in live if c.get("Uniqueid") and c.get("Uniqueid") == c.get("Linkedid")}
    created: set[str] = set()
    for call_id, records in by_call.items():
        start = next((r for r in records if r.uniqueid == call_id and r.eventtype == "CHAN_START"), None)
        if call_id not in journeys and call_id not in up and start is not None:
            # began and ended while bereik was away: CEL is all there is
            journeys[call_id] = Journey(call_id, caller_number=start.caller, dialled=start.exten)
            created.add(call_id)
    for call_id, channel in up.items():
        if call_id not in journeys:
            journey = Journey(call_id, caller_number=channel.get("CallerIDNum", ""),
                              caller_name=channel.get("CallerIDName", ""), dialled=channel.get("Exten", ""))
            if not any(r.uniqueid == call_id and r.eventtype == "CHAN_START" for r in by_call[call_id]):
                seconds = float(channel.get("Seconds") or 0)
                journey.steps.append(Step(now - seconds, "entered", {"channel": channel.get("Channel", ""),
                                                                    "from": "status"}))
            journeys[call_id] = journey
            created.add(call_id)
    changed: list[Journey] = []
    candidates = set(open_at_login) if open_at_login is not None else {
        call_id for call_id, journey in journeys.items() if not journey.ended}
    for call_id in sorted(candidates | created):
        journey = journeys.get(call_id)
        if journey is None:
            continue
        have = {s.what for s in journey.steps}
        added = [s for s in _cel_steps(call_id, by_call.get(call_id, []), agent_names) if s.what not in have]
        if call_id not in up and not journey.ended and not any(s.what == "hung_up" for s in added):
            added.append(Step(now, "hung_up", {"cause": "", "from": "gone"}))  # ended while bereik was away
        if added:
            for step in added:
                if step.what == "fell_through" and step.detail["reason"]:
                    journey.variables.setdefault(var.REASON, step.detail["reason"])
            journey.steps = sorted([*journey.steps, *added], key=lambda s: s.at)
            journey.ended = journey.ended or any(s.what == "hung_up" for s in added)
        if added or call_id in created:
            changed.append(journey)
    return changed
