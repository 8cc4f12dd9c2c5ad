"""The staff directory in memory: people, an index for search, and applying changes.

Pure: LDAP entries come in as plain dicts (bereik.presence.ldap reads them), so a
search at request time never waits for the network.
"""
from __future__ import annotations

import heapq
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

_WORD = re.compile(r"[0-9a-z]+")
_MAX_PREFIX = 24


@dataclass(frozen=True)
class AttributeMap:
    """Which LDAP attribute holds which fact; None: not kept in this directory."""

    id: str = "uid"
    name: str = "displayName"
    name_fallback: str = "cn"
    department: str = "ou"
    title: str | None = "title"
    extension: str | None = "telephoneNumber"
    mobile: str | None = "mobile"
    email: str | None = "mail"
    photo: str | None = "jpegPhoto"
    manager: str | None = "manager"
    team_mailbox: str | None = None
    topics: str | None = "businessCategory"
    # An ordered change stamp: OpenLDAP's entryCSN has microseconds, modifyTimestamp only seconds.
    changed: str = "entryCSN"

    def requested(self, with_photo: bool = True) -> list[str]:
        names = [self.id, self.name, self.name_fallback, self.department, self.title, self.extension,
                 self.mobile, self.email, self.manager, self.team_mailbox, self.topics, self.changed]
        if with_photo:
            names.append(self.photo)
        return sorted({n for n in names if n})


OPENLDAP = AttributeMap()
ACTIVE_DIRECTORY = AttributeMap(
    id="sAMAccountName", name="displayName", name_fallback="cn", department="department",
    photo="thumbnailPhoto", topics=None, changed="whenChanged",
)


@dataclass(frozen=True)
class Person:
    id: str
    dn: str
    name: str
    department: str = ""
    title: str = ""
    extension: str = ""
    mobile: str = ""
    email: str = ""
    photo: bytes | None = field(default=None, repr=False)
    manager_dn: str = ""
    team_mailbox: str = ""
    topics: tuple[str, ...] = ()
    changed: str = ""  # the directory's change stamp (entryCSN, whenChanged), compared as text


def fold(text: str) -> str:
    """Lower case without accents: 'Ölçer' and 'olcer' find each other."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    return _WORD.findall(fold(text))


def _first(values: Any) -> Any:
    if isinstance(values, list | tuple):
        return values[0] if values else None
    return values


def _text(entry: Mapping[str, Any], attribute: str | None) -> str:
    if not attribute:
        return ""
    value = _first(entry.get(attribute))
    if value is None:
        return ""
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def person_from_entry(dn: str, entry: Mapping[str, Any], mapping: AttributeMap) -> Person | None:
    """A Person from one entry's attributes (a case-insensitive mapping of lists)."""
    person_id = _text(entry, mapping.id)
    if not person_id:
        return None
    photo = _first(entry.get(mapping.photo)) if mapping.photo else None
    topics_raw = entry.get(mapping.topics) if mapping.topics else None
    topics = tuple(str(t) for t in (topics_raw if isinstance(topics_raw, list | tuple) else [topics_raw]) if t)
    return Person(
        id=person_id,
        dn=dn,
        name=_text(entry, mapping.name) or _text(entry, mapping.name_fallback) or person_id,
        department=_text(entry, mapping.department),
        title=_text(entry, mapping.title),
        extension=_text(entry, mapping.extension),
        mobile=_text(entry, mapping.mobile),
        email=_text(entry, mapping.email),
        photo=photo if isinstance(photo, bytes) and photo else None,
        manager_dn=_text(entry, mapping.manager),
        team_mailbox=_text(entry, mapping.team_mailbox),
        topics=topics,
        changed=_text(entry, mapping.changed),
    )


@dataclass(frozen=True)
class Diff:
    added: frozenset[str] = frozenset()
    modified: frozenset[str] = frozenset()
    removed: frozenset[str] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.added or self.modified or self.removed)


