"""The coordinator's screen in headless Chromium: WCAG 2.1 AA by axe-core on every new page, no
Content-Security-Policy violation, and the calendar says in words (not colour alone) why a day is closed."""
import pytest
from aiohttp.test_utils import TestServer
from axe_playwright_python.async_playwright import Axe

from bereik.admin.proposals import ConfigEditor

from console_helpers import EXAMPLE
from test_manage import RecordedReload

WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


@pytest.fixture
async def served(console, tmp_path):
    yaml = tmp_path / "gemeente.yaml"
    yaml.write_text(EXAMPLE.read_text())
    console.manage.editor = ConfigEditor(yaml, RecordedReload(), None, "nl")
    server = TestServer(console.app(), host="127.0.0.1")
    await server.start_server()
    yield f"http://127.0.0.1:{server.port}"
    await server.close()


async def coordinator_page(browser, base):
    page = await browser.new_page()
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    await page.goto(base + "/manage")
    await page.fill("#login", "coco")
    await page.fill("#password", "coco-pw")
    await page.click("button[type=submit]")
    await page.wait_for_selector("#h-hours")
    return page, problems


async def test_every_new_page_passes_axe_and_shows_closed_days_in_words(browser, served):
    page, problems = await coordinator_page(browser, served)
    results = await Axe().run(page, options=WCAG_AA)
    assert results.violations_count == 0, results.generate_report()
    christmas = page.locator("td[data-date='2026-12-25']")
    assert " ".join((await christmas.inner_text()).split()) == "25 feestdag: Eerste kerstdag"
    closing = " ".join((await page.inner_text("ul.closing-days")).split())  # dates in words, not 2026-12-24
    assert "do 24 dec 2026 (Kerstavond)" in closing and "2026-12" not in closing, closing

    await page.fill("#hours-friday", "08:30-12:30, 12:00-17:00")  # overlapping: check refuses it
    await page.click("#hours button[type=submit]")
    await page.wait_for_selector(".problems")
    assert "overlap" in await page.inner_text(".problems")
    results = await Axe().run(page, options=WCAG_AA)
    assert results.violations_count == 0, results.generate_report()

    await page.goto(served + "/manage")
    await page.fill("#closing-date", "2026-12-28")
    await page.fill("#closing-reason", "Tussen kerst en oud")
    await page.click("#closing-add button[type=submit]")
    await page.wait_for_selector(".changes")
    assert await page.inner_text(".changes") == "Extra sluitingsdag: 28-12-2026 (Tussen kerst en oud)"
    results = await Axe().run(page, options=WCAG_AA)
    assert results.violations_count == 0, results.generate_report()
    assert not [p for p in problems if "Content Security Policy" in p], problems


async def test_the_calamity_switch_passes_axe_off_and_on_and_says_its_state_in_words(browser, console, served,
                                                                                      tmp_path):
    from bereik.calamity import CalamitySwitch
    from bereik.ivr.recorded import Recordings

    console.manage.calamity, console.manage.config_of = CalamitySwitch(console.audit), lambda: console.config
    console.manage.recordings_of = lambda: Recordings(tmp_path / "sounds")  # the recordings' forms, axe'd too
    page, problems = await coordinator_page(browser, served)
    assert await page.is_visible("#file-welcome")
    results = await Axe().run(page, options=WCAG_AA)
    assert results.violations_count == 0, results.generate_report()
    await page.check("#calamity-mode-closed")
    await page.fill("#calamity-text", "Vanwege een storing zijn wij niet bereikbaar.")
    await page.fill("#calamity-until", "2026-11-23T17:00")
    await page.fill("#calamity-why", "Storing telefonie")
    await page.click("#calamity-on button[type=submit]")
    await page.wait_for_selector("#calamity-state")
    assert " ".join((await page.inner_text("#calamity-state")).split()).startswith(
        "Calamiteit staat aan: de lijnen zijn gesloten, tot 23-11-2026 17:00.")
    assert await page.evaluate("getComputedStyle(document.getElementById('calamity')).borderTopWidth") == "3px"
    results = await Axe().run(page, options=WCAG_AA)
    assert results.violations_count == 0, results.generate_report()
    assert not [p for p in problems if "Content Security Policy" in p], problems


async def test_the_menu_editor_shows_and_edits_an_outside_organisation_validated_as_check_validates(browser, served):
    """Option 5 puts callers through to Sociale Zaken in Heemstede: the screen shows its number and name, a
    number outside the class of service is refused with check's words, a new number is shown as the diff says."""
    page, problems = await coordinator_page(browser, served)
    legend = " ".join((await page.inner_text("#menu fieldset:nth-of-type(5) legend")).split())
    assert legend == "Toets 5: Sociale Zaken Heemstede"
    assert await page.input_value("#forward-to-4") == "0235485868"
    assert await page.input_value("#organisation-4") == "Sociale Zaken Heemstede"
    assert await page.eval_on_selector("#topic-4", "s => s.options[s.selectedIndex].text") == \
        "geen: doorverbinden naar buiten"
    assert await page.is_visible("label[for=forward-to-4]")

    await page.fill("#forward-to-4", "0900123456")
    await page.click("#menu button[type=submit]")
    await page.wait_for_selector(".problems")
    assert ("menu option 5 puts callers through to Sociale Zaken Heemstede: 0900123456 is a premium-rate number "
            "(0900, 0906, 0909), which the class of service refuses") in await page.inner_text(".problems")
    assert not await page.locator("button[name=apply]").count()
    results = await Axe().run(page, options=WCAG_AA)
    assert results.violations_count == 0, results.generate_report()

    await page.goto(served + "/manage")
    await page.fill("#forward-to-4", "0235485800")
    await page.click("#menu button[type=submit]")
    await page.wait_for_selector(".changes")
    assert await page.inner_text(".changes") == (
        "Menukeuze 'Sociale Zaken Heemstede' verbindt voortaan door naar 0235485800 in plaats van 0235485868")
    results = await Axe().run(page, options=WCAG_AA)
    assert results.violations_count == 0, results.generate_report()
    assert not [p for p in problems if "Content Security Policy" in p], problems
