"""The retention job (bereik.privacy): one run deletes and pseudonymises what the YAML's periods say.

A fake clock, real stores: call records and the audit log in SQLite and a real PostgreSQL,
call-back notes and forwards in their SQLite files, recordings in a directory.
"""
import datetime as dt
from pathlib import Path

import pytest

from bereik.audit import FORWARD_SET, AuditLog
from bereik.callbacks.store import HANDLED, CallbackStore, Note
from bereik.console.recordings import touch_name
from bereik.forwarding.store import ForwardingStore
from bereik.privacy.job import RetentionJob
from bereik.privacy.retention import PSEUDONYM_PREFIX
from bereik.records.recorder import Recorder
from bereik.reports.figures import from_store
from bereik.reports.schema import ReportRequest
from bereik.secrets import AMI_SECRET, PSEUDONYM_SECRET, Secrets
from tests.ami_facts import told
from tests.examples import example_config

from ..reports.test_month import month_of_calls
from .calls import front_office_call

CONFIG = example_config()
ZONE = CONFIG.zone
NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=ZONE)
DAY = 86400.0
SECRETS = Secrets({PSEUDONYM_SECRET: "pseudonym-" + "k" * 22})


def days_ago(days: float) -> float:
    return NOW.timestamp() - days * DAY


def record_calls(store, *calls: tuple[str, float, str]) -> None:
    """(call id, start, caller number) each."""
    recorder = Recorder(store, ZONE, frozenset({CONFIG.number}))
    recorder.start()
    for call_id, start, caller in calls:
        for event in front_office_call(call_id, start, wait=5, caller=caller):
            told(recorder, dict(event, CallerIDName="Jan Jansen") if event["Event"] == "Newchannel" else event)
    recorder.close()


def note(key: str, taken_days_ago: float, done_days_ago: float | None = None) -> Note:
    taken = NOW - dt.timedelta(days=taken_days_ago)
    done = NOW - dt.timedelta(days=done_days_ago) if done_days_ago is not None else None
    return Note(key=key, number="0612345678", name="Jan", question="afval", team="tic", created_at=taken,
                due_at=taken + dt.timedelta(days=2), created_by="anna", closed_at=done,
                outcome=HANDLED if done else "")


@pytest.fixture
def stores(store, tmp_path):
    callbacks = CallbackStore(tmp_path / "callbacks.sqlite3")
    forwarding = ForwardingStore(tmp_path / "forwarding.sqlite3", CONFIG)
    recordings = tmp_path / "monitor"
    recordings.mkdir()
    yield store, callbacks, forwarding, recordings
    callbacks.close()
    forwarding.close()


def job(stores, config=CONFIG, secrets=SECRETS, now=NOW) -> RetentionJob:
    calls, callbacks, forwarding, recordings = stores
    return RetentionJob(config, calls, lambda: now, secrets, callbacks, forwarding, recordings, now=now.timestamp)


def recording(directory: Path, days: float) -> str:
    moment = (NOW - dt.timedelta(days=days)).replace(tzinfo=None)
    name = f"bereik-{int(moment.timestamp())}-{touch_name('anna', moment, 'c1')}.wav"
    (directory / name).write_bytes(b"RIFF")
    return name


def test_each_kind_of_personal_data_goes_after_its_own_period_and_no_sooner(stores):
    calls, callbacks, forwarding, recordings = stores
    record_calls(calls, ("old", days_ago(401), "0611111111"), ("kept", days_ago(399), "0622222222"),
                 ("fresh", days_ago(1), "0633333333"))
    audit = AuditLog(calls, now=lambda: days_ago(731))
    audit.record("lisa", FORWARD_SET, "301", "cli", to="mobile")
    audit.now = lambda: days_ago(729)
    audit.record("lisa", FORWARD_SET, "302", "cli", to="301")
    for n, (taken, done) in enumerate([(120, 91), (120, 89), (93, None), (80, None)]):
        callbacks.add(note(f"note-{n}", taken, done))  # handled 91 (goes) / 89 days ago; due 91 (goes) / 78 days ago
    for person, ended in (("301", 31), ("311", 29)):
        forwarding.set(person, "mobile" if person == "301" else "312", starts=NOW - dt.timedelta(days=60),
                       ends=NOW - dt.timedelta(days=ended), set_by="lisa")
    forwarding.set("302", "303", starts=NOW - dt.timedelta(days=60), ends=None, set_by="lisa")
    old_recording, kept_recording = recording(recordings, 31), recording(recordings, 29)
    (recordings / "auto-1-other.wav").write_bytes(b"RIFF")  # not bereik's: left alone
    for name in (old_recording, kept_recording):  # copied into the store for the other nodes' consoles
        calls.put_recording(name, "noord", b"RIFF", days_ago(1))

    counts = job(stores).run_once()

    assert counts == {"calls": 1, "audit": 1, "pseudonymised": 1, "callback_notes": 2, "forwards": 1,
                      "recordings": 1, "shared_recordings": 1}
    assert [name for name, _, _ in calls.recordings()] == [kept_recording]
    assert calls.journey("old") is None and calls.journey("kept") is not None
    assert [e.target for e in AuditLog(calls).entries(0)] == ["302"]
    assert sorted(n.key for n in callbacks.of_team("tic")) == ["note-1", "note-3"]
    assert [f.person for f in forwarding.all()] == ["302", "311"]
    assert sorted(p.name for p in recordings.iterdir()) == sorted([kept_recording, "auto-1-other.wav"])
    assert not (recordings / old_recording).exists()
    # A second run finds nothing more to do.
    assert set(job(stores).run_once().values()) == {0}


