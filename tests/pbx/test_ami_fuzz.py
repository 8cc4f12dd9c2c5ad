"""Whatever AMI events carry, bereik's consumers keep going; whatever bereik sends, no value adds a line.

Caller IDs, dialled digits and connected-line names reach AMI events from the caller's
side unchecked; Asterisk's own fields may be missing or odd after an upgrade. Each
consumer takes arbitrary events, then still reads a well-formed one correctly.
"""
import asyncio
import datetime as dt

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bereik.pbx.ami import AmiClient, AmiError, checked
from bereik.pbx.camp_on import CampOnAnnouncer
from bereik.pbx.waiting import Announcer
from bereik.pbx.whisper import Whispers
from bereik.presence.phone import PhoneState, PhoneTable, reduce
from bereik.routing.queue_state import QueueState
from bereik.wallboard.floor import Floor
from tests.ami_facts import told
from tests.examples import example_config

CONFIG = example_config()
FUZZ = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
NOW = 1_795_420_800.0  # 2026-11-23 10:00 in Amsterdam

EVENTS = ["QueueCallerJoin", "QueueCallerLeave", "QueueCallerAbandon", "QueueMemberStatus", "QueueMemberAdded",
          "QueueMemberRemoved", "QueueMemberPause", "AgentCalled", "AgentConnect", "AgentComplete",
          "AgentRingNoAnswer", "DeviceStateChange", "ExtensionStatus", "Newchannel", "Hangup", "DialBegin", "DialEnd"]
HEADERS = ["Queue", "Channel", "Uniqueid", "Linkedid", "Timestamp", "Position", "Count", "Interface", "StateInterface",
           "Location", "MemberName", "Status", "Paused", "InCall", "TalkTime", "HoldTime", "Wait", "CallerIDNum",
           "CallerIDName", "ConnectedLineName", "Exten", "Device", "State", "DestChannel", "DialStatus",
           "ChanVariable(BEREIK_TOPIC)"]
tricky = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["", "tic", "camp-301", "PJSIP/201", "PJSIP/201-00000001", "PJSIP/trunk-00000002", "1", "0",
                     "-1", "nan", "inf", "1e400", "99999999999999999999", "NOT_INUSE", "INUSE", "UNAVAILABLE",
                     "<unknown>", 'Jan "de Baas"\r\nAction: Originate', "a\0b", "é" * 3000, "1795420800.5"]),
)
events = st.lists(st.builds(lambda name, headers: {"Event": name, **headers}, st.sampled_from(EVENTS),
                            st.dictionaries(st.sampled_from(HEADERS), tricky, max_size=8)), max_size=25)
JOIN = {"Event": "QueueCallerJoin", "Queue": "tic", "Channel": "PJSIP/trunk-00000099", "Uniqueid": "9.9",
        "Position": "1", "Timestamp": str(NOW)}


class FakeAmi:
    """Registers callbacks like the adapter; refuses what the adapter would refuse."""

    def __init__(self):
        self.callbacks: dict[str, list] = {}
        self.sent: list[dict[str, str]] = []

    def on_event(self, name, callback):
        self.callbacks.setdefault(name, []).append(callback)

    def on_login(self, callback):
        pass

    async def action(self, name, timeout=None, **headers):
        self.sent.append({checked(k): checked(v) for k, v in {"Action": name, **headers}.items()})
        return [{"Response": "Success"}]

    def emit(self, event):
        for callback in self.callbacks.get(event["Event"], []):
            callback(event)


async def feed(ami: FakeAmi, sequence: list[dict]) -> None:
    for event in sequence:
        ami.emit(event)
    await asyncio.sleep(0.01)  # let the hush and overflow tasks the events started run


def without_task_errors(scenario):
    """Run `scenario` and fail on an exception in any task it started (an unretrieved one is only logged)."""
    errors = []

    async def run():
        asyncio.get_running_loop().set_exception_handler(lambda loop, context: errors.append(context))
        await scenario()

    asyncio.run(run())
    assert errors == []


