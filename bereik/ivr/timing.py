"""How long a caller listens before choosing, and before a silent caller reaches the queue.

Computed from the call flow itself (bereik.routing.flow) and the length of each prompt as
it will be played, so a longer welcome or a sixth sentence in an option shows up here.
"""
from __future__ import annotations

import datetime as dt
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bereik.config.load import Checked, Locator, Problem
from bereik.config.model import Config
from bereik.ivr.prompts import PromptError, PromptLibrary
from bereik.routing.flow import Ask, CallFlow, route_with_keys
from bereik.routing.hours import OpeningHours

# Judgement, not a published norm: a caller who has listened this long before hearing all the
# options, or who waits this long in silence before reaching a person, is likely to hang up.
LONG_BEFORE_CHOICE = 15.0
LONG_BEFORE_QUEUE = 30.0
# espeak-ng at -s 150 speaks Dutch at about 13 characters a second (measured on the example's texts).
CHARACTERS_PER_SECOND = 13.0


@dataclass(frozen=True)
class MenuTiming:
    before_choice: float  # speech until the menu's last option has been said
    to_queue: float  # until a caller who presses nothing joins the queue
    estimated: bool  # from the length of the texts, not from rendered prompts

    @property
    def too_long(self) -> bool:
        return self.before_choice > LONG_BEFORE_CHOICE or self.to_queue > LONG_BEFORE_QUEUE

    def sentence(self) -> str:
        about = "about " if self.estimated else ""
        return (f"a caller hears {about}{self.before_choice:.0f} s of speech before the last menu option has been "
                f"said, and a caller who presses nothing joins the queue after {about}{self.to_queue:.0f} s")


def estimated_seconds(text: str) -> float:
    return len(text) / CHARACTERS_PER_SECOND


def menu_timing(config: Config, seconds_of: Callable[[str], float], estimated: bool = False) -> MenuTiming | None:
    """`seconds_of(text)`: how long a prompt plays. None without a menu or when the office never opens."""
    if config.menu is None:
        return None
    now = _an_open_moment(config)
    if now is None:
        return None
    spoken = lambda texts: sum(seconds_of(text) for text in texts)  # noqa: E731

    flow = CallFlow(config, now)
    decision = flow.start()
    before_choice = 0.0
    while isinstance(decision, Ask):
        before_choice += spoken(decision.say)
        if decision.stage == "menu":
            break
        decision = flow.pressed(config.shared_number.our_key)

    to_queue = 0.0
    for decision in route_with_keys(config, now, []):
        to_queue += spoken(decision.say)
        if isinstance(decision, Ask):
            to_queue += decision.timeout
    return MenuTiming(before_choice, to_queue, estimated)


def _an_open_moment(config: Config) -> dt.datetime | None:
    """The moment the office next opens, counted from a Monday morning."""
    return OpeningHours(config).next_opening(dt.datetime(2024, 1, 1, 0, 0, tzinfo=config.zone))


def timing_with_prompts(config: Config, sounds: Path) -> MenuTiming | None:
    """The timing from the prompts as Asterisk will play them, rendered into `sounds` where missing;
    from the length of the texts when they cannot be rendered here (no espeak-ng or sox)."""
    library = PromptLibrary(sounds, config.language)
    try:
        return menu_timing(config, library.seconds)
    except (PromptError, OSError, subprocess.CalledProcessError):
        return menu_timing(config, estimated_seconds, estimated=True)


def menu_warning(checked: Checked, timing: MenuTiming | None) -> list[Problem]:
    """A warning at `menu:` when callers listen or wait too long, with what to shorten."""
    if timing is None or not timing.too_long:
        return []
    locate = Locator(checked.document, checked.filename)
    return [locate(("menu",), f"the menu is long: {timing.sentence()}; shorten the welcome and the explanations, "
                               "offer fewer options, or repeat the menu less often (menu.retries)",
                   at_key=True, severity="warning")]
