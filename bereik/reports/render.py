"""A report as a self-contained HTML page (charts as inline SVG, no internet needed), CSV for Dutch Excel, and JSON.

Every figure is written as its reader expects it (bereik.reports.words): Dutch dates, decimal comma,
thousands separator. Every grade has its colour and its word; every chart a legend and the norm line.
"""
from __future__ import annotations

import csv
import html
from collections.abc import Sequence
from pathlib import Path

from markupsafe import Markup

from bereik import pages
from bereik.reports import charts, reachability
from bereik.reports import words as w
from bereik.reports.schema import PARAMETERS, Bucket, Figure, GroupFigures, Report

STYLESHEET = "report.css"

_WORDS = {
    "nl": {
        "title": "Telefonische bereikbaarheid gemeente {municipality}",
        "period": "{period}: {calls} gesprekken van buiten.",
        "inside": "{count} gesprekken van collega's onderling (van bureau naar bureau) tellen niet mee.",
        "server": "Alleen de gesprekken van server {server}.",
        "cut_off": "{count} gesprekken werden afgebroken doordat de server die ze droeg uitviel; ze tellen mee, "
                   "niet als beller die ophing.",
        "back": "Afdelingen en personen",
        "parameter": "Parameter", "value": "Resultaat", "norm": "Norm", "grade": "Cijfer", "count": "Aantal",
        "how": "Zo geteld",
        "no_data": "geen gegevens", "no_norm": "geen norm",
        "headline": "Geslaagde contactpogingen {success}, directe bereikbaarheid {direct}, binnen 20 seconden "
                    "opgenomen {within}.",
        "average": "Gemiddeld rapportcijfer: {grade}",
        "average_none": "Rapportcijfer: geen gegevens (geen parameter met een norm heeft gegevens deze periode).",
        "by_hour": "Per uur van de dag", "by_weekday": "Per dag van de week", "by_agent": "Per medewerker van {front}",
        "by_department": "Per afdeling", "by_person": "Per persoon", "department": "Afdeling", "person": "Persoon",
        "reach": "Bereikbaarheid per persoon per uur",
        "reach_text": "Per uur van de dag: hoeveel rechtstreekse gesprekken de collega opnam, van de gesprekken die "
                      "hij of zij kon opnemen. Gesprekken bij afwezigheid, doorschakeling naar een collega of niet "
                      "storen tellen niet mee ('afgemeld'); wie niet opnam zonder iets in te stellen, staat onder "
                      "'Opvallend'.",
        "attempts": "Pogingen",
        "by_target": "Per nummer (rechtstreekse gesprekken)", "number": "Nummer", "name": "Naam",
        "calls": "Gesprekken", "direct": "Direct bereikt", "fallback": "Terugval naar {front}",
        "offered": "Aangeboden", "answered": "Opgenomen", "within_20s": "Binnen 20 s",
        "put_through": "doorverbonden: {count}",
        "within_norm": "Binnen {norm} s", "abandoned": "Opgehangen", "asa": "Gem. wachttijd (s)",
        "agent": "Medewerker", "talk": "Gem. gesprekstijd (s)", "transfers": "Doorverbonden",
        "transfer_time": "Gem. doorverbindtijd (s)",
        "chart_hour": "Aangeboden gesprekken en deel binnen 20 s opgenomen, per uur",
        "chart_weekday": "Aangeboden gesprekken en deel binnen 20 s opgenomen, per weekdag",
        "share_axis": "binnen 20 s opgenomen", "norm_line": "norm {norm}",
        "grades": "Hoe het rapportcijfer wordt bepaald",
        "grades_text": (
            "Elke parameter met een norm krijgt een rapportcijfer van 1 tot 10. Voor een percentage is de "
            "verhouding resultaat gedeeld door norm (voor een percentage dat klein moet zijn, en voor een tijd, "
            "norm gedeeld door resultaat). Het cijfer is dat van de hoogste band die de verhouding haalt. Telan "
            "publiceert zijn formule niet; deze banden geven de cijfers van de meting in Haarlem (2019) terug. "
            "Rood: onvoldoende (lager dan 5,5); geel: matig; groen: voldoende of beter. Het gemiddelde is het "
            "gemiddelde van de cijfers van de parameters met gegevens. De banden staan in de YAML onder "
            "reports.grade_bands."),
        "ratio": "Verhouding minstens", "share_kind": "percentages", "seconds_kind": "tijden",
        "menu": "Opgehangen in het keuzemenu", "stage": "Vraag", "hung_up": "Opgehangen",
        "share_of_calls": "Deel van de gesprekken", "municipality": "Keuze van de gemeente", "menu_stage": "Menu",
        "by_option": "Per menukeuze", "key": "Toets", "topic": "Onderwerp", "chosen": "Gekozen",
        "share_chosen": "Deel van de keuzes",
        "by_number": "Per gekozen nummer", "refused": "Geweigerd (lijnen bezet)", "reached": "Bereikt",
        "fell_back": "Teruggevallen", "menu_left": "Opgehangen in het menu",
        "contact": "Hoe de gesprekken voor een collega afliepen",
        "contact_kinds": {"direct": "Direct bereikt", "via_front_office": "Via {front} doorverbonden en bereikt",
                          "called_back": "Op tijd teruggebeld", "front_office": "Door {front} zelf afgehandeld",
                          "failed": "Niet geslaagd", "pending": "Terugbellen nog binnen de termijn"},
        "trend": "Verloop: deze maand naast de drie ervoor",
        "trend_text": "Per parameter de laatste vier maanden; de stippellijn is de norm.",
        "this_month": "deze periode", "result": "resultaat",
    },
    "en": {
        "title": "Telephone reachability, municipality of {municipality}",
        "period": "{period}: {calls} calls from outside.",
        "inside": "{count} calls between colleagues (desk to desk) are not counted.",
        "server": "Only the calls of server {server}.",
        "cut_off": "{count} calls were cut off when the server carrying them was lost; they are counted, not as "
                   "callers who hung up.",
        "back": "Departments and persons",
        "parameter": "Parameter", "value": "Result", "norm": "Norm", "grade": "Grade", "count": "Count",
        "how": "Counted as",
        "no_data": "no data", "no_norm": "no norm",
        "headline": "Successful contact {success}, direct reachability {direct}, answered within 20 seconds {within}.",
        "average": "Average grade: {grade}",
        "average_none": "Grade: no data (no parameter with a norm has data this period).",
        "by_hour": "By hour of the day", "by_weekday": "By weekday", "by_agent": "By agent of {front}",
        "by_department": "By department", "by_person": "By person", "department": "Department", "person": "Person",
        "reach": "Reachability per person by hour",
        "reach_text": "By hour of the day: how many direct calls the colleague answered, of those they could "
                      "answer. Calls during an absence, a forward to a colleague or do-not-disturb do not count "
                      "('away'); missing calls with nothing set is listed under 'Notable'.",
        "attempts": "Attempts",
        "by_target": "By number (direct calls)", "number": "Number", "name": "Name",
        "calls": "Calls", "direct": "Reached directly", "fallback": "Fell back to {front}",
        "offered": "Offered", "answered": "Answered", "within_20s": "Within 20 s",
        "put_through": "put through: {count}",
        "within_norm": "Within {norm} s", "abandoned": "Abandoned", "asa": "Avg. wait (s)",
        "agent": "Agent", "talk": "Avg. talk time (s)", "transfers": "Transferred",
        "transfer_time": "Avg. transfer time (s)",
        "chart_hour": "Calls offered and share answered within 20 s, by hour",
        "chart_weekday": "Calls offered and share answered within 20 s, by weekday",
        "share_axis": "answered within 20 s", "norm_line": "norm {norm}",
        "grades": "How the grade is given",
        "grades_text": (
            "Each parameter with a norm gets a grade from 1 to 10. For a share the ratio is result over norm (for a "
            "share that should be small, and for a time, norm over result). The grade is that of the highest band "
            "the ratio reaches. Telan does not publish its formula; these bands reproduce the grades of Haarlem's "
            "2019 measurement. Red: insufficient (below 5.5); yellow: mediocre; green: sufficient or better. The "
            "average is over the parameters with data. The bands are in the YAML under reports.grade_bands."),
        "ratio": "Ratio at least", "share_kind": "shares", "seconds_kind": "times",
        "menu": "Hung up in the menu", "stage": "Question", "hung_up": "Hung up",
        "share_of_calls": "Share of calls", "municipality": "Choice of municipality", "menu_stage": "Menu",
        "by_option": "By menu option", "key": "Key", "topic": "Topic", "chosen": "Chosen",
        "share_chosen": "Share of choices",
        "by_number": "By number dialled", "refused": "Refused (lines busy)", "reached": "Reached",
        "fell_back": "Fell back", "menu_left": "Hung up in the menu",
        "contact": "How the calls for a colleague ended",
        "contact_kinds": {"direct": "Reached directly", "via_front_office": "Transferred by {front} and reached",
                          "called_back": "Called back on time", "front_office": "Handled by {front} itself",
                          "failed": "Not successful", "pending": "Call-back still within its term"},
        "trend": "Trend: this month beside the three before",
        "trend_text": "Each parameter over the last four months; the dashed line is the norm.",
        "this_month": "this period", "result": "result",
    },
}

