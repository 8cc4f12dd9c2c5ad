"""Problems in the administrator's words: what the YAML parser and the model say, translated.

The parser and pydantic speak of tokens, inputs and types; an administrator wants to know
what they wrote, why it will not do, and what to write instead. Each translation quotes
what was written (taken from the file, so `0235485868` keeps its leading zero) and names
the key it is about; the line and column come with it.
"""
from __future__ import annotations

import difflib
import re
import typing
from collections.abc import Callable
from typing import Any

import pydantic
from ruamel.yaml.error import MarkedYAMLError
from typing_extensions import is_typeddict

Location = tuple[str | int, ...]

# Keys an administrator may write in Dutch or by another name; the key bereik knows.
SYNONYMS = {
    "openingstijden": "hours", "openingsuren": "hours", "opening_hours": "hours", "opening_hour": "hours",
    "openingtimes": "hours", "gemeente": "municipality", "nummer": "number", "teksten": "texts",
    "welkom": "welcome", "welkomst": "welcome", "welkomsttekst": "welcome", "gesloten": "closed",
    "keuzemenu": "menu", "wachtrijen": "queues", "wachtrij": "queues", "medewerkers": "agents",
    "feestdagen": "holidays", "sluitingsdagen": "extra_closed", "collega": "people", "collegas": "people",
    "afdelingen": "departments", "maandag": "monday", "dinsdag": "tuesday", "woensdag": "wednesday",
    "donderdag": "thursday", "vrijdag": "friday", "zaterdag": "saturday", "zondag": "sunday",
    "toets": "key", "onderwerp": "topic", "tekst": "text", "naam": "name", "toestel": "extension",
    "datum": "date", "reden": "reason", "taal": "language", "website_url": "website",
}


def suggestion(word: str, known: list[str] | tuple[str, ...]) -> str | None:
    """The known name the administrator probably meant."""
    lowered = word.lower().strip()
    if SYNONYMS.get(lowered) in known:
        return SYNONYMS[lowered]
    if lowered in known:
        return lowered
    close = difflib.get_close_matches(lowered, list(known), n=1, cutoff=0.6)
    return close[0] if close else None


def did_you_mean(word: str, known: list[str] | tuple[str, ...]) -> str:
    found = suggestion(word, known)
    return f"; did you mean '{found}'?" if found else ""


def unknown(what: str, word: str, known: list[str] | tuple[str, ...], label: str) -> str:
    """'there is no queue 'kcc'; did you mean 'kcm'? (queues: kcm)'."""
    listing = f"({label}: {', '.join(known) or 'none'})"
    found = suggestion(word, known)
    return f"{what}; did you mean '{found}'? {listing}" if found else f"{what} {listing}"


def yaml_problem(error: MarkedYAMLError, text: str) -> tuple[int, int, str]:
    """Line, column (1-based) and words for what the YAML parser could not read."""
    mark = error.problem_mark or error.context_mark
    line, column = (mark.line, mark.column) if mark else (0, 0)
    problem = str(error.problem or "")
    lines = text.splitlines()
    here = lines[line] if line < len(lines) else ""
    if "'\\t'" in problem or "\t" in problem:
        return line + 1, column + 1, ("a tab in the indentation; YAML indents with spaces only: "
                                      "replace the tab with spaces")
    if problem.startswith("mapping values are not allowed"):
        first_key = re.match(r"\s*(?:-\s+)?[^\s:#][^:#]*:\s", here)
        if first_key and column >= first_key.end() - 1:
            key, value = here[: first_key.end()].strip(), here[first_key.end():].strip()
            return line + 1, column + 1, (
                "a colon followed by a space inside a value makes YAML read a new key; put the whole value "
                f"between quotes: {key} \"{value}\"")
        return line + 1, column + 1, ("this line is indented deeper than the line above allows; indent it "
                                      "as far as the keys beside it")
    if problem.startswith("found duplicate key"):
        key = re.search(r'duplicate key "([^"]*)"', problem)
        first = error.context_mark.line + 1 if error.context_mark else None
        where = f" (the mapping starts at line {first})" if first else ""
        return line + 1, column + 1, (f"'{key[1] if key else 'a key'}' appears twice here{where}; "
                                      "keep one and remove the other")
    if "while scanning a quoted scalar" in str(error.context or ""):
        start = error.context_mark
        return start.line + 1, start.column + 1, "this quoted text has no closing quote; end it with the same quote"
    if problem.startswith("expected ',' or ']'") or problem.startswith("expected ',' or '}'"):
        start = error.context_mark or mark
        closing = "]" if "]" in problem else "}"
        return start.line + 1, start.column + 1, f"this list or mapping is not closed; end it with {closing}"
    if problem.startswith("found undefined alias"):
        return line + 1, column + 1, f"{problem}: a * refers to an &anchor that is not defined; write the value itself"
    if "expected <block end>" in problem or "expected '<document start>'" in problem:
        return line + 1, column + 1, ("the indentation does not line up with the keys above; indent this line "
                                      "as far as the keys it belongs with")
    return line + 1, column + 1, f"the YAML cannot be read here ({problem or error}); check quotes, colons and indentation"


