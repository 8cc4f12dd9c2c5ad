"""Reminders and escalation with a fake clock and a real SMTP server (aiosmtpd): an absent owner's note
moves to the substitute at once, the owner is reminded before the deadline, the team lead is mailed at it.
Every move is a step of the note."""
import datetime as dt

import pytest

from bereik.callbacks.escalation import Escalate, Move, Remind, due_now
from bereik.callbacks.mail import Mailer
from bereik.callbacks.store import APPOINTMENT, CallbackStore, Note, WorkingDays
from bereik.callbacks.watch import CallbackWatch
from bereik.forwarding.store import ForwardingStore
from bereik.presence.absence import AbsenceStore
from bereik.presence.book import AbsenceBook
from bereik.presence.merge import Absence
from bereik.routing.stand_in import StandIn, Taker
from tests.examples import example_config

EXAMPLE = example_config()
PEOPLE = [p.model_copy(update={"email": f"{p.extension}@bloemendaal.test"}) for p in EXAMPLE.people]
CONFIG = EXAMPLE.model_copy(update={
    "people": PEOPLE,
    "reports": EXAMPLE.reports.model_copy(update={"mail": EXAMPLE.reports.mail.model_copy(update={
        "team_leads": {"vergunningen": "teamleider.vergunningen@bloemendaal.test"}})}),
})
ZONE = CONFIG.zone
MONDAY = dt.datetime(2026, 11, 23, 10, 0, tzinfo=ZONE)  # due Wednesday 25 November 10:00


class Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture
async def world(tmp_path, smtp_server):
    inbox, port = smtp_server
    clock = Clock(MONDAY)
    absences = AbsenceStore(tmp_path / "absences.sqlite3", clock)
    await absences.open()
    book = AbsenceBook(CONFIG, clock, ForwardingStore(tmp_path / "forwarding.sqlite3", CONFIG), absences=absences)
    store = CallbackStore(tmp_path / "calls.sqlite3", ZONE)
    watch = CallbackWatch(CONFIG, store, Mailer("127.0.0.1", port, "bereik@bloemendaal.test", ZONE), clock,
                          book.stand_in)
    yield watch, store, clock, absences, inbox
    absences.close()
    store.close()


def eva_note(key="console-1", owner="301"):
    return Note(key=key, number="0612345678", name="J. de Wit", question="Dakkapel", team="vergunningen",
                created_at=MONDAY, due_at=WorkingDays(CONFIG).deadline(MONDAY, 2), created_by="olaf", owner=owner,
                mailbox="vergunningen@bloemendaal.test", department="vergunningen")


async def test_an_absent_owners_note_moves_to_the_substitute_at_once_not_at_the_deadline(world):
    watch, store, clock, absences, inbox = world
    note, _ = store.add(eva_note())
    assert await watch.check() == []  # Eva is in, the deadline far away: nothing to do
    await absences.add(Absence("301", MONDAY, MONDAY + dt.timedelta(days=5), "ziek", "302", "teamlead"))
    clock.now += dt.timedelta(minutes=1)
    assert await watch.check() == [(note.id, "move")]
    moved = store.get(note.id)
    assert (moved.owner, moved.mailbox) == ("302", "302@bloemendaal.test")  # Femke, Eva's substitute
    [(to, mail)] = inbox.messages
    assert to == ["302@bloemendaal.test"] and "Eva Smit is afwezig" in mail.get_content()
    assert [(s.what, s.detail.get("to"), s.detail.get("from")) for s in store.steps(note.id)][-1] == (
        "moved", "302", "301")
    assert await watch.check() == []  # moved once


async def test_the_owner_is_reminded_before_the_deadline_and_the_team_lead_mailed_at_it(world):
    watch, store, clock, _, inbox = world
    note, _ = store.add(eva_note())
    clock.now = dt.datetime(2026, 11, 25, 5, 0, tzinfo=ZONE)  # 5 hours before: not yet
    assert await watch.check() == []
    clock.now = dt.datetime(2026, 11, 25, 6, 30, tzinfo=ZONE)  # 3.5 working hours before
    assert await watch.check() == [(note.id, "remind")]
    [(to, reminder)] = inbox.messages
    assert to == ["301@bloemendaal.test"] and reminder["Subject"] == "Herinnering: terugbellen vóór 25-11-2026 10:00"
    assert store.get(note.id).reminded_at == clock.now
    clock.now = dt.datetime(2026, 11, 25, 10, 1, tzinfo=ZONE)
    assert await watch.check() == [(note.id, "escalate")]
    (to, late) = inbox.messages[-1]
    assert to == ["teamleider.vergunningen@bloemendaal.test"] and late["Subject"].startswith("Te laat")
    assert "0612345678" in late.get_content()
    assert [s.what for s in store.steps(note.id)] == ["taken", "reminded", "escalated"]
    assert await watch.check() == [] and len(inbox.messages) == 2  # each once


