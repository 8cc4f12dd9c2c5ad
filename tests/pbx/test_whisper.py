"""A waiting caller's companion: bereik plays into it, and hangs it up when the caller leaves the queue."""
import asyncio

from bereik.pbx.agi import AgiServer
from bereik.pbx.decisions import DecisionLoop
from bereik.pbx.whisper import Whispers
from fake_asterisk import FakeAsterisk

CALLER, UNIQUEID = "PJSIP/trunk-00000007", "1700000000.7"
COMPANION = "Local/1700000000.7@bereik-whisper-00000003;2"


class Companion(FakeAsterisk):
    """Asterisk's side of the companion's FastAGI session: the exten is the caller's uniqueid."""

    def environment(self, script: str) -> bytes:
        return (f"agi_network: yes\nagi_network_script: {script}\nagi_channel: {COMPANION}\n"
                f"agi_uniqueid: 1700000000.9\nagi_context: bereik-whisper\nagi_extension: {UNIQUEID}\n\n").encode()


class Ami:
    def __init__(self):
        self.callbacks, self.actions = {}, []

    def on_event(self, name, callback):
        self.callbacks.setdefault(name, []).append(callback)

    async def action(self, name, **headers):
        self.actions.append((name, headers))
        return [{"Response": "Success"}]

    def emit(self, **event):
        for callback in self.callbacks.get(event["Event"], []):
            callback(event)


async def started(ami):
    whispers = Whispers(ami)
    whispers.attach()
    server = AgiServer({"whisper": whispers}, port=0)
    await server.start()
    companion = Companion()
    session = asyncio.ensure_future(companion.call(server.port, "whisper"))
    for _ in range(100):
        if whispers._companions:
            break
        await asyncio.sleep(0.01)
    return whispers, server, companion, session


async def test_a_message_plays_in_the_companion_and_leaving_the_queue_hangs_it_up():
    ami = Ami()
    whispers, server, companion, session = await started(ami)
    ami.emit(Event="QueueCallerJoin", Queue="tic", Channel=CALLER, Uniqueid=UNIQUEID)
    assert whispers.say(CALLER, "bereik/0123abcd")
    for _ in range(100):
        if companion.commands:
            break
        await asyncio.sleep(0.01)
    # Read, so that a newer message can cut it short (bereik sends the companion a key, AMI PlayDTMF).
    assert companion.commands == [["EXEC", "Read", "BEREIK_WHISPER_KEY,bereik/0123abcd,1,,1,0.1"]]
    assert server.session_timeout < whispers.session_timeout  # a caller may wait longer than any call step

    ami.emit(Event="QueueCallerLeave", Queue="tic", Channel=CALLER, Uniqueid=UNIQUEID)
    await asyncio.wait_for(session, 2)  # bereik ended the session
    await asyncio.sleep(0)
    assert ami.actions == [("Hangup", {"Channel": COMPANION})]  # and Asterisk hangs the companion up
    assert not whispers.say(CALLER, "bereik/0123abcd")  # nothing left to speak through
    await server.close()


async def test_messages_reach_a_companion_on_fastagis_own_loop_as_bereik_run_has_it():
    """`bereik run` serves FastAGI on its own loop and thread (bereik.pbx.decisions); the announcer speaks from
    the main loop. Each message is played at once, not when the FastAGI loop next happens to wake."""
    ami = Ami()
    whispers = Whispers(ami)
    whispers.attach()
    decisions = DecisionLoop()
    decisions.start()
    server = AgiServer({"whisper": whispers}, port=0)
    await decisions.run(server.start())
    companion = Companion()
    session = asyncio.ensure_future(companion.call(server.port, "whisper"))
    for _ in range(100):
        if whispers._companions:
            break
        await asyncio.sleep(0.01)
    ami.emit(Event="QueueCallerJoin", Queue="tic", Channel=CALLER, Uniqueid=UNIQUEID)
    for n in range(3):
        assert whispers.say(CALLER, f"bereik/message{n}")
        for _ in range(100):
            if len(companion.commands) > n:
                break
            await asyncio.sleep(0.01)
        assert companion.commands[n] == ["EXEC", "Read", f"BEREIK_WHISPER_KEY,bereik/message{n},1,,1,0.1"]
    ami.emit(Event="QueueCallerLeave", Queue="tic", Channel=CALLER, Uniqueid=UNIQUEID)
    await asyncio.wait_for(session, 2)  # the session on the other loop ended with the caller's leaving
    await decisions.run(server.close())
    decisions.stop()


