"""Phone state from AMI events: recorded sequences, and an Asterisk restart."""
from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bereik.presence.phone import PhonesOnNodes, PhoneTable, PhoneWatcher, reduce, resync
from bereik.presence.vocabulary import DEVICE_STATES, PhoneState

T0 = dt.datetime(2026, 3, 4, 10, 0, tzinfo=dt.UTC)


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def device(name: str, state: str) -> dict[str, str]:
    return {"Event": "DeviceStateChange", "Privilege": "call,all", "Device": name, "State": state}


def extension(exten: str, status: str, text: str) -> dict[str, str]:
    return {"Event": "ExtensionStatus", "Privilege": "call,all", "Exten": exten, "Context": "phones",
            "Hint": f"PJSIP/{exten}", "Status": status, "StatusText": text}


# As Asterisk 22 sends them for: a call to 2001 rings, is answered, put on hold, resumed, hung up.
CALL_TO_2001 = [
    device("PJSIP/2001", "RINGING"),
    extension("2001", "8", "Ringing"),
    device("PJSIP/2001", "INUSE"),
    extension("2001", "1", "InUse"),
    device("PJSIP/2001", "ONHOLD"),
    extension("2001", "16", "OnHold"),
    device("PJSIP/2001", "INUSE"),
    device("PJSIP/2001", "NOT_INUSE"),
    extension("2001", "0", "Idle"),
]


def replay(events, table=PhoneTable()):
    states = []
    for second, event in enumerate(events):
        table, _ = reduce(table, event, at(second))
        states.append(table.reading("PJSIP/2001", "2001").state)
    return table, states


def test_a_call_rings_is_answered_held_and_ends():
    table, states = replay(CALL_TO_2001)
    assert states == [PhoneState.RINGING, PhoneState.RINGING, PhoneState.IN_CALL, PhoneState.IN_CALL,
                      PhoneState.ON_HOLD, PhoneState.ON_HOLD, PhoneState.IN_CALL, PhoneState.IDLE, PhoneState.IDLE]
    assert table.devices["PJSIP/2001"].since == at(7)
    assert table.extensions["2001"].state is PhoneState.IDLE


@pytest.mark.parametrize("state, expected", [
    ("NOT_INUSE", PhoneState.IDLE), ("INUSE", PhoneState.IN_CALL), ("BUSY", PhoneState.IN_CALL),
    ("RINGING", PhoneState.RINGING), ("RINGINUSE", PhoneState.IN_CALL), ("ONHOLD", PhoneState.ON_HOLD),
    ("UNAVAILABLE", PhoneState.UNAVAILABLE), ("INVALID", PhoneState.UNKNOWN), ("UNKNOWN", PhoneState.UNKNOWN),
    ("SOMETHING_NEW", PhoneState.UNKNOWN),
])
def test_every_asterisk_device_state(state, expected):
    table, key = reduce(PhoneTable(), device("PJSIP/2002", state), T0)
    assert key == "PJSIP/2002" and table.devices["PJSIP/2002"].state is expected


def test_repeated_states_change_nothing_and_keep_since():
    table, _ = reduce(PhoneTable(), device("PJSIP/2001", "INUSE"), at(0))
    again, key = reduce(table, device("PJSIP/2001", "INUSE"), at(5))
    assert key is None and again is table


def test_other_events_are_ignored():
    table = PhoneTable()
    for event in ({"Event": "Newchannel", "Channel": "PJSIP/2001-0001"}, {"Event": "DeviceStateChange"},
                  {"Response": "Success"}):
        assert reduce(table, event, T0) == (table, None)


def test_the_device_state_wins_over_the_hint_when_known():
    table, _ = reduce(PhoneTable(), extension("2003", "4", "Unavailable"), at(0))
    assert table.reading("PJSIP/2003", "2003").state is PhoneState.UNAVAILABLE
    table, _ = reduce(table, device("PJSIP/2003", "NOT_INUSE"), at(1))
    assert table.reading("PJSIP/2003", "2003").state is PhoneState.IDLE


class FakeAmi:
    """The AmiClient interface of bereik.pbx.ami, with a scriptable Asterisk behind it."""

    def __init__(self):
        self.connected = False
        self.handlers: dict[str, list] = {}
        self.login_callbacks = []
        self.devices: dict[str, str] = {}
        self.actions: list[str] = []

    def on_event(self, name, callback):
        self.handlers.setdefault(name, []).append(callback)

    def on_login(self, callback):
        self.login_callbacks.append(callback)

    async def action(self, name, **headers):
        self.actions.append(name)
        if name == "DeviceStateList":
            return [{"Response": "Success", "EventList": "start", "Message": "Device State Changes will follow"},
                    *(device(d, s) | {"ActionID": "1"} for d, s in self.devices.items()),
                    {"Event": "DeviceStateListComplete", "EventList": "Complete", "ListItems": str(len(self.devices))}]
        if name == "ExtensionStateList":
            return [{"Response": "Success", "EventList": "start"},
                    {"Event": "ExtensionStateListComplete", "EventList": "Complete", "ListItems": "0"}]
        raise AssertionError(f"unexpected action {name}")

    def emit(self, event):
        self.devices[event["Device"]] = event["State"]
        for callback in self.handlers.get(event["Event"], []):
            callback(event)

    async def login(self):
        self.connected = True
        for callback in self.login_callbacks:
            await callback()


