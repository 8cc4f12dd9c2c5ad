"""The front-office console: aiohttp routes, server-rendered pages, one WebSocket per browser.

    GET  /login, POST /login, POST /logout        LDAP bind; rate limited per name and address
    GET  /                                        the agent's console        (agent, team lead)
    GET  /team                                    the team's call-backs       (team lead, administrator)
    GET  /manage, POST /manage/...                the coordinator's screen     (coordinator, administrator;
                                                  bereik.console.manage)
    GET  /api/me                                  who am I, my position's queue state
    POST /api/position/{login,logout,pause,resume}  QueuePause of the agent's static member
    POST /api/transfer, /api/transfer/complete, /api/transfer/cancel
    POST /api/call/answer                         answer the call ringing at the agent's phone (Desk.answer)
    POST /api/call/hangup                         hang up the agent's call (AMI Hangup of the agent's leg)
    POST /api/wrapup                              the wrap-up of a call: topic, helped at once (yes/no)
    GET  /api/history                             the agent's calls today, with their wrap-ups
    GET  /api/waiting, POST /api/waiting/{id}/pick  who waits per queue; take one to one's phone (may_pick)
    POST /api/recording                           start or stop recording the current call
    GET  /api/recordings, /api/recordings/{login}/{name}   the agent's own; a team lead's team
    GET  /api/callbacks, POST /api/callbacks, POST /api/callbacks/{id}/done
    GET  /api/audit?days=30                       the audit log of administrative acts (team lead, administrator)
    GET  /api/stream                              WebSocket: screen-pop, transfer, recording news
    GET  /api/forwarding, PUT/DELETE /api/forwarding/{extension}   absence forwarding (bereik.forwarding.http)
    /api/directory..., /api/absences..., /api/presence/stream   presence_app, behind the same login
"""
from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import json
import logging
import re
from collections.abc import Callable, Iterable
from pathlib import Path

import aiohttp_jinja2
from aiohttp import WSCloseCode, WSMsgType, web

from bereik import audit, pages
from bereik.audit import AuditLog
from bereik.calllog import mask_number
from bereik.callbacks.mail import Mailer
from bereik.callbacks.appointments import Appointments, SlotRefused
from bereik.callbacks.lifecycle import unanswered_attempts_apart, why_not_closable
from bereik.callbacks.store import HANDLED, CallbackStore, Note, WorkingDays
from bereik.config.model import Config, ConsoleUser
from bereik.console import recordings, words
from bereik.console.texts import SHORTCUTS, TEXTS, WEBHOOK_TEXTS, date_text
from bereik.console.auth import (
    ADMIN,
    AGENT,
    COOKIE,
    COORDINATOR,
    EVERYONE,
    LEADS,
    MANAGERS,
    ROLE_ORDER,
    SESSION,
    TEAM_LEAD,
    Authenticator,
    Policy,
    RateLimit,
    Session,
    Sessions,
    client_address,
    form_of,
    same_origin,
    login_required,
    security_headers,
)
from bereik.console.desk import LOGGED_OUT, Desk
from bereik.console.manage import Management
from bereik.integrations.webhooks import Courier
from bereik.console.tls import ReloadingTls
from bereik.pbx.ami import AmiError
from bereik.pbx.note_call import DialRefused, NoteCaller
from bereik.forwarding.http import forwarding_routes
from bereik.forwarding.store import ForwardingStore
from bereik.presence.http import json_object
from bereik.records.store import CallStore
from bereik.records.summary import CallRow
from bereik.reports import reachability
from bereik.reports.reachability import Hours
from bereik.reports.schema import PersonReach

log = logging.getLogger(__name__)

LOGIN = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
AGENTS = frozenset({AGENT, TEAM_LEAD})  # team leads also take calls

def policy() -> Policy:
    rules = Policy(public={"/login", "/favicon.ico"})
    rules.allow({"POST"}, "/logout", EVERYONE)
    rules.allow({"GET"}, "/", AGENTS)
    rules.allow({"GET"}, "/team", LEADS)
    rules.allow({"POST"}, "/team/done", LEADS)
    rules.allow({"GET"}, "/wallboard", EVERYONE)
    rules.allow({"GET"}, "/api/me", EVERYONE)
    rules.allow({"GET"}, "/api/stream", AGENTS)
    rules.allow({"POST"}, "/api/position", AGENTS)
    rules.allow({"POST"}, "/api/transfer", AGENTS)
    rules.allow({"POST"}, "/api/call", AGENTS)
    rules.allow({"POST"}, "/api/wrapup", AGENTS)
    rules.allow({"GET"}, "/api/history", AGENTS)
    rules.allow({"GET", "POST"}, "/api/waiting", AGENTS)  # taking a caller: may_pick (team leads by default)
    rules.allow({"POST"}, "/api/recording", AGENTS)
    rules.allow({"GET"}, "/api/recordings", AGENTS)
    rules.allow({"GET", "POST"}, "/api/callbacks", EVERYONE)
    rules.allow({"GET"}, "/api/audit", LEADS)
    rules.allow({"GET", "POST"}, "/api/appointments", AGENTS)
    # presence_app: everyone searches; team leads register absences (Huizen's advice).
    rules.allow({"GET"}, "/api/directory", EVERYONE)
    rules.allow({"GET"}, "/api/presence/stream", EVERYONE)
    rules.allow({"GET", "POST", "PUT", "DELETE"}, "/api/absences", LEADS)
    # Everyone sees who is forwarded where; team leads change it, as they register absences.
    rules.allow({"GET"}, "/api/forwarding", EVERYONE)
    rules.allow({"PUT", "DELETE"}, "/api/forwarding", LEADS)
    rules.allow({"GET", "POST"}, "/manage", MANAGERS)  # the coordinator's screen
    rules.allow({"GET", "POST"}, "/webhooks", frozenset({ADMIN}))  # the events a system did not take
    return rules