# What a pattern asks for, in words.
PATTERNS = {
    r"^[0-9]$": "a single telephone key, 0-9, between quotes: \"1\"",
    r"^[0-9]{2,8}$": "an extension of 2 to 8 digits",
    r"^\+?[0-9]{3,15}$": "a telephone number of digits, optionally starting with +",
    r"^[a-z][a-z0-9_]{0,30}$": "a short name in lower case: letters, digits and _, starting with a letter",
    r"^[0-9.]+:[0-9]{1,5}$": "an address and port such as 127.0.0.1:5060",
    r"^(?:[0-9]{1,3}\.){3}[0-9]{1,3}$": "an IPv4 address such as 127.0.1.1",
    r"^14[0-9]{3,4}$": "a 14 number of 5 or 6 digits (14 and the area code without its 0)",
    r"^[A-Z]{2}$": "a two-letter country code such as NL",
    r"^[^,|\x00-\x1f]{1,60}$": "a name of at most 60 characters without commas, | or control characters",
    r"^ldaps?://[^/\s]+/?$": "an LDAP server address such as ldap://ldap.example.nl:389 or ldaps://dc1.example.nl",
    r"^\(.*\)$": "an LDAP filter in parentheses, e.g. (objectClass=inetOrgPerson)",
    r"^[^@\s]+@[^@\s]+$": "an e-mail address",
    r"^https?://\S+$": "a web address starting with https://",
}


def _slug(value: str) -> str | None:
    slug = re.sub(r"[^a-z0-9_]+", "_", value.lower()).strip("_")[:31]
    return slug if re.fullmatch(r"[a-z][a-z0-9_]{0,30}", slug or "") and slug != value else None


def _key(loc: Location) -> str:
    """The key as the administrator wrote it (for an item of a list, the list's key)."""
    names = [step for step in loc if isinstance(step, str) and step != "[key]"]
    return names[-1] if names else "the file"


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping of keys"
    if value is None:
        return "empty"
    return "text"


