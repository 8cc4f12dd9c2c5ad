"""Read a municipality's YAML and report every problem at once, with its place.

The YAML is parsed with ruamel (which keeps line and column of every node),
validated for shape by the pydantic model and for cross-references by
`checks`, and each problem is pinned to the place in the file it is about, in
the administrator's words (`messages`). Dates stay the text they were written
as, so an impossible date is a problem with a place, not a crash.
"""
from __future__ import annotations

import re
import typing
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

import pydantic
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.reader import ReaderError
from typing_extensions import is_typeddict

from bereik.config import checks, messages
from bereik.config.model import Config

Location = tuple[str | int, ...]
ModelT = TypeVar("ModelT", bound=pydantic.BaseModel)
Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    column: int
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        label = "warning: " if self.severity == "warning" else ""
        return f"{self.file}:{self.line}:{self.column}: {label}{self.message}"


class ConfigError(Exception):
    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems, key=lambda p: (p.line, p.column, p.message))
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass(frozen=True)
class Checked:
    """A valid configuration, and what bereik advises about it."""

    config: Config
    warnings: list[Problem]
    document: CommentedMap
    filename: str


def load_config(path: str | Path) -> Config:
    return check_file(path).config


def check_file(path: str | Path) -> Checked:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([Problem(str(path), 0, 0, "file not found; give the path of the municipality's YAML")]) from None
    except UnicodeDecodeError as error:
        raise ConfigError([Problem(str(path), 1, 1, f"not UTF-8 text ({error.reason}); save the file as UTF-8")]) from None
    return check_text(text, str(path))


def parse_config(text: str, filename: str = "<config>") -> Config:
    return check_text(text, filename).config


def check_text(text: str, filename: str = "<config>",
               amend: Callable[[CommentedMap], list[tuple[Location, str]]] | None = None) -> Checked:
    """Every error (raised as ConfigError) or the configuration with the warnings about it. `amend`: adds to the
    document what another file decides (a platform's nodes, bereik.platform.load) and returns its own findings."""
    document = parse_document(text, filename, "the file must be a mapping of keys such as municipality:, number:, hours:")
    locate = Locator(document, filename, text)
    findings = [*(amend(document) if amend else []), *checks.cross_references(document)]
    problems = [locate(loc, message) for loc, message in findings]
    try:
        config = Config.model_validate(plain(document))
    except pydantic.ValidationError as error:
        # A value of the wrong shape is one problem, not a second one about what it refers to.
        malformed = {tuple(e["loc"]) for e in error.errors()}
        problems = [locate(loc, message) for loc, message in findings if tuple(loc) not in malformed]
        raise ConfigError(problems + validation_problems(error, locate)) from None
    if problems:
        raise ConfigError(problems)
    warnings = [locate(loc, message, severity="warning") for loc, message in checks.advice(document)]
    return Checked(config, warnings, document, filename)


def parse_model(text: str, filename: str, model: type[ModelT], hint: str) -> ModelT:
    """Another YAML file (a traffic profile, a what-if variant) read the same way: every problem with its place."""
    document = parse_document(text, filename, hint)
    try:
        return model.model_validate(plain(document))
    except pydantic.ValidationError as error:
        raise ConfigError(validation_problems(error, Locator(document, filename, text), model)) from None


def validation_problems(error: pydantic.ValidationError, locate: Locator, model: type = Config) -> list[Problem]:
    errors = error.errors()
    allowed = lambda loc: allowed_keys(loc, model)  # noqa: E731
    stand_ins = _stand_ins(errors, allowed)
    problems = []
    for e in errors:
        loc = tuple(e["loc"])
        if e["type"] == "missing" and loc in stand_ins.values():
            continue  # said at the unknown key that stands in for it
        if e["type"] == "extra_forbidden" and loc in stand_ins:
            message = messages.unknown_key(str(loc[-1]), loc[:-1], allowed(loc[:-1]), missing=str(stand_ins[loc][-1]))
        else:
            message = messages.explain(e, locate.written, allowed, model)
        problems.append(locate(loc, message, at_key=e["type"] == "extra_forbidden"))
    return problems


def _stand_ins(errors: list[dict], allowed) -> dict[Location, Location]:
    """Unknown keys that are a misspelt required key (`opening_hour:` for `hours:`): one problem, not two."""
    missing = {tuple(e["loc"]) for e in errors if e["type"] == "missing"}
    pairs: dict[Location, Location] = {}
    for e in errors:
        loc = tuple(e["loc"])
        if e["type"] != "extra_forbidden":
            continue
        candidates = [m for m in missing if m[:-1] == loc[:-1] and m not in pairs.values()]
        names = [str(m[-1]) for m in candidates]
        found = messages.suggestion(str(loc[-1]), names)
        if found is None and len(candidates) == 1 and _alike(str(loc[-1]), names[0]):
            found = names[0]
        if found is not None:
            pairs[loc] = (*loc[:-1], found)
    return pairs


