"""A call's journey, rebuilt from the facts the PBX adapter reports (bereik.facts).

Pure: facts go in, one `Journey` per call comes out. It records what the PBX did,
not what bereik intended, so the demo, the tests and the call records all tell
the caller's real experience, whichever PBX carried the call.
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass, field

from bereik import facts as f

# A step's "from": the agent's answer was missed (bereik was away, and Asterisk's CEL log did not have it yet when
# bereik read it) and their completion told it; TalkTime counts whole seconds, so its time is up to a second off.
FROM_AGENT_COMPLETED = "agent_completed"


@dataclass
class Step:
    at: float  # seconds since the epoch, the PBX's clock
    what: str  # "entered", "answered", "queued", "agent_answered", "forwarded", "hung_up", ...
    detail: dict[str, str] = field(default_factory=dict)


@dataclass
class Journey:
    call_id: str  # the id of the caller's leg
    caller_number: str = ""
    caller_name: str = ""
    dialled: str = ""
    steps: list[Step] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)  # bereik.facts.LABELS, as the PBX carried them
    ended: bool = False

    def first(self, what: str) -> Step | None:
        return next((s for s in self.steps if s.what == what), None)

    def seconds_between(self, start: str, end: str) -> float | None:
        a, b = self.first(start), self.first(end)
        return None if a is None or b is None else round(b.at - a.at, 3)


def step_of(fact: f.CallFact) -> Step | None:
    """The journey step a fact about the caller's leg makes, or None when it makes none."""
    at = fact.at if fact.at is not None else 0.0
    labels = fact.labels
    match fact:
        case f.CallEntered():
            return Step(at, "entered", {"channel": fact.channel, **({"inside": "yes"} if fact.inside else {})})
        case f.CallAnswered():
            return Step(at, "answered")
        case f.QueueJoined():
            return Step(at, "queued", {
                "queue": fact.queue, "position": _text(fact.position) or "", "topic": labels.get(f.TOPIC, ""),
                # A direct call that fell back: whom the caller tried and why it failed.
                "tried": labels.get(f.TRIED, ""), "failed": labels.get(f.FAILED, ""),
            })
        case f.CampedOn():
            return Step(at, "camped", {"colleague": fact.colleague})
        case f.AgentConnected():
            return Step(at, "agent_answered", _known(
                agent=fact.agent, interface=fact.member, ring_seconds=fact.ring_seconds,
                hold_seconds=fact.waited_seconds))
        case f.ColleagueAnswered():
            # The colleague the caller waited for, not a front-office agent.
            return Step(at, "colleague_answered", _known(colleague=fact.colleague, hold_seconds=fact.waited_seconds))
        case f.AgentCompleted():
            # reason says who ended the conversation: caller, agent or transfer.
            return Step(at, "agent_completed", _known(agent=fact.agent, talk_seconds=fact.talk_seconds,
                                                      reason=fact.reason))
        case f.QueueAbandoned():
            return Step(at, "abandoned", _known(hold_seconds=fact.waited_seconds))
        case f.ColleagueRung():
            return Step(at, "rang", {"to": fact.colleague, "via": labels.get(f.TRIED_VIA, "")})
        case f.RingEnded():
            return Step(at, "ring_ended", {"to": fact.colleague, "status": fact.status})
        case f.Forwarded():
            return Step(at, "forwarded", {"to": fact.to})
        case f.PickedUp():
            return Step(at, "picked_up", {"ringing": fact.ringing, "by": fact.by})
        case f.FellThrough():
            return Step(at, "fell_through", {"reason": fact.reason})
        case f.CallEnded():
            return Step(at, "hung_up", {"cause": fact.cause, **_known(code=fact.code)})
    return None


def missed_answer(journey: Journey, completed: f.AgentCompleted) -> Step | None:
    """The agent's answer told by their completion, when the journey's last wait in that queue has none."""
    if completed.at is None or completed.talk_seconds is None:
        return None
    last_wait = next((s for s in reversed(journey.steps)
                      if s.what in ("queued", "camped", "agent_answered", "colleague_answered")), None)
    if last_wait is None or last_wait.what != "queued" or last_wait.detail.get("queue") != completed.queue:
        return None  # answered already, or a colleague's camp-on (not an agent's answer)
    return Step(completed.at - completed.talk_seconds, "agent_answered", {
        **_known(agent=completed.agent, interface=completed.member, hold_seconds=completed.waited_seconds),
        "from": FROM_AGENT_COMPLETED})


def caller_digits(number: str) -> str:
    """Before the dialplan filters it, a caller number can hold anything (%0A arrives as a newline)."""
    return "".join(c for c in number if c.isdigit() or c in "+*#")


class JourneyBook:
    """Follows every call's caller leg; ignores legs it did not see enter."""

    def __init__(self) -> None:
        self.journeys: dict[str, Journey] = {}

    def apply(self, fact: f.Fact) -> Journey | None:
        if isinstance(fact, f.CallEntered):
            return self._enter(fact)
        if isinstance(fact, f.PickedUp):
            journey = self.journeys.get(fact.call)  # told on the colleague's phones, not the caller's leg
        elif isinstance(fact, f.CallFact) and fact.on_caller_leg:
            journey = self.journeys.get(fact.call)
        else:
            return None
        if journey is None:
            return None
        journey.labels.update(fact.labels)
        step = step_of(fact)
        if step is not None:
            if step.what == "answered" and journey.first("answered"):
                return journey
            if isinstance(fact, f.AgentCompleted) and (answer := missed_answer(journey, fact)) is not None:
                bisect.insort(journey.steps, answer, key=lambda s: s.at)  # the completion may come after the hang-up
            journey.steps.append(step)
            journey.ended = journey.ended or step.what == "hung_up"
        return journey

    def _enter(self, fact: f.CallEntered) -> Journey | None:
        if not fact.on_caller_leg:
            return None  # a leg created by the call (agent, forward), not a new call
        journey = Journey(call_id=fact.call, caller_number=caller_digits(fact.caller_number),
                          caller_name=fact.caller_name, dialled=fact.dialled)
        journey.labels.update(fact.labels)
        journey.steps.append(step_of(fact))
        self.journeys[journey.call_id] = journey
        return journey


def _text(value: float | int | None) -> str | None:
    if value is None:
        return None
    return str(int(value)) if float(value).is_integer() else str(value)


def _known(**detail: str | float | None) -> dict[str, str]:
    """A step's detail: text as told, numbers without a needless ".0", what was not told left out."""
    return {key: value if isinstance(value, str) else _text(value) for key, value in detail.items()
            if value is not None}
