"""The directory from a real slapd: search in memory, refresh applying only changes, LDAP down."""
from __future__ import annotations

import datetime as dt

from presence_slapd import ROOT_DN, ROOT_PASSWORD

from bereik.presence import sample
from bereik.presence.directory import OPENLDAP
from bereik.presence.ldap import LdapDirectory, LdapSettings, changed_since_filter

MAPPING = OPENLDAP.__class__(**{**OPENLDAP.__dict__, "team_mailbox": "bereikTeamMailbox"})
NOW = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)


# bereik's default: these tests load 2,000 people through paged search, they do not time it (a busy machine
# took longer than the 2 s the other tests use to see a dead directory quickly).
LOADING_TIMEOUT = 10.0


def settings_for(server, **overrides) -> LdapSettings:
    values = dict(url=server.url, base_dn=sample.BASE_DN, bind_dn=ROOT_DN, password=ROOT_PASSWORD,
                  attributes=MAPPING, page_size=300, timeout=2.0)
    return LdapSettings(**{**values, **overrides})


async def test_the_whole_municipality_loads_through_paged_search(big_slapd, staff):
    directory = LdapDirectory(settings_for(big_slapd, timeout=LOADING_TIMEOUT), clock=lambda: NOW)
    diff = await directory.refresh()
    assert len(directory.index.people) == 2000
    assert len(diff.added) == 2000 and directory.status.up and directory.status.last_ok == NOW
    first = staff[11]
    person = directory.index.get(first.uid)
    assert (person.name, person.department, person.title, person.extension, person.mobile, person.email) == (
        first.name, first.department, first.title, first.extension, first.mobile, first.email)
    assert person.photo == sample.photo(first.uid)
    assert person.team_mailbox == first.team_mailbox
    assert set(person.topics) == set(first.topics)
    assert directory.index.manager_of(person).id == first.manager_uid


async def test_search_by_name_department_and_topic(big_slapd, staff):
    directory = LdapDirectory(settings_for(big_slapd, timeout=LOADING_TIMEOUT), clock=lambda: NOW)
    await directory.refresh()
    index = directory.index
    target = next(p for p in staff if p.surname == "Öztürk")
    found = index.search(f"{target.given[:3]} ozt", limit=2000)
    assert target.uid in {p.id for p in found}
    assert all(p.name.startswith(target.given[:3]) or " " + target.given[:3] in p.name for p in found)
    in_department = index.search("", department="burgerzaken", limit=2000)
    assert {p.id for p in in_department} == {p.uid for p in staff if p.department == "Burgerzaken"}
    on_topic = index.search("", topic="paspoort", limit=2000)
    assert {p.id for p in on_topic} == {p.uid for p in staff if "paspoort" in p.topics}
    by_extension = index.search(target.extension)
    assert [p.id for p in by_extension] == [target.uid]
    assert index.search("niemand-heet-zo") == []


def test_filter_values_from_outside_are_escaped():
    assert changed_since_filter("(objectClass=inetOrgPerson)", "entryCSN", "2026*)(uid=*") == (
        r"(&(objectClass=inetOrgPerson)(entryCSN>=2026\2a\29\28uid=\2a))")


async def test_refresh_applies_only_the_changes(small_slapd):
    changes = []
    directory = LdapDirectory(settings_for(small_slapd), clock=lambda: NOW, on_change=changes.append)
    await directory.refresh()
    assert len(directory.index.people) == 40
    untouched = directory.index.get("p00005")
    assert not await directory.refresh(), "nothing changed, nothing applied"
    assert directory.fetched <= 1, "only the newest entry (same change stamp) is read again"

    small_slapd.modify(f"""dn: uid=p00003,{sample.BASE_DN}
changetype: modify
replace: telephoneNumber
telephoneNumber: 2999
-
replace: title
title: wethouderssecretaris

dn: uid=p00007,{sample.BASE_DN}
changetype: delete

dn: uid=nieuw01,{sample.BASE_DN}
changetype: add
objectClass: inetOrgPerson
uid: nieuw01
cn: Nieuwe Collega
sn: Collega
displayName: Nieuwe Collega
ou: Burgerzaken
telephoneNumber: 2500
""")
    diff = await directory.refresh()
    assert (diff.added, diff.modified, diff.removed) == ({"nieuw01"}, {"p00003"}, {"p00007"})
    assert changes[-1] == diff
    # The modified and the added entry, and the one holding the previous newest stamp:
    # ">=" re-reads it so that changes within one stamp tick are never missed.
    assert directory.fetched == 3
    index = directory.index
    assert index.get("p00003").extension == "2999" and index.get("p00003").title == "wethouderssecretaris"
    assert index.get("p00007") is None and index.search("2500")[0].name == "Nieuwe Collega"
    assert index.get("p00005") is untouched, "unchanged people are kept, not re-read"
    assert len(index.people) == 40


