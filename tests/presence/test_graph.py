"""The Graph client against a local Graph-shaped server: batching, throttling, tokens, errors."""
from __future__ import annotations

import datetime as dt
import logging

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from fake_graph import CLIENT_ID, CLIENT_SECRET, TENANT, FakeGraph, busy, calendar

from bereik.presence.graph import GraphClient, GraphError, GraphSettings, OutlookSource
from bereik.presence.merge import Fact

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)  # a Monday, 10:00 in Amsterdam


class Clock:
    """A fake clock; sleeping advances it instead of waiting."""

    def __init__(self, now=NOW):
        self.now = now
        self.slept: list[float] = []

    def __call__(self):
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += dt.timedelta(seconds=seconds)


@pytest.fixture
async def graph():
    fake = FakeGraph()
    server = TestServer(fake.app(), host="127.0.0.1")
    await server.start_server()
    fake.base = str(server.make_url("")).rstrip("/")
    yield fake
    await server.close()


@pytest.fixture
async def session():
    async with aiohttp.ClientSession() as s:
        yield s


def client_for(graph, session, clock, **overrides) -> GraphClient:
    settings = GraphSettings(tenant_id=TENANT, client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
                             schedule_mailbox="bereik@bloemendaal.test", authority_url=graph.base,
                             graph_url=graph.base + "/v1.0", **overrides)
    return GraphClient(settings, session, clock, clock.sleep)


def addresses(n: int) -> list[str]:
    return [f"p{i:05d}@bloemendaal.test" for i in range(n)]


async def test_free_busy_for_many_people_in_batches_of_twenty(graph, session):
    for address in addresses(45):
        graph.calendars[address] = calendar(busy("2026-03-02T12:00:00", "2026-03-02T13:30:00"))
    client = client_for(graph, session, Clock())
    found = await client.schedules(addresses(45) + ["onbekend@bloemendaal.test"], NOW, NOW + dt.timedelta(hours=12))
    calls = [body for name, body in graph.requests if name == "getSchedule"]
    assert [len(b["schedules"]) for b in calls] == [20, 20, 6]
    assert calls[0]["startTime"] == {"dateTime": "2026-03-02T09:00:00", "timeZone": "UTC"}
    assert graph.tokens_issued == 1, "one token serves every request until it expires"
    reading = found["p00007@bloemendaal.test"]
    assert reading.items[0].start == dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)
    assert reading.items[0].status == "busy"
    assert reading.working_hours.start == dt.time(8) and reading.working_hours.zone.key == "Europe/Amsterdam"
    assert reading.working_hours.days == frozenset(range(5))
    assert found["onbekend@bloemendaal.test"] is None, "a per-address error is unknown, not free"


async def test_throttling_waits_as_long_as_retry_after_says(graph, session):
    graph.calendars["p00000@bloemendaal.test"] = calendar()
    graph.throttle(2, seconds="7")
    clock = Clock()
    client = client_for(graph, session, clock)
    found = await client.schedules(addresses(1), NOW, NOW + dt.timedelta(hours=1))
    assert found["p00000@bloemendaal.test"] is not None
    assert clock.slept == [7.0, 7.0]
    assert len(graph.requests) == 3


async def test_an_expired_token_is_renewed_once_and_the_request_repeated(graph, session):
    graph.calendars["p00000@bloemendaal.test"] = calendar()
    client = client_for(graph, session, Clock())
    await client.schedules(addresses(1), NOW, NOW + dt.timedelta(hours=1))
    graph.expire_tokens()
    found = await client.schedules(addresses(1), NOW, NOW + dt.timedelta(hours=1))
    assert found["p00000@bloemendaal.test"] is not None
    assert graph.tokens_issued == 2


async def test_a_token_that_keeps_being_refused_is_an_error_not_a_loop(graph, session):
    graph.tokens_work = False
    client = client_for(graph, session, Clock())
    with pytest.raises(GraphError, match="401"):
        await client.schedules(addresses(1), NOW, NOW)
    assert graph.tokens_issued == 2, "renewed once, then given up"


async def test_tokens_are_renewed_before_they_expire(graph, session):
    graph.calendars["p00000@bloemendaal.test"] = calendar()
    clock = Clock()
    client = client_for(graph, session, clock)
    await client.schedules(addresses(1), NOW, NOW)
    clock.now += dt.timedelta(seconds=3599 - 30)
    await client.schedules(addresses(1), NOW, NOW)
    assert graph.tokens_issued == 2


