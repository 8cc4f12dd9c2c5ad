"""The console in headless Chromium (Debian's) without Asterisk: login form, screen-pop in an aria-live
region, keyboard use, WCAG 2.1 AA by axe-core, and no Content-Security-Policy violation."""
import re

import pytest
from aiohttp.test_utils import TestServer
from axe_playwright_python.async_playwright import Axe

from bereik.config.model import Integrations
from test_desk import answer, ring

SOCKET_OPEN = """() => new Promise((resolve) => { const check = () =>
  (window.bereikSocket && window.bereikSocket.readyState === 1) ? resolve() : setTimeout(check, 20); check(); })"""


def style(selector: str, prop: str) -> str:
    return f"getComputedStyle(document.querySelector({selector!r})).getPropertyValue({prop!r})"


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


async def test_the_screen_pop_speaks_in_peoples_words_and_shows_one_state_that_changes(browser, served, console):
    page, problems = await logged_in_page(browser, served)
    assert await page.inner_text("#agent-name") == "Anna de Vries"  # the agent's name, not the login
    assert await page.is_disabled("#record") and await page.is_disabled("#hangup")  # no call: nothing to do
    ring(console.ami, BEREIK_TOPIC="afval", BEREIK_CHOICE="2", BEREIK_MUNICIPALITY="Bloemendaal",
         BEREIK_TRIED="301", BEREIK_FAILED="noanswer", BEREIK_DEPARTMENT="vergunningen")
    await page.wait_for_selector("#call-state.call-ringing")
    text = await page.inner_text("#screenpop")
    assert "Gaat over: J. Jansen sinds 09:00" in text  # 1800000042: 09:00 in Amsterdam
    assert "Eva Smit (Vergunningen) nam niet op" in text
    assert "Afval, grofvuil of een kapotte container" in text  # the option as the caller heard it
    assert "0612345678" in text and "Bloemendaal" in text and "42 s" in text
    assert "noanswer" not in text and "301" not in text and "(2)" not in text  # no codes
    assert await page.get_attribute("#screenpop", "aria-live") == "assertive"
    assert await page.title() == "Gaat over: J. Jansen · bereik"
    assert await page.evaluate(style("#call-state", "color")) == "rgb(122, 0, 0)"  # red while it rings
    assert await page.input_value("#cb-number") == "0612345678"  # the call-back form is filled in

    answer(console.ami)
    await page.wait_for_selector("#call-state.call-connected")
    text = await page.inner_text("#screenpop")
    assert "In gesprek sinds 09:00" in text and "Gaat over" not in text  # one state, not a stack
    assert await page.inner_text("#record") == "Opname starten" and await page.is_enabled("#record")
    assert await page.is_enabled("#hangup")

    console.ami.emit(Event="Hangup", Channel="PJSIP/trunk-00000001", Uniqueid="1700000000.1",
                     Linkedid="1700000000.1")
    await page.wait_for_selector("#call-state.call-ended")
    state = await page.inner_text("#call-state")
    assert re.fullmatch(r"Beëindigd om \d\d:\d\d", state), state
    assert "In gesprek" not in await page.inner_text("#screenpop")
    assert await page.evaluate(style("#call-state", "color")) != "rgb(122, 0, 0)"  # the title is not stuck red
    assert await page.title() == "Console · bereik"
    assert await page.is_disabled("#record") and await page.is_disabled("#hangup")
    assert not [p for p in problems if "Content Security Policy" in p], problems


async def test_hang_up_from_the_browser_hangs_up_the_agents_leg(browser, served, console):
    page, _ = await logged_in_page(browser, served)
    ring(console.ami)
    answer(console.ami)
    await page.wait_for_selector("#hangup:not([disabled])")
    await page.keyboard.press("Alt+H")
    for _ in range(100):
        if console.ami.sent("Hangup"):
            break
        await page.wait_for_timeout(20)
    assert console.ami.sent("Hangup") == [{"Channel": "PJSIP/201-00000002"}]


async def test_position_buttons_are_enabled_only_when_they_apply(browser, served, console):
    console.ami.replies["QueueStatus"] = [{"Event": "QueueMember", "Queue": "tic", "StateInterface": "PJSIP/201",
                                           "Paused": "0"}]
    page, _ = await logged_in_page(browser, served)
    await page.wait_for_selector("#state:has-text('Aangemeld')")
    assert await page.is_disabled("#login-position") and await page.is_enabled("#logout-position")
    assert await page.is_enabled("#pause") and await page.is_disabled("#resume")
    assert await page.inner_text("#resume") == "Pauze beëindigen"
    console.ami.replies["QueueStatus"] = [{"Event": "QueueMember", "Queue": "tic", "StateInterface": "PJSIP/201",
                                           "Paused": "1"}]
    # The reason lives in the position's global (bereik.pbx.members), not in QueueStatus.
    console.ami.replies["Getvar"] = [{"Response": "Success", "Variable": "BEREIK_PAUSED_201", "Value": "overleg"}]
    await page.click("#pause")
    await page.wait_for_selector("#state:has-text('Gepauzeerd (overleg)')")
    assert await page.is_disabled("#pause") and await page.is_enabled("#resume")


