"""Every store test runs against SQLite and a real PostgreSQL (a throwaway cluster of Debian's packages)."""
from __future__ import annotations

import pytest

from bereik.records.store import PostgresStore, SqliteStore
from bereik.sandbox.postgres import Cluster


@pytest.fixture(scope="session")
def postgres():
    cluster = Cluster().start()  # fails loudly when PostgreSQL is missing or will not start
    yield cluster
    cluster.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    if request.param == "sqlite":
        made = SqliteStore(tmp_path / "calls.sqlite3")
    else:
        import psycopg

        dsn = request.getfixturevalue("postgres").dsn
        name = f"t{abs(hash(request.node.nodeid)) % 10**9}"
        with psycopg.connect(dsn, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name}")
            admin.execute(f"CREATE DATABASE {name}")
        made = PostgresStore(dsn.rsplit("/", 1)[0] + "/" + name)
    yield made
    made.close()
