"""A call's journey, rebuilt from what Asterisk reports over AMI.

Pure: AMI events (plain dicts) go in, one `Journey` per call comes out. It
records what Asterisk did, not what bereik intended, so the demo, the tests
and the call records all tell the caller's real experience.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from bereik.pbx import variables as var
from bereik.pbx.dialplan import CAMP_QUEUE_PREFIX, DIRECT_CONTEXT

FRONT_CHANNEL_PREFIXES = ("PJSIP/trunk-",)


@dataclass
class Step:
    at: float  # seconds since the epoch, from the AMI Timestamp
    what: str  # "entered", "answered", "queued", "agent_answered", "forwarded", "hung_up", ...
    detail: dict[str, str] = field(default_factory=dict)


@dataclass
class Journey:
    call_id: str  # the caller channel's Linkedid
    caller_number: str = ""
    caller_name: str = ""
    dialled: str = ""
    steps: list[Step] = field(default_factory=list)
    variables: dict[str, str] = field(default_factory=dict)
    ended: bool = False

    def first(self, what: str) -> Step | None:
        return next((s for s in self.steps if s.what == what), None)

    def seconds_between(self, start: str, end: str) -> float | None:
        a, b = self.first(start), self.first(end)
        return None if a is None or b is None else round(b.at - a.at, 3)


def _timestamp(event: dict[str, str]) -> float:
    try:
        return float(event.get("Timestamp", "0"))
    except ValueError:
        return 0.0


class JourneyBook:
    """Follows every call's caller leg; ignores legs it did not see enter."""

    def __init__(self) -> None:
        self.journeys: dict[str, Journey] = {}

    def apply(self, event: dict[str, str]) -> Journey | None:
        name = event.get("Event", "")
        handler = getattr(self, f"_on_{name}", None)
        if handler is None:
            return None
        return handler(event)

    def _caller_leg(self, event: dict[str, str]) -> Journey | None:
        journey = self.journeys.get(event.get("Linkedid", ""))
        if journey is None or event.get("Uniqueid") != journey.call_id:
            return None
        self._keep_variables(journey, event)
        return journey

    @staticmethod
    def _keep_variables(journey: Journey, event: dict[str, str]) -> None:
        for name in var.IN_AMI_EVENTS:
            value = event.get(f"ChanVariable({name})")
            if value:
                journey.variables[name] = value

    def _on_Newchannel(self, event):
        if not event.get("Uniqueid") or event.get("Uniqueid") != event.get("Linkedid"):
            return None  # a leg created by the call (agent, forward), not a new call
        journey = Journey(
            call_id=event["Uniqueid"],
            # Before the dialplan filters it, a caller number can hold anything (%0A arrives as a newline).
            caller_number="".join(c for c in event.get("CallerIDNum", "") if c.isdigit() or c in "+*#"),
            caller_name=event.get("CallerIDName", ""),
            dialled=event.get("Exten", ""),
        )
        journey.steps.append(Step(_timestamp(event), "entered", {"channel": event.get("Channel", "")}))
        self.journeys[journey.call_id] = journey
        return journey

    def _on_Newstate(self, event):
        journey = self._caller_leg(event)
        if journey and event.get("ChannelStateDesc") == "Up" and not journey.first("answered"):
            journey.steps.append(Step(_timestamp(event), "answered"))
        return journey

    def _on_QueueCallerJoin(self, event):
        journey = self._caller_leg(event)
        if journey and event.get("Queue", "").startswith(CAMP_QUEUE_PREFIX):
            journey.steps.append(Step(_timestamp(event), "camped", {"colleague": event["Queue"][len(CAMP_QUEUE_PREFIX):]}))
        elif journey:
            journey.steps.append(Step(_timestamp(event), "queued", {
                "queue": event.get("Queue", ""), "position": event.get("Position", ""),
                "topic": event.get(f"ChanVariable({var.TOPIC})", ""),
                # A direct call that fell back: whom the caller tried and why it failed.
                "tried": event.get(f"ChanVariable({var.TRIED})", ""),
                "failed": event.get(f"ChanVariable({var.FAILED})", ""),
            }))
        return journey

    def _on_AgentConnect(self, event):
        journey = self._caller_leg(event)
        if journey and event.get("Queue", "").startswith(CAMP_QUEUE_PREFIX):
            # The colleague the caller waited for, not a front-office agent.
            journey.steps.append(Step(_timestamp(event), "colleague_answered", {
                "colleague": event["Queue"][len(CAMP_QUEUE_PREFIX):], "hold_seconds": event.get("HoldTime", ""),
            }))
        elif journey:
            journey.steps.append(Step(_timestamp(event), "agent_answered", {
                "agent": event.get("MemberName", ""), "interface": event.get("Interface", ""),
                "ring_seconds": event.get("RingTime", ""), "hold_seconds": event.get("HoldTime", ""),
            }))
        return journey

    def _on_AgentComplete(self, event):
        # Reason says who ended the conversation: caller, agent or transfer.
        journey = self._caller_leg(event)
        if journey:
            journey.steps.append(Step(_timestamp(event), "agent_completed", {
                "agent": event.get("MemberName", ""), "talk_seconds": event.get("TalkTime", ""),
                "reason": event.get("Reason", ""),
            }))
        return journey

    def _on_QueueCallerAbandon(self, event):
        journey = self._caller_leg(event)
        if journey:
            journey.steps.append(Step(_timestamp(event), "abandoned", {"hold_seconds": event.get("HoldTime", "")}))
        return journey

    def _on_DialBegin(self, event):
        journey = self._caller_leg(event)
        if journey and event.get("Context") == DIRECT_CONTEXT:
            journey.steps.append(Step(_timestamp(event), "rang", {
                "to": _endpoint(event.get("DestChannel", "")),
                "via": event.get(f"ChanVariable({var.TRIED_VIA})", ""),
            }))
        elif journey and event.get("DestChannel", "").startswith(FRONT_CHANNEL_PREFIXES):
            journey.steps.append(Step(_timestamp(event), "forwarded", {"to": event.get("DestExten", "")}))
        return journey

    def _on_DialEnd(self, event):
        journey = self._caller_leg(event)
        if journey and event.get("Context") == DIRECT_CONTEXT:
            journey.steps.append(Step(_timestamp(event), "ring_ended", {
                "to": _endpoint(event.get("DestChannel", "")), "status": event.get("DialStatus", ""),
            }))
        return journey

    def _on_Pickup(self, event):
        # A colleague answered the ringing phone from their own (call pickup).
        journey = self.journeys.get(event.get("TargetLinkedid", ""))
        if journey:
            journey.steps.append(Step(_timestamp(event), "picked_up", {
                "ringing": _endpoint(event.get("TargetChannel", "")), "by": _endpoint(event.get("Channel", "")),
            }))
        return journey

    def _on_Hangup(self, event):
        journey = self._caller_leg(event)
        if journey:
            journey.ended = True
            journey.steps.append(Step(_timestamp(event), "hung_up", {"cause": event.get("Cause-txt", "")}))
        return journey


def _endpoint(channel: str) -> str:
    """PJSIP/301-0000002a -> 301."""
    return channel.partition("/")[2].rpartition("-")[0]
