"""The what-if made honest: a profile's calibration is shown as calibration (what was tuned to which measured
figure, what was put in), and the headline's sensitivity to the inputs it rests on moves the right way."""
from pathlib import Path

import pytest
from axe_playwright_python.async_playwright import Axe

from bereik.config import ConfigError, load_config
from bereik.config.load import parse_model
from bereik.pages import copy_static
from bereik.reports.render import STYLESHEET
from bereik.reports.figures import compute
from bereik.reports.schema import ReportRequest
from bereik.simulation.compare import Outcome, to_html
from bereik.simulation.municipality import simulate
from bereik.simulation.sensitivity import available, sensitivity, settings
from bereik.simulation.traffic import HINT, TrafficProfile, load_traffic

ROOT = Path(__file__).parents[2]
CONFIG = load_config(ROOT / "examples" / "bloemendaal.yaml")
HAARLEM = load_traffic(ROOT / "examples" / "traffic" / "haarlem.yaml")
BLOEMENDAAL = load_traffic(ROOT / "examples" / "traffic" / "bloemendaal.yaml")
WEEK = ReportRequest(start="2026-10-05", end="2026-10-09")  # Monday to Friday
WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


@pytest.fixture(scope="module")
def haarlem_week():
    return sensitivity(CONFIG, HAARLEM, (0, 1), request=WEEK)


def by_input(result, name):
    return [(row.value, row) for row in result.rows if row.input == name]


def test_successful_contact_moves_the_right_way_with_each_input(haarlem_week):
    callbacks = by_input(haarlem_week, "callbacks")
    assert [value for value, _ in callbacks] == [0.6, 0.75, 0.85, 0.95]
    success = [row.successful_contact for _, row in callbacks]
    assert success == sorted(success) and success[-1] - success[0] > 0.1  # the headline rests on this
    assert len({row.direct_reachability for _, row in callbacks}) == 1  # a call-back reaches nobody directly

    availability = by_input(haarlem_week, "availability")
    assert [value for value, _ in availability] == [0.15, 0.25, 0.35]
    assert [row.direct_reachability for _, row in availability] == sorted(r.direct_reachability
                                                                          for _, r in availability)
    assert availability[0][1].successful_contact < availability[-1][1].successful_contact

    staffing = by_input(haarlem_week, "staffing")
    assert [value for value, _ in staffing] == [2, 3, 4]
    assert staffing[0][1].successful_contact < staffing[-1][1].successful_contact  # fewer fallbacks lost
    for _, row in (*callbacks, *availability, *staffing):
        assert row.lowest <= row.successful_contact <= row.highest
    assert [row.base for _, row in callbacks] == [False, False, True, False]  # Haarlem's assumed 0.85


def test_the_sensitivity_is_under_bereiks_policy_and_changes_one_input_at_a_time():
    base, *others = settings(CONFIG, HAARLEM)
    assert HAARLEM.policy.fallback == "hunt_group" and base.profile.policy.fallback == "front_office"
    for setting in others:
        changed = {"callbacks": setting.profile.callbacks != base.profile.callbacks,
                   "availability": setting.profile.availability != base.profile.availability,
                   "staffing": setting.config != base.config}
        assert [name for name, yes in changed.items() if yes] == [setting.input]
    shifted = next(s for s in others if s.input == "availability")
    # Scaled, not reshuffled: the kinds of unavailability keep their proportions.
    assert shifted.profile.availability.absent / shifted.profile.availability.in_meeting == pytest.approx(
        HAARLEM.availability.absent / HAARLEM.availability.in_meeting, rel=0.01)
    assert available(shifted.profile.availability) == pytest.approx(0.15)


def test_a_calibration_names_report_figures_and_inputs_of_the_profile():
    profile = "name: t\narrivals: {monday: {\"09\": 3}}\ncalibration:\n  source: meting\n  targets:\n"
    cases = {
        "    - {figure: reachability, measured: 0.4, tuned: [availability.absent]}\n": "not a figure of the report",
        "    - {figure: direct_reachability, measured: 0.4, tuned: [availability.away]}\n": "'availability.away' is not",
        "    - {figure: transfer_seconds, measured: 48, input: front_office.search_seconds, tuned: [scale]}\n":
            "either tuned:",
    }
    for target, message in cases.items():
        with pytest.raises(ConfigError) as error:
            parse_model(profile + target, "traffic.yaml", TrafficProfile, HINT)
        assert message in str(error.value.problems), target
    fine = parse_model(profile + next(iter(cases)).replace("reachability", "direct_reachability"),
                       "traffic.yaml", TrafficProfile, HINT)
    assert fine.calibration.targets[0].tuned == ["availability.absent"]


def week_outcome(profile: TrafficProfile) -> Outcome:
    run = simulate(CONFIG, profile, 0, request=WEEK)
    report = compute(run.rows, CONFIG, run.request)
    success = next(f.value for f in report.figures if f.id == "successful_contact")
    return Outcome(profile.name, "", run, report, success, [], positions=4, staffed=3)


async def test_the_page_shows_the_calibration_as_calibration_and_the_sensitivity_table(browser, tmp_path,
                                                                                        haarlem_week):
    (tmp_path / "wat-als.html").write_text(
        to_html([week_outcome(HAARLEM)], seed=0, profile=HAARLEM, config=CONFIG, sensitivity=haarlem_week))
    copy_static(STYLESHEET, tmp_path)
    page = await browser.new_page()
    await page.goto((tmp_path / "wat-als.html").as_uri())
    results = await Axe().run(page, options=WCAG_AA)
    assert results.violations_count == 0, results.generate_report()

    visible = await page.inner_text("main")
    assert "Dit verkeersprofiel is gekalibreerd op Telan, gemeente Haarlem" in visible
    calibration = await page.eval_on_selector_all(
        "table:has(caption:text('Kalibratie')) tbody tr", "rows => rows.map(r => r.innerText)")
    direct = next(row for row in calibration if row.startswith("Directe bereikbaarheid"))
    assert "42%" in direct and "gekalibreerd" in direct and "policy.hunt_group_size = 2" in direct
    transfer = next(row for row in calibration if row.startswith("Doorverbindtijd"))
    assert "48 s" in transfer and "invoer, geen uitkomst" in transfer and "front_office.search_seconds = 48" in transfer

    rows = await page.eval_on_selector_all(
        "table:has(caption:text('Gevoeligheid')) tbody tr", "rows => rows.map(r => r.innerText.split('\\t'))")
    assert len(rows) == len(haarlem_week.rows) == 10
    assert ["terugbelnotities op tijd nagekomen", "85% (profiel)"] == rows[2][:2]
    assert await page.is_visible("table:has(caption:text('Gevoeligheid'))")
    assert "het meest hangt het af van terugbelnotities op tijd nagekomen" in visible


def test_a_profile_without_calibration_says_every_input_is_assumed():
    page = to_html([week_outcome(BLOEMENDAAL)], seed=0, profile=BLOEMENDAAL)
    assert "niet gekalibreerd op metingen: alle invoer is aangenomen" in page
    assert "Gevoeligheid" not in page  # not computed, so not shown
