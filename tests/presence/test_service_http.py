"""The console's API: search with presence, one person, absence CRUD in SQLite, the WebSocket stream."""
from __future__ import annotations

import asyncio
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from test_phone import FakeAmi, device

from bereik.presence import sample
from bereik.presence.absence import AbsenceStore
from bereik.presence.http import USER, presence_app
from bereik.presence.merge import Absence, SourceStatus, WorkingHours
from bereik.presence.phone import PhoneWatcher
from bereik.presence.service import PresenceService, PresenceSettings

AMS = ZoneInfo("Europe/Amsterdam")
NOW = dt.datetime(2026, 3, 4, 11, 0, tzinfo=AMS)  # Wednesday
HOURS = WorkingHours(frozenset(range(5)), dt.time(8), dt.time(17), AMS)


class FakeDirectory:
    def __init__(self, count=200):
        self.index = sample.index(count)
        self.status = SourceStatus(True, NOW - dt.timedelta(minutes=2))
        self.on_change = lambda diff: None


@pytest.fixture
async def world(tmp_path):
    clock = [NOW]
    ami = FakeAmi()
    ami.devices = {f"PJSIP/{2000 + i}": "NOT_INUSE" for i in range(200)}
    phone = PhoneWatcher(ami, lambda: clock[0])
    store = AbsenceStore(tmp_path / "absence.sqlite", lambda: clock[0])
    await store.open()
    service = PresenceService(FakeDirectory(), phone, store, lambda: clock[0],
                              settings=PresenceSettings(default_hours=HOURS))
    await ami.login()
    app = web.Application()

    @web.middleware
    async def login(request, handler):  # what the console's login will do
        request[USER] = "teamleider.burgerzaken"
        return await handler(request)
    app.add_subapp("/api", presence_app(service, middlewares=[login]))
    client = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()
    yield service, ami, client, clock, store
    await client.close()
    store.close()


async def test_search_with_presence(world):
    service, ami, client, clock, _ = world
    ami.emit(device("PJSIP/2000", "INUSE"))
    reply = await client.get("/api/directory", params={"department": "Burgerzaken", "limit": "200"})
    assert reply.status == 200
    body = await reply.json()
    assert len(body["people"]) == 20 and {p["department"] for p in body["people"]} == {"Burgerzaken"}
    by_id = {p["id"]: p for p in body["people"]}
    assert by_id["p00000"]["presence"]["status"] == "on_the_phone"
    assert by_id["p00000"]["presence"]["text"] == "in gesprek"
    assert by_id["p00010"]["presence"]["text"] == "beschikbaar"
    assert by_id["p00010"]["manager"]["id"] == "p00000"
    assert body["sources"]["directory"]["age_seconds"] == 120.0
    english = await (await client.get("/api/directory", params={"q": "p00000", "lang": "en"})).json()
    assert english["people"][0]["presence"]["text"] == "on the phone"
    topic = await (await client.get("/api/directory", params={"topic": "paspoort", "limit": "200"})).json()
    assert topic["people"] and all("paspoort" in p["topics"] for p in topic["people"])


async def test_one_person_and_photo(world):
    _, _, client, _, _ = world
    person = await (await client.get("/api/directory/p00012")).json()
    assert person["extension"] == "2012" and person["photo"] == "directory/p00012/photo"
    photo = await client.get("/api/directory/p00012/photo")
    assert photo.content_type == "image/jpeg" and await photo.read() == sample.photo("p00012")
    assert (await client.get("/api/directory/nobody")).status == 404


async def test_absence_registered_by_the_team_lead_shows_with_substitute(world):
    service, _, client, _, store = world
    created = await client.post("/api/absences", json={
        "person_id": "p00010", "starts": "2026-03-03T00:00:00+01:00", "ends": "2026-03-09T00:00:00+01:00",
        "reason": "vakantie", "substitute": "p00020"})
    assert created.status == 201
    absence = await created.json()
    assert absence["registered_by"] == "teamleider.burgerzaken"
    person = await (await client.get("/api/directory/p00010")).json()
    substitute = service.index.get("p00020").name
    assert person["presence"]["text"] == f"afwezig tot maandag, vervanger {substitute}"
    assert person["absences"][0]["id"] == absence["id"]

    changed = await client.put(f"/api/absences/{absence['id']}", json={
        **absence, "ends": "2026-03-04T14:30:00+01:00"})
    assert changed.status == 200
    person = await (await client.get("/api/directory/p00010")).json()
    assert person["presence"]["text"] == f"afwezig tot 14:30, vervanger {substitute}"

    listed = await (await client.get("/api/absences", params={"person": "p00010"})).json()
    assert [a["id"] for a in listed["absences"]] == [absence["id"]]
    assert (await client.delete(f"/api/absences/{absence['id']}")).status == 204
    person = await (await client.get("/api/directory/p00010")).json()
    assert person["presence"]["status"] == "available"
    assert (await client.delete(f"/api/absences/{absence['id']}")).status == 404