_HOW = {"nl": {p.id: p.how_nl for p in PARAMETERS}, "en": {p.id: p.how_en for p in PARAMETERS}}


def _option_name(option, words: dict, language: str) -> str:
    """A menu option's topic, or the outside organisation it puts callers through to and how many stayed there."""
    if not option.organisation:
        return option.topic
    return f"{option.organisation} ({words['put_through'].format(count=w.count(option.put_through, language))})"


def _norm(figure: Figure, language: str) -> str:
    if figure.norm is None:
        return _WORDS[language]["no_norm"]
    return w.figure(figure.norm, figure.kind, language)


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    return matplotlib, pyplot


def _svg(figure, title: str) -> str:
    """The one charting path (bereik.reports.charts): styles as attributes, so the page's CSP shows it."""
    _, plt = _pyplot()
    try:
        figure.tight_layout()
        return charts.svg(figure, title)
    finally:
        plt.close(figure)


def _percent_axis(axis, language: str) -> None:
    matplotlib, _ = _pyplot()
    axis.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: w.share(v, language)))


def _chart(buckets: list[Bucket], title: str, words: dict, language: str, norm: float | None) -> str:
    """Bars of calls offered, a line of the share within 20 s, the norm dashed; with a legend."""
    _, plt = _pyplot()
    keys = [b.key for b in buckets]
    figure, bars = plt.subplots(figsize=(8, 3.4))
    handles = [bars.bar(keys, [b.offered for b in buckets], color="#1f4e79", label=words["offered"].lower())]
    bars.set_ylabel(words["offered"].lower())
    bars.tick_params(axis="x", labelrotation=45 if len(keys) > 8 else 0)
    line = bars.twinx()
    handles += line.plot(keys, [b.within_20s / b.offered if b.offered else 0 for b in buckets], color="#b34700",
                         marker="o", linewidth=2, label=words["share_axis"])
    if norm is not None:
        handles.append(line.axhline(norm, color="#333333", linestyle="--", linewidth=1.2,
                                    label=words["norm_line"].format(norm=w.share(norm, language))))
    line.set_ylim(0, 1)
    line.set_ylabel(words["share_axis"])
    _percent_axis(line, language)
    bars.legend(handles=handles, loc="upper left", fontsize="small", framealpha=0.9)
    return _svg(figure, _with_legend(title, handles))


