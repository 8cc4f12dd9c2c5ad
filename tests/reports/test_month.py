"""A generated October 2026 whose figures are known by construction.

Every weekday (22 in October 2026), 09:00-17:00, four callers an hour join the TIC queue:
at :00 Anna answers after 5 s, at :15 Bert after 15 s, at :30 Anna after 25 s, and at :45
the caller gives up after 40 s. At 08:00-08:50 ten calls are dialled directly to Eva Smit:
six are answered there, four fall back to the TIC, where Anna answers after 5 s. The 09:00
call is transferred after 30 s and the colleague answers 10 s later; the 09:15 call is
transferred after 50 s and nobody answers in the 20 s before the caller hangs up.
"""
import csv
import datetime as dt
import json
from pathlib import Path

import pytest

from bereik.records.journey import Journey, JourneyBook, Step
from bereik.records.recorder import Recorder
from bereik.records.store import SqliteStore
from bereik.reports.figures import compute, from_store
from bereik.reports.render import to_html, write_all
from bereik.reports.schema import PARAMETERS, Report, ReportRequest
from tests.ami_facts import told
from tests.examples import example_config

from ..records.calls import front_office_call

CONFIG = example_config()
ZONE = CONFIG.zone
OCTOBER = ReportRequest.month("2026-10")
WEEKDAYS = [d for d in (dt.date(2026, 10, 1) + dt.timedelta(n) for n in range(31)) if d.weekday() < 5]


def at(day: dt.date, hour: int, minute: int) -> float:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZONE).timestamp()


def direct_call(call_id: str, start: float, answered: bool) -> Journey:
    journey = Journey(call_id, caller_number="0687654321", dialled="0235115301")  # Eva Smit's direct number
    # As Asterisk reports it: the dialplan answers at once, then rings Eva.
    if answered:
        steps = [(0, "entered"), (0.5, "answered"), (1, "rang"), (8, "ring_ended", {"status": "ANSWER"}),
                 (100, "hung_up")]
    else:
        steps = [(0, "entered"), (0.5, "answered"), (1, "rang"), (20, "ring_ended", {"status": "NOANSWER"}),
                 (20, "fallback"), (22, "queued", {"queue": "tic"}), (27, "agent_answered", {"agent": "Anna"}),
                 (120, "hung_up")]
    for offset, what, *detail in steps:
        journey.steps.append(Step(start + offset, what, detail[0] if detail else {}))
    journey.ended = True
    return journey


def month_of_calls() -> list[Journey]:
    journeys = []
    book = JourneyBook()
    for day in [dt.date(2026, 9, 30), *WEEKDAYS, dt.date(2026, 11, 1)]:  # two days outside the month
        for hour in range(9, 17):
            for minute, agent, wait, talk in ((0, "Anna", 5, 120), (15, "Bert", 15, 70), (30, "Anna", 25, 60),
                                              (45, None, 40, 0)):
                call_id = f"{day}-{hour}-{minute}"
                for event in front_office_call(call_id, at(day, hour, minute), wait=wait, agent=agent, talk=talk):
                    told(book, event)
                journey = book.journeys[call_id]
                answer = journey.first("agent_answered")
                if hour == 9 and minute == 0:
                    journey.steps += [Step(answer.at + 30, "transfer_started"), Step(answer.at + 40, "transfer_answered")]
                if hour == 9 and minute == 15:
                    journey.steps.append(Step(answer.at + 50, "transfer_started"))
                if agent and minute in (0, 15):  # the wrap-ups: Anna's :00 callers helped at once, Bert's not
                    journey.steps.append(Step(answer.at + talk + 10, "wrapped_up",
                                              {"topic": "Afval", "resolved": "yes" if minute == 0 else "no"}))
                journeys.append(journey)
        for n in range(10):
            journeys.append(direct_call(f"{day}-direct-{n}", at(day, 8, n * 5), answered=n < 6))
    return journeys


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Report:
    store = SqliteStore(tmp_path_factory.mktemp("month") / "calls.sqlite3")
    recorder = Recorder(store, ZONE, frozenset({CONFIG.number}))
    recorder.start()
    for journey in month_of_calls():
        recorder.record(journey)
    recorder.close()
    return from_store(store, CONFIG, OCTOBER)


