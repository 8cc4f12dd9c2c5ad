"""A month in miniature on the real Asterisk: calls answered, abandoned, fallen back, called back and refused
at the PBX, placed with SIPp; the report counted from bereik's store gives the successful contact and the
technical reachability of what the test placed.

The PBX has four lines from outside (the provider's limit, as a GROUP_COUNT in front of bereik's entry; a
fifth caller is turned away with cause 34, 'no circuit available'). One ring (5 s) before a direct call falls
back; the waiting message after one ring offers the call-back. The front office's positions are paused until
the second part, when 201 and 203 answer: the call-back's stand-in first, which rings the caller's own phone
behind the trunk (127.0.0.1:5080); answered for more than a second, the call-back closes its note on time.
"""
import asyncio
import datetime as dt
from pathlib import Path

import pytest

from bereik.callbacks.store import CALLED_BACK, CallbackStore, WorkingDays
from bereik.config.model import BackOffice
from bereik.pbx.dialplan import INBOUND_CONTEXT
from bereik.records.store import SqliteStore
from bereik.reports.figures import from_store
from bereik.reports.schema import ReportRequest
from bereik.service import Service, pretend_clock

from helpers import FRONT_OFFICE, generated_with_observer, observe, pause, recorded, render_prompts, until, waiting_and_call_back_messages
from tests.examples import example_config

EXAMPLE = Path(__file__).parents[2] / "examples" / "bloemendaal.yaml"
_EXAMPLE = example_config()
CONFIG = _EXAMPLE.model_copy(update={
    "back_office": BackOffice(rings=1, camp_on_seconds=6),
    "waiting": _EXAMPLE.waiting.model_copy(update={
        "first_after_rings": 1, "callback_offer_callers_ahead": 0,
        "overflow": _EXAMPLE.waiting.overflow.model_copy(update={"on_callers": 50, "on_wait_seconds": 3600}),
    }),
    "callbacks": _EXAMPLE.callbacks.model_copy(update={"answered_seconds": 1}),
})
NETWORK = ("127.0.0.1", 5080)  # behind the trunk: where the caller's own phone answers the call-back
LINES = 4
LINES_CONTEXT = "test-provider-lines"
GIJS, FRONT_201, FRONT_203 = "127.0.1.13", "127.0.1.1", "127.0.1.3"
FEMKE_DIRECT, VERGUNNINGEN, GENERAL = "0235115302", "0235115300", "14023"
BURGERZAKEN = [("asked", "1"), ("asked", "1")]  # Bloemendaal, then topic 1 (positions 201 and 203)


def a_working_monday(config) -> dt.datetime:
    """The next Monday that is a working day, 10:00: the office is open, whatever day the test runs."""
    days = WorkingDays(config)
    day = dt.date.today() + dt.timedelta(days=(7 - dt.date.today().weekday()) % 7 or 7)
    while not days.is_working_day(day):
        day += dt.timedelta(days=7)
    return dt.datetime.combine(day, dt.time(10, 0))


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    directory, secrets = generated_with_observer(CONFIG, tmp_path_factory.mktemp("asterisk-report-month"), str(EXAMPLE))
    # The provider's lines: calls from the trunk pass a GROUP_COUNT before bereik's entry.
    pjsip = (directory / "pjsip.conf").read_text()
    trunk = pjsip.index("[trunk]\ntype=endpoint\n")
    (directory / "pjsip.conf").write_text(
        pjsip[:trunk] + pjsip[trunk:].replace(f"context={INBOUND_CONTEXT}", f"context={LINES_CONTEXT}", 1))
    with open(directory / "extensions.conf", "a") as extensions:
        extensions.write(f"""
[{LINES_CONTEXT}]
exten => _X.,1,Set(GROUP()=lines)
 same => n,GotoIf($[${{GROUP_COUNT(lines)}} > {LINES}]?full)
 same => n,Goto({INBOUND_CONTEXT},${{EXTEN}},1)
 same => n(full),Hangup(34)
""")
    return directory, secrets


@pytest.fixture
async def pbx(asterisk, ami, generated):
    instance = asterisk(generated[0])
    render_prompts(instance, CONFIG, waiting_and_call_back_messages)
    return instance, await observe(instance, ami, paused=FRONT_OFFICE)


