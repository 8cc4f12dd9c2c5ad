"""Positions needed per hour: for a service level, capped at an occupancy, checked against Erlang C.

The calls per hour that reach the front-office queue come from the simulated month (so
direct calls that fall back to the TIC are counted), the handling time from the
profile. Two sums, the larger wins:

- Erlang C: the fewest positions that answer `target` of the callers within `answer_seconds`;
- occupancy: the Bloemendaal plan (Novostar) staffs so that agents spend at most 60% of
  their time on calls; above 70-75% absence and turnover rise.

Next to them stand the service level Erlang C predicts for the positions the
municipality has, and the one the simulation measured, hour by hour: where they
differ, the queue is not the textbook one (callers give up, topics, the overflow position).
"""
from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from bereik.records.summary import CallRow
from bereik.reports.schema import WEEKDAYS_EN, WEEKDAYS_NL, ReportRequest
from bereik.simulation import erlang


@dataclass(frozen=True)
class HourStaffing:
    weekday: int
    hour: int
    calls_per_hour: float  # into the front-office queue, averaged over the weeks simulated
    load: float  # Erlangs: positions busy on average
    for_service_level: int
    for_occupancy: int
    positions: int  # the larger of the two
    erlang_service_level: float  # at the positions the municipality has
    simulated_service_level: float | None  # measured in the simulation

    def label(self, language: str = "nl") -> str:
        names = WEEKDAYS_NL if language == "nl" else WEEKDAYS_EN
        return f"{names[self.weekday]} {self.hour:02d}:00"


def staffing(rows: Iterable[CallRow], request: ReportRequest, handling_seconds: float, staffed: int, *,
             target: float = 0.8, answer_seconds: float = 20, occupancy_cap: float = 0.6) -> list[HourStaffing]:
    queued: dict[tuple[int, int], int] = defaultdict(int)
    within: dict[tuple[int, int], int] = defaultdict(int)
    for row in rows:
        if row.queued_at is None:
            continue
        key = (row.weekday, row.hour)
        queued[key] += 1
        answered_in_time = not row.abandoned and row.wait_seconds is not None and row.wait_seconds <= answer_seconds
        within[key] += answered_in_time
    days = [request.start + dt.timedelta(n) for n in range((request.end - request.start).days + 1)]
    table = []
    for (weekday, hour), count in sorted(queued.items()):
        weeks = sum(day.weekday() == weekday for day in days)
        per_second = count / weeks / 3600
        load = erlang.offered_load(per_second, handling_seconds)
        for_level = erlang.agents_for_service_level(per_second, handling_seconds, target, answer_seconds)
        for_occupancy = max(1, math.ceil(load / occupancy_cap - 1e-9))
        table.append(HourStaffing(
            weekday, hour, round(count / weeks, 1), round(load, 2), for_level, for_occupancy,
            max(for_level, for_occupancy),
            round(erlang.service_level(staffed, per_second, handling_seconds, answer_seconds), 3),
            round(within[(weekday, hour)] / count, 3) if count else None))
    return table
