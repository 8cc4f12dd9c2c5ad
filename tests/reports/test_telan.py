"""Every Telan parameter, for the whole, per department and per person, against months computed by hand.

Each case is a handful of calls written as Asterisk's events would leave them (journey steps), the
period they fall in, and the figures a person with pencil and paper gets from them.
"""
import csv
import datetime as dt

import pytest
from babel.numbers import parse_decimal

from bereik.callbacks.store import CALLED_BACK, Note
from bereik.records.journey import Journey, Step
from bereik.records.summary import summarise
from bereik.reports.figures import callback_outcomes, compute
from bereik.reports.render import to_html, write_csv
from bereik.reports.schema import ReportRequest
from tests.examples import example_config

CONFIG = example_config()
ZONE = CONFIG.zone
TRUNK = "PJSIP/trunk-0000001"
EVA, FEMKE, GIJS = "301", "302", "303"


def local(*args, fold: int = 0) -> float:
    return dt.datetime(*args, tzinfo=ZONE, fold=fold).timestamp()


def call(call_id: str, at: float, dialled: str, steps: list, caller: str = "0611111111", **labels) -> Journey:
    journey = Journey(call_id, caller_number=caller, dialled=dialled, labels=dict(labels))
    journey.steps = [Step(at, "entered", {"channel": TRUNK}), Step(at + 0.5, "answered")]
    journey.steps += [Step(at + offset, what, detail) for offset, what, detail in steps]
    journey.ended = True
    return journey


def direct(call_id, at, person, *, answered, caller="0611111111", tic_answers=False, dialled=None):
    """A call to a colleague's direct number: answered after 8 s, or falling back after 20 s to the TIC."""
    number = dialled or CONFIG.person(person).direct
    if answered:
        steps = [(1, "rang", {"to": person}), (8, "ring_ended", {"status": "ANSWER"}), (120, "hung_up", {})]
    else:
        steps = [(1, "rang", {"to": person}), (21, "ring_ended", {"status": "NOANSWER"}),
                 (25, "queued", {"queue": "tic", "tried": person, "failed": "noanswer"})]
        steps += [(35, "agent_answered", {"agent": "Anna"}), (200, "hung_up", {})] if tic_answers else \
            [(95, "abandoned", {}), (95, "hung_up", {})]
    department = CONFIG.department_of(person)
    return call(call_id, at, number, steps, caller=caller, tried=person, department=department.id if department else "")


def front(call_id, at, *, transfers=(), caller="0622222222", topic="afval", wait=10):
    """A call to 14023 answered by Anna after `wait` s in the queue; `transfers`: (target, search s, answered
    after s or None) in order, each starting `search` s after the answer or the previous try's end."""
    steps = [(10, "queued", {"queue": "tic"}), (10 + wait, "agent_answered", {"agent": "Anna"})]
    t = 10 + wait
    for target, search, answered in transfers:
        t += search
        steps.append((t, "transfer_started", {"target": target}))
        if answered is not None:
            steps.append((t + answered, "transfer_answered", {"target": target}))
            t += answered
            steps.append((t + 15, "transfer_ended", {"target": target, "outcome": "completed"}))
        else:
            t += 20
            steps.append((t, "transfer_ended", {"target": target, "outcome": "no_answer"}))
    steps.append((t + 60, "hung_up", {}))
    return call(call_id, at, "14023", steps, caller=caller, topic=topic, reason="menu_choice")


def refused(call_id, at):
    journey = Journey(call_id, caller_number="0633333333", dialled="14023")
    journey.steps = [Step(at, "entered", {"channel": TRUNK}), Step(at + 0.1, "hung_up", {"code": "17"})]
    journey.ended = True
    return journey


def note(key, number, created, due, done):
    return Note(key=key, number=number, name="", question="?", team="vergunningen", created_at=created,
                due_at=due, created_by="anna", closed_at=done, answered_at=done,
                outcome=CALLED_BACK if done else "")  # called back, the caller answered at `done`


def report_of(journeys, month="2026-10", notes=(), earlier=(), now=None):
    request = ReportRequest.month(month)
    start, end = request.bounds(ZONE)
    rows = sorted((summarise(j, ZONE, frozenset({CONFIG.number})) for j in journeys), key=lambda r: r.started_at)
    inside = [r for r in rows if start <= r.started_at < end]
    before = [summarise(j, ZONE, frozenset({CONFIG.number})) for j in earlier]
    outcomes = callback_outcomes(notes, now or dt.datetime(2026, 11, 15, tzinfo=ZONE), (start, end))
    return compute(inside, CONFIG, request, outcomes, before)


