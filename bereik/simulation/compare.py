"""What-ifs side by side: variants of the municipality and its traffic, each simulated with the
same seed, counted by the report code, and shown on one page for a manager (Dutch by default).

A variant is a small YAML file: a name and what it changes, as patches merged into the
municipality's YAML (`config:`) and into the traffic profile (`traffic:`); a key set to
null removes it (`menu: null` is "no menu"). The patched files are validated like the
originals, so a variant cannot describe something bereik would refuse, except the
simulation-only policies in `traffic: policy:` (hunt group, voicemail, camp-on off).
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from babel.numbers import format_decimal
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bereik import pages
from bereik.config import checks
from bereik.config.load import ConfigError, Problem, parse_document, parse_model, plain
from bereik.config.model import Config
from bereik.records.summary import CallRow
from bereik.reports import charts
from bereik.reports import words as w
from bereik.reports.contact import Contact, contact
from bereik.reports.figures import compute, front_office_name
from bereik.reports.render import STYLESHEET
from bereik.reports.schema import PARAMETERS, WEEKDAYS_EN, WEEKDAYS_NL, Report
from bereik.simulation.municipality import SimulationRun, simulate
from bereik.simulation.sensitivity import Sensitivity
from bereik.simulation.staffing import HourStaffing, staffing
from bereik.simulation.traffic import TrafficProfile


class Variant(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=60)
    description: str = ""
    config: dict[str, Any] = Field(default={}, description="Merged into the municipality's YAML")
    traffic: dict[str, Any] = Field(default={}, description="Merged into the traffic profile")


def load_variant(path: str | Path) -> Variant:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([Problem(str(path), 0, 0, "file not found; give the path of a variant")]) from None
    return parse_model(text, str(path), Variant, "a variant must be a mapping of name:, config:, traffic:")


def merged(base: Any, patch: Any) -> Any:
    if not isinstance(base, dict) or not isinstance(patch, dict):
        return patch
    result = dict(base)
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merged(result.get(key), value)
    return result


def apply(variant: Variant, config_text: str, config_file: str, profile: TrafficProfile,
          variant_file: str = "<variant>") -> tuple[Config, TrafficProfile]:
    """The municipality and traffic as the variant has them, validated like the originals."""
    document = merged(plain(parse_document(config_text, config_file, "not a municipality")), variant.config)
    problems = [f"{'.'.join(map(str, loc))}: {message}" for loc, message in checks.cross_references(document)]
    try:
        config = Config.model_validate(document)
        patched = TrafficProfile.model_validate(merged(profile.model_dump(), variant.traffic))
    except ValidationError as error:
        problems += [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors()]
    if problems:
        raise ConfigError([Problem(variant_file, 1, 1, f"variant '{variant.name}' makes {problem}")
                           for problem in problems])
    return config, patched


def successful_contact(rows: Iterable[CallRow]) -> tuple[float | None, int]:
    """Telan's 'geslaagde contactpogingen' over the calls for a colleague (bereik.reports.contact)."""
    judged = [c for c in map(contact, rows) if c is not None and c is not Contact.PENDING]
    hits = sum(c.successful for c in judged)
    return (round(hits / len(judged), 4) if judged else None), len(judged)


@dataclass(frozen=True)
class Outcome:
    name: str
    description: str
    run: SimulationRun
    report: Report
    successful_contact: float | None
    staffing: list[HourStaffing]
    positions: int  # at the front office, the overflow position included
    staffed: int  # positions normally staffed


def outcome(name: str, description: str, config: Config, profile: TrafficProfile, seed: int,
            target: float = 0.8, occupancy_cap: float = 0.6) -> Outcome:
    run = simulate(config, profile, seed)
    report = compute(run.rows, config, run.request)
    positions = config.queue(config.front_office).positions
    handling = profile.handling.talk_seconds + profile.handling.wrapup_seconds
    table = staffing(run.rows, run.request, handling, sum(not p.overflow for p in positions),
                     target=target, occupancy_cap=occupancy_cap)
    staffed = sum(not p.overflow for p in positions)
    return Outcome(name, description, run, report, successful_contact(run.rows)[0], table, len(positions), staffed)


# -- the page -----------------------------------------------------------------------------------

