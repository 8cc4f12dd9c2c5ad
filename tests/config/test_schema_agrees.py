"""The JSON Schema an editor checks with and `bereik check` agree: on generated documents (the second
municipality with values of every kind put in, keys added and removed), the schema accepts exactly
what `bereik check` accepts.

What no JSON Schema can say is left to `bereik check` alone, and the generator does not put valid-looking
values there (it does put values of the wrong type, which both must refuse): references between parts
(a topic, an extension, a queue id), periods in order and not overlapping, placeholders in texts, names
of time zones, countries and public holidays. The list is REFERENCES below.
"""
import copy
import json
import os
from pathlib import Path

import jsonschema
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from bereik.config import ConfigError, check_text
from bereik.config.load import allowed_keys, parse_document, plain
from bereik.config.schema import json_schema

SAMPLE = Path(__file__).parent / "samples" / "huizen.yaml"
BASE = plain(parse_document(SAMPLE.read_text(), "huizen.yaml", ""))
SCHEMA = json_schema()
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)

# Paths (list items as *) whose valid values depend on other parts of the file, or on lists no schema holds.
REFERENCES = {
    ("front_office",), ("queues", "*", "id"), ("queues", "*", "topics", "*"), ("queues", "*", "topics"),
    ("queues", "*", "positions", "*", "extension"), ("queues", "*", "positions", "*"), ("menu", "options", "*", "topic"),
    ("menu", "options", "*", "queue"), ("menu", "options", "*", "key"), ("agents", "*", "extension"),
    ("agents", "*", "topics", "*"), ("agents", "*", "topics"), ("people", "*", "extension"),
    ("people", "*", "substitute"), ("people", "*", "direct"), ("departments", "*", "id"),
    ("departments", "*", "members", "*"), ("departments", "*", "members"), ("departments", "*", "answered_by"),
    ("departments", "*", "number"), ("number",), ("timezone",), ("holidays", "country"),
    ("holidays", "open_on", "*"), ("holidays", "open_on"), ("waiting", "texts"), ("pbx", "servers"),
    ("pbx", "trunk"), ("shared_number",), ("texts",), ("menu",), ("queues",), ("agents",), ("people",),
    ("departments",), ("presence",), ("presence", "ldap"), ("console", "users"),
    ("privacy", "pseudonymise_after_days"), ("records", "retention_days"), ("records",), ("privacy",),
    ("console", "team_mailboxes"), ("presence", "device_template"), ("reports", "grade_bands", "share"),
    ("reports", "grade_bands", "time"), ("people", "*", "ring_mobile"), ("people", "*", "mobile"),
    ("departments", "*", "forwarding"), ("general_numbers", "*"), ("general_numbers",),
    # An outside organisation's number: within the class of service (outbound:), not the municipality's own.
    ("menu", "options", "*", "forward_to"),
}
REQUIRED_TEXTS = {("texts", name) for name in ("menu_intro", "invalid_choice", "closed")}
WRONG_TYPE = [5, 355281501, 2.5, True, {"x": 1}, [{"x": 1}]]
ANY = [*WRONG_TYPE, [], {}, ["x"], None, 0, 1, 3, 12, 13, 60, 400, 3650, 100000, -1, 0.5, False, "", "x", "Welkom",
       "nl", "en", "NL", "both", "agent", "08:30-17:00", "08:00-24:00", "17:00-08:00", "8:30-17:00", "24:00-08:00",
       "127.0.0.1:5060", "127.0.1.9", "0355281501", "14035", "2026-12-24", "2026-02-30", "24-12-2026", "a" * 61,
       "a" * 301, "a" * 1001, "ldap://ldap.huizen.nl", "(objectClass=person)", "https://x.nl", "a@b", "kcc",
       ["08:30-12:00", "13:00-24:00"], ["08:30-17:00"], ["x", "y"], [1.0, 5], [[1.0, 5], [0, 1]],
       {"extension": "401"}]


def pattern(path: tuple) -> tuple:
    return tuple("*" if isinstance(step, int) else step for step in path)


def referential(path: tuple) -> bool:
    return pattern(path) in REFERENCES or (len(path) == 3 and path[0] == "hours") or path in REQUIRED_TEXTS


def places(node, path=()):
    """Every path in the document, with whether it holds a mapping."""
    yield path, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from places(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from places(value, (*path, index))


def get(document, path):
    for step in path:
        document = document[step]
    return document


@st.composite
def documents(draw):
    document = json.loads(json.dumps(BASE))
    for _ in range(draw(st.integers(1, 3))):
        spots = list(places(document))
        path, node = draw(st.sampled_from(spots))
        action = draw(st.sampled_from(["replace", "set", "add_unknown", "delete"]))
        if action == "replace" and path:
            pool = WRONG_TYPE if referential(path) else ANY
            get(document, path[:-1])[path[-1]] = copy.deepcopy(draw(st.sampled_from(pool)))
        elif action == "set" and isinstance(node, dict):
            known = [k for k in allowed_keys(path) if not referential((*path, k))]
            if known:
                node[draw(st.sampled_from(known))] = copy.deepcopy(draw(st.sampled_from(ANY)))
        elif action == "add_unknown" and isinstance(node, dict):
            node[draw(st.sampled_from(["welkom", "opening_hour", "maandag", "x", "name_", "Monday"]))] = "x"
        elif action == "delete" and path and isinstance(get(document, path[:-1]), dict) and not referential(path):
            del get(document, path[:-1])[path[-1]]
    return document


def as_yaml(document) -> str:
    from io import StringIO

    out = StringIO()
    YAML(typ="safe", pure=True).dump(document, out)
    return out.getvalue()


def check_problems(text: str) -> list[str]:
    try:
        check_text(text, "generated.yaml")
        return []
    except ConfigError as error:
        return [str(problem) for problem in error.problems]


def check_accepts(text: str) -> bool:
    return not check_problems(text)


def changes(document) -> list[str]:
    """What the generator changed, for the failure message."""
    before, after = dict(places(BASE)), dict(places(document))
    return [f"{'.'.join(map(str, p))}: {before.get(p)!r} -> {after.get(p)!r}"
            for p in sorted(set(before) | set(after), key=str)
            if before.get(p) != after.get(p) and not isinstance(after.get(p, before.get(p)), (dict, list))]


@settings(max_examples=int(os.environ.get("BEREIK_SCHEMA_EXAMPLES", 150)), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents())
def test_the_schema_accepts_exactly_what_check_accepts(document):
    text = as_yaml(document)
    seen = plain(parse_document(text, "generated.yaml", ""))  # what an editor's YAML parser sees
    schema_says = [f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in VALIDATOR.iter_errors(seen)]
    check_says = check_problems(text)
    assert bool(schema_says) == bool(check_says), (changes(document), schema_says, check_says)


def test_the_generator_makes_documents_of_both_kinds():
    # Any document of each kind will do: no shrinking (a minimal one took most of a minute to find).
    settings_ = settings(max_examples=200, deadline=None, database=None, phases=[Phase.generate])
    accepted = find(documents(), lambda d: check_accepts(as_yaml(d)) and d != BASE, settings=settings_)
    refused = find(documents(), lambda d: not check_accepts(as_yaml(d)), settings=settings_)
    assert VALIDATOR.is_valid(accepted) and not VALIDATOR.is_valid(refused)
