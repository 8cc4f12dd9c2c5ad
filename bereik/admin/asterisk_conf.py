"""Asterisk's .conf files as sections of (name, value, line), read with pyst2's parser.

pyst2's `asterisk.config` reads `exten => ...`, `same => ...` and `key=value`
lines correctly, but refuses whole files for two common forms: template
sections (`[phone](!)`, `[201](phone)`) and `#include`. So each line goes
through pyst2's own Line/Category/Item classes, and only those two forms are
handled here; an `#include` is reported, never followed silently.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from asterisk.config import Category, Item, Line, ParseError

_TEMPLATE = re.compile(r"^\[([^\]]+)\]\(([^)]*)\)$")


@dataclass
class Setting:
    name: str
    value: str
    line: int


@dataclass
class Section:
    name: str
    line: int
    is_template: bool = False
    templates: list[str] = field(default_factory=list)
    settings: list[Setting] = field(default_factory=list)

    def get(self, name: str) -> str | None:
        return next((s.value for s in reversed(self.settings) if s.name == name), None)


@dataclass
class ConfFile:
    path: Path
    sections: list[Section]
    unreadable: list[tuple[int, str, str]]  # line, text, why

    def named(self, name: str) -> list[Section]:
        return [s for s in self.sections if s.name == name and not s.is_template]


def read_conf(path: Path) -> ConfFile:
    sections: list[Section] = []
    unreadable: list[tuple[int, str, str]] = []
    current: Section | None = None
    for number, raw in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), start=1):
        text = Line(raw, number).line  # pyst2 strips the ; comment
        if not text:
            continue
        if text.startswith("#"):
            unreadable.append((number, text, "#include and #exec are not followed; import the included file too"))
            continue
        if text.startswith("["):
            template = _TEMPLATE.match(text)
            if template:
                options = [o.strip() for o in template.group(2).split(",") if o.strip()]
                current = Section(template.group(1), number, "!" in options, [o for o in options if o != "!"])
            else:
                try:
                    current = Section(Category(text, number).name, number)
                except ParseError as error:
                    unreadable.append((number, text, str(error.args[-1])))
                    current = None
                    continue
            sections.append(current)
            continue
        try:
            item = Item(text, number)
        except ParseError as error:
            unreadable.append((number, text, str(error.args[-1])))
            continue
        if current is None:
            unreadable.append((number, text, "a setting before the first [section]"))
            continue
        current.settings.append(Setting(item.name.strip(), item.value.strip(), number))
    return ConfFile(path, sections, unreadable)


def effective(conf: ConfFile, section: Section) -> dict[str, str]:
    """A section's settings with those of its templates underneath, as Asterisk applies them."""
    values: dict[str, str] = {}
    for name in section.templates:
        for template in (s for s in conf.sections if s.name == name and s.is_template):
            values.update(effective(conf, template))
    values.update({s.name: s.value for s in section.settings})
    return values


def split_arguments(text: str) -> list[str]:
    """Application arguments split at top-level commas (not inside ${...} or (...))."""
    parts, depth, current = [], 0, ""
    for char in text:
        if char in "({":
            depth += 1
        elif char in ")}":
            depth -= 1
        if char == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += char
    parts.append(current.strip())
    return parts
