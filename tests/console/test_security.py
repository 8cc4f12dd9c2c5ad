"""The console as an attacker tries it: no session, no CSRF token, a foreign origin, the wrong role,
another agent's recordings, guessing passwords."""
import pytest
from aiohttp import WSServerHandshakeError

from bereik.records.store import SqliteStore
from console_helpers import log_in


@pytest.mark.parametrize("path", ["/", "/team", "/api/me", "/api/callbacks", "/api/recordings",
                                  "/api/recordings/anna/20261123T100000-1.wav", "/api/directory?q=a"])
async def test_nothing_is_served_without_a_session(client, path):
    response = await client.get(path, allow_redirects=False)
    assert response.status in (303, 401)
    if response.status == 303:
        assert response.headers["Location"] == "/login"


async def test_no_websocket_without_a_session(client):
    with pytest.raises(WSServerHandshakeError) as refused:
        await client.ws_connect("/api/stream")
    assert refused.value.status == 401


async def test_a_route_without_a_declared_role_is_refused_even_when_logged_in(client, console):
    console.policy.rules.clear()
    response = await client.post("/login", data={"login": "anna", "password": "anna-pw"}, allow_redirects=False)
    assert response.status == 303
    assert (await client.get("/api/me")).status == 403


async def test_wrong_password_and_empty_password_are_refused(client):
    for password in ("wrong", ""):
        response = await client.post("/login", data={"login": "anna", "password": password}, allow_redirects=False)
        assert response.status == 401
        assert "bereik_session" not in response.cookies


async def test_the_session_cookie_is_httponly_and_samesite_strict(client):
    response = await client.post("/login", data={"login": "anna", "password": "anna-pw"}, allow_redirects=False)
    cookie = response.cookies["bereik_session"]
    assert cookie["httponly"] and cookie["samesite"] == "Strict" and cookie["path"] == "/"


async def test_login_attempts_are_rate_limited(client):
    statuses = [(await client.post("/login", data={"login": "anna", "password": f"guess{n}"})).status
                for n in range(7)]
    assert statuses[:5] == [401] * 5 and statuses[5:] == [429, 429]
    # even the right password waits out the minute
    right = await client.post("/login", data={"login": "anna", "password": "anna-pw"}, allow_redirects=False)
    assert right.status == 429


async def test_state_changing_requests_need_the_csrf_token(client):
    token = await log_in(client, "anna")
    note = {"number": "0612345678", "question": "Vraag", "key": "abcdefgh12", "team": "tic"}
    assert (await client.post("/api/callbacks", json=note)).status == 403
    assert (await client.post("/api/callbacks", json=note, headers={"X-CSRF-Token": "x" * 43})).status == 403
    assert (await client.post("/api/position/pause", json={}, headers={"X-CSRF-Token": ""})).status == 403
    assert (await client.post("/logout")).status == 403
    ok = await client.post("/api/callbacks", json=note, headers={"X-CSRF-Token": token})
    assert ok.status == 201


async def test_a_foreign_origin_is_refused_even_with_the_token(client):
    token = await log_in(client, "anna")
    response = await client.post("/api/position/pause", json={"reason": "pauze"},
                                 headers={"X-CSRF-Token": token, "Origin": "https://evil.example"})
    assert response.status == 403
    with pytest.raises(WSServerHandshakeError) as refused:
        await client.ws_connect("/api/stream", headers={"Origin": "https://evil.example"})
    assert refused.value.status == 403


async def test_an_agent_cannot_open_the_team_page_nor_register_absences(client):
    token = await log_in(client, "anna")
    assert (await client.get("/team")).status == 403
    response = await client.post("/api/absences", json={}, headers={"X-CSRF-Token": token})
    assert response.status == 403


async def test_a_team_lead_without_a_position_gets_no_screen_pops(client):
    await log_in(client, "olaf")
    assert (await client.get("/team")).status == 200
    with pytest.raises(WSServerHandshakeError) as refused:
        await client.ws_connect("/api/stream")
    assert refused.value.status == 409


async def test_the_websocket_refuses_every_message_but_ping(client):
    await log_in(client, "anna")
    socket = await client.ws_connect("/api/stream")
    await socket.send_json({"type": "transfer", "target": "301"})
    assert (await socket.receive_json())["type"] == "error"
    await socket.send_json({"type": "ping"})
    assert (await socket.receive_json())["type"] == "pong"
    await socket.close()