WORDS = {
    "nl": {
        "title": "Wat als? Telefonische bereikbaarheid gemeente {municipality}, gesimuleerd",
        "intro": ("Elke variant is dezelfde maand {month} met dezelfde bellers (toevalsgetal {seed}), "
                  "door de routering van bereik zelf gestuurd. De cijfers zijn die van het maandrapport."),
        "summary": "Samenvatting",
        "figures": "Cijfers per variant", "figure": "Parameter", "grade": "cijfer",
        "successful": "Geslaagd contact", "average": "Gemiddeld rapportcijfer", "calls": "Gesprekken",
        "staffing": "Bezetting per uur ({name})",
        "staffing_text": ("Posities nodig om {target:.0%} binnen {answer} s op te nemen (Erlang C), en om de "
                          "bezetting onder {cap:.0%} te houden (organisatieplan Bloemendaal); naast de "
                          "voorspelling van Erlang C en de gesimuleerde uitkomst bij {staffed} posities."),
        "hour": "Uur", "per_hour": "Gesprekken/uur", "load": "Belasting (Erlang)", "for_level": "Voor servicenorm",
        "for_cap": "Voor bezetting", "needed": "Nodig", "erlang": "Erlang C binnen {answer} s",
        "simulated": "Gesimuleerd binnen {answer} s",
        "baseline": "{name}: {success} van wie een collega zoekt, komt tot een geslaagd contact; {direct} van wie "
                    "een collega rechtstreeks belt, krijgt die te spreken; {within} van de bellers wordt binnen 20 "
                    "seconden opgenomen.",
        "versus": "{name}: geslaagd contact {success} (was {base_success}), directe bereikbaarheid {direct} (was "
                  "{base_direct}), binnen 20 s opgenomen {within} (was {base_within}).",
        "best": "Het meeste geslaagde contact: {name} ({success}).",
        "best_direct": "De hoogste directe bereikbaarheid haalt {name} ({direct}), met geslaagd contact {success}.",
        "heatmap": "Posities nodig per weekdag en uur ({name}); vast bezet: {staffed}",
        "positions": "posities nodig",
        "peak": "Op het drukste uur ({hour}) zijn {needed} posities nodig; er zijn er {staffed} vast bezet "
                "en {positions} in totaal.",
        "none": "geen gegevens",
        "assumptions": ("Let op: de uitkomst is zo goed als de aannames in het verkeersprofiel (aantallen bellers, "
                        "gespreksduur, hoe vaak collega's opnemen). Vergelijk de varianten met elkaar, niet met "
                        "de werkelijkheid."),
        "calibration": "Kalibratie: wat is afgesteld, niet nagebootst",
        "calibrated": ("Dit verkeersprofiel is gekalibreerd op {source}: de invoer in de laatste kolom is bijgesteld "
                       "tot de gesimuleerde cijfers ({name}) bij de gemeten cijfers lagen. Dat ze daar liggen, bewijst "
                       "dus niet dat de simulatie klopt; het is het beginpunt van de varianten."),
        "not_calibrated": ("Dit verkeersprofiel is niet gekalibreerd op metingen: alle invoer is aangenomen. Lees de "
                           "cijfers als een vergelijking van varianten, niet als een voorspelling."),
        "measured": "Gemeten", "simulated_value": "Gesimuleerd", "how": "Hoe",
        "tuned": "gekalibreerd: bijgesteld tot het cijfer hierbij lag", "input_row": "invoer, geen uitkomst",
        "inputs": "Invoer in het profiel",
        "sensitivity": "Gevoeligheid: waar het geslaagde contact op rust",
        "sensitivity_text": ("Geslaagd contact onder het beleid van bereik (wie een collega niet te spreken krijgt, valt "
                             "terug op: {front}) als één invoer tegelijk verandert en de rest blijft zoals in het "
                             "profiel; gemiddeld over {seeds} toevalsgetallen, met het laagste en hoogste."),
        "sensitivity_spread": ("Over deze bereiken loopt het geslaagde contact van {low} tot {high}; het meest hangt het "
                               "af van {most}."),
        "input": "Invoer", "value": "Waarde", "range": "Laagste – hoogste", "direct": "Directe bereikbaarheid",
        "profile_value": "{value} (profiel)",
        "input_names": {"callbacks": "terugbelnotities op tijd nagekomen", "staffing": "posities vast bezet",
                        "availability": "collega beschikbaar als de telefoon gaat"},
    },
    "en": {
        "title": "What if? Telephone reachability of {municipality}, simulated",
        "intro": ("Every variant is the same month {month} with the same callers (seed {seed}), routed by "
                  "bereik's own routing. The figures are those of the monthly report."),
        "summary": "Summary",
        "figures": "Figures per variant", "figure": "Parameter", "grade": "grade",
        "successful": "Successful contact", "average": "Average grade", "calls": "Calls",
        "staffing": "Positions per hour ({name})",
        "staffing_text": ("Positions needed to answer {target:.0%} within {answer} s (Erlang C), and to keep "
                          "occupancy below {cap:.0%} (Bloemendaal plan); next to Erlang C's prediction and the "
                          "simulated result with {staffed} positions."),
        "hour": "Hour", "per_hour": "Calls/hour", "load": "Load (Erlang)", "for_level": "For service level",
        "for_cap": "For occupancy", "needed": "Needed", "erlang": "Erlang C within {answer} s",
        "simulated": "Simulated within {answer} s",
        "baseline": "{name}: {success} of those looking for a colleague make successful contact; {direct} of those "
                    "who dial a colleague reach them; {within} of callers are answered within 20 seconds.",
        "versus": "{name}: successful contact {success} (was {base_success}), direct reachability {direct} (was "
                  "{base_direct}), answered within 20 s {within} (was {base_within}).",
        "best": "The most successful contact: {name} ({success}).",
        "best_direct": "The highest direct reachability: {name} ({direct}), with successful contact {success}.",
        "heatmap": "Positions needed by weekday and hour ({name}); staffed: {staffed}",
        "positions": "positions needed",
        "peak": "At the busiest hour ({hour}) {needed} positions are needed; {staffed} are staffed, "
                "{positions} exist.",
        "none": "no data",
        "assumptions": ("Mind: the outcome is as good as the assumptions in the traffic profile (numbers of "
                        "callers, talk times, how often colleagues answer). Compare the variants with each "
                        "other, not with reality."),
        "calibration": "Calibration: what was tuned, not reproduced",
        "calibrated": ("This traffic profile is calibrated to {source}: the inputs in the last column were tuned until "
                       "the simulated figures ({name}) landed near the measured ones. That they land there proves "
                       "nothing about the simulation; it is where the variants start from."),
        "not_calibrated": ("This traffic profile is not calibrated to measurements: every input is assumed. Read the "
                           "figures as a comparison of variants, not as a forecast."),
        "measured": "Measured", "simulated_value": "Simulated", "how": "How",
        "tuned": "calibrated: tuned until the figure landed near it", "input_row": "an input, no result",
        "inputs": "Inputs in the profile",
        "sensitivity": "Sensitivity: what successful contact rests on",
        "sensitivity_text": ("Successful contact under bereik's policy (a caller who does not reach the colleague falls "
                             "back to: {front}) when one input at a time changes and the rest stay as in the profile; "
                             "mean over {seeds} seeds, with the lowest and highest."),
        "sensitivity_spread": ("Over these ranges successful contact runs from {low} to {high}; it depends most on "
                               "{most}."),
        "input": "Input", "value": "Value", "range": "Lowest – highest", "direct": "Direct reachability",
        "profile_value": "{value} (profile)",
        "input_names": {"callbacks": "call-back notes kept on time", "staffing": "positions staffed",
                        "availability": "colleague available when the phone rings"},
    },
}

