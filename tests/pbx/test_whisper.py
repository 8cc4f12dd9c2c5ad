"""A waiting caller's companion: started when bereik first has something to say, bereik plays into it, and hangs it
up when the caller leaves the queue."""
import asyncio
import logging

import pytest

from bereik.pbx import whisper
from bereik.pbx.agi import AgiServer
from bereik.pbx.call_files import CallFileError, CallFiles
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


class Spool:
    """Where the companions' call files go: Asterisk would start each one at once."""

    def __init__(self):
        self.started: list[tuple[str, str]] = []

    def __call__(self, uniqueid, channel):
        self.started.append((uniqueid, channel))


async def waiting(spool=None):
    """A caller waiting in the queue, and bereik's whisper handler serving FastAGI: (ami, whispers, server)."""
    ami = Ami()
    whispers = Whispers(ami, spool or Spool())
    whispers.attach()
    server = AgiServer({"whisper": whispers}, port=0)
    await server.start()
    ami.emit(Event="QueueCallerJoin", Queue="tic", Channel=CALLER, Uniqueid=UNIQUEID)
    return ami, whispers, server


async def connected(whispers, companion, server):
    """The companion Asterisk started from the call file, connected to bereik's FastAGI."""
    session = asyncio.ensure_future(companion.call(server, "whisper"))
    for _ in range(200):
        if whispers._companions or session.done():
            break
        await asyncio.sleep(0.01)
    return session


async def commands(companion, count):
    for _ in range(200):
        if len(companion.commands) >= count:
            break
        await asyncio.sleep(0.01)
    return companion.commands


def read(sound):
    return ["EXEC", "Read", f"BEREIK_WHISPER_KEY,{sound},1,,1,0.1"]


async def test_the_first_message_starts_the_companion_which_plays_it_and_leaving_the_queue_hangs_it_up():
    spool = Spool()
    ami, whispers, server = await waiting(spool)
    assert spool.started == []  # a caller answered before its first message never has one
    assert whispers.say(CALLER, "bereik/0123abcd")
    assert whispers.say(CALLER, "bereik/4567ef01")  # said again before it connected: the newest counts
    assert spool.started == [(UNIQUEID, CALLER)]  # one companion
    companion = Companion()
    session = await connected(whispers, companion, server)
    # Read, so that a newer message can cut it short (bereik sends the companion a key, AMI PlayDTMF).
    assert await commands(companion, 1) == [read("bereik/4567ef01")]
    assert server.session_timeout < whispers.session_timeout  # a caller may wait longer than any call step

    ami.emit(Event="QueueCallerLeave", Queue="tic", Channel=CALLER, Uniqueid=UNIQUEID)
    await asyncio.wait_for(session, 2)  # bereik ended the session
    await asyncio.sleep(0)
    assert ami.actions == [("Hangup", {"Channel": COMPANION})]  # and Asterisk hangs the companion up
    assert not whispers.say(CALLER, "bereik/0123abcd")  # it waits no more: nothing to start
    assert spool.started == [(UNIQUEID, CALLER)]
    await server.close()


async def test_messages_reach_a_companion_on_fastagis_own_loop_as_bereik_run_has_it():
    """`bereik run` serves FastAGI on its own loop and thread (bereik.pbx.decisions); the announcer speaks from
    the main loop. Each message is played at once, not when the FastAGI loop next happens to wake."""
    ami = Ami()
    whispers = Whispers(ami, Spool())
    whispers.attach()
    decisions = DecisionLoop()
    decisions.start()
    server = AgiServer({"whisper": whispers}, port=0)
    await decisions.run(server.start())
    ami.emit(Event="QueueCallerJoin", Queue="tic", Channel=CALLER, Uniqueid=UNIQUEID)
    assert whispers.say(CALLER, "bereik/message0")
    companion = Companion()
    session = await connected(whispers, companion, server)
    for n in range(3):
        if n:
            assert whispers.say(CALLER, f"bereik/message{n}")
        assert (await commands(companion, n + 1))[n] == read(f"bereik/message{n}")
    ami.emit(Event="QueueCallerLeave", Queue="tic", Channel=CALLER, Uniqueid=UNIQUEID)
    await asyncio.wait_for(session, 2)  # the session on the other loop ended with the caller's leaving
    await decisions.run(server.close())
    decisions.stop()


async def test_a_caller_bereik_did_not_hear_join_a_queue_gets_no_companion():
    ami, spool = Ami(), Spool()
    whispers = Whispers(ami, spool)
    whispers.attach()
    assert not whispers.say(CALLER, "bereik/0123abcd")
    await whispers.hush(CALLER)
    assert (spool.started, ami.actions) == ([], [])


async def test_a_companion_that_connects_after_its_caller_left_is_ended_at_once():
    ami, whispers, server = await waiting()
    assert whispers.say(CALLER, "bereik/0123abcd")
    ami.emit(Event="QueueCallerLeave", Queue="tic", Channel=CALLER, Uniqueid=UNIQUEID)  # an agent took it
    companion = Companion()
    await asyncio.wait_for(companion.call(server, "whisper"), 2)  # bereik closed the session
    assert companion.commands == [] and not whispers._companions  # the agent hears nothing
    await server.close()


