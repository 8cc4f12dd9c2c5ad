"""Opening hours at the minute, around holidays and across the DST change (Europe/Amsterdam)."""
import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bereik.config.model import _parse_period
from bereik.routing.hours import OpeningHours
from tests.examples import example_config

AMS = ZoneInfo("Europe/Amsterdam")
HOURS = OpeningHours(example_config())


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=AMS)


@pytest.mark.parametrize(("moment", "is_open", "reason"), [
    (at(2026, 11, 23, 8, 29, 59), False, "outside_hours"),   # Monday, one second before opening
    (at(2026, 11, 23, 8, 30), True, "open"),                  # the opening minute
    (at(2026, 11, 23, 16, 59, 59), True, "open"),
    (at(2026, 11, 23, 17, 0), False, "outside_hours"),        # the closing minute is closed
    (at(2026, 11, 26, 12, 30), False, "outside_hours"),       # Thursday lunch break
    (at(2026, 11, 26, 13, 0), True, "open"),
    (at(2026, 11, 26, 19, 59), True, "open"),                 # Thursday evening opening
    (at(2026, 11, 27, 12, 29), True, "open"),                 # Friday morning only
    (at(2026, 11, 27, 12, 30), False, "outside_hours"),
    (at(2026, 11, 28, 10, 0), False, "outside_hours"),        # Saturday
    (at(2026, 12, 25, 10, 0), False, "holiday"),              # Eerste kerstdag
    (at(2026, 12, 24, 10, 0), False, "closing_day"),          # Kerstavond, an extra closing day
    (at(2026, 12, 23, 10, 0), True, "open"),
    (at(2027, 4, 27, 10, 0), False, "holiday"),               # Koningsdag
    (at(2027, 4, 26, 10, 0), True, "open"),
])
def test_open_or_closed(moment, is_open, reason):
    status = HOURS.status(moment)
    assert (status.open, status.reason) == (is_open, reason)


def test_the_holiday_is_named():
    assert HOURS.status(at(2026, 12, 25, 10, 0)).detail == "Eerste kerstdag"
    assert HOURS.status(at(2026, 12, 24, 10, 0)).detail == "Kerstavond"


@pytest.mark.parametrize(("moment", "next_opening"), [
    (at(2026, 11, 23, 7, 0), at(2026, 11, 23, 8, 30)),       # same morning
    (at(2026, 11, 23, 17, 0), at(2026, 11, 24, 8, 30)),      # tomorrow
    (at(2026, 11, 26, 12, 15), at(2026, 11, 26, 13, 0)),     # after lunch
    (at(2026, 11, 27, 13, 0), at(2026, 11, 30, 8, 30)),      # Friday afternoon: Monday
    (at(2026, 12, 23, 18, 0), at(2026, 12, 28, 8, 30)),      # over Kerstavond, Christmas, the weekend
    (at(2026, 12, 30, 18, 0), at(2027, 1, 4, 8, 30)),        # over Oudejaarsdag, New Year, the weekend
])
def test_next_opening(moment, next_opening):
    assert HOURS.status(moment).next_opening == next_opening


def test_the_dst_change_keeps_local_opening_times():
    # Clocks go back on Sunday 25 October 2026 at 03:00 CEST: Monday still opens at 08:30 local time.
    before_change = dt.datetime(2026, 10, 24, 12, 0, tzinfo=dt.timezone.utc)
    opening = HOURS.next_opening(before_change)
    assert opening == at(2026, 10, 26, 8, 30)
    assert opening.utcoffset() == dt.timedelta(hours=1)
    # 07:30 UTC is 08:30 in winter (open) but was 09:30 in summer; 06:30 UTC is closed in winter.
    assert HOURS.status(dt.datetime(2026, 10, 26, 7, 30, tzinfo=dt.timezone.utc)).open
    assert not HOURS.status(dt.datetime(2026, 10, 26, 7, 29, tzinfo=dt.timezone.utc)).open
    assert HOURS.status(dt.datetime(2026, 10, 23, 6, 30, tzinfo=dt.timezone.utc)).open  # summer time, 08:30


def test_a_naive_time_is_refused():
    with pytest.raises(ValueError):
        HOURS.status(dt.datetime(2026, 11, 23, 10, 0))


def test_a_period_is_parsed_once_however_many_calls_ask():
    HOURS.status(at(2026, 11, 23, 10, 0))
    misses = _parse_period.cache_info().misses
    for minute in range(60):
        HOURS.status(at(2026, 11, 28, 10, minute))  # closed: the next opening looks through the week
    assert _parse_period.cache_info().misses == misses


def test_a_copied_week_answers_with_its_own_periods():
    week = HOURS.config.hours
    assert week.periods(0) == [(dt.time(8, 30), dt.time(17, 0))]
    evenings = week.model_copy(update={"monday": ["18:00-24:00"]})
    assert evenings.periods(0) == [(dt.time(18, 0), dt.time.max)]
