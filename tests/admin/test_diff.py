"""`bereik diff`: each kind of edit to the example YAML, and the sentence an administrator reads."""
from pathlib import Path

import pytest

from bereik.admin.diff import changes, render
from bereik.cli import main
from bereik.config import parse_config

EXAMPLE = Path(__file__).parents[2] / "examples" / "bloemendaal.yaml"
TEXT = EXAMPLE.read_text()
OLD = parse_config(TEXT)

SWAP_KEYS = [('    - key: "2"\n      topic: afval', '    - key: "9"\n      topic: afval'),
             ('    - key: "3"\n      topic: belastingen', '    - key: "2"\n      topic: belastingen'),
             ('    - key: "9"\n      topic: afval', '    - key: "3"\n      topic: afval')]

# (what the administrator did, edits to the YAML, the Dutch sentence, the English sentence)
CASES = [
    ("swap two menu options", SWAP_KEYS,
     ["Menukeuze 'afval' verhuist van toets 2 naar toets 3", "Menukeuze 'belastingen' verhuist van toets 3 naar toets 2"],
     ["Menu option 'afval' moves from key 2 to key 3", "Menu option 'belastingen' moves from key 3 to key 2"]),
    ("a key gets another topic", [("topic: zorg", "topic: parkeren"), ("belastingen, zorg, overig]", "belastingen, parkeren, overig]"),
                                  ("[zorg, burgerzaken]", "[parkeren, burgerzaken]")],
     ["Toets 4 in het menu krijgt een ander onderwerp: 'zorg' wordt 'parkeren'",
      "Wachtrij tic onderwerpen: zorg eraf", "Wachtrij tic onderwerpen: parkeren erbij",
      "Medewerker Carla Bakker (203) neemt voortaan parkeren, burgerzaken aan (was zorg, burgerzaken)"],
     ["Key 4 in the menu gets another topic: 'zorg' becomes 'parkeren'",
      "Queue tic topics: zorg removed", "Queue tic topics: parkeren added",
      "Agent Carla Bakker (203) now takes parkeren, burgerzaken (was zorg, burgerzaken)"]),
    ("an option's text", [("Voor afval, grofvuil", "Voor afval en grofvuil")],
     ["De tekst van menukeuze 'afval' verandert (wordt opnieuw ingesproken): \"Voor afval, grofvuil of een kapotte "
      "container, toets 2.\" wordt \"Voor afval en grofvuil of een kapotte container, toets 2.\""],
     None),
    ("an option removed", [('    - key: "3"\n      topic: belastingen\n      text: "Voor de gemeentelijke belastingen en de '
                            'WOZ-waarde, toets 3."\n', "")],
     ["Menukeuze verdwijnt: toets 3 voor 'belastingen'"], ["Menu option removed: key 3 for 'belastingen'"]),
    ("an outside organisation's number", [('forward_to: "0235485868"\n      organisation:',
                                           'forward_to: "0235485800"\n      organisation:')],
     ["Menukeuze 'Sociale Zaken Heemstede' verbindt voortaan door naar 0235485800 in plaats van 0235485868"],
     ["Menu option 'Sociale Zaken Heemstede' now puts callers through to 0235485800 instead of 0235485868"]),
    ("an outside organisation renamed", [("organisation: Sociale Zaken Heemstede", "organisation: IASZ")],
     ["Toets 5 in het menu verbindt voortaan door met IASZ (0235485868) in plaats van 'Sociale Zaken Heemstede'"],
     ["Key 5 in the menu now puts callers through to IASZ (0235485868) instead of 'Sociale Zaken Heemstede'"]),
    ("an option becomes an outside organisation", [("      topic: zorg\n", '      forward_to: "0235480000"\n'
                                                    "      organisation: Wmo-loket Heemstede\n")],
     ["Toets 4 in het menu verbindt voortaan door met Wmo-loket Heemstede (0235480000) in plaats van 'zorg'"],
     ["Key 4 in the menu now puts callers through to Wmo-loket Heemstede (0235480000) instead of 'zorg'"]),
    ("an outside organisation becomes a topic", [('      forward_to: "0235485868"\n      organisation: Sociale Zaken '
                                                  'Heemstede\n', "      topic: overig\n")],
     ["Toets 5 in het menu gaat voortaan naar 'overig' in plaats van door te verbinden met Sociale Zaken Heemstede"],
     ["Key 5 in the menu now goes to 'overig' instead of putting callers through to Sociale Zaken Heemstede"]),
    ("the menu removed", [(TEXT[TEXT.index("menu:\n"):TEXT.index("front_office:")], "")],
     ["Het keuzemenu verdwijnt: elke beller gaat direct naar de wachtrij"],
     ["The menu is removed: every caller goes straight to the queue"]),
    ("thursday evening closed", [('["08:30-12:00", "13:00-20:00"]', '["08:30-12:00"]')],
     ["Openingstijden op donderdag: 08:30-12:00, 13:00-20:00 wordt 08:30-12:00"],
     ["Opening hours on thursday: 08:30-12:00, 13:00-20:00 become 08:30-12:00"]),
    ("open on saturday", [('  friday:    ["08:30-12:30"]', '  friday:    ["08:30-12:30"]\n  saturday: ["10:00-12:00"]')],
     ["Openingstijden op zaterdag: gesloten wordt 10:00-12:00"],
     ["Opening hours on saturday: closed become 10:00-12:00"]),
    ("a closing day added", [("      reason: Oudejaarsdag", "      reason: Oudejaarsdag\n    - date: 2026-05-05\n"
                              "      reason: Bevrijdingsdag")],
     ["Extra sluitingsdag: 05-05-2026 (Bevrijdingsdag)"], ["Extra closing day: 2026-05-05 (Bevrijdingsdag)"]),
    ("a closing day removed", [("    - date: 2026-12-24\n      reason: Kerstavond\n", "")],
     ["Geen sluitingsdag meer: 24-12-2026 (Kerstavond)"], ["No longer a closing day: 2026-12-24 (Kerstavond)"]),
    ("open on a public holiday", [("  country: NL ", "  open_on: [Goede vrijdag]\n  country: NL ")],
     ["Open op de feestdag Goede vrijdag"], ["Open on the public holiday Goede vrijdag"]),
    ("a text changed", [("Die keuze kennen wij niet.", "Die toets kennen wij niet.")],
     ['Tekst bij een onbekende toets verandert (wordt opnieuw ingesproken): "Die keuze kennen wij niet." wordt '
      '"Die toets kennen wij niet."'],
     ['Text after an unknown key changes (will be re-rendered): "Die keuze kennen wij niet." becomes '
      '"Die toets kennen wij niet."']),
    ("a text removed", [('  welcome: "Welkom bij de gemeente {municipality}."\n', "")],
     ['Welkomsttekst verdwijnt: "Welkom bij de gemeente {municipality}."'],
     ['Welcome is removed: "Welkom bij de gemeente {municipality}."']),
    ("a peak position added", [("      - {extension: \"204\", address: 127.0.1.4, overflow: true}",
                                "      - {extension: \"204\", address: 127.0.1.4, overflow: true}\n"
                                "      - {extension: \"205\", overflow: true}")],
     ["Wachtrij tic: positie 205 komt erbij (alleen bij drukte)"], ["Queue tic: position 205 is added (peaks only)"]),
    ("a position always staffed", [("127.0.1.4, overflow: true}", "127.0.1.4}")],
     ["Wachtrij tic: positie 204 wordt altijd bemand"], ["Queue tic: position 204 becomes a normally staffed position"]),
    ("a queue renamed", [("name: Klantcontactcentrum", "name: KCC")],
     ["Wachtrij tic naam: Klantcontactcentrum wordt KCC"], ["Queue tic name: Klantcontactcentrum becomes KCC"]),
    ("an agent's topics", [("topics: [afval, overig]}", "topics: [afval]}")],
     ["Medewerker Daan Visser (204) neemt voortaan afval aan (was afval, overig)"],
     ["Agent Daan Visser (204) now takes afval (was afval, overig)"]),
    ("an agent removed", [('  - {name: Daan Visser, extension: "204", topics: [afval, overig]}\n', "")],
     ["Medewerker Daan Visser (204) verdwijnt"], ["Agent Daan Visser (204) is removed"]),
    ("a new substitute", [('substitute: "301"', 'substitute: "303"')],
     ["Femke de Boer (302) krijgt een andere vervanger bij afwezigheid: Eva Smit (301) wordt Gijs Mulder (303)"],
     ["Femke de Boer (302) gets another substitute when absent: Eva Smit (301) becomes Gijs Mulder (303)"]),
    ("a person's mobile", [('mobile: "0612340303"', 'mobile: "0612349999"')],
     ["Collega Gijs Mulder (303) mobiel nummer: 0612340303 wordt 0612349999"],
     ["Colleague Gijs Mulder (303) mobile number: 0612340303 becomes 0612349999"]),
    ("a department number rings someone else", [('answered_by: "303"', 'answered_by: "301"')],
     ["Het nummer van afdeling Vergunningen gaat over bij Eva Smit (301) in plaats van Gijs Mulder (303); "
      "niet opgenomen gaat naar de TIC"], None),
    ("a member leaves", [('members: ["311", "312"]', 'members: ["311"]')],
     ["Ivo Meijer (312) hoort niet meer bij afdeling Zorg en WMO"], ["Ivo Meijer (312) leaves department Zorg en WMO"]),
    ("a person added", [('  - {name: Ivo Meijer, extension: "312", address: 127.0.1.22}',
                         '  - {name: Ivo Meijer, extension: "312", address: 127.0.1.22}\n'
                         '  - {name: Joris Kok, extension: "313"}')],
     ["Collega Joris Kok (313) komt erbij"], ["Colleague Joris Kok (313) is added"]),
    # A section without specific wording still reads as a sentence: the generic walk.
    ("the fallback takes longer", [("  rings: 4 ", "  rings: 6 ")],
     ["Backoffice aantal belsignalen voor de terugval naar de frontoffice: 4 wordt 6"],
     ["Back office rings before falling back to the front office: 4 becomes 6"]),
    ("the watchdog", [("  trunk: 127.0.0.1:5080", "  trunk: 127.0.0.1:5080\n  watchdog_seconds: 8")],
     ["Telefooncentrale seconden voordat de centrale zelf naar de frontoffice verbindt: 5 wordt 8"],
     ["PBX seconds before the PBX itself sends a caller to the front office: 5 becomes 8"]),
    ("a shared-number partner", [("name: Heemstede", "name: Heemstede-Noord")],
     ["Gedeeld 14-nummer andere gemeenten toets 2 naam: Heemstede wordt Heemstede-Noord"], None),
]