async def test_a_companion_asterisk_never_starts_is_reported_and_the_next_message_tries_again(monkeypatch, caplog):
    monkeypatch.setattr(whisper, "START_SECONDS", 0.05)
    ami, spool = Ami(), Spool()
    whispers = Whispers(ami, spool)
    whispers.attach()
    ami.emit(Event="QueueCallerJoin", Queue="tic", Channel=CALLER, Uniqueid=UNIQUEID)
    with caplog.at_level(logging.WARNING, "bereik.pbx.whisper"):
        assert whispers.say(CALLER, "bereik/0123abcd")
        await asyncio.sleep(0.2)
    assert "set pbx.call_files to Asterisk's outgoing spool" in caplog.text
    assert whispers.say(CALLER, "bereik/4567ef01")
    assert spool.started == [(UNIQUEID, CALLER)] * 2


async def test_a_spool_bereik_cannot_write_to_leaves_the_caller_waiting_and_says_why(tmp_path, caplog):
    ami = Ami()
    (tmp_path / "spool").write_text("a file where the folder should be")
    whispers = Whispers(ami, CallFiles(tmp_path / "spool" / "outgoing").companion)
    whispers.attach()
    ami.emit(Event="QueueCallerJoin", Queue="tic", Channel=CALLER, Uniqueid=UNIQUEID)
    with caplog.at_level(logging.WARNING, "bereik.pbx.whisper"):
        assert not whispers.say(CALLER, "bereik/0123abcd")
    assert "could not start a waiting caller's companion" in caplog.text
    assert not whispers._starting and not whispers._first  # the next message tries again


def test_the_companions_call_file_spies_on_the_caller_in_whisper_mode_and_takes_only_names(tmp_path):
    spool = tmp_path / "outgoing"
    written = CallFiles(spool).companion(UNIQUEID, CALLER)
    assert written.parent == spool and written.read_text().splitlines() == [
        f"Channel: Local/{UNIQUEID}@bereik-whisper", "Application: ChanSpy", f"Data: {CALLER},qwES",
        "WaitTime: 5", "MaxRetries: 0", "Archive: no"]
    for uniqueid, channel in ((UNIQUEID, "PJSIP/trunk-1,B"), (UNIQUEID, "PJSIP/x\nApplication: System"),
                              ("1.2\nChannel: PJSIP/trunk/0900", CALLER), ("", CALLER)):
        with pytest.raises(CallFileError):
            CallFiles(spool).companion(uniqueid, channel)
    assert [p.name for p in spool.iterdir()] == [written.name]


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


async def test_a_caller_gone_before_bereik_heard_it_leave_ends_its_companion_too():
    """The caller hung up as its companion started: no queue event told bereik yet, but Asterisk's HANGUP on the
    line does."""
    ami, whispers, server = await waiting()
    assert whispers.say(CALLER, "bereik/0123abcd")
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(Companion().environment("whisper"))
    for _ in range(100):
        if whispers._companions:
            break
        await asyncio.sleep(0.01)
    assert server.active_sessions == 1
    writer.write(b"HANGUP\n")
    await writer.drain()
    assert (await asyncio.wait_for(reader.read(), 2)).startswith(b'EXEC "Read"')  # the message, then bereik closed
    assert server.active_sessions == 0 and not whispers._companions
    writer.close()
    await server.close()


async def test_a_newer_message_cuts_the_one_playing_short_with_a_key_the_companion_hears():
    """As main's whisper did by hanging up the old one: the caller hears the newest message at once (the number
    read back after the key, the free times after the confirmation)."""
    ami, whispers, server = await waiting()
    assert whispers.say(CALLER, "bereik/idle")
    companion = Companion()
    companion.silent = True  # a Read under way (Asterisk's reply comes when it ends)
    session = await connected(whispers, companion, server)
    [playing] = whispers._companions.values()
    await commands(companion, 1)
    assert ami.actions == []  # the first message starts nothing to cut short
    assert playing.playing
    assert whispers.say(CALLER, "bereik/0612&bereik/34")
    await asyncio.sleep(0.05)
    assert ami.actions == [("PlayDTMF", {"Channel": COMPANION, "Digit": "#", "Receive": "yes"})]
    ami.emit(Event="QueueCallerLeave", Queue="tic", Channel=CALLER, Uniqueid=UNIQUEID)
    await asyncio.wait_for(session, 2)
    await server.close()


async def test_bereik_stopping_ends_its_companions_at_once_though_they_could_last_hours():
    """SIGTERM must not wait for every waiting caller to be answered (systemd would kill bereik after 30 s)."""
    ami, whispers, server = await waiting()
    assert whispers.say(CALLER, "bereik/0123abcd")
    companion = Companion()
    session = await connected(whispers, companion, server)
    await commands(companion, 1)
    await asyncio.wait_for(server.close(), 2)
    await asyncio.wait_for(session, 2)  # Asterisk saw the connection close: the companion hangs up
    assert server.active_sessions == 0
