"""`bereik run`: every AMI event's fact reaches both the call records and the wallboard, translated once."""
import sys
import time
from pathlib import Path

from bereik.config import parse_config
from bereik.pbx import facts
from bereik.secrets import Secrets
from bereik.service import Service
from tests.records.calls import front_office_call

sys.path.insert(0, str(Path(__file__).parents[1] / "presence"))
from test_configured import SECRETS, yaml_with  # noqa: E402


async def test_a_calls_events_reach_the_records_and_the_wallboard_each_translated_once(tmp_path, monkeypatch):
    service = Service(parse_config(yaml_with(tmp_path)), Secrets(SECRETS), Path("/nonexistent-sounds"))
    translated = []
    for name, translate in facts._BY_EVENT.items():  # whoever translates, for whichever subscriber
        monkeypatch.setitem(facts._BY_EVENT, name,
                            lambda event, translate=translate: translated.append(event["Event"]) or translate(event))
    events = front_office_call("c1", time.time() - 100, wait=20, agent=None)
    for event in events[:3]:  # entered, answered, joined the queue
        service.ami._deliver(event)
    assert [s.what for s in service.recorder.book.journeys["c1"].steps] == ["entered", "answered", "queued"]
    assert list(service.floor.waiting) == ["c1"]
    for event in events[3:]:  # gave up, hung up
        service.ami._deliver(event)
    assert service.recorder.book.journeys["c1"].ended and service.floor.waiting == {}
    assert service.floor.totals["abandoned"] == 1
    # The queue's events are translated again by the announcer and the call-back key, which read only those.
    assert [name for name in translated if not name.startswith("Queue")] == ["Newchannel", "Newstate", "Hangup"]
