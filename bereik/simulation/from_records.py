"""A traffic profile derived from a period of call records (`bereik simulate --from-records`).

What the records tell is taken from them; what they cannot tell (why a colleague did not
answer) keeps the default of the profile model, and the derived profile says so in its name.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable

from bereik.config.model import Config
from bereik.records.summary import DIRECT, CallRow, transfers_of
from bereik.reports.schema import ReportRequest
from bereik.simulation.traffic import TrafficProfile

WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def derive(rows: Iterable[CallRow], config: Config, request: ReportRequest) -> TrafficProfile:
    rows = list(rows)
    if not rows:
        raise ValueError(f"no call records from {request.start} to {request.end}; pick a period bereik recorded")
    days = [request.start + dt.timedelta(n) for n in range((request.end - request.start).days + 1)]
    per_weekday = Counter(day.weekday() for day in days)
    arrivals = Counter((row.weekday, row.hour) for row in rows)
    table = {name: {f"{hour:02d}": round(arrivals[(day, hour)] / per_weekday[day], 2)
                    for hour in range(24) if arrivals[(day, hour)]}
             for day, name in enumerate(WEEKDAY_NAMES) if per_weekday[day]}
    direct = [row for row in rows if row.kind == DIRECT]
    front = [row for row in rows if row.kind != DIRECT]
    talks = [row.talk_seconds for row in rows if row.agent and row.talk_seconds]
    queued = [row for row in rows if row.queued_at is not None and row.wait_seconds is not None]
    gave_up = sum(row.abandoned for row in queued)
    # Exponential patience, censored by answering: total time waited over the number who gave up.
    patience = sum(row.wait_seconds for row in queued) / gave_up if gave_up else 3600.0
    options = config.menu.options if config.menu else []
    keys = {option.topic: option.key for option in options if not option.outside}
    outside = {option.forward_to: option.key for option in options if option.outside}
    chosen = Counter(outside[row.forwarded_to] if row.forwarded_to in outside else keys.get(row.topic, "none")
                     for row in front if row.queued_at is not None or row.forwarded_to in outside)
    searches = [t.search_seconds for row in front for t in transfers_of(row)[:1] if t.search_seconds is not None]
    answered_direct = sum(row.direct_answered for row in direct) / len(direct) if direct else 0.5
    callbacks = [row.callback_on_time for row in rows if row.callback_on_time is not None]
    profile = {
        "name": f"Uit gespreksgegevens {request.start} t/m {request.end}",
        "month": f"{request.start:%Y-%m}",
        "arrivals": table,
        "menu_keys": dict(chosen) if config.menu and chosen else {},
        "patience_seconds": round(min(patience, 36000), 1),
        "handling": {"talk_seconds": round(sum(talks) / len(talks), 1) if talks else 210},
        "direct": {"share": round(len(direct) / len(rows), 4)},
        # The records show how often a colleague answered, not why not: the rest is 'not answering'.
        "availability": {"in_meeting": 0, "absent": 0, "on_the_phone": 0,
                         "not_answering": round(1 - answered_direct, 4)},
        "front_office": {
            "transfer_share": round(len(searches) / max(1, sum(bool(row.agent) for row in front)), 4),
            "search_seconds": round(sum(searches) / len(searches), 1) if searches else 30,
        },
    }
    if callbacks:
        profile["callbacks"] = {"on_time": round(sum(callbacks) / len(callbacks), 4), "late": 0}
    return TrafficProfile.model_validate(profile)
