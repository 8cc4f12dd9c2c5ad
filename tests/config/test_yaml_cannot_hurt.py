"""A YAML that cannot hurt: every dangerous or confusing mistake an administrator made while writing a
second municipality's file (issue 22) is one clear problem, in their words, at its line and column."""
from pathlib import Path

import pytest

from bereik.cli import main
from bereik.config import ConfigError, check_text, parse_config
from bereik.ivr.timing import menu_timing
from bereik.routing.hours import OpeningHours

SAMPLE = Path(__file__).parent / "samples" / "huizen.yaml"
TEXT = SAMPLE.read_text()

# (what the administrator did, the line as written, the line as changed, the exact message,
#  where it points: a fragment of the changed line and the text the column is at)
TABLE = [
    ("a number with a leading zero, unquoted",
     '  - {name: Wim de Groot, extension: "501", direct: "0355281501"',
     '  - {name: Wim de Groot, extension: "501", direct: 0355281501',
     "direct: 0355281501 without quotes is the number 355281501 to YAML: the leading 0 is lost and calls would "
     'go to a wrong number; write it between quotes: "0355281501"',
     ("Wim de Groot", "0355281501")),
    ("any other number unquoted",
     'number: "14035"', "number: 14035",
     'number: 14035 is a number to YAML; write it between quotes: "14035"', ("number:", "14035")),
    ("an impossible date",
     "    - date: 2026-12-24", "    - date: 2026-02-30",
     "date: 30 February 2026 does not exist: February 2026 has 28 days", ("date:", "2026")),
    ("a date written day first",
     "    - date: 2026-12-24", "    - date: 24-12-2026",
     "date: '24-12-2026' is not a date bereik reads; write year-month-day: 2026-12-24", ("date:", "24-12")),
    ("overlapping periods",
     '  thursday:  ["08:30-12:30", "13:00-20:00"]', '  thursday:  ["08:30-12:30", "12:00-20:00"]',
     "thursday: 08:30-12:30 and 12:00-20:00 overlap (12:00-12:30); let the first end where the second starts, "
     "or write one period 08:30-20:00", ("thursday:", '"12:00')),
    ("a misspelt text name",
     '  welcome: "Welkom', '  welkom: "Welkom',
     "'welkom' is not a text bereik speaks; did you mean 'welcome'? (the texts: welcome, municipality_choice, "
     "menu_intro, invalid_choice, closed, not_reachable, camp_on_offer, camp_on_waiting, absent_until, absent, "
     "to_substitute, to_front_office, recording_notice)",
     ("welkom:", "welkom")),
    ("a tab in the indentation",
     '  menu_intro: "Maak een keuze."', '\tmenu_intro: "Maak een keuze."',
     "a tab in the indentation; YAML indents with spaces only: replace the tab with spaces", ("menu_intro", "\t")),
    ("an empty text",
     '  welcome: "Welkom bij de gemeente {municipality}."', '  welcome: ""',
     "welcome is empty; write what the caller hears, or remove the line", ("welcome:", '""')),
    ("an unquoted colon",
     '  menu_intro: "Maak een keuze."', "  menu_intro: Let op: maak een keuze.",
     "a colon followed by a space inside a value makes YAML read a new key; put the whole value between quotes: "
     'menu_intro: "Let op: maak een keuze."', ("menu_intro:", ": maak")),
    ("an unknown front-office queue (one root cause, once)",
     "front_office: kcc", "front_office: kcm",
     "there is no queue 'kcm'; did you mean 'kcc'? (queues: kcc)", ("front_office:", "kcm")),
    ("a misremembered required key (one problem, with the key meant)",
     "hours:\n", "opening_hour:\n",
     "unknown key 'opening_hour'; did you mean 'hours'? ('hours:' is required and missing)",
     ("opening_hour:", "opening_hour")),
    ("a Dutch weekday",
     '  monday:    ["08:30-17:00"]', '  maandag:    ["08:30-17:00"]',
     "unknown key 'maandag'; did you mean 'monday'? (allowed here: monday, tuesday, wednesday, thursday, friday, "
     "saturday, sunday)", ("maandag:", "maandag")),
    ("one period written as text instead of a list",
     '  thursday:  ["08:30-12:30", "13:00-20:00"]', '  thursday: "08:00-20:00"',
     'thursday takes a list; write thursday: ["08:00-20:00"]', ("thursday:", '"08:00')),
    ("a period without leading zero",
     '  friday:    ["08:30-12:30"]', '  friday:    ["8:30-12:30"]',
     "friday: '8:30-12:30' is not written as a period; did you mean '08:30-12:30'? Write HH:MM-HH:MM with two "
     "digits each", ("friday:", '"8:30')),
    ("a topic written as a title",
     "      topic: melding", "      topic: Melding Openbare Ruimte",
     "topic: 'Melding Openbare Ruimte' is not a short name in lower case: letters, digits and _, starting with a "
     "letter; did you mean 'melding_openbare_ruimte'?", ("topic: Melding", "Melding")),
    ("a general number twice",
     'general_numbers: ["0355281911", "0355281247"]', 'general_numbers: ["0355281911", "0355281911"]',
     "0355281911 is already a general number; list each number once", ("general_numbers:", '"0355281911"]')),
    ("a direct number that is a general number",
     'direct: "0355281501"', 'direct: "0355281247"',
     "Wim de Groot's direct number 0355281247 is already a general number", ("Wim de Groot", '"0355281247"')),
    ("mutual substitutes",
     '  - {name: Wim de Groot, extension: "501",', '  - {name: Wim de Groot, extension: "501", substitute: "502",',
     "Wim de Groot (501) and Yara Smit (502) are each other's substitute: a call would go back and forth, a hunt "
     "group in disguise. bereik has no hunt groups; give only the absent person a substitute, and an unanswered "
     "call goes to the front office", ("Wim de Groot", '"502"')),
]


