"""What a waiting caller hears: the expected wait as a person says it, or the callers ahead, or both.

The result is one sentence for the text-to-speech layer, numbers written out
in words so that it says them right. When the estimate is uncertain (few
recent calls, nobody working) the caller hears the position only: a number of
callers ahead is a fact, a wait made up from nothing is not.

Wait bands (the estimate in seconds, lower bound included):

    0-60      minder dan een minuut
    60-90     ongeveer een minuut
    90-270    ongeveer 2, 3 of 4 minuten (the nearest minute)
    270-450   ongeveer 5 minuten        (4.5 to 7.5 minutes)
    450-750   ongeveer 10 minuten       (7.5 to 12.5 minutes)
    750-900   ongeveer een kwartier
    900-      meer dan een kwartier

Coarser as the wait grows: the error of any estimate grows with it (see
bench/estimator_bench.py), and a caller plans by "a few minutes" or "a quarter
of an hour", not by the minute.
"""
from __future__ import annotations

import math
import string
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Literal

from num2words import num2words

from bereik.routing.estimate import Estimate

Mode = Literal["wait", "position", "both"]


@dataclass(frozen=True)
class WaitTexts:
    """The templates; every field can be overridden from the YAML."""

    less_than_a_minute: str
    about_one_minute: str
    about_minutes: str  # {minutes}
    about_a_quarter: str
    more_than_a_quarter: str
    expected_wait: str  # {wait}: one of the five above
    you_are_next: str
    one_caller_ahead: str
    callers_ahead: str  # {count}
    more_callers_ahead: str  # {count}: the position limit
    online_hint: str = ""  # appended when not empty


DUTCH = WaitTexts(
    less_than_a_minute="minder dan een minuut",
    about_one_minute="ongeveer een minuut",
    about_minutes="ongeveer {minutes} minuten",
    about_a_quarter="ongeveer een kwartier",
    more_than_a_quarter="meer dan een kwartier",
    expected_wait="De verwachte wachttijd is {wait}.",
    you_are_next="U bent de volgende.",
    one_caller_ahead="Er is nog één beller voor u.",
    callers_ahead="Er zijn nog {count} bellers voor u.",
    more_callers_ahead="Er zijn nog meer dan {count} bellers voor u.",
)
ENGLISH = WaitTexts(
    less_than_a_minute="less than a minute",
    about_one_minute="about one minute",
    about_minutes="about {minutes} minutes",
    about_a_quarter="about a quarter of an hour",
    more_than_a_quarter="more than a quarter of an hour",
    expected_wait="The expected waiting time is {wait}.",
    you_are_next="You are next in line.",
    one_caller_ahead="There is one caller ahead of you.",
    callers_ahead="There are {count} callers ahead of you.",
    more_callers_ahead="There are more than {count} callers ahead of you.",
)
DEFAULT_TEXTS = {"nl": DUTCH, "en": ENGLISH}

# The placeholders each template may use; anything else is a mistake in the YAML.
_PLACEHOLDERS = {"about_minutes": {"minutes"}, "expected_wait": {"wait"},
                 "callers_ahead": {"count"}, "more_callers_ahead": {"count"}}


def wait_texts(language: str, overrides: Mapping[str, str] | None = None) -> WaitTexts:
    """The defaults for a language with the YAML's texts over them; unknown keys and placeholders refused."""
    overrides = dict(overrides or {})
    known = {f.name for f in fields(WaitTexts)}
    problems = [f"'{key}' is not a wait text; known are {', '.join(sorted(known))}" for key in overrides if key not in known]
    for key, template in overrides.items():
        allowed = _PLACEHOLDERS.get(key, set())
        used = {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
        if key in known and not used <= allowed:
            problems.append(f"'{key}' may use {sorted(allowed) or 'no placeholders'}, not {sorted(used - allowed)}")
    if problems:
        raise ValueError("; ".join(problems))
    return replace(DEFAULT_TEXTS[language], **overrides)


@dataclass(frozen=True)
class WaitMessageSettings:
    """Build `texts` with wait_texts(language, overrides from the YAML), for the same language."""

    mode: Mode = "both"
    language: Literal["nl", "en"] = "nl"
    texts: WaitTexts = field(default=DUTCH)
    position_limit: int = 50  # beyond this many callers ahead: "more than 50", so the set of sentences stays finite


@dataclass(frozen=True)
class _Band:
    below_seconds: float
    minutes: int | None  # None: the band has its own words


# Lower bounds follow from the previous band; see the module docstring.
_BANDS = (
    _Band(60, None), _Band(90, 1), _Band(150, 2), _Band(210, 3), _Band(270, 4),
    _Band(450, 5), _Band(750, 10), _Band(900, 15), _Band(math.inf, None),
)


def spoken_wait(seconds: float, texts: WaitTexts, language: str) -> str:
    """'ongeveer 3 minuten', with the number in words."""
    band = next(band for band in _BANDS if seconds < band.below_seconds)
    if band is _BANDS[0]:
        return texts.less_than_a_minute
    if band is _BANDS[-1]:
        return texts.more_than_a_quarter
    if band.minutes == 1:
        return texts.about_one_minute
    if band.minutes == 15:
        return texts.about_a_quarter
    return texts.about_minutes.format(minutes=num2words(band.minutes, lang=language))


def spoken_position(callers_ahead: int, settings: WaitMessageSettings) -> str:
    texts = settings.texts
    if callers_ahead == 0:
        return texts.you_are_next
    if callers_ahead == 1:
        return texts.one_caller_ahead
    if callers_ahead > settings.position_limit:
        return texts.more_callers_ahead.format(count=num2words(settings.position_limit, lang=settings.language))
    return texts.callers_ahead.format(count=num2words(callers_ahead, lang=settings.language))


def wait_message(estimate: Estimate, settings: WaitMessageSettings = WaitMessageSettings()) -> str:
    """The sentence for one announcement."""
    texts = settings.texts
    says_wait = settings.mode in ("wait", "both") and estimate.certain
    says_position = settings.mode in ("position", "both") or not says_wait
    parts = []
    if says_position:
        parts.append(spoken_position(estimate.callers_ahead, settings))
    if says_wait:
        parts.append(texts.expected_wait.format(wait=spoken_wait(estimate.wait_seconds, texts, settings.language)))
    if texts.online_hint:
        parts.append(texts.online_hint)
    return " ".join(parts)


def all_wait_messages(settings: WaitMessageSettings = WaitMessageSettings()) -> list[str]:
    """Every sentence wait_message() can produce for these settings, to render ahead of calls."""
    # One wait inside each band stands for the whole band; None stands for every uncertain estimate.
    waits = [None] + [0.0] + [band.below_seconds for band in _BANDS[:-1]]
    messages = [
        wait_message(Estimate(callers_ahead, wait), settings)
        for callers_ahead in range(settings.position_limit + 2)
        for wait in waits
    ]
    return list(dict.fromkeys(messages))
