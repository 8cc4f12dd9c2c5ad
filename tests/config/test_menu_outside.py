"""A menu option that puts callers through to an outside organisation: `bereik check` takes a topic or a
forward_to with its organisation, exactly one, refuses a number outside the class of service naming the option
and the rule, and says each mistake once, in the administrator's words, at its line and column. The JSON
Schema refuses the same (tests/config/test_schema_agrees.py checks that on generated documents)."""
import os
from pathlib import Path

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bereik.cli import main
from bereik.config import ConfigError, parse_config
from bereik.config.load import parse_document, plain
from bereik.config.schema import json_schema
from tests.config.test_schema_agrees import as_yaml, check_problems

EXAMPLE = Path(__file__).parents[2] / "examples" / "bloemendaal.yaml"
TEXT = EXAMPLE.read_text()
OPTION = '''    - key: "5"
      forward_to: "0235485868"
      organisation: Sociale Zaken Heemstede
'''
VALIDATOR = jsonschema.Draft202012Validator(json_schema())

# (what the administrator did, the option as written instead, the exact message, where it points: a fragment
#  of the line and the text the column is at)
TABLE = [
    ("a topic and a number",
     '    - key: "5"\n      topic: overig\n      forward_to: "0235485868"\n      organisation: Sociale Zaken Heemstede\n',
     "menu option 5 has a topic and forward_to: an option either joins a queue (topic) or puts the caller through "
     "to an outside organisation (forward_to with organisation); remove one of the two",
     ("forward_to:", '"0235')),
    ("neither a topic nor a number",
     '    - key: "5"\n',
     "menu option 5 leads nowhere: give it a topic (one of its queue's topics), or forward_to and organisation to "
     "put the caller through to an outside organisation", ('key: "5"', "key")),
    ("a number without the organisation's name",
     '    - key: "5"\n      forward_to: "0235485868"\n',
     "menu option 5 puts callers through to 0235485868 without saying to whom; add organisation: with the name "
     "the records and reports keep (e.g. organisation: Sociale Zaken Heemstede)", ("forward_to:", '"0235')),
    ("a name without a number",
     '    - key: "5"\n      organisation: Sociale Zaken Heemstede\n',
     "menu option 5 names Sociale Zaken Heemstede but no number; add forward_to: with its number between quotes "
     '(e.g. forward_to: "0235485868")', ("organisation:", "Sociale")),
    ("a misspelt key: said once, with the key meant",
     '    - key: "5"\n      forward: "0235485868"\n      organisation: Sociale Zaken Heemstede\n',
     "unknown key 'forward'; did you mean 'forward_to'? (allowed here: key, topic, text, queue, forward_to, "
     "organisation)", ("forward:", "forward")),
    ("a queue for an outside organisation",
     OPTION + "      queue: tic\n",
     "menu option 5 puts callers through to Sociale Zaken Heemstede outside the municipality; a queue does not "
     "apply there: remove queue:", ("queue: tic", "tic")),
    ("the number unquoted",
     OPTION.replace('"0235485868"', "0235485868"),
     'forward_to: 0235485868 without quotes is the number 235485868 to YAML: the leading 0 is lost and calls '
     'would go to a wrong number; write it between quotes: "0235485868"', ("forward_to:", "0235")),
    ("a premium-rate number",
     OPTION.replace("0235485868", "0900123456"),
     "menu option 5 puts callers through to Sociale Zaken Heemstede: 0900123456 is a premium-rate number (0900, "
     "0906, 0909), which the class of service refuses; add it to outbound.allow, or the class to outbound.classes",
     ("forward_to:", '"0900')),
    ("an international number",
     OPTION.replace("0235485868", "+3222221111"),
     "menu option 5 puts callers through to Sociale Zaken Heemstede: +3222221111 is an international number, which "
     "the class of service refuses; add it to outbound.allow, or the class to outbound.classes",
     ("forward_to:", '"+32')),
    ("the municipality's own number",
     OPTION.replace("0235485868", "0235115000"),
     "menu option 5: 0235115000 is this municipality's own number, so callers would come back to this menu; give "
     "the outside organisation's number", ("forward_to:", '"0235')),
    ("an empty topic beside a number: one message",
     '    - key: "5"\n      topic:\n      forward_to: "0235485868"\n      organisation: Sociale Zaken Heemstede\n',
     "topic is empty; write a value, or remove the line", ("topic:", "topic")),
    ("a name with a comma (it travels in channel variables)",
     OPTION.replace("Sociale Zaken Heemstede", "Sociale Zaken, Heemstede"),
     "organisation: 'Sociale Zaken, Heemstede' is not a name of at most 60 characters without commas, | or control "
     "characters",
     ("organisation:", "Sociale")),
]


