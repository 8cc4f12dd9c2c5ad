"""The HTTP API for absence forwarding; the console mounts these routes behind its login.

    GET    /forwarding               every forward, in force or planned
    PUT    /forwarding/{extension}   {"to": "302" | "mobile" | "substitute", "from"?, "until"?, "set_by"}
    DELETE /forwarding/{extension}
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from aiohttp import web

from bereik import audit
from bereik.audit import AuditLog
from bereik.forwarding.store import ForwardingError, ForwardingStore
from bereik.presence.http import USER

Clock = Callable[[], dt.datetime]


def forwarding_routes(store: ForwardingStore, clock: Clock, log: AuditLog, prefix: str = "/forwarding",
                      changed: Callable[[str], None] = lambda extension: None) -> list[web.RouteDef]:
    """Every change is written to the audit log: by the console's logged-in user when mounted behind
    its login, else by the `set_by` the caller gives, from the request's address. `changed(extension)`
    after every change: the busy lamps and the consoles follow at once."""

    def actor(request: web.Request) -> str:
        return request.get(USER) or "http"

    async def listed(request: web.Request) -> web.Response:
        now = clock()
        return web.json_response([{**f.as_dict(), "in_force": f.in_force(now)} for f in store.all()])

    async def put(request: web.Request) -> web.Response:
        try:
            body = await request.json()
            # Behind the console's login the logged-in person set it, whatever the body says.
            who = request.get(USER) or (body.get("set_by") if isinstance(body, dict) else None)
            if not isinstance(body, dict) or not isinstance(body.get("to"), str) or not isinstance(who, str) or not who:
                raise ForwardingError('send {"to": "<extension>|mobile|substitute", "set_by": "<who>"}')
            starts = _moment(body.get("from")) or clock()
            forward = store.set(request.match_info["extension"], body["to"], starts=starts,
                                ends=_moment(body.get("until")), set_by=who)
        except (ForwardingError, ValueError, RecursionError) as error:  # RecursionError: JSON nested too deep
            return web.json_response({"error": str(error)}, status=422)
        await log.add(who, audit.FORWARD_SET, forward.person, f"http {request.remote}",
                      to=forward.target, until=forward.ends.isoformat() if forward.ends else "cleared")
        changed(forward.person)
        return web.json_response(forward.as_dict())

    async def delete(request: web.Request) -> web.Response:
        if store.clear(request.match_info["extension"]):
            await log.add(actor(request), audit.FORWARD_CLEARED, request.match_info["extension"],
                          f"http {request.remote}")
            changed(request.match_info["extension"])
            return web.Response(status=204)
        return web.json_response({"error": "no forward for this extension"}, status=404)

    return [
        web.get(prefix, listed),
        web.put(prefix + "/{extension:[0-9]{2,8}}", put),
        web.delete(prefix + "/{extension:[0-9]{2,8}}", delete),
    ]


def _moment(value: object) -> dt.datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ForwardingError("times are ISO 8601 text, e.g. 2026-11-23T08:00+01:00")
    return dt.datetime.fromisoformat(value)
