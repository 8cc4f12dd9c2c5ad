"""The console built from the YAML for `bereik run`: its collaborators from the service."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

from aiohttp import web

from bereik.audit import AuditLog
from bereik.callbacks.appointments import Appointments
from bereik.callbacks.mail import Mailer
from bereik.callbacks.store import CallbackStore
from bereik.config.model import Config
from bereik.facts import OUTSIDE_ORGANISATION
from bereik.console.auth import LdapAuthenticator
from bereik.console import words
from bereik.console.desk import Desk
from bereik.console.tls import ReloadingTls
from bereik.console.web import Console
from bereik.forwarding.store import ForwardingStore
from bereik.pbx.ami import AmiClient
from bereik.pbx.dialplan import member_name
from bereik.records import servers
from bereik.records.recorder import Recorder
from bereik.records.summary import WRAPPED_UP
from bereik.records.store import CallStore


def earlier_calls(store: CallStore, config: Config):
    """A caller's calls since a moment, newest first: the screen-pop's repeat-caller hint, with the outside
    organisation a menu option put a call through to."""
    outside = {o.forward_to: o.organisation for o in (config.menu.options if config.menu else []) if o.outside}

    def find(number: str, since: float) -> list[tuple[float, str, str]]:
        rows = [r for r in store.calls(since, float("inf")) if r.caller == number]
        return sorted(((r.started_at, r.topic, outside.get(r.forwarded_to, "") if r.reason == OUTSIDE_ORGANISATION
                        else "") for r in rows), reverse=True)
    return find


def day_of_agent(store: CallStore, config: Config):
    """The calls an agent answered since a moment, oldest first, with the wrap-up each got: the console's
    history after a restart (the desk itself remembers the calls it saw)."""

    def find(extension: str, since: float) -> list[dict]:
        agent = next((a for a in config.agents if a.extension == extension), None)
        if agent is None:
            return []
        found = []
        # Read to the end before each journey is read: PostgreSQL streams the calls in a transaction of
        # the same connection, which a read in between would commit.
        for row in [r for r in store.calls(since, float("inf")) if r.agent == member_name(agent.name)]:
            journey = store.journey(row.call_id)
            answered = journey.first("agent_answered") if journey else None
            if journey is None or answered is None or answered.detail.get("interface") != f"PJSIP/{extension}":
                continue
            wrap_ups = [s for s in journey.steps if s.what == WRAPPED_UP]
            found.append({"call": row.call_id, "number": row.caller, "name": journey.caller_name,
                          "offered_at": answered.at, "answered_at": answered.at, "ended_at": row.ended_at,
                          "choice_text": words.choice_text(config, journey.labels.get("choice", ""), row.topic),
                          "wrap_up": wrap_ups[-1].detail if wrap_ups else None})
        return sorted(found, key=lambda call: call["answered_at"])
    return find


def steps_by_server(recorders: Sequence[Recorder]):
    """The desk's steps into the journey of the server the call is on (its call id names the server)."""
    by_server = {recorder.server: recorder for recorder in recorders}

    def add(call_id: str, what: str, at: float, detail: dict) -> None:
        server = servers.server_of(call_id, [name for name in by_server if name])
        by_server.get(server, recorders[0]).add_step(servers.pbx_id(server, call_id), what, at, detail)
    return add


def build_console(config: Config, ami: AmiClient, callbacks: CallbackStore, clock: Callable[[], dt.datetime],
                  recorder: Recorder, store: CallStore, presence: web.Application | None = None,
                  forwarding: ForwardingStore | None = None,
                  forwarding_changed: Callable[[str], None] = lambda extension: None,
                  appointments: Appointments | None = None, tls: ReloadingTls | None = None,
                  peers: Sequence[tuple[AmiClient, Recorder]] = ()) -> Console:
    """`peers`: the other servers' AMI and recorder (several servers): the desk follows their calls too."""
    settings = config.console
    desk = Desk(config, ami, callbacks, clock, server=recorder.server, peers={r.server: a for a, r in peers},
                steps=steps_by_server([recorder, *(r for _, r in peers)]), history=earlier_calls(store, config),
                day=day_of_agent(store, config))
    mailer = Mailer(settings.smtp_host, settings.smtp_port, settings.smtp_from, config.zone, config.language)
    directory = LdapAuthenticator(settings.ldap_url, settings.ldap_user_dn, settings.ldap_start_tls,
                                  ca_file=settings.ldap_ca_file, role_groups=settings.ldap_role_groups,
                                  allow_clear_text=settings.allow_clear_text)
    return Console(config, desk, callbacks, mailer, directory, clock=clock, audit_log=AuditLog(store),
                   presence=presence, forwarding=forwarding, forwarding_changed=forwarding_changed, calls=store.calls,
                   appointments=appointments, tls=tls, shared_recordings=store if config.pbx.server else None)