def explain(error: dict, written: Callable[[Location], str | None], allowed_keys: Callable[[Location], list[str]],
            model: Any) -> str:
    """One pydantic error in the administrator's words. `written(loc)`: the value as it stands in the file;
    `allowed_keys(loc)`: the keys a mapping may have; `model`: the file's model."""
    loc, kind, ctx, value = tuple(error["loc"]), error["type"], error.get("ctx", {}), error.get("input")
    key = _key(loc)
    source = written(loc) or (str(value) if not isinstance(value, (dict, list)) else None)
    if kind == "missing" and loc[:1] == ("texts",):
        return f"the text '{loc[-1]}' is missing; every caller may hear it, so write it under texts:"
    if kind == "missing":
        return f"'{loc[-1]}:' is missing; it is required here"
    if kind == "extra_forbidden":
        return unknown_key(str(loc[-1]), loc[:-1], allowed_keys(loc[:-1]))
    if kind == "string_type":
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if source and re.fullmatch(r"0[0-9]+", source):
                return (f"{key}: {source} without quotes is the number {int(source)} to YAML: the leading 0 is "
                        f"lost and calls would go to a wrong number; write it between quotes: \"{source}\"")
            return f"{key}: {source} is a number to YAML; write it between quotes: \"{source}\""
        if isinstance(value, bool):
            return f"{key}: {source} means yes/no to YAML; write it between quotes: \"{source}\""
        if value is None:
            return f"{key} is empty; write a value, or remove the line"
        return f"{key} takes one text, not {_kind(value)}"
    if kind == "string_too_short" or (kind == "too_short" and loc[-2:] == ("menu", "options")):
        if loc[:1] == ("texts",) or loc[-1] == "text":
            return f"{key} is empty; write what the caller hears, or remove the line"
        if loc[-2:] == ("menu", "options"):
            return "a menu needs at least one option; remove the menu to send every caller to the queue"
        return f"{key} is empty; it needs at least {ctx.get('min_length', 1)}"
    if kind == "too_short":
        return f"{key} needs at least {ctx.get('min_length')} item(s)"
    if kind == "string_too_long":
        return f"{key} is {len(value)} characters; at most {ctx.get('max_length')} are allowed"
    if kind == "too_long" and loc[-2:] == ("menu", "options"):
        return (f"the menu has {ctx.get('actual_length')} options; at most {ctx.get('max_length')} are allowed "
                "(callers cannot remember more): merge or drop options")
    if kind == "too_long":
        return f"{key} has {ctx.get('actual_length')} items; at most {ctx.get('max_length')} are allowed"
    if kind == "string_pattern_mismatch":
        wanted = PATTERNS.get(ctx.get("pattern", ""), f"text matching {ctx.get('pattern')}")
        slug = _slug(value) if ctx.get("pattern") == r"^[a-z][a-z0-9_]{0,30}$" else None
        hint = f"; did you mean '{slug}'?" if slug else ""
        return f"{key}: '{value}' is not {wanted}{hint}"
    if kind == "list_type":
        if isinstance(value, str):
            return f"{key} takes a list; write {key}: [\"{value}\"]"
        return f"{key} takes a list (in [ ] or with - on each line), not {_kind(value)}"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"{key} takes keys below it (key: value, indented), not {_kind(value)} ('{source}')"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        if isinstance(value, str) and re.fullmatch(r"-?[0-9]+", value.strip()):
            return f"{key}: \"{value}\" is text; write the number without quotes: {value.strip()}"
        return f"{key}: '{source}' is not a whole number; write one such as 4"
    if kind in ("float_type", "float_parsing"):
        if isinstance(value, str) and re.fullmatch(r"-?[0-9]+(?:[.,][0-9]+)?", value.strip()):
            return f"{key}: \"{value}\" is text; write the number without quotes: {value.strip().replace(',', '.')}"
        return f"{key}: '{source}' is not a number; write one such as 5 or 2.5"
    if kind in ("bool_type", "bool_parsing"):
        return f"{key}: '{source}' is not true or false; write true or false without quotes"
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        return f"{key}: {source} is out of range; {_bounds(loc, model) or _bound_words(kind, ctx)}"
    if kind == "literal_error":
        expected = ctx.get("expected", "")
        options = re.findall(r"'([^']*)'", expected)
        return f"{key}: '{source}' is not one of {expected}{did_you_mean(str(value), options) if options else ''}"
    if kind == "tuple_type":
        return f"{key} takes a pair such as [1.05, 9]"
    if kind == "value_error":
        return f"{key}: {ctx.get('error')}"
    if kind in ("date_type", "date_parsing", "date_from_datetime_parsing"):
        return f"{key}: '{source}' is not a date; write year-month-day, e.g. 2026-12-24"
    return f"{key}: {error['msg']}"


def unknown_key(name: str, parent: Location, allowed: list[str], missing: str | None = None) -> str:
    """A key bereik does not know; `missing`: the required key it stands in for."""
    if missing:
        return f"unknown key '{name}'; did you mean '{missing}'? ('{missing}:' is required and missing)"
    if parent == ("texts",):
        return unknown(f"'{name}' is not a text bereik speaks", name, allowed, "the texts")
    return unknown(f"unknown key '{name}'", name, allowed, "allowed here")


def _bound_words(kind: str, ctx: dict) -> str:
    words = {"greater_than": "more than {gt}", "greater_than_equal": "at least {ge}",
             "less_than": "less than {lt}", "less_than_equal": "at most {le}"}
    return "it must be " + words[kind].format(**ctx)


def _bounds(loc: Location, model: Any) -> str | None:
    """'allowed: 1 to 12' from the field's own limits, when it has both."""
    field = field_info(loc, model)
    if field is None:
        return None
    limits = {name: getattr(rule, name) for rule in field.metadata for name in ("ge", "gt", "le")
              if getattr(rule, name, None) is not None}
    if "le" not in limits or not {"ge", "gt"} & set(limits):
        return None
    if "ge" in limits:
        return f"allowed: {limits['ge']:g} to {limits['le']:g}"
    return f"allowed: more than {limits['gt']:g}, at most {limits['le']:g}"


def field_info(loc: Location, model: Any) -> pydantic.fields.FieldInfo | None:
    info = None
    for step in loc:
        if isinstance(step, int) or step == "[key]":
            continue
        fields = getattr(model, "model_fields", None)
        if fields is None or step not in fields:
            return None
        info = fields[step]
        model = model_of(info.annotation)
    return info


def model_of(annotation: Any) -> Any:
    """The model or TypedDict inside an annotation such as list[Queue] or Menu | None."""
    if isinstance(annotation, type) and (issubclass(annotation, pydantic.BaseModel) or is_typeddict(annotation)):
        return annotation
    for arg in typing.get_args(annotation):
        found = model_of(arg)
        if found is not None:
            return found
    return None
