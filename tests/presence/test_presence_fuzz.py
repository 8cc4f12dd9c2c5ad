"""Presence against whatever the directory, Graph and HTTP clients send it.

An LDAP entry of any shape becomes a person or is skipped; a Graph answer of any shape
leaves the person's calendar "unknown"; any request to the API is answered with a 4xx
with a reason, never a 500.
"""
import asyncio
import datetime as dt
import json
import logging

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from fake_graph import CLIENT_ID, CLIENT_SECRET, TENANT, FakeGraph
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_phone import device
from test_service_http import world  # noqa: F401  (the fixture)

from bereik.presence.directory import OPENLDAP, Person
from bereik.presence.graph import GraphClient, GraphSettings, OutlookSource
from bereik.presence.ldap import LdapDirectory, LdapSettings
from bereik.presence.merge import Inputs, Source, merge
from tests.polling import until

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
ADDRESS = "p00000@bloemendaal.test"
tricky = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["", "2026-03-02T09:00:00.0000000", "0001-01-01T00:00:00", "9999-12-31T23:59:59.9999999",
                     "UTC", "W. Europe Standard Time", "Not/AZone", "busy", "oof", "monday", "08:00:00.0000000",
                     "25:99", "scheduled", "alwaysEnabled", "-1", "nan", "é" * 2000]),
)
json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | tricky,
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(tricky, inner, max_size=3),
                           max_leaves=10)
moments = st.one_of(json_values, st.fixed_dictionaries({"dateTime": tricky, "timeZone": json_values}))
schedule_infos = st.one_of(
    st.dictionaries(tricky, json_values, max_size=4),
    st.fixed_dictionaries({}, optional={
        "scheduleItems": st.one_of(json_values, st.lists(st.fixed_dictionaries(
            {"start": moments, "end": moments}, optional={"status": json_values}), max_size=3)),
        "workingHours": st.one_of(json_values, st.fixed_dictionaries(
            {"daysOfWeek": json_values, "startTime": tricky, "endTime": tricky},
            optional={"timeZone": json_values})),
        "error": json_values}),
)
replies = st.one_of(st.dictionaries(tricky, json_values, max_size=4), st.fixed_dictionaries(
    {"status": json_values}, optional={"scheduledStartDateTime": moments, "scheduledEndDateTime": moments}))


@pytest.fixture
async def graph_client():
    fake = FakeGraph()
    server = TestServer(fake.app(), host="127.0.0.1")
    await server.start_server()
    base = str(server.make_url("")).rstrip("/")
    async with aiohttp.ClientSession() as session:
        settings_ = GraphSettings(tenant_id=TENANT, client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
                                  schedule_mailbox="bereik@bloemendaal.test", authority_url=base,
                                  graph_url=base + "/v1.0", max_attempts=1)

        async def no_sleep(seconds):
            pass
        yield fake, GraphClient(settings_, session, lambda: NOW, no_sleep)
    await server.close()


@FUZZ
@given(info=schedule_infos, reply=replies, whole=st.one_of(st.none(), json_values.map(json.dumps), st.binary(max_size=60)))
async def test_a_graph_answer_of_any_shape_leaves_the_calendar_unknown_never_a_crash(graph_client, info, reply, whole):
    fake, client = graph_client
    fake.calendars[ADDRESS] = info
    fake.replies[ADDRESS] = reply
    fake._faults = [] if whole is None else [web.Response(body=whole, content_type="application/json")]
    source = OutlookSource(client, lambda: [ADDRESS])
    await source.refresh()
    view = merge(Inputs(NOW, calendar=source.calendar(ADDRESS), out_of_office=source.replies(ADDRESS)))
    calendar = next(f for f in view.facts if f.source is Source.CALENDAR)
    if not source.status.up:
        assert calendar.state == "unknown" and not calendar.known


ldap_values = st.one_of(st.none(), tricky, st.binary(max_size=40), st.integers(),
                        st.lists(st.one_of(tricky, st.binary(max_size=20)), max_size=3))
ATTRIBUTES = ["uid", "UID", "displayName", "cn", "ou", "title", "telephoneNumber", "mobile", "mail", "jpegPhoto",
              "manager", "businessCategory", "entryCSN", "objectClass"]
entries = st.lists(st.fixed_dictionaries(  # as ldap3 hands them over: decoded and raw attributes
    {"dn": tricky, "attributes": st.dictionaries(st.sampled_from(ATTRIBUTES), ldap_values, max_size=8),
     "raw_attributes": st.dictionaries(st.sampled_from(ATTRIBUTES), st.lists(st.binary(max_size=20), max_size=2))}),
    max_size=5)


