"""The console's presence API, an aiohttp sub-application.

    GET    /directory?q=&department=&topic=&limit=&lang=   search, with presence
    GET    /directory/{id}                                 one person
    GET    /directory/{id}/photo                           the photo (image/jpeg)
    GET    /absences?person=&past=1                        registered absences
    POST   /absences                                       register one
    PUT    /absences/{id}                                  change one
    DELETE /absences/{id}                                  remove one
    GET    /presence/stream?lang=                          WebSocket: {"type": "presence", ...} per change

Login is the console's job: it mounts this app behind its authentication middleware,
`app.add_subapp("/api", presence_app(service, middlewares=[login]))`, and may put the
user's name in request[USER]; absences then record who registered them.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Iterable

from aiohttp import WSMsgType, web

from bereik.presence.directory import Person
from bereik.presence.merge import Absence, SourceStatus, View
from bereik.presence.service import RESYNC, PresenceService
from bereik.presence.vocabulary import describe, language

log = logging.getLogger(__name__)

SERVICE = web.AppKey("presence_service", PresenceService)
USER = web.RequestKey("user", str)  # set by the console's login middleware
MAX_LIMIT = 200
MAX_ROW_ID = 2**63 - 1  # SQLite's largest integer


async def json_object(request: web.Request) -> dict:
    """The request's JSON object body, or 400 with the reason (for every API that reads JSON)."""
    try:
        body = await request.json()
    except (ValueError, RecursionError):  # not JSON, not UTF-8, or nested beyond the parser's depth
        raise web.HTTPBadRequest(text="a JSON body is needed") from None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text="a JSON object is needed")
    return body


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _source(status: SourceStatus, now: dt.datetime) -> dict:
    return {"up": status.up, "last_ok": _iso(status.last_ok),
            "age_seconds": round((now - status.last_ok).total_seconds(), 1) if status.last_ok else None}


def presence_json(service: PresenceService, view: View, now: dt.datetime, lang: str) -> dict:
    substitute = None
    if view.substitute:
        # The absence book names substitutes by extension, the team lead's register by directory id.
        substitute = service.index.get(view.substitute) or service.with_extension(view.substitute)
    substitute_name = substitute.name if substitute else view.substitute
    absence = view.absence
    return {
        "status": view.status.value,
        "text": describe(view.status, now, view.until, substitute_name, lang, view.absence_known),
        "until": _iso(view.until),
        "source": view.source.value if view.source else None,
        "absence": None if absence is None else {
            "state": absence.state.value, "source": absence.source.value if absence.source else None,
            "since": _iso(absence.since), "until": _iso(absence.until),
            "claims": [{"source": c.source.value, "from": _iso(c.starts), "until": _iso(c.ends)} for c in absence.claims],
            "unknown": [s.value for s in absence.unknown]},
        "substitute": ({"id": substitute.id if substitute else None, "name": substitute_name}
                       if view.substitute else None),
        "facts": [{"source": f.source.value, "state": f.state, "known": f.known,
                   "age_seconds": f.age_seconds, "until": _iso(f.until)} for f in view.facts],
        "uncertain": [s.value for s in view.uncertain],
    }


def person_json(service: PresenceService, person: Person, view: View, now: dt.datetime, lang: str) -> dict:
    manager = service.index.manager_of(person)
    return {
        "id": person.id, "name": person.name, "department": person.department, "title": person.title,
        "extension": person.extension, "mobile": person.mobile, "email": person.email,
        "team_mailbox": person.team_mailbox, "topics": list(person.topics),
        "manager": {"id": manager.id, "name": manager.name} if manager else None,
        "photo": f"directory/{person.id}/photo" if person.photo else None,
        "presence": presence_json(service, view, now, lang),
    }


def absence_json(absence: Absence) -> dict:
    return {"id": absence.id, "person_id": absence.person_id, "starts": _iso(absence.starts),
            "ends": _iso(absence.ends), "reason": absence.reason, "substitute": absence.substitute,
            "registered_by": absence.registered_by}


def _sources(service: PresenceService, now: dt.datetime) -> dict:
    found = {"directory": _source(service.directory.status, now)}
    if service.outlook is not None:
        found["calendar"] = _source(service.outlook.status, now)
    return found


async def search(request: web.Request) -> web.Response:
    service = request.app[SERVICE]
    q = request.query
    lang = language(q.get("lang"))
    try:
        limit = min(max(int(q.get("limit", "50")), 1), MAX_LIMIT)
    except ValueError:
        raise web.HTTPBadRequest(text="limit is a number") from None
    now = service.clock()
    found = service.search(q.get("q", ""), q.get("department", ""), q.get("topic", ""), limit)
    return web.json_response({
        "people": [person_json(service, p, v, now, lang) for p, v in found],
        "sources": _sources(service, now),
    })


async def one_person(request: web.Request) -> web.Response:
    service = request.app[SERVICE]
    found = service.person(request.match_info["id"])
    if found is None:
        raise web.HTTPNotFound(text="no such person")
    now = service.clock()
    body = person_json(service, *found, now, language(request.query.get("lang")))
    body["absences"] = [absence_json(a) for a in service.absences.of(found[0].id) if a.ends > now]
    body["sources"] = _sources(service, now)
    return web.json_response(body)


