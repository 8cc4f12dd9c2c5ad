"""Presence from the real Asterisk: a SIPp desk phone ringing and answering changes the person's state,
and an Asterisk restart is followed by a re-read of every device state."""
from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pytest

from bereik.pbx.ami import AmiClient
from bereik.pbx.backoff import Backoff
from bereik.presence.absence import AbsenceStore
from bereik.presence.directory import DirectoryIndex, Person
from bereik.presence.merge import SourceStatus
from bereik.presence.phone import PhoneWatcher
from bereik.presence.service import PresenceService
from bereik.presence.vocabulary import Status
from tests.polling import until

MINIMAL = Path(__file__).with_name("configs") / "minimal"
DESK_PHONE_201 = "127.0.1.1"
JAN = Person("jan", "uid=jan,ou=people,dc=bloemendaal,dc=test", "Jan de Vries", "Burgerzaken", extension="201")


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class OneManDirectory:
    def __init__(self):
        self.index = DirectoryIndex({JAN.id: JAN}).warm()
        self.status = SourceStatus(True, now())
        self.on_change = lambda diff: None


@pytest.fixture
async def presence(asterisk, tmp_path):
    instance = asterisk(MINIMAL)
    login = instance.ami
    ami = AmiClient(login.host, login.port, login.username, login.secret, backoff=Backoff(first=1, cap=1))
    phone = PhoneWatcher(ami, now)
    store = AbsenceStore(tmp_path / "absence.sqlite", now)
    await store.open()
    service = PresenceService(OneManDirectory(), phone, store, now)
    seen: list[Status] = []
    subscription = service.subscribe()

    async def record():
        while True:
            _, view = await subscription.get()
            seen.append(view.status)
    recorder = asyncio.ensure_future(record())
    await ami.connect()
    await until(lambda: phone.table.synced_at is not None, 15, "the first re-read after login", step=0.02)
    yield service, phone, ami, seen
    recorder.cancel()
    ami.close()
    store.close()


def status(service) -> Status:
    return service.person("jan")[1].status


async def test_a_desk_phone_ringing_and_answering_changes_the_persons_state(presence, sipp):
    service, phone, _, seen = presence
    assert status(service) is Status.AVAILABLE, "PJSIP/201 is idle after the re-read"

    # The dialplan answers the caller before it dials 201 (for at most 3 s): the caller's
    # talk time runs from then, so it must outlast the desk phone's ringing by far.
    desk = sipp.phone(DESK_PHONE_201, ring_seconds=1)
    caller = sipp.call("201", talk_seconds=6)
    await until(lambda: Status.RINGING in seen, 15, "ringing", step=0.02)
    await until(lambda: Status.ON_THE_PHONE in seen, 15,
                lambda: f"on the phone; seen {seen}, devices {phone.table.devices}", step=0.02)
    await caller.succeeds(timeout=15)
    await desk.succeeds(timeout=5)
    await until(lambda: status(service) is Status.AVAILABLE, 15, "available again after the call", step=0.02)

    changes = [s for i, s in enumerate(seen) if i == 0 or seen[i - 1] is not s]
    assert changes[-3:] == [Status.RINGING, Status.ON_THE_PHONE, Status.AVAILABLE]


async def test_after_an_asterisk_restart_the_states_are_read_again(presence, asterisk):
    service, phone, ami, seen = presence
    first_sync = phone.table.synced_at
    asterisk(MINIMAL, restart=True)
    await until(lambda: not ami.connected or phone.table.synced_at != first_sync, 15, "the AMI connection to drop",
                step=0.02)
    await until(lambda: ami.connected and phone.table.synced_at != first_sync, 30, "login and re-read", step=0.02)
    assert phone.table.devices["PJSIP/201"].state.value == "idle"
    assert status(service) is Status.AVAILABLE
