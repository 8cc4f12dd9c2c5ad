"""The wallboard in a real headless Chromium: live over WebSocket, readable on a wall, WCAG 2.1 AA."""
import asyncio
import time
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import expect

from bereik.pbx.agi import AgiSession
from bereik.wallboard.floor import CallbackCounts, Floor
from bereik.wallboard.metrics import Metrics
from bereik.wallboard.web import Hub, WebServer, metrics_routes, wallboard_routes
from tests.ami_facts import told

ZONE = ZoneInfo("Europe/Amsterdam")
T = 1795424400.0

# Contrast of every text element against the page background (WCAG 2.1, 1.4.3).
CONTRAST = """() => {
  const lum = (c) => { const [r, g, b] = c.match(/\\d+(\\.\\d+)?/g).slice(0, 3).map(Number).map((v) => {
      v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const bg = lum(getComputedStyle(document.body).backgroundColor);
  return [...document.querySelectorAll('body *')].filter((e) => e.childNodes.length && [...e.childNodes]
      .some((n) => n.nodeType === 3 && n.textContent.trim())).map((e) => {
    const l = lum(getComputedStyle(e).color);
    return [(Math.max(l, bg) + 0.05) / (Math.min(l, bg) + 0.05), e.id || e.tagName];
  });
}"""


@pytest.fixture
async def board():
    floor = Floor(ZONE, 30)
    hub = Hub()
    now = [T]
    metrics = Metrics(floor, lambda: True, clock=lambda: now[0])
    server = WebServer([*wallboard_routes(lambda: floor.snapshot(now[0]), hub),
                        *metrics_routes(metrics.registry)], "127.0.0.1", 0, hub=hub)
    await server.start()

    def apply(event):
        told(floor, {**event, "Timestamp": str(now[0])})
        hub.notify()

    yield server, apply, now
    await server.close()


async def test_the_page_updates_when_a_caller_joins_the_queue(board, browser):
    server, apply, now = board
    page = await browser.new_page()
    await page.goto(f"http://127.0.0.1:{server.port}/wallboard/")
    await expect(page.locator("#waiting")).to_have_text("0")

    apply({"Event": "QueueCallerJoin", "Uniqueid": "a", "Queue": "tic"})
    await expect(page.locator("#waiting")).to_have_text("1", timeout=3000)
    assert "1 wachtende bellers" in await page.text_content("#announce")

    now[0] += 75
    await expect(page.locator("#longest")).to_have_text("1:15", timeout=3000)
    assert await page.text_content("#service-level") == "geen gegevens"
    assert await page.text_content("#callbacks") == "geen gegevens"


async def test_the_call_back_tile_shows_the_months_share_on_time_in_all_and_per_department(browser):
    counts = CallbackCounts(open=4, late=1, on_time=0.667,
                            on_time_by_department=(("Klantcontactcentrum", 1.0), ("Vergunningen", 0.5)))
    floor = Floor(ZONE, 30, callbacks=lambda: counts)
    hub = Hub()
    server = WebServer(wallboard_routes(lambda: floor.snapshot(T), hub), "127.0.0.1", 0, hub=hub)
    await server.start()
    try:
        page = await browser.new_page()
        await page.goto(f"http://127.0.0.1:{server.port}/wallboard/")
        await expect(page.locator("#callbacks")).to_have_text("4 open")
        await expect(page.locator("#callbacks-late")).to_have_text(
            "1 te laat · 67% op tijd teruggebeld deze maand · Klantcontactcentrum 100%, Vergunningen 50%")
    finally:
        await server.close()


async def test_stopping_closes_an_open_wallboard_as_going_away_without_waiting_for_it():
    hub = Hub()
    server = WebServer(wallboard_routes(lambda: {"waiting": 0}, hub), "127.0.0.1", 0, hub=hub)
    await server.start()
    session = aiohttp.ClientSession()
    socket = await session.ws_connect(f"http://127.0.0.1:{server.port}/wallboard/ws")
    assert (await socket.receive_json())["waiting"] == 0
    closing = asyncio.ensure_future(server.close())
    while (await socket.receive()).type not in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
        pass
    # aiohttp would otherwise wait its 60 s shutdown for a page that never leaves by itself.
    await asyncio.wait_for(closing, 10)
    assert socket.close_code == aiohttp.WSCloseCode.GOING_AWAY
    assert hub.sockets == set()
    await session.close()


async def test_agents_and_service_level_appear_in_dutch(board, browser):
    server, apply, now = board
    apply({"Event": "QueueMemberStatus", "Interface": "PJSIP/201", "MemberName": "Anna de Vries", "Status": "1",
           "Paused": "0", "InCall": "0"})
    apply({"Event": "AgentConnect", "Uniqueid": "c", "Interface": "PJSIP/201", "MemberName": "Anna de Vries",
           "HoldTime": "12"})
    page = await browser.new_page()
    await page.goto(f"http://127.0.0.1:{server.port}/wallboard")  # redirected to the page
    await page.wait_for_selector("#agents th")
    assert await page.text_content("#agents th") == "Anna de Vries"
    assert await page.text_content("#agents td") == "in gesprek"
    assert await page.text_content("#service-level") == "100%"