CHARTED = ("answered_within_20s", "average_speed_of_answer", "direct_reachability", "indirect_reachability",
           "callbacks_on_time")


def _value(outcome: Outcome, figure_id: str) -> float | None:
    if figure_id == "successful_contact":
        return outcome.successful_contact
    if figure_id == "average_grade":
        return outcome.report.average_grade
    return next(f.value for f in outcome.report.figures if f.id == figure_id)


def _format(value: float | None, kind: str, words: dict) -> str:
    if value is None:
        return words["none"]
    if kind == "share":
        return f"{value:.0%}"
    if kind == "grade":
        return f"{value:.1f}".replace(".", ",") if words is WORDS["nl"] else f"{value:.1f}"
    return f"{value:.0f} s"


def _grade(value: float | None, words: dict) -> str:
    return _format(value, "grade", words)


def summary(outcomes: Sequence[Outcome], language: str = "nl") -> list[str]:
    """Leads with successful contact and direct reachability, what callers live with; the average grade is in
    the table, not in the verdict (a variant can raise it while fewer callers reach anyone)."""
    words = WORDS[language]
    base = outcomes[0]

    def facts(o: Outcome) -> dict:
        return {"name": o.name, "success": w.share(o.successful_contact, language),
                "direct": w.share(_value(o, "direct_reachability"), language),
                "within": w.share(_value(o, "answered_within_20s"), language)}

    lines = [words["baseline"].format(**facts(base))]
    for other in outcomes[1:]:
        lines.append(words["versus"].format(**facts(other), **{f"base_{k}": v for k, v in facts(base).items()}))
    if len(outcomes) > 1:
        best = max(outcomes, key=lambda o: o.successful_contact or 0)
        lines.append(words["best"].format(**facts(best)))
        most_direct = max(outcomes, key=lambda o: _value(o, "direct_reachability") or 0)
        if most_direct is not best:
            lines.append(words["best_direct"].format(**facts(most_direct)))
    if base.staffing:
        peak = max(base.staffing, key=lambda h: (h.positions, h.load))
        lines.append(words["peak"].format(hour=peak.label(language), needed=peak.positions,
                                          staffed=base.staffed, positions=base.positions))
    lines.append(words["assumptions"])
    return lines


