"""Fill in what bereik missed while it was down or disconnected from the PBX.

Pure: the journeys bereik knows, the calls the PBX has up now and the facts its own
event log tells about calls bereik missed go in (the adapter reads both: for Asterisk
the Status action and CEL, bereik.pbx.records); the journeys that changed come out.
Only steps a journey lacks are added, so what the live events reported wins.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from bereik import facts as f
from bereik.records.journey import Journey, Step, caller_digits, step_of

FROM_LIVE = "status"  # a step's "from": the PBX's list of calls up at the login
GONE = "gone"  # a step's "from": the call was no longer up, and no log told when it ended


def _logged_steps(facts: list[f.CallFact], source: str) -> list[Step]:
    steps = []
    for fact in sorted(facts, key=lambda fact: fact.at or 0.0):
        step = step_of(fact) if fact.on_caller_leg else None
        if step is not None:
            steps.append(Step(step.at, step.what, {**step.detail, "from": source}))
    return steps


def reconcile(
    journeys: dict[str, Journey],
    live: Iterable[f.CallUp],
    missed: Iterable[f.CallFact],
    now: float,
    open_at_login: Iterable[str] | None = None,
    source: str = "",
) -> list[Journey]:
    """Update `journeys` in place; return those that changed.

    `live`: the calls up at the login; `missed`: what the PBX's own log tells (its steps are
    marked "from": `source`). A call in `missed` that bereik does not know and that is no longer
    up began and ended while bereik was away. A journey bereik still has open but whose call
    is gone ended while bereik was away: the log says when; without it, it is closed at `now`,
    marked as such. `open_at_login`: the calls open when the login began; their gaps are
    filled even if the live events reported their end while the PBX's answers were on the way.
    """
    by_call: dict[str, list[f.CallFact]] = defaultdict(list)
    for fact in missed:
        by_call[fact.call].append(fact)
    up = {c.call: c for c in live if c.call}
    created: set[str] = set()
    for call_id, logged in by_call.items():
        start = next((e for e in logged if isinstance(e, f.CallEntered) and e.on_caller_leg), None)
        if call_id not in journeys and call_id not in up and start is not None:
            # began and ended while bereik was away: the log is all there is
            journeys[call_id] = Journey(call_id, caller_number=caller_digits(start.caller_number),
                                        dialled=start.dialled)
            created.add(call_id)
    for call_id, call in up.items():
        if call_id not in journeys:
            journey = Journey(call_id, caller_number=caller_digits(call.caller_number), caller_name=call.caller_name,
                              dialled=call.dialled)
            if not any(isinstance(e, f.CallEntered) and e.on_caller_leg for e in by_call[call_id]):
                journey.steps.append(Step(now - call.up_seconds, "entered", {"channel": call.channel,
                                                                             "from": FROM_LIVE}))
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
        added = [s for s in _logged_steps(by_call.get(call_id, []), source) if s.what not in have]
        if call_id not in up and not journey.ended and not any(s.what == "hung_up" for s in added):
            added.append(Step(now, "hung_up", {"cause": "", "from": GONE}))  # ended while bereik was away
        if added:
            for step in added:
                if step.what == "fell_through" and step.detail["reason"]:
                    journey.labels.setdefault(f.REASON, step.detail["reason"])  # what AMI told wins
            journey.steps = sorted([*journey.steps, *added], key=lambda s: s.at)
            journey.ended = journey.ended or any(s.what == "hung_up" for s in added)
        if added or call_id in created:
            changed.append(journey)
    return changed
