"""A caller waiting behind a colleague's call hears whom they wait for, every few rings, until they leave."""
import asyncio

from bereik.ivr.catalogue import whispered_texts
from bereik.pbx.camp_on import CampOnAnnouncer
from bereik.routing.waiting import AnnouncementSchedule
from tests.examples import example_config

CONFIG = example_config()
WAITING = "Eva Smit is nog in gesprek. Blijft u aan de lijn: zodra het gesprek voorbij is, gaat de telefoon bij Eva Smit over."


class FakeAmi:
    def __init__(self):
        self.callbacks = {}

    def on_event(self, name, callback):
        self.callbacks.setdefault(name, []).append(callback)

    def emit(self, name, **fields):
        for callback in self.callbacks.get(name, []):
            callback({"Event": name, **fields})


class ManualTimers:
    """The loop's call_later, fired by the test: a clock that never depends on the machine's load."""

    def __init__(self):
        self.pending = []
        self.delays = []

    def call_later(self, delay, callback, *args):
        self.delays.append(delay)
        timer = asyncio.get_running_loop().call_at(float("inf"), callback, *args)
        self.pending.append((timer, callback, args))
        return timer

    def fire_next(self):
        timer, callback, args = self.pending.pop(0)
        timer.cancel()
        callback(*args)


async def test_whispers_every_few_rings_while_waiting_and_hushes_when_the_caller_leaves(monkeypatch):
    spoken, hushed = [], []

    async def whisper(channel, text):
        spoken.append((channel, text))

    async def hush(channel):
        hushed.append(channel)

    timers = ManualTimers()
    monkeypatch.setattr(asyncio.get_running_loop(), "call_later", timers.call_later)
    ami = FakeAmi()
    # The first message after two rings, then one every ring.
    announcer = CampOnAnnouncer(CONFIG, ami, whisper, hush, AnnouncementSchedule(2, 1, seconds_per_ring=5))
    announcer.attach()
    ami.emit("QueueCallerJoin", Queue="tic", Channel="PJSIP/trunk-1")  # the front office's, not ours
    ami.emit("QueueCallerJoin", Queue="camp-301", Channel="PJSIP/trunk-2")
    assert timers.delays == [10]  # one caller, first message after two rings
    timers.fire_next()
    timers.fire_next()
    await asyncio.sleep(0)
    assert spoken == [("PJSIP/trunk-2", WAITING)] * 2 and timers.delays[1:] == [5, 5]  # then every ring
    ami.emit("QueueCallerLeave", Queue="camp-301", Channel="PJSIP/trunk-2")
    await asyncio.sleep(0)
    assert [t for t, _, _ in timers.pending if not t.cancelled()] == [] and hushed == ["PJSIP/trunk-2"]
    announcer.close()


def test_the_camp_on_message_is_rendered_for_whispering():
    assert WAITING in whispered_texts(CONFIG)


async def test_a_caller_who_leaves_just_as_a_message_is_due_is_never_whispered_to_again(monkeypatch):
    spoken = []

    async def whisper(channel, text):
        spoken.append(channel)

    async def hush(channel):
        pass

    timers = ManualTimers()
    monkeypatch.setattr(asyncio.get_running_loop(), "call_later", timers.call_later)
    ami = FakeAmi()
    announcer = CampOnAnnouncer(CONFIG, ami, whisper, hush, AnnouncementSchedule(2, 1))
    announcer.attach()
    ami.emit("QueueCallerJoin", Queue="camp-301", Channel="PJSIP/trunk-2")
    timers.fire_next()  # the message is due ...
    ami.emit("QueueCallerLeave", Queue="camp-301", Channel="PJSIP/trunk-2")  # ... as the caller leaves
    for _ in range(3):
        await asyncio.sleep(0)
    assert [t for t, _, _ in timers.pending if not t.cancelled()] == []  # nothing left to whisper
    assert spoken == ["PJSIP/trunk-2"]  # the one that was due, then silence
    announcer.close()
