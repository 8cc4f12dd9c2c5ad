"""Reachability per colleague by hour of the day: when they took their calls, and when calls fell back.

Pure. Each direct call to a colleague is one of:
- reached: the colleague answered, at the desk or on their mobile (their own forward, desk and mobile);
- covered: an absence, a forward to a colleague or do-not-disturb was set, so the substitute or the front
  office took it by arrangement (whether or not the substitute answered: that is the substitute's);
- busy: the colleague was on the phone (the caller fell back, or waited in vain);
- unannounced: not answered, the phone off, nothing set: Huizen's "niet bereikbaar zonder afmelding";
- gave up: the caller hung up while it rang.
A part of the day (morning, afternoon, evening) in which a colleague answered fewer than half of the
calls nothing else was arranged for, with at least two such calls, is said in people's words: "in de
middag niet bereikbaar" (Rijswijk), with the count of unannounced misses beside it.
"""
from __future__ import annotations

from collections.abc import Iterable

from bereik.records.summary import DIRECT, CallRow
from bereik.reports.schema import HourReach, PersonReach

ARRANGED = frozenset({"absent", "dnd"})  # bereik.routing.direct.Reason: the person had said so
BUSY = frozenset({"busy", "camp_timeout"})
# Parts of the day by their first hour, as a team lead names them.
PARTS = ((0, {"nl": "in de ochtend", "en": "in the morning"}), (12, {"nl": "in de middag", "en": "in the afternoon"}),
         (17, {"nl": "in de avond", "en": "in the evening"}))
_WORDS = {
    "nl": {"unreachable": "{part} niet bereikbaar ({reached} van {expected} opgenomen)",
           "unannounced": "{count}× niet opgenomen zonder afwezigheid, doorschakeling of niet storen",
           "person": "Collega", "total": "Totaal", "arranged": "afgemeld", "signal": "Opvallend"},
    "en": {"unreachable": "{part} not reachable ({reached} of {expected} answered)",
           "unannounced": "{count}× not answered with no absence, forward or do-not-disturb set",
           "person": "Colleague", "total": "Total", "arranged": "away", "signal": "Notable"},
}
OK_SHARE = 0.8  # Telan's norm for direct reachability
MIN_CALLS = 2  # one missed call in a part of the day is no pattern


def outcome(row: CallRow) -> str:
    """Which HourReach count a direct call adds to."""
    by_someone_else = row.via not in ("", "mobile")
    if by_someone_else or row.failed in ARRANGED:
        return "covered"
    if row.direct_answered:
        return "reached"
    if row.failed in BUSY:
        return "busy"
    if row.fallback:
        return "unannounced"
    return "gave_up"


class Hours:
    """Accumulates rows; `people()` gives the figures, in the order of `names`."""

    def __init__(self) -> None:
        self._hours: dict[str, dict[int, HourReach]] = {}

    def add(self, row: CallRow, person: str) -> None:
        if row.kind != DIRECT or row.inside or not person:
            return
        hour = self._hours.setdefault(person, {}).setdefault(row.hour, HourReach(hour=row.hour))
        hour.calls += 1
        kind = outcome(row)
        setattr(hour, kind, getattr(hour, kind) + 1)

    def people(self, names: dict[str, str], departments: dict[str, str], language: str,
               only_named: bool = False) -> list[PersonReach]:
        """Everyone called, `names` first in their order; `only_named`: no one else (a team lead's team)."""
        order = list(names) + ([] if only_named else sorted(set(self._hours) - set(names)))
        found = []
        for person in order:
            hours = self._hours.get(person)
            if not hours:
                continue
            ordered = [hours[h] for h in sorted(hours)]
            found.append(PersonReach(person=person, name=names.get(person, person), department=departments.get(person, ""),
                                     total=_sum(ordered), hours=ordered, signal=signal(ordered, language)))
        return found


def _sum(hours: Iterable[HourReach], hour: int = -1) -> HourReach:
    total = HourReach(hour=hour)
    for h in hours:
        for field in ("calls", "reached", "covered", "busy", "unannounced", "gave_up"):
            setattr(total, field, getattr(total, field) + getattr(h, field))
    return total


def signal(hours: list[HourReach], language: str) -> str:
    """'in de middag niet bereikbaar (1 van 6 opgenomen); 4× niet opgenomen zonder ...', or ''."""
    words = _WORDS[language if language in _WORDS else "nl"]
    said = []
    bounds = [start for start, _ in PARTS[1:]] + [24]
    for (start, names), end in zip(PARTS, bounds):
        part = _sum(h for h in hours if start <= h.hour < end)
        if part.expected >= MIN_CALLS and part.reached * 2 < part.expected:
            said.append(words["unreachable"].format(part=names[language if language in names else "nl"],
                                                    reached=part.reached, expected=part.expected))
    unannounced = sum(h.unannounced for h in hours)
    if unannounced:
        said.append(words["unannounced"].format(count=unannounced))
    return "; ".join(said)


def grid(people: list[PersonReach], language: str) -> tuple[list[str], list[list[str]], list[list[str]]]:
    """A table for people to read: a row per colleague, a column per hour of the day in which anyone was
    called, each cell 'answered/could answer' in the colour of a grade band and the text beside it
    (WCAG 1.4.1), 'afgemeld' where every call was arranged for; then the total and what stands out."""
    words = _WORDS[language if language in _WORDS else "nl"]
    hours = sorted({h.hour for p in people for h in p.hours})
    headers = [words["person"], *(f"{h:02d}" for h in hours), words["total"], words["signal"]]
    rows, classes = [], []
    for person in people:
        by_hour = {h.hour: h for h in person.hours}
        cells = [(person.name, "")] + [_cell(by_hour.get(h), words) for h in hours] + [_cell(person.total, words)]
        rows.append([text for text, _ in cells] + [person.signal])
        classes.append([css for _, css in cells] + [""])
    return headers, rows, classes


def _cell(hour: HourReach | None, words: dict[str, str]) -> tuple[str, str]:
    if hour is None or not hour.calls:
        return "", ""
    if not hour.expected:
        return words["arranged"], ""
    band = "ok" if hour.reached >= OK_SHARE * hour.expected else "mid" if hour.reached * 2 >= hour.expected else "low"
    return f"{hour.reached}/{hour.expected}", f"grade grade-{band}"
