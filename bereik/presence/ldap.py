"""The LDAP shell: reads the directory with ldap3 into a DirectoryIndex, and keeps it current.

ldap3 is synchronous; every call runs in a worker thread with a timeout, so a slow
or dead directory server never stalls the event loop. A failed refresh keeps the
last directory, marks the source down and never raises into callers.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import logging
import math
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import ldap3
from ldap3.core.exceptions import LDAPException
from ldap3.utils.conv import escape_filter_chars

from bereik.presence.directory import (
    OPENLDAP,
    AttributeMap,
    Diff,
    DirectoryIndex,
    Person,
    apply_changes,
    person_from_entry,
)
from bereik.presence.merge import SourceStatus

log = logging.getLogger(__name__)


def clear_text_bind(url: str, start_tls: bool) -> str | None:
    """Why a password should not be sent to `url`, or None: a bind over ldap:// without StartTLS crosses the
    network in clear unless the server is on this machine (loopback). Refused, unless the YAML allows it
    (allow_clear_text: a closed network only)."""
    parsed = urlsplit(url)
    if parsed.scheme.lower() != "ldap" or start_tls:
        return None
    try:
        if ipaddress.ip_address(parsed.hostname or "").is_loopback:
            return None
    except ValueError:
        if (parsed.hostname or "").lower() == "localhost":
            return None
    return (f"{url} without StartTLS sends passwords in clear text; use ldaps:// or start_tls: true "
            "(ldap:// in clear only to a server on this machine)")


@dataclass(frozen=True)
class LdapSettings:
    url: str  # ldap://host:389 (optionally with StartTLS) or ldaps://host:636
    base_dn: str
    bind_dn: str = ""
    password: str = field(default="", repr=False)
    filter: str = "(objectClass=inetOrgPerson)"
    attributes: AttributeMap = OPENLDAP
    start_tls: bool = False
    ca_file: str | None = None
    validate_certificate: bool = True
    page_size: int = 500
    timeout: float = 10.0
    refresh_seconds: float = 300.0
    allow_clear_text: bool = False  # a bind with a password in clear to another machine; refused otherwise


def changed_since_filter(base_filter: str, attribute: str, stamp: str) -> str:
    """The configured filter narrowed to entries changed at or after `stamp` (escaped)."""
    return f"(&{base_filter}({attribute}>={escape_filter_chars(stamp)}))"


class LdapDirectory:
    """The directory as a DirectoryIndex, refreshed from LDAP applying only the changes."""

    def __init__(self, settings: LdapSettings, clock: Callable[[], dt.datetime],
                 on_change: Callable[[Diff], None] = lambda diff: None,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep):
        self.settings = settings
        self.clock = clock
        self.on_change = on_change
        self.sleep = sleep
        self.index = DirectoryIndex().warm()
        self.status = SourceStatus()
        self._watermark = ""
        self._warned = False  # about a password in clear text, once
        self.fetched = 0  # entries read by the last refresh, deletion listing aside

    # -- the blocking part, run in a worker thread --

    def _connect(self) -> ldap3.Connection:
        s = self.settings
        tls = None
        if s.url.lower().startswith("ldaps://") or s.start_tls:
            tls = ldap3.Tls(
                validate=ssl.CERT_REQUIRED if s.validate_certificate else ssl.CERT_NONE,
                ca_certs_file=s.ca_file,
            )
        if s.password and (in_clear := clear_text_bind(s.url, s.start_tls)):
            if not self._warned:
                log.warning("presence.ldap: %s (presence.ldap.allow_clear_text)", in_clear) if s.allow_clear_text \
                    else log.error("presence.ldap refused: %s", in_clear)
                self._warned = True
            if not s.allow_clear_text:
                raise LDAPException(f"refused: {in_clear}")
        server = ldap3.Server(s.url, get_info=ldap3.NONE, tls=tls, connect_timeout=s.timeout)
        conn = ldap3.Connection(
            server, user=s.bind_dn or None, password=s.password or None,
            # ldap3 packs the receive timeout into SO_RCVTIMEO as a whole number of seconds.
            receive_timeout=max(1, math.ceil(s.timeout)), raise_exceptions=True, read_only=True,
        )
        conn.open()
        if s.start_tls:
            conn.start_tls()
        conn.bind()
        return conn

    def _search(self, conn: ldap3.Connection, search_filter: str, attributes: list[str]) -> list[dict]:
        return [
            entry for entry in conn.extend.standard.paged_search(
                search_base=self.settings.base_dn, search_filter=search_filter,
                search_scope=ldap3.SUBTREE, attributes=attributes or ldap3.NO_ATTRIBUTES,
                paged_size=self.settings.page_size, generator=True,
            )
            if entry.get("type") == "searchResEntry"
        ]

    def _people(self, entries: list[dict]) -> list[Person]:
        mapping = self.settings.attributes
        people = []
        for entry in entries:
            attributes = dict(entry["attributes"])
            if mapping.photo:
                # Photos as the server sent them: ldap3 may try to decode unknown attributes.
                raw = entry["raw_attributes"].get(mapping.photo)
                attributes[mapping.photo] = raw or None
            person = person_from_entry(entry["dn"], _caseless(attributes), mapping)
            if person:
                people.append(person)
        if len(people) < len(entries):
            # A count only: a DN names a person.
            log.warning("%d directory entries without %s skipped", len(entries) - len(people), mapping.id)
        return people

    def _fetch(self, full: bool) -> tuple[list[Person], set[str] | None]:
        s = self.settings
        conn = self._connect()
        try:
            if full:
                return self._people(self._search(conn, s.filter, s.attributes.requested())), None
            changed = self._people(self._search(
                conn, changed_since_filter(s.filter, s.attributes.changed, self._watermark),
                s.attributes.requested()))
            # Deletions leave no trace to filter on: list the DNs (no attributes) and diff.
            present = {e["dn"].lower() for e in self._search(conn, s.filter, [])}
            return changed, present
        finally:
            conn.unbind()

    # -- the async shell --

    async def refresh(self) -> Diff:
        """Load everything the first time, afterwards only what changed. Never raises."""
        full = not self._watermark
        try:
            changed, present = await asyncio.wait_for(
                asyncio.to_thread(self._fetch, full), self.settings.timeout * 3)
        except (LDAPException, OSError, TimeoutError) as exc:
            # The exception's class only: messages can carry DNs of people.
            self.status = SourceStatus(False, self.status.last_ok, type(exc).__name__)
            log.warning("LDAP refresh failed (%s); keeping %d people from the last refresh",
                        type(exc).__name__, len(self.index.people))
            return Diff()
        if full:
            people, diff = apply_changes({}, changed, None)
        else:
            people, diff = apply_changes(self.index.people, changed, present)
        if diff:
            self.index = DirectoryIndex(people).warm()
        self.fetched = len(changed)
        stamps = [p.changed for p in changed if p.changed]
        self._watermark = max([self._watermark, *stamps]) if stamps else self._watermark or "19700101000000Z"
        self.status = SourceStatus(True, self.clock())
        log.info("LDAP refresh: %d people, %d read (+%d ~%d -%d)", len(people), self.fetched,
                 len(diff.added), len(diff.modified), len(diff.removed))
        if diff:
            self.on_change(diff)
        return diff

    async def run(self) -> None:
        while True:
            await self.refresh()
            await self.sleep(self.settings.refresh_seconds)


class _caseless(dict):
    """LDAP attribute names are case-insensitive; the mapping may spell them differently."""

    def __init__(self, attributes: dict):
        super().__init__({k.lower(): v for k, v in attributes.items()})

    def get(self, key, default=None):
        return super().get(key.lower(), default)