def changed(before: str, after: str) -> str:
    assert before in TEXT, before
    return TEXT.replace(before, after, 1)


def place(text: str, fragment: str, at: str) -> tuple[int, int]:
    number, line = next((n, line) for n, line in enumerate(text.splitlines(), start=1) if fragment in line)
    return number, line.index(at) + 1


def test_the_second_municipality_is_valid():
    assert parse_config(TEXT).municipality == "Huizen"


@pytest.mark.parametrize("what, before, after, message, where", TABLE, ids=[case[0] for case in TABLE])
def test_one_mistake_one_message_at_its_place(what, before, after, message, where):
    text = changed(before, after)
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "huizen.yaml")
    [problem] = caught.value.problems
    assert problem.message == message
    assert (problem.line, problem.column) == place(text, *where)


def test_until_midnight_is_allowed_and_the_office_is_open_at_a_quarter_to():
    import datetime as dt

    config = parse_config(changed('  friday:    ["08:30-12:30"]', '  friday:    ["08:30-24:00"]'))
    hours = OpeningHours(config)
    friday = dt.datetime(2026, 10, 2, tzinfo=config.zone)
    assert hours.status(friday.replace(hour=23, minute=45)).open
    assert not hours.status(friday + dt.timedelta(days=1, minutes=1)).open  # Saturday 00:01


def test_agents_whose_topics_go_round_in_a_circle_get_a_warning_naming_them_where_to_change():
    text = (TEXT.replace('topics: [melding]}', 'topics: [melding, paspoort]}')
            .replace('topics: [overig]}', 'topics: [overig, melding]}'))
    checked = check_text(text, "huizen.yaml")
    [warning] = checked.warnings
    assert warning.severity == "warning"
    assert warning.message == (
        "callers for 'overig' will also be offered to Sanne Wit (402), who is not trained for it: the topics of "
        "Ruud Kok (401), Sanne Wit (402) and Tom Blok (403) go round in a circle, and a caller is offered to "
        "neighbouring positions only. To avoid that, take 'overig' away from Ruud Kok (401).")
    assert (warning.line, warning.column) == place(text, "Ruud Kok", "[paspoort")


