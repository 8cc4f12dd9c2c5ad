"""The console across a network: https with a certificate renewed in place, the browser's address behind a
proxy, a rate limit in bounded memory, no LDAP password in clear, no socket outliving its session, and no
open wallboard beyond loopback."""
import asyncio
import ipaddress
import socket
import ssl
import subprocess
from pathlib import Path

import ldap3
from ldap3.core.exceptions import LDAPException
import pytest
from aiohttp import WSMsgType, web
from aiohttp.test_utils import TestClient, TestServer, make_mocked_request

from bereik.config import ConfigError, check_text, parse_config
from bereik.console.auth import LdapAuthenticator, RateLimit, client_address
from bereik.console.tls import ReloadingTls
from bereik.presence.ldap import LdapDirectory, LdapSettings
from bereik.wallboard.web import WebServer
from console_helpers import EXAMPLE, Clock, Console, Desk, FakeAmi, FakeDirectory, Mailer, CallbackStore, \
    console_config, log_in

LOCAL = ipaddress.ip_network("127.0.0.0/8")


def certificate(directory: Path, name: str, address: str = "127.0.0.1") -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    cert, key = directory / f"{name}.pem", directory / f"{name}.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-keyout", str(key),
                    "-out", str(cert), "-subj", f"/CN={name}", "-addext", f"subjectAltName=IP:{address}"],
                   check=True, capture_output=True)
    return cert, key


# --- the rate limit ---------------------------------------------------------------------------------


def test_the_login_rate_limit_keeps_bounded_memory_and_still_limits_each_address():
    now = [1000.0]
    limit = RateLimit(5, clock=lambda: now[0], max_keys=1000)
    for n in range(100_000):  # a flood of names from many addresses
        limit.allow(f"name:guess{n}", f"address:10.{n // 65536}.{n // 256 % 256}.{n % 256}")
    assert len(limit) <= 1000
    assert [limit.allow(f"name:n{n}", "address:192.0.2.7") for n in range(6)] == [True] * 5 + [False]
    now[0] += 61  # a minute later the address may try again, and the old windows are gone
    assert limit.allow("name:n6", "address:192.0.2.7") and len(limit) == 2


# --- the browser's address behind a proxy ------------------------------------------------------------


@pytest.mark.parametrize(("remote", "forwarded", "seen"), [
    ("203.0.113.9", "198.51.100.1", "203.0.113.9"),  # nobody trusts a browser's own X-Forwarded-For
    ("127.0.0.1", "198.51.100.1", "198.51.100.1"),  # the proxy's word for it
    ("127.0.0.1", "6.6.6.6, 198.51.100.1", "198.51.100.1"),  # what came before the proxy's hop is anyone's
    ("127.0.0.1", "198.51.100.1, 127.0.0.2", "198.51.100.1"),  # two proxies
    ("127.0.0.1", "not-an-address", "127.0.0.1"),
    ("127.0.0.1", "", "127.0.0.1"),
])
def test_the_browsers_address_comes_from_x_forwarded_for_only_through_a_trusted_proxy(remote, forwarded, seen):
    class Transport:
        def get_extra_info(self, name, default=None):
            return (remote, 4711) if name == "peername" else default

    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    request = make_mocked_request("POST", "/login", headers=headers, transport=Transport())
    assert client_address(request, [LOCAL]) == seen


@pytest.fixture
async def proxied(tmp_path):
    config = console_config(tmp_path / "recordings", trusted_proxies=["127.0.0.1"])
    clock = Clock(__import__("datetime").datetime(2026, 11, 23, 10, 0, tzinfo=config.zone))
    from bereik.audit import AuditLog
    from bereik.records.store import SqliteStore

    records = SqliteStore(tmp_path / "calls.sqlite3")
    ami = FakeAmi()
    store = CallbackStore(tmp_path / "callbacks.sqlite3")
    built = Console(config, Desk(config, ami, store, clock), store, Mailer("127.0.0.1", 1, "b@test", config.zone),
                    FakeDirectory(), clock=clock, audit_log=AuditLog(records))
    async with TestClient(TestServer(built.app())) as client:
        yield built, client
    records.close()


async def test_behind_a_proxy_one_browser_locked_out_does_not_lock_out_the_others(proxied):
    console, client = proxied
    attacker, agent = {"X-Forwarded-For": "198.51.100.66"}, {"X-Forwarded-For": "198.51.100.10"}
    statuses = [(await client.post("/login", data={"login": f"x{n}", "password": "guess"}, headers=attacker,
                                   allow_redirects=False)).status for n in range(7)]
    assert statuses[-1] == 429
    response = await client.post("/login", data={"login": "anna", "password": "anna-pw"}, headers=agent,
                                 allow_redirects=False)
    assert response.status == 303


