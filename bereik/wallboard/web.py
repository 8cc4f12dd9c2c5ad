"""The wallboard page, its WebSocket and /metrics, as aiohttp routes.

`wallboard_routes` is what the console mounts behind its login; `bereik run`
serves the same routes on a loopback port (`WebServer`), and its `middlewares`
argument is where the console's login middleware goes.
"""
from __future__ import annotations

import asyncio
import html
import json
import logging
from collections.abc import Callable, Iterable, Sequence

from aiohttp import WSMsgType, web

log = logging.getLogger(__name__)

Snapshot = Callable[[], dict]

_WORDS = {
    "nl": {
        "title": "Wallboard klantcontactcentrum", "waiting": "Wachtende bellers", "longest": "Langste wachttijd",
        "service_level": "Servicelevel vandaag", "within": "opgenomen binnen {norm} s",
        "occupancy": "Bezetting", "talk": "Gem. gesprekstijd", "wrapup": "Gem. nawerktijd",
        "callbacks": "Terugbelverzoeken", "open": "open", "late": "te laat", "agents": "Medewerkers",
        "agent": "Medewerker", "state": "Status", "since": "Sinds", "no_data": "geen gegevens",
        "answered": "opgenomen", "abandoned": "opgehangen", "updated": "Bijgewerkt om",
        "disconnected": "Geen verbinding met de server; opnieuw verbinden…",
        "pbx_down": "Geen verbinding met de telefooncentrale: de cijfers staan stil.",
        "announce": "{waiting} wachtende bellers, langste wachttijd {longest}.",
        "by_server": "Per server:",
        "states": {"free": "vrij", "talking": "in gesprek", "ringing": "gaat over", "wrapup": "nawerk",
                   "paused": "pauze", "away": "afgemeld"},
    },
    "en": {
        "title": "Front-office wallboard", "waiting": "Callers waiting", "longest": "Longest wait",
        "service_level": "Service level today", "within": "answered within {norm} s",
        "occupancy": "Occupancy", "talk": "Avg. talk time", "wrapup": "Avg. wrap-up time",
        "callbacks": "Call-back requests", "open": "open", "late": "late", "agents": "Agents",
        "agent": "Agent", "state": "State", "since": "For", "no_data": "no data",
        "answered": "answered", "abandoned": "abandoned", "updated": "Updated at",
        "disconnected": "No connection to the server; reconnecting…",
        "pbx_down": "No connection to the PBX: the figures are frozen.",
        "announce": "{waiting} callers waiting, longest wait {longest}.",
        "by_server": "By server:",
        "states": {"free": "free", "talking": "talking", "ringing": "ringing", "wrapup": "wrap-up",
                   "paused": "paused", "away": "logged off"},
    },
}

# Colours on #000 all have a contrast ratio above 7:1 (WCAG AAA for large text, AA for all).
_STYLE = """
:root { color-scheme: dark; }
body { margin: 0; background: #000; color: #fff; font-family: system-ui, sans-serif; font-size: 1.6rem; }
main { padding: 1.5rem 2rem; }
h1 { font-size: 2rem; margin: 0 0 1rem; }
.tiles { display: grid; grid-template-columns: repeat(auto-fit, minmax(16rem, 1fr)); gap: 1.2rem; margin: 0; }
.tile { border: 3px solid #fff; border-radius: .6rem; padding: 1rem 1.2rem; }
.tile dt { font-size: 1.5rem; }
.tile dd { margin: 0; font-size: 4.5rem; font-weight: 700; font-variant-numeric: tabular-nums; line-height: 1.1; }
.tile dd small { display: block; font-size: 1.3rem; font-weight: 400; }
.alert dd { color: #ffd966; }
table { border-collapse: collapse; margin-top: 1.5rem; width: 100%; font-size: 1.6rem; }
th, td { text-align: left; padding: .4rem .8rem; border-bottom: 2px solid #bbb; }
.state-free { color: #7cff9b; } .state-talking, .state-ringing { color: #ffd966; }
.status { min-height: 2rem; color: #ffd966; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
footer { margin-top: 1rem; font-size: 1.2rem; }
"""