def _trend_chart(report: Report, figure: Figure, words: dict) -> str:
    """Four months of one parameter: bars (this period darker), the norm dashed, a legend."""
    _, plt = _pyplot()
    language = report.language
    months = [*report.trend, None]
    labels = [w.month(m.start, language) for m in report.trend] + [words["this_month"]]
    values = [m.values.get(figure.id) if m else figure.value for m in months]
    chart, axis = plt.subplots(figsize=(3.4, 2.2))
    heights = [v or 0 for v in values]
    colours = ["#8fb3d9"] * (len(values) - 1) + ["#1f4e79"]
    handles = [axis.bar(range(len(values)), heights, color=colours, label=words["result"])]
    for x, value in enumerate(values):
        text = w.figure(value, figure.kind, language) if value is not None else words["no_data"]
        axis.text(x, (value or 0), text, ha="center", va="bottom", fontsize=7)
    if figure.norm is not None:
        handles.append(axis.axhline(figure.norm, color="#333333", linestyle="--", linewidth=1,
                                    label=words["norm_line"].format(norm=w.figure(figure.norm, figure.kind, language))))
    else:  # said in the legend, not left to guess
        handles += axis.plot([], [], " ", label=words["no_norm"])
    axis.set_xticks(range(len(values)), labels, fontsize=7, rotation=20)
    if figure.kind == "share":
        axis.set_ylim(0, 1.12)
        _percent_axis(axis, language)
    axis.tick_params(axis="y", labelsize=7)
    axis.set_title(figure.label, fontsize=8)
    axis.legend(handles=handles, fontsize=6, loc="lower left", framealpha=0.9)
    told = ", ".join(f"{m} {w.figure(v, figure.kind, language)}" for m, v in zip(labels, values))
    return _svg(chart, _with_legend(f"{figure.label}: {told}", handles))


