"""The pure rules of waiting for the front office: when a caller hears a message,
which agents a caller with a topic is offered to, and when the overflow position joins.

No I/O: the announcer (bereik.pbx.waiting) feeds it AMI facts and a clock.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from bereik.config.model import Config, Waiting
from bereik.ivr.wait_message import WaitMessageSettings, wait_texts
from bereik.routing.direct import SECONDS_PER_RING


@dataclass(frozen=True)
class AnnouncementSchedule:
    """The first message after `first` rings, then one every `every` rings, counted from the queue entry."""

    first_after_rings: int = 4
    repeat_every_rings: int = 4
    seconds_per_ring: float = SECONDS_PER_RING

    @classmethod
    def from_config(cls, waiting: Waiting) -> AnnouncementSchedule:
        return cls(waiting.first_after_rings, waiting.repeat_every_rings)

    def next_after(self, waited: float) -> float:
        """Seconds after the entry of the first message later than `waited` seconds of waiting."""
        first = self.first_after_rings * self.seconds_per_ring
        if waited < first:
            return first
        every = self.repeat_every_rings * self.seconds_per_ring
        return first + (math.floor((waited - first) / every) + 1) * every


@dataclass(frozen=True)
class OverflowDecision:
    on: bool
    reason: str


class OverflowSwitch:
    """Hysteresis: on when callers or the expected wait reach the high marks; off only when both
    are at or below the low marks and the position has been on for its minimum time."""

    def __init__(self, on_callers: int, on_wait: float, off_callers: int, off_wait: float, min_on_seconds: float):
        self.on_callers, self.on_wait = on_callers, on_wait
        self.off_callers, self.off_wait = off_callers, off_wait
        self.min_on_seconds = min_on_seconds
        self.on = False
        self._since = -math.inf

    @classmethod
    def from_config(cls, waiting: Waiting) -> OverflowSwitch:
        o = waiting.overflow
        return cls(o.on_callers, o.on_wait_seconds, o.off_callers, o.off_wait_seconds, o.min_minutes_on * 60)

    def needs_wait(self, callers: int, now: float) -> bool:
        """Whether the expected wait can change what `update` decides now. When not, any wait (None) decides the
        same, and the estimate need not be made: with a long line that is every queue event."""
        if self.on:
            return callers <= self.off_callers and now - self._since >= self.min_on_seconds
        return callers < self.on_callers

    def update(self, callers: int, expected_wait: float | None, now: float) -> OverflowDecision | None:
        """The switch to make now, if any. `expected_wait`: the last caller's; None when unknown."""
        wait = expected_wait or 0.0
        if not self.on and (callers >= self.on_callers or wait >= self.on_wait):
            reason = f"callers {callers} >= {self.on_callers}" if callers >= self.on_callers \
                else f"expected wait {wait:.0f} s >= {self.on_wait:.0f} s"
            self.on, self._since = True, now
            return OverflowDecision(True, reason)
        if self.on and callers <= self.off_callers and wait <= self.off_wait \
                and now - self._since >= self.min_on_seconds:
            self.on = False
            return OverflowDecision(False, f"callers {callers} <= {self.off_callers}, "
                                           f"expected wait {wait:.0f} s <= {self.off_wait:.0f} s")
        return None


class TopicsNotArrangeable(ValueError):
    pass