def edited(edits: list[tuple[str, str]]):
    text = TEXT
    for before, after in edits:
        assert before in text, before
        text = text.replace(before, after, 1)
    return parse_config(text)


@pytest.mark.parametrize("what, edits, dutch, english", CASES, ids=[case[0] for case in CASES])
def test_one_edit_one_sentence(what, edits, dutch, english):
    new = edited(edits)
    assert [c.text for c in changes(OLD, new)] == dutch
    if english is not None:
        assert [c.text for c in changes(OLD, new, "en")] == english


def test_the_same_file_has_no_differences():
    assert changes(OLD, parse_config(TEXT)) == []
    assert render([]) == "Geen verschillen."


def test_spoken_texts_are_marked_for_re_rendering_and_nothing_else():
    new = edited([("Die keuze kennen wij niet.", "Die toets kennen wij niet."), ("  rings: 4 ", "  rings: 6 ")])
    assert [(c.path, c.rerender) for c in changes(OLD, new)] == [
        ("texts.invalid_choice", True), ("back_office.rings", False)]


def test_every_change_at_once_is_listed_in_the_yaml_order():
    new = edited(SWAP_KEYS + [('["08:30-12:00", "13:00-20:00"]', '["08:30-12:00"]'),
                              ('substitute: "301"', 'substitute: "303"')])
    paths = [c.path for c in changes(OLD, new)]
    assert paths == ["hours.thursday", "menu.options[key=3]", "menu.options[key=2]", "people[extension=302].substitute"]


