"""The presence service: the directory, phone states, Outlook and absences merged per person.

Every read is from memory (the sources refresh themselves in the background), so
the console's search and the call routing never wait for LDAP, Graph or SQLite.
Changes are pushed to subscribers (the console's WebSocket) as they happen, and a
tick catches the changes that only time makes (a meeting that ends at 14:30).
"""
from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Protocol

from typing import TYPE_CHECKING

from bereik.presence.absence import AbsenceStore
from bereik.presence.directory import Diff, DirectoryIndex, Person
from bereik.presence.merge import (
    UNKNOWN_FACT,
    Fact,
    Inputs,
    PhoneReading,
    SourceStatus,
    View,
    WorkingHours,
    merge,
)
from bereik.presence.vocabulary import MOBILE_DEVICE, PhoneState

if TYPE_CHECKING:
    from bereik.presence.book import AbsenceBook

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PresenceSettings:
    device_template: str = "PJSIP/{extension}"  # the Asterisk device of a person's extension
    default_hours: WorkingHours | None = None  # when Outlook does not say
    tick_seconds: float = 30.0
    subscriber_queue: int = 2000


class DirectorySource(Protocol):
    index: DirectoryIndex
    status: SourceStatus
    on_change: Callable[[Diff], None]

    async def run(self) -> None: ...


class PhoneSource(Protocol):
    on_change: Callable[[set[str]], None]

    def fact(self, device: str | None, extension: str | None) -> Fact[PhoneReading]: ...


class CalendarSource(Protocol):
    status: SourceStatus
    on_change: Callable[[set[str]], None]

    def calendar(self, address: str) -> Fact: ...
    def replies(self, address: str) -> Fact: ...
    async def run(self) -> None: ...


# Which phone state says more about whether someone can take a call: in a call over ringing.
_BUSIER = {PhoneState.RINGING: 1, PhoneState.ON_HOLD: 2, PhoneState.IN_CALL: 2}

RESYNC = "resync"  # told to a subscriber that fell behind: fetch everything again


class Subscription:
    def __init__(self, size: int):
        self.queue: asyncio.Queue = asyncio.Queue(size)

    def put(self, item) -> None:
        try:
            self.queue.put_nowait(item)
        except asyncio.QueueFull:
            # A slow console gets one "resync" rather than slowing everyone down.
            while not self.queue.empty():
                self.queue.get_nowait()
            self.queue.put_nowait(RESYNC)

    async def get(self):
        return await self.queue.get()


