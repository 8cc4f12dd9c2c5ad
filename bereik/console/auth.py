"""Login by LDAP bind, server-side sessions, CSRF tokens, rate limits, roles and security headers.

Sessions live in memory (a restart logs everyone out, which is acceptable for a console):
the cookie holds only a random token, HttpOnly and SameSite=Strict, Secure for https.
Every route declares the roles that may use it; a route without a declaration is refused.
"""
from __future__ import annotations

import asyncio
import hmac
import logging
import secrets
import ssl
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol

import ldap3
from aiohttp import web
from ldap3.core.exceptions import LDAPException
from ldap3.utils.conv import escape_filter_chars
from ldap3.utils.dn import escape_rdn

from bereik.config.model import ConsoleUser

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
                 ca_file: str | None = None, role_groups: dict[str, str] | None = None):
        self.url, self.user_dn, self.start_tls, self.timeout = url, user_dn, start_tls, timeout
        self.ca_file = ca_file
        self.role_groups = dict(role_groups or {})  # role -> group DN (groupOfNames with member)

    def _bind(self, login: str, password: str) -> Verdict | None:
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


class RateLimit:
    """At most `limit` attempts per key within a minute (sliding window)."""

    def __init__(self, limit: int, clock: Callable[[], float] = time.monotonic):
        self.limit, self.clock = limit, clock
        self._attempts: dict[str, deque[float]] = defaultdict(deque)

    def allow(self, *keys: str) -> bool:
        now = self.clock()
        windows = [self._attempts[k] for k in keys]
        for window in windows:
            while window and window[0] < now - 60:
                window.popleft()
        if any(len(w) >= self.limit for w in windows):
            return False
        for window in windows:
            window.append(now)
        return True


SESSION = web.RequestKey("console_session", Session)
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
        return await handler(request)

    return middleware
