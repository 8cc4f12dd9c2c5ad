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
