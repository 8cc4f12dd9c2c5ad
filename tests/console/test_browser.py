"""The console in headless Chromium (Debian's) without Asterisk: login form, screen-pop in an aria-live
region, keyboard use, WCAG 2.1 AA by axe-core, and no Content-Security-Policy violation."""
import pytest
from aiohttp.test_utils import TestServer
from axe_playwright_python.async_playwright import Axe

from test_desk import answer, ring

SOCKET_OPEN = """() => new Promise((resolve) => { const check = () =>
  (window.bereikSocket && window.bereikSocket.readyState === 1) ? resolve() : setTimeout(check, 20); check(); })"""
WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


@pytest.fixture
async def served(console):
    server = TestServer(console.app(), host="127.0.0.1")
    await server.start_server()
    yield f"http://127.0.0.1:{server.port}"
    await server.close()


async def logged_in_page(browser, base):
    page = await browser.new_page()
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    await page.goto(base + "/")
    assert page.url.endswith("/login")
    await page.wait_for_selector("#login:focus")  # autofocus: the name field first
    await page.keyboard.type("anna")
    await page.keyboard.press("Tab")
    await page.keyboard.type("anna-pw")
    await page.keyboard.press("Enter")
    await page.wait_for_selector("#screenpop")
    await page.evaluate(SOCKET_OPEN)
    return page, problems


async def test_the_screen_pop_appears_in_an_assertive_live_region(browser, served, console):
    page, problems = await logged_in_page(browser, served)
    ring(console.ami, BEREIK_TOPIC="afval", BEREIK_CHOICE="2", BEREIK_MUNICIPALITY="Bloemendaal",
         BEREIK_TRIED="301", BEREIK_FAILED="noanswer")
    await page.wait_for_selector("#screenpop:has-text('afval (2)')")
    text = await page.text_content("#screenpop")
    assert "0612345678" in text and "J. Jansen" in text and "Bloemendaal" in text and "42 s" in text
    assert "301" in text and "noanswer" in text
    assert await page.get_attribute("#screenpop", "aria-live") == "assertive"
    assert await page.input_value("#cb-number") == "0612345678"  # the call-back form is filled in
    answer(console.ami)
    await page.wait_for_selector("#screenpop:has-text('In gesprek')")
    assert not [p for p in problems if "Content Security Policy" in p], problems


async def test_a_hostile_caller_name_and_number_appear_as_text_and_run_no_script(browser, served, console):
    page, problems = await logged_in_page(browser, served)
    dialogs = []
    page.on("dialog", lambda dialog: dialogs.append(dialog.message))
    name, number = """<img src=x onerror=alert(1)>"'""", """06"1'2<svg onload=window.bereikPwned=1>"""
    ring(console.ami, number=number, name=name)
    await page.wait_for_selector("#screenpop .pop-title")
    shown = await page.text_content("#screenpop")
    assert name in shown and number in shown  # literally, quotes and all
    assert await page.input_value("#cb-name") == name and await page.input_value("#cb-number") == number
    # No element was made of the text, so no handler of it can ever run.
    assert await page.evaluate("() => document.querySelectorAll('img, svg').length") == 0
    assert await page.evaluate("() => window.bereikPwned") is None
    assert dialogs == [] and not [p for p in problems if "Content Security Policy" in p], (dialogs, problems)


async def test_slash_jumps_to_the_search_and_the_pause_reason_reaches_the_queue(browser, served, console):
    page, _ = await logged_in_page(browser, served)
    await page.keyboard.press("/")
    assert await page.evaluate("() => document.activeElement.id") == "search"
    await page.select_option("#pause-reason", "overleg")
    await page.click("#pause")
    for _ in range(50):
        if console.ami.sent("QueuePause"):
            break
        await page.wait_for_timeout(20)
    assert console.ami.sent("QueuePause")[0] == {"Interface": "PJSIP/201", "Paused": "true", "Reason": "overleg"}


@pytest.mark.parametrize("where", ["login", "console"])
async def test_wcag_21_aa_by_axe(browser, served, console, where):
    if where == "login":
        page = await browser.new_page()
        await page.goto(served + "/login")
    else:
        page, _ = await logged_in_page(browser, served)
        ring(console.ami, BEREIK_TOPIC="afval", BEREIK_CHOICE="2")
        await page.wait_for_selector("#screenpop:has-text('afval')")
    results = await Axe().run(page, options=WCAG_AA)
    assert results.violations_count == 0, results.generate_report()
