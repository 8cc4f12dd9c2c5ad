"""The call log: a line per event, one per FastAGI session, nothing built while the level is off."""
import json
import logging

import pytest

from bereik.calllog import CallLog


def lines(caplog) -> list[dict]:
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == "bereik.call"]


def ticking():
    moments = iter(range(100))
    return lambda: float(next(moments))


def test_a_step_outside_a_session_is_its_own_line_at_once(caplog):
    caplog.set_level(logging.INFO, logger="bereik.call")
    CallLog("1.1", clock=ticking()).step("announced", position=3)
    assert [r.getMessage() for r in caplog.records] == ['{"call": "1.1", "step": "announced", "t": 1.0, "position": 3}']


def test_a_session_that_fails_still_writes_its_one_line_at_the_step_it_reached(caplog):
    caplog.set_level(logging.INFO, logger="bereik.call")
    with pytest.raises(ConnectionError):
        with CallLog("1.2", clock=ticking()) as call:
            call.step("entry", caller="06******78")
            call.step("menu", key="2")
            assert caplog.records == []
            raise ConnectionError
    assert lines(caplog) == [{"call": "1.2", "step": "menu", "t": 2.0, "key": "2",
                              "steps": [{"step": "entry", "t": 1.0, "caller": "06******78"}]}]


def test_a_session_without_steps_writes_nothing(caplog):
    caplog.set_level(logging.INFO, logger="bereik.call")
    with CallLog("1.3"):
        pass
    assert caplog.records == []


def test_with_the_level_off_no_line_is_built(caplog):
    class Counted:
        shown = 0

        def __str__(self):
            Counted.shown += 1
            return "x"

    caplog.set_level(logging.WARNING, logger="bereik.call")
    with CallLog("1.4") as call:
        call.step("entry", thing=Counted())
    CallLog("1.5").step("announced", thing=Counted())
    assert (caplog.records, Counted.shown) == ([], 0)