def value(figures, parameter):
    return next((f.value, f.count) for f in figures if f.id == parameter)


def group(report, kind, key):
    return next(g for g in getattr(report, kind) if g.id == key)


OCT = lambda day, hour, minute=0: local(2026, 10, day, hour, minute)

CASES = {
    # Eva: 3 direct calls, 2 answered; 1 falls back and the TIC takes it. Gijs (via the department number): 1,
    # falls back, abandons in the queue. Femke: none direct. WMO has no calls at all.
    "direct calls and fallbacks": (
        [direct("a", OCT(5, 9), EVA, answered=True), direct("b", OCT(5, 10), EVA, answered=True),
         direct("c", OCT(6, 9), EVA, answered=False, tic_answers=True),
         direct("d", OCT(7, 9), GIJS, answered=False, dialled="0235115300")],
        {
            ("whole", None): {"direct_reachability": (0.5, 4), "fallback_share": (0.5, 4),
                              # a, b direct; c handled by the TIC; d abandoned: 3 of 4
                              "successful_contact": (0.75, 4), "technical_reachability": (1.0, 4)},
            ("by_department", "vergunningen"): {"direct_reachability": (0.5, 4), "successful_contact": (0.75, 4)},
            ("by_department", "wmo"): {p: (None, 0) for p in (
                "direct_reachability", "fallback_share", "indirect_reachability", "transfer_seconds",
                "wait_after_transfer_seconds", "callbacks_on_time", "successful_contact", "technical_reachability",
                "repeat_calls")},
            ("by_person", EVA): {"direct_reachability": (round(2 / 3, 4), 3), "successful_contact": (1.0, 3)},
            ("by_person", GIJS): {"direct_reachability": (0.0, 1), "fallback_share": (1.0, 1),
                                  "successful_contact": (0.0, 1)},
            ("by_person", FEMKE): {"direct_reachability": (None, 0)},
        },
    ),
    # One call transferred twice: to Eva (not answered; search 30 s, wait 20 s), then to Femke (search 10 s
    # after Eva's try ended, answered after 5 s). Another transferred once to Femke, answered after 12 s.
    "a call transferred twice": (
        [front("t2", OCT(12, 10), transfers=[(EVA, 30, None), (FEMKE, 10, 5)]),
         front("t1", OCT(12, 11), transfers=[(FEMKE, 40, 12)], caller="0644444444")],
        {
            ("whole", None): {"indirect_reachability": (round(2 / 3, 4), 3),
                              "transfer_seconds": (round((30 + 10 + 40) / 3, 1), 3),
                              "wait_after_transfer_seconds": (round((20 + 5 + 12) / 3, 1), 3),
                              "successful_contact": (1.0, 2), "direct_reachability": (None, 0)},
            ("by_person", EVA): {"indirect_reachability": (0.0, 1), "transfer_seconds": (30.0, 1),
                                 # the call was for Eva first; Femke of her department took it
                                 "successful_contact": (1.0, 1)},
            ("by_person", FEMKE): {"indirect_reachability": (1.0, 2), "wait_after_transfer_seconds": (8.5, 2),
                                   "successful_contact": (1.0, 1)},
            ("by_department", "vergunningen"): {"indirect_reachability": (round(2 / 3, 4), 3)},
        },
    ),
    # October 2026 ends on the night summer time ends (25th): a call at 02:30 in the repeated hour, one at 23:30
    # on the 31st (22:30 UTC) and one at 00:30 on 1 November (23:30 UTC on the 31st) which is not October's.
    "a month across the daylight-saving change": (
        [direct("dst1", local(2026, 10, 25, 2, 30, fold=1), EVA, answered=True),
         direct("dst2", OCT(31, 23, 30), EVA, answered=False, tic_answers=True),
         direct("nov", local(2026, 11, 1, 0, 30), EVA, answered=True)],
        {("whole", None): {"direct_reachability": (0.5, 2), "successful_contact": (1.0, 2)}},
    ),
    # A caller who calls three times in a week (the first on 28 September), another once; one call refused.
    "repeat calls and technical reachability": (
        [direct("r1", OCT(2, 9), EVA, answered=False, tic_answers=True, caller="0655555555"),
         direct("r2", OCT(9, 9), EVA, answered=True, caller="0655555555"),  # 7 days later: a repeat
         direct("r3", OCT(20, 9), EVA, answered=True, caller="0666666666"),
         refused("busy", OCT(20, 10))],
        {("whole", None): {"repeat_calls": (0.5, 4),  # r1 (after 28 Sep) and r2
                           "technical_reachability": (0.75, 4)},
         ("by_person", EVA): {"repeat_calls": (round(2 / 3, 4), 3), "technical_reachability": (1.0, 3)}},
    ),
}
EARLIER = [direct("sep", local(2026, 9, 28, 9), EVA, answered=True, caller="0655555555")]


