"""Login by LDAP bind, server-side sessions, CSRF tokens, rate limits, roles and security headers.

Sessions live in memory (a restart logs everyone out, which is acceptable for a console):
the cookie holds only a random token, HttpOnly and SameSite=Strict, Secure for https.
Every route declares the roles that may use it; a route without a declaration is refused.
"""
from __future__ import annotations

import asyncio
import hmac
import ipaddress
import logging
import secrets
import ssl
import time
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol

import ldap3
from aiohttp import web
from ldap3.core.exceptions import LDAPException
from ldap3.utils.conv import escape_filter_chars
from ldap3.utils.dn import escape_rdn

from bereik.config.model import ConsoleUser
from bereik.presence.ldap import clear_text_bind

log = logging.getLogger(__name__)

COOKIE = "bereik_session"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
AGENT, TEAM_LEAD, COORDINATOR, ADMIN = "agent", "team_lead", "coordinator", "administrator"
EVERYONE = frozenset({AGENT, TEAM_LEAD, COORDINATOR, ADMIN})
LEADS = frozenset({TEAM_LEAD, COORDINATOR, ADMIN})
MANAGERS = frozenset({COORDINATOR, ADMIN})  # the coordinator's screen: hours, texts, menu, calamity

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self'; "
       "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


ROLE_ORDER = (AGENT, TEAM_LEAD, COORDINATOR, ADMIN)


@dataclass(frozen=True)
class Verdict:
    """The password was right; `roles`: the roles the person's directory groups give."""

    roles: frozenset[str] = frozenset()


class Authenticator(Protocol):
    async def check(self, login: str, password: str) -> Verdict | None: ...


class LdapAuthenticator:
    """The password is right when the directory lets the person bind with it."""

    def __init__(self, url: str, user_dn: str, start_tls: bool = False, timeout: int = 5,
                 ca_file: str | None = None, role_groups: dict[str, str] | None = None,
                 allow_clear_text: bool = False):
        """`allow_clear_text`: console.allow_clear_text (a closed network); otherwise a bind in clear to another
        machine is refused."""
        self.url, self.user_dn, self.start_tls, self.timeout = url, user_dn, start_tls, timeout
        self.ca_file = ca_file
        self.role_groups = dict(role_groups or {})  # role -> group DN (groupOfNames with member)
        self.allow_clear_text = allow_clear_text
        self._told = False  # about passwords in clear text, once

    def _bind(self, login: str, password: str) -> Verdict | None:
        if in_clear := clear_text_bind(self.url, self.start_tls):
            if not self._told:
                if self.allow_clear_text:
                    log.warning("console logins: %s (console.allow_clear_text)", in_clear)
                else:
                    log.error("console logins refused: %s", in_clear)
                self._told = True
            if not self.allow_clear_text:
                return None
        # Passwords only over a verified connection: ldap3 itself would not check the certificate.
        tls = ldap3.Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=self.ca_file) \
            if self.url.lower().startswith("ldaps://") or self.start_tls else None
        server = ldap3.Server(self.url, connect_timeout=self.timeout, tls=tls)
        user_dn = self.user_dn.format(login=escape_rdn(login))
        # ldap3 packs receive_timeout into a socket option: whole seconds only.
        connection = ldap3.Connection(server, user=user_dn, password=password,
                                      receive_timeout=int(self.timeout), raise_exceptions=False)
        try:
            connection.open()
            if self.start_tls:
                connection.start_tls()
            if not connection.bind():
                return None
            # Read as the person: each role group that lists them as a member.
            return Verdict(frozenset(
                role for role, group in self.role_groups.items()
                if connection.search(group, f"(member={escape_filter_chars(user_dn)})", ldap3.BASE,
                                     attributes=[]) and connection.entries))
        finally:
            connection.unbind()

    async def check(self, login: str, password: str) -> Verdict | None:
        # An empty password is an anonymous bind that many servers accept: never a login.
        if not password:
            return None
        try:
            return await asyncio.to_thread(self._bind, login, password)
        except LDAPException as problem:
            log.warning("LDAP login check failed: %s", type(problem).__name__)
            return None