def _with_legend(title: str, handles) -> str:
    """The chart's name for a screen reader: its title and its legend (the text in the picture is drawn)."""
    return f"{title} ({'; '.join(handle.get_label() for handle in handles)})"


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], caption: str,
           classes: Sequence[Sequence[str]] | None = None) -> str:
    head = "".join(f'<th scope="col">{html.escape(h)}</th>' for h in headers)
    body = []
    for n, row in enumerate(rows):
        cells = [f'<th scope="row">{html.escape(row[0])}</th>']
        for m, cell in enumerate(row[1:], start=1):
            css = classes[n][m] if classes else ""
            cells.append(f'<td class="{css}">{html.escape(cell)}</td>' if css else f"<td>{html.escape(cell)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (f"<table><caption>{html.escape(caption)}</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table>")


def _figure_rows(figures: Sequence[Figure], report: Report, with_how: bool) -> tuple[list, list]:
    language = report.language
    rows, classes = [], []
    for f in figures:
        how = _HOW[language][f.id].format(front=report.front_office).replace(
            "reports.answer_seconds", f"{report.answer_seconds} s")
        rows.append([f.label, w.figure(f.value, f.kind, language), _norm(f, language), w.grade(f.grade, language),
                     w.count(f.count, language), *([how] if with_how else [])])
        classes.append(["", "", "", f"grade grade-{w.grade_band(f.grade)}" if f.grade is not None else "", "", ""])
    return rows, classes


def _group_table(groups: list[GroupFigures], report: Report, title: str, first: str, with_department: bool) -> str:
    """One row per department or person: each grouped parameter's result and grade."""
    language = report.language
    words = _WORDS[language]
    parameters = groups[0].figures if groups else []
    headers = [first, *([words["department"]] if with_department else []), words["attempts"],
               *(f.label for f in parameters)]
    rows, classes = [], []
    for group in groups:
        cells = [group.name, *([group.department] if with_department else []), w.count(group.attempts, language)]
        css = ["" for _ in cells]
        for f in group.figures:
            text = w.figure(f.value, f.kind, language)
            cells.append(f"{text}, {w.grade(f.grade, language)}" if f.grade is not None else text)
            css.append(f"grade grade-{w.grade_band(f.grade)}" if f.grade is not None else "")
        rows.append(cells)
        classes.append(css)
    # A wide table scrolls on its own: reachable by keyboard (tabindex) and named for screen readers.
    return (f'<div class="wide" tabindex="0" role="region" aria-label="{html.escape(title)}">'
            f'{_table(headers, rows, title, classes)}</div>')





def to_html(report: Report, stylesheet: str = STYLESHEET) -> str:
    """`stylesheet`: where the page finds report.css (beside the file; a static route when served)."""
    language = report.language
    words = {k: (v.replace("{front}", report.front_office) if isinstance(v, str) else v)
             for k, v in _WORDS[language].items()}
    e = html.escape
    title = words["title"].format(municipality=report.municipality)
    figures = {f.id: f for f in report.figures}
    headline = words["headline"].format(
        success=w.share(figures["successful_contact"].value, language),
        direct=w.share(figures["direct_reachability"].value, language),
        within=w.share(figures["answered_within_20s"].value, language))
    average = (words["average"].format(grade=f"{w.decimal(report.average_grade, language)} "
                                             f"({w.GRADE_WORDS[language][round(report.average_grade)]})")
               if report.average_grade is not None else words["average_none"])
    parts = [
        f"<h1>{e(title)}</h1>",
        f"<p>{e(words['period'].format(period=w.period(report.start, report.end, language), calls=w.count(report.calls, language)))}</p>",
        *([f"<p>{e(words['inside'].format(count=w.count(report.inside_calls, language)))}</p>"]
          if report.inside_calls else []),
        *([f"<p>{e(words['cut_off'].format(count=w.count(report.cut_off_calls, language)))}</p>"]
          if report.cut_off_calls else []),
        *([f"<p>{e(words['server'].format(server=report.server))}</p>"] if report.server else []),
        f'<p class="headline">{e(headline)}</p>',
        f'<p class="average grade-{w.grade_band(report.average_grade)}">{e(average)}</p>',
    ]
    headers = [words["parameter"], words["value"], words["norm"], words["grade"], words["count"], words["how"]]
    for section, heading in (("front", report.front_office), ("back", words["back"])):
        rows, classes = _figure_rows([f for f in report.figures if f.section == section], report, with_how=True)
        parts += [f"<h2>{e(heading)}</h2>", _table(headers, rows, heading, classes)]
    counts = report.contact.model_dump()
    parts += [f"<h2>{e(words['contact'])}</h2>", _table(
        [words["contact"], words["count"]],
        [[words["contact_kinds"][kind].replace("{front}", report.front_office), w.count(n, language)]
         for kind, n in counts.items()], words["contact"])]
    if report.trend:
        charts = [_trend_chart(report, f, words) for f in report.figures]
        parts += [f"<h2>{e(words['trend'])}</h2>", f"<p>{e(words['trend_text'])}</p>",
                  '<div class="trend">' + "".join(f"<figure>{c}</figure>" for c in charts) + "</div>"]
    parts += [f"<h2>{e(words['by_department'])}</h2>",
              _group_table(report.by_department, report, words["by_department"], words["department"], False),
              f"<h2>{e(words['by_person'])}</h2>",
              _group_table(report.by_person, report, words["by_person"], words["person"], True)]
    if report.reachability:
        headers, rows, classes = reachability.grid(report.reachability, language)
        parts += [f"<h2>{e(words['reach'])}</h2>", f"<p>{e(words['reach_text'])}</p>",
                  f'<div class="wide" tabindex="0" role="region" aria-label="{e(words["reach"])}">'
                  f'{_table(headers, rows, words["reach"], classes)}</div>']
    if report.menu_stages:
        parts += [f"<h2>{e(words['menu'])}</h2>", _table(
            [words["stage"], words["hung_up"], words["share_of_calls"]],
            [[words["municipality" if m.stage == "municipality" else "menu_stage"], w.count(m.hung_up, language),
              w.share(m.share, language)] for m in report.menu_stages], words["menu"])]
    if report.by_option:
        parts += [f"<h2>{e(words['by_option'])}</h2>", _table(
            [words["key"], words["topic"], words["chosen"], words["share_chosen"], words["answered"],
             words["within_20s"], words["abandoned"], words["asa"]],
            [[o.key, _option_name(o, words, language), w.count(o.chosen, language), w.share(o.share, language),
              w.count(o.answered, language),
              w.count(o.within_20s, language), w.count(o.abandoned, language),
              _num(o.average_speed_of_answer, language)] for o in report.by_option], words["by_option"])]
    parts += [f"<h2>{e(words['by_number'])}</h2>", _table(
        [words["number"], words["name"], words["calls"], words["refused"], words["reached"], words["fell_back"],
         words["menu_left"]],
        [[n.number, n.name, *(w.count(v, language) for v in (n.calls, n.refused, n.reached, n.fell_back,
                                                              n.hung_up_in_menu))] for n in report.by_number],
        words["by_number"])]
    bucket_headers = ["", words["offered"], words["answered"], words["within_20s"],
                      words["within_norm"].format(norm=report.answer_seconds), words["abandoned"], words["asa"]]
    norm_20 = figures["answered_within_20s"].norm
    for key, chart_title, buckets in (("by_hour", words["chart_hour"], report.by_hour),
                                      ("by_weekday", words["chart_weekday"], report.by_weekday)):
        parts.append(f"<h2>{e(words[key])}</h2>")
        if buckets:
            parts.append(f"<figure>{_chart(buckets, chart_title, words, language, norm_20)}"
                         f"<figcaption>{e(chart_title)}</figcaption></figure>")
        parts.append(_table(bucket_headers, _bucket_rows(buckets, language), words[key]))
    parts += [f"<h2>{e(words['by_target'])}</h2>", _table(
        [words["number"], words["name"], words["calls"], words["direct"], words["fallback"]],
        [[t.target, t.name, w.count(t.calls, language), w.share(t.direct_reachability, language),
          w.share(t.fallback_share, language)] for t in report.by_target], words["by_target"])]
    parts += [f"<h2>{e(words['by_agent'])}</h2>", _table(
        [words["agent"], words["answered"], words["within_20s"], words["asa"], words["talk"], words["transfers"],
         words["transfer_time"]],
        [[a.agent, w.count(a.answered, language), w.count(a.within_20s, language),
          _num(a.average_speed_of_answer, language), _num(a.average_talk_seconds, language),
          w.count(a.transfers, language), _num(a.average_transfer_seconds, language)] for a in report.by_agent],
        words["by_agent"])]
    parts.append(f"<h2>{e(words['grades'])}</h2><p>{e(words['grades_text'])}</p>")
    for kind in ("share", "seconds"):
        parts.append(_table([words["ratio"], words["grade"]],
                            [[w.decimal(ratio, language, 2), w.grade(g, language)]
                             for ratio, g in report.grade_bands[kind]],
                            words[f"{kind}_kind"],
                            [["", f"grade grade-{w.grade_band(g)}"] for _, g in report.grade_bands[kind]]))
    return pages.render("report.html", lang=language, title=title, stylesheet=stylesheet,
                        body=Markup("\n".join(parts)))  # every piece escaped above


def _bucket_rows(buckets: list[Bucket], language: str) -> list[list[str]]:
    return [[b.key, *(w.count(v, language) for v in (b.offered, b.answered, b.within_20s, b.within_norm, b.abandoned)),
             _num(b.average_speed_of_answer, language)] for b in buckets]


def _num(value: float | None, language: str) -> str:
    return "" if value is None else w.count(round(value), language)


def to_json(report: Report) -> str:
    return report.model_dump_json(indent=2)


def _cell(value: object, language: str, percent: bool = False) -> str:
    """A CSV cell Excel reads as a number in the report's language: decimal comma and no thousands
    separator in Dutch (a separator would make Excel read text)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, float):
        value = round(value * 100, 1) if percent else round(value, 1)
        text = f"{value:g}" if float(value).is_integer() else f"{value}"
        return text.replace(".", ",") if language == "nl" else text
    return str(value)


def write_csv(report: Report, directory: Path, stem: str) -> list[Path]:
    """One CSV per table. Dutch: semicolons, decimal commas and a byte-order mark, as Dutch Excel expects
    (it reads a comma-separated 0.8259 as text or as 8259); shares as percentages, 82,6."""
    language = report.language
    nl = language == "nl"

    def figures_of(figures: Sequence[Figure]) -> list[list[str]]:
        return [[f.id, f.label, _cell(f.value, language, f.kind == "share"), _cell(f.norm, language, f.kind == "share"),
                 _cell(f.grade, language), _cell(f.count, language)] for f in figures]

    figure_header = ["id", "parameter", "resultaat (% of s)" if nl else "result (% or s)", "norm",
                     "cijfer" if nl else "grade", "aantal" if nl else "count"]
    group_rows = lambda groups: [[g.id, g.name, g.department, *row] for g in groups for row in figures_of(g.figures)]
    group_header = ["wie" if nl else "who", "naam" if nl else "name", "afdeling" if nl else "department", *figure_header]
    bucket_header = ["", "aangeboden", "opgenomen", "binnen_20s", "binnen_norm", "opgehangen", "gem_wachttijd_s"] \
        if nl else ["", "offered", "answered", "within_20s", "within_norm", "abandoned", "average_speed_of_answer"]
    tables = {
        "parameters": (figure_header, figures_of(report.figures)),
        "per-afdeling" if nl else "per-department": (group_header, group_rows(report.by_department)),
        "per-persoon" if nl else "per-person": (group_header, group_rows(report.by_person)),
        "per-uur" if nl else "per-hour": (bucket_header, [[_cell(v, language) for v in b.model_dump().values()]
                                                        for b in report.by_hour]),
        "per-weekdag" if nl else "per-weekday": (bucket_header, [[_cell(v, language) for v in b.model_dump().values()]
                                                               for b in report.by_weekday]),
        "per-medewerker" if nl else "per-agent": (
            list(report.by_agent[0].model_dump()) if report.by_agent else ["agent"],
            [[_cell(v, language) for v in a.model_dump().values()] for a in report.by_agent]),
        "per-menukeuze" if nl else "per-option": (
            ["toets", "onderwerp", "gekozen", "deel_%", "opgenomen", "binnen_20s", "opgehangen", "gem_wachttijd_s"]
            if nl else ["key", "topic", "chosen", "share_%", "answered", "within_20s", "abandoned", "average_wait_s"],
            [[o.key, o.topic or o.organisation, _cell(o.chosen, language), _cell(o.share, language, True),
              _cell(o.answered, language),
              _cell(o.within_20s, language), _cell(o.abandoned, language), _cell(o.average_speed_of_answer, language)]
             for o in report.by_option]),
        "per-persoon-per-uur" if nl else "per-person-per-hour": (
            ["toestel", "naam", "afdeling", "uur", "gesprekken", "opgenomen", "afgemeld", "in_gesprek",
             "niet_bereikbaar_zonder_afmelding", "beller_hing_op"] if nl else
            ["extension", "name", "department", "hour", "calls", "reached", "covered", "busy", "unannounced",
             "gave_up"],
            [[p.person, p.name, p.department, *(_cell(v, language) for v in h.model_dump().values())]
             for p in report.reachability for h in p.hours]),
        "per-nummer" if nl else "per-number": (
            ["nummer", "naam", "gesprekken", "geweigerd", "bereikt", "teruggevallen", "opgehangen_in_menu"]
            if nl else ["number", "name", "calls", "refused", "reached", "fell_back", "hung_up_in_menu"],
            [[n.number, n.name, *(_cell(v, language) for v in (n.calls, n.refused, n.reached, n.fell_back,
                                                                n.hung_up_in_menu))] for n in report.by_number]),
    }
    paths = []
    for name, (header, rows) in tables.items():
        path = directory / f"{stem}-{name}.csv"
        with open(path, "w", newline="", encoding="utf-8-sig" if nl else "utf-8") as handle:
            writer = csv.writer(handle, delimiter=";" if nl else ",")
            writer.writerow(header)
            writer.writerows(rows)
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