_SCRIPT = """
const words = JSON.parse(document.getElementById('words').textContent);
const $ = (id) => document.getElementById(id);
const pct = (v) => v === null || v === undefined ? words.no_data : Math.round(v * 100) + '%';
const mmss = (s) => s === null || s === undefined ? words.no_data
  : Math.floor(s / 60) + ':' + String(Math.round(s % 60)).padStart(2, '0');
let lastAnnounced = '';
function show(state) {
  $('waiting').textContent = state.waiting;
  $('longest').textContent = mmss(state.longest_wait);
  $('service-level').textContent = pct(state.service_level);
  $('service-level-note').textContent = words.within.replace('{norm}', state.answer_seconds)
    + ' (' + state.answered + ' ' + words.answered + ', ' + state.abandoned + ' ' + words.abandoned + ')';
  $('occupancy').textContent = pct(state.occupancy);
  $('talk').textContent = mmss(state.average_talk);
  $('wrapup').textContent = mmss(state.average_wrapup);
  $('callbacks').textContent = state.callbacks ? state.callbacks.open + ' ' + words.open : words.no_data;
  $('callbacks-late').textContent = state.callbacks ? state.callbacks.late + ' ' + words.late : '';
  $('waiting-tile').classList.toggle('alert', state.waiting > 0);
  // Several servers (pbx.servers): which one the callers wait on, in words.
  const servers = state.servers || [];
  $('waiting-servers').textContent = servers.length > 1
    ? words.by_server + ' ' + servers.map((s) => s.name + ' ' + s.waiting).join(', ') : '';
  const rows = state.agent_list.map((a) => {
    const tr = document.createElement('tr');
    const name = document.createElement('th'); name.scope = 'row'; name.textContent = a.name;
    const st = document.createElement('td'); st.textContent = words.states[a.state] || a.state;
    st.className = 'state-' + a.state;
    const since = document.createElement('td'); since.textContent = mmss(a.seconds);
    tr.append(name, st, since); return tr;
  });
  $('agents').replaceChildren(...rows);
  $('updated').textContent = state.at;
  $('status').textContent = state.ami_connected === false ? words.pbx_down : '';
  const sentence = words.announce.replace('{waiting}', state.waiting).replace('{longest}', mmss(state.longest_wait));
  // Announce only when the number of waiting callers changes, not every second.
  if (String(state.waiting) !== lastAnnounced) { $('announce').textContent = sentence; lastAnnounced = String(state.waiting); }
}
function connect() {
  const url = new URL('ws', location.href.endsWith('/') ? location.href : location.href + '/');
  url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const socket = new WebSocket(url);
  socket.onopen = () => { $('status').textContent = ''; };
  socket.onmessage = (message) => show(JSON.parse(message.data));
  socket.onclose = () => { $('status').textContent = words.disconnected; setTimeout(connect, 2000); };
}
connect();
"""


def _page(language: str) -> str:
    w = _WORDS[language]
    e = html.escape

    def tile(key: str, value_id: str, note_id: str = "", extra: str = "") -> str:
        note = f'<small id="{note_id}"></small>' if note_id else ""
        return f'<div class="tile"{extra}><dt>{e(w[key])}</dt><dd><span id="{value_id}">–</span>{note}</dd></div>'

    words_json = json.dumps({k: v for k, v in w.items()}, ensure_ascii=False).replace("</", "<\\/")
    return "\n".join([
        f'<!doctype html><html lang="{language}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(w['title'])}</title><style>{_STYLE}</style></head><body><main>",
        f"<h1>{e(w['title'])}</h1>",
        '<p id="status" class="status" role="status"></p>',
        '<p id="announce" class="visually-hidden" aria-live="polite" aria-atomic="true"></p>',
        '<dl class="tiles">',
        tile("waiting", "waiting", "waiting-servers", extra=' id="waiting-tile"'),
        tile("longest", "longest"),
        tile("service_level", "service-level", "service-level-note"),
        tile("occupancy", "occupancy"),
        tile("talk", "talk"),
        tile("wrapup", "wrapup"),
        tile("callbacks", "callbacks", "callbacks-late"),
        "</dl>",
        f"<table><caption class=\"visually-hidden\">{e(w['agents'])}</caption><thead><tr>"
        f"<th scope=\"col\">{e(w['agent'])}</th><th scope=\"col\">{e(w['state'])}</th>"
        f"<th scope=\"col\">{e(w['since'])}</th></tr></thead><tbody id=\"agents\"></tbody></table>",
        f"<footer>{e(w['updated'])} <span id=\"updated\">–</span></footer>",
        f'</main><script id="words" type="application/json">{words_json}</script>',
        f"<script>{_SCRIPT}</script></body></html>",
    ])


class Hub:
    """Wakes every open wallboard when the floor changes; they also refresh every second."""

    def __init__(self) -> None:
        self._listeners: set[asyncio.Queue] = set()

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


def wallboard_routes(snapshot: Snapshot, hub: Hub, *, language: str = "nl", prefix: str = "/wallboard",
                     refresh_seconds: float = 1.0) -> list[web.RouteDef]:
    """GET {prefix}/ (the page), {prefix}/ws (live updates), {prefix}/state (one snapshot as JSON)."""
    page = _page(language)

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
            reader.cancel()
        return socket

    return [
        web.get(prefix, redirect),
        web.get(prefix + "/", show_page),
        web.get(prefix + "/ws", live),
        web.get(prefix + "/state", state),
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
                 middlewares: Sequence[Callable] = ()):
        self.app = web.Application(middlewares=list(middlewares))
        self.app.add_routes(list(routes))
        self.host, self.port = host, port
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]  # the real port when 0 was asked

    async def close(self) -> None:
        if self._runner:
            await self._runner.cleanup()
            self._runner = None
