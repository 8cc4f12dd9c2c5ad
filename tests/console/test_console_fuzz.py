"""The console against whatever a browser, an attacker or Asterisk sends it.

Any path, query, header, JSON or form body: a 4xx with a reason, never a 500. Any WebSocket
message: an error reply or a clean close, and the console goes on. Any AMI event: the desk
goes on, and caller IDs reach the pages only escaped.
"""
import asyncio
import json
import re

import pytest
from console_helpers import log_in
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bereik.callbacks.store import Note
from bereik.console.auth import COOKIE

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
tricky = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["", "201", "PJSIP/201", "PJSIP/201-00000001", "-1", "nan", "1e400", "99999999999999999999999",
                     '"><script>alert(1)</script>', "a\r\nSet-Cookie: x=1", "a\0b", "..%2F..%2Fetc%2Fpasswd",
                     "ﬁ", "é" * 5000]),
)
json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | tricky,
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(tricky, inner, max_size=4),
                           max_leaves=12)
PATHS = ["/login", "/logout", "/", "/team", "/team/done/{x}", "/api/me", "/api/position/{x}", "/api/transfer",
         "/api/transfer/{x}", "/api/recording", "/api/recordings", "/api/recordings/{x}/{x}", "/api/callbacks",
         "/api/callbacks/{x}/done", "/{x}"]
bodies = st.one_of(
    json_values.map(lambda v: json.dumps(v).encode()),
    st.binary(max_size=200),
    st.sampled_from([b"[" * 1500, b'{"number": "0612345678", "question": "\xff\xfe", "key": "abcdefgh"}',
                     b"login=anna&password=%FF%FE", b"csrf=%00&x=" + b"y" * 70_000]),
)
CONTENT_TYPES = ["application/json", "application/x-www-form-urlencoded", "text/plain", "multipart/form-data",
                 "application/json; charset=latin-1"]


header_safe = tricky.filter(lambda text: not any(ord(c) < 32 or ord(c) == 127 for c in text))


@pytest.fixture
async def anna(client):
    """Anna's session: logged in once, since the login is rate limited on the console's (fake) clock."""
    csrf = await log_in(client, "anna")
    return client.session.cookie_jar.filter_cookies(client.make_url("/"))[COOKIE].value, csrf


def as_anna(client, anna) -> None:
    client.session.cookie_jar.clear()
    client.session.cookie_jar.update_cookies({COOKIE: anna[0]}, client.make_url("/"))


def path_of(template: str, part: str) -> str:
    return template.replace("{x}", part.replace("/", "%2F").replace("?", "%3F").replace("#", "%23") or "x")


@FUZZ
@given(method=st.sampled_from(["GET", "POST", "PUT", "DELETE"]), template=st.sampled_from(PATHS), part=tricky,
       query=st.dictionaries(tricky, tricky, max_size=3), body=bodies, content_type=st.sampled_from(CONTENT_TYPES),
       token=st.one_of(st.none(), header_safe), logged_in=st.booleans())
async def test_any_request_gets_an_answer_never_a_server_error(client, anna, method, template, part, query, body,
                                                                content_type, token, logged_in):
    client.session.cookie_jar.clear()
    if logged_in:
        as_anna(client, anna)
    csrf = anna[1] if logged_in else ""
    headers = {"Content-Type": content_type}
    if token is not None:
        headers["X-CSRF-Token"] = token
    elif csrf:
        headers["X-CSRF-Token"] = csrf
    response = await client.request(method, path_of(template, part), params=query, data=body, headers=headers,
                                    allow_redirects=False)
    text = await response.text(errors="replace")
    assert response.status < 500, f"{method} {template}: {response.status} {text[:200]}"
    if response.status >= 400:
        assert text.strip(), "a refusal says why"


@FUZZ
@given(messages=st.lists(st.one_of(
    st.text(max_size=200), st.binary(max_size=200), json_values.map(json.dumps),
    st.sampled_from(['{"type": "ping"}', "[" * 1500, '{"type": {"$ne": 1}}', '{"type": "ping"' + " " * 70_000 + "}"]),
), min_size=1, max_size=4))
async def test_any_websocket_message_gets_an_error_or_a_clean_close_and_the_console_lives_on(client, anna, messages):
    as_anna(client, anna)
    socket = await client.ws_connect("/api/stream")
    for message in messages:
        if socket.closed:
            break
        if isinstance(message, bytes):
            await socket.send_bytes(message)
        else:
            await socket.send_str(message)
        reply = await asyncio.wait_for(socket.receive(), 5)
        if reply.type.name == "TEXT":
            assert json.loads(reply.data)["type"] in ("pong", "error")
        else:
            assert reply.type.name in ("CLOSE", "CLOSING", "CLOSED", "ERROR")
    await socket.close()
    # The console still answers, on the socket and over HTTP.
    again = await client.ws_connect("/api/stream")
    await again.send_str('{"type": "ping"}')
    assert json.loads((await asyncio.wait_for(again.receive(), 5)).data) == {"type": "pong"}
    await again.close()
    assert (await client.get("/api/me")).status == 200


