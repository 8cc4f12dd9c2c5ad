"""The wallboard page, its WebSocket and /metrics, as aiohttp routes.

`wallboard_routes` is what the console mounts behind its login; `bereik run`
serves the same routes on a loopback port (`WebServer`), and its `middlewares`
argument is where the console's login middleware goes.
"""
from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import ssl
from collections.abc import Callable, Iterable, Sequence

from aiohttp import WSCloseCode, WSMsgType, web

from bereik import pages
from bereik.console.auth import security_headers

log = logging.getLogger(__name__)

Snapshot = Callable[[], dict]

_WORDS = {
    "nl": {
        "title": "Wallboard klantcontactcentrum", "waiting": "Wachtende bellers", "longest": "Langste wachttijd",
        "service_level": "Servicelevel vandaag", "within": "opgenomen binnen {norm} s",
        "occupancy": "Bezetting", "talk": "Gem. gesprekstijd", "wrapup": "Gem. nawerktijd",
        "callbacks": "Terugbelverzoeken", "open": "open", "late": "te laat",
        "on_time": "op tijd teruggebeld deze maand", "agents": "Medewerkers",
        "agent": "Medewerker", "state": "Status", "since": "Sinds", "no_data": "geen gegevens",
        "answered": "opgenomen", "abandoned": "opgehangen", "updated": "Bijgewerkt om",
        "put_through": "doorverbonden naar buiten",
        "disconnected": "Geen verbinding met de server; opnieuw verbinden…",
        "pbx_down": "Geen verbinding met de telefooncentrale: de cijfers staan stil.",
        "announce": "{waiting} wachtende bellers, langste wachttijd {longest}.",
        "by_server": "Per server:",
        "calamity": {"message": "Calamiteit tot {until}: bellers horen een melding vóór het keuzemenu.",
                     "closed": "Calamiteit tot {until}: de lijnen zijn gesloten."},
        "calamity_said": "Bellers horen:",
        "states": {"free": "vrij", "talking": "in gesprek", "ringing": "gaat over", "wrapup": "nawerk",
                   "paused": "pauze", "away": "afgemeld"},
    },
    "en": {
        "title": "Front-office wallboard", "waiting": "Callers waiting", "longest": "Longest wait",
        "service_level": "Service level today", "within": "answered within {norm} s",
        "occupancy": "Occupancy", "talk": "Avg. talk time", "wrapup": "Avg. wrap-up time",
        "callbacks": "Call-back requests", "open": "open", "late": "late",
        "on_time": "called back on time this month", "agents": "Agents",
        "agent": "Agent", "state": "State", "since": "For", "no_data": "no data",
        "answered": "answered", "abandoned": "abandoned", "updated": "Updated at",
        "put_through": "put through outside",
        "disconnected": "No connection to the server; reconnecting…",
        "pbx_down": "No connection to the PBX: the figures are frozen.",
        "announce": "{waiting} callers waiting, longest wait {longest}.",
        "by_server": "By server:",
        "calamity": {"message": "Calamity until {until}: callers hear a message before the menu.",
                     "closed": "Calamity until {until}: the lines are closed."},
        "calamity_said": "Callers hear:",
        "states": {"free": "free", "talking": "talking", "ringing": "ringing", "wrapup": "wrap-up",
                   "paused": "paused", "away": "logged off"},
    },
}

class Hub:
    """Wakes every open wallboard when the floor changes; they also refresh every second.

    It also knows the open sockets, so that stopping bereik closes them at once instead of
    waiting out aiohttp's 60 s shutdown for pages that would never go away by themselves.
    """

    def __init__(self) -> None:
        self._listeners: set[asyncio.Queue] = set()
        self.sockets: set[web.WebSocketResponse] = set()

    def notify(self) -> None:
        for listener in self._listeners:
            if listener.empty():
                listener.put_nowait(None)

    def listen(self) -> asyncio.Queue:
        listener: asyncio.Queue = asyncio.Queue(maxsize=1)
        self._listeners.add(listener)
        return listener

    def leave(self, listener: asyncio.Queue) -> None:
        self._listeners.discard(listener)

    async def close_sockets(self, app: web.Application | None = None) -> None:
        for socket in list(self.sockets):
            await socket.close(code=WSCloseCode.GOING_AWAY, message=b"bereik stops")