@dataclass
class Session:
    token: str
    user: ConsoleUser
    csrf: str
    expires: float


class Sessions:
    def __init__(self, minutes: int, clock: Callable[[], float] = time.monotonic):
        self.seconds, self.clock = minutes * 60, clock
        self._by_token: dict[str, Session] = {}
        self._on_end: dict[str, set[Callable[[], None]]] = {}

    def on_end(self, session: Session, callback: Callable[[], None]) -> Callable[[], None]:
        """Call `callback` when the session ends: logged out, or expired (at that moment, not at the next
        request). Returns the function that cancels it."""
        callbacks = self._on_end.setdefault(session.token, set())
        callbacks.add(callback)
        timer = asyncio.get_running_loop().call_later(max(0.0, session.expires - self.clock()), callback)

        def cancel() -> None:
            timer.cancel()
            callbacks.discard(callback)
            if not callbacks:
                self._on_end.pop(session.token, None)
        return cancel

    def create(self, user: ConsoleUser) -> Session:
        session = Session(secrets.token_urlsafe(32), user, secrets.token_urlsafe(32), self.clock() + self.seconds)
        self._by_token[session.token] = session
        return session

    def get(self, token: str | None) -> Session | None:
        session = self._by_token.get(token or "")
        if session and session.expires < self.clock():
            del self._by_token[session.token]
            return None
        return session

    def end(self, token: str) -> None:
        self._by_token.pop(token, None)
        for callback in list(self._on_end.pop(token, ())):
            callback()