def test_the_rules_without_io():
    note = eva_note()
    settings = CONFIG.callbacks
    due = note.due_at
    assert due_now(note, due - dt.timedelta(hours=1), settings, working_hours_left=1, owner_away_to="") == [
        Move("", "301"), Remind(1)]  # away without a substitute: the team's
    assert due_now(note, due + dt.timedelta(minutes=5), settings, working_hours_left=0, owner_away_to=None) == [
        Escalate(dt.timedelta(minutes=5))]
    weekend = dt.datetime(2026, 11, 27, 16, 0, tzinfo=ZONE)  # Friday 16:00, due Tuesday 16:00
    friday = Note(**{**note.__dict__, "created_at": weekend, "due_at": WorkingDays(CONFIG).deadline(weekend, 2)})
    saturday = dt.datetime(2026, 11, 28, 20, 0, tzinfo=ZONE)
    left = WorkingDays(CONFIG).working_hours_between(saturday, friday.due_at)
    assert left == 40 and due_now(friday, saturday, settings, working_hours_left=left, owner_away_to=None) == []


async def test_at_the_appointments_time_the_owner_and_then_the_caller_are_rung_once(tmp_path, smtp_server):
    _, port = smtp_server
    clock = Clock(MONDAY)
    store = CallbackStore(tmp_path / "calls.sqlite3", ZONE)
    rung = []

    async def ring(note):
        rung.append((note.id, note.owner))

    watch = CallbackWatch(CONFIG, store, Mailer("127.0.0.1", port, "bereik@bloemendaal.test", ZONE), clock,
                          lambda extension: StandIn(extension, Taker.DESK, extension), ring)
    at = MONDAY + dt.timedelta(hours=2)
    note, _ = store.add(Note(**{**eva_note("appointment-1").__dict__, "kind": APPOINTMENT, "appointment_at": at,
                                "due_at": at + dt.timedelta(minutes=15)}))
    clock.now = at - dt.timedelta(minutes=1)
    assert await watch.check() == [] and rung == []  # no reminder mail either: Outlook reminds her
    clock.now = at
    assert await watch.check() == [(note.id, "ring")] and rung == [(note.id, "301")]
    assert await watch.check() == [] and rung == [(note.id, "301")]
    store.close()


def test_the_months_call_backs_on_time_count_the_answered_call_backs_only(tmp_path):
    """Telan's call-backs on time, as the wallboard shows them: a note closed by an answered call-back before
    its deadline counts; one closed by e-mail or answered too late does not; one still in time is not judged."""
    store = CallbackStore(tmp_path / "calls.sqlite3", ZONE)
    month = dt.datetime(2026, 11, 1, tzinfo=ZONE)
    kept, _ = store.add(eva_note("a"))
    store.set_answered(kept.id, MONDAY + dt.timedelta(hours=3))
    store.close_note(kept.id, "called_back", "301", MONDAY + dt.timedelta(hours=3))
    mailed, _ = store.add(eva_note("b"))
    store.close_note(mailed.id, "handled", "301", MONDAY + dt.timedelta(hours=1), "beantwoord per e-mail")
    store.add(eva_note("c"))  # open, due Wednesday
    assert store.kept_on_time(month, MONDAY + dt.timedelta(hours=4)) == (1, 2)
    assert store.kept_on_time(month, dt.datetime(2026, 11, 26, tzinfo=ZONE)) == (1, 3)  # c now late
    store.close()


def test_the_months_call_backs_on_time_per_department_or_the_front_offices_team(tmp_path):
    store = CallbackStore(tmp_path / "calls.sqlite3", ZONE)
    month = dt.datetime(2026, 11, 1, tzinfo=ZONE)
    kept, _ = store.add(eva_note("a"))
    store.set_answered(kept.id, MONDAY + dt.timedelta(hours=3))
    store.close_note(kept.id, "called_back", "301", MONDAY + dt.timedelta(hours=3))
    mailed, _ = store.add(eva_note("b"))
    store.close_note(mailed.id, "handled", "301", MONDAY + dt.timedelta(hours=1), "beantwoord per e-mail")
    queue, _ = store.add(Note(**{**eva_note("c").__dict__, "team": "tic", "department": ""}))
    store.set_answered(queue.id, MONDAY + dt.timedelta(hours=2))
    store.close_note(queue.id, "called_back", "queue", MONDAY + dt.timedelta(hours=2))
    later = MONDAY + dt.timedelta(hours=4)
    assert store.kept_on_time_by_team(month, later) == {"tic": (1, 1), "vergunningen": (1, 2)}
    assert store.kept_on_time(month, later) == (2, 3)
    store.close()