async def test_a_caller_without_a_companion_is_left_alone():
    ami = Ami()
    whispers = Whispers(ami)
    whispers.attach()
    ami.emit(Event="QueueCallerJoin", Queue="tic", Channel=CALLER, Uniqueid=UNIQUEID)
    assert not whispers.say(CALLER, "bereik/0123abcd")
    await whispers.hush(CALLER)
    assert ami.actions == []


def test_a_companion_is_part_of_its_callers_call_never_a_call_of_its_own():
    """Where Asterisk's events and log become facts, a companion never enters as a call (its other events
    then belong to no call bereik follows)."""
    from bereik.pbx.cel import CelRecord
    from bereik.pbx.facts import calls_up, fact_of
    from bereik.pbx.records import cel_facts

    for half in (";1", ";2"):
        channel = COMPANION.replace(";2", half)
        assert fact_of({"Event": "Newchannel", "Channel": channel, "Uniqueid": "1700000000.8",
                        "Linkedid": "1700000000.8", "Timestamp": "1700000000.0"}) is None
        assert calls_up([{"Event": "Status", "Channel": channel, "Uniqueid": "1700000000.8",
                          "Linkedid": "1700000000.8"}]) == []
        started = CelRecord("CHAN_START", 1700000000.0, "1700000000.8", "1700000000.8", channel, "", "", "", "", "")
        assert cel_facts([started]) == []
    # the caller's own channel is a call
    assert fact_of({"Event": "Newchannel", "Channel": CALLER, "Uniqueid": UNIQUEID, "Linkedid": UNIQUEID,
                    "Timestamp": "1700000000.0"}) is not None


async def test_a_caller_gone_before_bereik_heard_it_join_ends_its_companion_too():
    """The caller hung up at once: no queue event told bereik, but Asterisk's HANGUP on the line does."""
    whispers = Whispers(Ami())
    server = AgiServer({"whisper": whispers}, port=0)
    await server.start()
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(Companion().environment("whisper"))
    for _ in range(100):
        if whispers._companions:
            break
        await asyncio.sleep(0.01)
    assert server.active_sessions == 1
    writer.write(b"HANGUP\n")
    await writer.drain()
    assert await asyncio.wait_for(reader.read(), 2) == b""  # bereik closed its side
    assert server.active_sessions == 0 and not whispers._companions
    writer.close()
    await server.close()


async def test_a_newer_message_cuts_the_one_playing_short_with_a_key_the_companion_hears():
    """As main's whisper did by hanging up the old one: the caller hears the newest message at once (the number
    read back after the key, the free times after the confirmation)."""
    ami = Ami()
    whispers, server, companion, session = await started(ami)
    ami.emit(Event="QueueCallerJoin", Queue="tic", Channel=CALLER, Uniqueid=UNIQUEID)
    [playing] = whispers._companions.values()
    assert whispers.say(CALLER, "bereik/idle")
    await asyncio.sleep(0.05)
    assert ami.actions == []  # nothing was playing: nothing to cut short
    playing.playing = True  # a Read under way (Asterisk's reply comes when it ends)
    assert whispers.say(CALLER, "bereik/0612&bereik/34")
    await asyncio.sleep(0.05)
    assert ami.actions == [("PlayDTMF", {"Channel": COMPANION, "Digit": "#", "Receive": "yes"})]
    ami.emit(Event="QueueCallerLeave", Queue="tic", Channel=CALLER, Uniqueid=UNIQUEID)
    await asyncio.wait_for(session, 2)
    await server.close()
