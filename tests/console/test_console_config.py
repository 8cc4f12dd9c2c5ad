"""The console section of the YAML: users at real positions, teams with a mailbox."""
from pathlib import Path

from ruamel.yaml import YAML

from bereik.config.checks import cross_references

EXAMPLE = Path(__file__).parents[2] / "examples" / "bloemendaal.yaml"


def findings(console: dict) -> list[str]:
    doc = YAML(typ="safe").load(EXAMPLE.read_text())
    doc["console"] = console
    return [message for _, message in cross_references(doc)]


def test_a_valid_console_section_has_no_findings():
    assert findings({"users": [{"login": "anna", "extension": "201"}],
                     "team_mailboxes": {"tic": "kcc@bloemendaal.test"}}) == []


def test_an_agent_at_no_position_a_twice_listed_login_and_a_team_without_mailbox_are_reported():
    found = findings({"users": [{"login": "anna", "extension": "299"}, {"login": "anna", "team": "wmo"}],
                      "team_mailboxes": {"tic": "kcc@bloemendaal.test"}})
    assert any("299, which is no position" in f for f in found)
    assert any("'anna' is listed twice" in f for f in found)
    assert any("team 'wmo' has no mailbox" in f for f in found)
