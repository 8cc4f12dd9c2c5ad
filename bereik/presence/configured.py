"""The presence service as `bereik run` builds it from the YAML's `presence:` section.

The directory is LDAP when `presence.ldap` is set, else the YAML's own people and agents;
Outlook joins when `presence.graph` is set. The bind password and the Graph client secret
come from bereik.secrets, never from the YAML.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

import aiohttp
from aiohttp import web

from bereik.config.model import Config
from bereik.forwarding.store import ForwardingStore
from bereik.presence.absence import AbsenceStore
from bereik.presence.book import AbsenceBook
from bereik.presence.directory import ACTIVE_DIRECTORY, OPENLDAP, DirectoryIndex, Person
from bereik.presence.graph import GraphClient, GraphSettings, OutlookSource
from bereik.presence.http import presence_app
from bereik.presence.ldap import LdapDirectory, LdapSettings
from bereik.presence.merge import SourceStatus
from bereik.presence.phone import AmiLike, PhonesOnNodes, PhoneWatcher
from bereik.presence.service import PresenceService, PresenceSettings
from bereik.secrets import GRAPH_SECRET, LDAP_SECRET, SecretError, Secrets

ATTRIBUTE_MAPS = {"openldap": OPENLDAP, "active_directory": ACTIVE_DIRECTORY}


def people_in(config: Config) -> dict[str, Person]:
    """The YAML's back-office people and front-office agents as directory entries, by extension."""
    front_office = config.queue(config.front_office).name
    found = {a.extension: Person(id=a.extension, dn=f"extension={a.extension}", name=a.name,
                                 department=front_office, extension=a.extension, topics=tuple(a.topics))
             for a in config.agents}
    for p in config.people:
        department = config.department_of(p.extension)
        found[p.extension] = Person(id=p.extension, dn=f"extension={p.extension}", name=p.name,
                                    department=department.name if department else "", extension=p.extension,
                                    mobile=p.mobile or "", email=p.email or "")
    return found


class ConfigDirectory:
    """The directory when there is no LDAP: the YAML's people and agents, as loaded at start."""

    def __init__(self, config: Config, clock: Callable[[], dt.datetime]):
        self.index = DirectoryIndex(people_in(config)).warm()
        self.status = SourceStatus(True, clock())
        self.on_change = lambda diff: None

    async def run(self) -> None:
        """Nothing to refresh: the YAML does not change under a running service's directory."""


def _secret(secrets: Secrets, key: str, why: str) -> str:
    try:
        return secrets.get(key)
    except SecretError as error:
        raise SecretError(f"{why}: {error}") from None


def ldap_settings(config: Config, secrets: Secrets) -> LdapSettings | None:
    """Raises SecretError when a bind DN is set and its password is not."""
    ldap = config.presence.ldap
    if ldap is None:
        return None
    password = _secret(secrets, LDAP_SECRET, f"presence.ldap.bind_dn is set, so bereik needs its password "
                       f"as {LDAP_SECRET}") if ldap.bind_dn else ""
    return LdapSettings(ldap.url, ldap.base_dn, ldap.bind_dn, password, ldap.filter, ATTRIBUTE_MAPS[ldap.attributes],
                        ldap.start_tls, ldap.ca_file, page_size=ldap.page_size, refresh_seconds=ldap.refresh_seconds,
                        allow_clear_text=ldap.allow_clear_text)


def graph_settings(config: Config, secrets: Secrets) -> GraphSettings | None:
    """Raises SecretError when presence.graph is set and its client secret is not."""
    graph = config.presence.graph
    if graph is None:
        return None
    secret = _secret(secrets, GRAPH_SECRET, f"presence.graph is set, so bereik needs the app registration's "
                     f"client secret as {GRAPH_SECRET}")
    return GraphSettings(graph.tenant, graph.client_id, secret, graph.schedule_mailbox,
                         authority_url=graph.authority_url, graph_url=graph.graph_url, zone=config.timezone)


def check_secrets(config: Config, secrets: Secrets) -> None:
    """Raise SecretError for a secret the presence section needs and lacks: `bereik run` refuses to start."""
    ldap_settings(config, secrets)
    graph_settings(config, secrets)


class ConfiguredPresence:
    """PresenceService with its sources from the YAML; `app` is the console's /api part, `book` the absence
    book that routes calls (the same absences, Outlook and `forwarding`). The absences are opened and the
    Graph session made on start (they need the running loop), closed on stop."""

    def __init__(self, config: Config, ami: AmiLike, clock: Callable[[], dt.datetime], secrets: Secrets,
                 forwarding: ForwardingStore, peers: Sequence[AmiLike] = ()):
        """`peers`: the other servers' AMI (several servers), whose calls ring the same phones."""
        ldap = ldap_settings(config, secrets)
        directory = LdapDirectory(ldap, clock) if ldap else ConfigDirectory(config, clock)
        graph = graph_settings(config, secrets)
        self._graph = GraphClient(graph, None, clock) if graph else None  # its session comes with start()
        self.graph = self._graph  # the call-back appointments book in the same calendars
        outlook = self._graph and OutlookSource(
            self._graph, lambda: [p.email for p in directory.index.people.values() if p.email])
        self.absences = AbsenceStore(config.presence.absences_store, clock)
        self.book = AbsenceBook(config, clock, forwarding, absences=self.absences, outlook=outlook,
                                directory=lambda: directory.index)
        phones = PhoneWatcher(ami, clock)
        if peers:
            phones = PhonesOnNodes([phones, *(PhoneWatcher(peer, clock) for peer in peers)])
        self.service = PresenceService(directory, phones, self.absences, clock, outlook,
                                       PresenceSettings(device_template=config.presence.device_template), self.book)
        self.app: web.Application = presence_app(self.service)

    def sources_up(self) -> dict[str, bool]:
        """Whether each polled source answers (/metrics): the directory (LDAP or the YAML) and Outlook."""
        up = {"directory": self.service.directory.status.up}
        if self.service.outlook is not None:
            up["outlook"] = self.service.outlook.status.up
        return up

    async def start(self) -> None:
        await self.absences.open()
        if self._graph:
            self._graph.session = aiohttp.ClientSession()
        # LDAP and Graph are read in the background: unreachable, they leave people "unknown", never stop bereik.
        self.service.start()

    async def stop(self) -> None:
        await self.service.stop()
        if self._graph and self._graph.session:
            await self._graph.session.close()
        self.absences.close()