async def photo(request: web.Request) -> web.Response:
    person = request.app[SERVICE].index.get(request.match_info["id"])
    if person is None or not person.photo:
        raise web.HTTPNotFound()
    return web.Response(body=person.photo, content_type="image/jpeg",
                        headers={"Cache-Control": "private, max-age=3600"})


def _moment(body: dict, key: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(str(body[key]))
    except (KeyError, ValueError):
        raise web.HTTPBadRequest(text=f"{key}: a date and time in ISO 8601 is needed") from None
    if moment.tzinfo is None:
        raise web.HTTPBadRequest(text=f"{key}: give a time zone offset, e.g. +01:00")
    try:
        moment.astimezone(dt.UTC)  # stored in UTC: the first and last hours of the calendar do not fit
    except OverflowError:
        raise web.HTTPBadRequest(text=f"{key}: a date between the years 1 and 9999 is needed") from None
    return moment


async def _absence_from(request: web.Request, absence_id: int | None = None) -> Absence:
    body = await json_object(request)
    service = request.app[SERVICE]
    person_id = str(body.get("person_id", ""))
    if service.index.get(person_id) is None:
        raise web.HTTPBadRequest(text="unknown person_id")
    return Absence(person_id=person_id, starts=_moment(body, "starts"), ends=_moment(body, "ends"),
                   reason=str(body.get("reason", "")), substitute=str(body.get("substitute", "")),
                   registered_by=request.get(USER, ""), id=absence_id)


async def list_absences(request: web.Request) -> web.Response:
    store = request.app[SERVICE].absences
    found = await store.list(request.query.get("person") or None, include_past=request.query.get("past") == "1")
    return web.json_response({"absences": [absence_json(a) for a in found]})


async def create_absence(request: web.Request) -> web.Response:
    service = request.app[SERVICE]
    try:
        stored = await service.absences.add(await _absence_from(request))
    except ValueError as problem:
        raise web.HTTPBadRequest(text=str(problem)) from None
    service.absence_changed(stored.person_id)
    return web.json_response(absence_json(stored), status=201)


def _absence_id(request: web.Request) -> int:
    try:
        absence_id = int(request.match_info["id"])
    except ValueError:
        raise web.HTTPNotFound() from None
    if not 0 < absence_id <= MAX_ROW_ID:
        raise web.HTTPNotFound()
    return absence_id


async def update_absence(request: web.Request) -> web.Response:
    service = request.app[SERVICE]
    absence_id = _absence_id(request)
    before = await service.absences.get(absence_id)
    try:
        stored = await service.absences.update(await _absence_from(request, absence_id))
    except ValueError as problem:
        raise web.HTTPBadRequest(text=str(problem)) from None
    if stored is None or before is None:
        raise web.HTTPNotFound()
    service.absence_changed(before.person_id)
    service.absence_changed(stored.person_id)
    return web.json_response(absence_json(stored))


async def delete_absence(request: web.Request) -> web.Response:
    service = request.app[SERVICE]
    removed = await service.absences.remove(_absence_id(request))
    if removed is None:
        raise web.HTTPNotFound()
    service.absence_changed(removed.person_id)
    return web.Response(status=204)


def change_json(service: PresenceService, item, lang: str) -> dict:
    if item == RESYNC:
        return {"type": "resync"}
    person_id, view = item
    if view is None:
        return {"type": "removed", "person": person_id}
    return {"type": "presence", "person": person_id,
            "presence": presence_json(service, view, service.clock(), lang)}


async def stream(request: web.Request) -> web.WebSocketResponse:
    service = request.app[SERVICE]
    lang = language(request.query.get("lang"))
    socket = web.WebSocketResponse(heartbeat=30)
    await socket.prepare(request)
    subscription = service.subscribe()
    try:
        # Reading the socket notices a console that went away while no changes come.
        closed = asyncio.ensure_future(_until_closed(socket))
        while not closed.done():
            getter = asyncio.ensure_future(subscription.get())
            done, _ = await asyncio.wait({getter, closed}, return_when=asyncio.FIRST_COMPLETED)
            if getter not in done:
                getter.cancel()
                break
            await socket.send_json(change_json(service, getter.result(), lang))
    finally:
        service.unsubscribe(subscription)
        await socket.close()
    return socket


async def _until_closed(socket: web.WebSocketResponse) -> None:
    async for message in socket:
        if message.type in (WSMsgType.ERROR, WSMsgType.CLOSE):
            break


def presence_app(service: PresenceService, middlewares: Iterable = ()) -> web.Application:
    app = web.Application(middlewares=list(middlewares))
    app[SERVICE] = service
    app.router.add_get("/directory", search)
    app.router.add_get("/directory/{id}", one_person)
    app.router.add_get("/directory/{id}/photo", photo)
    app.router.add_get("/absences", list_absences)
    app.router.add_post("/absences", create_absence)
    app.router.add_put("/absences/{id}", update_absence)
    app.router.add_delete("/absences/{id}", delete_absence)
    app.router.add_get("/presence/stream", stream)
    return app