@pytest.mark.parametrize("case", list(CASES))
def test_figures_match_the_month_computed_by_hand(case):
    journeys, expected = CASES[case]
    report = report_of(journeys, earlier=EARLIER)
    for (kind, key), figures in expected.items():
        got = report.figures if kind == "whole" else group(report, kind, key).figures
        for parameter, want in figures.items():
            assert value(got, parameter) == want, (case, kind, key, parameter)


def test_a_department_without_calls_says_geen_gegevens_and_has_no_grade():
    report = report_of(CASES["direct calls and fallbacks"][0])
    wmo = group(report, "by_department", "wmo")
    assert wmo.attempts == 0 and all(f.grade is None for f in wmo.figures)
    page = to_html(report)
    row = page[page.index(">Zorg en WMO<"):].split("</tr>")[0]
    assert row.count("geen gegevens") == len(wmo.figures)


def test_call_backs_count_for_successful_contact_when_kept_on_time():
    """Two fallen-back calls for which the TIC took a note (console, same number, minutes after the call):
    one kept on time, one late; a third asked for a call-back in the queue that is still within its term."""
    c1 = direct("n1", OCT(14, 9), EVA, answered=False, tic_answers=True, caller="0677777771")
    c2 = direct("n2", OCT(14, 10), EVA, answered=False, tic_answers=True, caller="0677777772")
    c3 = direct("n3", OCT(30, 16), EVA, answered=False, tic_answers=False, caller="0677777773")
    for journey in (c1, c2):
        journey.steps.insert(-1, Step(journey.steps[-1].at - 10, "callback_requested", {"via": "note"}))
    c3.steps.insert(-2, Step(c3.steps[-2].at - 5, "callback_requested", {"via": "queue"}))
    when = lambda moment: dt.datetime.fromtimestamp(moment, ZONE)
    notes = [
        note("console-n1-form", "0677777771", when(OCT(14, 9, 5)), when(OCT(16, 9)), when(OCT(15, 11))),
        note("console-n2-form", "0677777772", when(OCT(14, 10, 5)), when(OCT(16, 10)), when(OCT(19, 11))),
        note("queue-n3", "0677777773", when(OCT(30, 16, 1)), when(local(2026, 11, 3, 16)), None),
    ]
    report = report_of([c1, c2, c3], notes=notes, now=dt.datetime(2026, 11, 1, 9, tzinfo=ZONE))
    assert value(report.figures, "successful_contact") == (0.5, 2)  # n1 yes, n2 no, n3 not yet judged
    assert (report.contact.called_back, report.contact.failed, report.contact.pending) == (1, 1, 1)
    assert value(report.figures, "callbacks_on_time") == (0.5, 2)  # the two due in October
    assert value(group(report, "by_department", "vergunningen").figures, "callbacks_on_time") == (0.5, 2)


def test_call_backs_on_time_per_person_are_judged_by_the_answered_call_back_not_by_closing():
    """Eva owns two notes due in October: one the caller answered before its deadline, one she closed by
    e-mail in time. Only the first is kept, for her and her department (Telan: the real outgoing call)."""
    when = lambda moment: dt.datetime.fromtimestamp(moment, ZONE)
    kept = note("console-p1", "0677777781", when(OCT(12, 9)), when(OCT(14, 9)), when(OCT(13, 10)))
    mailed = Note(**{**note("console-p2", "0677777782", when(OCT(12, 10)), when(OCT(14, 10)), None).__dict__,
                     "closed_at": when(OCT(12, 11)), "closed_by": "evasmit", "outcome": "handled",
                     "close_reason": "beantwoord per e-mail"})
    notes = [Note(**{**n.__dict__, "owner": EVA}) for n in (kept, mailed)]
    report = report_of([], notes=notes, now=dt.datetime(2026, 11, 1, 9, tzinfo=ZONE))
    assert value(group(report, "by_person", EVA).figures, "callbacks_on_time") == (0.5, 2)
    assert value(group(report, "by_department", "vergunningen").figures, "callbacks_on_time") == (0.5, 2)
    assert value(report.figures, "callbacks_on_time") == (0.5, 2)


