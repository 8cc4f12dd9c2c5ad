"""LDAP stopped and Microsoft Graph throttling, through the console's API: people are still found and
routed from memory, presence says which source is unknown and since when, and all recovers."""
from __future__ import annotations

import datetime as dt

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from fake_graph import calendar
from test_graph import Clock, client_for, graph, session  # noqa: F401 (fixtures)
from test_ldap_directory import settings_for
from test_phone import FakeAmi

from bereik.presence.absence import AbsenceStore
from bereik.presence.graph import OutlookSource
from bereik.presence.http import presence_app
from bereik.presence.ldap import LdapDirectory
from bereik.presence.phone import PhoneWatcher
from bereik.presence.service import PresenceService


async def test_ldap_down_and_graph_throttling_leave_presence_unknown_with_source_and_age_then_recover(
        small_slapd, graph, session, tmp_path):
    clock = Clock()
    directory = LdapDirectory(settings_for(small_slapd), clock=clock)
    outlook = OutlookSource(client_for(graph, session, clock, max_attempts=3),
                            lambda: [p.email for p in directory.index.people.values()])
    ami = FakeAmi()
    ami.devices = {f"PJSIP/{2000 + i}": "NOT_INUSE" for i in range(40)}
    store = AbsenceStore(tmp_path / "absence.sqlite", clock)
    await store.open()
    service = PresenceService(directory, PhoneWatcher(ami, clock), store, clock, outlook)
    await ami.login()
    graph.calendars = {f"p{i:05d}@bloemendaal.test": calendar() for i in range(40)}
    graph.replies = {address: {"status": "disabled"} for address in graph.calendars}
    app = web.Application()
    app.add_subapp("/api", presence_app(service))
    client = TestClient(TestServer(app, host="127.0.0.1"))
    await client.start_server()

    async def person() -> dict:
        reply = await client.get("/api/directory/p00003")
        assert reply.status == 200
        return await reply.json()

    def fact(body: dict, source: str) -> dict:
        return next(f for f in body["presence"]["facts"] if f["source"] == source)

    try:
        await directory.refresh()
        await outlook.refresh()
        body = await person()
        assert body["sources"]["directory"]["up"] and body["sources"]["calendar"]["up"]
        assert fact(body, "calendar") | {"age_seconds": None} == {
            "source": "calendar", "state": "free", "known": True, "age_seconds": None, "until": None}
        assert body["presence"]["status"] == "available"

        small_slapd.stop()
        graph.throttle(50, seconds="30")  # Graph keeps saying: too many requests, come back in 30 s
        clock.now += dt.timedelta(minutes=2)
        await directory.refresh()
        await outlook.refresh()
        assert clock.slept == [30.0, 30.0], "waited as Retry-After said, then gave up for this round"
        body = await person()
        assert body["name"], "the directory as last read is still searched"
        assert body["sources"]["directory"]["up"] is False
        assert body["sources"]["directory"]["age_seconds"] == 180.0
        assert body["sources"]["calendar"]["up"] is False and body["sources"]["calendar"]["age_seconds"] == 180.0
        calendar_fact = fact(body, "calendar")
        assert (calendar_fact["state"], calendar_fact["known"], calendar_fact["age_seconds"]) == (
            "unknown", False, 180.0)
        assert "calendar" in body["presence"]["uncertain"] and "out_of_office" in body["presence"]["uncertain"]
        assert body["presence"]["status"] == "available", "an idle phone still counts"
        [(routed, view)] = service.by_extension("2003")
        assert routed.id == "p00003" and view.status.value == "available", "routing reads memory, never waits"

        small_slapd.start()
        graph._faults.clear()
        await directory.refresh()
        await outlook.refresh()
        body = await person()
        assert body["sources"]["directory"]["up"] and body["sources"]["calendar"]["up"]
        assert body["sources"]["directory"]["age_seconds"] == 0.0
        assert fact(body, "calendar")["known"] and body["presence"]["uncertain"] == []
    finally:
        await client.close()
        store.close()
