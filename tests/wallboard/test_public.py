"""The public live figure for the municipality's website: open or closed and the expected wait, as JSON and
an embeddable widget; no personal data, cached, readable from another origin, WCAG in a real Chromium."""
import datetime as dt
import json

import jsonschema
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from axe_playwright_python.async_playwright import Axe
from hypothesis import given, settings
from hypothesis import strategies as st

from bereik.routing.estimate import HandledCall, QueueSnapshot
from bereik.routing.hours import OpeningHours
from bereik.wallboard.public import CACHE_SECONDS, PublicFigure, public_status
from tests.examples import example_config

CONFIG = example_config()
ZONE = CONFIG.zone
MONDAY_10 = dt.datetime(2026, 11, 23, 10, 0, tzinfo=ZONE)
SCHEMA = {
    "type": "object",
    "additionalProperties": False,  # nothing else can leak: no callers, agents or numbers but the municipality's
    "required": ["municipality", "number", "open", "next_opening", "expected_wait_seconds", "expected_wait_certain",
                 "text", "language", "updated_at"],
    "properties": {
        "municipality": {"const": "Bloemendaal"}, "number": {"const": "14023"}, "open": {"type": "boolean"},
        "next_opening": {"type": ["string", "null"]}, "expected_wait_seconds": {"type": ["integer", "null"], "minimum": 0},
        "expected_wait_certain": {"type": "boolean"}, "text": {"type": "string", "minLength": 10},
        "language": {"enum": ["nl", "en"]}, "updated_at": {"type": "string"},
    },
}


def busy(callers: int, agents: int = 3) -> QueueSnapshot:
    handled = tuple(HandledCall(MONDAY_10.timestamp() - 60 * n, 240, 0) for n in range(10))
    return QueueSnapshot(callers_ahead=callers, agents_logged_in=agents, agents_free=0, agents_paused=0,
                         recent_calls=handled)


def test_open_with_callers_waiting_says_the_expected_wait_in_words():
    figure = public_status(CONFIG, OpeningHours(CONFIG), MONDAY_10, busy(5))
    assert figure["open"] and figure["expected_wait_seconds"] > 60
    assert figure["text"].startswith("Het klantcontact is nu open via 14023. Verwachte wachttijd: ongeveer")
    jsonschema.validate(figure, SCHEMA)


def test_closed_says_when_it_opens_again():
    evening = MONDAY_10.replace(hour=18)
    figure = public_status(CONFIG, OpeningHours(CONFIG), evening, busy(0))
    assert not figure["open"] and figure["expected_wait_seconds"] is None
    assert figure["next_opening"] == "2026-11-24T08:30+01:00"
    assert figure["text"].startswith("Het klantcontact is nu gesloten. Wij zijn weer bereikbaar morgen")


@settings(max_examples=200, deadline=None)
@given(callers=st.integers(0, 500), agents=st.integers(0, 8), free=st.integers(0, 8),
       minutes=st.integers(0, 7 * 24 * 60), handled=st.lists(st.floats(0, 7200), max_size=30))
def test_any_queue_at_any_time_gives_the_same_shape_and_nothing_personal(callers, agents, free, minutes, handled):
    now = MONDAY_10 + dt.timedelta(minutes=minutes)
    snapshot = QueueSnapshot(callers, agents, min(free, agents), 0,
                             tuple(HandledCall(now.timestamp() - 30 * n, talk, 0) for n, talk in enumerate(handled)))
    figure = public_status(CONFIG, OpeningHours(CONFIG), now, snapshot)
    jsonschema.validate(figure, SCHEMA)
    assert figure["open"] or figure["expected_wait_seconds"] is None


async def test_served_with_cache_headers_to_any_origin_and_recomputed_after_the_cache_time():
    ticks = [0.0]
    queue = [busy(0)]
    figure = PublicFigure(CONFIG, lambda now: queue[0], lambda: MONDAY_10, monotonic=lambda: ticks[0])
    app = web.Application()
    app.add_routes(figure.routes())
    async with TestClient(TestServer(app)) as client:
        first = await client.get("/status.json", headers={"Origin": "https://www.bloemendaal.nl"})
        assert first.status == 200 and first.headers["Access-Control-Allow-Origin"] == "*"
        assert first.headers["Cache-Control"] == f"public, max-age={CACHE_SECONDS}"
        assert "Set-Cookie" not in first.headers and first.headers["Content-Type"].startswith("application/json")
        before = await first.json()
        queue[0] = busy(40)
        ticks[0] = CACHE_SECONDS - 1
        assert await (await client.get("/status.json")).json() == before  # cached
        ticks[0] = CACHE_SECONDS + 1
        after = await (await client.get("/status.json")).json()
        assert after["expected_wait_seconds"] > (before["expected_wait_seconds"] or 0)
        assert (await client.post("/status.json")).status == 405
        widget = await client.get("/widget.js")
        assert widget.headers["Content-Type"].startswith("text/javascript") and "textContent" in await widget.text()


@settings(max_examples=60, deadline=None)
@given(path=st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126, exclude_characters="#?%"), max_size=30),
       query=st.text(max_size=40))
async def test_no_request_makes_it_fail(path, query):
    figure = PublicFigure(CONFIG, lambda now: busy(2), lambda: MONDAY_10)
    app = web.Application()
    app.add_routes(figure.routes())
    async with TestClient(TestServer(app)) as client:
        answer = await client.get("/" + path.lstrip("/"), params={"q": query})
        assert answer.status < 500
        answer = await client.get("/status.json", params={"q": query})
        assert answer.status == 200 and json.loads(await answer.text())["number"] == "14023"


async def test_the_widget_on_another_sites_page_shows_the_text_in_chromium_and_passes_axe(browser):
    figure = PublicFigure(CONFIG, lambda now: busy(5), lambda: MONDAY_10)
    bereik = web.Application()
    bereik.add_routes(figure.routes())
    async with TestClient(TestServer(bereik)) as served:
        municipality = web.Application()  # the municipality's own website: another origin (another port)
        page_html = ('<!doctype html><html lang="nl"><head><meta charset="utf-8"><title>Contact</title></head>'
                     '<body><main><h1>Contact</h1><p data-bereik-status>Bel 14023.</p>'
                     f'<script src="{served.make_url("/widget.js")}" async></script></main></body></html>')
        municipality.add_routes([web.get("/", lambda request: web.Response(text=page_html, content_type="text/html"))])
        async with TestClient(TestServer(municipality)) as site:
            page = await browser.new_page()
            await page.goto(str(site.make_url("/")))
            await page.wait_for_function(
                "document.querySelector('[data-bereik-status]').textContent.includes('Verwachte wachttijd')",
                timeout=5000)
            assert await page.get_attribute("[data-bereik-status]", "aria-live") == "polite"
            results = await Axe().run(page, options={"runOnly": {"type": "tag", "values": [
                "wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}})
            assert results.violations_count == 0, results.generate_report()
