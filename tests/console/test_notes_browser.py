"""A back-office colleague's call-back notes in headless Chromium: what she sees and presses (Bellen, a
reason to close with, Niet bereikt) and the words bereik answers with; WCAG 2.1 AA by axe-core."""
import datetime as dt

from axe_playwright_python.async_playwright import Axe

from bereik.callbacks.store import Note
from bereik.pbx.call_files import CallFiles
from bereik.pbx.note_call import NoteCaller
from test_browser import WCAG_AA, served  # noqa: F401 (fixture)


async def test_eva_calls_back_from_her_note_and_may_close_it_only_with_a_reason(browser, served, console, clock,
                                                                                 tmp_path):
    console.note_caller = NoteCaller(console.config, console.store, clock, CallFiles(tmp_path / "outgoing"))
    console.store.add(Note(key="console-b1", number="0612345678", name="J. de Wit", question="Dakkapel",
                           team="vergunningen", created_at=clock(), due_at=clock() + dt.timedelta(days=2),
                           created_by="olaf", owner="301", department="vergunningen"))
    page = await browser.new_page()
    await page.goto(served + "/login")
    await page.fill("#login", "eva")
    await page.fill("#password", "eva-pw")
    await page.press("#password", "Enter")
    await page.wait_for_selector("#callbacks li")
    mine = await page.inner_text("#callbacks")
    assert "J. de Wit: Dakkapel" in mine and "open" in mine
    # Her team's too, not only a lead's: a list of its own, which may come a moment after hers.
    await page.wait_for_selector("#team-callbacks li")
    assert "J. de Wit: Dakkapel" in await page.inner_text("#team-callbacks")

    await page.click("#callbacks button:has-text('Bellen')")
    await page.wait_for_selector("#callbacks-state:has-text('Uw toestel')")
    assert await page.inner_text("#callbacks-state") == "Uw toestel gaat over; neem op, dan belt bereik de beller."
    assert len(list((tmp_path / "outgoing").glob("*.call"))) == 1

    await page.click("#callbacks button:has-text('Niet bereikt')")
    await page.wait_for_selector("#callbacks-state:has-text('niet bereikt')")
    assert "na 2 onbeantwoorde pogingen" in await page.inner_text("#callbacks-state")  # one attempt, still ringing

    results = await Axe().run(page, options=WCAG_AA)
    assert results.violations_count == 0, results.generate_report()

    await page.select_option("#callbacks select", "nummer onjuist")
    await page.click("#callbacks button:has-text('Sluiten met reden')")
    await page.wait_for_selector("#callbacks:has-text('afgehandeld')")
    assert "Bellen" not in await page.inner_text("#callbacks")  # closed: nothing left to press
    [note] = console.store.owned_by("301")
    assert (note.outcome, note.close_reason, note.closed_by) == ("handled", "nummer onjuist", "eva")
