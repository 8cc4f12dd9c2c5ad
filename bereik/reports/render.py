"""A report as an HTML page (templates/report.html: charts as inline SVG, its stylesheet beside it, no
internet needed), CSV and JSON."""
from __future__ import annotations

import csv
from pathlib import Path

from bereik import pages
from bereik.reports import charts
from bereik.reports.schema import PARAMETERS, AgentFigures, Bucket, Figure, Report, TargetFigures

STYLESHEET = "report.css"

_WORDS = {
    "nl": {
        "title": "Telefonische bereikbaarheid gemeente {municipality}",
        "period": "Periode {start} tot en met {end}; {calls} gesprekken.",
        "server": "Alleen de gesprekken van server {server}.",
        "front": "Klantcontactcentrum (KCC)",
        "back": "Afdelingen en personen",
        "parameter": "Parameter", "value": "Resultaat", "norm": "Norm", "grade": "Cijfer", "count": "Aantal",
        "how": "Zo geteld",
        "no_data": "geen gegevens", "no_norm": "geen norm",
        "average": "Gemiddeld rapportcijfer: {grade}",
        "average_none": "Nog geen rapportcijfer: geen enkele parameter met een norm heeft gegevens.",
        "by_hour": "Per uur van de dag", "by_weekday": "Per dag van de week", "by_agent": "Per medewerker",
        "by_target": "Per afdeling en persoon (rechtstreekse gesprekken)", "number": "Nummer", "name": "Naam",
        "calls": "Gesprekken", "direct": "Direct bereikt", "fallback": "Terugval naar het KCC",
        "key": "", "offered": "Aangeboden", "answered": "Opgenomen", "within_20s": "Binnen 20 s",
        "within_norm": "Binnen {norm} s", "abandoned": "Opgehangen", "asa": "Gem. wachttijd (s)",
        "agent": "Medewerker", "talk": "Gem. gesprekstijd (s)", "transfers": "Doorverbonden",
        "transfer_time": "Gem. doorverbindtijd (s)",
        "chart_hour": "Aangeboden gesprekken en deel binnen 20 s opgenomen, per uur",
        "chart_weekday": "Aangeboden gesprekken en deel binnen 20 s opgenomen, per weekdag",
        "share_axis": "binnen 20 s", "grades": "Hoe het rapportcijfer wordt bepaald",
        "grades_text": (
            "Elke parameter met een norm krijgt een rapportcijfer van 1 tot 10. Voor een percentage is de "
            "verhouding resultaat gedeeld door norm, voor een tijd norm gedeeld door resultaat (sneller is beter). "
            "Het cijfer is dat van de hoogste band die de verhouding haalt. Telan publiceert zijn formule niet; "
            "deze banden geven de cijfers van de meting in Haarlem (2019) terug. Het gemiddelde is het gemiddelde "
            "van de cijfers van de parameters met gegevens. De banden staan in de YAML onder reports.grade_bands."),
        "ratio": "Verhouding minstens", "share_kind": "percentages", "seconds_kind": "tijden",
    },
    "en": {
        "title": "Telephone reachability, municipality of {municipality}",
        "period": "Period {start} to {end} inclusive; {calls} calls.",
        "server": "Only the calls of server {server}.",
        "front": "Front office",
        "back": "Departments and persons",
        "parameter": "Parameter", "value": "Result", "norm": "Norm", "grade": "Grade", "count": "Count",
        "how": "Counted as",
        "no_data": "no data", "no_norm": "no norm",
        "average": "Average grade: {grade}",
        "average_none": "No grade yet: no parameter with a norm has data.",
        "by_hour": "By hour of the day", "by_weekday": "By weekday", "by_agent": "By agent",
        "by_target": "By department and person (direct calls)", "number": "Number", "name": "Name",
        "calls": "Calls", "direct": "Reached directly", "fallback": "Fell back to the front office",
        "key": "", "offered": "Offered", "answered": "Answered", "within_20s": "Within 20 s",
        "within_norm": "Within {norm} s", "abandoned": "Abandoned", "asa": "Avg. wait (s)",
        "agent": "Agent", "talk": "Avg. talk time (s)", "transfers": "Transferred",
        "transfer_time": "Avg. transfer time (s)",
        "chart_hour": "Calls offered and share answered within 20 s, by hour",
        "chart_weekday": "Calls offered and share answered within 20 s, by weekday",
        "share_axis": "within 20 s", "grades": "How the grade is given",
        "grades_text": (
            "Each parameter with a norm gets a grade from 1 to 10. For a share the ratio is result over norm, "
            "for a time norm over result (faster is better). The grade is that of the highest band the ratio "
            "reaches. Telan does not publish its formula; these bands reproduce the grades of Haarlem's 2019 "
            "measurement. The average is over the parameters with data. The bands are in the YAML under "
            "reports.grade_bands."),
        "ratio": "Ratio at least", "share_kind": "shares", "seconds_kind": "times",
    },
}

