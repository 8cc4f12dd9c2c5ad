"""Opening hours, public holidays and extra closing days: is the office open now?

Pure: the clock value comes in, nothing is read from the system.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property

import holidays as holiday_calendars

from bereik.config.model import Config

_SEARCH_DAYS = 60  # how far ahead to look for the next opening


@dataclass(frozen=True)
class Status:
    open: bool
    reason: str  # "open", "outside_hours", "holiday", "closing_day"
    detail: str = ""  # the holiday's or closing day's name
    next_opening: dt.datetime | None = None


@dataclass(frozen=True)
class OpeningHours:
    config: Config

    @cached_property
    def _extra_closed(self) -> dict[dt.date, str]:
        return {day.date: day.reason for day in self.config.holidays.extra_closed}

    @cached_property
    def _public_holidays(self) -> holiday_calendars.HolidayBase:
        return holiday_calendars.country_holidays(self.config.holidays.country, language="nl")

    def closed_all_day(self, day: dt.date) -> tuple[str, str] | None:
        if day in self._extra_closed:
            return "closing_day", self._extra_closed[day]
        name = self._public_holidays.get(day)
        if name and name not in self.config.holidays.open_on:
            return "holiday", name
        return None

    def status(self, now: dt.datetime) -> Status:
        if now.tzinfo is None:
            raise ValueError("opening hours need an aware datetime")
        local = now.astimezone(self.config.zone)
        closed = self.closed_all_day(local.date())
        if closed is None and self._within_periods(local):
            return Status(True, "open")
        reason, detail = closed or ("outside_hours", "")
        return Status(False, reason, detail, self.next_opening(now))

    def _within_periods(self, local: dt.datetime) -> bool:
        moment = local.time()
        return any(start <= moment < end for start, end in self.config.hours.periods(local.weekday()))

    def next_opening(self, now: dt.datetime) -> dt.datetime | None:
        """The first moment after `now` at which the office opens, or None if not within two months."""
        zone = self.config.zone
        local = now.astimezone(zone)
        for offset in range(_SEARCH_DAYS):
            day = local.date() + dt.timedelta(days=offset)
            if self.closed_all_day(day):
                continue
            for start, _ in self.config.hours.periods(day.weekday()):
                opening = dt.datetime.combine(day, start, tzinfo=zone)
                if opening > local:
                    return opening
        return None