@dataclass(frozen=True)
class _Lookups:
    index: DirectoryIndex
    device_template: str

    @cached_property
    def by_phone_key(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for person in self.index.people.values():
            if person.extension:
                found.setdefault(person.extension, []).append(person.id)
                found.setdefault(self.device_template.format(extension=person.extension), []).append(person.id)
                found.setdefault(MOBILE_DEVICE.format(extension=person.extension), []).append(person.id)
        return found

    @cached_property
    def by_address(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for person in self.index.people.values():
            if person.email:
                found.setdefault(person.email.lower(), []).append(person.id)
        return found


class PresenceService:
    def __init__(self, directory: DirectorySource, phone: PhoneSource, absences: AbsenceStore,
                 clock: Callable[[], dt.datetime], outlook: CalendarSource | None = None,
                 settings: PresenceSettings = PresenceSettings(), book: AbsenceBook | None = None):
        """`book`: the absence book that routes calls, so the console shows what routing does (absence
        merged with the person's own forward, do-not-disturb); without it absences and Outlook merge here."""
        self.book = book
        self.directory = directory
        self.phone = phone
        self.absences = absences
        self.outlook = outlook
        self.clock = clock
        self.settings = settings
        self._subscribers: set[Subscription] = set()
        self._published: dict[str, tuple] = {}
        self._lookups = _Lookups(directory.index, settings.device_template)
        self._tasks: list[asyncio.Task] = []
        directory.on_change = self.directory_changed
        phone.on_change = self.phone_changed
        if outlook is not None:
            outlook.on_change = self.outlook_changed

    # -- reads, from memory only --

    @property
    def index(self) -> DirectoryIndex:
        return self.directory.index

    def device_of(self, person: Person) -> str | None:
        return self.settings.device_template.format(extension=person.extension) if person.extension else None

    def view(self, person: Person, now: dt.datetime | None = None) -> View:
        now = now or self.clock()
        calendar = replies = UNKNOWN_FACT
        if self.outlook is not None and person.email:
            calendar, replies = self.outlook.calendar(person.email), self.outlook.replies(person.email)
        absence, own = None, None
        if self.book is not None and person.extension:
            absence, own = self.book.fact(person.extension, now), self.book.own(person.extension, now)
        return merge(Inputs(
            now=now,
            phone=self._phone(person),
            calendar=calendar,
            out_of_office=replies,
            absences=self.absences.of(person.id),
            default_hours=self.settings.default_hours,
            absences_observed_at=self.absences.loaded_at and now,
            absence=absence,
            forwarded_to_mobile=bool(own and own.forward_to == "mobile"),
            forwarded_until=own.forward_until if own else None,
            dnd=bool(own and own.dnd),
        ))

    def _phone(self, person: Person) -> Fact[PhoneReading]:
        """The desk phone, unless the PBX sees the person's mobile ringing or in a call (desk and mobile
        together, their own forward, a call out from the mobile): then they are on the phone there."""
        desk = self.phone.fact(self.device_of(person), person.extension or None)
        if not person.extension:
            return desk
        mobile = self.phone.fact(MOBILE_DEVICE.format(extension=person.extension), None)
        on_mobile = mobile.usable(self.clock())
        if on_mobile is None or on_mobile.state not in _BUSIER:
            return desk
        on_desk = desk.usable(self.clock())
        if on_desk is not None and _BUSIER.get(on_desk.state, 0) >= _BUSIER[on_mobile.state]:
            return desk
        return mobile

    def search(self, query: str = "", department: str = "", topic: str = "",
               limit: int = 50) -> list[tuple[Person, View]]:
        now = self.clock()
        return [(p, self.view(p, now)) for p in self.index.search(query, department, topic, limit)]

    def person(self, person_id: str) -> tuple[Person, View] | None:
        person = self.index.get(person_id)
        return None if person is None else (person, self.view(person))

    def with_extension(self, extension: str) -> Person | None:
        ids = self._current_lookups().by_phone_key.get(extension, [])
        return self.index.people[ids[0]] if ids else None

    def by_extension(self, extension: str) -> list[tuple[Person, View]]:
        """For call routing: everyone behind an extension, with their view. Memory only."""
        ids = self._current_lookups().by_phone_key.get(extension, [])
        now = self.clock()
        return [(self.index.people[i], self.view(self.index.people[i], now)) for i in ids]

    # -- changes --

    def subscribe(self) -> Subscription:
        subscription = Subscription(self.settings.subscriber_queue)
        self._subscribers.add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        self._subscribers.discard(subscription)

    def _current_lookups(self) -> _Lookups:
        if self._lookups.index is not self.index:
            self._lookups = _Lookups(self.index, self.settings.device_template)
        return self._lookups

    def _publish(self, person_ids, send: bool = True) -> None:
        now = self.clock()
        for person_id in person_ids:
            person = self.index.get(person_id)
            if person is None:
                if self._published.pop(person_id, None) is not None:
                    self._send((person_id, None))
                continue
            view = self.view(person, now)
            signature = (view.status, view.until, view.substitute, view.uncertain)
            if self._published.get(person_id) != signature:
                self._published[person_id] = signature
                if send:
                    self._send((person_id, view))

    def _send(self, item) -> None:
        for subscription in self._subscribers:
            subscription.put(item)

    def phone_changed(self, keys: set[str]) -> None:
        lookups = self._current_lookups().by_phone_key
        self._publish({pid for key in keys for pid in lookups.get(key, ())})

    def outlook_changed(self, addresses: set[str]) -> None:
        lookups = self._current_lookups().by_address
        self._publish({pid for address in addresses for pid in lookups.get(address.lower(), ())})

    def directory_changed(self, diff: Diff) -> None:
        self._publish(diff.added | diff.modified | diff.removed)

    def absence_changed(self, person_id: str) -> None:
        self._publish({person_id})

    def extension_changed(self, extension: str) -> None:
        """Someone's own forward or do-not-disturb changed (phone codes, console): tell the consoles now."""
        self._publish(set(self._current_lookups().by_phone_key.get(extension, ())))

    def tick(self) -> None:
        self._publish(list(self.index.people))

    def start(self) -> None:
        """Start the background loops: LDAP and Outlook refreshes, and the tick. For app startup."""
        loops = [self.directory.run(), self.run()]
        if self.outlook is not None:
            loops.append(self.outlook.run())
        self._tasks = [asyncio.ensure_future(loop) for loop in loops]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []

    async def run(self) -> None:
        # What everyone looks like now, so the first tick only sends real changes.
        self._publish(list(self.index.people), send=False)
        while True:
            await asyncio.sleep(self.settings.tick_seconds)
            self.tick()
