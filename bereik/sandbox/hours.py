"""Asterisk in the sandbox runs on the machine's clock, bereik on a test's or bench's pretend one."""
from __future__ import annotations

import datetime as dt

import holidays

from bereik.config.model import WEEKDAYS, Config, WeekHours


def always_open(config: Config) -> Config:
    """The same municipality, open around the clock on every day of the year: the dialplan's own fail-open
    (bereik.routing.failopen) then finds the office open whenever a test or bench runs."""
    years = range(dt.date.today().year - 1, dt.date.today().year + 3)
    names = sorted(set(holidays.country_holidays(config.holidays.country, years=years, language="nl").values()))
    return config.model_copy(update={
        "hours": WeekHours(**{day: ["00:00-24:00"] for day in WEEKDAYS}),
        "holidays": config.holidays.model_copy(update={"open_on": names, "extra_closed": []})})
