"""The merge of the three sources of absence: the team lead's registration, Outlook's automatic reply and the
person's own forward. One row per situation; then properties over any mix of periods."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bereik.presence.absence_fact import AbsenceSource, AbsenceState, Claim, merge_absence
from bereik.presence.merge import Absence, Fact, OutOfOffice

AMS = ZoneInfo("Europe/Amsterdam")
NOW = dt.datetime(2026, 12, 2, 11, 0, tzinfo=AMS)  # Wednesday 2 December
MAX_AGE = dt.timedelta(minutes=10)
TEAM, OUTLOOK, FORWARD = AbsenceSource.TEAM_LEAD, AbsenceSource.OUTLOOK, AbsenceSource.FORWARDING
ABSENT, PRESENT, UNKNOWN = AbsenceState.ABSENT, AbsenceState.PRESENT, AbsenceState.UNKNOWN


def day(d: int, hour: int = 0) -> dt.datetime:
    return dt.datetime(2026, 12, d, hour, tzinfo=AMS)


def lead(starts, ends, substitute="") -> Absence:
    return Absence("301", starts, ends, "vakantie", substitute)


def reply(status: str, start=None, end=None, up=True, observed=NOW - dt.timedelta(minutes=2)) -> Fact:
    return Fact(OutOfOffice(status, start, end), observed, up, MAX_AGE)


def forward(starts, ends, to="302") -> Claim:
    return Claim(FORWARD, starts, ends, to)


GRAPH_DOWN = Fact(up=False)
ROWS = [
    # (description, team lead's absences, Outlook's reply (None: no source), forwards, state, source, until, substitute)
    ("nobody says anything", (), None, (), PRESENT, None, None, ""),
    ("Outlook off", (), reply("disabled"), (), PRESENT, None, None, ""),
    ("the team lead's absence", (lead(day(1), day(8), "302"),), reply("disabled"), (), ABSENT, TEAM, day(8), "302"),
    ("Outlook scheduled", (), reply("scheduled", day(1), day(7, 8)), (), ABSENT, OUTLOOK, day(7, 8), ""),
    ("Outlook always on: until further notice", (), reply("alwaysEnabled"), (), ABSENT, OUTLOOK, None, ""),
    ("own forward to a colleague", (), None, (forward(day(2, 8), day(2, 17)),), ABSENT, FORWARD, day(2, 17), "302"),
    ("own forward until cleared", (), None, (forward(day(2, 8), None),), ABSENT, FORWARD, None, "302"),
    # Overlapping periods: until the last end of the overlap; the team lead's substitute.
    ("overlap: Outlook runs longer", (lead(day(1), day(4), "302"),), reply("scheduled", day(2), day(9)), (),
     ABSENT, OUTLOOK, day(9), "302"),
    ("overlap: the team lead's runs longer", (lead(day(1), day(11), "303"),), reply("scheduled", day(1), day(5)),
     (forward(day(2), day(3), "302"),), ABSENT, TEAM, day(11), "303"),
    ("the same end: the team lead's word", (lead(day(1), day(8)),), reply("scheduled", day(1), day(8)),
     (forward(day(1), day(8), "302"),), ABSENT, TEAM, day(8), "302"),
    ("ill until Friday, then a holiday from Friday: one absence", (lead(day(1), day(4), "302"),),
     reply("scheduled", day(4), day(14)), (), ABSENT, TEAM, day(14), "302"),
    ("a gap between two absences: back in between", (lead(day(1), day(3)),), reply("scheduled", day(4), day(14)),
     (), ABSENT, TEAM, day(3), ""),
    ("a later absence that has no end runs on", (lead(day(1), day(3)),), reply("alwaysEnabled"), (),
     ABSENT, OUTLOOK, None, ""),
    # One ended early: what the others still say, never the shortened one's old end.
    ("the team lead shortened it to this morning; Outlook still on", (lead(day(1), day(2, 9)),),
     reply("scheduled", day(1), day(7)), (), ABSENT, OUTLOOK, day(7), ""),
    ("the team lead shortened it; nothing else: present", (lead(day(1), day(2, 9)),), reply("disabled"), (),
     PRESENT, None, None, ""),
    ("Outlook switched off before its end; the team lead's stands", (lead(day(1), day(4)),), reply("disabled"), (),
     ABSENT, TEAM, day(4), ""),
    ("the forward cleared with #21#; Outlook still on", (), reply("scheduled", day(1), day(3)), (),
     ABSENT, OUTLOOK, day(3), ""),
    ("an absence later this week: present now", (lead(day(3), day(5)),), reply("scheduled", day(4), day(6)),
     (forward(day(3), day(4)),), PRESENT, None, None, ""),
    # A source down: never a stale "afwezig", never a stale "beschikbaar".
    ("Graph down, nothing else: unknown, not present", (), GRAPH_DOWN, (), UNKNOWN, None, None, ""),
    ("Outlook's 'on' read 20 minutes ago is too old: unknown, not absent", (),
     reply("alwaysEnabled", observed=NOW - dt.timedelta(minutes=20)), (), UNKNOWN, None, None, ""),
    ("Outlook's 'off' read 20 minutes ago is too old: unknown, not present", (),
     reply("disabled", observed=NOW - dt.timedelta(minutes=20)), (), UNKNOWN, None, None, ""),
    ("Graph down, the team lead's absence still counts", (lead(day(1), day(8), "302"),), GRAPH_DOWN, (),
     ABSENT, TEAM, day(8), "302"),
    ("Graph down, the own forward still counts", (), GRAPH_DOWN, (forward(day(2, 8), day(2, 17)),),
     ABSENT, FORWARD, day(2, 17), "302"),
]


@pytest.mark.parametrize("description, team, outlook, forwards, state, source, until, substitute", ROWS,
                         ids=[row[0] for row in ROWS])
def test_merge(description, team, outlook, forwards, state, source, until, substitute):
    fact = merge_absence(NOW, team_lead=team, outlook=outlook, forwarding=forwards)
    assert (fact.state, fact.source, fact.until, fact.substitute) == (state, source, until, substitute)


def test_the_fact_lists_every_claim_covering_now_and_what_could_not_be_read():
    fact = merge_absence(NOW, team_lead=(lead(day(1), day(8), "302"),), outlook=GRAPH_DOWN,
                         forwarding=(forward(day(2, 8), day(2, 17)), forward(day(20), day(21))))
    assert [(c.source, c.ends) for c in fact.claims] == [(TEAM, day(8)), (FORWARD, day(2, 17))]
    assert fact.unknown == (OUTLOOK,) and fact.since == day(1)


def test_the_moment_an_absence_ends_the_person_is_back():
    team = (lead(day(1), day(2, 11)),)
    assert merge_absence(NOW - dt.timedelta(seconds=1), team_lead=team).absent
    assert merge_absence(NOW, team_lead=team).state is PRESENT


periods = st.tuples(st.integers(-72, 72), st.integers(1, 96)).map(
    lambda p: (NOW + dt.timedelta(hours=p[0]), NOW + dt.timedelta(hours=p[0] + p[1])))


@given(team=st.lists(periods, max_size=3), outlook=st.one_of(st.none(), periods, st.just("down"), st.just("always")),
       forwards=st.lists(st.tuples(periods, st.booleans()), max_size=2))
def test_any_mix_absent_exactly_when_a_known_source_covers_now(team, outlook, forwards):
    reply_fact = None if outlook is None else GRAPH_DOWN if outlook == "down" else \
        reply("alwaysEnabled") if outlook == "always" else reply("scheduled", *outlook)
    forward_claims = [forward(s, None if open_ended else e) for (s, e), open_ended in forwards]
    fact = merge_absence(NOW, team_lead=[lead(s, e) for s, e in team], outlook=reply_fact, forwarding=forward_claims)

    known = [Claim(TEAM, s, e) for s, e in team] + forward_claims
    if outlook == "always":
        known.append(Claim(OUTLOOK, None, None))
    elif isinstance(outlook, tuple):
        known.append(Claim(OUTLOOK, *outlook))
    covering = [c for c in known if c.covers(NOW)]
    assert fact.absent == bool(covering)
    if covering:
        # Until no earlier than any covering claim's end, and at an end that some claim really has.
        ends = [c.ends for c in known]
        assert fact.until in ends
        assert fact.until is None or all(c.ends is not None and c.ends <= fact.until for c in covering)
        assert not merge_absence(fact.until, team_lead=[lead(s, e) for s, e in team], outlook=reply_fact,
                                 forwarding=forward_claims).absent if fact.until else True
    elif outlook == "down":
        assert fact.state is UNKNOWN, "a source that cannot be read never makes anyone present"
    else:
        assert fact.state is PRESENT