class Console:
    def __init__(self, config: Config, desk: Desk, store: CallbackStore, mailer: Mailer,
                 authenticator: Authenticator, *, clock: Callable[[], dt.datetime], audit_log: AuditLog,
                 presence: web.Application | None = None, recordings_dir: Path | None = None,
                 forwarding: ForwardingStore | None = None,
                 forwarding_changed: Callable[[str], None] = lambda extension: None,
                 calls: Callable[[float, float], Iterable[CallRow]] | None = None,
                 note_caller: NoteCaller | None = None, appointments: Appointments | None = None,
                 tls: ReloadingTls | None = None, shared_recordings: CallStore | None = None):
        """`audit_log`: where logins, recordings played and forwarding changes are written (bereik.audit);
        `shared_recordings`: several servers: the store that holds the other nodes' recordings (bereik.console.shared);
        `note_caller`: rings a note's owner and then its caller (default: call files in pbx.call_files);
        `tls`: serve https (console.tls_certificate)."""
        self.config, self.settings = config, config.console
        self.audit = audit_log
        self.desk, self.store, self.mailer, self.authenticator = desk, store, mailer, authenticator
        self.clock = clock
        self.days = WorkingDays(config)
        self.sessions = Sessions(self.settings.session_minutes)
        self.limit = RateLimit(self.settings.login_attempts_per_minute)
        self.proxies = [ipaddress.ip_network(n, strict=False) for n in self.settings.trusted_proxies]
        self.tls = tls
        self.policy = policy()
        self.presence = presence
        self.forwarding = forwarding
        self.forwarding_changed = forwarding_changed
        self.calls = calls  # the call records, for the team's reachability by hour
        self.note_caller = note_caller or NoteCaller(config, store, clock)
        self.appointments = appointments  # None without Graph: no calendars to book in
        self.recordings_dir = Path(recordings_dir or self.settings.recordings_dir)
        self.shared_recordings = shared_recordings
        self.manage = Management(self._page, self._lang, clock)
        self.couriers: list[Courier] = []  # webhooks, contact registration: set by the service (YAML integrations)
        self._runner: web.AppRunner | None = None
        self._sockets: set[web.WebSocketResponse] = set()
        self.port = 0

    async def start(self) -> None:
        host, port = self.settings.listen.rsplit(":", 1)
        self._runner = web.AppRunner(self.app(), access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, int(port), ssl_context=self.tls.context if self.tls else None).start()
        self.port = self._runner.addresses[0][1]  # the real port when 0 was asked
        log.info("console on %s://%s:%d/", "https" if self.tls else "http", host, self.port)

    async def close(self) -> None:
        if self._runner:
            await self._runner.cleanup()
            self._runner = None

    async def _close_sockets(self, app: web.Application) -> None:
        # Open consoles would otherwise hold the shutdown for aiohttp's whole grace period.
        for socket in list(self._sockets):
            await socket.close(code=WSCloseCode.GOING_AWAY, message=b"bereik stops")

    def wallboard_middlewares(self) -> list:
        """The wallboard on its own port behind the console's login (cookies are per host, not port);
        the reports for team leads and administrators; /metrics stays open for Prometheus on the loopback address."""
        rules = Policy(public={"/metrics"})
        rules.allow({"GET"}, "/wallboard", EVERYONE)
        rules.allow({"GET"}, "/reports", LEADS)
        return [security_headers(self.settings.secure_cookies),
                login_required(self.sessions, rules, lambda request, session: None, login_page=False)]

    def middlewares(self) -> list:
        from bereik.presence.http import USER

        def on_user(request: web.Request, session: Session) -> None:
            request[USER] = session.user.login
        @web.middleware
        async def remember_language(request: web.Request, handler) -> web.StreamResponse:
            response = await handler(request)
            if request.query.get("lang") in TEXTS:
                response.set_cookie("bereik_lang", request.query["lang"], httponly=True, samesite="Strict",
                                    secure=self.settings.secure_cookies, path="/")
            return response
        return [security_headers(self.settings.secure_cookies),
                login_required(self.sessions, self.policy, on_user), remember_language]

    def app(self) -> web.Application:
        app = web.Application(middlewares=self.middlewares(), client_max_size=64 * 1024)
        pages.setup(app)
        app.router.add_get("/login", self.login_page)
        app.router.add_post("/login", self.login)
        app.router.add_post("/logout", self.logout)
        app.router.add_get("/", self.console_page)
        app.router.add_get("/team", self.team_page)
        app.router.add_post("/team/done/{id}", self.team_done)
        app.router.add_get("/webhooks", self.webhooks_page)
        app.router.add_post("/webhooks/again/{id}", self.webhook_again)
        app.router.add_get("/api/me", self.me)
        app.router.add_get("/api/stream", self.stream)
        app.router.add_post("/api/position/{action}", self.position)
        app.router.add_post("/api/transfer", self.transfer)
        app.router.add_post("/api/transfer/{action}", self.transfer_action)
        app.router.add_post("/api/call/answer", self.answer)
        app.router.add_post("/api/call/hangup", self.hang_up)
        app.router.add_post("/api/wrapup", self.wrap_up)
        app.router.add_get("/api/history", self.history)
        app.router.add_get("/api/waiting", self.waiting)
        app.router.add_post("/api/waiting/{id}/pick", self.pick)
        app.router.add_post("/api/recording", self.record)
        app.router.add_get("/api/recordings", self.list_recordings)
        app.router.add_get("/api/recordings/{login}/{name}", self.play_recording)
        app.router.add_get("/api/callbacks", self.list_callbacks)
        app.router.add_post("/api/callbacks", self.add_callback)
        note = r"/api/callbacks/{id:\d{1,18}}"  # fits SQLite's INTEGER
        app.router.add_post(note + "/done", self.callback_done)
        app.router.add_get(note, self.callback_detail)
        app.router.add_post(note + "/dial", self.callback_dial)
        app.router.add_post(note + "/close", self.callback_close)
        app.router.add_get("/api/appointments/slots", self.appointment_slots)
        app.router.add_post("/api/appointments", self.book_appointment)
        app.router.add_get("/api/audit", self.audit_entries)
        app.add_routes(self.manage.routes())
        app.router.add_static("/static/", pages.STATIC, append_version=True)
        app.on_shutdown.append(self._close_sockets)
        if self.forwarding is not None:
            app.add_routes(forwarding_routes(self.forwarding, self.clock, self.audit, prefix="/api/forwarding",
                                             changed=self.forwarding_changed))
        if self.presence is not None:
            app.add_subapp("/api", self.presence)
        return app

    # --- pages -------------------------------------------------------------------------------

    def _lang(self, request: web.Request) -> str:
        wanted = request.query.get("lang") or request.cookies.get("bereik_lang") or self.config.language
        return wanted if wanted in TEXTS else "nl"

    def _page(self, request: web.Request, template: str, title: str, status: int = 200, **context) -> web.Response:
        lang = self._lang(request)
        session = request.get(SESSION)
        return aiohttp_jinja2.render_template(template, request, {
            "lang": lang, "t": TEXTS[lang], "title": title, "csrf": session.csrf if session else "", **context},
            status=status)

    async def login_page(self, request: web.Request, problem: str = "") -> web.Response:
        t = TEXTS[self._lang(request)]
        return self._page(request, "console/login.html", t["login"], status=401 if problem else 200, problem=problem)

    async def login(self, request: web.Request) -> web.Response:
        t = TEXTS[self._lang(request)]
        if not same_origin(request):
            raise web.HTTPForbidden(text="cross-origin login refused")
        form = await form_of(request)
        login, password = str(form.get("login", "")).strip(), str(form.get("password", ""))
        address = client_address(request, self.proxies)
        if not self.limit.allow(f"name:{login.lower()}", f"address:{address}"):
            response = await self.login_page(request, t["slow"])
            response.set_status(429)
            return response
        user = self.settings.user(login) if LOGIN.match(login) else None
        # The directory is asked even for unknown names: the answer time does not tell who exists.
        verdict = await self.authenticator.check(login, password) if LOGIN.match(login) else None
        user = _with_group_role(user, login, verdict.roles) if verdict else None
        if user is None:
            log.info("console login refused")
            return await self.login_page(request, t["wrong"])
        session = self.sessions.create(user)
        log.info("console login: %s (%s)", user.login, user.role)
        await self.audit.add_or_warn(user.login, audit.CONSOLE_LOGIN, "", f"{request.scheme} {address}", role=user.role)
        response = web.HTTPSeeOther({ADMIN: "/team", COORDINATOR: "/manage"}.get(user.role, "/"))
        response.set_cookie(COOKIE, session.token, httponly=True, samesite="Strict",
                            secure=self.settings.secure_cookies, path="/")
        raise response

    async def logout(self, request: web.Request) -> web.Response:
        self.sessions.end(request[SESSION].token)
        response = web.HTTPSeeOther("/login")
        response.del_cookie(COOKIE, path="/")
        raise response

    def full_name(self, user: ConsoleUser) -> str:
        """The agent's name as colleagues know it (the YAML's agents), else the login."""
        agent = next((a for a in self.config.agents if user.extension and a.extension == user.extension), None)
        return agent.name if agent else user.login

    async def console_page(self, request: web.Request) -> web.Response:
        user = request[SESSION].user
        teams = [(team, words.team_name(self.config, team)) for team in self.settings.team_mailboxes]
        return self._page(request, "console/console.html", TEXTS[self._lang(request)]["title"],
                          name=self.full_name(user), extension=user.extension or "-", teams=teams,
                          own_team=user.team, zone=self.config.timezone, shortcuts=dict(SHORTCUTS),
                          topics=words.wrap_up_topics(self.config), may_pick=self.may_pick(user),
                          calendars=[(p.extension, p.name) for p in self.config.people if p.email]
                          if self.appointments else [])

    async def team_page(self, request: web.Request) -> web.Response:
        session = request[SESSION]
        lang = self._lang(request)
        now = self.clock()
        notes = [{"id": n.id, "name": n.name, "number": n.number, "question": n.question,
                  "for_whom": n.for_person or words.team_name(self.config, n.team),
                  "due": date_text(n.due_at.astimezone(self.config.zone), lang),
                  "status": n.status(now).value, "status_text": _STATUS[lang][n.status(now).value],
                  "created_by": n.created_by, "done_by": n.closed_by} for n in self._team_notes(session)]
        headers, rows, classes = reachability.grid(await asyncio.to_thread(self._reachability, session, lang), lang)
        reach = [list(zip(row, css)) for row, css in zip(rows, classes)]
        return self._page(request, "console/team.html", TEXTS[lang]["team"],
                          team=words.team_name(self.config, session.user.team),
                          heads=_TEAM_HEADS[lang], notes=notes, done=_DONE[lang], reach_heads=headers, reach=reach,
                          reach_title=_REACH[lang]["title"].format(days=REACH_DAYS), reach_text=_REACH[lang]["text"],
                          reasons=self.config.callbacks.close_reasons)

    def _reachability(self, session: Session, lang: str) -> list[PersonReach]:
        """The colleagues of the team lead's department (everyone for the front office's leads and
        administrators): when they took their direct calls this past week, by hour of the day."""
        if self.calls is None:
            return []
        now = self.clock()
        hours = Hours()
        for row in self.calls((now - dt.timedelta(days=REACH_DAYS)).timestamp(), now.timestamp()):
            hours.add(row, row.person)
        department = next((d for d in self.config.departments if d.id == session.user.team), None)
        people = [p for p in self.config.people if session.user.role == ADMIN or department is None
                  or p.extension in department.members]
        names = {p.extension: p.name for p in people}
        departments = {p.extension: d.name for p in people if (d := self.config.department_of(p.extension))}
        return hours.people(names, departments, lang, only_named=True)

    async def team_done(self, request: web.Request) -> web.Response:
        await self.callback_done(request)
        raise web.HTTPSeeOther("/team")

    async def webhooks_page(self, request: web.Request) -> web.Response:
        """The administrator's view of the outbox (webhooks, contact registration): what waits per receiver,
        and the dead letters."""
        lang = self._lang(request)
        outbox = self.couriers[0].outbox if self.couriers else None  # one outbox, shared
        waiting = outbox.waiting() if outbox else {}
        receivers = [{"name": name, "url": url, "waiting": waiting.get(name, 0)}
                     for courier in self.couriers for name, url in courier.destinations().items()]
        letters = [{"id": d.id, "receiver": d.receiver, "type": d.type, "call": d.call_id, "attempts": d.attempts,
                    "error": d.error,
                    "made": date_text(dt.datetime.fromtimestamp(d.created_at, self.config.zone), lang)}
                   for d in (outbox.dead_letters() if outbox else [])]
        return self._page(request, "console/webhooks.html", WEBHOOK_TEXTS[lang]["title"], w=WEBHOOK_TEXTS[lang],
                          receivers=receivers, letters=letters)

    async def webhook_again(self, request: web.Request) -> web.Response:
        try:
            delivery = int(request.match_info["id"])
        except ValueError:
            raise web.HTTPNotFound() from None
        receiver = self.couriers[0].outbox.send_again(delivery, self.clock().timestamp()) if self.couriers else None
        if receiver is None:
            raise web.HTTPNotFound(text="no such dead letter")
        for courier in self.couriers:
            courier.wake(receiver)
        await self.audit.add_or_warn(request[SESSION].user.login, audit.WEBHOOK_SENT_AGAIN, str(delivery))
        raise web.HTTPSeeOther("/webhooks")

    def _team_notes(self, session: Session) -> list[Note]:
        if session.user.role == ADMIN:
            return [n for team in {u.team for u in self.settings.users} for n in self.store.of_team(team)]
        return self.store.of_team(session.user.team)

    # --- the agent's state and the screen-pop -------------------------------------------------

    def _extension(self, session: Session) -> str:
        extension = session.user.extension
        if not extension or extension not in self.desk.positions:
            raise web.HTTPConflict(text="you have no position")
        return extension

    async def me(self, request: web.Request) -> web.Response:
        session = request[SESSION]
        # The CSRF token is readable by same-origin script only (no CORS), which is the point.
        body = {"login": session.user.login, "role": session.user.role, "team": session.user.team,
                "extension": session.user.extension, "csrf": session.csrf}
        if session.user.extension in self.desk.positions:
            try:
                body["position"] = await self.desk.member_state(session.user.extension)
            except AmiError as problem:
                body["position_error"] = str(problem)
        return web.json_response(body)

    async def position(self, request: web.Request) -> web.Response:
        extension = self._extension(request[SESSION])
        action = request.match_info["action"]
        reason = ""
        if action == "pause":
            reason = re.sub(r"[^\w .-]", "", str((await json_object(request)).get("reason", "pauze")))[:40] or "pauze"
        changes = {"login": (False, ""), "logout": (True, LOGGED_OUT), "pause": (True, reason),
                   "resume": (False, "")}
        if action not in changes:
            raise web.HTTPNotFound()
        try:
            await self.desk.set_paused(extension, *changes[action])
            return web.json_response(await self.desk.member_state(extension))
        except AmiError as problem:
            raise web.HTTPBadGateway(text=str(problem)) from None

    async def stream(self, request: web.Request) -> web.WebSocketResponse:
        session = request[SESSION]
        extension = self._extension(session)
        socket = web.WebSocketResponse(heartbeat=30)
        await socket.prepare(request)
        news = self.desk.listen(extension)
        sender = asyncio.ensure_future(_forward(news, socket))
        self._sockets.add(socket)
        try:
            async for message in socket:
                if message.type != WSMsgType.TEXT:
                    break
                # The socket only listens: every action is a POST with its CSRF token and role check.
                kind = _message_type(message.data)
                if kind == "ping":
                    await socket.send_json({"type": "pong"})
                else:
                    await socket.send_json({"type": "error", "error": "not allowed on this socket"})
        finally:
            self._sockets.discard(socket)
            sender.cancel()
            self.desk.leave(extension, news)
        return socket

    # --- transfer and recording ---------------------------------------------------------------

    async def transfer(self, request: web.Request) -> web.Response:
        extension = self._extension(request[SESSION])
        target = str((await json_object(request)).get("target", ""))
        return _step_json(self.desk.start_transfer(extension, target))

    async def transfer_action(self, request: web.Request) -> web.Response:
        extension = self._extension(request[SESSION])
        action = request.match_info["action"]
        if action == "complete":
            return _step_json(self.desk.complete_transfer(extension))
        if action == "cancel":
            return _step_json(self.desk.cancel_transfer(extension))
        raise web.HTTPNotFound()

    async def answer(self, request: web.Request) -> web.Response:
        extension = self._extension(request[SESSION])
        try:
            result = await self.desk.answer(extension)
        except AmiError as problem:
            raise web.HTTPBadGateway(text=str(problem)) from None
        return web.json_response(result, status=200 if result["answering"] else 409)

    async def hang_up(self, request: web.Request) -> web.Response:
        """Only the agent's own call: the position is the session's, nothing in the request names a channel."""
        extension = self._extension(request[SESSION])
        try:
            result = await self.desk.hang_up(extension)
        except AmiError as problem:
            raise web.HTTPBadGateway(text=str(problem)) from None
        return web.json_response(result, status=200 if result["hung_up"] else 409)

    async def wrap_up(self, request: web.Request) -> web.Response:
        """Two clicks after a call: the topic, then whether the caller was helped at once. Whether a call-back
        note was made the desk knows itself (Desk.note_made)."""
        user = request[SESSION].user
        extension = self._extension(request[SESSION])
        body = await json_object(request)
        finished = self.desk.finished(extension, str(body.get("call", "")))
        if finished is None:
            raise web.HTTPNotFound(text="no such call at your position today")
        topic, resolved = str(body.get("topic", "")), body.get("resolved")
        if topic not in words.wrap_up_topics(self.config) or not isinstance(resolved, bool):
            raise web.HTTPBadRequest(text="a topic from the list and resolved: true or false are needed")
        detail = {"topic": topic, "resolved": "yes" if resolved else "no",
                  "callback_note": "yes" if finished.callback_note else "no",
                  "agent": self.full_name(user), "login": user.login,
                  "seconds": round(max(0.0, self.desk.now() - finished.ended_at))}
        self.desk.wrap_up(extension, finished, detail)
        return web.json_response(finished.as_dict())

    def may_pick(self, user: ConsoleUser) -> bool:
        return user.may_pick if user.may_pick is not None else user.role in LEADS

    async def waiting(self, request: web.Request) -> web.Response:
        self._extension(request[SESSION])
        return web.json_response({"callers": self.desk.waiting_callers(),
                                  "may_pick": self.may_pick(request[SESSION].user)})

    async def pick(self, request: web.Request) -> web.Response:
        user = request[SESSION].user
        extension = self._extension(request[SESSION])
        if not self.may_pick(user):
            raise web.HTTPForbidden(text="taking callers from the list is for team leads (console.users[].may_pick)")
        try:
            result = await self.desk.pick(extension, request.match_info["id"])
        except AmiError as problem:
            raise web.HTTPBadGateway(text=str(problem)) from None
        return web.json_response(result, status=200 if result["picked"] else 409)

    async def history(self, request: web.Request) -> web.Response:
        extension = self._extension(request[SESSION])
        midnight = self.clock().replace(hour=0, minute=0, second=0, microsecond=0)
        calls = await self.desk.today(extension, midnight.timestamp())
        resolved = [c for c in calls if c["wrap_up"]]
        return web.json_response({"calls": calls, "wrapped_up": len(resolved),
                                  "resolved": sum(c["wrap_up"]["resolved"] == "yes" for c in resolved)})

    async def record(self, request: web.Request) -> web.Response:
        session = request[SESSION]
        self._extension(session)
        try:
            return web.json_response(await self.desk.toggle_recording(session.user))
        except AmiError as problem:
            raise web.HTTPBadGateway(text=str(problem)) from None

    async def list_recordings(self, request: web.Request) -> web.Response:
        shared = await asyncio.to_thread(self._shared_recordings)
        found = await asyncio.to_thread(recordings.listing, self.recordings_dir, self.settings,
                                        request[SESSION].user, shared)
        return web.json_response({"recordings": [
            {"login": r.login, "name": r.name, "size": r.size, "started": r.started.isoformat(),
             "url": f"/api/recordings/{r.login}/{r.name}"} for r in found]})

    async def play_recording(self, request: web.Request) -> web.StreamResponse:
        login, name = request.match_info["login"], request.match_info["name"]
        path = recordings.path_for(self.recordings_dir, self.settings, request[SESSION].user, login, name)
        data = None
        if path is None and self.shared_recordings is not None \
                and recordings.audible(self.settings, request[SESSION].user, login, name) is not None:
            data = await asyncio.to_thread(self.shared_recordings.recording, name)  # made on another node
        if path is None and data is None:
            # The same answer for "not yours" and "not there": nothing to learn by probing.
            raise web.HTTPNotFound()
        # Played and downloaded are one request: the browser's player fetches the file.
        await self.audit.add(request[SESSION].user.login, audit.RECORDING_PLAYED, login,
                             f"http {request.remote}", recording=name)
        headers = {"Content-Type": "audio/wav", "Cache-Control": "private, no-store"}
        return web.FileResponse(path, headers=headers) if path else web.Response(body=data, headers=headers)

    def _shared_recordings(self) -> list[tuple[str, int]]:
        if self.shared_recordings is None:
            return []
        try:
            return [(name, size) for name, _, size in self.shared_recordings.recordings()]
        except Exception as error:  # the store away: this node's own recordings are still listed
            log.warning("could not list the other nodes' recordings: %s", error)
            return []

    async def audit_entries(self, request: web.Request) -> web.Response:
        try:
            days = min(max(int(request.query.get("days", "30")), 1), 3650)
        except ValueError:
            raise web.HTTPBadRequest(text="days is a whole number") from None
        since = self.audit.now() - days * 86400
        entries = await asyncio.to_thread(self.audit.entries, since)
        return web.json_response({"entries": [e.as_dict(self.config.zone) for e in entries]})

    # --- call-back notes ------------------------------------------------------------------------

    async def list_callbacks(self, request: web.Request) -> web.Response:
        """?view=mine: the notes one owns (one's extension) or took; ?view=team: the team's, for everyone in
        it (back office too), not only its lead. Without a view: a team lead's team, anyone else's own."""
        session = request[SESSION]
        now = self.clock()
        view = request.query.get("view") or ("team" if session.user.role in LEADS else "mine")
        if view == "team":
            notes = await asyncio.to_thread(self._team_notes, session)
        else:
            notes = await asyncio.to_thread(self._my_notes, session)
        return web.json_response({"callbacks": [_note_json(n, now, self.config) for n in notes],
                                  "reasons": self.config.callbacks.close_reasons})

    def _my_notes(self, session: Session) -> list[Note]:
        owned = self.store.owned_by(session.user.extension) if session.user.extension else []
        found = {n.id: n for n in [*owned, *self.store.by_creator(session.user.login)]}
        return sorted(found.values(), key=lambda n: (n.closed, n.due_at))

    def _note_of(self, request: web.Request) -> Note:
        """The note in the path, when this user may see it: theirs, their team's, or any for an administrator."""
        session = request[SESSION]
        try:
            note = self.store.get(int(request.match_info["id"]))
        except ValueError:
            raise web.HTTPNotFound() from None
        extension = session.user.extension
        allowed = note is not None and (note.team == session.user.team or session.user.role == ADMIN
                                         or note.created_by == session.user.login
                                         or bool(extension) and note.owner == extension)
        if not allowed:
            raise web.HTTPNotFound()
        return note

    async def callback_detail(self, request: web.Request) -> web.Response:
        """A note with every step (taken, mailed, attempts, reminders, moves, closed) and every attempt."""
        note = await asyncio.to_thread(self._note_of, request)
        steps = await asyncio.to_thread(self.store.steps, note.id)
        attempts = await asyncio.to_thread(self.store.attempts, note.id)
        zone = self.config.zone
        return web.json_response({
            **_note_json(note, self.clock(), self.config, attempts),
            "steps": [{"at": s.at.astimezone(zone).isoformat(), "what": s.what, "actor": s.actor, "detail": s.detail}
                      for s in steps],
            "attempts": [{"by": a.actor, "rang_first": a.target, "at": a.started_at.astimezone(zone).isoformat(),
                          "outcome": a.outcome, "talk_seconds": a.talk_seconds} for a in attempts]})

    async def callback_dial(self, request: web.Request) -> web.Response:
        """One button: bereik rings the user's own phone, then the caller (202: ringing; 409: why not)."""
        session = request[SESSION]
        note = await asyncio.to_thread(self._note_of, request)
        try:
            attempt = await self.note_caller.dial(note.id, session.user.login, session.user.extension or "")
        except DialRefused as refusal:
            return web.json_response({"refused": str(refusal)}, status=409)
        return web.json_response({"attempt": attempt.id, "ringing": attempt.target}, status=202)

    # --- call-back appointments (belafspraak) ---------------------------------------------------

    def _calendar_of(self, extension: str) -> str:
        if self.appointments is None:
            raise web.HTTPConflict(text="bereik leest geen agenda's (presence.graph ontbreekt); maak een terugbelnotitie")
        person = self.config.person(extension)
        if person is None or not person.email:
            raise web.HTTPConflict(text="van deze collega is geen agenda bekend; maak een terugbelnotitie")
        return person.email

    async def appointment_slots(self, request: web.Request) -> web.Response:
        """?person=<extension>: free times in the colleague's Outlook calendar to offer the caller."""
        mailbox = self._calendar_of(request.query.get("person", ""))
        try:
            slots = await self.appointments.offer(mailbox, self.clock())
        except SlotRefused as refusal:
            return web.json_response({"refused": str(refusal)}, status=409)
        zone, lang = self.config.zone, self._lang(request)
        return web.json_response({"slots": [{"at": s.isoformat(), "text": date_text(s.astimezone(zone), lang)}
                                            for s in slots]})

    async def book_appointment(self, request: web.Request) -> web.Response:
        """{person, at, number, name, question, key}: the event in the colleague's calendar and the note."""
        session = request[SESSION]
        body = await json_object(request)
        person = str(body.get("person", ""))
        mailbox = self._calendar_of(person)
        number = re.sub(r"[^0-9+]", "", str(body.get("number", "")))[:20]
        question = str(body.get("question", "")).strip()[:2000]
        key = str(body.get("key", ""))
        try:
            at = dt.datetime.fromisoformat(str(body.get("at", "")))
        except ValueError:
            at = None
        if not number or not question or at is None or at.tzinfo is None or not re.fullmatch(r"[A-Za-z0-9-]{8,64}", key):
            raise web.HTTPBadRequest(text="person, at (ISO time with zone), number, question and a key are needed")
        department = _department_of(self.config, "", person)
        now = self.clock()
        note = Note(key=f"appointment-{key}", number=number, name=" ".join(str(body.get("name", "")).split())[:120],
                    question=question, team=department or session.user.team,
                    for_person=self.config.person(person).name, created_at=now, due_at=at, created_by="",
                    mailbox=self.settings.team_mailboxes.get(department or session.user.team, ""),
                    department=department)
        try:
            booked = await self.appointments.book(mailbox, at, note, owner=person, by=session.user.login)
        except SlotRefused as refusal:
            return web.json_response({"refused": str(refusal)}, status=409)
        return web.json_response({**_note_json(booked, now, self.config),
                                  "at": date_text(at.astimezone(self.config.zone), self._lang(request))}, status=201)

    async def callback_close(self, request: web.Request) -> web.Response:
        """Close a note without a call-back: {"outcome": "handled", "reason": one of callbacks.close_reasons}
        or {"outcome": "not_reached"} after enough unanswered attempts (409 with the rule otherwise)."""
        session = request[SESSION]
        note = await asyncio.to_thread(self._note_of, request)
        body = await json_object(request)
        outcome = str(body.get("outcome", ""))
        reason = " ".join(str(body.get("reason", "")).split())[:200]
        attempts = await asyncio.to_thread(self.store.attempts, note.id)
        refusal = why_not_closable(note, outcome, reason, attempts, self.config.callbacks)
        if refusal:
            return web.json_response({"refused": refusal}, status=409)
        closed = await asyncio.to_thread(self.store.close_note, note.id, outcome, session.user.login, self.clock(),
                                         reason if outcome == HANDLED else "niet bereikt")
        return web.json_response(_note_json(closed, self.clock(), self.config, attempts))

    async def add_callback(self, request: web.Request) -> web.Response:
        session = request[SESSION]
        body = await json_object(request)
        number = re.sub(r"[^0-9+]", "", str(body.get("number", "")))[:20]
        question = str(body.get("question", "")).strip()[:2000]
        key = str(body.get("key", ""))
        team = str(body.get("team", "")) or session.user.team
        if not number or not question or not re.fullmatch(r"[A-Za-z0-9-]{8,64}", key):
            raise web.HTTPBadRequest(text="number, question and a key (8-64 letters, digits, -) are needed")
        mailbox = self.settings.team_mailboxes.get(team)
        if mailbox is None:
            raise web.HTTPBadRequest(text="unknown team")
        now = self.clock()
        for_person = " ".join(str(body.get("for_person", "")).split())[:120]
        owner = _person_named(self.config, for_person)
        note, new = self.store.add(Note(
            key=f"console-{key}", number=number, name=" ".join(str(body.get("name", "")).split())[:120],
            question=question, team=team, for_person=for_person, owner=owner, mailbox=mailbox,
            department=_department_of(self.config, team, owner), created_at=now,
            due_at=self.days.deadline(now, self.settings.callback_working_days), created_by=session.user.login))
        if new:
            log.info("call-back note %s for %s to team %s", note.id, mask_number(number), team)
            if session.user.extension:
                self.desk.note_made(session.user.extension, number)
            if await self.mailer.send(note):
                self.store.mark_mailed(note.id, self.clock())
                note = self.store.get(note.id)
        return web.json_response(_note_json(note, now, self.config), status=201 if new else 200)

    async def callback_done(self, request: web.Request) -> web.Response:
        """The team page's form: closed as handled, with one of the YAML's reasons (never without one)."""
        session = request[SESSION]
        note = self._note_of(request)
        if request.content_type == "application/json":
            given = (await json_object(request)).get("reason", "")
        else:
            given = (await request.post()).get("reason", "")
        reason = " ".join(str(given).split())[:200]
        refusal = why_not_closable(note, HANDLED, reason, [], self.config.callbacks)
        if refusal:
            raise web.HTTPConflict(text=refusal)
        done = self.store.close_note(note.id, HANDLED, session.user.login, self.clock(), reason)
        return web.json_response(_note_json(done, self.clock(), self.config))


