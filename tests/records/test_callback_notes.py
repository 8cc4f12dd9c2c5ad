"""Call-back notes in the call-record store, on SQLite and a real PostgreSQL: one note per key, every
step and attempt kept in order, closed once, purged with their steps, and a 0.2.0 file imported once."""
from __future__ import annotations

import datetime as dt
import sqlite3

from bereik.callbacks.store import (
    CALLED_BACK,
    HANDLED,
    NOT_REACHED,
    QUEUE,
    Attempt,
    CallbackStore,
    Note,
    Status,
    import_legacy,
)
from tests.examples import example_config

CONFIG = example_config()
ZONE = CONFIG.zone
MONDAY = dt.datetime(2026, 11, 23, 10, 0, tzinfo=ZONE)


def note(key: str = "n1", **changes) -> Note:
    values = dict(key=key, number="0612345678", name="Jan Jansen", question="Vraag over de WOZ-waarde",
                  team="vergunningen", created_at=MONDAY, due_at=MONDAY + dt.timedelta(days=2), created_by="avries",
                  owner="301", department="vergunningen")
    return Note(**{**values, **changes})


def test_a_note_its_steps_and_attempts_in_order_and_closed_once(store):
    notes = CallbackStore(store, ZONE)
    stored, new = notes.add(note(extra={"topic": "belastingen"}))
    assert new and notes.add(note(question="anders"))[1] is False
    assert stored.extra == {"topic": "belastingen"} and stored.due_at == MONDAY + dt.timedelta(days=2)

    first = MONDAY + dt.timedelta(hours=1)
    notes.start_attempt(Attempt("a1", stored.id, "evasmit", "301", first))
    notes.end_attempt("a1", "no_answer", first + dt.timedelta(seconds=40), None, None)
    assert notes.end_attempt("a1", "answered", first, first, 99.0).outcome == "no_answer"  # ended once
    second = MONDAY + dt.timedelta(hours=5)
    notes.start_attempt(Attempt("a2", stored.id, "evasmit", "301", second))
    notes.end_attempt("a2", "answered", second + dt.timedelta(seconds=50), second + dt.timedelta(seconds=8), 42.0)
    notes.set_answered(stored.id, second + dt.timedelta(seconds=8))
    closed = notes.close_note(stored.id, CALLED_BACK, "bereik", second + dt.timedelta(seconds=50))
    assert notes.close_note(stored.id, NOT_REACHED, "evasmit", second).outcome == CALLED_BACK

    assert closed.status(MONDAY + dt.timedelta(days=9)) is Status.DONE and closed.on_time
    assert [(a.outcome, a.talk_seconds) for a in notes.attempts(stored.id)] == [("no_answer", None), ("answered", 42.0)]
    steps = notes.steps(stored.id)
    assert [s.what for s in steps] == ["taken", "attempt", "attempt", "closed"]
    assert steps[1].detail["answered"] is False and steps[2].detail["talk_seconds"] == 42.0
    assert steps[1].actor == "evasmit" and steps[1].at == first


def test_a_note_changes_with_its_step_or_not_at_all(store, monkeypatch):
    """A reader never sees a closed note without its closing step (the console's history, the tests that wait
    for the close): the change and its step are one transaction."""
    notes = CallbackStore(store, ZONE)
    stored, _ = notes.add(note())

    def step_refused(*arguments):
        raise RuntimeError("the step could not be written")

    monkeypatch.setattr(notes, "_insert_step", step_refused)
    for change in (lambda: notes.close_note(stored.id, CALLED_BACK, "bereik", MONDAY),
                   lambda: notes.move(stored.id, "302", "", MONDAY, "evasmit", {}),
                   lambda: notes.mark_escalated(stored.id, MONDAY, {})):
        try:
            change()
        except RuntimeError:
            pass
    monkeypatch.undo()
    unchanged = notes.get(stored.id)
    assert not unchanged.closed and unchanged.owner == "301" and unchanged.escalated_at is None
    assert [s.what for s in notes.steps(stored.id)] == ["taken"]


