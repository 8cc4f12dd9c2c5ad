"""Any request to the forwarding API gets an answer with a reason, never a 500."""
import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bereik.audit import AuditLog
from bereik.forwarding.http import forwarding_routes
from bereik.forwarding.store import ForwardingStore
from bereik.records.store import SqliteStore
from tests.examples import example_config

CONFIG = example_config()
MONDAY = dt.datetime(2026, 11, 23, 8, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))
tricky = st.one_of(st.text(max_size=30), st.sampled_from([
    "", "301", "302", "mobile", "substitute", "2026-11-23T08:00+01:00", "2026-11-23T08:00", "0001-01-01T00:00+01:00",
    "9999-12-31T23:59-05:00", "nan", "é" * 3000, "302\r\nSet-Cookie: x"]))
json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | tricky,
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(tricky, inner, max_size=3),
                           max_leaves=10)
bodies = st.one_of(
    json_values.map(lambda v: json.dumps(v).encode()),
    st.fixed_dictionaries({"to": json_values, "set_by": json_values},
                          optional={"from": json_values, "until": json_values}).map(lambda v: json.dumps(v).encode()),
    st.fixed_dictionaries({"to": tricky, "set_by": st.just("teamleider")},
                          optional={"from": tricky, "until": tricky}).map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=80), st.sampled_from([b"[" * 1500, b'{"to": "\xff", "set_by": "x"}']),
)


@pytest.fixture
async def client(tmp_path):
    store = ForwardingStore(tmp_path / "forwarding.sqlite3", CONFIG)
    app = web.Application()
    app.add_routes(forwarding_routes(store, clock=lambda: MONDAY, log=AuditLog(SqliteStore(tmp_path / "calls.sqlite3"))))
    async with TestClient(TestServer(app)) as test_client:
        yield test_client
    store.close()


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(method=st.sampled_from(["GET", "PUT", "DELETE", "POST"]),
       extension=st.one_of(st.sampled_from(["301", "302", "99999999", "00"]), tricky), body=bodies)
async def test_any_forwarding_request_gets_an_answer_never_a_server_error(client, method, extension, body):
    path = "/forwarding/" + (extension.replace("/", "%2F").replace("?", "%3F").replace("#", "%23") or "x")
    response = await client.request(method, path, data=body, headers={"Content-Type": "application/json"})
    text = await response.text(errors="replace")
    assert response.status < 500, f"{method} {path[:40]}: {response.status} {text[:200]}"
    if response.status == 422:
        assert text.strip()
