"""Schema versions of the call-record store: a store written by release 0.1.0 upgraded by this bereik,
on SQLite and a real PostgreSQL, with every call still in the report."""
from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from bereik.callbacks.store import CallbackStore
from bereik.records import schema
from bereik.records.store import PostgresStore, SqliteStore
from bereik.reports.figures import from_store
from bereik.reports.schema import ReportRequest
from tests.examples import example_config

FIXTURE = Path(__file__).parent / "fixtures" / "store-0.1.0.sql"
CONFIG = example_config()
CALLS_IN_FIXTURE = {"c-answered-5", "c-answered-45", "c-abandoned", "c-answered-12", "c-name-quote", "c-failopen"}


def sqlite_release_010(tmp_path) -> str:
    path = tmp_path / "calls.sqlite3"
    with sqlite3.connect(path) as connection:
        connection.executescript(FIXTURE.read_text())
    return str(path)


def postgres_release_010(request) -> str:
    import psycopg

    dsn = request.getfixturevalue("postgres").dsn
    name = f"m{abs(hash(request.node.nodeid)) % 10**9}"
    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name}")
        admin.execute(f"CREATE DATABASE {name}")
    location = dsn.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(location, autocommit=True) as connection:
        connection.execute(FIXTURE.read_text())
    return location


@pytest.fixture(params=["sqlite", "postgresql"])
def old_store(request, tmp_path) -> str:
    """The location of a store as release 0.1.0 left it: its tables, no schema versions."""
    return sqlite_release_010(tmp_path) if request.param == "sqlite" else postgres_release_010(request)


def opened(location: str):
    return PostgresStore(location) if location.startswith("postgresql://") else SqliteStore(location, 1)


def test_the_fixture_is_a_store_without_schema_versions(old_store):
    with_yoyo_off = schema.Version((), schema.expected())
    assert with_yoyo_off.pending == schema.expected() and with_yoyo_off.current.startswith("0.1.0")
    if old_store.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(old_store) as connection:
            assert connection.execute("SELECT to_regclass('_yoyo_migration')").fetchone()[0] is None
            assert connection.execute("SELECT count(*) FROM calls").fetchone()[0] == len(CALLS_IN_FIXTURE)
    else:
        with sqlite3.connect(old_store) as connection:
            tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            assert "_yoyo_migration" not in tables and {"calls", "steps", "audit", "server_writers"} <= tables


def test_bereik_migrate_upgrades_a_store_of_release_010_and_every_call_is_still_in_the_report(old_store):
    applied = schema.upgrade(old_store)

    assert applied == list(schema.expected())
    store = opened(old_store)
    try:
        version = store.version()
        assert version.pending == () and version.unknown == () and version.current == schema.expected()[-1]
        report = from_store(store, CONFIG, ReportRequest.month("2026-10"))
        assert report.calls == len(CALLS_IN_FIXTURE)
        assert sum(b.offered for b in report.by_weekday) == 6
        assert sum(b.abandoned for b in report.by_weekday) == 1
        assert {a.agent: a.answered for a in report.by_agent} == {"Anna": 3, "Bert": 2}
        journey = store.journey("c-name-quote")
        assert journey.caller_name == "O'Brien \"de Bakker\"" and journey.ended
        assert [s.what for s in journey.steps][:3] == ["entered", "answered", "queued"]
        assert store.journey("c-failopen").labels["reason"] == "failopen-FAILURE"
        assert len(store.audit(0, 2e9)) == 1
        # 0002: the report's new facts, empty for 0.1.0's calls (whose transfers 0.1.0 did not keep per transfer).
        rows = list(store.calls(0, 2e10))
        assert {(r.person, r.department, r.transfers, r.left_in, r.refused, r.inside) for r in rows} == {
            ("", "", "[]", "", 0, 0)}
        # 0004: how a direct call went for the person (why it fell back, via whom): empty for 0.1.0's calls.
        assert {(r.failed, r.via) for r in rows} == {("", "")}
        assert report.reachability == []  # 0.1.0 knew no person a call tried
        # 0006: the call-back notes' tables, empty
        assert CallbackStore(store, CONFIG.zone).counts(dt.datetime(2026, 11, 1, tzinfo=CONFIG.zone)) == (0, 0)
    finally:
        store.close()


def test_opening_an_old_store_upgrades_it_as_bereik_run_does_and_a_second_run_changes_nothing(old_store):
    store = opened(old_store)
    store.close()

    assert schema.upgrade(old_store) == []  # already at this release's version
    store = opened(old_store)
    try:
        assert store.version().pending == () and store.count() == len(CALLS_IN_FIXTURE)
    finally:
        store.close()


def test_a_store_upgraded_by_a_newer_bereik_is_told_apart(tmp_path):
    store = SqliteStore(tmp_path / "calls.sqlite3")
    try:
        with store._transaction() as cursor:
            cursor.execute(f"INSERT INTO {schema.TABLE} (migration_hash, migration_id, applied_at_utc)"
                           " VALUES ('x', '0999_from_the_future', '2099-01-01 00:00:00')")
        version = store.version()
        assert version.unknown == ("0999_from_the_future",) and version.pending == ()
    finally:
        store.close()


def test_yoyo_gets_the_address_bereik_uses():
    assert schema.yoyo_uri("postgresql://bereik@db/bereik") == "postgresql+psycopg://bereik@db/bereik?connect_timeout=5"
    assert schema.yoyo_uri("postgresql://db/b?sslmode=require") == \
        "postgresql+psycopg://db/b?sslmode=require&connect_timeout=5"
    assert schema.yoyo_uri("/var/lib/bereik/calls.sqlite3") == "sqlite:////var/lib/bereik/calls.sqlite3"