async def test_the_page_is_accessible_and_readable_on_a_wall(board, browser):
    server, _, _ = board
    page = await browser.new_page(viewport={"width": 1920, "height": 1080})
    await page.goto(f"http://127.0.0.1:{server.port}/wallboard/")
    await expect(page.locator("#waiting")).to_have_text("0")
    assert await page.get_attribute("html", "lang") == "nl"
    assert await page.get_attribute("#announce", "aria-live") == "polite"
    assert await page.locator("h1").count() == 1
    assert await page.locator("th[scope=col]").count() == 3
    assert await page.text_content("#waiting-servers") == ""  # one server: no breakdown
    ratios = await page.evaluate(CONTRAST)
    assert ratios and all(ratio >= 7 for ratio, _ in ratios), [r for r in ratios if r[0] < 7]  # AA asks 4.5
    big = await page.evaluate("parseFloat(getComputedStyle(document.getElementById('waiting')).fontSize)")
    assert big >= 64  # legible across a room


async def test_several_servers_show_their_waiting_callers_in_words(browser):
    floor = Floor(ZONE, 30, servers=("noord", "zuid"))
    for call_id in ("noord-1795424400.1", "noord-1795424400.2", "zuid-1795424400.1"):
        told(floor, {"Event": "QueueCallerJoin", "Uniqueid": call_id, "Queue": "tic", "Timestamp": str(T)})
    server = WebServer(wallboard_routes(lambda: floor.snapshot(T + 30), Hub()), "127.0.0.1", 0)
    await server.start()
    page = await browser.new_page(viewport={"width": 1920, "height": 1080})
    try:
        await page.goto(f"http://127.0.0.1:{server.port}/wallboard/")
        await expect(page.locator("#waiting")).to_have_text("3")
        assert await page.text_content("#waiting-servers") == "Per server: noord 2, zuid 1"
        ratios = await page.evaluate(CONTRAST)
        assert all(ratio >= 7 for ratio, _ in ratios), [r for r in ratios if r[0] < 7]
        results = await Axe().run(page, options={"runOnly": {"type": "tag", "values": [
            "wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}})
        assert results.violations_count == 0, results.generate_report()
    finally:
        await page.close()  # first: the server's close waits for open WebSockets
        await server.close()


async def test_metrics_for_prometheus(board):
    import aiohttp

    server, apply, _ = board
    apply({"Event": "Newchannel", "Uniqueid": "a", "Linkedid": "a"})
    apply({"Event": "QueueCallerJoin", "Uniqueid": "a", "Queue": "tic"})
    async with aiohttp.ClientSession() as client:
        async with client.get(f"http://127.0.0.1:{server.port}/metrics") as response:
            text = await response.text()
    assert "bereik_calls_total 1.0" in text
    assert 'bereik_waiting_callers{queue="tic",server="default"} 1.0' in text
    assert 'bereik_ami_connected{server="default"} 1.0' in text
    assert "bereik_fastagi_session_seconds_bucket" in text


async def test_fastagi_latency_is_observed_even_when_the_caller_hangs_up():
    metrics = Metrics(Floor(ZONE, 30), lambda: False)

    async def hangs_up(session):
        await asyncio.sleep(0.01)
        raise ConnectionError

    with pytest.raises(ConnectionError):
        await metrics.timed(hangs_up)(AgiSession({}, None, None))
    assert metrics.registry.get_sample_value("bereik_fastagi_session_seconds_count") == 1


async def test_fastagi_latency_ends_with_the_last_word_not_with_the_replies_read_after_it():
    metrics = Metrics(Floor(ZONE, 30), lambda: False)

    async def hands_over_then_reads_slowly(session):
        session.last_word_at = time.perf_counter()
        await asyncio.sleep(0.2)

    await metrics.timed(hands_over_then_reads_slowly)(AgiSession({}, None, None))
    assert metrics.registry.get_sample_value("bereik_fastagi_session_seconds_count") == 1
    assert metrics.registry.get_sample_value("bereik_fastagi_session_seconds_bucket", {"le": "0.1"}) == 1


async def test_metrics_count_the_loops_tasks_and_the_process_open_files():
    metrics = Metrics(Floor(ZONE, 30), lambda: False)
    before = metrics.registry.get_sample_value("bereik_asyncio_tasks")
    sleepers = [asyncio.create_task(asyncio.sleep(10)) for _ in range(3)]
    try:
        assert metrics.registry.get_sample_value("bereik_asyncio_tasks") == before + 3
    finally:
        for sleeper in sleepers:
            sleeper.cancel()
    with open(__file__):
        opened = metrics.registry.get_sample_value("process_open_fds")
    assert opened >= 1 and metrics.registry.get_sample_value("process_resident_memory_bytes") > 0
