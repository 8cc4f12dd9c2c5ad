"""A caller waiting behind a colleague's call hears whom they wait for, every few rings, until they leave."""
import asyncio
from pathlib import Path

from bereik.config import load_config
from bereik.ivr.catalogue import whispered_texts
from bereik.pbx.camp_on import CampOnAnnouncer
from bereik.routing.waiting import AnnouncementSchedule

CONFIG = load_config(Path(__file__).parents[2] / "examples" / "bloemendaal.yaml")
WAITING = "Eva Smit is nog in gesprek. Blijft u aan de lijn: zodra het gesprek voorbij is, gaat de telefoon bij Eva Smit over."


class FakeAmi:
    def __init__(self):
        self.callbacks = {}

    def on_event(self, name, callback):
        self.callbacks.setdefault(name, []).append(callback)

    def emit(self, name, **fields):
        for callback in self.callbacks.get(name, []):
            callback({"Event": name, **fields})


async def test_whispers_every_few_rings_while_waiting_and_hushes_when_the_caller_leaves():
    spoken, hushed = [], []

    async def whisper(channel, text):
        spoken.append((channel, text))

    async def hush(channel):
        hushed.append(channel)

    ami = FakeAmi()
    # Rings of 50 ms: the first message after two rings, then one every ring.
    announcer = CampOnAnnouncer(CONFIG, ami, whisper, hush, AnnouncementSchedule(2, 1, seconds_per_ring=0.05))
    announcer.attach()
    ami.emit("QueueCallerJoin", Queue="tic", Channel="PJSIP/trunk-1")  # the front office's, not ours
    ami.emit("QueueCallerJoin", Queue="camp-301", Channel="PJSIP/trunk-2")
    await asyncio.sleep(0.07)
    assert spoken == []  # not before the first two rings
    await asyncio.sleep(0.1)
    assert spoken[:2] == [("PJSIP/trunk-2", WAITING)] * 2
    ami.emit("QueueCallerLeave", Queue="camp-301", Channel="PJSIP/trunk-2")
    await asyncio.sleep(0.01)
    count = len(spoken)
    await asyncio.sleep(0.1)
    assert len(spoken) == count and hushed == ["PJSIP/trunk-2"]
    announcer.close()


def test_the_camp_on_message_is_rendered_for_whispering():
    assert WAITING in whispered_texts(CONFIG)
