"""Read a municipality's YAML and report every problem at once, with its place.

The YAML is parsed with ruamel (which keeps line and column of every node),
validated for shape by the pydantic model and for cross-references by
`checks`, and each problem is pinned to the place in the file it is about.
"""
from __future__ import annotations

import difflib
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pydantic
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.reader import ReaderError

from bereik.config import checks
from bereik.config.model import Config

Location = tuple[str | int, ...]
ModelT = TypeVar("ModelT", bound=pydantic.BaseModel)


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message}"


class ConfigError(Exception):
    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems, key=lambda p: (p.line, p.column, p.message))
        super().__init__("\n".join(str(p) for p in self.problems))


def load_config(path: str | Path) -> Config:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([Problem(str(path), 0, 0, "file not found; give the path of the municipality's YAML")]) from None
    except UnicodeDecodeError as error:
        raise ConfigError([Problem(str(path), 1, 1, f"not UTF-8 text ({error.reason}); save the file as UTF-8")]) from None
    return parse_config(text, str(path))


def parse_config(text: str, filename: str = "<config>") -> Config:
    document = parse_document(text, filename, "the file must be a mapping of keys such as municipality:, number:, hours:")
    locate = _Locator(document, filename)
    problems = [locate(loc, message) for loc, message in checks.cross_references(document)]
    try:
        config = Config.model_validate(_plain(document))
    except pydantic.ValidationError as error:
        raise ConfigError(problems + validation_problems(error, locate)) from None
    if problems:
        raise ConfigError(problems)
    return config


def parse_model(text: str, filename: str, model: type[ModelT], hint: str) -> ModelT:
    """Another YAML file (a traffic profile, a what-if variant) read the same way: every problem with its place."""
    document = parse_document(text, filename, hint)
    try:
        return model.model_validate(_plain(document))
    except pydantic.ValidationError as error:
        raise ConfigError(validation_problems(error, _Locator(document, filename), model)) from None


def validation_problems(error: pydantic.ValidationError, locate: _Locator, model: type = Config) -> list[Problem]:
    return [locate(e["loc"], _explain(e, model), at_key=e["type"] == "extra_forbidden") for e in error.errors()]


def parse_document(text: str, filename: str, hint: str) -> CommentedMap:
    """The YAML as ruamel nodes, which keep every line and column; `hint` when it is not a mapping."""
    try:
        document = YAML(typ="rt").load(text)
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise ConfigError([Problem(filename, line, column, f"YAML: {error.problem or error}")]) from None
    except ReaderError as error:
        before = text[: error.position]
        line, column = before.count("\n") + 1, len(before) - before.rfind("\n")
        raise ConfigError([Problem(filename, line, column, (
            f"YAML: the character {error.character:#06x} is not allowed in YAML; remove it or save the file as UTF-8"
        ))]) from None
    except YAMLError as error:
        raise ConfigError([Problem(filename, 1, 1, f"YAML: {error}")]) from None
    if not isinstance(document, CommentedMap):
        raise ConfigError([Problem(filename, 1, 1, hint)])
    return document


def _plain(node: Any) -> Any:
    """ruamel's nodes as plain Python."""
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    if isinstance(node, str):
        return str(node)
    return node


class _Locator:
    def __init__(self, document: CommentedMap, filename: str):
        self.document = document
        self.filename = filename

    def __call__(self, loc: Location, message: str, at_key: bool = False) -> Problem:
        line, column = self._position(loc, at_key)
        return Problem(self.filename, line + 1, column + 1, message)

    def _position(self, loc: Location, at_key: bool) -> tuple[int, int]:
        node: Any = self.document
        position = (node.lc.line, node.lc.col)
        for depth, step in enumerate(loc, start=1):
            if isinstance(node, CommentedMap) and step in node:
                if at_key and depth == len(loc):
                    return node.lc.key(step)
                position = node.lc.value(step)
                if not isinstance(node[step], (CommentedMap, CommentedSeq)):
                    return position
                node = node[step]
                position = node.lc.line, node.lc.col
            elif isinstance(node, CommentedSeq) and isinstance(step, int) and 0 <= step < len(node):
                position = node.lc.item(step)
                node = node[step]
            else:
                break
        return position


_DESCRIPTIONS = {
    r"^[0-9]$": "a single telephone key, 0-9",
    r"^[0-9]{2,8}$": "an extension of 2 to 8 digits",
    r"^\+?[0-9]{3,15}$": "a telephone number of digits, optionally starting with +",
    r"^[a-z][a-z0-9_]{0,30}$": "a short name in lower case: letters, digits and _ (e.g. burgerzaken)",
    r"^[0-9.]+:[0-9]{1,5}$": "an address and port such as 127.0.0.1:5060",
    r"^(?:[0-9]{1,3}\.){3}[0-9]{1,3}$": "an IPv4 address such as 127.0.1.1",
    r"^14[0-9]{3,4}$": "a 14 number of 5 or 6 digits, e.g. 14023",
    r"^[A-Z]{2}$": "a two-letter country code such as NL",
    r"^[^,|\x00-\x1f]{1,60}$": "a name of at most 60 characters without commas, | or control characters",
    r"^ldaps?://[^/\s]+/?$": "an LDAP server address such as ldap://ldap.example.nl:389 or ldaps://dc1.example.nl",
    r"^\(.*\)$": "an LDAP filter in parentheses, e.g. (objectClass=inetOrgPerson)",
    r"^[^@\s]+@[^@\s]+$": "an e-mail address",
    r"^https?://\S+$": "a web address starting with https://",
}


def _explain(error: dict, model: type = Config) -> str:
    loc, kind, ctx = error["loc"], error["type"], error.get("ctx", {})
    field = ".".join(str(p) for p in loc) or "the file"
    value = error.get("input")
    if kind == "missing":
        return f"'{loc[-1]}' is missing; it is required here"
    if kind == "extra_forbidden":
        allowed = _allowed_keys(loc[:-1], model)
        hint = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        suggestion = f" (did you mean '{hint[0]}'?)" if hint else ""
        return f"unknown key '{loc[-1]}'{suggestion}. Allowed here: {', '.join(allowed)}"
    if kind == "string_pattern_mismatch":
        wanted = _DESCRIPTIONS.get(ctx.get("pattern", ""), f"text matching {ctx.get('pattern')}")
        return f"{field}: '{value}' is not {wanted}"
    if kind == "too_long" and loc[-2:] == ("menu", "options"):
        return (
            f"the menu has {ctx.get('actual_length')} options; at most {ctx.get('max_length')} are allowed "
            "(callers cannot remember more): merge or drop options"
        )
    if kind == "value_error":
        return f"{field}: {ctx.get('error')}"
    if kind == "literal_error":
        return f"{field}: '{value}' is not allowed; expected {ctx.get('expected')}"
    return f"{field}: {error['msg']}"


def _allowed_keys(loc: Location, model: Any = Config) -> list[str]:
    for step in loc:
        if isinstance(step, int):
            continue
        fields = getattr(model, "model_fields", {})
        if step not in fields:
            return []
        model = _model_of(fields[step].annotation)
    return list(getattr(model, "model_fields", {}))


def _model_of(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_of(arg)
        if found is not None:
            return found
    return None
