"""The absence book over the real stores: the team lead's absences (SQLite), Outlook through the Graph client
against the local Graph-shaped server, and the person's own forward and do-not-disturb (SQLite)."""
from __future__ import annotations

import datetime as dt

import pytest
from test_graph import Clock, client_for, graph, session  # noqa: F401 (fixtures)

from bereik.forwarding.store import ForwardingStore
from bereik.presence.absence import AbsenceStore
from bereik.presence.absence_fact import AbsenceSource, AbsenceState
from bereik.presence.book import AbsenceBook
from bereik.presence.directory import DirectoryIndex, Person
from bereik.presence.graph import OutlookSource
from bereik.presence.merge import Absence
from bereik.routing.stand_in import Taker, Why
from tests.examples import example_config

CONFIG = example_config()
EVA_MAIL = "eva.smit@bloemendaal.test"
# The directory as LDAP has it: ids that are not extensions, mailboxes from the directory.
DIRECTORY = DirectoryIndex({
    "esmit": Person("esmit", "uid=esmit", "Eva Smit", extension="301", email=EVA_MAIL),
    "fdeboer": Person("fdeboer", "uid=fdeboer", "Femke de Boer", extension="302", email="femke@bloemendaal.test"),
})


@pytest.fixture
async def stores(tmp_path):
    clock = Clock()
    absences = AbsenceStore(tmp_path / "absences.sqlite3", clock)
    await absences.open()
    forwarding = ForwardingStore(tmp_path / "forwarding.sqlite3", CONFIG)
    yield clock, absences, forwarding
    absences.close()
    forwarding.close()


async def test_the_team_leads_absence_names_a_substitute_by_directory_id(stores):
    clock, absences, forwarding = stores
    book = AbsenceBook(CONFIG, clock, forwarding, absences=absences, directory=lambda: DIRECTORY)
    back = clock() + dt.timedelta(days=5)
    await absences.add(Absence("esmit", clock() - dt.timedelta(days=1), back, "vakantie", "fdeboer", "teamlead"))
    fact = book.fact("301")
    assert (fact.state, fact.source, fact.until, fact.substitute) == (
        AbsenceState.ABSENT, AbsenceSource.TEAM_LEAD, back, "302")
    taker = book.stand_in("301")
    assert (taker.taker, taker.extension, taker.name, taker.until) == (Taker.SUBSTITUTE, "302", "Femke de Boer", back)


async def test_outlooks_automatic_reply_through_graph_and_graph_going_down(stores, graph, session):
    clock, absences, forwarding = stores
    back = dt.datetime(2026, 3, 9, 7, 0, tzinfo=dt.UTC)
    graph.replies = {EVA_MAIL: {"status": "scheduled", "externalAudience": "all",
                                "scheduledStartDateTime": {"dateTime": "2026-02-27T17:00:00.0000000", "timeZone": "UTC"},
                                "scheduledEndDateTime": {"dateTime": "2026-03-09T07:00:00.0000000", "timeZone": "UTC"}}}
    outlook = OutlookSource(client_for(graph, session, clock), lambda: [EVA_MAIL])
    book = AbsenceBook(CONFIG, clock, forwarding, absences=absences, outlook=outlook, directory=lambda: DIRECTORY)
    await outlook.refresh()
    fact = book.fact("301")
    assert (fact.state, fact.source, fact.until) == (AbsenceState.ABSENT, AbsenceSource.OUTLOOK, back)
    # Outlook names no substitute: the YAML's, when there is one. Eva has none: the front office.
    assert (book.stand_in("301").taker, book.stand_in("301").why) == (Taker.FRONT_OFFICE, Why.NO_SUBSTITUTE)

    graph.fail(10, 503)
    await outlook.refresh()
    fact = book.fact("301")
    assert fact.state is AbsenceState.UNKNOWN and fact.unknown == (AbsenceSource.OUTLOOK,)
    assert book.stand_in("301").taker is Taker.DESK, "unknown rings the desk; no answer still reaches the TIC"


async def test_the_yamls_mailbox_when_there_is_no_ldap(stores, graph, session):
    clock, absences, forwarding = stores
    config = CONFIG.model_copy(update={"people": [
        p.model_copy(update={"email": EVA_MAIL, "substitute": "303"}) if p.extension == "301" else p
        for p in CONFIG.people]})
    graph.replies = {EVA_MAIL: {"status": "alwaysEnabled"}}
    outlook = OutlookSource(client_for(graph, session, clock), lambda: [EVA_MAIL])
    await outlook.refresh()
    taker = AbsenceBook(config, clock, forwarding, absences=absences, outlook=outlook).stand_in("301")
    assert (taker.taker, taker.extension, taker.until) == (Taker.SUBSTITUTE, "303", None)


async def test_the_own_forward_is_an_absence_until_cleared_and_do_not_disturb_is_kept(stores):
    clock, absences, forwarding = stores
    book = AbsenceBook(CONFIG, clock, forwarding, absences=absences)
    forwarding.set("301", "302", starts=clock() - dt.timedelta(minutes=1), ends=None, set_by="301")
    fact = book.fact("301")
    assert (fact.state, fact.source, fact.until, fact.substitute) == (
        AbsenceState.ABSENT, AbsenceSource.FORWARDING, None, "302")
    assert book.stand_in("301").extension == "302"
    forwarding.clear("301")
    assert book.fact("301").state is AbsenceState.PRESENT

    forwarding.set("301", "mobile", starts=clock(), ends=None, set_by="301")
    assert not book.fact("301").absent and book.stand_in("301").taker is Taker.MOBILE
    forwarding.clear("301")
    forwarding.set_dnd("301", True, set_by="301")
    assert book.own("301").dnd and book.stand_in("301").why is Why.DND
    forwarding.set_dnd("301", False, set_by="301")
    assert book.stand_in("301").taker is Taker.DESK
