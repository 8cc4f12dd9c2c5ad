"""The AMI adapter against a local server speaking AMI's wire format, as Asterisk does."""
import asyncio

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bereik.pbx import variables as var
from bereik.pbx.ami import AmiClient, AmiError, plain_event
from bereik.pbx.backoff import Backoff
from tests.polling import until


class RecordedAmi:
    """Greets, accepts Login, answers actions from a script and can push events or drop the line."""

    def __init__(self, replies: dict[str, str]):
        self.replies = replies
        self.received: list[dict[str, str]] = []
        self.logins = 0
        self.writers: list[asyncio.StreamWriter] = []
        self.hanging_up = False  # like an Asterisk still starting: accept, then close at once
        self.hung_up = 0
        self.drop_after: str | None = None  # like Asterisk resetting a session during its boot: once, after this reply

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self.server.sockets[0].getsockname()[1]

    async def _serve(self, reader, writer):
        if self.hanging_up:
            self.hung_up += 1
            writer.close()
            return
        self.writers.append(writer)
        writer.write(b"Asterisk Call Manager/9.0.0\r\n")
        while True:
            block = await reader.readuntil(b"\r\n\r\n") if not reader.at_eof() else b""
            if not block:
                break
            action = dict(line.split(": ", 1) for line in block.decode().strip().split("\r\n"))
            self.received.append(action)
            action_id = action.get("ActionID", "")
            name = action["Action"]
            if name == "Login":
                self.logins += 1
                reply = "Response: Success\r\nMessage: Authentication accepted\r\n"
                writer.write(f"{reply}ActionID: {action_id}\r\n\r\n".encode())
                writer.write(b"Event: FullyBooted\r\nPrivilege: system,all\r\nStatus: Fully Booted\r\n\r\n")
            else:
                writer.write(self.replies[name].format(id=action_id).encode())
            await writer.drain()
            if name == self.drop_after:
                self.drop_after = None
                self.drop_connections()
                return

    async def push(self, text: str) -> None:
        for writer in self.writers:
            writer.write(text.encode())
            await writer.drain()

    def drop_connections(self) -> None:
        for writer in self.writers:
            writer.close()
        self.writers.clear()

    async def close(self):
        self.drop_connections()
        self.server.close()


QUEUE_SUMMARY = (
    "Response: Success\r\nEventList: start\r\nMessage: Queue summary will follow\r\nActionID: {id}\r\n\r\n"
    "Event: QueueSummary\r\nQueue: tic\r\nLoggedIn: 4\r\nAvailable: 3\r\nCallers: 1\r\nActionID: {id}\r\n\r\n"
    "Event: QueueSummaryComplete\r\nEventList: Complete\r\nListItems: 1\r\nActionID: {id}\r\n\r\n"
)
ATXFER_QUEUED = "Response: Success\r\nMessage: Atxfer successfully queued\r\nActionID: {id}\r\n\r\n"
LISTING = "Response: Success\r\nActionID: {id}\r\n{actions}\r\n"
ERROR = "Response: Error\r\nMessage: No such channel\r\nActionID: {id}\r\n\r\n"


def rereads(client: AmiClient) -> list[str]:
    """The queue's callers as re-read after each login (as bereik's service re-reads its queues), in order."""
    summaries = []

    async def reread():
        summaries.append((await client.action("QueueSummary"))[1]["Callers"])

    client.on_login(reread)
    return summaries


@pytest.fixture
async def ami():
    server = RecordedAmi({"QueueSummary": QUEUE_SUMMARY, "Atxfer": ATXFER_QUEUED, "Hangup": ERROR,
                          "Ping": "Response: Success\r\nPing: Pong\r\nActionID: {id}\r\n\r\n"})
    port = await server.start()
    client = AmiClient("127.0.0.1", port, "bereik", "s3cret-s3cret-s3cret", action_timeout=2,
                       backoff=Backoff(first=0, cap=0))
    yield server, client
    client.close()
    await server.close()


async def test_a_list_action_returns_its_events(ami):
    server, client = ami
    await client.connect()
    replies = await client.action("QueueSummary")
    assert [r.get("Event") for r in replies] == [None, "QueueSummary", "QueueSummaryComplete"]
    assert replies[1]["Available"] == "3"


async def test_successfully_queued_replies_do_not_break_the_connection(ami):
    # panoramisk 1.4 issue #90: without an Async header this raised KeyError and dropped AMI.
    server, client = ami
    await client.connect()
    [reply] = await client.action("Atxfer", Channel="PJSIP/201-00000001", Exten="301")
    assert reply["Message"] == "Atxfer successfully queued"
    assert (await client.action("QueueSummary"))[1]["Queue"] == "tic"