@pytest.fixture
async def bereik(pbx, generated, tmp_path):
    instance, _ = pbx
    _, secrets = generated
    config = recorded(CONFIG, instance,
                      back_office=CONFIG.back_office.model_copy(update={"forwarding_store": str(tmp_path / "fwd.sqlite3")}))
    store = SqliteStore(tmp_path / "calls.sqlite3")
    service = Service(config, secrets, instance.sounds_dir, clock=pretend_clock(CONFIG, a_working_monday(CONFIG)),
                      store=store, callback_store=CallbackStore(store, CONFIG.zone))
    await service.start()
    yield service
    await service.stop()
    store.close()


def by_caller(number: str):
    return lambda e: e.get("CallerIDNum") == number


async def test_a_month_in_miniature_gives_the_successful_contact_and_technical_reachability_placed(
        pbx, bereik, sipp, generated):
    _, events = pbx
    ended: dict[str, object] = {}
    all_ended = asyncio.Event()
    placed = {f"06110000{i:02d}" for i in (1, 2, 3, 4, 5, 6, 10, 11)}  # from outside, the two refused included

    def row_changed(row) -> None:
        if row.ended_at is not None and not row.inside:
            ended[row.call_id] = row
            if placed <= {r.caller for r in ended.values()}:
                all_ended.set()

    bereik.recorder.on_row(row_changed)

    # Part one, the four lines taken: Gijs answers the department's number; two callers for Femke fall back
    # to the (paused) front office, where one asks for the call-back offered (9, then 1 to confirm the number
    # read back) and one gives up; a caller in the menu's queue gives up too.
    gijs = sipp.phone(GIJS, behaviour="answer", ring_seconds=0.5)
    answered_direct = sipp.call(VERGUNNINGEN, talk_seconds=20, from_user="0611000001")
    calls_back = sipp.call(FEMKE_DIRECT, talk_seconds=60, dtmf=[("whispered", "9"), ("whispered", "1")],
                          from_user="0611000002")
    gives_up_fallen_back = sipp.call(FEMKE_DIRECT, talk_seconds=26, from_user="0611000003")
    gives_up_in_queue = sipp.call(GENERAL, talk_seconds=26, dtmf=BURGERZAKEN, from_user="0611000004")
    for number in ("0611000001", "0611000002", "0611000003", "0611000004"):
        await events.wait_for_event("Newexten", lambda e, n=number: e.get("Context") == INBOUND_CONTEXT
                                    and e.get("CallerIDNum") == n, timeout=20)
    refused = [sipp.call(GENERAL, talk_seconds=2, from_user=f"061100001{i}") for i in range(2)]
    for i in range(2):
        await events.wait_for_event("Hangup", lambda e, n=f"061100001{i}": e.get("CallerIDNum") == n
                                    and e.get("Cause") == "34", timeout=20)
    for caller in refused:
        assert await asyncio.to_thread(caller.wait, 20) != 0  # the caller was turned away, not answered
    await events.wait_for_event("DialEnd", lambda e: by_caller("0611000001")(e) and e.get("DialStatus") == "ANSWER",
                                timeout=20)
    for number in ("0611000003", "0611000004"):
        await events.wait_for_event("QueueCallerAbandon", by_caller(number), timeout=40)
    await events.wait_for_event("QueueCallerLeave", by_caller("0611000002"), timeout=40)
    stand_in = await events.wait_for_event("QueueCallerJoin", lambda e: e["Channel"].startswith("Local/"), timeout=10)
    assert stand_in["CallerIDNum"] == "0611000002"  # the call-back keeps her place in the queue
    [note] = bereik.callback_store.open_for_number("0611000002")

    # Part two: the front office answers the call-back's stand-in (it rings the caller's own phone), a caller
    # for Femke who fell back, and a caller from the menu.
    caller_phone = sipp.phone(NETWORK[0], port=NETWORK[1], ring_seconds=0.3)
    phones = [sipp.phone(FRONT_201, ring_seconds=0.3, calls=2), sipp.phone(FRONT_203, ring_seconds=0.3, calls=2)]
    for extension in ("201", "203"):
        await pause(events, extension, False)
    taken_by_front_office = sipp.call(FEMKE_DIRECT, talk_seconds=22, from_user="0611000005")
    answered_front = sipp.call(GENERAL, talk_seconds=14, dtmf=BURGERZAKEN, from_user="0611000006")
    await events.wait_for_event("AgentConnect", lambda e: e["Channel"] == stand_in["Channel"], timeout=20)
    rang = await events.wait_for_event("DialBegin", lambda e: e.get("DestChannel", "").startswith("PJSIP/trunk-"),
                                       timeout=20)
    answered = await events.wait_for_event("DialEnd", lambda e: e.get("DestChannel") == rang["DestChannel"],
                                           timeout=20)
    assert answered["DialStatus"] == "ANSWER"
    # They talk past callbacks.answered_seconds, by Asterisk's clock; then the caller hangs up.
    await events.wait_for_event("RTCPSent", lambda e: float(e.get("Timestamp", 0))
                                > float(answered["Timestamp"]) + 1.5, timeout=20)
    await events.send_action({"Action": "Hangup", "Channel": rang["DestChannel"]})
    await events.wait_for_event("UserEvent", lambda e: e.get("UserEvent") == "BereikCallback", timeout=10)
    for number in ("0611000005", "0611000006"):
        await events.wait_for_event("AgentConnect", by_caller(number), timeout=40)
    # A colleague's call from a desk phone passes no provider's line and is not a citizen's call.
    inside = sipp.call("303", local_ip="127.0.1.21", talk_seconds=3, from_user="311",
                       auth=("311", generated[1].phone("311")))  # a desk phone answers Asterisk's challenge

    for caller in (answered_direct, calls_back, gives_up_fallen_back, gives_up_in_queue, taken_by_front_office,
                   answered_front, inside):
        await caller.succeeds(70)
    try:
        await asyncio.wait_for(all_ended.wait(), 30)
    except TimeoutError:
        raise AssertionError(f"bereik saw these calls end: {sorted(r.caller for r in ended.values())}") from None
    # The call-back closed its note by itself: called back, on time.
    closed = await until(lambda: bereik.callback_store.get(note.id), lambda n: n.closed)
    assert closed.outcome == CALLED_BACK and closed.on_time
    bereik.recorder.flush()
    for party in (gijs, caller_phone, *phones):
        party.stop()

    today, pretended = dt.date.today(), note.created_at.date()
    # The calls carry Asterisk's clock (today), the note bereik's pretended Monday: a period over both, with
    # the note's deadline two working days later.
    period = ReportRequest(start=min(today, pretended) - dt.timedelta(days=1),
                           end=max(today, pretended) + dt.timedelta(days=7))
    report = from_store(bereik.store, bereik.config, period, bereik.callback_store)
    figures = {f.id: f for f in report.figures}
    rows = {row.caller: row for row in bereik.store.calls(*period.bounds(CONFIG.zone))
            if not row.inside and row.call_id in ended}
    assert set(rows) == placed
    assert [rows[f"061100001{i}"].refused for i in range(2)] == [True, True]
    # Technical reachability: 6 of the 8 calls from outside were not turned away.
    assert (figures["technical_reachability"].value, figures["technical_reachability"].count) == (0.75, 8)
    # Successful contact over the 4 calls for a colleague: Gijs answered, Femke's first caller was called
    # back on time, the front office took her third; her second caller gave up in the queue.
    assert (figures["successful_contact"].value, figures["successful_contact"].count) == (0.75, 4)
    assert (figures["direct_reachability"].value, figures["direct_reachability"].count) == (0.25, 4)
    assert figures["callbacks_on_time"].value == 1.0
    # The front office: five callers queued (three fallen back, two from the menu), two answered, two gave up
    # (the one who pressed the call-back key did not: she asked to be called back).
    assert (figures["abandoned"].value, figures["abandoned"].count) == (0.4, 5)
    assert (rows["0611000003"].fallback, rows["0611000003"].abandoned) == (True, True)
    assert rows["0611000002"].callback_requested and not rows["0611000002"].abandoned and rows["0611000005"].agent
