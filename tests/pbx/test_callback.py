"""The call-back key: exactly one task per caller per call, the number read back, no number kept in logs."""
import datetime as dt
import logging
import wave
from pathlib import Path

from bereik.callbacks.store import CallbackStore
from bereik.config import load_config
from bereik.pbx.callback import CallbackHandler
from bereik.pbx.voice import WATCHDOG_MARGIN

CONFIG = load_config(Path(__file__).parents[2] / "examples" / "bloemendaal.yaml")
MONDAY = dt.datetime(2026, 11, 23, 10, 0, tzinfo=CONFIG.zone)


class Prompts:
    """Each text a sound of one second."""

    def __init__(self, directory):
        self.directory = directory

    def ensure(self, text):
        name = f"{abs(hash(text))}"
        with wave.open(str(self.path(text)), "wb") as sound:
            sound.setnchannels(1), sound.setsampwidth(2), sound.setframerate(8000)
            sound.writeframes(b"\0\0" * 8000)
        return f"bereik/{name}", False

    def path(self, text):
        return self.directory / f"{abs(hash(text))}.wav"


class Session:
    """The part of AgiSession the handler uses, recording what it executed."""

    def __init__(self, number, uniqueid="1700000000.7", variables=None):
        self.environment = {"agi_callerid": number}
        self.uniqueid, self.channel = uniqueid, "PJSIP/trunk-00000007"
        self.variables = {"BEREIK_TOPIC": "afval", "BEREIK_QUEUED_AT": str(int(MONDAY.timestamp()) - 95),
                          **(variables or {})}
        self.executed = []

    async def get_variable(self, name):
        return self.variables.get(name)

    async def set_variable(self, name, value):
        self.variables[name] = value

    async def execute(self, application, *arguments, timeout=10):
        self.executed.append((application, arguments))


def handler(tmp_path, place=None, steps=lambda *step: None):
    store = CallbackStore(tmp_path / "callbacks.sqlite3")
    return CallbackHandler(CONFIG, store, Prompts(tmp_path), lambda: MONDAY, lambda channel: place, steps), store


async def test_one_press_makes_one_task_with_topic_and_first_entry_time(tmp_path):
    callback, store = handler(tmp_path)
    session = Session("0612345678")
    await callback(session)
    [note] = store.of_team("tic")
    assert note.number == "0612345678" and note.created_by == "queue"
    assert "afval" in note.question
    assert note.created_at == MONDAY - dt.timedelta(seconds=95)  # when the caller first joined the queue
    assert session.executed[-1] == ("Set", ("BEREIK_ROUTED=1",))
    played = session.executed[0][1][0].split("&")
    assert len(played) == 2 + len("0612345678")  # the sentence around the number, one sound per digit
    # A bereik that freezes while confirming loses the caller to the dialplan's watchdog: armed for
    # the confirmation's length (one second a sound here) plus the margin.
    assert session.variables["TIMEOUT(absolute)"] == str(len(played) + WATCHDOG_MARGIN)


async def test_pressing_again_or_a_retried_request_makes_no_second_task(tmp_path):
    steps = []
    callback, store = handler(tmp_path, steps=lambda *step: steps.append(step))
    for _ in range(3):
        await callback(Session("0612345678"))
    assert len(store.of_team("tic")) == 1
    [note] = store.of_team("tic")
    # The call's record says a call-back was asked for, once.
    assert steps == [("1700000000.7", "callback_requested", MONDAY.timestamp(), {"via": "queue", "note": note.id})]
    await callback(Session("0612345678", uniqueid="1700000099.1"))  # another call: another task
    assert len(store.of_team("tic")) == 2


async def test_without_a_number_the_caller_returns_to_its_place_and_nothing_is_recorded(tmp_path):
    callback, store = handler(tmp_path, place=3)
    session = Session("anonymous")
    await callback(session)
    assert store.of_team("tic") == []
    assert session.executed[-1] == ("Set", ("BEREIK_POSITION=3",))


async def test_the_number_never_reaches_the_log_in_full(tmp_path, caplog):
    caplog.set_level(logging.INFO)
    callback, _ = handler(tmp_path)
    await callback(Session("0612345678"))
    assert "0612345678" not in caplog.text and "06******78" in caplog.text
