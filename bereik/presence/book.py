"""The absence book: the three sources of absence read for one person, merged, and who stands in.

    book.fact("301")       -> AbsenceFact (absent until Monday, source team_lead, substitute 302)
    book.stand_in("301")   -> StandIn (the substitute Femke de Boer takes the calls until Monday)

This is the API the direct call, the call-back notes, the busy lamps and the console ask. Reads come
from memory (the team lead's absences, Outlook's last answer) and from the forwarding store's SQLite
file (small, local), so a call never waits for Graph or LDAP.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import replace

from bereik.config.model import Config
from bereik.forwarding.store import MOBILE, ForwardingStore
from bereik.presence.absence import AbsenceStore
from bereik.presence.absence_fact import AbsenceFact, AbsenceSource, Claim, merge_absence
from bereik.presence.directory import DirectoryIndex, Person
from bereik.presence.graph import OutlookSource
from bereik.routing.stand_in import OwnSettings, StandIn, stand_in

Clock = Callable[[], dt.datetime]


class AbsenceBook:
    def __init__(self, config: Config, clock: Clock, forwarding: ForwardingStore, *,
                 absences: AbsenceStore | None = None, outlook: OutlookSource | None = None,
                 directory: Callable[[], DirectoryIndex] | None = None):
        """`directory`: the current directory index (LDAP or the YAML's people), to find a person's id
        (the team lead's absences are kept by it) and mailbox; without it, ids are extensions."""
        self.config = config
        self.clock = clock
        self.forwarding = forwarding
        self.absences = absences
        self.outlook = outlook
        self.directory = directory
        self._index: DirectoryIndex | None = None
        self._by_extension: dict[str, Person] = {}

    def _entry(self, extension: str) -> Person | None:
        index = self.directory() if self.directory else None
        if index is not self._index:
            self._index = index
            self._by_extension = {p.extension: p for p in index.people.values() if p.extension} if index else {}
        return self._by_extension.get(extension)

    def _mailbox(self, extension: str) -> str:
        person, entry = self.config.person(extension), self._entry(extension)
        return (person.email if person and person.email else "") or (entry.email if entry else "")

    def extension_of(self, person_id: str) -> str:
        """A person id as the team lead named them (directory id or extension) as an extension, when known."""
        if self.config.person(person_id):
            return person_id
        entry = self._index.get(person_id) if self._index is not None else None
        return entry.extension if entry and entry.extension else person_id

    def fact(self, extension: str, now: dt.datetime | None = None) -> AbsenceFact:
        now = now or self.clock()
        entry = self._entry(extension)
        registered = ()
        if self.absences is not None:
            registered = self.absences.of(entry.id if entry else extension)
            if entry and entry.id != extension:
                registered += self.absences.of(extension)
        mailbox = self._mailbox(extension)
        outlook = self.outlook.replies(mailbox) if self.outlook is not None and mailbox else None
        forward = self.forwarding.in_force(extension, now)
        forwards = () if forward is None or forward.mobile else (
            Claim(AbsenceSource.FORWARDING, forward.starts, forward.ends, forward.target),)
        fact = merge_absence(now, team_lead=registered, outlook=outlook, forwarding=forwards)
        if fact.substitute:
            return replace(fact, substitute=self.extension_of(fact.substitute))
        return fact

    def own(self, extension: str, now: dt.datetime | None = None) -> OwnSettings:
        forward = self.forwarding.in_force(extension, now or self.clock())
        dnd = self.forwarding.dnd(extension)
        if forward is None:
            return OwnSettings(dnd=dnd)
        return OwnSettings(MOBILE if forward.mobile else forward.target, forward.ends, dnd)

    def stand_in(self, extension: str, now: dt.datetime | None = None) -> StandIn:
        """Who stands in for the person with this extension now, and until when."""
        now = now or self.clock()
        return stand_in(self.config, extension, lambda ext: self.fact(ext, now), lambda ext: self.own(ext, now))