def with_option(option: str) -> str:
    assert OPTION in TEXT
    return TEXT.replace(OPTION, option, 1)


def place(text: str, fragment: str, at: str) -> tuple[int, int]:
    start = text.index('    - key: "5"\n')  # the option under test, not the municipality choice above it
    offset = text[:start].count("\n")
    number, line = next((n, line) for n, line in enumerate(text[start:].splitlines(), start=1) if fragment in line)
    return offset + number, line.index(at) + 1


def test_the_example_puts_sociale_zaken_through_to_heemstede():
    [option] = [o for o in parse_config(TEXT).menu.options if o.outside]
    assert (option.key, option.forward_to, option.organisation) == ("5", "0235485868", "Sociale Zaken Heemstede")
    assert option.topic is None and option.queue is None


@pytest.mark.parametrize("what, option, message, where", TABLE, ids=[case[0] for case in TABLE])
def test_one_mistake_one_message_at_its_place(what, option, message, where):
    text = with_option(option)
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "bloemendaal.yaml")
    [problem] = caught.value.problems
    assert problem.message == message
    assert (problem.line, problem.column) == place(text, *where)


@pytest.mark.parametrize("what, option", [(case[0], case[1]) for case in TABLE
                                          if "class of service" not in case[2] and "own number" not in case[2]])
def test_the_schema_refuses_what_check_refuses(what, option):
    """What a schema can say about the option's shape (the class of service and own numbers are check's alone)."""
    document = plain(parse_document(with_option(option), "bloemendaal.yaml", ""))
    assert list(VALIDATOR.iter_errors(document)), what


def test_the_schema_accepts_the_example():
    assert not list(VALIDATOR.iter_errors(plain(parse_document(TEXT, "bloemendaal.yaml", ""))))


def test_an_allowed_international_number_is_accepted():
    text = with_option(OPTION.replace("0235485868", "+3222221111")) + 'outbound:\n  allow: ["+3222221111"]\n'
    [option] = [o for o in parse_config(text).menu.options if o.outside]
    assert option.forward_to == "+3222221111"


def test_without_a_trunk_it_is_said_once_for_everyone_who_needs_it():
    text = TEXT.replace("  trunk: 127.0.0.1:5080   # calls from this address enter at 14023\n", "")
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "bloemendaal.yaml")
    [problem] = caught.value.problems
    assert problem.message == ("callers who pick another municipality and callers who press 5 for Sociale Zaken "
                               "Heemstede are put through over the trunk, but pbx.trunk is not set; add it (e.g. "
                               "trunk: 10.0.0.5:5060)")


def test_bereik_check_refuses_a_premium_number_and_names_the_option(tmp_path, capsys):
    bad = tmp_path / "bloemendaal.yaml"
    bad.write_text(with_option(OPTION.replace("0235485868", "0900123456")))
    assert main(["check", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "menu option 5 puts callers through to Sociale Zaken Heemstede: 0900123456 is a premium-rate" in err


# Menu option 5 written every which way: the schema and `bereik check` agree on each (numbers within the class of
# service and not the municipality's own, which only check can know, are left out of the pool).
VALUES = {
    "topic": ["overig", "zorg", "Overig", "", None, 5],
    "queue": ["tic", None, "", 3],
    "forward_to": ["0235485868", "+31235485868", "", None, 235485868, "023-5485868"],
    "organisation": ["Sociale Zaken Heemstede", "IASZ", "", None, "a,b", "x" * 61, 4],
    "text": ["Toets 5.", ""],
}


@settings(max_examples=int(os.environ.get("BEREIK_SCHEMA_EXAMPLES", 150)), deadline=None)
@given(st.fixed_dictionaries({}, optional={name: st.sampled_from(pool) for name, pool in VALUES.items()}))
def test_the_schema_and_check_agree_on_every_way_of_writing_the_option(fields):
    document = plain(parse_document(TEXT, "bloemendaal.yaml", ""))
    document["menu"]["options"][4] = {"key": "5", **fields}
    text = as_yaml(document)
    schema_says = [e.message for e in VALIDATOR.iter_errors(plain(parse_document(text, "generated.yaml", "")))]
    check_says = check_problems(text)
    assert bool(schema_says) == bool(check_says), (fields, schema_says, check_says)