@FUZZ
@given(sequence=entries)
def test_an_ldap_entry_of_any_shape_becomes_a_person_or_is_skipped_with_a_log_line(sequence, caplog):
    caplog.clear()
    directory = LdapDirectory(LdapSettings(url="ldap://127.0.0.1:1", base_dn="dc=test", attributes=OPENLDAP),
                              clock=lambda: NOW)
    with caplog.at_level(logging.WARNING):
        people = directory._people(sequence)
    assert all(isinstance(p, Person) and p.id and isinstance(p.name, str) for p in people)
    if len(people) < len(sequence):
        assert "skipped" in caplog.text


PATHS = ["/api/directory", "/api/directory/{x}", "/api/directory/{x}/photo", "/api/absences", "/api/absences/{x}",
         "/api/{x}"]
bodies = st.one_of(
    json_values.map(lambda v: json.dumps(v).encode()),
    st.fixed_dictionaries({"person_id": st.sampled_from(["p00000", "x"]), "starts": tricky, "ends": tricky},
                          optional={"reason": json_values, "substitute": json_values}).map(
        lambda v: json.dumps(v).encode()),
    st.binary(max_size=100),
    st.sampled_from([b"[" * 1500, b'{"person_id": "\xff"}',
                     b'{"person_id": "p00000", "starts": "0001-01-01T00:00+01:00", "ends": "0001-01-02T00:00+01:00"}',
                     b'{"person_id": "p00000", "starts": "9999-12-31T23:00-05:00", "ends": "9999-12-31T23:30-05:00"}']),
)


@FUZZ
@given(method=st.sampled_from(["GET", "POST", "PUT", "DELETE"]), template=st.sampled_from(PATHS), part=tricky,
       query=st.dictionaries(st.sampled_from(["q", "limit", "department", "topic", "lang", "person", "past", "x"]),
                             tricky, max_size=3), body=bodies)
async def test_any_presence_request_gets_an_answer_never_a_server_error(world, method, template, part,  # noqa: F811
                                                                         query, body):
    _, _, client, _, _ = world
    path = template.replace("{x}", part.replace("/", "%2F").replace("?", "%3F").replace("#", "%23") or "x")
    response = await client.request(method, path, params=query, data=body,
                                    headers={"Content-Type": "application/json"})
    text = await response.text(errors="replace")
    assert response.status < 500, f"{method} {template}: {response.status} {text[:200]}"
    if response.status >= 400 and response.status != 404:
        assert text.strip(), "a refusal says why"


socket_messages = st.lists(st.one_of(
    st.text(max_size=200), st.binary(max_size=200), json_values.map(json.dumps),
    st.sampled_from(["[" * 1500, '{"type": "subscribe", "person": "p00003"}', "\0" * 100, "é" * 70_000,
                     "x" * (4 * 2**20 + 1)]),  # beyond aiohttp's largest message: a close, 1009
), min_size=1, max_size=30)


@FUZZ
@given(messages=socket_messages)
async def test_any_message_on_the_presence_stream_leaves_the_server_and_other_consoles_going(  # noqa: F811
        world, messages):
    service, ami, client, _, _ = world
    watcher = await client.ws_connect("/api/presence/stream")
    attacker = await client.ws_connect("/api/presence/stream")
    await until(lambda: len(service._subscribers) == 2, 2, "both consoles subscribed", step=0.01)
    for message in messages:  # all at once, without waiting for an answer
        try:
            await (attacker.send_bytes if isinstance(message, bytes) else attacker.send_str)(message)
        except ConnectionError:  # the server hung up on a message beyond its limit
            break
    ami.emit(device("PJSIP/2003", "RINGING"))
    update = await asyncio.wait_for(watcher.receive_json(), 2)
    assert update["person"] == "p00003" and update["presence"]["status"] == "ringing"
    # The attacker was sent the same update or closed cleanly; it never got anything else.
    reply = await asyncio.wait_for(attacker.receive(), 2)
    if reply.type is aiohttp.WSMsgType.TEXT:
        assert json.loads(reply.data) == update
    else:
        assert reply.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR), reply.type
    await attacker.close()
    ami.emit(device("PJSIP/2003", "NOT_INUSE"))
    assert (await asyncio.wait_for(watcher.receive_json(), 2))["presence"]["status"] == "available"
    await watcher.close()
    await until(lambda: not service._subscribers, 2, "both consoles unsubscribed: nothing leaks", step=0.01)
