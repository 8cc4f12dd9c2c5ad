"""Versions of the call-record store's schema: yoyo-migrations, the same files for SQLite and PostgreSQL.

Each file in bereik/records/migrations/ is one version, applied once and in order by `bereik migrate`
and by `bereik run` at start. To change a table, add the next file (never edit one that has shipped):

    # bereik/records/migrations/0002_calls_language.py
    from yoyo import step
    __depends__ = {"0001_baseline"}
    steps = [step("ALTER TABLE calls ADD COLUMN language TEXT NOT NULL DEFAULT 'nl'")]

and extend tests/records/test_migrations.py with what the upgrade must keep.
"""
from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from urllib.parse import quote

from yoyo import get_backend, read_migrations

log = logging.getLogger(__name__)

SOURCE = "package:bereik.records:migrations"
TABLE = "_yoyo_migration"  # where yoyo notes which versions a store has
LOCK_SECONDS = 60  # another bereik migrating the same PostgreSQL store


@dataclass(frozen=True)
class Version:
    applied: tuple[str, ...]  # migration ids the store has, oldest first
    expected: tuple[str, ...]  # the ids this bereik ships

    @property
    def pending(self) -> tuple[str, ...]:
        return tuple(m for m in self.expected if m not in self.applied)

    @property
    def unknown(self) -> tuple[str, ...]:
        """Versions a newer bereik applied: this one may not understand the tables."""
        return tuple(m for m in self.applied if m not in self.expected)

    @property
    def current(self) -> str:
        return self.applied[-1] if self.applied else "0.1.0 (before versioned migrations)"


@functools.cache
def expected() -> tuple[str, ...]:
    return tuple(m.id for m in read_migrations(SOURCE))


def yoyo_uri(location: str) -> str:
    """yoyo's address of a store bereik opens by `location` (a path or a postgresql:// URL)."""
    if location.startswith(("postgresql://", "postgres://")):
        rest = location.split("://", 1)[1]
        separator = "&" if "?" in rest else "?"
        timeout = "" if "connect_timeout=" in rest else f"{separator}connect_timeout=5"
        return f"postgresql+psycopg://{rest}{timeout}"
    from pathlib import Path

    return "sqlite:///" + quote(str(Path(location).resolve()))


def applied(cursor, has_table) -> tuple[str, ...]:
    """The ids a store has applied, read with one of the store's own cursors (no yoyo connection)."""
    if not has_table(cursor, TABLE):  # a new store, or one written by 0.1.0
        return ()
    cursor.execute(f"SELECT migration_id FROM {TABLE} ORDER BY applied_at_utc")
    return tuple(row[0] for row in cursor.fetchall())


def upgrade(location: str) -> list[str]:
    """Apply every migration the store lacks, in order, each in its own transaction; the ids applied."""
    migrations = read_migrations(SOURCE)
    backend = get_backend(yoyo_uri(location), TABLE)
    try:
        with backend.lock(LOCK_SECONDS):
            pending = backend.to_apply(migrations)
            for migration in pending:
                log.info("call-record store: applying schema version %s", migration.id)
            backend.apply_migrations(pending)
        return [m.id for m in pending]
    finally:
        backend.connection.close()


def _connect(location: str):
    """A plain connection that never creates nor migrates (for `bereik doctor`)."""
    if location.startswith(("postgresql://", "postgres://")):
        import psycopg

        return psycopg.connect(location, connect_timeout=5)
    import sqlite3
    from pathlib import Path

    if not Path(location).is_file():
        raise FileNotFoundError(f"{location} does not exist")
    return sqlite3.connect(f"file:{quote(str(Path(location).resolve()))}?mode=rw", uri=True, timeout=2)


def _has_table(cursor, name: str) -> bool:
    if cursor.__class__.__module__.startswith("sqlite3"):
        cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,))
        return cursor.fetchone() is not None
    cursor.execute("SELECT to_regclass(%s) IS NOT NULL", (name,))
    return cursor.fetchone()[0]


def version_of(location: str) -> Version:
    """The store's schema version, read without changing it."""
    connection = _connect(location)
    try:
        return Version(applied(connection.cursor(), _has_table), expected())
    finally:
        connection.close()


def check_writable(location: str) -> None:
    """Raises what the store raises when bereik would write to it; writes nothing."""
    connection = _connect(location)
    try:
        if location.startswith(("postgresql://", "postgres://")):
            connection.execute("UPDATE calls SET call_id = call_id WHERE false")  # needs the UPDATE right
        else:
            connection.execute("BEGIN IMMEDIATE")  # the write lock: fails when read-only or locked
        connection.rollback()
    finally:
        connection.close()
