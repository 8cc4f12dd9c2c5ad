"""A journey's labels in bereik's own words: 0.1.0 kept Asterisk's channel variables.

calls.extra held {"variables": {"BEREIK_TOPIC": "afval", ...}}; from 0.2.0 it holds
{"labels": {"topic": "afval", ...}} (bereik.facts.LABELS), whichever PBX carried the call.
Read by the recorder for calls still open at a restart; the report columns are unchanged.
"""
import json
import sqlite3

from yoyo import step

__depends__ = {"0001_baseline"}

# As 0.1.0's bereik.pbx.variables.IN_AMI_EVENTS named them; written out, as a shipped version is frozen.
LABELS = {"BEREIK_TOPIC": "topic", "BEREIK_CHOICE": "choice", "BEREIK_MUNICIPALITY": "municipality",
          "BEREIK_REASON": "reason", "BEREIK_TRIED": "tried", "BEREIK_TRIED_VIA": "tried_via",
          "BEREIK_TRIED_AT": "tried_at", "BEREIK_FAILED": "failed", "BEREIK_DEPARTMENT": "department"}


def _rename(extra: str, old: str, new: str, names: dict[str, str]) -> str:
    more = json.loads(extra or "{}")
    kept = more.pop(old, {})
    more[new] = {names.get(name, name): value for name, value in kept.items()}
    return json.dumps(more, ensure_ascii=False)


def _move(connection, old: str, new: str, names: dict[str, str]) -> None:
    mark = "?" if isinstance(connection, sqlite3.Connection) else "%s"
    cursor = connection.cursor()
    cursor.execute(f"SELECT call_id, extra FROM calls WHERE extra LIKE {mark}", (f'%"{old}"%',))
    changes = [(_rename(extra, old, new, names), call_id) for call_id, extra in cursor.fetchall()]
    cursor.executemany(f"UPDATE calls SET extra = {mark} WHERE call_id = {mark}", changes)


def apply(connection) -> None:
    _move(connection, "variables", "labels", LABELS)


def rollback(connection) -> None:
    _move(connection, "labels", "variables", {label: name for name, label in LABELS.items()})


steps = [step(apply, rollback)]
