"""Call records of several Asterisk servers in one store.

Each server numbers its calls by itself, so two servers can hand out the same
Uniqueid. Like Asterisk's own `systemname`, bereik puts the server's name in
front of every call id it keeps ("noord-1732356000.12"), so calls of different
servers never collide and a report can tell them apart. Pure.
"""
from __future__ import annotations

from collections.abc import Mapping

from bereik.records.cel import CelRecord

ID_FIELDS = ("Uniqueid", "Linkedid", "TargetLinkedid")


def call_id(server: str, asterisk_id: str) -> str:
    """The call id bereik keeps for Asterisk's id on `server` ("" for a single server: unchanged)."""
    return f"{server}-{asterisk_id}" if server and asterisk_id else asterisk_id


def of_server(server: str, kept_id: str) -> bool:
    return not server or kept_id.startswith(f"{server}-")


def server_of(kept_id: str, servers: list[str]) -> str:
    return next((name for name in servers if kept_id.startswith(f"{name}-")), "")


def event(server: str, message: Mapping[str, str]) -> dict[str, str]:
    """An AMI event with its call ids as bereik keeps them."""
    if not server:
        return dict(message)
    return {**message, **{key: call_id(server, message[key]) for key in ID_FIELDS if message.get(key)}}


def cel_record(server: str, record: CelRecord) -> CelRecord:
    return record._replace(uniqueid=call_id(server, record.uniqueid), linkedid=call_id(server, record.linkedid))


def asterisk_id(server: str, kept_id: str) -> str:
    """Asterisk's own id, to look a kept call up in its CEL log."""
    prefix = f"{server}-" if server else ""
    return kept_id[len(prefix):] if kept_id.startswith(prefix) else kept_id
