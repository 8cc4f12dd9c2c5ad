"""Figures as a Dutch (or English) reader expects them: "1 t/m 31 oktober 2026", "2.334", "82%", "6,4".

Babel's CLDR data, not hand-made separators, so Dutch Excel and a Dutch reader agree with the page.
"""
from __future__ import annotations

import datetime as dt

from babel.dates import format_date
from babel.numbers import format_decimal, format_percent

LOCALES = {"nl": "nl_NL", "en": "en_GB"}
NO_DATA = {"nl": "geen gegevens", "en": "no data"}

# The Dutch school grade in words: a grade is never shown by colour alone (WCAG 1.4.1).
GRADE_WORDS = {
    "nl": {1: "zeer slecht", 2: "slecht", 3: "zeer onvoldoende", 4: "onvoldoende", 5: "matig", 6: "voldoende",
           7: "ruim voldoende", 8: "goed", 9: "zeer goed", 10: "uitmuntend"},
    "en": {1: "very poor", 2: "poor", 3: "very insufficient", 4: "insufficient", 5: "mediocre", 6: "sufficient",
           7: "amply sufficient", 8: "good", 9: "very good", 10: "excellent"},
}


def locale(language: str) -> str:
    return LOCALES[language]


def count(value: int | float, language: str) -> str:
    return format_decimal(value, format="#,##0", locale=locale(language))


def decimal(value: float, language: str, digits: int = 1) -> str:
    return format_decimal(value, format="#,##0." + "0" * digits, locale=locale(language))


def share(value: float | None, language: str) -> str:
    return NO_DATA[language] if value is None else format_percent(value, format="#,##0%", locale=locale(language))


def seconds(value: float | None, language: str) -> str:
    return NO_DATA[language] if value is None else f"{count(round(value), language)} s"


def figure(value: float | None, kind: str, language: str) -> str:
    return share(value, language) if kind == "share" else seconds(value, language)


def grade(value: int | None, language: str) -> str:
    """'8 (goed)'; a figure without data or norm has no grade."""
    return "" if value is None else f"{value} ({GRADE_WORDS[language][value]})"


def grade_band(value: int | float | None) -> str:
    """The colour class of a grade: insufficient (below 5,5), mediocre (5,5 to 6), sufficient."""
    if value is None:
        return "none"
    return "low" if value < 5.5 else "mid" if value < 6 else "ok"


def month(day: dt.date, language: str) -> str:
    return format_date(day, "MMMM y", locale=locale(language))


def period(start: dt.date, end: dt.date, language: str) -> str:
    """'1 t/m 31 oktober 2026', '28 september t/m 4 oktober 2026', '5 oktober 2026' (one day)."""
    full = lambda day: format_date(day, "d MMMM y", locale=locale(language))
    if start == end:
        return full(start)
    joiner = " t/m " if language == "nl" else " to "
    if (start.year, start.month) == (end.year, end.month):
        first = str(start.day)
    elif start.year == end.year:
        first = format_date(start, "d MMMM", locale=locale(language))
    else:
        first = full(start)
    return f"{first}{joiner}{full(end)}"
