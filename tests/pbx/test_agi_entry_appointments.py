"""After hours, the IVR offers free times in a department's calendars once the caller confirmed the number; the
FastAGI entry over a real socket (a fake Asterisk) and bereik's Graph client against the local server that
follows Graph's documented shapes (tests/presence/fake_graph.py). The chosen time becomes an event in the
colleague's calendar and an appointment note; whatever fails leaves the caller with the ordinary call-back."""
import datetime as dt
import importlib.util
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from bereik.callbacks.appointments import Appointments
from bereik.callbacks.store import AFTER_HOURS, APPOINTMENT, IVR, CallbackStore
from bereik.config.model import IvrAppointments, PresenceGraph
from bereik.ivr.prompts import PromptLibrary
from bereik.pbx import variables as var
from bereik.pbx.agi import AgiServer
from bereik.pbx.entry import EntryHandler
from bereik.presence.graph import GraphClient, GraphSettings

from fake_asterisk import FakeAsterisk
from tests.examples import example_config

_spec = importlib.util.spec_from_file_location("fake_graph", Path(__file__).parents[1] / "presence" / "fake_graph.py")
fake_graph = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fake_graph)

EXAMPLE = example_config()
EVA, GIJS = "eva.smit@bloemendaal.test", "gijs.mulder@bloemendaal.test"
CONFIG = EXAMPLE.model_copy(update={
    "people": [p.model_copy(update={"email": {"301": EVA, "303": GIJS}.get(p.extension)}) for p in EXAMPLE.people],
    "callbacks": EXAMPLE.callbacks.model_copy(update={"appointments": IvrAppointments(
        department="vergunningen", lookup_seconds=1)}),
    "presence": EXAMPLE.presence.model_copy(update={"graph": PresenceGraph(
        tenant=fake_graph.TENANT, client_id=fake_graph.CLIENT_ID, schedule_mailbox="bereik@bloemendaal.test")}),
})
ZONE = CONFIG.zone
MONDAY_EVENING = dt.datetime(2026, 11, 23, 18, 0, tzinfo=ZONE)
# Bloemendaal, the call-back key, the number confirmed; then the menu of times.
ASKED = ["1", "9", "1"]


@pytest.fixture
async def graph():
    fake = fake_graph.FakeGraph()
    server = TestServer(fake.app(), host="127.0.0.1")
    await server.start_server()
    fake.base = str(server.make_url("")).rstrip("/")
    yield fake
    await server.close()


@pytest.fixture
async def entry(graph, tmp_path):
    store = CallbackStore(tmp_path / "calls.sqlite3", ZONE)
    async with aiohttp.ClientSession() as session:
        client = GraphClient(GraphSettings(fake_graph.TENANT, fake_graph.CLIENT_ID, fake_graph.CLIENT_SECRET,
                                           "bereik@bloemendaal.test", authority_url=graph.base,
                                           graph_url=graph.base + "/v1.0"), session, lambda: MONDAY_EVENING)
        handler = EntryHandler(CONFIG, PromptLibrary(tmp_path / "sounds"), clock=lambda: MONDAY_EVENING,
                               callbacks=store, appointments=Appointments(CONFIG, client, store))
        server = AgiServer({"entry": handler}, port=0)
        await server.start()
        yield server, store
        await server.close()
    store.close()


def sound(tmp_path, text):
    return PromptLibrary(tmp_path / "sounds").sound_name(text)


