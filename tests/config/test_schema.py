"""The JSON Schema editors use: identified, every field described, periods and text names spelled out,
and the file shipped for the example's `# yaml-language-server: $schema=` line is the current one."""
import json
import re
from pathlib import Path

import jsonschema

from bereik.cli import main
from bereik.config.model import PERIOD_PATTERN, TEXT_NAMES
from bereik.config.schema import json_schema, undescribed

EXAMPLES = Path(__file__).parents[2] / "examples"


def test_the_schema_says_which_dialect_and_which_schema_it_is():
    schema = json_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == "urn:bereik:municipality:1"
    jsonschema.Draft202012Validator.check_schema(schema)


def test_every_field_has_a_description():
    assert undescribed(json_schema()) == [], "give these fields a Field(description=...) in bereik/config/model.py"


def test_periods_have_a_pattern_that_allows_until_midnight_and_nothing_past_it():
    schema = json_schema()
    monday = schema["$defs"]["WeekHours"]["properties"]["monday"]["items"]
    assert monday["pattern"] == PERIOD_PATTERN
    accepts = lambda period: re.search(PERIOD_PATTERN, period) is not None  # noqa: E731 (ECMA and Python agree here)
    assert accepts("08:30-17:00") and accepts("08:00-24:00") and accepts("00:00-24:00")
    assert not any(accepts(p) for p in ("8:30-17:00", "08:30-24:30", "24:00-08:00", "08:30-25:00", "08:60-09:00"))


def test_texts_are_the_known_names_and_nothing_else():
    texts = json_schema()["$defs"]["Texts"]
    assert tuple(texts["properties"]) == TEXT_NAMES and texts["additionalProperties"] is False
    assert texts["required"] == ["closed"]
    assert all(prop.get("description") for prop in texts["properties"].values())


def test_the_shipped_schema_is_what_bereik_schema_prints(capsys):
    assert main(["schema"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == json_schema()
    shipped = json.loads((EXAMPLES / "bereik.schema.json").read_text())
    assert shipped == printed, "run `make schema` and commit examples/bereik.schema.json"
    assert (EXAMPLES / "bloemendaal.yaml").read_text().startswith("# yaml-language-server: $schema=bereik.schema.json\n")