# --- LDAP passwords never in clear ---------------------------------------------------------------------


async def test_a_bind_in_clear_text_to_a_directory_on_another_machine_is_refused(monkeypatch, caplog):
    binds = []
    monkeypatch.setattr(ldap3, "Connection", lambda *a, **k: binds.append(k) or (_ for _ in ()).throw(
        LDAPException("no server here")))
    authenticator = LdapAuthenticator("ldap://192.0.2.10:389", "uid={login},ou=people,dc=test")
    for _ in range(2):
        assert await authenticator.check("anna", "pw") is None
    assert binds == []  # the password never left bereik
    assert [r.getMessage() for r in caplog.records].count(
        "console logins refused: ldap://192.0.2.10:389 without StartTLS sends passwords in clear text; use ldaps:// "
        "or start_tls: true (ldap:// in clear only to a server on this machine)") == 1
    caplog.clear()
    # On a closed network the administrator may allow it (console.allow_clear_text): warned about, then tried.
    allowed = LdapAuthenticator("ldap://192.0.2.10:389", "uid={login},dc=test", allow_clear_text=True)
    assert await allowed.check("anna", "pw") is None and len(binds) == 1
    assert "console.allow_clear_text" in caplog.text
    caplog.clear()
    assert await LdapAuthenticator("ldap://127.0.0.1:389", "uid={login},dc=test").check("anna", "pw") is None
    assert "clear text" not in caplog.text and len(binds) == 2  # a directory on this machine


async def test_presence_never_binds_with_its_password_in_clear_to_another_machine(monkeypatch):
    opened = []
    monkeypatch.setattr(ldap3, "Connection", lambda *a, **k: opened.append(k) or (_ for _ in ()).throw(
        LDAPException("no server here")))
    refused = LdapDirectory(LdapSettings(url="ldap://192.0.2.10", base_dn="dc=test", bind_dn="cn=bereik,dc=test",
                                         password="s3cret-long-enough", timeout=1.0), clock=lambda: None)
    await refused.refresh()
    assert not refused.status.up and opened == []
    allowed = LdapDirectory(LdapSettings(url="ldap://192.0.2.10", base_dn="dc=test", bind_dn="cn=bereik,dc=test",
                                         password="s3cret-long-enough", timeout=1.0, allow_clear_text=True),
                            clock=lambda: None)
    await allowed.refresh()
    assert len(opened) == 1  # tried (and found no server)


def test_bereik_check_refuses_passwords_in_clear_and_an_open_wallboard_on_the_network():
    text = EXAMPLE.read_text() + """
console:
  listen: 10.0.0.5:8443
  ldap_url: ldap://10.0.0.7:389
  users: [{login: anna, extension: "201"}]
presence:
  ldap: {url: "ldap://10.0.0.7", base_dn: "dc=test", bind_dn: "cn=bereik,dc=test"}
"""
    with pytest.raises(ConfigError) as refused:
        check_text(text, "gemeente.yaml")
    errors = str(refused.value)
    assert "gemeente.yaml:116:11: the console listens on 10.0.0.5:8443 without https" in errors
    assert "console.ldap_url: ldap://10.0.0.7:389 without StartTLS" in errors
    assert "presence.ldap.url: ldap://10.0.0.7 without StartTLS" in errors
    with pytest.raises(ConfigError, match="wallboard listens on 0.0.0.0:8080 but console.users is empty"):
        parse_config(EXAMPLE.read_text() + "wallboard:\n  listen: 0.0.0.0:8080\n", "gemeente.yaml")
    # A closed network, said in so many words: accepted, and still warned about.
    closed = text.replace("  users:", "  allow_clear_text: true\n  users:").replace(
        'bind_dn: "cn=bereik,dc=test"}', 'bind_dn: "cn=bereik,dc=test", allow_clear_text: true}')
    checked = check_text(closed, "gemeente.yaml")
    warnings = "\n".join(p.message for p in checked.warnings)
    assert "console listens on 10.0.0.5:8443 without https" in warnings and "console.allow_clear_text" in warnings
    assert "presence.ldap.url: ldap://10.0.0.7 without StartTLS" in warnings
    assert "presence.ldap.allow_clear_text" in warnings
    safe = text.replace("ldap://10.0.0.7", "ldaps://10.0.0.7").replace(
        "listen: 10.0.0.5:8443", "listen: 10.0.0.5:8443\n  tls_certificate: /etc/bereik/tls.pem\n"
        "  tls_key: /etc/bereik/tls.key")
    assert not [p for p in check_text(safe, "gemeente.yaml").warnings if "clear" in p.message or "https" in p.message]
    behind_proxy = text.replace("ldap://10.0.0.7", "ldaps://10.0.0.7").replace(
        "listen: 10.0.0.5:8443", "listen: 10.0.0.5:8443\n  trusted_proxies: [10.0.0.1]")
    check_text(behind_proxy, "gemeente.yaml")  # no error: the proxy speaks https to the browser