def wallboard_routes(snapshot: Snapshot, hub: Hub, *, language: str = "nl", prefix: str = "/wallboard",
                     refresh_seconds: float = 1.0) -> list[web.RouteDef]:
    """GET {prefix}/ (the page), {prefix}/ws (live updates), {prefix}/state (one snapshot as JSON),
    {prefix}/static/ (its stylesheet and script)."""
    page = pages.render("wallboard.html", lang=language, w=_WORDS[language])

    async def show_page(request: web.Request) -> web.Response:
        return web.Response(text=page, content_type="text/html", charset="utf-8",
                            headers={"Cache-Control": "no-store"})

    async def redirect(request: web.Request) -> web.Response:
        raise web.HTTPFound(prefix + "/")

    async def state(request: web.Request) -> web.Response:
        return web.json_response(snapshot())

    async def live(request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse(heartbeat=30)
        await socket.prepare(request)
        hub.sockets.add(socket)
        listener = hub.listen()
        reader = asyncio.ensure_future(_drain(socket))
        try:
            while not socket.closed and not reader.done():
                await socket.send_str(json.dumps(snapshot(), ensure_ascii=False))
                try:
                    await asyncio.wait_for(listener.get(), refresh_seconds)
                except TimeoutError:
                    pass
        except ConnectionError:
            pass
        finally:
            hub.leave(listener)
            hub.sockets.discard(socket)
            reader.cancel()
        return socket

    return [
        web.get(prefix, redirect),
        web.get(prefix + "/", show_page),
        web.get(prefix + "/ws", live),
        web.get(prefix + "/state", state),
        pages.static_route(prefix + "/static"),
    ]


async def _drain(socket: web.WebSocketResponse) -> None:
    # The page sends nothing; reading notices when it goes away.
    async for message in socket:
        if message.type == WSMsgType.ERROR:
            return


def metrics_routes(registry) -> list[web.RouteDef]:
    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

    async def metrics(request: web.Request) -> web.Response:
        response = web.Response(body=generate_latest(registry))
        response.headers["Content-Type"] = CONTENT_TYPE_LATEST
        return response

    return [web.get("/metrics", metrics)]


class WebServer:
    """The wallboard and /metrics on their own port; `middlewares` take the console's login."""

    def __init__(self, routes: Iterable[web.RouteDef], host: str, port: int,
                 middlewares: Sequence[Callable] = (), hub: Hub | None = None,
                 ssl_context: ssl.SSLContext | None = None, *, public: bool = False):
        """`ssl_context`: https, as the console's (its Secure session cookie travels over https only);
        `public`: routes meant for anyone (the website's live figure), served on any address without login."""
        # Security headers on every page, with or without the console's login (the public figure sets its own).
        self._own = [] if public else [security_headers(ssl_context is not None)]
        self.app = web.Application(middlewares=[*self._own, *middlewares])
        self.app.add_routes(list(routes))
        if hub:
            self.app.on_shutdown.append(hub.close_sockets)
        self.host, self.port = host, port
        self.ssl_context, self.public = ssl_context, public
        self._runner: web.AppRunner | None = None

    @property
    def scheme(self) -> str:
        return "https" if self.ssl_context else "http"

    async def start(self) -> None:
        behind_login = len(self.app.middlewares) > len(self._own)
        if not self.public and not behind_login and not ipaddress.ip_address(self.host).is_loopback:
            raise RuntimeError(f"the wallboard would be open to everyone on {self.host}: without the console's "
                               "login it listens on loopback only (wallboard.listen: 127.0.0.1:8080)")
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port, ssl_context=self.ssl_context)
        await site.start()
        self.port = self._runner.addresses[0][1]  # the real port when 0 was asked

    async def close(self) -> None:
        if self._runner:
            await self._runner.cleanup()
            self._runner = None
