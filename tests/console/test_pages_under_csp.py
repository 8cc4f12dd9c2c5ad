"""The pages under the console's Content-Security-Policy (script-src 'self'; style-src 'self'), in Chromium:
the wallboard behind the console login shows its tiles as styled, and the report page is styled, charts
included. What a person sees: visible text and computed style, with the real CSP header on every page."""
import pytest
from aiohttp.test_utils import TestServer
from playwright.async_api import expect

from bereik.console.auth import CSP
from bereik.records.recorder import Recorder
from bereik.records.store import SqliteStore
from bereik.reports.http import report_routes
from bereik.wallboard.floor import Floor
from bereik.wallboard.web import Hub, WebServer, wallboard_routes
from tests.ami_facts import told
from tests.reports.test_month import CONFIG, month_of_calls

T = 1795424400.0  # Monday 2026-11-23 10:00 in Amsterdam


@pytest.fixture
def board():
    """The floor the wallboard shows (two callers waiting), and the hub that wakes open wallboards."""
    floor = Floor(CONFIG.zone, 30)
    for n, joined in enumerate((T - 95, T - 20)):
        told(floor, {"Event": "QueueCallerJoin", "Uniqueid": f"c{n}", "Queue": "tic", "Timestamp": str(joined)})
    return floor, Hub()


@pytest.fixture
async def served(console, board, tmp_path):
    """The console, and the wallboard and reports on their own port behind its login, as `bereik run` has them."""
    floor, hub = board
    store = SqliteStore(tmp_path / "report.sqlite3")
    recorder = Recorder(store, CONFIG.zone, frozenset({CONFIG.number}))
    recorder.start()
    for journey in month_of_calls()[:300]:
        recorder.record(journey)
    recorder.close()
    # The fixture's hub: a test wakes the open wallboards with it, and stopping closes them.
    server = WebServer([*wallboard_routes(lambda: floor.snapshot(T), hub), *report_routes(store, CONFIG)],
                       "127.0.0.1", 0, console.wallboard_middlewares(), hub)
    await server.start()
    console_server = TestServer(console.app(), host="127.0.0.1")
    await console_server.start_server()
    yield f"http://127.0.0.1:{console_server.port}", f"http://127.0.0.1:{server.port}"
    await console_server.close()
    await server.close()
    store.close()


async def logged_in(browser, console_url, login):
    page = await browser.new_page(viewport={"width": 1920, "height": 1080})
    blocked = []
    page.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)
    await page.goto(console_url + "/login")
    await page.fill("#login", login)
    await page.fill("#password", f"{login}-pw")
    async with page.expect_navigation():  # the login's own navigation ends before the test navigates
        await page.click("button[type=submit]")
    return page, blocked


def style(selector: str, prop: str) -> str:
    return f"getComputedStyle(document.querySelector({selector!r})).getPropertyValue({prop!r})"


async def test_the_wallboard_behind_the_console_login_shows_its_tiles_styled(browser, served):
    console_url, board_url = served
    page, blocked = await logged_in(browser, console_url, "anna")  # cookies are per host, not port
    response = await page.goto(board_url + "/wallboard/")
    assert response.headers["content-security-policy"] == CSP
    # A locator, not wait_for_function: its string is eval'd in the page, which this very CSP refuses.
    await expect(page.locator("#waiting")).to_have_text("2", timeout=5000)
    assert await page.inner_text("#longest") == "1:35"
    assert "Wachtende bellers" in await page.inner_text("main")
    assert await page.inner_text("#service-level") == "geen gegevens"
    # The stylesheet applies: black board, white tiles' borders, figures large enough to read across a room.
    assert await page.evaluate(style("body", "background-color")) == "rgb(0, 0, 0)"
    assert await page.evaluate(style(".tile", "border-top-style")) == "solid"
    assert float((await page.evaluate(style("#waiting", "font-size"))).removesuffix("px")) >= 64
    assert await page.evaluate(style("#waiting-tile dd", "color")) == "rgb(255, 217, 102)"  # callers wait: alert
    assert blocked == []