def test_a_circle_of_topics_still_routes_every_topic_to_its_trained_agents():
    from bereik.routing.waiting import penalty_plan

    text = (TEXT.replace('topics: [melding]}', 'topics: [melding, paspoort]}')
            .replace('topics: [overig]}', 'topics: [overig, melding]}'))
    plan = penalty_plan(parse_config(text))
    for topic, trained in {"paspoort": {"401", "402"}, "melding": {"402", "403"}, "overig": {"401", "403"}}.items():
        low, high = plan.ranges[topic]
        assert trained <= {e for e, slot in plan.slots.items() if low <= slot <= high}


EXAMPLE_NAMES = ("Bloemendaal", "Heemstede", "TIC", "tic", "14023", "burgerzaken", "Anna", "Bram", "Eva Smit",
                 "Klantcontactcentrum")


@pytest.mark.parametrize("what, before, after, message, where", TABLE, ids=[case[0] for case in TABLE])
def test_messages_name_the_municipalitys_own_things_never_the_examples(what, before, after, message, where):
    with pytest.raises(ConfigError) as caught:
        parse_config(changed(before, after), "huizen.yaml")
    for problem in caught.value.problems:
        assert not any(name in problem.message.split() or f"'{name}'" in problem.message for name in EXAMPLE_NAMES)


def test_hunt_groups_in_disguise_are_refused_without_the_examples_name():
    for before, after in (('substitute: "501"}', 'substitute: ["501", "401"]}'),
                          ("    members: [\"501\", \"502\"]", "    number: \"0355281500\"\n    answered_by: [\"501\", "
                                                           "\"502\"]\n    members: [\"501\", \"502\"]")):
        with pytest.raises(ConfigError) as caught:
            parse_config(changed(before, after))
        [problem] = caught.value.problems
        assert "hunt group in disguise" in problem.message and "Bloemendaal" not in problem.message
        assert "TIC" not in problem.message


def test_the_menu_timing_counts_every_prompt_the_caller_hears():
    config = parse_config(TEXT)
    seconds = {config.texts["welcome"].format(municipality="Huizen"): 2.5, config.texts["menu_intro"]: 1.5,
               **{option.text: 4.0 for option in config.menu.options}}
    timing = menu_timing(config, seconds.__getitem__)
    assert timing.before_choice == 2.5 + 1.5 + 3 * 4.0
    # retries: 1, so the menu is said twice, each time followed by 5 s waiting for a key
    assert timing.to_queue == 2.5 + 2 * (1.5 + 3 * 4.0 + 5)
    assert timing.too_long


def test_bereik_check_warns_with_the_seconds_from_the_rendered_prompts(tmp_path, capsys):
    from bereik.ivr.prompts import PromptLibrary

    sample = tmp_path / "huizen.yaml"
    sample.write_text(TEXT)
    assert main(["check", str(sample), "--sounds", str(tmp_path / "sounds")]) == 0
    out, err = capsys.readouterr()
    # What Asterisk will play, measured from the files `bereik check` rendered.
    config, library = parse_config(TEXT), PromptLibrary(tmp_path / "sounds", "nl")
    welcome, intro = library.seconds("Welkom bij de gemeente Huizen."), library.seconds(config.texts["menu_intro"])
    options = sum(library.seconds(option.text) for option in config.menu.options)
    menu_line = next(n for n, line in enumerate(TEXT.splitlines(), start=1) if line.startswith("menu:"))
    assert err.splitlines() == [
        f"{sample}:{menu_line}:1: warning: the menu is long: a caller hears {welcome + intro + options:.0f} s of "
        f"speech before the last menu option has been said, and a caller who presses nothing joins the queue after "
        f"{welcome + 2 * (intro + options + 5):.0f} s; shorten the welcome and the explanations, offer fewer "
        "options, or repeat the menu less often (menu.retries)"]
    assert "ok. Gemeente Huizen" in out and "1 warning(s), printed above." in out
