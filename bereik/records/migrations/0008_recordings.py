"""Recordings in the shared store (issue 25): on several servers each node's bereik copies the recordings its own
Asterisk finished into its municipality's store, so an agent's console on any node lists and plays them."""
import sqlite3

from yoyo import step

__depends__ = {"0007_calls_cut_off"}


def apply(connection) -> None:
    blob = "BLOB" if isinstance(connection, sqlite3.Connection) else "BYTEA"
    connection.cursor().execute(
        f"CREATE TABLE recordings (name TEXT PRIMARY KEY, server TEXT NOT NULL, size BIGINT NOT NULL,"
        f" stored_at DOUBLE PRECISION NOT NULL, data {blob} NOT NULL)")


def rollback(connection) -> None:
    connection.cursor().execute("DROP TABLE recordings")


steps = [step(apply, rollback)]