def _heatmap(o: Outcome, words: dict, language: str) -> str:
    """The staffing advice as a weekday-by-hour map: the positions needed in each cell, with a colour scale."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    hours = sorted({h.hour for h in o.staffing})
    days = sorted({h.weekday for h in o.staffing})
    grid = [[float("nan")] * len(hours) for _ in days]
    for h in o.staffing:
        grid[days.index(h.weekday)][hours.index(h.hour)] = h.positions
    title = words["heatmap"].format(name=o.name, staffed=o.staffed)
    figure, axis = plt.subplots(figsize=(8, 0.5 * len(days) + 1.4))
    try:
        image = axis.imshow(grid, cmap="Blues", aspect="auto", vmin=0)
        for y, row in enumerate(grid):
            for x, value in enumerate(row):
                if value == value:  # not NaN: an hour with calls
                    dark = value > (max(h.positions for h in o.staffing) or 1) / 2
                    axis.text(x, y, str(int(value)), ha="center", va="center", fontsize=8,
                              color="white" if dark else "black")
        names = WEEKDAYS_NL if language == "nl" else WEEKDAYS_EN
        axis.set_xticks(range(len(hours)), [f"{hour:02d}" for hour in hours], fontsize=8)
        axis.set_yticks(range(len(days)), [names[d] for d in days], fontsize=8)
        figure.colorbar(image, ax=axis, label=words["positions"])
        axis.set_title(title, fontsize=9)
        figure.tight_layout()
        return charts.svg(figure, f"{title} ({words['positions']})")
    finally:
        plt.close(figure)


def _bars(outcomes: Sequence[Outcome], figure_id: str, label: str, kind: str, words: dict) -> str:
    """One horizontal bar per variant (the report's charting path); shares on 0-100%, times on 0 to the longest."""
    values = [_value(o, figure_id) for o in outcomes]
    return charts.horizontal_bars([o.name for o in outcomes], values, [_format(v, kind, words) for v in values],
                                  label, share=kind == "share")


def calibration(base: Outcome, profile: TrafficProfile | None, language: str) -> tuple[str, list[list[str]]]:
    """The profile's calibration as calibration: each measured figure, the simulated one, and which inputs (with
    their values) were tuned to it, or which input it was put in as."""
    words = WORDS[language]
    if profile is None or profile.calibration is None:
        return words["not_calibrated"], []
    kinds = {p.id: (p.nl if language == "nl" else p.en, p.kind) for p in PARAMETERS}
    rows = []
    for target in profile.calibration.targets:
        label, kind = kinds[target.figure]
        inputs = target.tuned or [target.input]
        rows.append([label, w.figure(target.measured, kind, language), w.figure(_value(base, target.figure), kind,
                                                                                  language),
                     words["tuned"] if target.tuned else words["input_row"],
                     "; ".join(f"{path} = {_input(profile.input_value(path), language)}" for path in inputs)])
    return words["calibrated"].format(source=profile.calibration.source, name=base.name), rows


def _input(value, language: str) -> str:
    return format_decimal(value, locale=w.locale(language)) if isinstance(value, float) else str(value)


def sensitivity_table(result: Sensitivity, config: Config, language: str) -> tuple[str, list[list[str]], str]:
    words = WORDS[language]
    names = words["input_names"]
    rows = []
    for row in result.rows:
        value = str(int(row.value)) if row.input == "staffing" else w.share(row.value, language)
        rows.append([names[row.input], words["profile_value"].format(value=value) if row.base else value,
                     w.share(row.successful_contact, language),
                     f"{w.share(row.lowest, language)} – {w.share(row.highest, language)}",
                     w.share(row.direct_reachability, language)])
    text = words["sensitivity_text"].format(front=front_office_name(config), seeds=len(result.seeds))
    known = [r for r in result.rows if r.successful_contact is not None]
    if not known:
        return text, rows, ""
    swing = {name: max(r.successful_contact for r in known if r.input == name)
             - min(r.successful_contact for r in known if r.input == name) for name in {r.input for r in known}}
    spread = words["sensitivity_spread"].format(
        low=w.share(min(r.successful_contact for r in known), language),
        high=w.share(max(r.successful_contact for r in known), language), most=names[max(swing, key=swing.get)])
    return text, rows, spread


def to_html(outcomes: Sequence[Outcome], seed: int, language: str = "nl", target: float = 0.8,
            answer_seconds: int = 20, occupancy_cap: float = 0.6, *, profile: TrafficProfile | None = None,
            config: Config | None = None, sensitivity: Sensitivity | None = None) -> str:
    """The page (templates/whatif.html); it links report.css, written beside it (pages.copy_static).
    `profile`: the base traffic profile, whose calibration the page shows; `sensitivity` needs `config`."""
    words = WORDS[language]
    base = outcomes[0]
    report = base.report
    rows = [[figure.label, *(_format(o.report.figures[i].value, o.report.figures[i].kind, words)
                             + (f" ({words['grade']} {o.report.figures[i].grade})"
                                if o.report.figures[i].grade is not None else "") for o in outcomes)]
            for i, figure in enumerate(report.figures)]
    rows.append([words["successful"], *(_format(o.successful_contact, "share", words) for o in outcomes)])
    rows.append([words["average"], *(_grade(o.report.average_grade, words) for o in outcomes)])
    rows.append([words["calls"], *(str(o.report.calls) for o in outcomes)])
    labels = {f.id: (f.label, f.kind) for f in report.figures}
    calibration_text, calibration_rows = calibration(base, profile, language)
    sensitivity_parts = sensitivity_table(sensitivity, config, language) if sensitivity and config else None
    chart_list = [_bars(outcomes, figure_id, *labels[figure_id], words) for figure_id in CHARTED]
    chart_list.append(_bars(outcomes, "successful_contact", words["successful"], "share", words))
    headers = [words["hour"], words["per_hour"], words["load"], words["for_level"], words["for_cap"],
               words["needed"], words["erlang"].format(answer=answer_seconds),
               words["simulated"].format(answer=answer_seconds)]
    staffing_rows = [[h.label(language), w.decimal(h.calls_per_hour, language), w.decimal(h.load, language, 2),
                      str(h.for_service_level), str(h.for_occupancy), str(h.positions),
                      w.share(h.erlang_service_level, language),
                      "" if h.simulated_service_level is None else w.share(h.simulated_service_level, language)]
                     for h in base.staffing]
    return pages.render(
        "whatif.html", lang=language, stylesheet=STYLESHEET, w=words,
        title=words["title"].format(municipality=report.municipality),
        intro=words["intro"].format(month=f"{report.start:%Y-%m}", seed=seed), summary=summary(outcomes, language),
        headers=[words["figure"], *(o.name for o in outcomes)], rows=rows, charts=chart_list,
        staffing_title=words["staffing"].format(name=base.name),
        staffing_text=words["staffing_text"].format(target=target, answer=answer_seconds, cap=occupancy_cap,
                                                    staffed=base.staffed),
        staffing_headers=headers, staffing_rows=staffing_rows,
        heatmap=_heatmap(base, words, language) if base.staffing else "",
        calibration_text=calibration_text, calibration_headers=[words["figure"], words["measured"],
                                                                words["simulated_value"], words["how"], words["inputs"]],
        calibration_rows=calibration_rows, sensitivity=sensitivity_parts,
        sensitivity_headers=[words["input"], words["value"], words["successful"], words["range"], words["direct"]])