def test_old_caller_numbers_become_pseudonyms_a_repeat_caller_keeps_one(stores):
    calls = stores[0]
    record_calls(calls, ("a1", days_ago(40), "0612345678"), ("a2", days_ago(35), "0612345678"),
                 ("b1", days_ago(33), "0687654321"), ("new", days_ago(29), "0612345678"))

    assert job(stores).run_once()["pseudonymised"] == 3

    rows = {r.call_id: r for r in calls.calls(0, NOW.timestamp())}
    assert rows["a1"].caller == rows["a2"].caller != rows["b1"].caller
    assert rows["a1"].caller.startswith(PSEUDONYM_PREFIX) and "12345678" not in rows["a1"].caller
    assert rows["new"].caller == "0612345678"  # younger than 30 days: the screen-pop still knows the caller
    assert calls.journey("a1").caller_name == "" and calls.journey("new").caller_name == "Jan Jansen"
    # Keyed: without the secret the pseudonym cannot be recomputed from a guessed number.
    other = Secrets({PSEUDONYM_SECRET: "another-" + "k" * 24})
    record_calls(calls, ("c1", days_ago(40), "0612345678"))
    job(stores, secrets=other).run_once()
    assert calls.journey("c1").caller_number != rows["a1"].caller


def test_without_the_secret_numbers_stay_and_everything_else_is_still_deleted(stores, caplog):
    calls = stores[0]
    record_calls(calls, ("old", days_ago(401), "0611111111"), ("a1", days_ago(40), "0612345678"))
    counts = job(stores, secrets=Secrets({AMI_SECRET: "a" * 20})).run_once()
    assert "pseudonymised" not in counts and counts["calls"] == 1
    assert calls.journey("a1").caller_number == "0612345678"
    assert "BEREIK_PSEUDONYM_SECRET" in caplog.text and "0612345678" not in caplog.text


def test_pseudonymisation_can_be_turned_off(stores):
    calls = stores[0]
    record_calls(calls, ("a1", days_ago(40), "0612345678"))
    config = CONFIG.model_copy(update={"privacy": CONFIG.privacy.model_copy(update={"pseudonymise_after_days": None})})
    assert "pseudonymised" not in job(stores, config=config, secrets=Secrets({})).run_once()
    assert calls.journey("a1").caller_number == "0612345678"


def test_a_monthly_report_over_pseudonymised_rows_gives_the_same_figures(stores):
    calls = stores[0]
    recorder = Recorder(calls, ZONE, frozenset({CONFIG.number}))
    recorder.start()
    for journey in month_of_calls():
        recorder.record(journey)
    recorder.close()
    october = ReportRequest.month("2026-10")
    before = from_store(calls, CONFIG, october)

    counts = job(stores, now=dt.datetime(2026, 12, 15, tzinfo=ZONE)).run_once()

    assert counts["pseudonymised"] == len(month_of_calls())
    assert not any(r.caller.isdigit() for r in calls.calls(0, NOW.timestamp()))
    assert from_store(calls, CONFIG, october) == before


def test_the_log_line_holds_counts_only(stores, caplog):
    record_calls(stores[0], ("a1", days_ago(40), "0612345678"))
    caplog.set_level("INFO", logger="bereik.privacy.job")
    job(stores).run_once()
    [line] = [r.getMessage() for r in caplog.records if r.name == "bereik.privacy.job"]
    assert "pseudonymised 1" in line and "0612345678" not in line and PSEUDONYM_PREFIX not in line