_HOW = {"nl": {p.id: p.how_nl for p in PARAMETERS}, "en": {p.id: p.how_en for p in PARAMETERS}}


def _value(figure: Figure, words: dict) -> str:
    if figure.value is None:
        return words["no_data"]
    return f"{figure.value:.0%}" if figure.kind == "share" else f"{figure.value:.0f} s"


def _norm(figure: Figure, words: dict) -> str:
    if figure.norm is None:
        return words["no_norm"]
    return f"{figure.norm:.0%}" if figure.kind == "share" else f"{figure.norm:.0f} s"


def _chart(buckets: list[Bucket], title: str, share_label: str, count_label: str) -> str:
    """Bars of calls offered and a line of the share within 20 s."""
    return charts.bars_and_share([b.key for b in buckets], [b.offered for b in buckets],
                                 [b.within_20s / b.offered if b.offered else 0 for b in buckets],
                                 title, count_label, share_label)


def _bucket_rows(buckets: list[Bucket]) -> list[list[str]]:
    return [[b.key, str(b.offered), str(b.answered), str(b.within_20s), str(b.within_norm), str(b.abandoned),
             _num(b.average_speed_of_answer)] for b in buckets]


def to_html(report: Report, stylesheet: str = STYLESHEET) -> str:
    """`stylesheet`: where the page finds report.css (beside the file; a static route when served)."""
    words = _WORDS[report.language]
    grade = report.average_grade
    if grade is not None:
        grade = f"{grade:.1f}".replace(".", ",") if report.language == "nl" else f"{grade:.1f}"
    sections = [
        (section, [[f.label, _value(f, words), _norm(f, words), "" if f.grade is None else str(f.grade), str(f.count),
                    _HOW[report.language][f.id].replace("reports.answer_seconds", f"{report.answer_seconds} s")]
                   for f in report.figures if f.section == section])
        for section in ("front", "back")]
    buckets = [(key, title, _chart(found, title, words["share_axis"], words["offered"].lower()) if found else None,
                _bucket_rows(found))
               for key, title, found in (("by_hour", words["chart_hour"], report.by_hour),
                                         ("by_weekday", words["chart_weekday"], report.by_weekday))]
    return pages.render(
        "report.html", lang=report.language, w=words, stylesheet=stylesheet, report=report,
        title=words["title"].format(municipality=report.municipality),
        period=words["period"].format(start=report.start, end=report.end, calls=report.calls),
        grade=words["average"].format(grade=grade) if grade is not None else words["average_none"],
        sections=sections, buckets=buckets,
        bucket_headers=["", words["offered"], words["answered"], words["within_20s"],
                        words["within_norm"].format(norm=report.answer_seconds), words["abandoned"], words["asa"]],
        targets=[[t.target, t.name, str(t.calls), _share(t.direct_reachability, words),
                  _share(t.fallback_share, words)] for t in report.by_target],
        agents=[[a.agent, str(a.answered), str(a.within_20s), _num(a.average_speed_of_answer),
                 _num(a.average_talk_seconds), str(a.transfers), _num(a.average_transfer_seconds)]
                for a in report.by_agent],
        bands=[(kind, [[f"{ratio:.2f}", str(g)] for ratio, g in report.grade_bands[kind]])
               for kind in ("share", "seconds")])


def _share(value: float | None, words: dict) -> str:
    return words["no_data"] if value is None else f"{value:.0%}"


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:.0f}"


def to_json(report: Report) -> str:
    return report.model_dump_json(indent=2)


def write_csv(report: Report, directory: Path, stem: str) -> list[Path]:
    """One CSV per table: the parameters, per hour, per weekday, per agent, per person or department."""
    tables = {
        "parameters": (["id", "label", "value", "norm", "grade", "count"],
                       [[f.id, f.label, f.value, f.norm, f.grade, f.count] for f in report.figures]),
        "per-hour": (list(Bucket.model_fields), [list(b.model_dump().values()) for b in report.by_hour]),
        "per-weekday": (list(Bucket.model_fields), [list(b.model_dump().values()) for b in report.by_weekday]),
        "per-agent": (list(AgentFigures.model_fields), [list(a.model_dump().values()) for a in report.by_agent]),
        "per-target": (list(TargetFigures.model_fields), [list(t.model_dump().values()) for t in report.by_target]),
    }
    paths = []
    for name, (header, rows) in tables.items():
        path = directory / f"{stem}-{name}.csv"
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows(["" if v is None else v for v in row] for row in rows)
        paths.append(path)
    return paths


def write_all(report: Report, directory: Path, stem: str) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    page = directory / f"{stem}.html"
    page.write_text(to_html(report), encoding="utf-8")
    pages.copy_static(STYLESHEET, directory)
    data = directory / f"{stem}.json"
    data.write_text(to_json(report), encoding="utf-8")
    return [page, data, *write_csv(report, directory, stem)]
