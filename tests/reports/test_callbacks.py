"""Call-backs on time: the call-back notes due in the period, kept by their deadline or not."""
import datetime as dt

from bereik.callbacks.store import CALLED_BACK, CallbackStore, Note
from bereik.records.store import SqliteStore
from bereik.reports.figures import from_store

from .test_month import CONFIG, OCTOBER

ZONE = CONFIG.zone


def note(n: int, due: dt.datetime, answered: dt.datetime | None) -> Note:
    """`answered`: when the caller answered the call-back that closed the note."""
    return Note(key=f"k{n}", number="0612345678", name="", question="paspoort", team="burgerzaken",
                created_at=due - dt.timedelta(days=2), due_at=due, created_by="anna", closed_at=answered,
                closed_by="eva" if answered else "", outcome=CALLED_BACK if answered else "", answered_at=answered)


def test_notes_due_in_october_kept_on_time_late_or_still_in_time(tmp_path):
    notes = CallbackStore(tmp_path / "callbacks.sqlite3")
    due = dt.datetime(2026, 10, 14, 17, 0, tzinfo=ZONE)
    for n in range(6):
        notes.add(note(n, due, due - dt.timedelta(hours=3)))  # kept on time
    for n in range(6, 8):
        notes.add(note(n, due, due + dt.timedelta(days=1)))  # called back, but late
    notes.add(note(8, due, None))  # never called back: late
    notes.add(note(9, dt.datetime(2026, 10, 31, 17, 0, tzinfo=ZONE), None))  # still in time on the 31st
    notes.add(note(10, dt.datetime(2026, 11, 2, 17, 0, tzinfo=ZONE), None))  # due next month
    store = SqliteStore(tmp_path / "calls.sqlite3")

    report = from_store(store, CONFIG, OCTOBER, notes, now=dt.datetime(2026, 10, 31, 12, 0, tzinfo=ZONE))

    callbacks = next(f for f in report.figures if f.id == "callbacks_on_time")
    assert (callbacks.value, callbacks.count, callbacks.grade) == (round(6 / 9, 4), 9, 3)  # 0.67 of 0.90: 0.74
    notes.close()
    store.close()
