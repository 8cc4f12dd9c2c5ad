"""What happened on a call, in bereik's own words.

The PBX adapters translate their events into these facts (bereik.pbx.facts for Asterisk's AMI
and CEL, bereik.freeswitch.facts for FreeSWITCH's event socket); the routing core, the call
records, the wallboard and the simulation read nothing else, so none of them knows a PBX.

Plain frozen data. Times are epoch seconds of the PBX's clock, None when the PBX gave none;
durations are seconds, None when not told. A call is known by the id of its caller's leg
(Asterisk: the Linkedid, the caller channel's Uniqueid; FreeSWITCH: the caller channel's UUID);
`leg` is the leg a fact was reported on, so a fact whose leg is its call is about the caller.
`channel` is the adapter's own handle on a leg (to whisper to it, say); the core only compares it.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

# What bereik labelled a call with, carried by the PBX on the call and kept in its journey.
TOPIC = "topic"
CHOICE = "choice"  # the menu key pressed
MUNICIPALITY = "municipality"
REASON = "reason"  # why the call went where it went
# Added to the reason a call fell through with when the PBX, bereik away, played the closing message itself.
CLOSED_BY_PBX = "-closed"
# A direct call that fell back to the front office: whom the caller tried, via whom, when, why.
TRIED = "tried"
TRIED_VIA = "tried_via"
TRIED_AT = "tried_at"
FAILED = "failed"
DEPARTMENT = "department"
STAGE = "stage"  # the menu's question the caller is at (municipality, menu): where a hang-up left them
ORGANISATION = "organisation"  # a menu option's outside organisation the caller was put through to
LABELS = (TOPIC, CHOICE, MUNICIPALITY, REASON, TRIED, TRIED_VIA, TRIED_AT, FAILED, DEPARTMENT, STAGE, ORGANISATION)
# The reason of a call a menu option put through to an outside organisation.
OUTSIDE_ORGANISATION = "outside_organisation"
OTHER_MUNICIPALITY = "other_municipality"  # the caller picked another municipality on the shared 14 number

# A phone's state, in the words of Asterisk's DEVICE_STATE() that the routing core already speaks
# (bereik.routing.direct); the FreeSWITCH adapter uses the same words.
NOT_INUSE, INUSE, BUSY, RINGING, RINGINUSE, ONHOLD = "NOT_INUSE", "INUSE", "BUSY", "RINGING", "RINGINUSE", "ONHOLD"
INVALID, UNAVAILABLE, UNKNOWN = "INVALID", "UNAVAILABLE", "UNKNOWN"

# How a ring of one colleague ended, in the words the routing core reads (bereik.routing.direct).
RING_ANSWERED = "ANSWER"


@dataclass(frozen=True, kw_only=True)
class CallFact:
    call: str
    leg: str = ""
    at: float | None = None
    labels: Mapping[str, str] = field(default_factory=dict)  # LABELS the PBX carried on this leg, if any

    @property
    def on_caller_leg(self) -> bool:
        return bool(self.call) and self.leg == self.call


@dataclass(frozen=True, kw_only=True)
class CallEntered(CallFact):
    caller_number: str = ""  # as the PBX reported it: not yet filtered
    caller_name: str = ""
    dialled: str = ""
    channel: str = ""
    inside: bool = False  # a colleague's call from a desk phone, not a citizen's through the trunk


@dataclass(frozen=True, kw_only=True)
class CallAnswered(CallFact):
    pass


@dataclass(frozen=True, kw_only=True)
class QueueJoined(CallFact):
    queue: str
    channel: str = ""
    position: int | None = None  # 1 is first in line; a caller put back joins mid-line
    caller_number: str = ""


@dataclass(frozen=True, kw_only=True)
class QueueLeft(CallFact):
    """Out of the queue, to an agent or taken out by bereik (a call-back): not given up."""

    queue: str
    channel: str = ""
    callback: str = ""  # the call-back note the caller left for, when bereik took it out for one


@dataclass(frozen=True, kw_only=True)
class KeyPressed(CallFact):
    """A key the caller pressed while nothing asked for one (waiting in a queue)."""

    key: str
    channel: str = ""


@dataclass(frozen=True, kw_only=True)
class QueueAbandoned(CallFact):
    queue: str
    channel: str = ""
    waited_seconds: float | None = None


@dataclass(frozen=True, kw_only=True)
class AgentConnected(CallFact):
    queue: str
    member: str = ""  # the queue member's id at the PBX (PJSIP/201, 201@default)
    agent: str = ""  # the agent's name
    ring_seconds: float | None = None
    waited_seconds: float | None = None


@dataclass(frozen=True, kw_only=True)
class AgentCompleted(CallFact):
    queue: str
    member: str = ""
    agent: str = ""
    talk_seconds: float | None = None
    waited_seconds: float | None = None  # in the queue before the agent answered
    reason: str = ""  # who ended the conversation: caller, agent or transfer


@dataclass(frozen=True, kw_only=True)
class CampedOn(CallFact):
    """Waiting behind a colleague's call until the colleague is free (camp-on)."""

    colleague: str  # extension
    channel: str = ""