async def test_state_is_re_read_after_every_login_including_an_asterisk_restart():
    ami = FakeAmi()
    clock = [at(0)]
    changes: list[set[str]] = []
    watcher = PhoneWatcher(ami, lambda: clock[0], changes.append)
    ami.devices = {"PJSIP/2001": "NOT_INUSE", "PJSIP/2002": "INUSE"}
    await ami.login()
    assert ami.actions == ["DeviceStateList", "ExtensionStateList"]
    assert watcher.fact("PJSIP/2002", "2002").value.state is PhoneState.IN_CALL
    assert changes[-1] == {"PJSIP/2001", "PJSIP/2002"}

    clock[0] = at(10)
    ami.emit(device("PJSIP/2001", "RINGING"))
    assert watcher.fact("PJSIP/2001", "2001").value.state is PhoneState.RINGING
    assert changes[-1] == {"PJSIP/2001"}

    # Asterisk restarts: the connection drops, events are missed, both calls are gone.
    ami.connected = False
    fact = watcher.fact("PJSIP/2001", "2001")
    assert fact.usable(at(11)) is None, "while AMI is down the phone state is unknown"
    ami.devices = {"PJSIP/2001": "NOT_INUSE", "PJSIP/2002": "NOT_INUSE"}
    clock[0] = at(30)
    await ami.login()
    assert watcher.fact("PJSIP/2001", "2001").usable(at(30)).state is PhoneState.IDLE
    assert watcher.fact("PJSIP/2002", "2002").usable(at(30)).state is PhoneState.IDLE
    assert changes[-1] == {"PJSIP/2001", "PJSIP/2002"}
    assert watcher.fact("PJSIP/2002", "2002").observed_at == at(30)


def test_resync_keeps_since_for_states_that_did_not_change():
    before = PhoneTable({"PJSIP/2001": replay(CALL_TO_2001)[0].devices["PJSIP/2001"]})
    after = resync(before, [device("PJSIP/2001", "NOT_INUSE"), device("PJSIP/2009", "UNAVAILABLE")], at(60))
    assert after.devices["PJSIP/2001"].since == at(7)
    assert after.devices["PJSIP/2009"].since == at(60)
    assert after.synced_at == at(60)
    gone = resync(after, [], at(90))
    assert gone.reading("PJSIP/2001", "2001") is None, "devices Asterisk no longer lists are forgotten"


async def test_a_failed_re_read_after_login_leaves_the_old_states_unknown():
    ami = FakeAmi()
    watcher = PhoneWatcher(ami, lambda: at(0))
    assert watcher.fact("PJSIP/2001", "2001").usable(at(0)) is None, "nothing is known before the first re-read"
    ami.devices = {"PJSIP/2001": "NOT_INUSE"}
    await ami.login()
    assert watcher.fact("PJSIP/2001", "2001").usable(at(1)).state is PhoneState.IDLE

    async def timeout(name, **headers):
        raise TimeoutError("Asterisk did not answer")
    ami.action = timeout
    with pytest.raises(TimeoutError):
        await ami.login()  # the AMI adapter logs the failure of a login callback
    assert ami.connected
    assert watcher.fact("PJSIP/2001", "2001").usable(at(2)) is None

events = st.lists(st.tuples(st.sampled_from(["PJSIP/2001", "PJSIP/2002", "PJSIP/2003"]),
                            st.sampled_from(sorted(DEVICE_STATES))), max_size=40)


@given(events)
def test_the_table_holds_each_devices_last_state_since_it_last_changed(sequence):
    table = PhoneTable()
    for second, (name, state) in enumerate(sequence):
        table, _ = reduce(table, device(name, state), at(second))
    for name in {n for n, _ in sequence}:
        last = max(i for i, (n, _) in enumerate(sequence) if n == name)
        assert table.devices[name].state is DEVICE_STATES[sequence[last][1]]
        since = last
        while since > 0 and any(n == name for n, _ in sequence[:since]):
            previous = max(i for i, (n, _) in enumerate(sequence[:since]) if n == name)
            if DEVICE_STATES[sequence[previous][1]] is not DEVICE_STATES[sequence[since][1]]:
                break
            since = previous
        assert table.devices[name].since == at(since)
    # A re-read of the same states changes nothing but the sync time.
    again = resync(table, [device(n, s) for n, s in sequence], at(999))
    assert {k: v.state for k, v in again.devices.items()} == {k: v.state for k, v in table.devices.items()}


async def test_on_several_nodes_a_phone_in_a_call_on_any_node_is_in_a_call():
    noord, zuid = FakeAmi(), FakeAmi()
    changes: list[set[str]] = []
    phones = PhonesOnNodes([PhoneWatcher(noord, lambda: at(0)), PhoneWatcher(zuid, lambda: at(0))])
    phones.on_change = changes.append  # as the presence service sets it, after construction
    noord.devices = {"PJSIP/2001": "NOT_INUSE", "PJSIP/2002": "NOT_INUSE"}
    zuid.devices = {"PJSIP/2001": "NOT_INUSE", "PJSIP/2002": "UNAVAILABLE"}  # 2002 registered with noord only
    await noord.login()
    await zuid.login()
    zuid.emit(device("PJSIP/2001", "INUSE"))  # a call on zuid: noord still sees 2001 idle
    assert phones.fact("PJSIP/2001", "2001").usable(at(1)).state is PhoneState.IN_CALL
    assert changes[-1] == {"PJSIP/2001"}
    assert phones.fact("PJSIP/2002", "2002").usable(at(1)).state is PhoneState.IDLE  # it can ring, via noord
    zuid.connected = False  # a node gone: the other still tells
    assert phones.fact("PJSIP/2001", "2001").usable(at(2)).state is PhoneState.IDLE
