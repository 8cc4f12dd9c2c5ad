"""Dial from the note: the person it is for rings their own phone, then the caller (a call file for
Asterisk); closed by a reason from the YAML, or as 'niet bereikt' only after enough unanswered attempts
at different times. Back-office staff see their own notes and their team's, not only team leads. An
appointment in the colleague's Outlook calendar instead of a note."""
import datetime as dt
import sys
from pathlib import Path

from bereik.callbacks.appointments import Appointments
from bereik.callbacks.lifecycle import BUSY
from bereik.pbx.call_files import CallFiles
from bereik.pbx.note_call import NoteCaller
from bereik.presence.graph import GraphClient, GraphSettings

from console_helpers import log_in


async def note_for_eva(client):
    token = await log_in(client, "olaf")
    created = await client.post("/api/callbacks", json={
        "number": "0612345678", "question": "Bouwvergunning dakkapel", "key": "note-eva-0001",
        "team": "vergunningen", "for_person": "Eva Smit"}, headers={"X-CSRF-Token": token})
    assert created.status == 201
    await client.post("/logout", headers={"X-CSRF-Token": token})
    return await created.json()


async def test_the_owner_dials_from_the_note_and_closes_it_as_not_reached_only_after_two_attempts_apart(
        client, console, clock, tmp_path):
    spool = tmp_path / "outgoing"
    console.note_caller = NoteCaller(console.config, console.store, clock, CallFiles(spool))
    note = await note_for_eva(client)
    assert (note["owner"], note["status"]) == ("301", "open")
    clock.now += dt.timedelta(minutes=30)  # Eva gets to it half an hour later
    token = await log_in(client, "eva")
    headers = {"X-CSRF-Token": token}
    mine = (await (await client.get("/api/callbacks")).json())
    team = (await (await client.get("/api/callbacks?view=team")).json())
    assert [n["id"] for n in mine["callbacks"]] == [n["id"] for n in team["callbacks"]] == [note["id"]]
    assert "nummer onjuist" in mine["reasons"]

    dialled = await client.post(f"/api/callbacks/{note['id']}/dial", headers=headers)
    assert dialled.status == 202
    first = (await dialled.json())["attempt"]
    [call_file] = spool.glob("*.call")
    lines = call_file.read_text().splitlines()
    assert f"Channel: Local/{note['id']}@bereik-callback-owner" in lines
    assert {"Setvar: BEREIK_OWNER=301", "Setvar: BEREIK_CALLBACK_FOR=0612345678",
            f"Setvar: BEREIK_ATTEMPT={first}"} <= set(lines)
    [attempt] = console.store.attempts(note["id"])
    assert (attempt.id, attempt.actor, attempt.target) == (first, "eva", "301")

    refused = await client.post(f"/api/callbacks/{note['id']}/close", json={"outcome": "not_reached"},
                                headers=headers)
    assert refused.status == 409 and "2 onbeantwoorde pogingen" in (await refused.json())["refused"]
    console.store.end_attempt(first, BUSY, clock.now, None, None)
    clock.now += dt.timedelta(minutes=20)  # too soon: the same moment of the day does not count twice
    second = (await (await client.post(f"/api/callbacks/{note['id']}/dial", headers=headers)).json())["attempt"]
    console.store.end_attempt(second, BUSY, clock.now, None, None)
    assert (await client.post(f"/api/callbacks/{note['id']}/close", json={"outcome": "not_reached"},
                              headers=headers)).status == 409
    clock.now += dt.timedelta(hours=2)
    third = (await (await client.post(f"/api/callbacks/{note['id']}/dial", headers=headers)).json())["attempt"]
    console.store.end_attempt(third, BUSY, clock.now, None, None)
    detail = await (await client.get(f"/api/callbacks/{note['id']}")).json()
    assert detail["unanswered_attempts"] == 2 and [a["outcome"] for a in detail["attempts"]] == [BUSY] * 3

    closed = await client.post(f"/api/callbacks/{note['id']}/close", json={"outcome": "not_reached"}, headers=headers)
    assert closed.status == 200 and (await closed.json())["status"] == "not_reached"
    again = await client.post(f"/api/callbacks/{note['id']}/dial", headers=headers)
    assert again.status == 409 and (await again.json())["refused"] == "deze notitie is al gesloten"
    steps = [s["what"] for s in (await (await client.get(f"/api/callbacks/{note['id']}")).json())["steps"]]
    assert steps[0] == "taken" and steps.count("attempt") == 3 and steps[-1] == "closed"