async def test_the_caller_chooses_tuesdays_time_and_it_is_booked_in_the_colleagues_calendar(graph, entry, tmp_path):
    server, store = entry
    # Eva is busy all Tuesday morning; Gijs from 08:00 to 10:30 (local, winter time: UTC+1).
    graph.calendars[EVA] = fake_graph.calendar(fake_graph.busy("2026-11-24T07:00:00", "2026-11-24T11:00:00"))
    graph.calendars[GIJS] = fake_graph.calendar(fake_graph.busy("2026-11-24T07:00:00", "2026-11-24T09:30:00"))
    asterisk = FakeAsterisk(keys=[*ASKED, "1"])
    await asterisk.call(server)

    menu = [words for words in asterisk.commands if words[:2] == ["EXEC", "Read"]][-1][2].split(",")[1].split("&")
    assert menu[1:] == [sound(tmp_path, "Druk 1 voor morgen 10 uur 30."), sound(tmp_path, "Druk 2 voor morgen 12 uur 30."),
                        sound(tmp_path, "Druk 3 voor een gewone terugbelafspraak.")]
    [asked] = [body for name, body in graph.requests if name == "getSchedule"][:1]
    assert asked["schedules"] == [EVA, GIJS]  # the department's people with a calendar, in one request
    [event] = graph.events[GIJS]
    assert event["start"] == {"dateTime": "2026-11-24T10:30:00", "timeZone": "Europe/Amsterdam"}
    assert "0612345678" in event["body"]["content"]
    [note] = store.open_for_number("0612345678")
    assert (note.kind, note.owner, note.created_by, note.department) == (APPOINTMENT, "303", IVR, "vergunningen")
    assert note.appointment_at == dt.datetime(2026, 11, 24, 10, 30, tzinfo=ZONE)
    [goodbye] = [words for words in asterisk.commands if words[:2] == ["EXEC", "Playback"]]
    assert goodbye[2] == sound(tmp_path, "Dank u wel. Uw afspraak is morgen 10 uur 30. "
                                         "Dan bellen wij u op dit nummer. Tot ziens.")
    assert asterisk.variables[var.ACTION] == "hangup"
    assert store.open_request_of("0612345678").id == note.id  # one call-back per caller: this one


async def test_the_ordinary_key_gives_the_next_working_days_call_back(graph, entry):
    server, store = entry
    graph.calendars[EVA] = fake_graph.calendar()
    asterisk = FakeAsterisk(keys=[*ASKED, "3"])
    await asterisk.call(server)
    [note] = store.open_for_number("0612345678")
    assert note.kind == AFTER_HOURS and graph.events == {}


async def test_a_time_taken_between_the_offer_and_the_key_is_told_and_the_ordinary_call_back_made(graph, entry, tmp_path):
    server, store = entry
    graph.calendars[EVA] = fake_graph.calendar()

    class TakenWhileChoosing(FakeAsterisk):
        def _reply(self, words):
            if words[:2] == ["EXEC", "Read"] and not self.keys[1:]:  # the menu of times is being said
                graph.calendars[EVA]["scheduleItems"].append(
                    fake_graph.busy("2026-11-24T07:00:00", "2026-11-24T16:00:00"))
            return super()._reply(words)

    asterisk = TakenWhileChoosing(keys=[*ASKED, "1"])
    await asterisk.call(server)
    [note] = store.open_for_number("0612345678")
    assert note.kind == AFTER_HOURS and graph.events == {}
    [goodbye] = [words for words in asterisk.commands if words[:2] == ["EXEC", "Playback"]]
    assert goodbye[2].split("&") == [sound(tmp_path, "Dat tijdstip is helaas niet meer vrij. U wordt gewoon teruggebeld."),
                                     sound(tmp_path, "Dank u wel. Wij bellen u morgen om 8 uur 30 terug. Tot ziens.")]


@pytest.mark.parametrize("fault", ["down", "no_calendar"])
async def test_graph_down_or_no_free_time_is_the_ordinary_call_back_without_an_offer(graph, entry, fault):
    server, store = entry
    if fault == "down":
        graph.fail(20)  # every Graph call answers 503; the caller does not wait for the retries
    asterisk = FakeAsterisk(keys=[*ASKED, "1"])
    await asterisk.call(server)
    reads = [words for words in asterisk.commands if words[:2] == ["EXEC", "Read"]]
    assert len(reads) == 3  # the municipality, the offer, the read-back: no menu of times
    [note] = store.open_for_number("0612345678")
    assert note.kind == AFTER_HOURS


async def test_a_caller_who_hangs_up_while_hearing_the_times_keeps_the_confirmed_call_back(graph, entry):
    server, store = entry
    graph.calendars[EVA] = fake_graph.calendar()

    class HangsUpAtTheTimes(FakeAsterisk):
        def _reply(self, words):
            if words[:2] == ["EXEC", "Read"] and not self.keys:  # the menu of times: the caller is gone
                return "HANGUP\n"
            return super()._reply(words)

    asterisk = HangsUpAtTheTimes(keys=ASKED)
    await asterisk.call(server)
    [note] = store.open_for_number("0612345678")
    assert note.kind == AFTER_HOURS and graph.events == {}