class RateLimit:
    """At most `limit` attempts per key within a minute (sliding window), in bounded memory: a key whose
    last attempt is a minute old is forgotten, and beyond `max_keys` the least recently tried goes first
    (names cost an attacker nothing; each address is limited, so floods of names come slowly)."""

    def __init__(self, limit: int, clock: Callable[[], float] = time.monotonic, max_keys: int = 10_000):
        self.limit, self.clock, self.max_keys = limit, clock, max_keys
        self._attempts: OrderedDict[str, deque[float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._attempts)

    def allow(self, *keys: str) -> bool:
        now = self.clock()
        self._forget(now)
        windows = []
        for key in keys:
            window = self._attempts.setdefault(key, deque(maxlen=self.limit))
            self._attempts.move_to_end(key)
            while window and window[0] < now - 60:
                window.popleft()
            windows.append(window)
        allowed = all(len(w) < self.limit for w in windows)
        if allowed:
            for window in windows:
                window.append(now)
        for key in keys:  # a key that was only asked about keeps no window
            if not self._attempts.get(key):
                self._attempts.pop(key, None)
        while len(self._attempts) > self.max_keys:
            self._attempts.popitem(last=False)
        return allowed

    def _forget(self, now: float) -> None:
        while self._attempts:
            key, window = next(iter(self._attempts.items()))
            if window and window[-1] >= now - 60:
                return
            del self._attempts[key]


SESSION = web.RequestKey("console_session", Session)
SESSION_ENDED = 4401  # the WebSocket close code when the session behind it ended: the page goes to /login
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Policy:
    """Which roles may use which route; the first matching (method, path prefix) wins."""

    rules: list[tuple[frozenset[str], str, frozenset[str]]] = field(default_factory=list)
    public: set[str] = field(default_factory=set)

    def allow(self, methods: Iterable[str], prefix: str, roles: frozenset[str]) -> None:
        self.rules.append((frozenset(methods), prefix, roles))

    def roles_for(self, method: str, path: str) -> frozenset[str] | None:
        for methods, prefix, roles in self.rules:
            # "/" is the console page only; any other prefix covers its sub-paths.
            if method in methods and (path == prefix or prefix != "/" and path.startswith(prefix + "/")):
                return roles
        return None


def security_headers(secure: bool):
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            response = await handler(request)
        except web.HTTPException as problem:
            response = problem
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        # Not "no-referrer": with it Chromium sends "Origin: null" on form posts, which the origin check refuses.
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers.setdefault("Cache-Control", "no-store")
        if secure:
            response.headers["Strict-Transport-Security"] = "max-age=31536000"
        if isinstance(response, web.HTTPException):
            raise response
        return response
    return middleware


async def form_of(request: web.Request):
    """The request's form fields, or 400: a multipart body without its boundary, say, is no form."""
    try:
        return await request.post()
    except ValueError:
        raise web.HTTPBadRequest(text="a form is needed") from None


def client_address(request: web.Request, trusted_proxies: Iterable[ipaddress.IPv4Network | ipaddress.IPv6Network]
                   ) -> str:
    """The browser's address: the connection's, unless that is a trusted reverse proxy; then the last address
    in X-Forwarded-For that is not one of the proxies (what came before it, anyone could have written)."""
    remote = request.remote or ""
    proxies = list(trusted_proxies)
    if not _within(remote, proxies):
        return remote
    forwarded = [a.strip() for h in request.headers.getall("X-Forwarded-For", []) for a in h.split(",") if a.strip()]
    for address in reversed(forwarded):
        if not _within(address, proxies):
            return address if _is_address(address) else remote
    return remote


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
        return True
    except ValueError:
        return False


def _within(address: str, networks) -> bool:
    try:
        return any(ipaddress.ip_address(address) in network for network in networks)
    except ValueError:
        return False


def _close_with_session(sessions: Sessions, session: Session, request: web.Request) -> Callable[[], None]:
    """A WebSocket stays open only as long as its session: at logout or expiry the server closes it (code
    4401) within a moment, so no screen-pop reaches a tab whose session is over."""
    def close() -> None:
        transport = request.transport
        if transport is not None and not transport.is_closing():
            # A close frame (unmasked, from the server) ahead of the connection's end; written whole, between
            # two of aiohttp's frames, since both happen on this one thread.
            transport.write(b"\x88\x02" + SESSION_ENDED.to_bytes(2, "big"))
            transport.close()
    return sessions.on_end(session, close)


def same_origin(request: web.Request) -> bool:
    origin = request.headers.get("Origin")
    # Browsers send Origin on every cross-site POST and WebSocket; absent means a same-origin GET or a non-browser.
    return origin is None or origin in {f"{request.scheme}://{request.host}", f"http://{request.host}",
                                        f"https://{request.host}"}


def login_required(sessions: Sessions, policy: Policy, on_user: Callable[[web.Request, Session], None],
                   login_page: bool = True):
    """Nothing without a session; every route's roles checked; CSRF on every state-changing request.
    `login_page`: pages without a session redirect to /login (else 401: the login lives elsewhere)."""

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        path = request.path
        if path in policy.public or path.startswith("/static/"):
            return await handler(request)
        session = sessions.get(request.cookies.get(COOKIE))
        api = path.startswith("/api/") or request.headers.get("Upgrade", "").lower() == "websocket"
        if session is None:
            if api or request.method not in SAFE_METHODS or not login_page:
                raise web.HTTPUnauthorized(text="log in at the console first")
            raise web.HTTPSeeOther("/login")
        roles = policy.roles_for(request.method, path)
        if roles is None or session.user.role not in roles:
            raise web.HTTPForbidden(text="not for your role")
        if not same_origin(request):
            raise web.HTTPForbidden(text="cross-origin request refused")
        if request.method not in SAFE_METHODS:
            sent = request.headers.get("X-CSRF-Token", "")
            if not sent and request.content_type == "application/x-www-form-urlencoded":
                sent = str((await form_of(request)).get("csrf", ""))
            elif not sent and request.content_type == "multipart/form-data":
                # An upload is read as a stream by its handler, larger than a form may be: the token is in the URL.
                sent = request.query.get("csrf", "")
            if not hmac.compare_digest(sent.encode(), session.csrf.encode()):
                raise web.HTTPForbidden(text="CSRF token missing or wrong")
        request[SESSION] = session
        on_user(request, session)
        if request.headers.get("Upgrade", "").lower() != "websocket":
            return await handler(request)
        stop_watching = _close_with_session(sessions, session, request)
        try:
            return await handler(request)
        finally:
            stop_watching()

    return middleware