@dataclass(frozen=True, kw_only=True)
class ColleagueAnswered(CallFact):
    """The colleague the caller camped on took the call."""

    colleague: str
    waited_seconds: float | None = None


@dataclass(frozen=True, kw_only=True)
class ColleagueRung(CallFact):
    colleague: str  # extension


@dataclass(frozen=True, kw_only=True)
class RingEnded(CallFact):
    colleague: str
    status: str  # RING_ANSWERED, NOANSWER, BUSY, CHANUNAVAIL, ... (bereik.routing.direct)


@dataclass(frozen=True, kw_only=True)
class Forwarded(CallFact):
    to: str  # the number the call was sent on to


@dataclass(frozen=True, kw_only=True)
class PickedUp(CallFact):
    """A colleague answered the ringing phone from their own (call pickup)."""

    ringing: str  # extension
    by: str


@dataclass(frozen=True, kw_only=True)
class FellThrough(CallFact):
    """The PBX's dialplan sent the call on without bereik (fail-open or watchdog)."""

    reason: str = ""  # REASON's value for such a call: watchdog, failopen-<status>


@dataclass(frozen=True, kw_only=True)
class CallEnded(CallFact):
    cause: str = ""
    code: str = ""  # the Q.850 cause number (17 busy, 34 congestion, ...): whether the PBX turned the call away


@dataclass(frozen=True, kw_only=True)
class CallbackCallEnded:
    """A call-back bereik placed has ended: the phone rung first (an agent or the note's owner) answered
    or not, and whether and how long the caller talked."""

    attempt: str
    at: float | None = None
    first_answered: bool = False
    status: str = ""  # how ringing the caller ended: RING_ANSWERED, NOANSWER, BUSY, CHANUNAVAIL, ... ("" not rung)
    talk_seconds: float | None = None


@dataclass(frozen=True, kw_only=True)
class CallUp:
    """A call up when bereik (re)connected, from the PBX's list of channels."""

    call: str
    leg: str = ""
    caller_number: str = ""
    caller_name: str = ""
    dialled: str = ""
    channel: str = ""
    up_seconds: float = 0.0


@dataclass(frozen=True, kw_only=True)
class MemberState:
    """A queue member's phone and pause; None where the PBX did not say (unchanged)."""

    queue: str
    member: str
    name: str = ""
    at: float | None = None
    device: str | None = None  # NOT_INUSE, INUSE, ...
    paused: bool | None = None
    in_call: bool | None = None


@dataclass(frozen=True, kw_only=True)
class MemberRemoved:
    queue: str
    member: str
    name: str = ""
    at: float | None = None


@dataclass(frozen=True, kw_only=True)
class CallerWaiting:
    """A caller in a queue when bereik (re)connected, from the PBX's list of the queue."""

    queue: str
    leg: str
    channel: str = ""
    position: int | None = None
    waited_seconds: float = 0.0
    caller_number: str = ""


Fact = CallFact | CallUp | MemberState | MemberRemoved | CallerWaiting | CallbackCallEnded
