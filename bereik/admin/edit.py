"""Changes to the municipality's YAML made by a program (the coordinator's screen), written the way a
person would have made them: every comment, the order of keys and the layout of untouched lines stay.

ruamel's round trip keeps comments and order but re-indents and re-spaces what it writes. So the
edited document is dumped twice, before and after the change, in the file's own indentation, and only
the lines that differ between those two dumps replace lines of the original text; every other line is
the administrator's, byte for byte. Pure: text in, text out.
"""
from __future__ import annotations

import datetime as dt
import difflib
import io
import re
from collections.abc import Callable, Iterable
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from bereik.config.model import WEEKDAYS

Edit = Callable[[CommentedMap], None]
# (mapping, sequence, offset) indentations tried; the one that reproduces most of the file is the file's own.
_INDENTS = ((2, 4, 2), (2, 2, 0), (4, 4, 2), (4, 6, 4), (2, 4, 0), (4, 4, 0), (3, 5, 2))


class EditError(ValueError):
    """The change cannot be made to this file (e.g. the item to change is not there)."""


def edited(text: str, *edits: Edit) -> str:
    """`text` with `edits` applied to its document, untouched lines kept as they were."""
    yaml = _yaml()
    document = yaml.load(text)
    if not isinstance(document, CommentedMap):
        raise EditError("the file is not a mapping of keys")
    indent = _own_indent(text, document)
    before = _dump(document, indent)
    for edit in edits:
        edit(document)
    after = _dump(document, indent)
    return _splice(text, before, after)


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never fold a long text onto new lines
    return yaml


def _dump(document: CommentedMap, indent: tuple[int, int, int]) -> str:
    yaml = _yaml()
    mapping, sequence, offset = indent
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
    out = io.StringIO()
    yaml.dump(document, out)
    return out.getvalue()


def _own_indent(text: str, document: CommentedMap) -> tuple[int, int, int]:
    lines = text.splitlines()

    def likeness(indent: tuple[int, int, int]) -> int:
        dumped = _dump(document, indent).splitlines()
        return sum(a.split("#")[0].rstrip() == b.split("#")[0].rstrip() for a, b in zip(lines, dumped))
    return max(_INDENTS, key=likeness)


def _splice(original: str, before: str, after: str) -> str:
    """The original's lines where the dump did not change, the new dump's lines where it did."""
    old, dumped_old, dumped_new = original.splitlines(True), before.splitlines(True), after.splitlines(True)
    if len(old) != len(dumped_old):
        return after  # ruamel laid the file out differently; its own text is the faithful one
    result: list[str] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=dumped_old, b=dumped_new, autojunk=False).get_opcodes():
        if tag == "equal":
            result += old[i1:i2]
        elif tag == "replace" and i2 - i1 == j2 - j1:
            result += [_aligned(was, now) for was, now in zip(old[i1:i2], dumped_new[j1:j2])]
        else:
            result += dumped_new[j1:j2]
    return "".join(result)


_KEY = re.compile(r"^(\s*(?:- )?[\w-]+:)( +)(?=\S)")


def _aligned(was: str, now: str) -> str:
    """A changed `key: value` line keeps the spacing the administrator gave it (`thursday:  [...]`)."""
    old_key, new_key = _KEY.match(was), _KEY.match(now)
    if old_key and new_key and old_key[1] == new_key[1]:
        return old_key[0] + now[new_key.end():]
    return now


# --- the changes the screen makes ----------------------------------------------------------------

def quoted(text: str) -> DoubleQuotedScalarString:
    return DoubleQuotedScalarString(text)


def _flow(items: Iterable[Any]) -> CommentedSeq:
    seq = CommentedSeq(items)
    seq.fa.set_flow_style()
    return seq


def _section(document: CommentedMap, key: str, after: Iterable[str] = ()) -> CommentedMap:
    """document[key], made after the first of `after` that exists when it is missing."""
    if key not in document or document[key] is None:
        position = next((list(document).index(k) + 1 for k in after if k in document), len(document))
        document.insert(position, key, CommentedMap())
    return document[key]


def set_hours(day: str, periods: list[str]) -> Edit:
    """One weekday's opening periods; [] closes the day."""
    if day not in WEEKDAYS:
        raise EditError(f"'{day}' is not a weekday")

    def edit(document: CommentedMap) -> None:
        hours = _section(document, "hours", after=("shared_number", "number"))
        if not periods:
            hours.pop(day, None)
            return
        values = [quoted(p) for p in periods]
        if isinstance(hours.get(day), CommentedSeq):
            hours[day][:] = values  # keeps the list's style and comments
            return
        position = sum(1 for d in WEEKDAYS[: WEEKDAYS.index(day)] if d in hours)
        hours.insert(position, day, _flow(values))
    return edit


def add_closing_day(date: dt.date, reason: str) -> Edit:
    def edit(document: CommentedMap) -> None:
        holidays = _section(document, "holidays", after=("hours",))
        days = holidays.setdefault("extra_closed", CommentedSeq())
        if any(_date(day.get("date")) == date for day in days):
            raise EditError(f"{date.isoformat()} is already a closing day")
        item = CommentedMap([("date", date)] + ([("reason", reason)] if reason else []))
        position = sum(1 for day in days if _date(day.get("date")) is not None and _date(day.get("date")) < date)
        days.insert(position, item)
    return edit


