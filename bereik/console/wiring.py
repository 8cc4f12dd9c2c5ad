"""The console built from the YAML for `bereik run`: its collaborators from the service."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from aiohttp import web

from bereik.audit import AuditLog
from bereik.callbacks.mail import Mailer
from bereik.callbacks.store import CallbackStore
from bereik.config.model import Config
from bereik.console.auth import LdapAuthenticator
from bereik.console.desk import Desk
from bereik.console.web import Console
from bereik.forwarding.store import ForwardingStore
from bereik.pbx.ami import AmiClient
from bereik.records.recorder import Recorder
from bereik.records.store import CallStore


def earlier_calls(store: CallStore):
    """A caller's calls since a moment, newest first: the screen-pop's repeat-caller hint."""

    def find(number: str, since: float) -> list[tuple[float, str]]:
        rows = [r for r in store.calls(since, float("inf")) if r.caller == number]
        return sorted(((r.started_at, r.topic) for r in rows), reverse=True)
    return find


def build_console(config: Config, ami: AmiClient, callbacks: CallbackStore, clock: Callable[[], dt.datetime],
                  recorder: Recorder, store: CallStore, presence: web.Application | None = None,
                  forwarding: ForwardingStore | None = None,
                  forwarding_changed: Callable[[str], None] = lambda extension: None) -> Console:
    settings = config.console
    desk = Desk(config, ami, callbacks, clock, steps=recorder.add_step, history=earlier_calls(store))
    mailer = Mailer(settings.smtp_host, settings.smtp_port, settings.smtp_from, config.zone, config.language)
    directory = LdapAuthenticator(settings.ldap_url, settings.ldap_user_dn, settings.ldap_start_tls,
                                  ca_file=settings.ldap_ca_file, role_groups=settings.ldap_role_groups)
    return Console(config, desk, callbacks, mailer, directory, clock=clock, audit_log=AuditLog(store),
                   presence=presence, forwarding=forwarding, forwarding_changed=forwarding_changed, calls=store.calls)
