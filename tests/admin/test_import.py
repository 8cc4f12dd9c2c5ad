"""`bereik import`: Zandvoort's hand-written Asterisk becomes a YAML that bereik accepts and that routes the same calls."""
import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import asterisk.config
import pytest

from bereik.admin.importer import import_asterisk
from bereik.cli import main
from bereik.config import load_config
from bereik.routing.flow import Enqueue, Hangup, route_with_keys

SAMPLE = Path(__file__).parent / "samples" / "asterisk"
AMS = ZoneInfo("Europe/Amsterdam")
MONDAY_MORNING = dt.datetime(2026, 11, 23, 10, 0, tzinfo=AMS)

# The sample's IVR as its author wrote it: key -> the Queue() the call ends in (None: no key, the `t` extension).
SOURCE_IVR = {"1": "burgerzaken", "2": "algemeen", "3": "belastingen", "4": "algemeen", None: "algemeen"}
# GotoIfTime(08:30-17:00,mon-fri) and GotoIfTime(18:00-20:00,thu): open or closed at these moments.
SOURCE_HOURS = [(dt.datetime(2026, 11, 23, 8, 29), False), (dt.datetime(2026, 11, 23, 8, 30), True),
                (dt.datetime(2026, 11, 26, 17, 30), False), (dt.datetime(2026, 11, 26, 19, 59), True),
                (dt.datetime(2026, 11, 27, 16, 59), True), (dt.datetime(2026, 11, 28, 10, 0), False)]


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    out = tmp_path_factory.mktemp("import") / "zandvoort.yaml"
    assert main(["import", str(SAMPLE), "--out", str(out), "--municipality", "Zandvoort"]) == 0
    return out


def test_pyst2_reads_exten_and_same_lines_but_refuses_template_sections():
    dialplan = asterisk.config.Config(str(SAMPLE / "extensions.conf"))
    ivr = next(c for c in dialplan.categories if c.name == "ivr")
    assert [(i.name, i.value) for i in ivr.items[:2]] == [("exten", "s,1,Set(TIMEOUT(digit)=3)"),
                                                          ("same", "n,Set(TIMEOUT(response)=6)")]
    with pytest.raises(asterisk.config.ParseError):
        asterisk.config.Config(str(SAMPLE / "pjsip.conf"))  # [phone](!): why the importer reads line by line


def test_the_imported_yaml_passes_bereik_check(imported, capsys):
    assert main(["check", str(imported)]) == 0
    assert "Gemeente Zandvoort on 14023, 4 menu options, 3 queue(s)" in capsys.readouterr().out


@pytest.mark.parametrize("key", list(SOURCE_IVR), ids=lambda k: f"key {k}")
def test_every_menu_key_reaches_the_queue_it_reached_before(imported, key):
    config = load_config(imported)
    final = route_with_keys(config, MONDAY_MORNING, [key] * 3)[-1]
    assert isinstance(final, Enqueue)
    assert final.queue == SOURCE_IVR[key]


@pytest.mark.parametrize("moment, open_", SOURCE_HOURS, ids=lambda v: str(v))
def test_opening_hours_are_those_of_the_gotoiftime_lines(imported, moment, open_):
    final = route_with_keys(load_config(imported), moment.replace(tzinfo=AMS), ["4"])[-1]
    assert isinstance(final, Enqueue) is open_
    assert isinstance(final, Hangup) is not open_


def test_phones_names_addresses_and_the_trunk_are_carried_over(imported):
    config = load_config(imported)
    assert [(a.name, a.extension) for a in config.agents] == [
        ("Anna de Vries", "201"), ("Bram Jansen", "202"), ("Carla Bakker", "203"), ("Daan Visser", "205")]
    assert config.queue("algemeen").positions[1].address == "192.168.10.22"
    assert config.pbx.trunk == "10.1.2.3:5060"
    assert config.menu.wait_for_key == 6


def test_guesses_carry_a_comment_in_the_yaml(imported):
    text = imported.read_text()
    assert "closed: U belt buiten onze openingstijden" in text
    assert "# guessed: the old dialplan played custom/gesloten" in text
    assert "# guessed: the old dialplan played custom/welkom and custom/ivr-keuzes" in text
    assert "# guessed port" in text


# What the sample has that bereik's YAML cannot say: each must be listed, in the YAML and on stderr.
NOT_IMPORTED = [
    "extensions.conf:17: [from-trunk] 0235740100: Goto(ivr,s,1)",
    "extensions.conf:26: Set(CDR(userfield)=burgerzaken)",
    "extensions.conf:27: Queue(burgerzaken,t,,,1800)",
    "extensions.conf:32: Playback(custom/afval-online)",
    "extensions.conf:42: Dial(PJSIP/0235740199@trunk,30)",
    "extensions.conf:53: [phones] _2XX: Voicemail(${EXTEN}@default,u)",
    "extensions.conf:55: [phones] *97: VoiceMailMain()",
    "queues.conf:6: [algemeen] strategy=ringall",
    "queues.conf:22: [belastingen] member => PJSIP/202",
    "pjsip.conf:34: [201-auth]",
    "pjsip.conf:29: [201] allow, disallow, dtmf_mode",
]


def test_what_cannot_be_mapped_is_listed_in_the_yaml_and_on_stderr(imported, capsys):
    main(["import", str(SAMPLE), "--out", str(imported.parent / "again.yaml")])
    stderr = capsys.readouterr().err
    text = imported.read_text()
    for item in NOT_IMPORTED:
        assert f"not imported: {item}" in stderr
        assert f"#   {item}" in text


def test_every_dialplan_line_is_either_carried_over_or_listed():
    result = import_asterisk([SAMPLE])
    listed = {n.line for n in result.not_imported if n.file == "extensions.conf"}
    lines = [n for n, line in enumerate((SAMPLE / "extensions.conf").read_text().splitlines(), start=1)
             if line.strip() and not line.startswith((";", "["))]
    assert [n for n in lines if n not in listed | result.followed] == []
    assert 27 in listed & result.followed  # Queue(burgerzaken,t,,,1800): the queue carried over, its options listed


def test_a_plain_dialplan_without_menu_or_hours_is_always_open_and_says_so(tmp_path):
    (tmp_path / "extensions.conf").write_text("[from-trunk]\nexten => 14070,1,Answer()\n same => n,Queue(kcc)\n")
    (tmp_path / "queues.conf").write_text("[kcc]\nmember => PJSIP/301\n")
    result = import_asterisk([tmp_path], "Rijswijk")
    assert "monday: [00:00-23:59]  # guessed: the old dialplan had no GotoIfTime(), so always open" in result.yaml
    assert "menu:" not in result.yaml
    path = tmp_path / "rijswijk.yaml"
    path.write_text(result.yaml)
    assert route_with_keys(load_config(path), MONDAY_MORNING, [])[-1].queue == "kcc"