def remove_closing_day(date: dt.date) -> Edit:
    def edit(document: CommentedMap) -> None:
        days = (document.get("holidays") or {}).get("extra_closed") or []
        index = next((i for i, day in enumerate(days) if _date(day.get("date")) == date), None)
        if index is None:
            raise EditError(f"{date.isoformat()} is not a closing day")
        del days[index]
    return edit


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None


def set_text(name: str, value: str) -> Edit:
    """A spoken text; an empty value removes it (the caller then hears the default, or nothing)."""

    def edit(document: CommentedMap) -> None:
        texts = _section(document, "texts", after=("holidays", "hours"))
        if not value:
            texts.pop(name, None)
        else:
            texts[name] = quoted(value)
    return edit


def set_menu_option(key: str, *, new_key: str, topic: str, text: str, forward_to: str = "",
                    organisation: str = "") -> Edit:
    """An option joins a queue (topic) or puts callers through to an outside organisation (forward_to,
    organisation); what is given is written, what is empty goes, and `bereik check` says if not exactly one."""
    def edit(document: CommentedMap) -> None:
        option = _menu_option(document, key)
        option["key"] = quoted(new_key)
        _destination(option, topic, forward_to, organisation)
        option["text"] = quoted(text)
    return edit


def add_menu_option(key: str, topic: str, text: str, forward_to: str = "", organisation: str = "") -> Edit:
    def edit(document: CommentedMap) -> None:
        menu = _section(document, "menu", after=("texts",))
        options = menu.setdefault("options", CommentedSeq())
        option = CommentedMap([("key", quoted(key))])
        _destination(option, topic, forward_to, organisation)
        option["text"] = quoted(text)
        options.append(option)
    return edit


def _destination(option: CommentedMap, topic: str, forward_to: str, organisation: str) -> None:
    """Right after the key, in the order the YAML's sections are written (key, topic or number and name)."""
    place = 1
    for name, value in (("topic", topic), ("forward_to", quoted(forward_to)), ("organisation", quoted(organisation))):
        if not value:
            option.pop(name, None)
        elif name in option:
            option[name] = value
            place = list(option).index(name) + 1
        else:
            option.insert(place, name, value)
            place += 1
    if not topic:
        option.pop("queue", None)  # a queue belongs to a topic; an outside organisation has none


def remove_menu_option(key: str) -> Edit:
    def edit(document: CommentedMap) -> None:
        options = (document.get("menu") or {}).get("options") or []
        options.remove(_menu_option(document, key))
    return edit


def _menu_option(document: CommentedMap, key: str) -> CommentedMap:
    options = (document.get("menu") or {}).get("options") or []
    option = next((o for o in options if str(o.get("key")) == key), None)
    if option is None:
        raise EditError(f"the menu has no option with key {key}")
    return option


_PERSON_FIELDS = ("name", "extension", "address", "direct", "mobile", "substitute")
_QUOTED = {"extension", "direct", "mobile", "substitute", "number", "answered_by", "caller_id"}


def set_person(extension: str | None, fields: dict[str, str]) -> Edit:
    """A colleague under people: (`extension` None: a new one); an empty field is left out."""

    def edit(document: CommentedMap) -> None:
        people = document.setdefault("people", CommentedSeq())
        person = _person(people, extension) if extension is not None else None
        if person is None:
            if extension is not None:
                raise EditError(f"nobody has extension {extension}")
            person = CommentedMap()
            if people and people[-1].fa.flow_style():
                person.fa.set_flow_style()  # like the others in the list
            people.append(person)
        _fill(person, _PERSON_FIELDS, fields)
    return edit


def remove_person(extension: str) -> Edit:
    def edit(document: CommentedMap) -> None:
        people = document.get("people") or []
        person = _person(people, extension)
        if person is None:
            raise EditError(f"nobody has extension {extension}")
        people.remove(person)
        for department in document.get("departments") or []:
            members = department.get("members") or []
            for member in [m for m in members if str(m) == extension]:
                members.remove(member)
    return edit


def set_department(department_id: str, fields: dict[str, str], members: list[str]) -> Edit:
    def edit(document: CommentedMap) -> None:
        departments = document.setdefault("departments", CommentedSeq())
        department = next((d for d in departments if str(d.get("id")) == department_id), None)
        if department is None:
            department = CommentedMap([("id", department_id)])
            departments.append(department)
        _fill(department, ("name", "number", "answered_by", "caller_id"), fields)
        values = [quoted(m) for m in members]
        if isinstance(department.get("members"), CommentedSeq):
            department["members"][:] = values
        else:
            department["members"] = _flow(values)
    return edit


def _person(people: list, extension: str) -> CommentedMap | None:
    return next((p for p in people if str(p.get("extension")) == extension), None)


def _fill(item: CommentedMap, order: tuple[str, ...], fields: dict[str, str]) -> None:
    for name in order:
        if name not in fields:
            continue
        value = fields[name].strip()
        if not value:
            item.pop(name, None)
            continue
        value = quoted(value) if name in _QUOTED else value
        if name in item:
            item[name] = value
        else:
            position = sum(1 for earlier in order[: order.index(name)] if earlier in item)
            item.insert(position, name, value)
