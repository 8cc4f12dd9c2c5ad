"""The wallboard's port (the wallboard, /reports and /metrics, composed as `bereik run` does) against
whatever a browser or an attacker sends it, open and behind the console's login.

Any path, query, header and body: a 4xx with a reason or a 200, never a 500. Behind the login, no
session gets nothing but a 401 (only /metrics is open), an agent no report. Any WebSocket message:
the wallboard goes on sending the floor, or closes cleanly, and the port lives on.
"""
import asyncio
import json

import pytest
from aiohttp import WSMsgType, WSServerHandshakeError
from aiohttp.test_utils import TestClient, TestServer
from console_helpers import log_in
from hypothesis import given
from hypothesis import strategies as st
from test_console_fuzz import FUZZ, bodies, header_safe, json_values, path_of, tricky

from bereik.console.auth import COOKIE
from bereik.records.store import SqliteStore
from bereik.reports.http import report_routes
from bereik.wallboard.floor import Floor
from bereik.wallboard.metrics import Metrics
from bereik.wallboard.web import Hub, WebServer, metrics_routes, wallboard_routes

PATHS = ["/wallboard", "/wallboard/", "/wallboard/state", "/wallboard/ws", "/wallboard/{x}", "/reports",
         "/reports/{x}", "/metrics", "/metrics/{x}", "/{x}"]
QUERY_KEYS = ["month", "start", "end", "format", "server", "lang", "x"]
query_values = st.one_of(tricky, st.dates().map(str), st.sampled_from(
    ["2026-10", "2026-13", "9999-12", "0000-01", "0001-01", "2026-02-30", "9999-12-31", "0001-01-01", "html",
     "json", "noord", "zuid", "２０２６-１０"]))
WHO = ["nobody", "forged", "anna", "lisa"]  # no cookie, a made-up session, an agent, a team lead


@pytest.fixture(params=["open", "behind the login"])
async def port(request, console, client, tmp_path):
    """(test client, hub, sessions by login, behind the login?) for the wallboard's port."""
    behind = request.param == "behind the login"
    sessions = {}
    if behind:
        for login in ("anna", "lisa"):
            client.session.cookie_jar.clear()
            await log_in(client, login)
            sessions[login] = client.session.cookie_jar.filter_cookies(client.make_url("/"))[COOKIE].value
    floor, hub = Floor(console.config.zone, console.config.reports.answer_seconds), Hub()
    records = SqliteStore(tmp_path / "board.sqlite3")
    server = WebServer([*wallboard_routes(lambda: floor.snapshot(console.clock().timestamp()), hub),
                        *report_routes(records, console.config, lambda: console.store),
                        *metrics_routes(Metrics(floor, lambda: True).registry)],
                       "127.0.0.1", 0, console.wallboard_middlewares() if behind else ())
    async with TestClient(TestServer(server.app, host="127.0.0.1")) as board:
        yield board, hub, sessions, behind
    records.close()


def cookie_of(who: str, sessions: dict, forged: str) -> dict:
    if who == "nobody":
        return {}
    return {"Cookie": f"{COOKIE}={sessions.get(who, forged)}"}


@FUZZ
@given(method=st.sampled_from(["GET", "POST", "PUT", "DELETE"]), template=st.sampled_from(PATHS), part=tricky,
       query=st.dictionaries(st.sampled_from(QUERY_KEYS), query_values, max_size=3), body=bodies,
       who=st.sampled_from(WHO), forged=header_safe.filter(lambda text: ";" not in text),
       extra=st.dictionaries(st.sampled_from(["Accept-Language", "Origin", "Upgrade", "X-Forwarded-For", "Accept"]),
                             st.one_of(header_safe, st.sampled_from(["websocket", "null", "http://evil.test"])),
                             max_size=3))
async def test_any_request_gets_a_reason_or_the_data_it_may_see_never_a_server_error(
        port, method, template, part, query, body, who, forged, extra):
    board, _, sessions, behind = port
    path = path_of(template, part)
    response = await board.request(method, path, params=query, data=body, allow_redirects=False,
                                   headers={**extra, **cookie_of(who, sessions, forged)})
    text = await response.text(errors="replace")
    assert response.status < 500, f"{method} {template} {query}: {response.status} {text[:200]}"
    if response.status >= 400:
        assert text.strip(), "a refusal says why"
    if behind and response.status < 400:  # only what the login lets through
        assert path == "/metrics" or who == "lisa" or (who == "anna" and path.startswith("/wallboard")), path
    if behind and who in ("nobody", "forged") and path != "/metrics":
        # 400: a header beyond aiohttp's limit, refused before the login is asked
        assert response.status == 401 and "log in" in text or response.status == 400, response.status


async def test_a_team_lead_reads_the_report_an_agent_not(port):
    board, _, sessions, behind = port
    asked = {"month": "2026-10", "format": "html"}
    lead = await board.get("/reports", params=asked, headers=cookie_of("lisa", sessions, ""))
    assert lead.status == 200 and "bereikbaarheid" in await lead.text()
    agent = await board.get("/reports", params=asked, headers=cookie_of("anna", sessions, ""))
    assert agent.status == (403 if behind else 200)
    for beyond in ("9999-12", "0001-01"):  # the calendar's edges: a reason, not a 500
        refused = await board.get("/reports", params={"month": beyond}, headers=cookie_of("lisa", sessions, ""))
        assert refused.status == 400 and "2026-10" in await refused.text()


async def test_nobody_without_a_session_opens_the_wallboards_socket(port):
    board, _, _, behind = port
    if not behind:
        return
    for headers in ({}, {"Cookie": f"{COOKIE}=made-up"}):
        with pytest.raises(WSServerHandshakeError) as refused:
            await board.ws_connect("/wallboard/ws", headers=headers)
        assert refused.value.status == 401


@FUZZ
@given(who=st.sampled_from(["anna", "lisa"]), messages=st.lists(st.one_of(
    st.text(max_size=200), st.binary(max_size=200), json_values.map(json.dumps),
    st.sampled_from(["[" * 1500, '{"type": "ping"}', "\0" * 100, "x" * (4 * 2**20 + 1)]),
), min_size=1, max_size=20))
async def test_any_websocket_message_leaves_the_wallboard_going(port, who, messages):
    board, hub, sessions, _ = port
    headers = cookie_of(who, sessions, "")
    socket = await board.ws_connect("/wallboard/ws", headers=headers)
    assert "waiting" in await asyncio.wait_for(socket.receive_json(), 5)
    for message in messages:  # all at once: the page itself sends nothing
        try:
            await (socket.send_bytes if isinstance(message, bytes) else socket.send_str)(message)
        except ConnectionError:  # the server hung up on a message beyond its limit
            break
    hub.notify()
    reply = await asyncio.wait_for(socket.receive(), 5)
    if reply.type is WSMsgType.TEXT:
        assert "waiting" in json.loads(reply.data)
    else:
        assert reply.type in (WSMsgType.CLOSE, WSMsgType.CLOSED, WSMsgType.ERROR), reply.type
    await socket.close()
    # The port still answers, on a new socket and over HTTP.
    again = await board.ws_connect("/wallboard/ws", headers=headers)
    assert "waiting" in await asyncio.wait_for(again.receive_json(), 5)
    await again.close()
    assert (await board.get("/wallboard/state", headers=headers)).status == 200