_DONE = {"nl": "Afgehandeld", "en": "Done"}
REACH_DAYS = 7
_REACH = {
    "nl": {"title": "Bereikbaarheid per collega per uur (afgelopen {days} dagen)",
           "text": "Per uur: opgenomen van de rechtstreekse gesprekken die de collega kon opnemen. 'afgemeld': "
                   "afwezig, doorgeschakeld of niet storen."},
    "en": {"title": "Reachability per colleague by hour (past {days} days)",
           "text": "By hour: direct calls answered, of those the colleague could answer. 'away': absent, "
                   "forwarded or do-not-disturb."},
}
_STATUS = {"nl": {"open": "open", "done": "teruggebeld", "late": "te laat", "handled": "afgehandeld",
                  "not_reached": "niet bereikt"},
           "en": {"open": "open", "done": "called back", "late": "late", "handled": "handled",
                  "not_reached": "not reached"}}
_TEAM_HEADS = {"nl": ["Naam", "Nummer", "Vraag", "Voor", "Uiterlijk", "Status", "Genoteerd door", "Afgehandeld door"],
               "en": ["Name", "Number", "Question", "For", "Due", "Status", "Taken by", "Handled by"]}


def _with_group_role(user: ConsoleUser | None, login: str, roles: frozenset[str]) -> ConsoleUser | None:
    """The higher of the YAML's role and the directory groups' roles; a group member needs no YAML entry."""
    best = max(roles, key=ROLE_ORDER.index, default=None)
    if user is None:
        return ConsoleUser(login=login, role=best) if best else None
    if best and ROLE_ORDER.index(best) > ROLE_ORDER.index(user.role):
        return user.model_copy(update={"role": best})
    return user