async def test_a_hostile_caller_name_and_number_appear_as_text_and_run_no_script(browser, served, console):
    page, problems = await logged_in_page(browser, served)
    dialogs = []
    page.on("dialog", lambda dialog: dialogs.append(dialog.message))
    name, number = """<img src=x onerror=alert(1)>"'""", """06"1'2<svg onload=window.bereikPwned=1>"""
    ring(console.ami, number=number, name=name)
    await page.wait_for_selector("#call-state.call-ringing")
    shown = await page.text_content("#screenpop")
    assert name in shown and number in shown  # literally, quotes and all
    assert await page.input_value("#cb-name") == name and await page.input_value("#cb-number") == number
    # No element was made of the text, so no handler of it can ever run.
    assert await page.evaluate("() => document.querySelectorAll('img, svg').length") == 0
    assert await page.evaluate("() => window.bereikPwned") is None
    assert dialogs == [] and not [p for p in problems if "Content Security Policy" in p], (dialogs, problems)


async def test_slash_jumps_to_the_search_and_the_pause_reason_reaches_the_queue(browser, served, console):
    console.ami.replies["QueueStatus"] = [{"Event": "QueueMember", "Queue": "tic", "StateInterface": "PJSIP/201",
                                           "Paused": "0"}]
    page, _ = await logged_in_page(browser, served)
    await page.wait_for_selector("#pause:not([disabled])")
    await page.keyboard.press("/")
    assert await page.evaluate("() => document.activeElement.id") == "search"
    await page.select_option("#pause-reason", "overleg")
    await page.click("#pause")
    for _ in range(50):
        if console.ami.sent("Setvar"):
            break
        await page.wait_for_timeout(20)
    assert console.ami.sent("Setvar")[:2] == [{"Variable": "BEREIK_PAUSED_201", "Value": "overleg"},
                                              {"Variable": "QUEUE_MEMBER(tic,paused,PJSIP/201)", "Value": "1"}]


@pytest.mark.parametrize("where", ["login", "console"])
async def test_wcag_21_aa_by_axe(browser, served, console, where):
    if where == "login":
        page = await browser.new_page()
        await page.goto(served + "/login")
    else:
        page, _ = await logged_in_page(browser, served)
        ring(console.ami, BEREIK_TOPIC="afval", BEREIK_CHOICE="2", BEREIK_TRIED="301", BEREIK_FAILED="busy")
        await page.wait_for_selector("#screenpop:has-text('Afval')")
        answer(console.ami)  # every button that applies enabled, the rest disabled
        await page.wait_for_selector("#call-state.call-connected")
    results = await Axe().run(page, options=WCAG_AA)
    assert results.violations_count == 0, results.generate_report()


async def test_wrap_up_in_two_clicks_and_the_days_history_with_first_contact_resolution(browser, served, console):
    page, _ = await logged_in_page(browser, served)
    assert await page.is_disabled("#wrapup-yes") and await page.is_disabled("input[name=wrapup-topic] >> nth=0")
    ring(console.ami, BEREIK_TOPIC="afval", BEREIK_CHOICE="2")
    answer(console.ami)
    await page.wait_for_selector("#call-state.call-connected")
    console.ami.emit(Event="Hangup", Channel="PJSIP/trunk-00000001", Uniqueid="1700000000.1", Linkedid="1700000000.1")
    await page.wait_for_selector("#wrapup-call:has-text('Afronden van het gesprek met J. Jansen')")
    topics = await page.inner_text("#wrapup-topics")
    assert all(t in topics for t in ("Burgerzaken", "Afval", "Belastingen", "Zorg", "Overig")), topics
    await page.click("label.choice:has-text('Afval')")  # click 1
    await page.click("#wrapup-yes")  # click 2
    await page.wait_for_selector("#wrapup-state:has-text('Afgerond: Afval, direct geholpen')")
    await page.wait_for_selector("#calls-today li:has-text('Afval, direct geholpen')")
    assert "J. Jansen 0612345678" in await page.inner_text("#calls-today")
    assert await page.inner_text("#fcr") == "Direct geholpen: 1 van 1"
    assert await page.is_disabled("#wrapup-yes")  # nothing left to wrap up


async def test_the_screen_pop_opens_the_caller_in_the_municipalitys_contact_system(browser, served, console):
    console.desk.config = console.desk.config.model_copy(update={"integrations": Integrations(
        screen_pop_link="https://kcs.bloemendaal.example/klant?telefoon={number}&gesprek={call}")})
    page, _ = await logged_in_page(browser, served)
    ring(console.ami, number="+31612345678")
    link = page.locator("#caller-link")
    await link.wait_for()
    assert await link.inner_text() == "Openen in het klantcontactsysteem"
    assert await link.get_attribute("href") == \
        "https://kcs.bloemendaal.example/klant?telefoon=%2B31612345678&gesprek=1700000000.1"
    assert await link.get_attribute("target") == "_blank"