@FUZZ
@given(events)
def test_the_queue_state_survives_any_events_and_still_counts_a_caller_who_joins(sequence):
    state = QueueState("tic", wrapup_seconds=10)
    for event in sequence:
        told(state, {**event, "Queue": "tic"}, NOW)
    told(state, JOIN, NOW)
    assert state.position("PJSIP/trunk-00000099") is not None
    state.snapshot("PJSIP/trunk-00000099", NOW)


@FUZZ
@given(events)
def test_the_phone_table_survives_any_events_and_still_reads_a_device(sequence):
    table = PhoneTable()
    at = dt.datetime(2026, 11, 23, 10, 0, tzinfo=CONFIG.zone)
    for event in sequence:
        table, _ = reduce(table, event, at)
    table, changed = reduce(table, {"Event": "DeviceStateChange", "Device": "PJSIP/9999", "State": "INUSE"}, at)
    assert changed == "PJSIP/9999" and table.devices["PJSIP/9999"].state is PhoneState.IN_CALL


@FUZZ
@given(events)
def test_the_wallboard_survives_any_events_and_still_counts_a_waiting_caller(sequence):
    floor = Floor(CONFIG.zone, answer_seconds=20)
    for event in sequence:
        told(floor, event)
    told(floor, JOIN)
    assert "9.9" in floor.waiting


@FUZZ
@given(events)
def test_the_announcers_survive_any_events_and_send_no_line_break_to_asterisk(prompts, companions, sequence):
    async def scenario():
        ami = FakeAmi()
        whispers = Whispers(ami, companions)
        whispers.attach()
        announcer = Announcer(CONFIG, ami, prompts, whispers, now=lambda: NOW)
        announcer.attach()
        camp_on = CampOnAnnouncer(CONFIG, ami, announcer.whisper, announcer.hush)
        camp_on.attach()
        try:
            await feed(ami, [{**event, "Queue": event.get("Queue", "tic")} for event in sequence])
            await feed(ami, [JOIN])
            assert announcer.state.position("PJSIP/trunk-00000099") is not None
        finally:
            announcer.close()
            camp_on.close()

    without_task_errors(scenario)


class CapturingManager:
    def __init__(self):
        self.actions = []

    async def send_action(self, action):
        self.actions.append(action)
        return {"Response": "Success"}


@settings(max_examples=200, deadline=None)
@given(name=tricky, headers=st.dictionaries(tricky.filter(lambda k: k != "timeout"), tricky, max_size=5))
@example(name="Ping", headers={"self": "x", "name": "y"})  # hypothesis found "self" (ci123)
def test_no_action_reaches_the_wire_with_a_line_break_or_nul(name, headers):
    async def scenario():
        client = AmiClient("127.0.0.1", 1, "bereik", "secret")
        client._manager = CapturingManager()
        client._logged_in.set()
        try:
            await client.action(name, **headers)
        except AmiError:
            return
        for action in client._manager.actions:
            for key, value in action.items():
                assert not any(c in f"{key}{value}" for c in "\r\n\0")

    asyncio.run(scenario())


async def test_a_queue_event_that_switches_nothing_starts_no_task_and_a_switch_does(prompts, companions):
    """The callers' decisions wait behind the main loop's work: a task per queue event was such work."""
    ami = FakeAmi()
    announcer = Announcer(CONFIG, ami, prompts, Whispers(ami, companions), now=lambda: NOW)
    announcer.attach()
    try:
        before = asyncio.all_tasks()
        ami.emit(JOIN)
        ami.emit({**JOIN, "Event": "QueueCallerLeave"})
        assert asyncio.all_tasks() == before and ami.sent == []
        for n in range(announcer.overflow.on_callers):
            ami.emit({**JOIN, "Channel": f"PJSIP/trunk-{n:08}", "Position": str(n + 1)})
        await asyncio.sleep(0.01)
        # The overflow position's penalty and pause, through QUEUE_MEMBER (bereik.pbx.members: no agent class).
        assert {sent["Action"] for sent in ami.sent} == {"Setvar"}
        assert any("QUEUE_MEMBER(tic,penalty," in sent.get("Variable", "") for sent in ami.sent)
        assert announcer.overflow.on
    finally:
        announcer.close()
