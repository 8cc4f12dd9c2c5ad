"""Recordings: the owner read from the file name, who may listen (deletion: tests/records/test_retention.py)."""
import datetime as dt

from bereik.config.model import Console, ConsoleUser
from bereik.console import recordings

USERS = [ConsoleUser(login="anna", extension="201"), ConsoleUser(login="bram-b", extension="202"),
         ConsoleUser(login="lisa", role="team_lead"), ConsoleUser(login="olaf", role="team_lead", team="vg")]
SETTINGS = Console(users=USERS, recording_retention_days=30)


def make(directory, login, moment):
    name = f"bereik-1795473198-{recordings.touch_name(login, moment, '1700000000.1')}.wav"
    (directory / name).write_bytes(b"RIFF")
    return name


def test_the_name_carries_the_owner_even_with_dashes_in_the_login():
    moment = dt.datetime(2026, 11, 23, 10, 0, 5)
    parsed = recordings.parse(f"bereik-1-{recordings.touch_name('bram-b', moment, 'PJSIP/x;1')}.wav")
    assert parsed.login == "bram-b" and parsed.started == moment
    assert recordings.parse("auto-1-0612345678-201.wav") is None  # not ours: never listed


def test_agents_see_their_own_team_leads_their_team(tmp_path):
    make(tmp_path, "anna", dt.datetime(2026, 11, 23, 10))
    make(tmp_path, "bram-b", dt.datetime(2026, 11, 23, 11))
    listed = lambda login: [r.login for r in recordings.listing(tmp_path, SETTINGS, SETTINGS.user(login))]  # noqa: E731
    assert listed("anna") == ["anna"]
    assert listed("lisa") == ["bram-b", "anna"]
    assert listed("olaf") == []


def test_the_other_nodes_recordings_are_listed_beside_this_nodes_each_once(tmp_path):
    here = make(tmp_path, "anna", dt.datetime(2026, 11, 23, 10))
    there = f"bereik-1795473199-{recordings.touch_name('anna', dt.datetime(2026, 11, 23, 11), 'zuid-1.2')}.wav"
    bram = f"bereik-1795473199-{recordings.touch_name('bram-b', dt.datetime(2026, 11, 23, 12), 'zuid-1.3')}.wav"
    shared = [(here, 4), (there, 960_000), (bram, 960_000), ("auto-1-0612345678-201.wav", 9)]
    listed = recordings.listing(tmp_path, SETTINGS, SETTINGS.user("anna"), shared)
    assert [(r.name, r.size) for r in listed] == [(there, 960_000), (here, 4)]
    assert [r.login for r in recordings.listing(tmp_path, SETTINGS, SETTINGS.user("lisa"), shared)] == [
        "bram-b", "anna", "anna"]


def test_a_recording_is_copied_once_finished_and_again_only_when_it_changed():
    name = f"bereik-1-{recordings.touch_name('anna', dt.datetime(2026, 11, 23, 10), 'zuid-1.2')}.wav"
    now = 1000.0
    files = [(name, 48_000, now - 1), ("auto-1-0612345678-201.wav", 9, now - 60)]
    assert recordings.to_copy(files, {}, now) == []  # Asterisk still writes it
    files = [(name, 96_000, now - recordings.QUIET_SECONDS)]
    assert recordings.to_copy(files, {}, now) == [name]
    assert recordings.to_copy(files, {name: 96_000}, now) == []
    assert recordings.to_copy(files, {name: 48_000}, now) == [name]
