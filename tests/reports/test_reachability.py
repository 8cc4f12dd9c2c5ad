"""Reachability per colleague by hour: a month written as the journeys Asterisk's events leave, counted by hand."""
import csv
import datetime as dt

import pytest

from bereik.records.journey import Journey, Step
from bereik.records.summary import summarise
from bereik.reports.figures import compute
from bereik.reports.reachability import outcome
from bereik.reports.render import to_html, write_csv
from bereik.reports.schema import HourReach, ReportRequest
from tests.examples import example_config

CONFIG = example_config()
ZONE = CONFIG.zone
EVA_DIRECT, GIJS = "0235115301", "303"


def at(day: int, hour: int, minute: int = 0) -> float:
    return dt.datetime(2026, 10, day, hour, minute, tzinfo=ZONE).timestamp()


def direct(call_id: str, start: float, person: str, how: str, dialled: str = EVA_DIRECT) -> Journey:
    """A direct call as it went: answered by the person (on desk or mobile), by the substitute, fell back
    (why), or the caller hung up while it rang."""
    labels = {"tried": person, "department": "vergunningen"}
    steps = [Step(start, "entered", {"channel": "PJSIP/trunk-1"}), Step(start + 0.5, "answered")]
    rang = lambda to: Step(start + 1, "rang", {"to": to})
    if how in ("answered", "on_mobile"):
        labels["tried_via"] = "mobile" if how == "on_mobile" else ""
        steps += [rang(person), Step(start + 8, "ring_ended", {"to": person, "status": "ANSWER"})]
    elif how == "substitute":
        labels["tried_via"] = "302"
        steps += [rang("302"), Step(start + 9, "ring_ended", {"to": "302", "status": "ANSWER"})]
    elif how == "gave_up":
        steps += [rang(person)]
    else:  # fell back: noanswer, unavailable, busy, absent, dnd
        labels["failed"] = how
        if how in ("noanswer", "busy"):
            steps += [rang(person), Step(start + 21, "ring_ended", {"to": person, "status": how.upper()})]
        steps += [Step(start + 25, "queued", {"queue": "tic", "tried": person, "failed": how})]
    steps.append(Step(start + 60, "hung_up", {}))
    journey = Journey(call_id, caller_number="0611111111", dialled=dialled, labels=labels)
    journey.steps, journey.ended = steps, True
    return journey


MONTH = [
    direct("a", at(5, 9), "301", "answered"), direct("b", at(6, 9, 30), "301", "on_mobile"),
    direct("c", at(5, 10), "301", "gave_up"),
    direct("d", at(5, 14), "301", "answered"), direct("e", at(6, 14), "301", "noanswer"),
    direct("f", at(7, 14), "301", "noanswer"), direct("g", at(8, 14, 30), "301", "unavailable"),
    direct("h", at(9, 15), "301", "absent"), direct("i", at(12, 15), "301", "substitute"),
    direct("j", at(13, 16), "301", "busy"),
    direct("k", at(5, 11), GIJS, "answered", dialled=GIJS),
    direct("l", at(6, 11), GIJS, "dnd", dialled=GIJS),
]


def report():
    rows = sorted((summarise(j, ZONE, frozenset({CONFIG.number})) for j in MONTH), key=lambda r: r.started_at)
    return compute(rows, CONFIG, ReportRequest.month("2026-10"))


@pytest.mark.parametrize(("how", "kind"), [
    ("answered", "reached"), ("on_mobile", "reached"), ("substitute", "covered"), ("absent", "covered"),
    ("dnd", "covered"), ("noanswer", "unannounced"), ("unavailable", "unannounced"), ("busy", "busy"),
    ("gave_up", "gave_up"),
])
def test_how_a_direct_call_counts_for_the_person(how, kind):
    assert outcome(summarise(direct("x", at(5, 9), "301", how), ZONE)) == kind


def test_per_person_by_hour_counted_by_hand():
    eva, gijs = report().reachability
    assert (eva.person, eva.name, eva.department) == ("301", "Eva Smit", "Vergunningen")
    assert {h.hour: h for h in eva.hours} == {
        9: HourReach(hour=9, calls=2, reached=2), 10: HourReach(hour=10, calls=1, gave_up=1),
        14: HourReach(hour=14, calls=4, reached=1, unannounced=3), 15: HourReach(hour=15, calls=2, covered=2),
        16: HourReach(hour=16, calls=1, busy=1)}
    assert (eva.total.calls, eva.total.reached, eva.total.expected) == (10, 3, 8)
    # Afternoon: 7 calls, 2 arranged for, 1 of the other 5 answered. Morning: 2 of 3: no pattern.
    assert eva.signal == ("in de middag niet bereikbaar (1 van 5 opgenomen); "
                          "3× niet opgenomen zonder afwezigheid, doorschakeling of niet storen")
    assert (gijs.person, gijs.total.reached, gijs.total.covered, gijs.signal) == ("303", 1, 1, "")


def test_one_missed_call_is_no_pattern_and_a_colleague_nobody_called_is_not_listed():
    rows = [summarise(direct("x", at(5, 14), "301", "noanswer"), ZONE)]
    [eva] = compute(rows, CONFIG, ReportRequest.month("2026-10")).reachability
    assert eva.signal == "1× niet opgenomen zonder afwezigheid, doorschakeling of niet storen"


def test_the_page_shows_the_hours_in_colour_and_words_and_the_csv_per_hour(tmp_path):
    month = report()
    page = to_html(month)
    assert "Bereikbaarheid per persoon per uur" in page
    assert "in de middag niet bereikbaar (1 van 5 opgenomen)" in page
    assert '<td class="grade grade-low">1/4</td>' in page  # 14:00, in the colour of a poor grade
    assert '<td class="grade grade-ok">2/2</td>' in page and "<td>afgemeld</td>" in page
    [path] = [p for p in write_csv(month, tmp_path, "oktober") if p.name == "oktober-per-persoon-per-uur.csv"]
    rows = list(csv.reader(path.open(encoding="utf-8-sig"), delimiter=";"))
    assert rows[0][:5] == ["toestel", "naam", "afdeling", "uur", "gesprekken"]
    assert ["301", "Eva Smit", "Vergunningen", "14", "4", "1", "0", "0", "3", "0"] in rows
