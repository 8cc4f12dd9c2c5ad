"""privacy: in the YAML: periods checked, with the line and column of the problem."""
from pathlib import Path

import pytest

from bereik.config import ConfigError, parse_config

EXAMPLE = (Path(__file__).parents[2] / "examples" / "bloemendaal.yaml").read_text()


def problems(extra: str) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        parse_config(EXAMPLE + extra, "gemeente.yaml")
    return [str(p) for p in raised.value.problems]


def test_the_defaults_protect_callers_without_a_word_in_the_yaml():
    privacy = parse_config(EXAMPLE, "gemeente.yaml").privacy
    assert privacy.pseudonymise_after_days == 30 and not privacy.recording_announcement
    assert (privacy.callback_note_retention_days, privacy.audit_retention_days) == (90, 730)


def test_pseudonymising_after_the_records_are_deleted_is_refused():
    [problem] = problems("\nprivacy:\n  pseudonymise_after_days: 500\n")
    assert "pseudonymise_after_days" in problem and "call records are deleted after 400" in problem


def test_pseudonymising_within_the_repeat_caller_week_is_refused():
    [problem] = problems("\nprivacy:\n  pseudonymise_after_days: 3\n")
    assert "pseudonymise_after_days" in problem and "7" in problem


def test_pseudonymisation_may_be_turned_off():
    config = parse_config(EXAMPLE + "\nprivacy:\n  pseudonymise_after_days: null\n  recording_announcement: true\n",
                          "gemeente.yaml")
    assert config.privacy.pseudonymise_after_days is None and config.privacy.recording_announcement
