"""The AMI reconnect schedule: exponential, capped, spread by jitter, never sooner than half a step."""
import pytest

from bereik.pbx.backoff import Backoff


def test_retries_double_until_the_cap():
    schedule = Backoff(first=0.5, cap=30.0)
    assert [schedule.delay(n, jitter=1.0) for n in range(9)] == [0.5, 1, 2, 4, 8, 16, 30, 30, 30]


def test_jitter_spreads_a_step_over_its_upper_half():
    schedule = Backoff(first=4.0, cap=30.0)
    assert schedule.delay(0, jitter=0.0) == 2.0
    assert schedule.delay(0, jitter=0.5) == 3.0
    assert schedule.delay(3, jitter=0.0) == 15.0  # 32 capped at 30, half of it fixed


@pytest.mark.parametrize("attempt", [10, 1000, 10**6])
def test_a_long_outage_never_waits_longer_than_the_cap(attempt):
    assert 15.0 <= Backoff().delay(attempt, jitter=0.999) <= 30.0
