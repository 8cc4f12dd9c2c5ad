"""Asterisk's AMI events and replies, translated into bereik's facts (bereik.facts).

Everything Asterisk-shaped stops here: event and header names, channel variables
(keys "ChanVariable(NAME)", into which bereik.pbx.ami splits manager.conf's one joined
channelvar), app_queue's member status codes, channel names, the dialplan's contexts and
camp-on queues. A header that is missing, unreadable, infinite or NaN becomes None, never
a crash.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterable

from bereik import facts as f
from bereik.pbx import variables as var
from bereik.pbx.dialplan import (
    CALLBACK_EVENT, CALLBACK_PREFIX, CAMP_QUEUE_PREFIX, DIRECT_CONTEXT, OUTBOUND_CONTEXT, PUT_THROUGH_CONTEXTS,
    TRUNK_ENDPOINT, WHISPER_CONTEXT,
)

AmiEvent = dict[str, str]

LABEL_VARIABLES = {
    f.TOPIC: var.TOPIC, f.CHOICE: var.CHOICE, f.MUNICIPALITY: var.MUNICIPALITY, f.REASON: var.REASON,
    f.TRIED: var.TRIED, f.TRIED_VIA: var.TRIED_VIA, f.TRIED_AT: var.TRIED_AT, f.FAILED: var.FAILED,
    f.DEPARTMENT: var.DEPARTMENT, f.STAGE: var.STAGE, f.ORGANISATION: var.ORGANISATION,
}
_LABEL_KEYS = tuple((label, f"ChanVariable({name})") for label, name in LABEL_VARIABLES.items())

# app_queue's member Status: AST_DEVICE_* (include/asterisk/devicestate.h).
DEVICE_STATES = {"0": f.UNKNOWN, "1": f.NOT_INUSE, "2": f.INUSE, "3": f.BUSY, "4": f.INVALID,
                 "5": f.UNAVAILABLE, "6": f.RINGING, "7": f.RINGINUSE, "8": f.ONHOLD}
TRUNK_CHANNEL_PREFIX = f"PJSIP/{TRUNK_ENDPOINT}-"
LATEST_TIMESTAMP = 32_503_680_000.0  # the year 3000: far beyond any real event, well within a datetime


def number(text: str | None, fallback: float) -> float:
    """A number from an AMI header; `fallback` when it is missing, unreadable, infinite or NaN."""
    try:
        value = float(text or fallback)
    except ValueError:
        return fallback
    return value if math.isfinite(value) else fallback


def event_time(event: AmiEvent, fallback: float | None) -> float | None:
    """An event's Timestamp in epoch seconds; `fallback` when missing or beyond what a datetime holds."""
    at = number(event.get("Timestamp"), math.nan)
    return at if 0 < at < LATEST_TIMESTAMP else fallback


def fact_of(event: AmiEvent) -> f.Fact | None:
    """The fact an AMI event tells, or None when it tells nothing bereik's core reads."""
    translate = _BY_EVENT.get(event.get("Event", ""))
    return translate(event) if translate else None


def facts_of(events: Iterable[AmiEvent]) -> list[f.Fact]:
    return [fact for fact in map(fact_of, events) if fact is not None]


def queue_status(replies: Iterable[AmiEvent]) -> list[f.MemberState | f.CallerWaiting]:
    """QueueStatus's answer: each queue's members and waiting callers."""
    found: list[f.MemberState | f.CallerWaiting] = []
    for reply in replies:
        kind = reply.get("Event")
        if kind == "QueueMember":
            found.append(_member_state(reply))
        elif kind == "QueueEntry":
            found.append(f.CallerWaiting(
                queue=reply.get("Queue", ""), leg=reply.get("Uniqueid", ""), channel=reply.get("Channel", ""),
                position=_position(reply), waited_seconds=number(reply.get("Wait"), 0),
                caller_number=reply.get("CallerIDNum", "")))
    return found


def calls_up(replies: Iterable[AmiEvent]) -> list[f.CallUp]:
    """The Status action's answer: the callers' legs up now (a leg the call made, or a call-back, is not a call)."""
    return [f.CallUp(call=r["Uniqueid"], leg=r["Uniqueid"], caller_number=r.get("CallerIDNum", ""),
                     caller_name=r.get("CallerIDName", ""), dialled=r.get("Exten", ""),
                     channel=r.get("Channel", ""), up_seconds=number(r.get("Seconds"), 0))
            for r in replies
            if r.get("Event") == "Status" and r.get("Uniqueid") and r.get("Uniqueid") == r.get("Linkedid")
            and is_call(r.get("Channel", ""))]


