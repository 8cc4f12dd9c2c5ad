"""Call-back notes: deadlines in Dutch working days, no duplicates, late after the deadline, mailed."""
import datetime as dt
import socket

import pytest

from bereik.callbacks.mail import Mailer
from bereik.callbacks.store import CALLED_BACK, HANDLED, CallbackStore, Note, Status, WorkingDays
from tests.examples import example_config

CONFIG = example_config()
ZONE = CONFIG.zone


def at(*args):
    return dt.datetime(*args, tzinfo=ZONE)


DAYS = WorkingDays(CONFIG)


@pytest.mark.parametrize(("taken", "due"), [
    (at(2026, 11, 23, 10, 0), at(2026, 11, 25, 10, 0)),  # Monday -> Wednesday
    (at(2026, 11, 27, 16, 0), at(2026, 12, 1, 16, 0)),  # Friday -> Tuesday, the weekend does not count
    (at(2026, 12, 23, 9, 0), at(2026, 12, 29, 9, 0)),  # 24th closed (YAML), 25th/26th holidays, weekend
    (at(2027, 4, 23, 12, 0), at(2027, 4, 28, 12, 0)),  # Friday; King's Day Tuesday 27 April
])
def test_the_deadline_is_two_working_days_later(taken, due):
    assert DAYS.deadline(taken, 2) == due


def note(key="k1", taken=at(2026, 11, 23, 10, 0), **changes):
    values = dict(key=key, number="0612345678", name="J. Jansen", question="Vraag over de WOZ-waarde",
                  team="belastingen", created_at=taken, due_at=DAYS.deadline(taken, 2), created_by="avries",
                  mailbox="belastingen@bloemendaal.test")
    return Note(**{**values, **changes})


def test_the_same_idempotency_key_never_makes_a_second_note(tmp_path):
    store = CallbackStore(tmp_path / "cb.sqlite3")
    first, new = store.add(note())
    again, new_again = store.add(note(question="anders"))
    assert new and not new_again and again.id == first.id and again.question == first.question
    assert len(store.of_team("belastingen")) == 1


def test_open_then_late_after_the_deadline_then_closed_once_with_who_closed_it_and_why(tmp_path):
    store = CallbackStore(tmp_path / "cb.sqlite3", ZONE)
    stored, _ = store.add(note())
    assert stored.status(at(2026, 11, 25, 9, 59)) is Status.OPEN
    assert stored.status(at(2026, 11, 25, 10, 1)) is Status.LATE
    assert store.counts(at(2026, 11, 26, 8, 0)) == (1, 1)
    closed = store.close_note(stored.id, HANDLED, "bjansen", at(2026, 11, 26, 8, 0), "beantwoord per e-mail")
    assert closed.status(at(2026, 11, 30)) is Status.HANDLED and closed.closed_by == "bjansen"
    assert closed.on_time is False  # an e-mail is no call-back
    again = store.close_note(stored.id, CALLED_BACK, "someone-else", at(2026, 11, 27))
    assert (again.closed_by, again.outcome, again.close_reason) == ("bjansen", HANDLED, "beantwoord per e-mail")
    assert [s.what for s in store.steps(stored.id)] == ["taken", "closed"]


def test_on_time_is_the_first_answered_call_back_before_the_deadline(tmp_path):
    store = CallbackStore(tmp_path / "cb.sqlite3", ZONE)
    stored, _ = store.add(note())
    store.set_answered(stored.id, at(2026, 11, 25, 9, 0))
    store.set_answered(stored.id, at(2026, 11, 26, 9, 0))  # a later answered call changes nothing
    assert store.get(stored.id).on_time is True
    late, _ = store.add(note("k2"))
    store.set_answered(late.id, at(2026, 11, 25, 10, 1))
    assert store.get(late.id).on_time is False


def test_open_call_backs_of_a_number_for_the_screen_pop(tmp_path):
    store = CallbackStore(tmp_path / "cb.sqlite3")
    store.add(note("a"))
    store.add(note("b", number="0230000000"))
    assert [n.key for n in store.open_for_number("0612345678")] == ["a"]


def test_deadlines_compare_correctly_across_the_change_to_winter_time(tmp_path):
    store = CallbackStore(tmp_path / "cb.sqlite3")
    store.add(note(taken=at(2026, 10, 23, 10, 0)))  # due Tuesday 27 October, after the clocks went back
    assert store.counts(at(2026, 10, 27, 9, 30)) == (1, 0)
    assert store.counts(at(2026, 10, 27, 10, 30)) == (1, 1)


def free_tcp_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def test_a_note_reaches_the_team_mailbox_by_smtp(smtp_server):
    inbox, port = smtp_server
    sent = await Mailer("127.0.0.1", port, "bereik@bloemendaal.test", ZONE).send(note(id=7))
    assert sent
    (recipients, mail), = inbox.messages
    assert recipients == ["belastingen@bloemendaal.test"]
    assert "0612345678" in mail["Subject"]
    assert "WOZ-waarde" in mail.get_payload(decode=True).decode()
    assert "25-11-2026 10:00" in mail.get_payload(decode=True).decode()


async def test_an_unreachable_mail_server_is_reported_not_raised(caplog):
    sent = await Mailer("127.0.0.1", free_tcp_port(), "b@x", ZONE, timeout=1).send(note(id=8))
    assert not sent and "0612345678" not in caplog.text