def figure(report: Report, parameter: str):
    return next(f for f in report.figures if f.id == parameter)


def test_the_period_is_october_in_local_time_and_leaves_out_september_and_november(report):
    # 22 weekdays x (32 front-office calls + 10 direct calls)
    assert report.calls == 22 * 42
    assert (report.start, report.end) == (dt.date(2026, 10, 1), dt.date(2026, 10, 31))


def test_speed_of_answer_of_the_front_office(report):
    # Offered a day: 32 + 4 fallback = 36. Within 20 s: 16 + 4. Within 30 s: 24 + 4. Abandoned: 8.
    assert figure(report, "answered_within_20s").value == round(440 / 792, 4)
    assert figure(report, "answered_within_norm").value == round(616 / 792, 4)
    assert figure(report, "abandoned").value == round(176 / 792, 4)
    # Waits of the answered: (5 + 15 + 25) x 8 + 5 x 4 = 380 a day over 28 answered calls.
    assert figure(report, "average_speed_of_answer").value == round(380 / 28, 1)
    assert figure(report, "answered_within_20s").count == 792


def test_departments_and_persons(report):
    assert figure(report, "direct_reachability").value == 0.6
    assert figure(report, "fallback_share").value == 0.4
    assert figure(report, "indirect_reachability").value == 0.5
    assert figure(report, "transfer_seconds").value == 40  # (30 + 50) / 2
    assert figure(report, "wait_after_transfer_seconds").value == 15  # (10 + 20) / 2


def test_direct_calls_per_person(report):
    [eva] = report.by_target
    assert (eva.target, eva.name, eva.calls, eva.direct_reachability, eva.fallback_share) == (
        "0235115301", "Eva Smit", 220, 0.6, 0.4)
    assert "Eva Smit" in to_html(report)


def test_call_backs_are_not_invented_before_they_are_recorded(report):
    callbacks = figure(report, "callbacks_on_time")
    assert (callbacks.value, callbacks.count, callbacks.grade) == (None, 0, None)
    assert "geen gegevens" in to_html(report)


def test_grades_follow_the_bands_and_are_averaged(report):
    grades = {f.id: f.grade for f in report.figures}
    assert grades == {
        "answered_within_20s": 2,  # 55.6% of 80% = 0.69
        "answered_within_norm": 7,  # 77.8% of 80% = 0.97
        "average_speed_of_answer": 10,  # 30 s / 13.6 s
        "abandoned": None,  # no norm
        "direct_reachability": 3,  # 60% of 80% = 0.75
        "fallback_share": None,
        "indirect_reachability": 1,  # 50% of 90% = 0.56
        "transfer_seconds": 7,  # 30 s / 40 s = 0.75
        "wait_after_transfer_seconds": 10,
        "callbacks_on_time": None,
        "technical_reachability": 10,  # nothing refused: 100% of 90%
        # A day: 10 direct calls (6 answered, 4 taken by the front office after falling back) and 2 transferred
        # (one answered): 11 of 12, 92% of 90%.
        "successful_contact": 8,
        "repeat_calls": None,  # no norm
        "first_contact_resolution": None,  # no norm
    }
    assert report.average_grade == round(58 / 9, 1)


def test_first_contact_resolution_from_the_agents_wrap_ups(report):
    # A day: 24 answered in the queue (and 4 fallen back), 16 wrapped up, 8 of them helped at once.
    fcr = figure(report, "first_contact_resolution")
    assert (fcr.value, fcr.count) == (0.5, 22 * 16)
    assert fcr.label == "Direct geholpen (eerste contact)"


