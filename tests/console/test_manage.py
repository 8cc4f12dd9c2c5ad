"""The coordinator's screen over HTTP: a change is shown as `bereik diff` says it, checked as `bereik check`
checks it, applied through the (here: recorded) safe reload, written back with its comments, audit-logged
with who and why; a hand edit in between is never overwritten."""
import re
from html import unescape
import time
from pathlib import Path

import pytest

from bereik.admin.proposals import ConfigEditor
from bereik.admin.reload import Outcome
from bereik.audit import AuditLog
from bereik.records.store import SqliteStore

from console_helpers import EXAMPLE, log_in


class RecordedReload:
    def __init__(self, applied: bool = True):
        self.triggers, self.applied = [], applied

    async def reload(self, trigger: str = "") -> Outcome:
        self.triggers.append(trigger)
        return Outcome(self.applied, [] if self.applied else ["gemeente.yaml: Asterisk did not take it"])


@pytest.fixture
def yaml_file(tmp_path):
    path = tmp_path / "gemeente.yaml"
    path.write_text(EXAMPLE.read_text())
    return path


@pytest.fixture
def editor(console, yaml_file, tmp_path):
    store = SqliteStore(tmp_path / "audit.sqlite3")
    built = ConfigEditor(yaml_file, RecordedReload(), AuditLog(store), "nl")
    console.manage.editor = built
    yield built
    store.close()