async def test_an_error_response_raises_with_asterisks_reason(ami):
    server, client = ami
    await client.connect()
    with pytest.raises(AmiError, match="No such channel"):
        await client.action("Hangup", Channel="PJSIP/999-00000001")


@pytest.mark.parametrize("value", ["PJSIP/201\r\nAction: Originate", "a\nb", "nul\0"])
async def test_line_breaks_in_values_never_reach_the_wire(ami, value):
    server, client = ami
    await client.connect()
    sent_before = len(server.received)
    with pytest.raises(AmiError, match="line break or NUL"):
        await client.action("Hangup", Channel=value)
    assert len(server.received) == sent_before


async def test_an_unanswered_action_times_out(ami):
    server, client = ami
    server.replies["Status"] = ""  # Asterisk never answers
    await client.connect()
    with pytest.raises(AmiError, match="did not answer Status"):
        await client.action("Status", timeout=0.3)


async def test_events_arrive_as_plain_dicts_with_channel_variables(ami):
    server, client = ami
    seen = []
    client.on_event("QueueCallerJoin", seen.append)
    await client.connect()
    await server.push(
        "Event: QueueCallerJoin\r\nChannel: PJSIP/trunk-00000001\r\nQueue: tic\r\nPosition: 1\r\n"
        "ChanVariable: BEREIK_TOPIC=afval\r\nChanVariable: BEREIK_CHOICE=2\r\n\r\n"
    )
    await until(lambda: seen, 1, "the pushed QueueCallerJoin event delivered", step=0.02)
    [event] = seen
    assert event["Queue"] == "tic"
    assert event["ChanVariable(BEREIK_TOPIC)"] == "afval" and event["ChanVariable(BEREIK_CHOICE)"] == "2"
    # /metrics: bereik_ami_events_total; FullyBooted (after the login) took panoramisk's own path
    assert client.events_read == {"FullyBooted": 1, "QueueCallerJoin": 1}


async def test_the_one_joined_channelvar_arrives_as_each_variable_in_events_and_in_replies(ami):
    joined = f"ChanVariable: {var.IN_AMI_EVENTS_FUNCTION}=" + var.FIELD_SEPARATOR.join(
        {var.TOPIC: "afval", var.CHOICE: "2", var.CALLBACK: "17"}.get(name, "") for name in var.IN_AMI_EVENTS)
    server, client = ami
    seen = []
    client.on_event("QueueCallerJoin", seen.append)
    # Status answers with one event per channel, carrying the ActionID: panoramisk's path (plain_event).
    server.replies["Status"] = (
        "Response: Success\r\nEventList: start\r\nActionID: {id}\r\n\r\n"
        f"Event: Status\r\nChannel: PJSIP/trunk-00000001\r\n{joined.replace('{', '{{').replace('}', '}}')}\r\n"
        "ActionID: {id}\r\n\r\nEvent: StatusComplete\r\nEventList: Complete\r\nActionID: {id}\r\n\r\n")
    await client.connect()
    await server.push(f"Event: QueueCallerJoin\r\nChannel: PJSIP/trunk-00000001\r\nQueue: tic\r\n{joined}\r\n\r\n")
    status = await client.action("Status")
    await until(lambda: seen, 1, "the pushed QueueCallerJoin event delivered", step=0.02)
    for event in (seen[0], status[1]):
        assert (event["ChanVariable(BEREIK_TOPIC)"], event["ChanVariable(BEREIK_CHOICE)"]) == ("afval", "2")
        assert (event["ChanVariable(BEREIK_CALLBACK)"], event["ChanVariable(BEREIK_REASON)"]) == ("17", "")
        assert not [key for key in event if "EVAL" in key]


async def test_state_is_re_read_after_every_login_including_reconnects(ami):
    server, client = ami
    summaries = rereads(client)
    await client.connect()
    await until(lambda: summaries, 1, "the queues re-read after the first login", step=0.02)
    server.drop_connections()
    await until(lambda: server.logins >= 2 and len(summaries) >= 2, 4,
                "a second login after the drop, and the queues re-read again", step=0.02)
    assert server.logins == 2
    assert summaries == ["1", "1"]


async def test_a_lost_connection_is_told_at_once_so_a_screen_can_say_it_may_be_stale(ami):
    server, client = ami
    lost = []
    client.on_disconnect(lambda: lost.append(client.connected))
    await client.connect()
    assert lost == []
    server.drop_connections()
    await until(lambda: lost, 2, "the lost connection told", step=0.02)
    assert lost[:1] == [False], "told, and no longer counted as connected"


