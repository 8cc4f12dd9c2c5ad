"""The report page as a team lead sees it, in a real Chromium: WCAG 2.1 AA by axe-core, grades in colour
and in words, charts with a legend and the norm line."""
import datetime as dt

from axe_playwright_python.async_playwright import Axe

from bereik.reports.figures import trend_month
from bereik.reports.render import write_all

from .test_telan import CASES, report_of

WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


async def test_the_report_in_chromium_has_no_axe_violation_and_shows_grades_in_colour_and_words(browser, tmp_path):
    journeys = [j for case in CASES.values() for j in case[0]]
    report = report_of(journeys)
    # The three months before: the same figures, as if nothing changed (the trend charts need some).
    months = [trend_month(report).model_copy(update={"start": dt.date(2026, m, 1), "end": dt.date(2026, m, 28)})
              for m in (7, 8, 9)]
    report = report.model_copy(update={"trend": months})
    write_all(report, tmp_path, "oktober")
    page = await browser.new_page()
    await page.goto((tmp_path / "oktober.html").as_uri())

    results = await Axe().run(page, options=WCAG_AA)
    assert results.violations_count == 0, results.generate_report()
    colours = await page.eval_on_selector_all(
        "td.grade", "cells => cells.map(c => [c.textContent, getComputedStyle(c).backgroundColor])")
    by_word = {text.split("(")[-1].rstrip(")"): colour for text, colour in colours}
    assert by_word["uitmuntend"] == "rgb(223, 243, 228)"  # green, with its word
    low = [colour for text, colour in colours if text.startswith(("1 ", "2 ", "3 ", "4 "))]
    assert low and set(low) == {"rgb(253, 226, 225)"}  # red for insufficient
    visible = await page.inner_text("main")
    assert "Geslaagde contactpogingen" in visible and "geen gegevens" in visible
    legends = await page.eval_on_selector_all("svg", "svgs => svgs.map(s => s.getAttribute('aria-label'))")
    assert len(legends) > 2 and all("norm" in text for text in legends)  # every chart: the norm in its legend