def _person_named(config: Config, name: str) -> str:
    """The extension of the colleague a note names (by name or extension); "" for anyone in the team."""
    wanted = name.casefold()
    return next((p.extension for p in config.people if wanted and wanted in (p.name.casefold(), p.extension)), "")


def _department_of(config: Config, team: str, owner: str) -> str:
    """The department whose number the caller sees when called back: the team's, else the owner's."""
    if any(d.id == team for d in config.departments):
        return team
    return next((d.id for d in config.departments if owner and owner in d.members), "")


def _note_json(note: Note, now: dt.datetime, config: Config, attempts=None) -> dict:
    # Local time, as the agent reads it (the store keeps UTC).
    found = {"id": note.id, "number": note.number, "name": note.name, "question": note.question, "team": note.team,
             "team_name": words.team_name(config, note.team), "kind": note.kind, "owner": note.owner,
             "for_person": note.for_person, "due": note.due_at.astimezone(now.tzinfo).isoformat(), "status": note.status(now).value,
             "created_by": note.created_by, "done_by": note.closed_by, "outcome": note.outcome,
             "reason": note.close_reason, "mailed": note.mailed_at is not None,
             "reminded": note.reminded_at is not None, "escalated": note.escalated_at is not None}
    if attempts is not None:
        found["unanswered_attempts"] = unanswered_attempts_apart(attempts, config.callbacks)
    return found


def _step_json(step) -> web.Response:
    transfer = step.state.transfer
    return web.json_response({"state": step.state.name, "refused": step.refused,
                              "outcome": transfer.outcome.value if transfer and transfer.outcome else None},
                             status=409 if step.refused else 200)


def _message_type(data: str) -> str:
    try:
        message = json.loads(data)
    except (ValueError, RecursionError):  # not JSON, or nested beyond the parser's depth
        return ""
    return str(message.get("type", "")) if isinstance(message, dict) else ""


async def _forward(news: asyncio.Queue, socket: web.WebSocketResponse) -> None:
    while True:
        message = await news.get()
        await socket.send_json(message)