async def test_wrong_client_secret_is_an_error_without_the_secret(graph, session, caplog):
    caplog.set_level(logging.DEBUG)
    client = client_for(graph, session, Clock())
    client.settings = client.settings.__class__(**{**client.settings.__dict__, "client_secret": "wrong-secret-42"})
    with pytest.raises(GraphError) as raised:
        await client.schedules(addresses(1), NOW, NOW)
    assert "invalid_client" in str(raised.value)
    assert "wrong-secret-42" not in str(raised.value) + caplog.text + repr(client.settings)


async def test_server_errors_are_retried_then_reported(graph, session):
    graph.calendars["p00000@bloemendaal.test"] = calendar()
    graph.fail(1, 503)
    clock = Clock()
    client = client_for(graph, session, clock)
    assert (await client.schedules(addresses(1), NOW, NOW))["p00000@bloemendaal.test"] is not None
    graph.fail(10, 500)
    with pytest.raises(GraphError, match="500 after 4 attempts"):
        await client.schedules(addresses(1), NOW, NOW)


async def test_automatic_replies_in_json_batches_with_throttled_parts_retried(graph, session):
    for i, address in enumerate(addresses(25)):
        graph.replies[address] = {"status": "disabled", "externalAudience": "all",
                                  "scheduledStartDateTime": {"dateTime": "2026-03-01T00:00:00.0000000", "timeZone": "UTC"},
                                  "scheduledEndDateTime": {"dateTime": "2026-03-09T00:00:00.0000000", "timeZone": "UTC"},
                                  "internalReplyMessage": "", "externalReplyMessage": ""}
    graph.replies["p00003@bloemendaal.test"]["status"] = "scheduled"
    graph.replies["p00004@bloemendaal.test"]["status"] = "alwaysEnabled"
    graph.throttle_in_batch(3, seconds="2")
    clock = Clock()
    found = await client_for(graph, session, clock).automatic_replies(addresses(25))
    batches = [body for name, body in graph.requests if name == "$batch"]
    assert [len(b["requests"]) for b in batches] == [20, 3, 5]
    assert clock.slept == [2.0]
    assert len(found) == 25 and all(v is not None for v in found.values())
    scheduled = found["p00003@bloemendaal.test"]
    assert scheduled.covers(NOW) and scheduled.end == dt.datetime(2026, 3, 9, tzinfo=dt.UTC)
    assert found["p00004@bloemendaal.test"].covers(NOW)
    assert not found["p00005@bloemendaal.test"].covers(NOW)


async def test_the_outlook_source_turns_unknown_when_graph_is_down_or_old(graph, session):
    graph.calendars["p00000@bloemendaal.test"] = calendar(busy("2026-03-02T09:00:00", "2026-03-02T10:00:00"))
    graph.replies["p00000@bloemendaal.test"] = {"status": "disabled"}
    clock = Clock()
    changed: list[set[str]] = []
    source = OutlookSource(client_for(graph, session, clock), lambda: ["P00000@bloemendaal.test"], changed.append)
    await source.refresh()
    fact = source.calendar("p00000@bloemendaal.test")
    assert fact.usable(clock()) is not None and source.status.up
    assert changed == [{"p00000@bloemendaal.test"}]

    graph.fail(10, 503)
    await source.refresh()
    assert not source.status.up and "503" in source.status.error
    assert source.calendar("p00000@bloemendaal.test").usable(clock()) is None
    assert source.replies("p00000@bloemendaal.test").usable(clock()) is None

    graph._faults.clear()
    await source.refresh()
    assert source.calendar("p00000@bloemendaal.test").usable(clock()) is not None
    clock.now += dt.timedelta(minutes=11)
    assert source.calendar("p00000@bloemendaal.test").usable(clock()) is None, "older than max_age"


def test_an_unknown_person_has_no_outlook_facts():
    assert Fact().usable(NOW) is None


async def test_an_answer_of_the_wrong_shape_marks_the_source_down_without_raising(graph, session):
    graph.calendars["p00000@bloemendaal.test"] = {"scheduleItems": [{"status": "busy", "start": {}}]}
    source = OutlookSource(client_for(graph, session, Clock()), lambda: ["p00000@bloemendaal.test"])
    await source.refresh()
    assert not source.status.up and source.status.error == "KeyError"
