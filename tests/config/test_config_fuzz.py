"""Whatever an administrator types, `bereik check` answers with problems and places, never a crash."""
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bereik.config import Config, ConfigError, parse_config

EXAMPLE = (Path(__file__).parents[2] / "examples" / "bloemendaal.yaml").read_text()
LINES = EXAMPLE.splitlines(keepends=True)


def outcome(text: str):
    try:
        return parse_config(text, "fuzz.yaml")
    except ConfigError as error:
        assert error.problems, "a ConfigError always names at least one problem"
        for problem in error.problems:
            assert problem.line >= 1 and problem.column >= 1 and problem.message
        return error


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_any_text_is_either_valid_or_reported(text):
    assert isinstance(outcome(text), (Config, ConfigError))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(line=st.integers(0, len(LINES) - 1),
       replacement=st.sampled_from(["", "  foo: [\n", "\t\n", "x: 1\n", "    - key: \"\\x00\"\n", ": :\n",
                                    "  monday: [\"99:99-00:00\"]\n", "\ufeff\n", "'\n", "menu: null\n"]))
def test_a_damaged_example_is_either_valid_or_reported(line, replacement):
    damaged = "".join(LINES[:line] + [replacement] + LINES[line + 1:])
    assert isinstance(outcome(damaged), (Config, ConfigError))