def _alike(written: str, required: str) -> bool:
    """Shares a word with it (opening_hour / hours), the way a misremembered key does."""
    words = set(re.split(r"[_\s-]+", written.lower()))
    return any(w and (w in required or required in w) for w in words if len(w) >= 3)


def parse_document(text: str, filename: str, hint: str) -> CommentedMap:
    """The YAML as ruamel nodes, which keep every line and column; `hint` when it is not a mapping."""
    try:
        document = _yaml().load(text)
    except MarkedYAMLError as error:
        line, column, message = messages.yaml_problem(error, text)
        raise ConfigError([Problem(filename, line, column, message)]) from None
    except ReaderError as error:
        before = text[: error.position]
        line, column = before.count("\n") + 1, len(before) - before.rfind("\n")
        raise ConfigError([Problem(filename, line, column, (
            f"the character {error.character:#06x} is not allowed in YAML; remove it or save the file as UTF-8"
        ))]) from None
    except YAMLError as error:
        raise ConfigError([Problem(filename, 1, 1, f"the YAML cannot be read ({error})")]) from None
    if not isinstance(document, CommentedMap):
        raise ConfigError([Problem(filename, 1, 1, hint)])
    return document


class _Constructor(RoundTripConstructor):
    """Dates stay the text they were written as: the model reads them and says what is wrong with them."""


_Constructor.add_constructor("tag:yaml.org,2002:timestamp", lambda self, node: self.construct_scalar(node))


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.Constructor = _Constructor
    return yaml


def plain(node: Any) -> Any:
    """ruamel's nodes as the plain values a JSON Schema sees: str, int, float, bool, None, list, dict.
    A float without a fraction is an integer, as JSON Schema has it (4.0 is 4)."""
    if isinstance(node, dict):
        return {str(k): plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [plain(v) for v in node]
    if isinstance(node, bool) or node is None:
        return bool(node) if node is not None else None
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return int(node) if node.is_integer() else float(node)
    if isinstance(node, str):
        return str(node)
    return node


class Locator:
    def __init__(self, document: CommentedMap, filename: str, text: str = ""):
        self.document = document
        self.filename = filename
        self.lines = text.splitlines()

    def __call__(self, loc: Location, message: str, at_key: bool = False, severity: Severity = "error") -> Problem:
        line, column = self._position(loc, at_key)
        return Problem(self.filename, line + 1, column + 1, message, severity)

    def written(self, loc: Location) -> str | None:
        """A scalar as it stands in the file (`0235485868`, not the number YAML made of it)."""
        node, position = self._node(loc)
        if isinstance(node, (CommentedMap, CommentedSeq)) or position is None:
            return None
        line, column = position
        if line >= len(self.lines):
            return None
        match = re.match(r"[^,\]\}#\n]*", self.lines[line][column:])
        return match[0].strip() or None

    def _node(self, loc: Location) -> tuple[Any, tuple[int, int] | None]:
        node: Any = self.document
        position = None
        for step in loc:
            if isinstance(node, CommentedMap) and step in node:
                position = node.lc.value(step)
                node = node[step]
            elif isinstance(node, CommentedSeq) and isinstance(step, int) and 0 <= step < len(node):
                position = node.lc.item(step)
                node = node[step]
            else:
                return None, None
        return node, position

    def _position(self, loc: Location, at_key: bool) -> tuple[int, int]:
        node: Any = self.document
        position = (node.lc.line, node.lc.col)
        for depth, step in enumerate(loc, start=1):
            if isinstance(node, CommentedMap) and step in node:
                # An empty value (`topic:`) has no place of its own: ruamel gives the next line's.
                if at_key and depth == len(loc) or node[step] is None:
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


def allowed_keys(loc: Location, model: Any = Config) -> list[str]:
    for step in loc:
        if isinstance(step, int):
            continue
        fields = _fields(model)
        if step not in fields:
            return []
        model = messages.model_of(fields[step])
    return list(_fields(model))


def _fields(model: Any) -> dict[str, Any]:
    if model is None:
        return {}
    if is_typeddict(model):
        return typing.get_type_hints(model, include_extras=True)
    return {name: info.annotation for name, info in getattr(model, "model_fields", {}).items()}