def is_callback_leg(channel: str) -> bool:
    """A leg of a call-back bereik placed (Local/...@bereik-callback-...): no caller's call of its own."""
    return channel.startswith("Local/") and f"@{CALLBACK_PREFIX}-" in channel


def endpoint(channel: str) -> str:
    """PJSIP/301-0000002a -> 301."""
    return channel.partition("/")[2].rpartition("-")[0]


def _call(event: AmiEvent) -> dict:
    labels = {label: value for label, key in _LABEL_KEYS if (value := event.get(key))}
    return {"call": event.get("Linkedid", ""), "leg": event.get("Uniqueid", ""), "at": event_time(event, None),
            "labels": labels}


def _seconds(event: AmiEvent, header: str) -> float | None:
    value = number(event.get(header), math.nan)
    return value if value >= 0 else None  # NaN too


def _position(event: AmiEvent) -> int | None:
    value = number(event.get("Position"), math.nan)
    return None if math.isnan(value) else int(value)


def _camp_on_colleague(event: AmiEvent) -> str | None:
    queue = event.get("Queue", "")
    return queue[len(CAMP_QUEUE_PREFIX):] if queue.startswith(CAMP_QUEUE_PREFIX) else None


def is_call(channel: str) -> bool:
    """Whether a channel that starts its own call is one: a waiting caller's companion, through which bereik
    whispers to it (Local/<uniqueid>@bereik-whisper, bereik.pbx.whisper), is not, nor is a call-back bereik
    placed."""
    return not (channel.startswith("Local/") and f"@{WHISPER_CONTEXT}-" in channel) and not is_callback_leg(channel)


def inside(channel: str) -> bool:
    """A call from a desk phone (PJSIP/301-...), not from outside through the trunk."""
    return channel.startswith("PJSIP/") and not channel.startswith(TRUNK_CHANNEL_PREFIX)


def _newchannel(event: AmiEvent) -> f.CallEntered | None:
    channel = event.get("Channel", "")
    if not is_call(channel):
        return None
    return f.CallEntered(**_call(event), caller_number=event.get("CallerIDNum", ""),
                         caller_name=event.get("CallerIDName", ""), dialled=event.get("Exten", ""),
                         channel=channel, inside=inside(channel))


def _newstate(event: AmiEvent) -> f.CallAnswered | None:
    return f.CallAnswered(**_call(event)) if event.get("ChannelStateDesc") == "Up" else None


def _queue_caller_join(event: AmiEvent) -> f.QueueJoined | f.CampedOn:
    colleague = _camp_on_colleague(event)
    if colleague is not None:
        return f.CampedOn(**_call(event), colleague=colleague, channel=event.get("Channel", ""))
    return f.QueueJoined(**_call(event), queue=event.get("Queue", ""), channel=event.get("Channel", ""),
                         position=_position(event), caller_number=event.get("CallerIDNum", ""))


def _queue_caller_leave(event: AmiEvent) -> f.QueueLeft:
    return f.QueueLeft(**_call(event), queue=event.get("Queue", ""), channel=event.get("Channel", ""),
                       callback=event.get(f"ChanVariable({var.CALLBACK})", ""))


def _dtmf_end(event: AmiEvent) -> f.KeyPressed | None:
    if event.get("Direction") != "Received" or len(event.get("Digit", "")) != 1:
        return None
    return f.KeyPressed(**_call(event), key=event["Digit"], channel=event.get("Channel", ""))


def _user_event(event: AmiEvent) -> f.CallbackCallEnded | None:
    if event.get("UserEvent") != CALLBACK_EVENT or not event.get("Attempt"):
        return None
    talk_ms = number(event.get("Talk"), math.nan)
    return f.CallbackCallEnded(attempt=event["Attempt"], at=event_time(event, None),
                               first_answered=event.get("First") == f.RING_ANSWERED,
                               status=event.get("Status", ""),
                               talk_seconds=round(talk_ms / 1000, 3) if talk_ms >= 0 else None)


def _queue_caller_abandon(event: AmiEvent) -> f.QueueAbandoned | f.QueueLeft:
    callback = event.get(f"ChanVariable({var.CALLBACK})", "")
    if callback:
        # app_queue reports a caller it was asked to withdraw as abandoned; bereik withdrew it for a call-back.
        return f.QueueLeft(**_call(event), queue=event.get("Queue", ""), channel=event.get("Channel", ""),
                           callback=callback)
    return f.QueueAbandoned(**_call(event), queue=event.get("Queue", ""), channel=event.get("Channel", ""),
                            waited_seconds=_seconds(event, "HoldTime"))


