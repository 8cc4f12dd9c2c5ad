"""The agent's calls of the day come back from the call-record store after a restart, with their wrap-ups,
and only the calls this agent's position answered."""
from zoneinfo import ZoneInfo

from bereik.console.wiring import day_of_agent
from bereik.records.recorder import Recorder
from bereik.records.store import SqliteStore
from bereik.records.summary import WRAPPED_UP
from tests.ami_facts import told
from tests.records.calls import front_office_call

from tests.examples import example_config

MONDAY_10 = 1795424400.0  # 2026-11-23 10:00 Amsterdam


async def test_the_days_calls_of_a_position_with_their_wrap_ups_from_the_store(tmp_path):
    config = example_config()
    store = SqliteStore(tmp_path / "calls.sqlite3")
    recorder = Recorder(store, ZoneInfo("Europe/Amsterdam"), frozenset({"14023"}), clock=lambda: MONDAY_10 + 3600)
    recorder.start()
    for event in front_office_call("c1", MONDAY_10, wait=5, agent="Anna de Vries", caller="0611111111"):
        told(recorder, event)
    for event in front_office_call("c2", MONDAY_10 + 600, wait=5, agent="Anna de Vries", caller="0622222222"):
        told(recorder, event)
    for event in front_office_call("early", MONDAY_10 - 7200, wait=5, agent="Anna de Vries"):
        told(recorder, event)
    recorder.add_step("c1", WRAPPED_UP, MONDAY_10 + 100, {"topic": "Afval", "resolved": "yes", "callback_note": "no"})
    recorder.close()

    calls = day_of_agent(store, config)("201", MONDAY_10 - 60)
    assert [(c["call"], c["number"]) for c in calls] == [("c1", "0611111111"), ("c2", "0622222222")]
    assert calls[0]["wrap_up"]["topic"] == "Afval" and calls[1]["wrap_up"] is None
    assert calls[0]["choice_text"] == "Afval, grofvuil of een kapotte container"
    assert day_of_agent(store, config)("202", MONDAY_10 - 60) == []  # Bram answered none of them
    store.close()