def test_the_command_prints_dutch_by_default_and_english_on_request(tmp_path, capsys):
    changed = tmp_path / "nieuw.yaml"
    changed.write_text(TEXT.replace('["08:30-12:00", "13:00-20:00"]', '["08:30-12:00"]'))
    assert main(["diff", str(EXAMPLE), str(changed)]) == 1  # different
    assert capsys.readouterr().out == "- Openingstijden op donderdag: 08:30-12:00, 13:00-20:00 wordt 08:30-12:00\n"
    assert main(["diff", "--lang", "en", str(EXAMPLE), str(changed)]) == 1
    assert "Opening hours on thursday" in capsys.readouterr().out


def test_the_exit_status_says_same_different_or_unreadable(tmp_path, capsys):
    same = tmp_path / "same.yaml"
    same.write_text(TEXT.replace("# Check it with", "# A comment changes nothing. Check it with"))
    assert main(["diff", str(EXAMPLE), str(same)]) == 0
    assert capsys.readouterr().out == "Geen verschillen.\n"
    broken = tmp_path / "broken.yaml"
    broken.write_text(TEXT.replace('number: "14023"', "number: 14023"))
    assert main(["diff", str(EXAMPLE), str(broken)]) == 2
    error = capsys.readouterr().err
    assert f"{broken}:" in error and "write it between quotes" in error
    assert main(["diff", str(EXAMPLE), str(tmp_path / "missing.yaml")]) == 2