def test_per_menu_option_and_per_number():
    calls = [front("o1", OCT(5, 9), topic="afval", wait=5), front("o2", OCT(5, 10), topic="afval", wait=40),
             front("o3", OCT(5, 11), topic="zorg", wait=12), refused("x", OCT(5, 12)),
             direct("d", OCT(5, 13), EVA, answered=True)]
    report = report_of(calls)
    options = {o.topic: o for o in report.by_option}
    assert (options["afval"].chosen, options["afval"].share, options["afval"].within_20s) == (2, round(2 / 3, 4), 1)
    assert options["afval"].average_speed_of_answer == 22.5
    assert (options["zorg"].chosen, options["belastingen"].chosen) == (1, 0)
    numbers = {n.number: n for n in report.by_number}
    assert (numbers["14023"].calls, numbers["14023"].refused, numbers["14023"].reached) == (4, 1, 3)
    assert numbers["14023"].name == "Klantcontactcentrum" and numbers["0235115301"].name == "Eva Smit"


def test_the_csv_reads_in_a_dutch_locale(tmp_path):
    report = report_of(CASES["direct calls and fallbacks"][0])
    paths = write_csv(report, tmp_path, "oktober")
    with open(tmp_path / "oktober-parameters.csv", encoding="utf-8") as handle:
        assert handle.read(1) == "\ufeff"  # Excel reads UTF-8 only with its byte-order mark
    with open(tmp_path / "oktober-parameters.csv", encoding="utf-8-sig", newline="") as handle:
        rows = {r["id"]: r for r in csv.DictReader(handle, delimiter=";")}
    assert parse_decimal(rows["successful_contact"]["resultaat (% of s)"], locale="nl_NL") == 75
    assert parse_decimal(rows["direct_reachability"]["norm"], locale="nl_NL") == 80
    with open(tmp_path / "oktober-per-persoon.csv", encoding="utf-8-sig", newline="") as handle:
        eva = [r for r in csv.DictReader(handle, delimiter=";") if r["wie"] == EVA]
    direct_row = next(r for r in eva if r["parameter"] == "Directe bereikbaarheid")
    assert float(parse_decimal(direct_row["resultaat (% of s)"], locale="nl_NL")) == pytest.approx(66.7)
    assert len(paths) == 9


def test_dutch_figures_and_one_name_for_the_front_office():
    calls = [front(f"f{n}", OCT(1 + n % 28, 9) + n, caller=f"06{n:08d}") for n in range(1234)]
    page = to_html(report_of(calls))
    assert "1 t/m 31 oktober 2026: 1.234 gesprekken van buiten." in page
    assert "KCC" not in page and "TIC" not in page
    assert "Terugval naar Klantcontactcentrum" in page and "Gemiddelde wachttijd tot opnemen" in page
    assert "snelheid van opnemen" not in page


def test_an_empty_month_says_geen_gegevens_instead_of_a_grade():
    report = report_of([])
    page = to_html(report)
    assert report.average_grade is None and "Rapportcijfer: geen gegevens" in page
    assert "Gemiddeld rapportcijfer" not in page  # not "1,0"
    assert 'class="grade grade-' not in page.split("Hoe het rapportcijfer")[0]  # no figure has a grade


def test_calls_cut_off_with_their_node_are_counted_and_said_but_no_caller_gave_up():
    """Two callers waiting when their node died (closed by a surviving bereik, bereik.records.lost), one who gave
    up: the abandoned share counts only the one who hung up; the page says how many were cut off."""
    lost = [call(f"lost{n}", OCT(6, 9, n), "14023", [(10, "queued", {"queue": "tic"}),
                                                     (60, "hung_up", {"from": "node_lost", "node": "noord"})])
            for n in (1, 2)]
    gave_up = call("gone", OCT(6, 10), "14023", [(10, "queued", {"queue": "tic"}), (70, "abandoned", {}),
                                                 (70, "hung_up", {})])
    report = report_of([*lost, gave_up, front("ok", OCT(6, 11))])
    assert (report.calls, report.cut_off_calls) == (4, 2)
    assert value(report.figures, "abandoned") == (0.25, 4)
    assert "2 gesprekken werden afgebroken doordat de server die ze droeg uitviel" in to_html(report)
    assert "afgebroken" not in to_html(report_of([gave_up]))
