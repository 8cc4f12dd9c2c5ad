"""Steps bereik adds itself, also after the call ended and left the recorder's memory (an agent's wrap-up
minutes later), reach the stored journey; each new step is told once, in the call's order."""
import asyncio
from zoneinfo import ZoneInfo

from bereik.records.recorder import KEEP_ENDED_SECONDS, Recorder
from bereik.records.summary import WRAPPED_UP
from tests.ami_facts import told

from .calls import front_office_call

ZONE = ZoneInfo("Europe/Amsterdam")
FRONT = frozenset({"14023"})
MONDAY_10 = 1795424400.0  # 2026-11-23 10:00 Amsterdam


async def test_a_wrap_up_after_the_call_left_memory_is_kept_and_told_once(store):
    recorder = Recorder(store, ZONE, FRONT, clock=lambda: MONDAY_10 + 3600)
    heard = []
    recorder.on_step(lambda journey, step: heard.append((journey.call_id, step.what)))
    recorder.start()
    for event in front_office_call("c1", MONDAY_10, wait=5):
        told(recorder, event)
    later = MONDAY_10 + 100 + KEEP_ENDED_SECONDS  # another call's events move the recorder's clock on
    for event in front_office_call("c2", later, wait=5):
        told(recorder, event)
    assert "c1" not in recorder.book.journeys
    recorder.add_step("c1", WRAPPED_UP, later + 1, {"topic": "Afval", "resolved": "yes"})
    for _ in range(200):
        if ("c1", WRAPPED_UP) in heard:
            break
        await asyncio.sleep(0.02)
    recorder.close()
    assert [s.what for s in store.journey("c1").steps][-1] == WRAPPED_UP
    assert store.journey("c1").steps[-1].detail == {"topic": "Afval", "resolved": "yes"}
    first = [what for call_id, what in heard if call_id == "c1"]
    assert first == ["entered", "answered", "queued", "agent_answered", "hung_up", "agent_completed", WRAPPED_UP]
