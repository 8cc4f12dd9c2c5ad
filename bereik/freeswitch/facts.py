"""FreeSWITCH's events on a call's outbound event socket, translated into bereik's facts (bereik.facts).

The socket carries the events of the caller's own channel (genesis filters on its Unique-ID):
the channel's data in the reply to `connect`, CHANNEL_ANSWER, mod_callcenter's CUSTOM
callcenter::info events about the caller as a queue member (member-queue-start; member-queue-end
with CC-Cause Terminated after an agent's conversation, or Cancel when the caller gave up),
and CHANNEL_HANGUP_COMPLETE. Events with the channel's data carry its variables as
variable_<name>, so the labels bereik set (bereik_topic, ...) come back on them.

mod_callcenter tells the agent's answer only in member-queue-end (CC-Agent-Answered-Time): the
agent's own bridge-agent-start carries the agent's channel, not the caller's, and never reaches
this socket. The journey gets the answer, at its time, once the conversation has ended.
Times: Event-Date-Timestamp and Caller-Channel-*-Time in microseconds, CC-*-Time in seconds.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from bereik import facts as f
from bereik.pbx.facts import LABEL_VARIABLES

CALLCENTER = "callcenter::info"


def variable_name(name: str) -> str:
    """BEREIK_QUEUE on Asterisk is bereik_queue on FreeSWITCH."""
    return name.lower()


_LABEL_HEADERS = tuple((label, f"variable_{variable_name(name)}") for label, name in LABEL_VARIABLES.items())


def connected(channel: Mapping[str, Any]) -> list[f.CallFact]:
    """The call as the reply to `connect` describes it: entered, and answered when it was."""
    ids = _ids(channel)
    told: list[f.CallFact] = [f.CallEntered(
        **ids, at=_micro(channel, "Caller-Channel-Created-Time"), labels=_labels(channel),
        caller_number=one_header(channel, "Caller-Caller-ID-Number"), caller_name=one_header(channel, "Caller-Caller-ID-Name"),
        dialled=one_header(channel, "Caller-Destination-Number"), channel=one_header(channel, "Channel-Name"))]
    answered = _micro(channel, "Caller-Channel-Answered-Time")
    if answered:
        told.append(f.CallAnswered(**ids, at=answered))
    return told


def facts_of(event: Mapping[str, Any], agent_names: Mapping[str, str] = {}) -> list[f.CallFact]:
    """What one event on the socket tells. `agent_names`: mod_callcenter agent (201@default) -> name."""
    name = one_header(event, "Event-Name")
    call = {**_ids(event), "at": _micro(event, "Event-Date-Timestamp"), "labels": _labels(event)}
    if name == "CHANNEL_ANSWER":
        return [f.CallAnswered(**call)]
    if name == "CHANNEL_HANGUP_COMPLETE":
        return [f.CallEnded(**call, cause=one_header(event, "Hangup-Cause"))]
    if name != "CUSTOM" or one_header(event, "Event-Subclass") != CALLCENTER:
        return []
    queue = one_header(event, "CC-Queue").partition("@")[0]  # tic@default: the YAML's queue id
    action = one_header(event, "CC-Action")
    if action == "member-queue-start":
        return [f.QueueJoined(**call, queue=queue, channel=one_header(event, "Channel-Name"),
                              caller_number=one_header(event, "CC-Member-CID-Number"))]
    if action != "member-queue-end":
        return []
    joined, left = _seconds(event, "CC-Member-Joined-Time"), _seconds(event, "CC-Member-Leaving-Time")
    if one_header(event, "CC-Cause") == "Cancel":
        return [f.QueueAbandoned(**{**call, "at": left if left is not None else call["at"]}, queue=queue,
                                 channel=one_header(event, "Channel-Name"), waited_seconds=_between(joined, left))]
    answered = _seconds(event, "CC-Agent-Answered-Time")
    agent = one_header(event, "CC-Agent")
    name = agent_names.get(agent, "")
    return [f.AgentConnected(**{**call, "at": answered}, queue=queue, member=agent, agent=name,
                             waited_seconds=_between(joined, answered)),
            f.AgentCompleted(**{**call, "at": left}, queue=queue, member=agent, agent=name,
                             talk_seconds=_between(answered, left))]


def _ids(headers: Mapping[str, Any]) -> dict[str, str]:
    uuid = one_header(headers, "Unique-ID") or one_header(headers, "Channel-Unique-ID")
    return {"call": uuid, "leg": uuid}  # only the caller's own channel speaks on its socket


def _labels(headers: Mapping[str, Any]) -> dict[str, str]:
    return {label: value for label, header in _LABEL_HEADERS if (value := one_header(headers, header))}


def one_header(headers: Mapping[str, Any], name: str) -> str:
    """A header's value; the first when the event repeats it."""
    value = headers.get(name, "")
    return (value[0] if value else "") if isinstance(value, list) else str(value)


def _seconds(headers: Mapping[str, Any], name: str) -> float | None:
    try:
        value = float(one_header(headers, name))
    except ValueError:
        return None
    return value if math.isfinite(value) and value > 0 else None


def _micro(headers: Mapping[str, Any], name: str) -> float | None:
    value = _seconds(headers, name)
    return None if value is None else value / 1_000_000


def _between(start: float | None, end: float | None) -> float | None:
    return None if start is None or end is None else max(0.0, end - start)