def apply_changes(people: Mapping[str, Person], changed: Iterable[Person],
                  present_dns: set[str] | None) -> tuple[dict[str, Person], Diff]:
    """People after a refresh: changed entries replace theirs; entries whose DN is gone leave.

    `present_dns` None means the refresh did not list the directory (nothing removed).
    """
    result = dict(people)
    added, modified = set(), set()
    for person in changed:
        before = result.get(person.id)
        if before is None:
            added.add(person.id)
        elif before != person:
            modified.add(person.id)
        result[person.id] = person
    removed = set()
    if present_dns is not None:
        removed = {pid for pid, p in result.items() if p.dn.lower() not in present_dns}
        for pid in removed:
            del result[pid]
    return result, Diff(frozenset(added - removed), frozenset(modified - removed), frozenset(removed))


@dataclass(frozen=True)
class DirectoryIndex:
    """Search by name, department and topic in memory: word-prefix sets, intersected."""

    people: Mapping[str, Person] = field(default_factory=dict)

    @cached_property
    def _prefixes(self) -> dict[str, frozenset[str]]:
        found: dict[str, set[str]] = {}
        for person in self.people.values():
            texts = [person.name, person.department, person.title, person.email.split("@")[0],
                     person.extension, *person.topics]
            for word in {w for text in texts for w in words(text)}:
                for end in range(1, min(len(word), _MAX_PREFIX) + 1):
                    found.setdefault(word[:end], set()).add(person.id)
        return {k: frozenset(v) for k, v in found.items()}

    @cached_property
    def _departments(self) -> dict[str, frozenset[str]]:
        return self._grouped(lambda p: [p.department])

    @cached_property
    def _topics(self) -> dict[str, frozenset[str]]:
        return self._grouped(lambda p: p.topics)

    @cached_property
    def _by_dn(self) -> dict[str, Person]:
        return {p.dn.lower(): p for p in self.people.values()}

    @cached_property
    def _order(self) -> dict[str, tuple[str, str]]:
        return {p.id: (fold(p.name), p.id) for p in self.people.values()}

    def _grouped(self, values) -> dict[str, frozenset[str]]:
        found: dict[str, set[str]] = {}
        for person in self.people.values():
            for value in values(person):
                if value:
                    found.setdefault(" ".join(words(value)), set()).add(person.id)
        return {k: frozenset(v) for k, v in found.items()}

    def warm(self) -> DirectoryIndex:
        """Build the lookup tables now rather than on the first search."""
        for name in ("_prefixes", "_departments", "_topics", "_by_dn", "_order"):
            getattr(self, name)
        return self

    def get(self, person_id: str) -> Person | None:
        return self.people.get(person_id)

    def manager_of(self, person: Person) -> Person | None:
        return self._by_dn.get(person.manager_dn.lower()) if person.manager_dn else None

    def departments(self) -> list[str]:
        return sorted({p.department for p in self.people.values() if p.department}, key=fold)

    def by_extension(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for person in self.people.values():
            if person.extension:
                found.setdefault(person.extension, []).append(person.id)
        return found

    def search(self, query: str = "", department: str = "", topic: str = "", limit: int = 50) -> list[Person]:
        """Everyone whose words start with every word of the query, in the department and topic."""
        candidates: frozenset[str] | None = None
        for word in words(query):
            matches = self._prefixes.get(word[:_MAX_PREFIX], frozenset())
            candidates = matches if candidates is None else candidates & matches
        for wanted, groups in ((department, self._departments), (topic, self._topics)):
            if wanted:
                matches = groups.get(" ".join(words(wanted)), frozenset())
                candidates = matches if candidates is None else candidates & matches
        ids = self.people.keys() if candidates is None else candidates
        first = fold(query).strip()
        order = self._order
        # Names that start with the query come first, then alphabetical.
        ranked = heapq.nsmallest(limit, ids, key=lambda pid: (not order[pid][0].startswith(first), order[pid]))
        return [self.people[pid] for pid in ranked]
