"""What the dialplan does on its own when bereik cannot route a call: open or closed, and what a caller hears.

With bereik down at night or on a holiday, a caller must not ring forever in an empty office. The
generated dialplan therefore knows the opening hours (a GotoIfTime per weekly span) and, for the
dates that differ from the week (public holidays, extra closing days, and the days before them,
whose evening points to a later opening), a table by date. Each closed span carries the closing
message with its own next opening, as bereik would have said it.

Pure: the YAML and a first date in, spans out; bereik.pbx.dialplan writes them, the tests compare
them with bereik.routing.hours minute by minute.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bereik.config.model import MIDNIGHT_END, Config
from bereik.ivr.phrases import fill, next_opening_phrase
from bereik.routing.hours import OpeningHours

DAY_START, DAY_END = dt.time(0, 0), dt.time(23, 59)
TABLE_DAYS = 730  # the dated table covers two years: regenerate (bereik dialplan) at least yearly


@dataclass(frozen=True)
class Span:
    """From `first` to `last`, minutes inclusive (as Asterisk's GotoIfTime reads a range)."""

    first: dt.time
    last: dt.time
    closed_message: str | None  # None: open, the caller joins the queue

    @property
    def times(self) -> str:
        return f"{self.first:%H:%M}-{self.last:%H:%M}"


def _minus_a_minute(moment: dt.time) -> dt.time:
    return (dt.datetime.combine(dt.date.min, moment) - dt.timedelta(minutes=1)).time()


def _spans(config: Config, day: dt.date, next_opening) -> list[Span]:
    """The day cut into open periods and the closed stretches around them, each with its message."""
    spans, cursor = [], DAY_START  # cursor: the first minute not yet in a span
    for start, end in config.hours.periods(day.weekday()):
        if start > cursor:
            spans.append(_closed(config, day, cursor, _minus_a_minute(start), next_opening))
        spans.append(Span(start, DAY_END if end == MIDNIGHT_END else _minus_a_minute(end), None))
        cursor = end
    if cursor == MIDNIGHT_END:  # open until midnight ("-24:00")
        return spans
    return [*spans, _closed(config, day, cursor, DAY_END, next_opening)]


def _closed(config: Config, day: dt.date, first: dt.time, last: dt.time, next_opening) -> Span:
    moment = dt.datetime.combine(day, first, tzinfo=config.zone)
    phrase = next_opening_phrase(next_opening(moment), moment, config.zone, config.language)
    return Span(first, last, fill(config, config.texts["closed"], next_opening=phrase))


def _weekly_opening(config: Config):
    """The next opening by the weekly hours alone (no holidays): what the week's spans say."""
    def find(moment: dt.datetime) -> dt.datetime | None:
        for offset in range(8):
            day = moment.date() + dt.timedelta(days=offset)
            for start, _ in config.hours.periods(day.weekday()):
                opening = dt.datetime.combine(day, start, tzinfo=config.zone)
                if opening > moment:
                    return opening
        return None
    return find


# A Monday without holidays around it: the reference week the weekly spans are said from.
_REFERENCE_MONDAY = dt.date(2024, 1, 8)


def weekly(config: Config) -> list[list[Span]]:
    """Monday to Sunday, each day's spans by the weekly hours."""
    find = _weekly_opening(config)
    return [_spans(config, _REFERENCE_MONDAY + dt.timedelta(days=weekday), find) for weekday in range(7)]


def dated(config: Config, first_day: dt.date, days: int = TABLE_DAYS) -> dict[dt.date, list[Span]]:
    """The dates whose spans differ from their weekday's: closing days, and days whose closed stretches
    point to a later opening than the week would (the evening before a holiday, the weekend before)."""
    hours = OpeningHours(config)
    week = weekly(config)
    table = {}
    for offset in range(days):
        day = first_day + dt.timedelta(days=offset)
        closed = hours.closed_all_day(day)
        spans = [_closed(config, day, DAY_START, DAY_END, hours.next_opening)] if closed else \
            _spans(config, day, hours.next_opening)
        if spans != week[day.weekday()]:
            table[day] = spans
    return table


def texts(config: Config, first_day: dt.date, days: int = TABLE_DAYS) -> list[str]:
    """Every closing message the fail-open path can play, for `bereik prompts`."""
    spans = [s for day in weekly(config) for s in day] + [s for day in dated(config, first_day, days).values()
                                                             for s in day]
    return list(dict.fromkeys(s.closed_message for s in spans if s.closed_message))
