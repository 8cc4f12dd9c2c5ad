"""The administrator sees, in Chromium, what waits for each webhook receiver and the events no receiver
took (dead letters), with the error, and sends one again; agents do not see the page."""
import time

import pytest
from aiohttp.test_utils import TestServer
from axe_playwright_python.async_playwright import Axe

from bereik.config.model import Integrations
from bereik.integrations.webhooks import Outbox, Webhooks
from bereik.secrets import Secrets
from test_browser import WCAG_AA


@pytest.fixture
async def served(console, tmp_path):
    config = console.config.model_copy(update={"integrations": Integrations(webhooks=[
        {"name": "kcs", "url": "https://kcs.bloemendaal.example/bereik", "secret": "BEREIK_KCS_WEBHOOK_SECRET"}])})
    hooks = Webhooks(config, Secrets({"BEREIK_KCS_WEBHOOK_SECRET": "a-long-random-signing-secret"}),
                     Outbox(tmp_path / "outbox.sqlite3"))
    hooks.outbox.add("kcs", "msg_1", "call.agent_answered", "1700000000.1", "{}", time.time())
    hooks.outbox.failed(hooks.outbox.first("kcs"), "HTTP 503", time.time(), dead=True)
    hooks.outbox.add("kcs", "msg_2", "call.hung_up", "1700000000.1", "{}", time.time())
    console.couriers = [hooks]
    server = TestServer(console.app(), host="127.0.0.1")
    await server.start_server()
    yield f"http://127.0.0.1:{server.port}"
    await server.close()
    hooks.outbox.close()


async def logged_in(browser, base, login):
    page = await browser.new_page()
    await page.goto(base + "/login")
    await page.fill("#login", login)
    await page.fill("#password", f"{login}-pw")
    # The form's own navigation must end before the test navigates: begun later, it aborts the test's
    # (net::ERR_ABORTED, seen with six workers on 2 cores); waiting for a load state could return before it began.
    async with page.expect_navigation():
        await page.keyboard.press("Enter")
    return page


async def test_the_administrator_sees_the_dead_letters_and_sends_one_again(browser, served):
    page = await logged_in(browser, served, "root")
    await page.goto(served + "/webhooks")
    receivers = await page.inner_text("table:has(caption:text('Ontvangers'))")
    assert "kcs" in receivers and "https://kcs.bloemendaal.example/bereik" in receivers
    assert "Wacht op aflevering" in receivers and "\t1" in receivers  # msg_2 waits
    dead = await page.inner_text("table:has(caption:text('Niet afgeleverd'))")
    assert "call.agent_answered" in dead and "HTTP 503" in dead and "1700000000.1" in dead
    results = await Axe().run(page, options=WCAG_AA)
    assert results.violations_count == 0, results.generate_report()
    await page.click("button:has-text('Opnieuw versturen')")
    await page.wait_for_selector("text=Alles is afgeleverd.")
    assert "\t2" in await page.inner_text("table:has(caption:text('Ontvangers'))")  # back in line


async def test_an_agent_does_not_see_the_webhooks(browser, served):
    page = await logged_in(browser, served, "anna")
    response = await page.goto(served + "/webhooks")
    assert response.status == 403
    assert "call.agent_answered" not in await page.inner_text("body")
