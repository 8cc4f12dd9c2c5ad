"""The team lead's page in headless Chromium: their colleagues' reachability by hour this past week, as a
person reads it (visible text, the cell's computed colour), with axe-core's WCAG 2.1 AA check."""
import datetime as dt
import sys
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer
from axe_playwright_python.async_playwright import Axe

sys.path.insert(0, str(Path(__file__).parents[1] / "reports"))
from test_reachability import direct  # noqa: E402

from bereik.audit import AuditLog  # noqa: E402
from bereik.records.store import SqliteStore, update_for  # noqa: E402
from bereik.records.summary import summarise  # noqa: E402
from console_helpers import CallbackStore, Console, Desk, FakeAmi, FakeDirectory, Mailer, console_config  # noqa: E402

WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


@pytest.fixture
async def served(tmp_path, clock):
    config = console_config(tmp_path / "recordings")
    records = SqliteStore(tmp_path / "calls.sqlite3")
    monday = clock().replace(hour=0)  # Monday 23 November 2026; the week before it
    at = lambda days_back, hour: (monday - dt.timedelta(days=days_back)).replace(hour=hour).timestamp()
    journeys = [direct("a", at(3, 9), "301", "answered"), direct("b", at(3, 14), "301", "noanswer"),
                direct("c", at(2, 14), "301", "noanswer"), direct("d", at(1, 14), "301", "answered"),
                direct("e", at(1, 15), "301", "absent"), direct("f", at(2, 11), "311", "noanswer",
                                                                dialled="0235115311")]
    records.write([update_for(j, summarise(j, config.zone, frozenset({config.number})), j.steps) for j in journeys])
    callbacks = CallbackStore(tmp_path / "callbacks.sqlite3")
    console = Console(config, Desk(config, FakeAmi(), callbacks, clock), callbacks,
                      Mailer("127.0.0.1", 1, "bereik@test", config.zone), FakeDirectory(), clock=clock,
                      audit_log=AuditLog(records), calls=records.calls)
    server = TestServer(console.app(), host="127.0.0.1")
    await server.start_server()
    yield f"http://127.0.0.1:{server.port}"
    await server.close()
    records.close()


async def test_the_team_lead_sees_when_a_colleague_was_not_reachable(browser, served):
    page = await browser.new_page()
    await page.goto(served + "/team")
    await page.fill("#login", "olaf")  # team lead of Vergunningen
    await page.fill("#password", "olaf-pw")
    await page.click("button[type=submit]")
    await page.wait_for_url(served + "/")  # logged in, on the console; then to the team's page
    await page.goto(served + "/team")
    await page.wait_for_selector("table.reach")
    eva = page.locator("table.reach tr", has_text="Eva Smit")
    assert "in de middag niet bereikbaar (1 van 3 opgenomen)" in await eva.inner_text()
    assert "2× niet opgenomen zonder afwezigheid, doorschakeling of niet storen" in await eva.inner_text()
    afternoon = eva.locator("td", has_text="1/3")  # 14:00: three calls she could have taken, one answered
    assert await afternoon.evaluate("cell => getComputedStyle(cell).backgroundColor") == "rgb(253, 226, 225)"
    assert await eva.locator("td", has_text="afgemeld").count() == 1  # 15:00: her absence was set
    # Hanna is in another department: not this team lead's to see.
    assert await page.locator("table.reach", has_text="Hanna Bos").count() == 0
    # One under the other, nothing drawn over anything: the notes, then the heading, then the hours.
    notes, heading, hours = [await page.locator(selector).bounding_box()
                             for selector in ("main > table", "h2", "table.reach")]
    assert notes["y"] + notes["height"] <= heading["y"] and heading["y"] + heading["height"] <= hours["y"]
    results = await Axe().run(page, options=WCAG_AA)
    assert results.violations_count == 0, results.generate_report()
