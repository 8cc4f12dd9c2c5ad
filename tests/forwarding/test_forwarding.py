"""Absence forwarding: set and cleared from the CLI and over HTTP, kept across restarts, never a chain."""
import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bereik.audit import FORWARD_CLEARED, FORWARD_SET, AuditLog
from bereik.cli import main
from bereik.forwarding.http import forwarding_routes
from bereik.forwarding.store import ForwardingError, ForwardingStore
from bereik.records.store import SqliteStore
from tests.examples import example_config

EXAMPLE = Path(__file__).parents[2] / "examples" / "bloemendaal.yaml"
CONFIG = example_config()
AMS = ZoneInfo("Europe/Amsterdam")
MONDAY = dt.datetime(2026, 11, 23, 8, 0, tzinfo=AMS)
FRIDAY = dt.datetime(2026, 11, 27, 17, 0, tzinfo=AMS)


@pytest.fixture
def store(tmp_path):
    opened = ForwardingStore(tmp_path / "forwarding.sqlite3", CONFIG)
    yield opened
    opened.close()


def test_a_forward_is_in_force_for_its_period_and_survives_a_restart(store, tmp_path):
    store.set("301", "302", starts=MONDAY, ends=FRIDAY, set_by="teamlead")
    store.close()
    reopened = ForwardingStore(tmp_path / "forwarding.sqlite3", CONFIG)
    assert reopened.in_force("301", MONDAY + dt.timedelta(hours=2)).target == "302"
    assert reopened.in_force("301", MONDAY - dt.timedelta(minutes=1)) is None
    assert reopened.in_force("301", FRIDAY) is None  # the end is exclusive
    assert reopened.clear("301") and reopened.in_force("301", MONDAY + dt.timedelta(hours=2)) is None
    reopened.close()


def test_substitute_means_the_substitute_from_the_yaml(store):
    assert store.set("302", "substitute", starts=MONDAY, ends=None, set_by="femke").target == "301"


@pytest.mark.parametrize(("person", "target", "message"), [
    ("399", "301", "399 is nobody under people:"),
    ("301", "301", "forward to a colleague's extension"),
    ("301", "substitute", "Eva Smit has no substitute"),
    ("302", "mobile", "Femke de Boer has no mobile number"),
    ("311", "mobile", "department 'wmo' allows only to: colleague"),
])
def test_forwards_that_are_not_allowed(store, person, target, message):
    with pytest.raises(ForwardingError, match=message):
        store.set(person, target, starts=MONDAY, ends=FRIDAY, set_by="x")


def test_a_forward_to_someone_who_forwards_is_a_hunt_group_in_disguise(store):
    store.set("302", "303", starts=MONDAY, ends=FRIDAY, set_by="x")
    with pytest.raises(ForwardingError, match="Femke de Boer forwards to 303 in that period: the call would hop"):
        store.set("301", "302", starts=MONDAY, ends=None, set_by="x")
    with pytest.raises(ForwardingError, match="Femke de Boer forwards to Gijs Mulder in that period"):
        store.set("303", "mobile", starts=MONDAY, ends=None, set_by="x")
    # After Femke is back, forwarding to her is fine.
    assert store.set("301", "302", starts=FRIDAY, ends=None, set_by="x").target == "302"


def test_the_cli_sets_lists_and_clears_and_the_audit_log_says_who(tmp_path, capsys):
    db, calls = str(tmp_path / "f.sqlite3"), str(tmp_path / "calls.sqlite3")
    assert main(["forward", "set", str(EXAMPLE), "301", "--to", "mobile", "--until", "2099-01-01T00:00",
                 "--by", "eva", "--db", db, "--store", calls]) == 0
    assert "301 forwards to mobile" in capsys.readouterr().out
    assert main(["forward", "list", str(EXAMPLE), "--db", db]) == 0
    assert "301 -> mobile" in (listing := capsys.readouterr().out) and "in force, set by eva" in listing
    assert main(["forward", "set", str(EXAMPLE), "311", "--to", "mobile", "--db", db, "--store", calls]) == 1
    assert "department 'wmo' allows only to: colleague" in capsys.readouterr().err
    assert main(["forward", "clear", str(EXAMPLE), "301", "--db", db, "--store", calls]) == 0
    assert main(["forward", "clear", str(EXAMPLE), "301", "--db", db, "--store", calls]) == 1
    capsys.readouterr()

    assert main(["audit", str(EXAMPLE), "--store", calls]) == 0
    cleared, made = capsys.readouterr().out.splitlines()  # newest first; the refused forward is no act
    assert "doorschakeling opgeheven  301  (cli (" in cleared
    assert "eva  doorschakeling ingesteld  301" in made and "to=mobile" in made
    assert "0612340301" not in made  # Eva's mobile number: "mobile", never the number


async def test_the_http_api(store, tmp_path):
    app = web.Application()
    calls = SqliteStore(tmp_path / "calls.sqlite3")
    app.add_routes(forwarding_routes(store, clock=lambda: MONDAY + dt.timedelta(hours=1), log=AuditLog(calls)))
    async with TestClient(TestServer(app)) as client:
        response = await client.put("/forwarding/301", json={"to": "302", "set_by": "teamlead",
                                                             "until": FRIDAY.isoformat()})
        assert response.status == 200 and (await response.json())["to"] == "302"
        listing = await (await client.get("/forwarding")).json()
        assert listing == [{"person": "301", "to": "302", "from": (MONDAY + dt.timedelta(hours=1)).isoformat(),
                            "until": FRIDAY.isoformat(), "set_by": "teamlead", "in_force": True}]
        refused = await client.put("/forwarding/302", json={"to": "303", "set_by": "x"})
        assert refused.status == 422 and "hunt group in disguise" in (await refused.json())["error"]
        assert (await client.put("/forwarding/302", json={"to": 5})).status == 422
        assert (await client.put("/forwarding/302", data=b"not json")).status == 422
        assert (await client.delete("/forwarding/301")).status == 204
        assert (await client.delete("/forwarding/301")).status == 404
    cleared, made = AuditLog(calls).entries(0)
    assert (made.actor, made.action, made.target, made.detail["to"]) == ("teamlead", FORWARD_SET, "301", "302")
    assert (cleared.action, cleared.target, cleared.source) == (FORWARD_CLEARED, "301", "http 127.0.0.1")
    calls.close()