async def test_closing_needs_one_of_the_yamls_reasons_and_others_notes_stay_out_of_reach(client, console, clock,
                                                                                          tmp_path):
    console.note_caller = NoteCaller(console.config, console.store, clock, CallFiles(tmp_path / "outgoing"))
    note = await note_for_eva(client)
    token = await log_in(client, "anna")  # the front office, another team: not hers to see or ring
    assert (await client.post(f"/api/callbacks/{note['id']}/dial", headers={"X-CSRF-Token": token})).status == 404
    assert (await client.get(f"/api/callbacks/{note['id']}")).status == 404
    await client.post("/logout", headers={"X-CSRF-Token": token})
    token = await log_in(client, "eva")
    headers = {"X-CSRF-Token": token}
    unknown = await client.post(f"/api/callbacks/{note['id']}/close", json={"outcome": "handled", "reason": "geen zin"},
                                headers=headers)
    assert unknown.status == 409 and "beantwoord per e-mail" in (await unknown.json())["refused"]
    clicked = await client.post(f"/api/callbacks/{note['id']}/close", json={"outcome": "called_back"}, headers=headers)
    assert clicked.status == 409  # called back is for the call itself to say
    closed = await client.post(f"/api/callbacks/{note['id']}/close",
                               json={"outcome": "handled", "reason": "beantwoord per e-mail"}, headers=headers)
    assert (await closed.json())["status"] == "handled" and not list((tmp_path / "outgoing").glob("*"))


async def test_the_agent_offers_the_colleagues_free_times_and_books_one_in_their_calendar(client, console, clock,
                                                                                          tmp_path):
    """Graph against the local Graph-shaped server: the offer from getSchedule, the booking as an event."""
    import aiohttp
    from aiohttp.test_utils import TestServer

    sys.path.insert(0, str(Path(__file__).parents[1] / "presence"))
    from fake_graph import CLIENT_ID, CLIENT_SECRET, TENANT, FakeGraph, busy, calendar

    fake = FakeGraph()
    server = TestServer(fake.app(), host="127.0.0.1")
    await server.start_server()
    base = str(server.make_url("")).rstrip("/")
    eva = "eva.smit@bloemendaal.test"
    fake.calendars[eva] = calendar(busy("2026-11-23T10:00:00", "2026-11-23T15:00:00"))  # 11:00-16:00 local
    people = [p.model_copy(update={"email": eva}) if p.extension == "301" else p for p in console.config.people]
    console.config = console.config.model_copy(update={"people": people})
    async with aiohttp.ClientSession() as session:
        graph = GraphClient(GraphSettings(tenant_id=TENANT, client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
                                          schedule_mailbox="bereik@bloemendaal.test", authority_url=base,
                                          graph_url=base + "/v1.0"), session, clock)
        console.appointments = Appointments(console.config, graph, console.store)
        token = await log_in(client, "anna")
        headers = {"X-CSRF-Token": token}
        offered = await (await client.get("/api/appointments/slots?person=301")).json()
        texts = [s["text"] for s in offered["slots"]]
        assert texts == ["ma 23 nov 2026 16:00", "di 24 nov 2026 08:00", "di 24 nov 2026 10:00"]
        booked = await client.post("/api/appointments", headers=headers, json={
            "person": "301", "at": offered["slots"][0]["at"], "number": "0612345678", "name": "J. de Wit",
            "question": "Dakkapel", "key": "afspraak-0001"})
        assert booked.status == 201 and (await booked.json())["at"] == "ma 23 nov 2026 16:00"
        [event] = fake.events[eva]
        assert event["start"] == {"dateTime": "2026-11-23T16:00:00", "timeZone": "Europe/Amsterdam"}
        again = await client.post("/api/appointments", headers=headers, json={
            "person": "301", "at": offered["slots"][0]["at"], "number": "0698765432", "question": "Ook",
            "key": "afspraak-0002"})
        assert again.status == 409 and "inmiddels bezet" in (await again.json())["refused"]
        unknown = await client.get("/api/appointments/slots?person=302")  # Femke: no calendar known
        assert unknown.status == 409
    await server.close()


async def test_a_note_for_a_premium_or_foreign_number_is_never_dialled(client, console, clock, tmp_path):
    """The class of service (outbound: in the YAML) holds for call-backs too: no call file, no attempt."""
    spool = tmp_path / "outgoing"
    console.note_caller = NoteCaller(console.config, console.store, clock, CallFiles(spool))
    token = await log_in(client, "eva")
    headers = {"X-CSRF-Token": token}
    for number in ("0900123456", "+442012345678", "0031612345678"):
        created = await client.post("/api/callbacks", json={
            "number": number, "question": "Terugbellen", "key": f"note-{number.lstrip('+')}", "team": "vergunningen",
            "for_person": "Eva Smit"}, headers=headers)
        assert created.status == 201, (number, await created.text())
        note = await created.json()
        refused = await client.post(f"/api/callbacks/{note['id']}/dial", headers=headers)
        assert refused.status == 409 and "buiten de nummers die de gemeente naar buiten toestaat" in (
            await refused.json())["refused"]
        assert console.store.attempts(note["id"]) == []
    assert not spool.exists() or list(spool.glob("*.call")) == []