async def test_the_wallboard_behind_the_login_updates_live_as_callers_come_and_go(browser, served, board):
    floor, hub = board
    console_url, board_url = served
    page, blocked = await logged_in(browser, console_url, "lisa")
    await page.goto(board_url + "/wallboard/")
    await expect(page.locator("#waiting")).to_have_text("2", timeout=5000)
    told(floor, {"Event": "QueueCallerJoin", "Uniqueid": "c2", "Queue": "tic", "Timestamp": str(T - 5)})
    hub.notify()  # as bereik does on every queue event
    await expect(page.locator("#waiting")).to_have_text("3", timeout=3000)
    told(floor, {"Event": "QueueCallerAbandon", "Uniqueid": "c0", "Queue": "tic", "Timestamp": str(T)})
    hub.notify()
    await expect(page.locator("#waiting")).to_have_text("2", timeout=3000)
    assert await page.inner_text("#longest") == "0:20"  # the longest waiting caller gave up: the next one's wait
    assert blocked == []


async def test_the_report_page_is_styled_and_its_charts_drawn_under_the_csp(browser, served):
    console_url, board_url = served
    page, blocked = await logged_in(browser, console_url, "lisa")  # a team lead: reports are for leads
    response = await page.goto(board_url + "/reports?month=2026-10&format=html")
    assert response.headers["content-security-policy"] == CSP
    assert "Telefonische bereikbaarheid gemeente Bloemendaal" in await page.inner_text("h1")
    assert await page.evaluate(style("body", "max-width")) == "960px"  # 60rem: the stylesheet is in force
    assert await page.evaluate(style("table", "border-collapse")) == "collapse"
    assert await page.evaluate(style("th", "border-top-style")) == "solid"
    # Every chart of the report (per hour, per weekday, the trend of each parameter) is a drawn picture.
    charts = await page.locator("figure svg[role=img]").count()
    assert charts >= 2 and charts == await page.locator("figure").count()
    # A bar of the chart is filled in the report's blue, not the black an unstyled SVG would show.
    fills = await page.evaluate("""[...document.querySelectorAll('figure svg path')]
        .map((p) => getComputedStyle(p).fill)""")
    assert "rgb(31, 78, 121)" in fills
    assert blocked == []



def inline_script_or_style(page: str) -> list[str]:
    """What a `script-src 'self'; style-src 'self'` policy would block on a page."""
    from lxml import html

    document = html.fromstring(page)
    found = [f"<style> {e.text_content()[:30]!r}" for e in document.iter("style")]
    found += [f"style= on <{e.tag}>" for e in document.xpath("//*[@style]")]
    found += [f"inline <script> {(e.text or '')[:30]!r}" for e in document.iter("script")
              if not e.get("src") or (e.text or "").strip()]
    found += [f"{name}= on <{e.tag}>" for e in document.iter() if isinstance(e.tag, str)
              for name in e.attrib if name.lower().startswith("on")]
    return found


async def test_no_page_has_an_inline_script_or_style(console, tmp_path):
    from aiohttp.test_utils import TestClient

    from bereik.reports.figures import compute
    from bereik.reports.render import write_all
    from bereik.reports.schema import ReportRequest
    from bereik.simulation.compare import outcome, to_html
    from bereik.simulation.traffic import load_traffic
    from console_helpers import EXAMPLE, log_in

    pages = {}
    async with TestClient(TestServer(console.app())) as client:
        pages["login"] = await (await client.get("/login")).text()
        await log_in(client, "lisa")
        pages["console"] = await (await client.get("/")).text()
        pages["team"] = await (await client.get("/team")).text()
    board = WebServer([*wallboard_routes(lambda: {}, Hub()), *report_routes(SqliteStore(tmp_path / "r.sqlite3"),
                                                                             CONFIG)], "127.0.0.1", 0)
    await board.start()
    async with TestClient(TestServer(board.app)) as client:
        pages["wallboard"] = await (await client.get("/wallboard/")).text()
        pages["report (served)"] = await (await client.get("/reports?month=2026-10&format=html")).text()
    await board.close()
    report = compute((), CONFIG, ReportRequest.month("2026-10"))
    pages["report (file)"] = write_all(report, tmp_path, "report")[0].read_text()
    profile = load_traffic(EXAMPLE.parent / "traffic" / "bloemendaal.yaml")
    simulated = outcome("Nu", "", CONFIG, profile, 0)
    pages["what-if"] = to_html([simulated, simulated], seed=0)

    assert {name: inline_script_or_style(page) for name, page in pages.items()} == dict.fromkeys(pages, [])
    assert "Bijgewerkt om" in pages["wallboard"] and "Terugbellen in het team" in pages["team"]
    # The what-if's charts are matplotlib's, as the report's: each picture is one of its figures.
    what_if = pages["what-if"]
    assert what_if.count("<svg") >= 6 and what_if.count("<svg") == what_if.count('<g id="figure_1">')
    assert (tmp_path / "report.css").exists()  # the report file's stylesheet beside it
