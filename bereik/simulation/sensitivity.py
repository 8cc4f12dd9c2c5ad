"""How much the what-if's headline rests on its assumptions: successful contact under bereik's policy when
one uncertain input at a time moves over a plausible range, the rest as in the profile.

The inputs are the three the headline leans on: how punctually call-back notes are kept, how many
front-office positions are staffed, and how often a colleague is available when the phone rings. Each
setting is simulated with a few seeds (the same seeds for every setting), so the table shows the mean and
the spread the dice alone give. Cheap by design: one setting at a time, not a grid of every combination.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from statistics import mean

from bereik.config.model import Config
from bereik.reports.figures import compute
from bereik.reports.schema import ReportRequest
from bereik.simulation.municipality import simulate
from bereik.simulation.traffic import Availability, TrafficProfile

CALLBACKS_ON_TIME = (0.6, 0.75, 0.85, 0.95)  # kept within the term: from often late to nearly always
AVAILABLE_SHIFT = 0.10  # a colleague available when it rings: ten points fewer and more than assumed
UNAVAILABLE = ("in_meeting", "absent", "on_the_phone", "not_answering")

Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class Setting:
    input: str  # "callbacks", "staffing", "availability"
    value: float  # the share kept on time, positions staffed, or share available
    base: bool  # the profile's own value
    config: Config
    profile: TrafficProfile


@dataclass(frozen=True)
class Row:
    input: str
    value: float
    base: bool
    successful_contact: float | None  # mean over the seeds
    lowest: float | None
    highest: float | None
    direct_reachability: float | None


@dataclass(frozen=True)
class Sensitivity:
    seeds: tuple[int, ...]
    rows: list[Row]


def under_bereiks_policy(profile: TrafficProfile) -> TrafficProfile:
    """The profile with bereik's fallback (an unanswered colleague sends the caller to the front office)."""
    if profile.policy.fallback == "front_office":
        return profile
    return profile.model_copy(update={"policy": profile.policy.model_copy(
        update={"fallback": "front_office", "camp_on": True})})


def available(availability: Availability) -> float:
    return round(1 - sum(getattr(availability, name) for name in UNAVAILABLE), 4)


def with_available(availability: Availability, share: float) -> Availability:
    """The same kinds of unavailability, scaled so that `share` of colleagues are available."""
    away = 1 - available(availability)
    if away <= 0:
        return availability.model_copy(update={"not_answering": round(1 - share, 4)})
    factor = (1 - share) / away
    return availability.model_copy(update={name: round(getattr(availability, name) * factor, 4)
                                           for name in UNAVAILABLE})


def _shift_availability(profile: TrafficProfile, points: float) -> TrafficProfile:
    def shifted(a: Availability) -> Availability:
        return with_available(a, min(0.95, max(0.05, available(a) + points)))

    return profile.model_copy(update={
        "availability": shifted(profile.availability),
        "departments": {name: shifted(a) for name, a in profile.departments.items()}})


def _staffed(config: Config, change: int) -> Config:
    """The front office with `change` positions more (or fewer) staffed all day; the overflow stays as it is."""
    queue = config.queue(config.front_office)
    staffed = [p for p in queue.positions if not p.overflow]
    overflow = [p for p in queue.positions if p.overflow]
    if change < 0:
        staffed = staffed[:change]
    taken = {p.extension for q in config.queues for p in q.positions} | {p.extension for p in config.people}
    number = int(max(p.extension for p in staffed + overflow))
    for _ in range(change):
        number += 1
        while str(number) in taken:
            number += 1
        staffed.append(staffed[-1].model_copy(update={"extension": str(number), "address": None}))
    changed = queue.model_copy(update={"positions": staffed + overflow})
    return config.model_copy(update={"queues": [changed if q.id == queue.id else q for q in config.queues]})


def settings(config: Config, profile: TrafficProfile) -> list[Setting]:
    """The base first, then each input's other values, one input at a time."""
    profile = under_bereiks_policy(profile)
    base_callbacks = profile.callbacks.on_time
    base_staffed = sum(not p.overflow for p in config.queue(config.front_office).positions)
    result = [Setting("base", 0.0, True, config, profile)]
    for on_time in sorted(set(CALLBACKS_ON_TIME) - {base_callbacks}):
        callbacks = profile.callbacks.model_copy(
            update={"on_time": on_time, "late": min(profile.callbacks.late, round(1 - on_time, 4))})
        result.append(Setting("callbacks", on_time, False, config, profile.model_copy(update={"callbacks": callbacks})))
    for change in (-1, 1):
        if base_staffed + change >= 1:
            result.append(Setting("staffing", base_staffed + change, False, _staffed(config, change), profile))
    for points in (-AVAILABLE_SHIFT, AVAILABLE_SHIFT):
        shifted = _shift_availability(profile, points)
        result.append(Setting("availability", available(shifted.availability), False, config, shifted))
    return result


def sensitivity(config: Config, profile: TrafficProfile, seeds: tuple[int, ...], *,
                request: ReportRequest | None = None, progress: Progress | None = None) -> Sensitivity:
    """Each setting simulated once per seed; `progress(done, total, what)` after each simulation."""
    chosen = settings(config, profile)
    total, done = len(chosen) * len(seeds), 0
    measured: dict[int, list[tuple[float | None, float | None]]] = {}
    for index, setting in enumerate(chosen):
        for seed in seeds:
            run = simulate(setting.config, setting.profile, seed, request=request)
            figures = {f.id: f.value for f in compute(run.rows, setting.config, run.request).figures}
            measured.setdefault(index, []).append((figures["successful_contact"], figures["direct_reachability"]))
            done += 1
            if progress:
                progress(done, total, f"{setting.input} {setting.value:g}, seed {seed}")
    base = chosen[0]
    values = {
        "callbacks": base.profile.callbacks.on_time,
        "staffing": sum(not p.overflow for p in config.queue(config.front_office).positions),
        "availability": available(base.profile.availability),
    }
    rows = []
    for name, value in values.items():
        same_input = [(i, s) for i, s in enumerate(chosen) if s.input == name] + [(0, Setting(name, value, True,
                                                                                             config, base.profile))]
        for index, setting in sorted(same_input, key=lambda pair: pair[1].value):
            rows.append(_row(setting, measured[index]))
    return Sensitivity(tuple(seeds), rows)


def _row(setting: Setting, runs: list[tuple[float | None, float | None]]) -> Row:
    success = [s for s, _ in runs if s is not None]
    direct = [d for _, d in runs if d is not None]
    return Row(setting.input, setting.value, setting.base,
               round(mean(success), 4) if success else None, min(success, default=None), max(success, default=None),
               round(mean(direct), 4) if direct else None)