def test_the_open_request_of_a_caller_moving_and_the_wallboard_counts(store):
    notes = CallbackStore(store, ZONE)
    asked, _ = notes.add(note("q1", kind=QUEUE, team="tic", owner="", created_by="queue"))
    notes.add(note("n2"))  # a console note for the same number is no request of the caller's own
    assert notes.open_request_of("0612345678").id == asked.id
    moved = notes.move(asked.id, "302", "", MONDAY + dt.timedelta(hours=2), "bereik", {"why": "absent"})
    assert moved.owner == "302" and notes.steps(asked.id)[-1].detail == {"to": "302", "mailbox": "", "why": "absent"}
    notes.close_note(asked.id, HANDLED, "anna", MONDAY + dt.timedelta(hours=3), "nummer onjuist")
    assert notes.open_request_of("0612345678") is None
    assert notes.counts(MONDAY + dt.timedelta(days=3)) == (1, 1)
    assert [n.key for n in notes.owned_by("301")] == ["n2"]


def test_purged_notes_take_their_steps_and_attempts_with_them(store):
    notes = CallbackStore(store, ZONE)
    old, _ = notes.add(note("old"))
    notes.start_attempt(Attempt("a1", old.id, "evasmit", "301", MONDAY))
    notes.close_note(old.id, HANDLED, "evasmit", MONDAY + dt.timedelta(days=1), "beantwoord per e-mail")
    kept, _ = notes.add(note("kept", created_at=MONDAY + dt.timedelta(days=30),
                             due_at=MONDAY + dt.timedelta(days=32)))
    assert notes.purge(MONDAY + dt.timedelta(days=10)) == 1
    assert notes.get(old.id) is None and notes.steps(old.id) == [] and notes.attempts(old.id) == []
    assert notes.get(kept.id) is not None and len(notes.steps(kept.id)) == 1


LEGACY_SCHEMA = """
CREATE TABLE callbacks (id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, number TEXT NOT NULL, name TEXT NOT NULL,
    question TEXT NOT NULL, team TEXT NOT NULL, for_person TEXT NOT NULL, mailbox TEXT NOT NULL,
    created_at TEXT NOT NULL, due_at TEXT NOT NULL, created_by TEXT NOT NULL, done_at TEXT,
    done_by TEXT NOT NULL DEFAULT '', mailed_at TEXT);
INSERT INTO callbacks VALUES (1, 'console-abc', '0612345678', 'Jan', 'WOZ', 'belastingen', 'Eva', 'b@x.test',
    '2026-11-23T09:00:00+00:00', '2026-11-25T09:00:00+00:00', 'anna', '2026-11-24T12:00:00+00:00', 'lisa',
    '2026-11-23T09:00:01+00:00');
INSERT INTO callbacks VALUES (2, 'queue-1700000000.1', '0687654321', '', 'Terugbelverzoek', 'tic', '', '',
    '2026-11-23T10:00:00+00:00', '2026-11-25T10:00:00+00:00', 'queue', NULL, '', NULL);
"""


def test_a_call_back_file_of_release_020_is_imported_once_and_its_kept_notes_stay_kept(store, tmp_path):
    legacy = tmp_path / "callbacks.sqlite3"
    with sqlite3.connect(legacy) as connection:
        connection.executescript(LEGACY_SCHEMA)
    notes = CallbackStore(store, ZONE)

    assert import_legacy(legacy, notes) == 2
    assert import_legacy(legacy, notes) == 0  # the next start: every key is there already
    assert import_legacy(tmp_path / "none.sqlite3", notes) == 0
    kept = notes.by_key("console-abc")
    assert (kept.closed_by, kept.mailbox, kept.for_person, kept.on_time) == ("lisa", "b@x.test", "Eva", True)
    asked = notes.by_key("queue-1700000000.1")
    assert asked.kind == QUEUE and not asked.closed and notes.open_request_of("0687654321").id == asked.id
    assert notes.steps(asked.id)[0].detail["imported_from"] == "callbacks.sqlite3"