def visible(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


async def propose(client, csrf, **fields) -> str:
    response = await client.post("/manage/propose", data={"csrf": csrf, **fields}, allow_redirects=False)
    assert response.status == 303, await response.text()
    return response.headers["Location"]


async def test_only_coordinators_and_administrators_see_the_screen(client, editor):
    await log_in(client, "anna")
    assert (await client.get("/manage", allow_redirects=False)).status == 403
    await client.post("/logout", data={"csrf": (await (await client.get("/api/me")).json())["csrf"]})
    response = await client.post("/login", data={"login": "coco", "password": "coco-pw"}, allow_redirects=False)
    assert response.headers["Location"] == "/manage"
    page = visible(await (await client.get("/manage")).text())
    assert "Openingstijden" in page and "november 2026" in page and "december 2026" in page
    # The calendar says per day why it is closed: a closing day of the YAML, a public holiday, a weekend.
    assert "24 sluitingsdag: Kerstavond" in page and "25 feestdag: Eerste kerstdag" in page
    assert "27 gesloten" in page and "17 08:30-12:00, 13:00-20:00" in page


async def test_thursdays_hours_changed_shown_applied_written_back_and_audited(client, editor, yaml_file):
    csrf = await log_in(client, "coco")
    before = yaml_file.read_text()
    fields = {day: "08:30-17:00" for day in ("monday", "tuesday", "wednesday")}
    where = await propose(client, csrf, section="hours", **fields, thursday="08:30-12:00, 13:00-17:00",
                          friday="08:30-12:30")
    page = visible(await (await client.get(where)).text())
    assert "Openingstijden op donderdag: 08:30-12:00, 13:00-20:00 wordt 08:30-12:00, 13:00-17:00" in page
    assert yaml_file.read_text() == before  # nothing written before "apply"
    response = await client.post(f"{where}/apply", data={"csrf": csrf, "why": "Avondopenstelling stopt",
                                                         "apply": "1"}, allow_redirects=False)
    assert response.status == 303 and response.headers["Location"] == "/manage?done=1"
    after = yaml_file.read_text()
    changed = [line for line in after.splitlines() if line not in before.splitlines()]
    assert changed == ['  thursday:  ["08:30-12:00", "13:00-17:00"]']
    assert [line for line in before.splitlines() if line.lstrip().startswith("#")] == \
        [line for line in after.splitlines() if line.lstrip().startswith("#")]
    assert editor.reloader.triggers == ["console coco: Avondopenstelling stopt"]
    [entry] = editor.audit.entries(since=time.time() - 60)
    assert (entry.actor, entry.action, entry.source) == ("coco", "config_changed", "console")
    assert entry.detail["why"] == "Avondopenstelling stopt"
    assert "Openingstijden op donderdag" in entry.detail["changes"]


async def test_a_closing_day_added_on_the_calendar_comes_in_date_order(client, editor, yaml_file):
    csrf = await log_in(client, "coco")
    where = await propose(client, csrf, section="closing_add", date="2026-12-28", reason="Tussen kerst en oud")
    assert "Extra sluitingsdag: 28-12-2026 (Tussen kerst en oud)" in visible(await (await client.get(where)).text())
    await client.post(f"{where}/apply", data={"csrf": csrf, "why": "Besluit MT", "apply": "1"})
    text = yaml_file.read_text()
    assert text.index("2026-12-24") < text.index("date: 2026-12-28") < text.index("2026-12-31")
    page = visible(await (await client.get("/manage?from=2026-12")).text())
    assert "sluitingsdag: Tussen kerst en oud" in page


async def test_a_change_that_check_refuses_shows_its_problem_and_cannot_be_applied(client, editor, yaml_file):
    csrf = await log_in(client, "coco")
    where = await propose(client, csrf, section="hours", monday="08:30-25:00")
    html = await (await client.get(where)).text()
    assert "'25:00' in '08:30-25:00' is not a time of day" in visible(html)
    assert 'name="apply"' not in html
    before = yaml_file.read_text()
    response = await client.post(f"{where}/apply", data={"csrf": csrf, "why": "x", "apply": "1"})
    assert response.status == 409 and yaml_file.read_text() == before


async def test_a_hand_edit_in_between_is_never_overwritten(client, editor, yaml_file):
    csrf = await log_in(client, "coco")
    where = await propose(client, csrf, section="texts", text_welcome="Goedendag.", text_closed="Wij zijn dicht.")
    by_hand = yaml_file.read_text().replace("reason: Kerstavond", "reason: Kerstavond (met de hand)")
    yaml_file.write_text(by_hand)
    response = await client.post(f"{where}/apply", data={"csrf": csrf, "why": "Nieuwe tekst", "apply": "1"})
    assert response.status == 409
    assert "met de hand gewijzigd" in visible(await response.text())
    assert yaml_file.read_text() == by_hand and editor.reloader.triggers == []


async def test_when_the_reload_refuses_the_file_goes_back_as_it_was(client, editor, yaml_file):
    editor.reloader.applied = False
    csrf = await log_in(client, "coco")
    before = yaml_file.read_text()
    where = await propose(client, csrf, section="closing_remove", date="2026-12-31")
    response = await client.post(f"{where}/apply", data={"csrf": csrf, "why": "Toch open", "apply": "1"})
    assert response.status == 409 and "Asterisk did not take it" in visible(await response.text())
    assert yaml_file.read_text() == before


async def test_someone_elses_proposal_is_not_there_for_you(client, editor):
    csrf = await log_in(client, "coco")
    where = await propose(client, csrf, section="closing_add", date="2027-01-02", reason="")
    await client.post("/logout", data={"csrf": csrf})
    root_csrf = await log_in(client, "root")
    assert (await client.get(where)).status == 404
    assert (await client.post(f"{where}/apply", data={"csrf": root_csrf, "why": "x", "apply": "1"})).status == 409


async def test_menu_people_and_departments_are_changed_in_the_words_of_bereik_diff(client, editor, yaml_file):
    csrf = await log_in(client, "coco")
    config = editor.current().config
    menu = {"section": "menu"}
    for index, option in enumerate(config.menu.options):
        menu |= {f"was_{index}": option.key, f"key_{index}": option.key, f"topic_{index}": option.topic or "",
                 f"text_{index}": option.text, f"forward_to_{index}": option.forward_to or "",
                 f"organisation_{index}": option.organisation or ""}
    menu |= {"text_1": "Voor afval en grofvuil, toets 2.", "remove_4": "1"}
    page = visible(await (await client.get(await propose(client, csrf, **menu))).text())
    assert ("De tekst van menukeuze 'afval' verandert (wordt opnieuw ingesproken): \"Voor afval, grofvuil of een "
            "kapotte container, toets 2.\" wordt \"Voor afval en grofvuil, toets 2.\"") in page
    assert "Menukeuze verdwijnt: toets 5 voor 'Sociale Zaken Heemstede'" in page

    where = await propose(client, csrf, section="person", was="", name="Joris Kok", extension="313",
                          direct="", mobile="0612340313", substitute="")
    assert "Collega Joris Kok (313) komt erbij" in visible(await (await client.get(where)).text())
    await client.post(f"{where}/apply", data={"csrf": csrf, "why": "Nieuwe collega", "apply": "1"})
    assert '  - {name: Joris Kok, extension: "313", mobile: "0612340313"}' in yaml_file.read_text()

    where = await propose(client, csrf, section="department", id="wmo", name="Zorg en WMO", number="",
                          answered_by="", members=["311", "312", "313"])
    assert "Joris Kok (313) hoort voortaan bij afdeling Zorg en WMO" in visible(await (await client.get(where)).text())


async def test_a_sixth_menu_option_is_refused_as_check_refuses_it(client, editor):
    csrf = await log_in(client, "coco")
    html = await (await client.get("/manage")).text()
    assert 'id="key-new"' not in html  # five options: the form offers no sixth
    where = await propose(client, csrf, section="menu", key_new="6", topic_new="overig", text_new="Toets 6.")
    assert "the menu has 6 options; at most 5 are allowed" in visible(await (await client.get(where)).text())


@pytest.mark.parametrize("mobile, what", [("0900123456", "a premium-rate number (0900, 0906, 0909)"),
                                          ("+442012345678", "an international number")])
async def test_a_mobile_outside_the_class_of_service_is_refused_on_the_screen_as_check_refuses_it(
        client, editor, yaml_file, mobile, what):
    """Issue 22: an outside destination the coordinator enters stays within the class of service (outbound:)."""
    csrf = await log_in(client, "coco")
    where = await propose(client, csrf, section="person", was="", name="Joris Kok", extension="313",
                          direct="", mobile=mobile, substitute="")
    html = await (await client.get(where)).text()
    assert f"Joris Kok's mobile {mobile} is {what}, which the class of service refuses" in visible(html)
    assert 'name="apply"' not in html
    before = yaml_file.read_text()
    response = await client.post(f"{where}/apply", data={"csrf": csrf, "why": "x", "apply": "1"})
    assert response.status == 409 and yaml_file.read_text() == before and editor.reloader.triggers == []


async def test_a_menu_option_becomes_an_outside_organisation_on_the_screen_and_in_the_yaml(client, editor, yaml_file):
    """Key 4 put through to the Wmo desk in Heemstede: topic set to none, number and name filled in."""
    csrf = await log_in(client, "coco")
    where = await propose(client, csrf, section="menu", was_3="4", key_3="4", topic_3="",
                          text_3="Voor de Wmo, toets 4.", forward_to_3="0235480000", organisation_3="Wmo-loket Heemstede")
    page = visible(await (await client.get(where)).text())
    assert "Toets 4 in het menu verbindt voortaan door met Wmo-loket Heemstede (0235480000) in plaats van 'zorg'" \
        in page
    await client.post(f"{where}/apply", data={"csrf": csrf, "why": "Wmo naar Heemstede", "apply": "1"})
    written = yaml_file.read_text()
    assert ('    - key: "4"\n      forward_to: "0235480000"\n      organisation: "Wmo-loket Heemstede"\n'
            '      text: "Voor de Wmo, toets 4."\n') in written
    assert "# Sociale Zaken (werk, inkomen, bijstand) is the joint organisation" in written  # comments kept


async def test_a_topic_and_an_outside_number_together_are_refused_as_check_refuses_them(client, editor):
    csrf = await log_in(client, "coco")
    where = await propose(client, csrf, section="menu", was_3="4", key_3="4", topic_3="zorg",
                          text_3="Voor zorg, toets 4.", forward_to_3="0235480000", organisation_3="Wmo-loket Heemstede")
    html = await (await client.get(where)).text()
    assert ("menu option 4 has a topic and forward_to: an option either joins a queue (topic) or puts the caller "
            "through to an outside organisation (forward_to with organisation); remove one of the two") in visible(html)
    assert 'name="apply"' not in html
