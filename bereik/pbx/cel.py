"""Asterisk's own event log (CEL), written by cel_custom into a CSV file bereik reads.

AMI events reach bereik only while it is connected. CEL is written by Asterisk
itself, so after a restart or an AMI reconnect it tells what bereik missed:
when a call started, was answered, joined a queue, met an agent and ended.
The configuration written by `bereik dialplan` and the parser here share FIELDS;
bereik.pbx.records tells the records in bereik's words.
"""
from __future__ import annotations

import csv
import json
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple


log = logging.getLogger(__name__)

FILE_NAME = "bereik.csv"  # under Asterisk's log directory, in cel-custom/

# (column, cel_custom expression)
FIELDS = (
    ("eventtype", "${eventtype}"),
    ("eventtime", "${eventtime}"),
    ("uniqueid", "${CHANNEL(uniqueid)}"),
    ("linkedid", "${CHANNEL(linkedid)}"),
    ("channel", "${CHANNEL(channame)}"),
    ("appname", "${CHANNEL(appname)}"),
    ("appdata", "${CHANNEL(appdata)}"),
    ("exten", "${CHANNEL(exten)}"),
    ("caller", "${CALLERID(num)}"),
    ("extra", "${eventextra}"),
)

EVENTS = ("CHAN_START", "ANSWER", "HANGUP", "APP_START", "BRIDGE_ENTER", "LINKEDID_END", "USER_DEFINED")
# The dialplan's CELGenUserEvent when a call goes on without bereik (fail-open or watchdog); extra: the reason.
FELL_THROUGH = "BEREIK_FELL_THROUGH"


class CelRecord(NamedTuple):
    eventtype: str
    eventtime: float
    uniqueid: str
    linkedid: str
    channel: str
    appname: str
    appdata: str
    exten: str
    caller: str
    extra: str

    def extra_value(self, key: str) -> str:
        try:
            return str(json.loads(self.extra or "{}").get(key, ""))
        except (ValueError, AttributeError):
            return ""


def cel_conf() -> str:
    return "\n".join([
        "[general]",
        "enable=yes",
        "apps=queue",  # APP_START of Queue: when the caller joined the queue
        f"events={','.join(EVENTS)}",
        "",
    ])


def cel_custom_conf() -> str:
    mapping = ",".join(f"${{CSV_QUOTE({expression})}}" for _, expression in FIELDS)
    return f"[mappings]\n{FILE_NAME} => {mapping}\n"


def read(path: Path | str, linkedids: Iterable[str], since: float | None = None) -> list[CelRecord]:
    """The CEL records of these calls, and of every call that began at or after `since` (one that
    began and ended while AMI was disconnected); none when Asterisk wrote no log (yet)."""
    wanted = set(linkedids)
    if not wanted and since is None:
        return []
    try:
        handle = open(path, newline="", encoding="utf-8", errors="replace")
    except FileNotFoundError:
        log.warning("no CEL log at %s; calls missed while disconnected keep what AMI told", path)
        return []
    records = []
    with handle:
        for row in csv.reader(handle):
            if len(row) != len(FIELDS):
                continue
            try:
                record = CelRecord(row[0], float(row[1]), *row[2:])
            except ValueError:
                continue  # a line cut short by a crash
            if since is not None and record.eventtype == "CHAN_START" and record.uniqueid == record.linkedid \
                    and record.eventtime >= since:
                wanted.add(record.linkedid)  # a call's first record comes before its others
            if record.linkedid in wanted:
                records.append(record)
    return records