def test_by_hour_weekday_and_agent(report):
    hours = {b.key: b for b in report.by_hour}
    assert list(hours) == [f"{h:02d}:00" for h in range(8, 17)]
    assert (hours["08:00"].offered, hours["08:00"].within_20s) == (88, 88)
    assert (hours["10:00"].offered, hours["10:00"].answered, hours["10:00"].abandoned) == (88, 66, 22)
    days = {b.key: b.offered for b in report.by_weekday}
    assert days == {"maandag": 4 * 36, "dinsdag": 4 * 36, "woensdag": 4 * 36, "donderdag": 5 * 36,
                    "vrijdag": 5 * 36}
    agents = {a.agent: a for a in report.by_agent}
    assert agents["Anna"].answered == 22 * 20 and agents["Bert"].answered == 22 * 8
    assert (agents["Anna"].transfers, agents["Anna"].average_transfer_seconds) == (22, 30)
    assert agents["Bert"].average_talk_seconds == 70


def test_the_haarlem_2019_figures_get_their_published_grades():
    from bereik.reports.figures import grade

    bands = [tuple(b) for b in CONFIG.reports.grade_bands.share]
    times = [tuple(b) for b in CONFIG.reports.grade_bands.time]
    assert grade(0.82, 0.80, "share", bands) == 8  # KCC answered within 60 s
    assert grade(0.98, 0.90, "share", bands) == 9  # correct greeting
    assert grade(48, 30, "seconds", times) == 6  # transfer time
    assert grade(30, 30, "seconds", times) == 10  # wait after transfer


def test_an_empty_period_has_no_figures_and_no_grade():
    report = compute([], CONFIG, OCTOBER)
    assert all(f.value is None for f in report.figures) and report.average_grade is None
    assert "Rapportcijfer: geen gegevens" in to_html(report)


def test_html_csv_and_json_exports(report, tmp_path):
    paths = write_all(report, tmp_path, "bereik-2026-10")
    page = (tmp_path / "bereik-2026-10.html").read_text()
    # Two charts (hour, weekday) and one trend chart per parameter; nothing loaded from the internet.
    assert page.count("<svg") == 2 + len(PARAMETERS) and 'lang="nl"' in page and "http" not in page.split("<svg")[0]
    assert "Gemiddeld rapportcijfer: 6,4 (voldoende)" in page
    assert "1 t/m 31 oktober 2026: 924 gesprekken van buiten." in page
    assert Report.model_validate_json((tmp_path / "bereik-2026-10.json").read_text()) == report
    with open(tmp_path / "bereik-2026-10-parameters.csv", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    assert [r["id"] for r in rows] == [p.id for p in PARAMETERS]
    assert len(paths) == 2 + 9  # 9 CSV files: per person per hour too (issue 20)
    assert json.loads((tmp_path / "bereik-2026-10.json").read_text())["average_grade"] == 6.4


def test_a_period_is_whole_local_days():
    request = ReportRequest(start=dt.date(2026, 10, 25), end=dt.date(2026, 10, 25))  # DST ends that night
    start, end = request.bounds(ZONE)
    assert end - start == 25 * 3600
    with pytest.raises(ValueError):
        ReportRequest.month("2026-13")


def test_bereik_report_writes_the_month_from_the_store_in_the_yaml(report, tmp_path):
    from bereik.cli import main

    store = SqliteStore(tmp_path / "calls.sqlite3")
    recorder = Recorder(store, ZONE, frozenset({CONFIG.number}))
    recorder.start()
    for journey in month_of_calls()[:100]:
        recorder.record(journey)
    recorder.close()
    store.close()
    out = tmp_path / "out"
    code = main(["report", str(Path(__file__).parents[2] / "examples" / "bloemendaal.yaml"), "--month", "2026-10",
                 "--store", str(tmp_path / "calls.sqlite3"), "--out", str(out)])
    assert code == 0
    assert sorted(p.name for p in out.iterdir())[0] == "bereik-2026-10-parameters.csv"
    reversed_period = ["--from", "2026-10-02", "--to", "2026-10-01"]
    assert main(["report", str(Path(__file__).parents[2] / "examples" / "bloemendaal.yaml"), *reversed_period]) == 2