async def test_security_headers_on_pages(client):
    await log_in(client, "anna")
    response = await client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "<script>" not in await response.text()  # no inline script; the texts are inert JSON


def _recording(console, login):
    console.recordings_dir.mkdir(parents=True, exist_ok=True)
    name = f"bereik-1795473198-{login}+20261123T100000-1700000000.1.wav"
    (console.recordings_dir / name).write_bytes(b"RIFF....WAVE")
    return f"/api/recordings/{login}/{name}"


async def test_an_agent_cannot_hear_another_agents_recordings(client, console):
    mine, theirs = _recording(console, "anna"), _recording(console, "bram")
    await log_in(client, "anna")
    assert (await client.get(mine)).status == 200
    assert (await client.get(theirs)).status == 404
    assert (await client.get(theirs.replace("/bram/", "/anna/"))).status == 404  # the owner is in the name
    assert (await client.get("/api/recordings/anna/..%2Fcallbacks.sqlite3")).status == 404
    listed = (await (await client.get("/api/recordings")).json())["recordings"]
    assert [r["login"] for r in listed] == ["anna"]


async def test_the_team_lead_hears_the_teams_recordings_another_team_lead_does_not(client, console):
    mine = _recording(console, "anna")
    await log_in(client, "lisa")
    assert (await client.get(mine)).status == 200
    await client.post("/logout", headers={"X-CSRF-Token": (await (await client.get("/api/me")).json())["csrf"]})
    await log_in(client, "olaf")
    assert (await client.get(mine)).status == 404


async def test_english_is_one_click_away_and_remembered(client):
    await log_in(client, "anna")
    english = await client.get("/?lang=en")
    assert "Transfer (warm)" in await english.text() and english.cookies["bereik_lang"].value == "en"
    assert "Transfer (warm)" in await (await client.get("/")).text()
    assert "Doorverbinden (warm)" in await (await client.get("/?lang=nl")).text()


async def test_the_wallboard_on_its_own_port_is_behind_the_console_login_but_metrics_stay_open(client, console):
    from aiohttp import web
    from aiohttp.test_utils import TestClient, TestServer

    from bereik.wallboard.web import Hub, wallboard_routes

    async def metrics(request):
        return web.Response(text="bereik_up 1\n")
    board = web.Application(middlewares=console.wallboard_middlewares())
    board.add_routes([*wallboard_routes(lambda: {}, Hub()), web.get("/metrics", metrics)])
    async with TestClient(TestServer(board, host="127.0.0.1")) as wallboard:
        assert (await wallboard.get("/wallboard/", allow_redirects=False)).status == 401
        assert (await wallboard.get("/metrics")).status == 200
        await log_in(client, "anna")
        cookie = client.session.cookie_jar.filter_cookies(client.make_url("/"))["bereik_session"].value
        # cookies belong to the host, not the port: the console's session opens the wallboard
        seen = await wallboard.get("/wallboard/", cookies={"bereik_session": cookie})
        assert seen.status == 200


async def test_a_recording_made_on_another_node_is_heard_from_the_store_by_whom_may_hear_it(client, console,
                                                                                             tmp_path):
    """Several servers: the recording is in the other node's directory and, copied, in the shared store."""
    shared = SqliteStore(tmp_path / "shared.sqlite3")
    console.shared_recordings = shared
    name = "bereik-1795473198-anna+20261123T100000-zuid1700000000.1.wav"
    shared.put_recording(name, "zuid", b"RIFF....WAVE", 1795473199.0)
    await log_in(client, "anna")
    listed = (await (await client.get("/api/recordings")).json())["recordings"]
    assert [(r["name"], r["url"]) for r in listed] == [(name, f"/api/recordings/anna/{name}")]
    played = await client.get(f"/api/recordings/anna/{name}")
    assert played.status == 200 and await played.read() == b"RIFF....WAVE"
    assert played.headers["Content-Type"] == "audio/wav"
    await client.post("/logout", headers={"X-CSRF-Token": (await (await client.get("/api/me")).json())["csrf"]})
    await log_in(client, "bram")
    assert (await client.get(f"/api/recordings/anna/{name}")).status == 404
    assert (await (await client.get("/api/recordings")).json())["recordings"] == []
    shared.close()
