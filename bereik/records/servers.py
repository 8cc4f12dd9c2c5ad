"""Call records of several Asterisk servers in one store.

Each server numbers its calls by itself, so two servers can hand out the same
Uniqueid. Like Asterisk's own `systemname`, bereik puts the server's name in
front of every call id it keeps ("noord-1732356000.12"), so calls of different
servers never collide and a report can tell them apart. Pure.
"""
from __future__ import annotations

import dataclasses

from bereik import facts as f


def call_id(server: str, own_id: str) -> str:
    """The call id bereik keeps for the PBX's own id on `server` ("" for a single server: unchanged)."""
    return f"{server}-{own_id}" if server and own_id else own_id


def of_server(server: str, kept_id: str) -> bool:
    return not server or kept_id.startswith(f"{server}-")


def server_of(kept_id: str, servers: list[str]) -> str:
    return next((name for name in servers if kept_id.startswith(f"{name}-")), "")


def qualified(server: str, fact: f.Fact) -> f.Fact:
    """A fact with its call and leg ids as bereik keeps them."""
    if not server:
        return fact
    ids = {name: call_id(server, getattr(fact, name)) for name in ("call", "leg") if getattr(fact, name, "")}
    return dataclasses.replace(fact, **ids) if ids else fact


def pbx_id(server: str, kept_id: str) -> str:
    """The PBX's own id, to look a kept call up in its event log."""
    prefix = f"{server}-" if server else ""
    return kept_id[len(prefix):] if kept_id.startswith(prefix) else kept_id