@dataclass(frozen=True)
class PenaltyPlan:
    """app_queue picks agents by a penalty range per caller (QUEUE_MIN/MAX_PENALTY). Each front-office
    position gets its own penalty 1..n, in an order where every topic's agents are neighbours,
    so a topic is one range. QUEUE_RAISE_PENALTY=r<max> lifts every agent inside the range to
    the same penalty, so that rrmemory still shares calls evenly among them.

    When no order puts every topic's agents side by side (three agents with two of three topics
    each, in a circle), the order that lets the fewest untrained agents into a range is taken:
    `widened` names them per topic, so that `bereik check` can say so."""

    slots: dict[str, int]  # extension -> penalty
    ranges: dict[str, tuple[int, int]]  # topic -> (min, max)
    widened: dict[str, tuple[str, ...]] = field(default_factory=dict)  # topic -> untrained extensions in its range

    @property
    def everyone(self) -> tuple[int, int]:
        return (1, len(self.slots))

    def variables(self, topic: str | None) -> dict[str, str]:
        low, high = self.ranges.get(topic or "", self.everyone)
        return {"QUEUE_MIN_PENALTY": str(low), "QUEUE_MAX_PENALTY": str(high), "QUEUE_RAISE_PENALTY": f"r{high}"}

    def fallback_rule(self, seconds: int) -> str:
        """queuerules.conf: after `seconds`, every front-office position (absolute max, min and raise)."""
        low, high = self.everyone
        return f"penaltychange => {seconds},{high},{low},r{high}"


MAX_ARRANGED = 9  # 9! orders at most; penalties stay below the overflow's parking penalty


def penalty_plan(config: Config) -> PenaltyPlan:
    """The order of the front office's positions in which every topic's agents are neighbours."""
    extensions = [p.extension for p in config.queue(config.front_office).positions]
    return arrange(extensions, {a.extension: set(a.topics) for a in config.agents})


def arrange(extensions: list[str], trained: dict[str, set[str]]) -> PenaltyPlan:
    """The first order (in the positions' order) with every topic's agents side by side, or else the
    order with the fewest untrained agents inside topic ranges."""
    trained = {e: ts for e, ts in trained.items() if e in extensions}
    topics = sorted({t for ts in trained.values() for t in ts})
    groups = {t: {e for e, ts in trained.items() if t in ts} for t in topics}
    if len(extensions) > MAX_ARRANGED:
        raise TopicsNotArrangeable(f"the front office has {len(extensions)} positions; topics work up to {MAX_ARRANGED}")
    order = _fewest_strangers(extensions, groups)
    slots = {e: i + 1 for i, e in enumerate(order)}
    ranges = {t: (min(slots[e] for e in g), max(slots[e] for e in g)) for t, g in groups.items()}
    widened = {t: tuple(e for e in order if low <= slots[e] <= high and e not in groups[t])
               for t, (low, high) in ranges.items()}
    return PenaltyPlan(slots, ranges, {t: w for t, w in widened.items() if w})


def _fewest_strangers(extensions: list[str], groups: dict[str, set[str]]) -> list[str]:
    """Depth first in the positions' order; a branch ends once it lets in as many untrained agents as the
    best row so far (an agent placed while a topic's range is open and not complete is inside it)."""
    best: list[list[str] | float] = [[], math.inf]

    def extend(row: list[str], placed: dict[str, int], strangers: int) -> bool:
        if strangers >= best[1]:
            return False
        if len(row) == len(extensions):
            best[:] = [list(row), strangers]
            return strangers == 0
        for extension in extensions:
            if extension in row:
                continue
            extra = sum(1 for t, g in groups.items() if 0 < placed[t] < len(g) and extension not in g)
            for t, g in groups.items():
                placed[t] += extension in g
            row.append(extension)
            done = extend(row, placed, strangers + extra)
            row.pop()
            for t, g in groups.items():
                placed[t] -= extension in g
            if done:
                return True
        return False

    extend([], {t: 0 for t in groups}, 0)
    return best[0]


def waiting_settings(config: Config) -> WaitMessageSettings:
    texts = dict(config.waiting.texts)
    if config.waiting.online_hint:
        texts["online_hint"] = config.waiting.online_hint
    return WaitMessageSettings(config.waiting.mode, config.language, wait_texts(config.language, texts))


def max_wait_text(config: Config) -> str:
    """What a caller hears at the maximum wait, before the call ends."""
    return config.waiting.max_wait_message.format(website=config.website, municipality=config.municipality)
