"""`bereik check` on people and departments: a hunt group in disguise is refused, precisely."""
from pathlib import Path

import pytest

from bereik.config import ConfigError, parse_config

EXAMPLE = Path(__file__).parents[2] / "examples" / "bloemendaal.yaml"


def example() -> str:
    return EXAMPLE.read_text()


def problems_of(text: str) -> list:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "gemeente.yaml")
    return caught.value.problems


def place_of(text: str, line_fragment: str, value: str) -> tuple[int, int]:
    number, line = next((n, line) for n, line in enumerate(text.splitlines(), start=1) if line_fragment in line)
    return number, line.index(value) + 1


def test_the_example_has_people_and_departments():
    config = parse_config(example())
    assert config.person("302").substitute == "301"
    assert config.department_of("303").answered_by == "303"
    assert config.back_office.rings == 4


def test_a_substitute_of_a_substitute_is_a_hunt_group_in_disguise():
    text = example().replace('{name: Eva Smit, extension: "301", address: 127.0.1.11,',
                             '{name: Eva Smit, extension: "301", address: 127.0.1.11, substitute: "303",')
    [problem] = problems_of(text)
    assert problem.message.startswith("Femke de Boer's substitute Eva Smit (301) has a substitute of their own (303)")
    assert "hunt group in disguise" in problem.message
    assert (problem.line, problem.column) == place_of(text, "Femke de Boer", '"301"}')


def test_mutual_substitutes_are_one_problem_naming_both():
    text = example().replace('{name: Eva Smit, extension: "301", address: 127.0.1.11,',
                             '{name: Eva Smit, extension: "301", address: 127.0.1.11, substitute: "302",')
    [problem] = problems_of(text)  # one root cause, reported once
    assert (problem.line, problem.column) == place_of(text, "Eva Smit", '"302"')
    assert problem.message.startswith("Eva Smit (301) and Femke de Boer (302) are each other's substitute")
    assert "hunt group in disguise" in problem.message


def test_a_list_of_substitutes_is_refused_as_a_hunt_group():
    text = example().replace('substitute: "301"}', 'substitute: ["301", "303"]}')
    [problem] = problems_of(text)
    assert "a list of substitutes is a hunt group in disguise" in problem.message
    assert (problem.line, problem.column) == place_of(text, "Femke de Boer", '["301"')


def test_a_department_number_that_rings_members_in_turn_is_refused():
    text = example().replace('    answered_by: "303"\n', '    answered_by: ["303", "301", "302"]\n')
    [problem] = problems_of(text)
    assert problem.message == (
        "answered_by: a department number that rings several members is a hunt group in "
        "disguise: a call would hop from person to person. bereik has no hunt groups; name one "
        "person, and an unanswered call goes to the front office"
    )
    assert (problem.line, problem.column) == place_of(text, "answered_by:", "[")


def test_a_department_number_needs_the_one_person_it_rings():
    text = example().replace('    answered_by: "303"\n', "")
    [problem] = problems_of(text)
    assert "rings one member: set answered_by" in problem.message
    assert (problem.line, problem.column) == place_of(text, 'number: "0235115300"', '"0235115300"')


def test_answered_by_must_be_a_member():
    text = example().replace('    answered_by: "303"\n', '    answered_by: "311"\n')
    [problem] = problems_of(text)
    assert problem.message == "answered_by 311 is no member of 'vergunningen'; members: 301, 302, 303"


@pytest.mark.parametrize(("old", "new", "message", "fragment", "value"), [
    ('substitute: "301"}', 'substitute: "302"}', "Femke de Boer cannot be their own substitute",
     "Femke", '"302"}'),
    ('substitute: "301"}', 'substitute: "399"}', "Femke de Boer's substitute 399 is nobody under people:",
     "Femke", '"399"'),
    ('{name: Ivo Meijer, extension: "312"', '{name: Ivo Meijer, extension: "311"',
     "duplicate extension 311: Hanna Bos already has it", "Ivo Meijer", '"311"'),
    ('{name: Ivo Meijer, extension: "312"', '{name: Ivo Meijer, extension: "204"',
     "Ivo Meijer has extension 204, which is a position of the front office", "Ivo Meijer", '"204"'),
    ('direct: "0235115311"', 'direct: "0235115300"',
     "Hanna Bos's direct number 0235115300 is already the number of department 'vergunningen'",
     "Hanna Bos", '"0235115300"'),
    ('members: ["311", "312"]', 'members: ["311", "303"]',
     "303 is already a member of 'vergunningen'; a person belongs to one department", 'members: ["311"', '"303"'),
    ('members: ["311", "312"]', 'members: ["311", "399"]',
     "member 399 of 'wmo' is nobody under people:", 'members: ["311"', '"399"'),
])
def test_people_and_departments_cross_references(old, new, message, fragment, value):
    text = example().replace(old, new)
    # Renumbering a member also leaves the department naming the old extension: two problems then.
    [problem] = [p for p in problems_of(text) if p.message.startswith(message)]
    assert (problem.line, problem.column) == place_of(text, fragment, value)


