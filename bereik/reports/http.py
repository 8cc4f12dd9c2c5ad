"""The reachability report over HTTP: the same request and report schema as `bereik report`.

GET /reports?month=2026-10 or /reports?start=2026-10-01&end=2026-10-31; add format=html for the page,
whose stylesheet is under /reports/static/. Mounted next to the wallboard; the console puts its login in
front of both.
"""
from __future__ import annotations

import asyncio
from collections.abc import Callable

from aiohttp import web
from pydantic import ValidationError

from bereik import pages
from bereik.callbacks.store import CallbackStore
from bereik.config.model import Config
from bereik.records.store import CallStore
from bereik.reports.figures import from_store
from bereik.reports.render import STYLESHEET, to_html
from bereik.reports.schema import ReportRequest


def _request(query) -> ReportRequest:
    if "month" in query:
        return ReportRequest.month(query["month"])
    return ReportRequest.model_validate({"start": query.get("start"), "end": query.get("end", query.get("start"))})


def report_routes(store: CallStore, config: Config, callback_store: Callable[[], CallbackStore | None] = lambda: None,
                  prefix: str = "/reports") -> list[web.RouteDef]:
    """`callback_store()`: the call-back notes, for the share kept on time (None: geen gegevens)."""
    async def report(request: web.Request) -> web.Response:
        try:
            period = _request(request.query)
        except (ValueError, ValidationError) as error:
            raise web.HTTPBadRequest(text=f"{error}\nvraag ?month=2026-10 of ?start=2026-10-01&end=2026-10-31")
        # A month of calls is read and counted off the event loop: calls keep being routed meanwhile.
        result = await asyncio.to_thread(from_store, store, config, period, callback_store())
        if request.query.get("format") == "html":
            page = await asyncio.to_thread(to_html, result, f"{prefix}/static/{STYLESHEET}")
            return web.Response(text=page, content_type="text/html")
        return web.Response(text=result.model_dump_json(), content_type="application/json")

    return [web.get(prefix, report), pages.static_route(prefix + "/static")]