def _agent_connect(event: AmiEvent) -> f.AgentConnected | f.ColleagueAnswered:
    colleague = _camp_on_colleague(event)
    if colleague is not None:
        return f.ColleagueAnswered(**_call(event), colleague=colleague, waited_seconds=_seconds(event, "HoldTime"))
    return f.AgentConnected(**_call(event), queue=event.get("Queue", ""), member=event.get("Interface", ""),
                            agent=event.get("MemberName", ""), ring_seconds=_seconds(event, "RingTime"),
                            waited_seconds=_seconds(event, "HoldTime"))


def _agent_complete(event: AmiEvent) -> f.AgentCompleted:
    return f.AgentCompleted(**_call(event), queue=event.get("Queue", ""), member=event.get("Interface", ""),
                            agent=event.get("MemberName", ""), talk_seconds=_seconds(event, "TalkTime"),
                            waited_seconds=_seconds(event, "HoldTime"), reason=event.get("Reason", ""))


def _dial_begin(event: AmiEvent) -> f.ColleagueRung | f.Forwarded | None:
    if event.get("Context") == DIRECT_CONTEXT:
        return f.ColleagueRung(**_call(event), colleague=endpoint(event.get("DestChannel", "")))
    if event.get("DestChannel", "").startswith(TRUNK_CHANNEL_PREFIX):
        return f.Forwarded(**_call(event), to=event.get("DestExten", ""))
    # A menu option's outside organisation, another municipality on the shared number: the caller's own leg
    # dials it through the class of service.
    number, _, through = event.get("DialString", "").partition("@")
    if event.get("Context") in PUT_THROUGH_CONTEXTS and through.split("/")[0] == OUTBOUND_CONTEXT:
        return f.Forwarded(**_call(event), to=number)
    return None


def _dial_end(event: AmiEvent) -> f.RingEnded | None:
    if event.get("Context") != DIRECT_CONTEXT:
        return None
    return f.RingEnded(**_call(event), colleague=endpoint(event.get("DestChannel", "")),
                       status=event.get("DialStatus", ""))


def _pickup(event: AmiEvent) -> f.PickedUp:
    # The ringing phone's call is the one picked up; the event's own channel is the colleague's phone.
    return f.PickedUp(call=event.get("TargetLinkedid", ""), leg=event.get("TargetUniqueid", ""),
                      at=event_time(event, None), ringing=endpoint(event.get("TargetChannel", "")),
                      by=endpoint(event.get("Channel", "")))


def _hangup(event: AmiEvent) -> f.CallEnded:
    return f.CallEnded(**_call(event), cause=event.get("Cause-txt", ""), code=event.get("Cause", ""))


def _member_state(event: AmiEvent) -> f.MemberState:
    paused, in_call = event.get("Paused"), event.get("InCall")
    return f.MemberState(
        queue=event.get("Queue", ""), member=_interface(event), name=event.get("MemberName") or event.get("Name", ""),
        at=event_time(event, None),
        device=DEVICE_STATES.get(event["Status"], f.UNKNOWN) if "Status" in event else None,
        paused=None if paused is None else paused == "1", in_call=None if in_call is None else in_call == "1")


def _member_removed(event: AmiEvent) -> f.MemberRemoved:
    return f.MemberRemoved(queue=event.get("Queue", ""), member=_interface(event),
                           name=event.get("MemberName", ""), at=event_time(event, None))


def _interface(event: AmiEvent) -> str:
    return event.get("Interface") or event.get("StateInterface") or event.get("Location", "")


_BY_EVENT: dict[str, Callable[[AmiEvent], f.Fact | None]] = {
    "Newchannel": _newchannel, "Newstate": _newstate, "Hangup": _hangup,
    "QueueCallerJoin": _queue_caller_join, "QueueCallerLeave": _queue_caller_leave,
    "QueueCallerAbandon": _queue_caller_abandon, "AgentConnect": _agent_connect, "AgentComplete": _agent_complete,
    "DialBegin": _dial_begin, "DialEnd": _dial_end, "Pickup": _pickup,
    "DTMFEnd": _dtmf_end, "UserEvent": _user_event,
    "QueueMemberStatus": _member_state, "QueueMemberAdded": _member_state, "QueueMemberPause": _member_state,
    "QueueMemberRemoved": _member_removed,
}
TRANSLATED = frozenset(_BY_EVENT)  # the AMI events that tell facts