EVENTS = ["QueueCallerJoin", "AgentCalled", "AgentConnect", "AgentComplete", "AgentRingNoAnswer", "DialBegin",
          "DialEnd", "Hangup", "AttendedTransfer", "QueueCallerAbandon"]
HEADERS = ["Interface", "Channel", "DestChannel", "Uniqueid", "Linkedid", "Timestamp", "CallerIDNum", "CallerIDName",
           "DialStatus", "OrigTransfererChannel", "Result", "ChanVariable(BEREIK_TOPIC)",
           "ChanVariable(BEREIK_MUNICIPALITY)"]
desk_events = st.lists(st.builds(lambda name, headers: {**headers, "Event": name}, st.sampled_from(EVENTS),
                                 st.dictionaries(st.sampled_from(HEADERS), tricky, max_size=7)), max_size=20)


@FUZZ
@given(desk_events, st.lists(st.sampled_from(["start", "complete", "cancel"]), max_size=3))
async def test_the_desk_and_its_transfers_survive_any_events_and_still_pop_the_next_caller(console, sequence, presses):
    ami, desk = console.ami, console.desk
    errors = []
    asyncio.get_running_loop().set_exception_handler(lambda loop, context: errors.append(context))
    news = desk.listen("201")
    try:
        for number, event in enumerate(sequence):
            ami.emit(**{**event, "Interface": event.get("Interface", "PJSIP/201")})
            if number < len(presses):
                {"start": lambda: desk.start_transfer("201", "202"), "complete": lambda: desk.complete_transfer("201"),
                 "cancel": lambda: desk.cancel_transfer("201")}[presses[number]]()
        await asyncio.sleep(0.01)
        while not news.empty():
            news.get_nowait()
        desk.positions["201"].call = None
        ami.emit(Event="AgentCalled", Interface="PJSIP/201", Channel="PJSIP/trunk-00000042", Linkedid="42.0",
                 CallerIDNum="0612345678", CallerIDName="Jan", Uniqueid="42.0", Timestamp="1795420800.0")
        pop = await asyncio.wait_for(news.get(), 1)
        assert pop["type"] == "ringing" and pop["number"] == "0612345678"
        assert errors == []
    finally:
        desk.leave("201", news)


HOSTILE_NAMES = ['<script>alert("x")</script>', '"><img src=x onerror=alert(1)>', "Jan 'de Baas' & Zn",
                 "line\nbreak</td><td>", "é" * 500]


async def test_caller_names_and_notes_reach_the_team_page_only_escaped(client, console):
    for number, name in enumerate(HOSTILE_NAMES):
        console.store.add(Note(key=f"xss-{number}", number="0612345678", name=name, question=f"vraag {name}",
                               team="tic", created_at=console.clock(), due_at=console.clock(), created_by="queue"))
    await log_in(client, "lisa")
    page = await (await client.get("/team")).text()
    for raw in ("<script>", "<img", "break</td><td>"):
        assert raw not in page
    assert "&lt;script&gt;" in page and "&amp; Zn" in page


@FUZZ
@given(path=st.binary(max_size=40), value=st.binary(max_size=40), method=st.sampled_from([b"GET", b"POST"]))
async def test_bytes_that_are_not_utf8_in_the_path_or_a_header_get_an_answer_never_a_server_error(
        client, anna, path, value, method):
    clean = lambda raw: bytes(b for b in raw if b not in b"\r\n \0")  # noqa: E731  (a line break ends the header)
    reader, writer = await asyncio.open_connection(client.host, client.port)
    writer.write(method + b" /api/" + clean(path) + b" HTTP/1.1\r\nHost: " + f"{client.host}:{client.port}".encode()
                 + b"\r\nCookie: " + COOKIE.encode() + b"=" + anna[0].encode() + b"\r\nX-CSRF-Token: " + clean(value)
                 + b"\r\nAccept-Language: " + clean(value) + b"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    await writer.drain()
    status = await asyncio.wait_for(reader.readline(), 5)
    writer.close()
    assert re.match(rb"HTTP/1\.[01] [1-4]\d\d ", status), status  # aiohttp's own 400s are HTTP/1.0


@pytest.mark.parametrize("note_id", ["99999999999999999999999", "9223372036854775808", "-1", "1e3"])
async def test_a_call_back_number_beyond_sqlite_s_integers_is_not_found_not_a_server_error(client, anna, note_id):
    as_anna(client, anna)
    response = await client.post(f"/api/callbacks/{note_id}/done", headers={"X-CSRF-Token": anna[1]})
    assert response.status == 404, await response.text()