def test_a_back_office_text_may_name_the_colleague_but_nothing_else():
    ok = example().replace("texts:\n", 'texts:\n  not_reachable: "{name} is er niet."\n')
    assert parse_config(ok).texts["not_reachable"] == "{name} is er niet."
    bad = example().replace("texts:\n", 'texts:\n  recording_notice: "{name} is er niet."\n')
    [problem] = problems_of(bad)
    assert "recording_notice: unknown placeholder {name}" in problem.message


def test_bereik_check_refuses_a_hunt_group_in_disguise(tmp_path, capsys):
    from bereik.cli import main

    hunt = tmp_path / "gemeente.yaml"
    hunt.write_text(example().replace('    answered_by: "303"\n', '    answered_by: ["303", "301", "302"]\n'))
    assert main(["check", str(hunt)]) == 1
    line, column = place_of(hunt.read_text(), "answered_by:", "[")
    error = capsys.readouterr().err
    assert f"{hunt}:{line}:{column}: answered_by: a department number that rings several members" in error
    assert "1 problem(s)" in error


@pytest.mark.parametrize(("old", "new", "message", "fragment", "value"), [
    # A mobile rings one person: Gijs's number given to Eva too would ring two; said where it comes again.
    ('mobile: "0612340301"', 'mobile: "0612340303"',
     "Gijs Mulder's mobile 0612340303 is Eva Smit's too: a call to one would ring the other, a hunt group in disguise",
     "Gijs Mulder", '"0612340303"'),
    ('mobile: "0612340301"', 'mobile: "+31612340303"', "Gijs Mulder's mobile 0612340303 is Eva Smit's too",
     "Gijs Mulder", '"0612340303"'),
    ('{name: Hanna Bos, extension: "311"', '{name: Hanna Bos, extension: "311", ring_mobile: true',
     "Hanna Bos has ring_mobile but no mobile", "Hanna Bos", "true"),
    ('{name: Hanna Bos, extension: "311"', '{name: Hanna Bos, extension: "311", mobile: "0612340311", ring_mobile: true',
     "department 'wmo' keeps calls off mobiles (forwarding: ['colleague']): add mobile there or drop Hanna Bos's "
     "ring_mobile", "Hanna Bos", "true"),
])
def test_desk_and_mobile_together_rings_one_person(old, new, message, fragment, value):
    text = example().replace(old, new)
    [problem] = [p for p in problems_of(text) if p.message.startswith(message)]
    assert (problem.line, problem.column) == place_of(text, fragment, value)


def test_desk_and_mobile_together_is_fine_where_the_department_allows_mobiles():
    text = example().replace('{name: Eva Smit, extension: "301"', '{name: Eva Smit, extension: "301", ring_mobile: true')
    assert parse_config(text).person("301").ring_mobile


GRAPH = """
presence:
  graph: {tenant: t, client_id: c, schedule_mailbox: bereik@bloemendaal.test}
"""


def with_appointments(appointments: str, graph: str = GRAPH, email: bool = True) -> str:
    text = example() + f"\ncallbacks:\n  appointments: {appointments}\n" + graph
    if email:
        text = text.replace('{name: Eva Smit, extension: "301",', '{name: Eva Smit, extension: "301", email: eva@b.test,')
    return text


def test_appointments_in_the_ivr_read_the_departments_calendars():
    config = parse_config(with_appointments("{department: vergunningen, topics: {zorg: vergunningen}}"))
    assert config.callbacks.appointments.department == "vergunningen" and config.callbacks.appointments.slots == 2


@pytest.mark.parametrize(("appointments", "graph", "email", "message"), [
    ("{department: vergunningen}", "", True, "appointments are free times in Outlook calendars: set presence.graph"),
    ("{department: vergunning}", GRAPH, True, "'vergunning' is no department; did you mean 'vergunningen'?"),
    ("{topics: {zorgen: vergunningen}}", GRAPH, True, "'zorgen' is no topic of any queue; did you mean 'zorg'?"),
    ("{department: vergunningen}", GRAPH, False, "nobody in 'vergunningen' has an email under people:"),
])
def test_appointments_without_calendars_to_read_are_refused_precisely(appointments, graph, email, message):
    [problem] = problems_of(with_appointments(appointments, graph, email))
    assert problem.message.startswith(message)
