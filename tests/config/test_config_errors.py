"""`bereik check`: every class of mistake is reported, with line and column, all at once."""
from pathlib import Path

import pytest

from bereik.cli import main
from bereik.config import ConfigError, parse_config
from tests.examples import example_config

EXAMPLE = Path(__file__).parents[2] / "examples" / "bloemendaal.yaml"


def example() -> str:
    return EXAMPLE.read_text()


def problems_of(text: str) -> list:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "gemeente.yaml")
    return caught.value.problems


def line_of(text: str, fragment: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), start=1) if fragment in line)


def test_the_shipped_example_is_valid():
    config = example_config()
    assert config.number == "14023"
    assert [p.overflow for p in config.queue("tic").positions] == [False, False, False, True]


def test_a_sixth_menu_option_is_refused_at_the_options_list():
    text = example().replace(
        '    - key: "5"\n',
        '    - key: "6"\n      topic: overig\n      text: "Toets 6."\n    - key: "5"\n',
    )
    [problem] = problems_of(text)
    assert "6 options; at most 5" in problem.message
    assert (problem.line, problem.column) == (line_of(text, '- key: "1"'), 5)


def test_a_menu_option_that_leads_nowhere_is_pinned_to_its_topic():
    text = example().replace("topic: belastingen\n", "topic: parkeren\n")
    [problem] = problems_of(text)
    assert "menu option 3 leads nowhere" in problem.message and "'parkeren'" in problem.message
    assert problem.line == line_of(text, "topic: parkeren")
    assert problem.column == text.splitlines()[problem.line - 1].index("parkeren") + 1


def test_an_unknown_queue_names_the_known_ones():
    text = example().replace("      topic: zorg\n", "      topic: zorg\n      queue: wmo\n")
    [problem] = problems_of(text)
    assert problem.message == "there is no queue 'wmo' (queues: tic)"
    assert problem.line == line_of(text, "queue: wmo")


def test_a_duplicate_extension_is_refused():
    text = example().replace('{name: Carla Bakker, extension: "203"', '{name: Carla Bakker, extension: "202"')
    [problem] = problems_of(text)
    assert "duplicate extension 202: Bram Jansen already has it" in problem.message
    assert problem.line == line_of(text, "Carla Bakker")
    assert problem.column == text.splitlines()[problem.line - 1].index('"202"') + 1


def test_an_impossible_time_says_what_is_allowed():
    text = example().replace('monday:    ["08:30-17:00"]', 'monday:    ["08:30-25:00"]')
    [problem] = problems_of(text)
    assert "'25:00'" in problem.message and "hours run 00-23" in problem.message
    assert (problem.line, problem.column) == (line_of(text, "monday:"), 15)


def test_a_missing_text_is_named():
    text = example().replace('  invalid_choice: "Die keuze kennen wij niet."\n', "")
    [problem] = problems_of(text)
    assert problem.message.startswith("the text 'invalid_choice' is missing")
    assert problem.line == line_of(text, "texts:") + 1


def test_every_problem_is_reported_at_once_in_file_order():
    text = (example()
            .replace('monday:    ["08:30-17:00"]', 'monday:    ["8.30-17:00"]')
            .replace("topic: afval\n", "topic: vuilnis\n")
            .replace("front_office: tic", "front_office: tic\nwebsit: x"))
    problems = problems_of(text)
    assert len(problems) == 3
    assert [p.line for p in problems] == sorted(p.line for p in problems)
    assert "did you mean 'website'" in problems[-1].message
    assert str(problems[0]).startswith(f"gemeente.yaml:{problems[0].line}:")


def test_a_duplicate_yaml_key_and_broken_yaml_are_reported_with_place():
    [problem] = problems_of("municipality: A\nmunicipality: B\n")
    assert problem.line == 2 and "'municipality' appears twice" in problem.message
    [problem] = problems_of("texts: [unclosed\n")
    assert (problem.line, problem.column) == (1, 8)
    assert problem.message == "this list or mapping is not closed; end it with ]"


def test_a_placeholder_that_does_not_exist_is_refused():
    text = example().replace("{website}.", "{webadres}.")
    [problem] = problems_of(text)
    assert "unknown placeholder {webadres}" in problem.message


def test_forwarding_to_another_municipality_needs_a_trunk():
    text = example().replace("  trunk: 127.0.0.1:5080   # calls from this address enter at 14023\n", "")
    [problem] = problems_of(text)
    assert "pbx.trunk is not set" in problem.message


def test_check_command_prints_problems_and_fails(tmp_path, capsys):
    bad = tmp_path / "gemeente.yaml"
    bad.write_text(example().replace("topic: afval\n", "topic: vuilnis\n"))
    assert main(["check", str(bad)]) == 1
    assert f"{bad}:{line_of(bad.read_text(), 'vuilnis')}:" in capsys.readouterr().err
    assert main(["check", str(EXAMPLE)]) == 0


def test_schema_command_prints_a_json_schema_that_accepts_the_example(capsys):
    import json

    import jsonschema
    import yaml

    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    data = yaml.safe_load(example())
    data["holidays"]["extra_closed"] = [
        {**day, "date": day["date"].isoformat()} for day in data["holidays"]["extra_closed"]
    ]
    jsonschema.validate(data, schema)
    data["menu"]["options"].append(dict(data["menu"]["options"][0], key="6"))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, schema)