async def test_the_wallboard_without_the_consoles_login_will_not_listen_beyond_loopback():
    with pytest.raises(RuntimeError, match="loopback only"):
        await WebServer([], "192.0.2.1", 0).start()
    with pytest.raises(RuntimeError, match="loopback only"):
        await WebServer([], "0.0.0.0", 0).start()
    # The website's live figure is meant for everyone (no login, no personal data): it listens anywhere.
    public = WebServer([], "0.0.0.0", 0, public=True)
    await public.start()
    await public.close()


# --- sockets end with their session --------------------------------------------------------------------


@pytest.mark.parametrize("how", ["logout", "expiry"])
async def test_every_websocket_is_closed_within_a_second_of_logout_or_expiry(client, console, how):
    token = await log_in(client, "anna")
    if how == "expiry":
        session = next(iter(console.sessions._by_token.values()))
        session.expires = console.sessions.clock() + 0.3
    sockets = [await client.ws_connect(path) for path in ("/api/stream", "/api/presence/stream")
               if console.presence is not None or path == "/api/stream"]
    loop = asyncio.get_running_loop()
    began = loop.time()
    if how == "logout":
        await client.post("/logout", headers={"X-CSRF-Token": token}, allow_redirects=False)
    for ws in sockets:
        message = await asyncio.wait_for(ws.receive(), 2)
        assert message.type == WSMsgType.CLOSE and message.data == 4401
    assert loop.time() - began < 1.0 + (0.3 if how == "expiry" else 0)
    assert (await client.get("/api/me")).status == 401


# --- https, renewed in place ---------------------------------------------------------------------------


async def test_https_with_a_renewed_certificate_needs_no_restart(tmp_path):
    cert, key = certificate(tmp_path / "a", "bereik-a")
    tls = ReloadingTls(cert, key)
    runner = web.AppRunner(web.Application())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=tls.context)
    await site.start()
    port = runner.addresses[0][1]

    def served_name() -> str:
        client = ssl.create_default_context(cafile=None)
        client.check_hostname, client.verify_mode = False, ssl.CERT_NONE
        with socket.create_connection(("127.0.0.1", port)) as raw, client.wrap_socket(raw) as wrapped:
            der = wrapped.getpeercert(binary_form=True)
        return subprocess.run(["openssl", "x509", "-inform", "der", "-noout", "-subject"], input=der,
                              capture_output=True, check=True).stdout.decode()

    try:
        assert "bereik-a" in await asyncio.to_thread(served_name)
        new_cert, new_key = certificate(tmp_path / "b", "bereik-b")
        key.write_bytes(b"half written")  # a renewal in progress: the old pair stays in use
        assert not tls.reload_if_changed() and "bereik-a" in await asyncio.to_thread(served_name)
        cert.write_bytes(new_cert.read_bytes())
        key.write_bytes(new_key.read_bytes())
        assert tls.reload_if_changed()
        assert "bereik-b" in await asyncio.to_thread(served_name)
    finally:
        await runner.cleanup()


async def test_the_wallboard_without_the_consoles_login_still_sends_the_security_headers():
    from aiohttp import ClientSession

    from bereik.console.auth import CSP
    from bereik.wallboard.web import Hub, wallboard_routes

    server = WebServer(wallboard_routes(lambda: {}, Hub()), "127.0.0.1", 0)
    await server.start()
    try:
        async with ClientSession() as session, session.get(f"http://127.0.0.1:{server.port}/wallboard/") as page:
            assert page.status == 200
            assert page.headers["Content-Security-Policy"] == CSP
            assert page.headers["X-Frame-Options"] == "DENY" and page.headers["X-Content-Type-Options"] == "nosniff"
            assert "Strict-Transport-Security" not in page.headers  # plain http on loopback: no HSTS
    finally:
        await server.close()