def test_every_name_in_the_yaml_has_words_in_both_languages():
    from bereik.admin.diff import NAMES
    from bereik.config.load import _fields
    from bereik.config.messages import model_of
    from bereik.config.model import Config
    from bereik.ivr.wait_message import WaitTexts

    names, models = set(), [Config]
    while models:
        model = models.pop()
        for name, annotation in _fields(model).items():
            names.add(name)
            if (inner := model_of(annotation)) is not None:
                models.append(inner)
    names |= {field for field in WaitTexts.__dataclass_fields__}  # the keys of waiting.texts
    assert sorted(names - set(NAMES)) == [], "give these YAML names Dutch and English words in NAMES (bereik/admin/diff.py)"
    assert all(dutch != "" or name == "texts" for name, (dutch, _) in NAMES.items())


def test_no_sentence_shows_a_yaml_name():
    import re

    edits = [("rings: 4 ", "rings: 6 "), ("  trunk: 127.0.0.1:5080", "  trunk: 127.0.0.1:5080\n  watchdog_seconds: 8"),
             ("Die keuze kennen wij niet.", "Die toets kennen wij niet."), ("camp_on_seconds: 180", "camp_on_seconds: 90"),
             ('  welcome: "Welkom bij de gemeente {municipality}."\n', "")]
    for lang in ("nl", "en"):
        for change in changes(OLD, edited(edits), lang):
            assert not re.search(r"[a-z]+_[a-z]+", change.text), change.text


SOCIALE_ZAKEN = ('    - key: "5"\n      forward_to: "0235485868"\n      organisation: Sociale Zaken Heemstede\n      text: '
                 '"Voor werk, inkomen of een uitkering bij Sociale Zaken in Heemstede, toets 5."\n')


def test_an_outside_organisation_added_and_removed_is_named_with_its_number():
    assert SOCIALE_ZAKEN in TEXT
    without = parse_config(TEXT.replace(SOCIALE_ZAKEN, ""))
    assert [c.text for c in changes(without, OLD)] == [
        "Nieuwe menukeuze: toets 5 verbindt door met Sociale Zaken Heemstede (0235485868)"]
    assert [c.text for c in changes(without, OLD, "en")] == [
        "New menu option: key 5 puts callers through to Sociale Zaken Heemstede (0235485868)"]
    assert [c.text for c in changes(OLD, without)] == ["Menukeuze verdwijnt: toets 5 voor 'Sociale Zaken Heemstede'"]
