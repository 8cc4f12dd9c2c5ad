"""The what-if page's verdict leads with what callers live with (successful contact, direct reachability),
not with an average grade, and the staffing advice is a weekday-by-hour map."""
import re

from bereik.simulation.compare import Outcome, summary, to_html
from bereik.simulation.staffing import HourStaffing

from ..reports.test_telan import CASES, report_of


def outcome(name: str, success: float, direct_case: str, staffing=()) -> Outcome:
    report = report_of(CASES[direct_case][0])
    return Outcome(name, "", None, report, success, list(staffing), positions=4, staffed=3)


STAFFING = [HourStaffing(day, hour, 10.0 + hour, 2.5, 3 + (hour == 10), 2, 3 + (hour == 10), 0.8, 0.81)
            for day in range(5) for hour in range(9, 17)]


def test_the_verdict_names_the_most_successful_contact_and_says_what_the_highest_direct_reachability_costs():
    ours = outcome("bereik", 0.91, "a call transferred twice", STAFFING)  # no direct calls: 0% direct
    hunt = outcome("Doorschakelkring", 0.77, "direct calls and fallbacks")  # 50% direct
    lines = summary([ours, hunt])
    assert lines[0].startswith("bereik: 91% van wie een collega zoekt, komt tot een geslaagd contact")
    assert "Doorschakelkring: geslaagd contact 77% (was 91%), directe bereikbaarheid 50%" in lines[1]
    assert "Het meeste geslaagde contact: bereik (91%)." in lines
    assert "De hoogste directe bereikbaarheid haalt Doorschakelkring (50%), met geslaagd contact 77%." in lines
    assert not any("gemiddelde cijfer" in line for line in lines)


def test_the_staffing_advice_is_a_weekday_by_hour_map_with_its_scale():
    page = to_html([outcome("bereik", 0.91, "a call transferred twice", STAFFING)], seed=0)
    heatmap = page[page.index("Posities nodig per weekdag en uur"):]
    assert "posities nodig" in heatmap[:200000]  # the colour bar's label
    assert all(day in heatmap for day in ("maandag", "vrijdag"))
    assert ">19,0<" in page and re.search(r">2,50<", page)  # the table beside it in Dutch figures