@pytest.mark.parametrize("body, problem", [
    ({"person_id": "p00010", "starts": "2026-03-05T00:00:00+01:00", "ends": "2026-03-04T00:00:00+01:00"}, "na"),
    ({"person_id": "p00010", "starts": "2026-03-05T00:00:00", "ends": "2026-03-06T00:00:00+01:00"}, "zone"),
    ({"person_id": "nobody", "starts": "2026-03-05T00:00:00+01:00", "ends": "2026-03-06T00:00:00+01:00"}, "unknown"),
    ({"person_id": "p00010", "starts": "gisteren", "ends": "2026-03-06T00:00:00+01:00"}, "ISO"),
    ({"person_id": "p00010", "starts": "2026-03-05T00:00:00+01:00", "ends": "2026-03-06T00:00:00+01:00",
      "substitute": "p00010"}, "vervanger"),
])
async def test_bad_absences_are_refused(world, body, problem):
    _, _, client, _, _ = world
    reply = await client.post("/api/absences", json=body)
    assert reply.status == 400 and problem in await reply.text()


async def test_absences_survive_a_restart_of_the_store(world, tmp_path):
    _, _, client, clock, store = world
    await client.post("/api/absences", json={
        "person_id": "p00011", "starts": "2026-03-04T00:00:00+01:00", "ends": "2026-03-05T00:00:00+01:00"})
    again = AbsenceStore(store.path, lambda: clock[0])
    await again.open()
    assert [a.person_id for a in again.of("p00011")] == ["p00011"]
    again.close()


async def test_the_stream_sends_a_change_when_a_phone_rings(world):
    service, ami, client, clock, _ = world
    socket = await client.ws_connect("/api/presence/stream")
    await asyncio.sleep(0.05)  # the subscription is made once the socket is prepared
    ami.emit(device("PJSIP/2003", "RINGING"))
    message = await asyncio.wait_for(socket.receive_json(), 2)
    assert message["type"] == "presence" and message["person"] == "p00003"
    assert message["presence"]["text"] == "telefoon gaat over"
    ami.emit(device("PJSIP/2003", "RINGING"))  # the same state again: no message
    ami.emit(device("PJSIP/2003", "INUSE"))
    message = await asyncio.wait_for(socket.receive_json(), 2)
    assert message["presence"]["status"] == "on_the_phone"
    await socket.close()
    await asyncio.sleep(0.05)
    assert not service._subscribers, "a closed console is unsubscribed"


async def test_the_tick_reports_a_meeting_or_day_that_ends(world):
    service, ami, client, clock, store = world
    await store.add(Absence("p00004", NOW - dt.timedelta(hours=1), NOW + dt.timedelta(minutes=30)))
    subscription = service.subscribe()
    service.tick()
    first = {subscription.queue.get_nowait()[0] for _ in range(subscription.queue.qsize())}
    assert "p00004" in first
    clock[0] = NOW + dt.timedelta(minutes=31)
    service.tick()
    person_id, view = subscription.queue.get_nowait()
    assert person_id == "p00004" and view.status.value == "available"
    assert subscription.queue.empty()


async def test_ami_down_makes_everyone_unknown_not_available(world):
    service, ami, client, clock, _ = world
    ami.connected = False
    statuses = {p["presence"]["status"] for p in (await (await client.get(
        "/api/directory", params={"limit": "200"})).json())["people"]}
    assert statuses == {"unknown"}


def test_a_slow_console_gets_a_resync_instead_of_an_endless_queue():
    from bereik.presence.service import RESYNC, Subscription
    subscription = Subscription(3)
    for i in range(5):
        subscription.put(("p", i))
    # Everything it missed collapses into one resync; what comes after still arrives.
    assert [subscription.queue.get_nowait() for _ in range(2)] == [RESYNC, ("p", 4)]


async def test_the_mobile_in_use_as_the_pbx_sees_it_is_on_the_phone(world):
    """Desk and mobile together, an own forward, a call out from the mobile: the dialplan keeps
    Custom:bereik-mobile-<extension>, and the person is on the phone whichever phone they use."""
    service, ami, client, clock, _ = world
    subscription = service.subscribe()
    service._publish(list(service.index.people), send=False)
    [(person, view)] = service.by_extension("2005")
    assert view.status.value == "available"
    ami.emit(device("Custom:bereik-mobile-2005", "RINGING"))
    assert service.person(person.id)[1].status.value == "ringing"
    ami.emit(device("Custom:bereik-mobile-2005", "INUSE"))
    assert service.person(person.id)[1].status.value == "on_the_phone"
    changes = [subscription.queue.get_nowait() for _ in range(subscription.queue.qsize())]
    assert [view.status.value for pid, view in changes if pid == person.id] == ["ringing", "on_the_phone"]
    ami.emit(device("PJSIP/2005", "RINGING"))  # a second call rings the desk meanwhile: still on the phone
    assert service.person(person.id)[1].status.value == "on_the_phone"
    ami.emit(device("Custom:bereik-mobile-2005", "NOT_INUSE"))
    ami.emit(device("PJSIP/2005", "NOT_INUSE"))
    assert service.person(person.id)[1].status.value == "available"