async def test_an_asterisk_that_keeps_hanging_up_is_tried_less_and_less_often_then_logged_in_again(ami):
    """The client backs off rather than knocking in a tight loop, and logs in once Asterisk answers."""
    server, client = ami
    client.backoff = Backoff(first=0.05, cap=0.4)
    client._jitter = lambda: 0.0  # waits of 0.025, 0.05, 0.1, 0.2, 0.2, ... s
    summaries = rereads(client)
    await client.connect()
    server.hanging_up = True
    server.drop_connections()
    await asyncio.sleep(1.0)
    assert 3 <= server.hung_up <= 9, f"{server.hung_up} tries in a second"
    server.hanging_up = False
    await until(lambda: len(summaries) >= 2, 2, "logged in again and the queues re-read", step=0.02)
    assert server.logins == 2 and summaries == ["1", "1"], "logged in again and re-read the state"


async def test_state_is_re_read_only_once_asterisk_offers_the_actions_after_a_restart(ami):
    server, client = ami
    server.replies["ListCommands"] = LISTING.format(actions="Ping: Ping (Priv: <none>)\r\n", id="{id}")
    client.ready_actions = ("QueueSummary",)
    summaries = rereads(client)
    await client.connect()
    await asyncio.sleep(0.5)
    assert summaries == [], "app_queue not loaded yet: nothing re-read, nothing refused"
    server.replies["ListCommands"] = LISTING.format(
        actions="Ping: Ping (Priv: <none>)\r\nQueueSummary: Show queue summary. (Priv: <none>)\r\n", id="{id}")
    await until(lambda: summaries, 2, "the queues re-read once QueueSummary is offered", step=0.02)
    assert summaries == ["1"]


async def test_a_session_dropped_just_after_it_looked_ready_is_not_re_read_the_next_one_is(ami, caplog):
    server, client = ami
    server.replies["ListCommands"] = LISTING.format(
        actions="QueueSummary: Show queue summary. (Priv: <none>)\r\n", id="{id}")
    server.drop_after = "ListCommands"
    client.ready_actions = ("QueueSummary",)
    summaries = rereads(client)
    await client.connect()
    await until(lambda: summaries, 2, "the queues re-read on the session that stayed", step=0.02)
    await asyncio.sleep(0.3)
    assert (server.logins, summaries) == (2, ["1"]), "re-read once, on the session that stayed"
    assert [a["Action"] for a in server.received].count("QueueSummary") == 1
    assert "failed" not in caplog.text


def test_plain_event_keeps_the_last_of_repeated_headers():
    assert plain_event({"Event": "X", "Key": ["a", "b"]}) == {"Event": "X", "Key": "b"}


EVENTS = [
    "Event: Newchannel\r\nPrivilege: call,all\r\nChannel: PJSIP/trunk-00000001\r\nUniqueid: 1.1\r\n"
    "ChanVariable: BEREIK_TOPIC=afval\r\nChanVariable: BEREIK_REASON=\r\n\r\n",
    "Event: QueueCallerJoin\r\nQueue: tic\r\nPosition: 1\r\nCallerIDName: Jan: de Vries\r\n"
    "ChanVariable: BEREIK_TOPIC=a=b\r\n\r\n",
    # Events of a list answer carry the ActionID; panoramisk keeps them with the action.
    "Event: QueueMember\r\nQueue: tic\r\nActionID: list-1\r\nName: Anna\r\n\r\n",
    "Event: Hangup\r\nChannel: PJSIP/trunk-00000001\r\nUniqueid: 1.1\r\nCause-txt: Normal Clearing\r\n\r\n",
]


@given(st.lists(st.integers(min_value=1, max_value=400), max_size=12))
def test_events_read_in_any_chunks_equal_panoramisks_reading(cuts):
    from panoramisk.message import Message

    from bereik.pbx.ami import EventProtocol

    delivered, through_panoramisk = [], []
    protocol = EventProtocol(delivered.append)
    protocol.version, protocol.queue, protocol.responses = "9.0.0", __import__("collections").deque(), {}
    protocol.factory = type("Factory", (), {"dispatch": lambda self, message: through_panoramisk.append(message)})()
    wire = "".join(EVENTS).encode()
    edges = sorted({0, len(wire), *(min(cut * 7, len(wire)) for cut in cuts)})
    for start, end in zip(edges, edges[1:]):
        protocol.data_received(wire[start:end])
    # panoramisk adds its Message's empty body as "content"; no event has one
    expected = [{k: v for k, v in plain_event(Message.from_line(block.strip())).items() if k != "content"}
                for block in EVENTS]
    assert delivered == [expected[0], expected[1], expected[3]]
    assert [{k: v for k, v in plain_event(m).items() if k != "content"} for m in through_panoramisk] == [expected[2]]
    assert delivered[1]["CallerIDName"] == "Jan: de Vries" and delivered[1]["ChanVariable(BEREIK_TOPIC)"] == "a=b"