async def test_ldap_down_keeps_the_last_directory_and_marks_it_down(small_slapd):
    later = [NOW]
    directory = LdapDirectory(settings_for(small_slapd), clock=lambda: later[0])
    await directory.refresh()
    small_slapd.stop()
    later[0] = NOW + dt.timedelta(minutes=5)
    diff = await directory.refresh()
    assert not diff
    assert not directory.status.up and directory.status.last_ok == NOW
    assert directory.status.error
    assert len(directory.index.people) == 40
    small_slapd.start()
    await directory.refresh()
    assert directory.status.up and directory.status.last_ok == later[0]


async def test_ldap_down_from_the_start_gives_an_empty_directory_not_an_exception(tmp_path):
    from presence_slapd import free_port
    directory = LdapDirectory(
        LdapSettings(url=f"ldap://127.0.0.1:{free_port()}", base_dn=sample.BASE_DN, timeout=1.0),
        clock=lambda: NOW)
    assert not await directory.refresh()
    assert directory.index.search("jan") == [] and not directory.status.up and directory.status.last_ok is None


async def test_wrong_password_is_down_and_the_password_is_not_in_the_status(small_slapd, caplog):
    directory = LdapDirectory(settings_for(small_slapd, password="wrong-secret-xyz"), clock=lambda: NOW)
    await directory.refresh()
    assert not directory.status.up
    assert "wrong-secret-xyz" not in caplog.text and "wrong-secret-xyz" not in repr(directory.settings)


async def test_the_service_starts_the_directory_refresh_and_stops_it(small_slapd, tmp_path):
    import asyncio

    from test_phone import FakeAmi

    from bereik.presence.absence import AbsenceStore
    from bereik.presence.phone import PhoneWatcher
    from bereik.presence.service import PresenceService

    directory = LdapDirectory(settings_for(small_slapd), clock=lambda: NOW)
    store = AbsenceStore(tmp_path / "absence.sqlite", lambda: NOW)
    await store.open()
    service = PresenceService(directory, PhoneWatcher(FakeAmi(), lambda: NOW), store, lambda: NOW)
    subscription = service.subscribe()
    service.start()
    try:
        for _ in range(250):
            if directory.status.up:
                break
            await asyncio.sleep(0.02)
        assert len(service.search("", limit=100)) == 40
        assert service.by_extension("2003")[0][0].id == "p00003"
        published = {subscription.queue.get_nowait()[0] for _ in range(subscription.queue.qsize())}
        assert len(published) == 40, "everyone who arrived from LDAP is announced"
    finally:
        await service.stop()
        store.close()
    assert not service._tasks


async def test_ldaps_with_the_directory_certificate(tls_slapd):
    directory = LdapDirectory(settings_for(tls_slapd, url=tls_slapd.ldaps_url, ca_file=tls_slapd.certificate),
                              clock=lambda: NOW)
    await directory.refresh()
    assert directory.status.up and len(directory.index.people) == 10


async def test_starttls_with_the_directory_certificate(tls_slapd):
    directory = LdapDirectory(settings_for(tls_slapd, start_tls=True, ca_file=tls_slapd.certificate),
                              clock=lambda: NOW)
    await directory.refresh()
    assert directory.status.up and len(directory.index.people) == 10


async def test_an_untrusted_certificate_is_refused(tls_slapd):
    directory = LdapDirectory(settings_for(tls_slapd, url=tls_slapd.ldaps_url), clock=lambda: NOW)
    await directory.refresh()
    assert not directory.status.up and directory.index.people == {}
