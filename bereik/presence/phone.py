"""Phone state from Asterisk: a pure reducer over AMI events, and its thin binding.

Asterisk pushes DeviceStateChange (needs res_manager_devicestate) and
ExtensionStatus events; after every AMI login the whole table is re-read with
DeviceStateList and ExtensionStateList, because events missed while disconnected
(an Asterisk restart) would otherwise leave stale states behind.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from bereik.presence.merge import Fact, PhoneReading
from bereik.presence.vocabulary import (
    ACTION_DEVICE_STATE_LIST,
    DEVICE_STATES,
    EVENT_DEVICE_STATE,
    EVENT_EXTENSION_STATUS,
    EXTENSION_STATES,
    PhoneState,
)

log = logging.getLogger(__name__)

AmiEvent = dict[str, str]
ACTION_EXTENSION_STATE_LIST = "ExtensionStateList"


@dataclass(frozen=True)
class PhoneTable:
    devices: Mapping[str, PhoneReading] = field(default_factory=dict)  # "PJSIP/2001"
    extensions: Mapping[str, PhoneReading] = field(default_factory=dict)  # hint extension "2001"
    synced_at: dt.datetime | None = None  # the last full re-read

    def reading(self, device: str | None, extension: str | None) -> PhoneReading | None:
        """The device's own state; the extension's hint state when the device is not known."""
        found = self.devices.get(device) if device else None
        return found or (self.extensions.get(extension) if extension else None)


def _change(event: AmiEvent) -> tuple[str, str, PhoneState] | None:
    name = event.get("Event")
    if name == EVENT_DEVICE_STATE and event.get("Device"):
        return "devices", event["Device"], DEVICE_STATES.get(event.get("State", ""), PhoneState.UNKNOWN)
    if name == EVENT_EXTENSION_STATUS and event.get("Exten"):
        return "extensions", event["Exten"], EXTENSION_STATES.get(event.get("Status", ""), PhoneState.UNKNOWN)
    return None


def reduce(table: PhoneTable, event: AmiEvent, now: dt.datetime) -> tuple[PhoneTable, str | None]:
    """The table after one event, and the device or extension that changed (None: nothing)."""
    change = _change(event)
    if change is None:
        return table, None
    kind, key, state = change
    current: Mapping[str, PhoneReading] = getattr(table, kind)
    if key in current and current[key].state is state:
        return table, None
    updated = {**current, key: PhoneReading(state, now)}
    if kind == "devices":
        return PhoneTable(updated, table.extensions, table.synced_at), key
    return PhoneTable(table.devices, updated, table.synced_at), key


def resync(previous: PhoneTable, events: Iterable[AmiEvent], now: dt.datetime) -> PhoneTable:
    """A fresh table from a re-read's list events; unchanged states keep their 'since'."""
    fresh: dict[str, dict[str, PhoneReading]] = {"devices": {}, "extensions": {}}
    for event in events:
        change = _change(event)
        if change is None:
            continue
        kind, key, state = change
        before: PhoneReading | None = getattr(previous, kind).get(key)
        fresh[kind][key] = before if before and before.state is state else PhoneReading(state, now)
    return PhoneTable(fresh["devices"], fresh["extensions"], now)


def changed_keys(before: PhoneTable, after: PhoneTable) -> set[str]:
    keys = set()
    for kind in ("devices", "extensions"):
        old, new = getattr(before, kind), getattr(after, kind)
        keys |= {k for k in old.keys() | new.keys() if (old.get(k) and old[k].state) != (new.get(k) and new[k].state)}
    return keys


class AmiLike(Protocol):
    connected: bool

    def on_event(self, name: str, callback: Callable[[AmiEvent], Any]) -> None: ...
    def on_login(self, callback: Callable[[], Any]) -> None: ...
    async def action(self, name: str, **headers: Any) -> list[AmiEvent]: ...


class PhoneWatcher:
    """Keeps a PhoneTable current from an AMI client; `on_change(keys)` after every change."""

    def __init__(self, ami: AmiLike, clock: Callable[[], dt.datetime],
                 on_change: Callable[[set[str]], None] = lambda keys: None):
        self.ami = ami
        self.clock = clock
        self.on_change = on_change
        self.table = PhoneTable()
        self._fresh = False  # the table has been re-read since the last login
        ami.on_event(EVENT_DEVICE_STATE, self._on_event)
        ami.on_event(EVENT_EXTENSION_STATUS, self._on_event)
        ami.on_login(self.reread)

    def _on_event(self, event: AmiEvent) -> None:
        self.table, key = reduce(self.table, event, self.clock())
        if key is not None:
            self.on_change({key})

    async def reread(self) -> None:
        # Until the re-read succeeds, states from before the login count as unknown.
        self._fresh = False
        events = await self.ami.action(ACTION_DEVICE_STATE_LIST)
        events += await self.ami.action(ACTION_EXTENSION_STATE_LIST)
        before, self.table = self.table, resync(self.table, events, self.clock())
        self._fresh = True
        log.info("phone states re-read: %d devices, %d extensions",
                 len(self.table.devices), len(self.table.extensions))
        self.on_change(changed_keys(before, self.table))

    def fact(self, device: str | None, extension: str | None) -> Fact[PhoneReading]:
        reading = self.table.reading(device, extension)
        observed = reading and max(reading.since, self.table.synced_at or reading.since)
        return Fact(reading, observed, up=self.ami.connected and self._fresh)


# Which node's reading of one phone tells most (several nodes): a call anywhere over ringing over idle; a
# phone registered with one node only is unreachable on the others, not less free.
_TELLS_MORE = {PhoneState.IN_CALL: 5, PhoneState.ON_HOLD: 4, PhoneState.RINGING: 3, PhoneState.IDLE: 2,
               PhoneState.UNAVAILABLE: 1, PhoneState.UNKNOWN: 0}


class PhonesOnNodes:
    """The phones as all the nodes of a municipality see them. Each node's Asterisk knows only the calls it
    has, while a desk phone is rung by every node: a phone in a call on any node is in a call."""

    def __init__(self, watchers: Iterable[PhoneWatcher]):
        self.watchers = list(watchers)
        self.on_change: Callable[[set[str]], None] = lambda keys: None
        for watcher in self.watchers:
            watcher.on_change = lambda keys: self.on_change(keys)

    def fact(self, device: str | None, extension: str | None) -> Fact[PhoneReading]:
        def tells(fact: Fact[PhoneReading]) -> int:
            return _TELLS_MORE[fact.value.state] if fact.up and fact.value else -1
        return max((watcher.fact(device, extension) for watcher in self.watchers), key=tells)
