"""What bereik missed while it was down, filled in from Asterisk's channels (Status) and its CEL log."""
import csv

from bereik.pbx import cel
from bereik.pbx.facts import calls_up, fact_of
from bereik.pbx.records import SOURCE, RecordsFeed, cel_facts
from bereik.records import reconcile as records
from bereik.records.journey import FROM_AGENT_COMPLETED, Journey, JourneyBook, Step

T = 1795424400.0
CALLER, AGENT = "1795424400.0", "1795424410.1"


def cel_file(tmp_path, rows):
    path = tmp_path / "bereik.csv"
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL)
        for kind, at, uniqueid, channel, app, data, extra in rows:
            writer.writerow([kind, f"{T + at:.6f}", uniqueid, CALLER, channel, app, data, "14023", "0612345678", extra])
        handle.write('"HANGUP","17954')  # a line cut short by a crash
    return path


def story(tmp_path):
    return cel.read(cel_file(tmp_path, [
        ("CHAN_START", 0, CALLER, "PJSIP/trunk-00000000", "", "", ""),
        ("ANSWER", 0.1, CALLER, "PJSIP/trunk-00000000", "Answer", "", ""),
        ("APP_START", 5, CALLER, "PJSIP/trunk-00000000", "Queue", "tic,rtx", ""),
        ("CHAN_START", 5.1, AGENT, "PJSIP/201-00000001", "", "", ""),
        ("BRIDGE_ENTER", 12, AGENT, "PJSIP/201-00000001", "AppQueue", "(Outgoing Line)", "{}"),
        ("BRIDGE_ENTER", 12, CALLER, "PJSIP/trunk-00000000", "Queue", "tic,rtx", "{}"),
        ("HANGUP", 70, CALLER, "PJSIP/trunk-00000000", "", "", '{"hangupcause":16}'),
    ]), [CALLER, "other"])


def reconcile(journeys, live, cel, now, agent_names={}, open_at_login=None):
    """What Asterisk's Status action and CEL tell, through the adapter, reconciled."""
    return records.reconcile(journeys, calls_up(live), cel_facts(cel, agent_names), now, open_at_login, SOURCE)


def waiting_journey():
    journey = Journey(CALLER, dialled="14023")
    journey.steps = [Step(T, "entered"), Step(T + 0.1, "answered"), Step(T + 5, "queued", {"queue": "tic"})]
    return journey


def test_a_call_that_was_answered_and_ended_while_bereik_was_down(tmp_path):
    journeys = {CALLER: waiting_journey()}
    [changed] = reconcile(journeys, live=[], cel=story(tmp_path), now=T + 500,
                          agent_names={"PJSIP/201": "Anna"})
    assert [s.what for s in changed.steps] == ["entered", "answered", "queued", "agent_answered", "hung_up"]
    assert changed.first("agent_answered").detail == {"agent": "Anna", "interface": "PJSIP/201", "from": "cel"}
    assert changed.first("hung_up").at == T + 70 and changed.ended


def test_without_cel_a_vanished_call_is_closed_at_the_login_and_marked_so():
    journeys = {CALLER: waiting_journey()}
    [changed] = reconcile(journeys, live=[], cel=[], now=T + 500)
    assert (changed.steps[-1].what, changed.steps[-1].at, changed.steps[-1].detail["from"]) == ("hung_up", T + 500,
                                                                                                "gone")


def test_a_call_still_up_gets_its_gaps_filled_and_stays_open(tmp_path):
    journeys = {CALLER: waiting_journey()}
    records = [r for r in story(tmp_path) if r.eventtype != "HANGUP"]
    live = [{"Event": "Status", "Uniqueid": CALLER, "Linkedid": CALLER, "Seconds": "30"},
            {"Event": "Status", "Uniqueid": AGENT, "Linkedid": CALLER, "Seconds": "20"}]
    [changed] = reconcile(journeys, live, records, now=T + 30)
    assert changed.first("agent_answered") is not None and not changed.ended


def test_a_call_that_began_while_bereik_was_down_is_picked_up():
    live = [{"Event": "Status", "Uniqueid": "new", "Linkedid": "new", "Seconds": "42", "CallerIDNum": "0611111111",
             "Exten": "14023", "Channel": "PJSIP/trunk-0000000a"}]
    journeys: dict[str, Journey] = {}
    [changed] = reconcile(journeys, live, [], now=T + 100)
    assert changed.first("entered").at == T + 58 and journeys["new"].caller_number == "0611111111"


def test_what_ami_reported_wins_and_nothing_is_added_twice(tmp_path):
    journey = waiting_journey()
    journey.steps.append(Step(T + 12.001, "agent_answered", {"agent": "Anna"}))
    journeys = {CALLER: journey}
    live = [{"Event": "Status", "Uniqueid": CALLER, "Linkedid": CALLER, "Seconds": "30"}]
    records = [r for r in story(tmp_path) if r.eventtype != "HANGUP"]
    assert reconcile(journeys, live, records, now=T + 30) == []
    assert [s.what for s in journey.steps].count("agent_answered") == 1


def test_a_call_ami_ended_while_the_login_was_under_way_still_gets_its_gaps_filled(tmp_path):
    journey = waiting_journey()
    journey.steps.append(Step(T + 70.001, "hung_up", {"cause": "Normal Clearing"}))
    journey.ended = True
    journeys = {CALLER: journey}
    live = [{"Event": "Status", "Uniqueid": CALLER, "Linkedid": CALLER, "Seconds": "30"}]
    [changed] = reconcile(journeys, live, story(tmp_path), now=T + 30, open_at_login={CALLER})
    assert [s.what for s in changed.steps] == ["entered", "answered", "queued", "agent_answered", "hung_up"]


def test_a_call_that_began_and_ended_while_ami_was_disconnected_comes_from_cel(tmp_path):
    path = cel_file(tmp_path, [
        ("CHAN_START", 0, CALLER, "PJSIP/trunk-00000000", "", "", ""),
        ("ANSWER", 0.1, CALLER, "PJSIP/trunk-00000000", "Answer", "", ""),
        ("HANGUP", 9, CALLER, "PJSIP/trunk-00000000", "", "", '{"hangupcause":16}'),
    ])
    assert cel.read(path, [], since=T + 1) == [], "began before the last event bereik saw: known already"
    records = cel.read(path, [], since=T - 1)
    journeys: dict[str, Journey] = {}
    [changed] = reconcile(journeys, live=[], cel=records, now=T + 100, open_at_login=set())
    assert [s.what for s in changed.steps] == ["entered", "answered", "hung_up"]
    assert changed.ended and changed.first("hung_up").at == T + 9
    assert (changed.caller_number, changed.dialled) == ("0612345678", "14023")
    assert reconcile(journeys, live=[], cel=records, now=T + 200, open_at_login=set()) == [], "once"


def test_waiting_behind_a_colleagues_call_then_the_tic_is_camped_then_queued_as_ami_tells_it(tmp_path):
    records = cel.read(cel_file(tmp_path, [
        ("CHAN_START", 0, CALLER, "PJSIP/trunk-00000000", "", "", ""),
        ("ANSWER", 0.1, CALLER, "PJSIP/trunk-00000000", "Answer", "", ""),
        ("APP_START", 4, CALLER, "PJSIP/trunk-00000000", "Queue", "camp-301,rc,,,8", ""),
        ("APP_START", 13, CALLER, "PJSIP/trunk-00000000", "Queue", "tic,rtx", ""),
        ("HANGUP", 20, CALLER, "PJSIP/trunk-00000000", "", "", '{"hangupcause":16}'),
    ]), [], since=T - 1)
    journeys: dict[str, Journey] = {}
    [changed] = reconcile(journeys, live=[], cel=records, now=T + 100, open_at_login=set())
    assert [s.what for s in changed.steps] == ["entered", "answered", "camped", "queued", "hung_up"]
    assert changed.first("camped").detail == {"colleague": "301", "from": "cel"}
    assert changed.first("queued").detail["queue"] == "tic"


def test_a_call_that_fell_through_while_ami_was_away_gets_its_reason_from_cel(tmp_path):
    """The dialplan writes CELGenUserEvent(BEREIK_FELL_THROUGH,<reason>) as Asterisk's CEL shows it."""
    records = cel.read(cel_file(tmp_path, [
        ("CHAN_START", 0, CALLER, "PJSIP/trunk-00000000", "", "", ""),
        ("ANSWER", 0.1, CALLER, "PJSIP/trunk-00000000", "Answer", "", ""),
        (cel.FELL_THROUGH, 0.6, CALLER, "PJSIP/trunk-00000000", "CELGenUserEvent",
         f"{cel.FELL_THROUGH},failopen-FAILURE", '{"extra":"failopen-FAILURE"}'),
        ("APP_START", 0.6, CALLER, "PJSIP/trunk-00000000", "Queue", "tic,rtx,,,,,,topic-fallback,", ""),
        ("HANGUP", 30, CALLER, "PJSIP/trunk-00000000", "", "", '{"hangupcause":16}'),
    ]), [], since=T - 1)
    journeys: dict[str, Journey] = {}
    [changed] = reconcile(journeys, live=[], cel=records, now=T + 100)
    assert [s.what for s in changed.steps] == ["entered", "answered", "fell_through", "queued", "hung_up"]
    assert changed.first("fell_through").detail == {"reason": "failopen-FAILURE", "from": "cel"}
    assert changed.labels["reason"] == "failopen-FAILURE"


def test_cel_never_overrides_the_reason_ami_reported(tmp_path):
    journey = waiting_journey()
    journey.labels["reason"] = "menu_choice"
    records = cel.read(cel_file(tmp_path, [
        (cel.FELL_THROUGH, 4, CALLER, "PJSIP/trunk-00000000", "CELGenUserEvent", "", '{"extra":"watchdog"}'),
    ]), [CALLER])
    reconcile({CALLER: journey}, live=[], cel=records, now=T + 100)
    assert journey.labels["reason"] == "menu_choice"


def test_an_answer_cel_had_not_written_yet_when_bereik_read_it_is_told_by_the_agents_completion(tmp_path):
    """Under load Asterisk wrote the agent's BRIDGE_ENTER to CEL a few hundred ms after AMI's AgentConnect, after a
    restarted bereik had read the log (e2e, 2026-12-06); the live AgentComplete still tells the answer."""
    book = JourneyBook()
    book.journeys[CALLER] = waiting_journey()
    not_yet_written = [r for r in story(tmp_path) if r.eventtype not in ("BRIDGE_ENTER", "HANGUP")]
    live = [{"Event": "Status", "Uniqueid": CALLER, "Linkedid": CALLER, "Seconds": "30"}]
    reconcile(book.journeys, live, not_yet_written, now=T + 30)
    assert book.journeys[CALLER].first("agent_answered") is None
    leg = {"Uniqueid": CALLER, "Linkedid": CALLER, "Channel": "PJSIP/trunk-00000000"}
    book.apply(fact_of({"Event": "Hangup", **leg, "Timestamp": f"{T + 70.2}", "Cause": "16"}))
    book.apply(fact_of({"Event": "AgentComplete", **leg, "Timestamp": f"{T + 70.4}", "Queue": "tic",
                        "Interface": "PJSIP/201", "MemberName": "Anna", "HoldTime": "7", "TalkTime": "58"}))
    journey = book.journeys[CALLER]
    assert [s.what for s in journey.steps] == ["entered", "answered", "queued", "agent_answered", "hung_up",
                                               "agent_completed"]
    answered = journey.first("agent_answered")
    assert answered.detail == {"agent": "Anna", "interface": "PJSIP/201", "hold_seconds": "7",
                               "from": FROM_AGENT_COMPLETED}
    assert abs(answered.at - (T + 12)) < 1, "TalkTime counts whole seconds"


class SeenRecorder:
    """What RecordsFeed asks of the recorder (the newest event seen, the open calls) and what it hands over."""

    def __init__(self):
        self.last_event_at, self.missed = 0.0, None

    def open_calls(self):
        return set()

    def reconcile(self, live, missed, open_at_login, source):
        self.missed = list(missed)


class LoginsAndLosses:
    """An AMI client's callbacks, run by the test; Asterisk has no call up."""

    def __init__(self):
        self.logins, self.losses = [], []

    def on_login(self, callback):
        self.logins.append(callback)

    def on_disconnect(self, callback):
        self.losses.append(callback)

    async def action(self, name, **headers):
        return [{"Response": "Success"}]


def a_call_from_10_to_12_s(tmp_path):
    return cel_file(tmp_path, [
        ("CHAN_START", 10, CALLER, "PJSIP/trunk-00000000", "", "", ""),
        ("ANSWER", 10.1, CALLER, "PJSIP/trunk-00000000", "Answer", "", ""),
        ("HANGUP", 12, CALLER, "PJSIP/trunk-00000000", "", "", '{"hangupcause":16}'),
    ])


async def test_a_call_made_while_ami_was_away_is_read_though_the_next_sessions_events_came_first(tmp_path):
    recorder, ami = SeenRecorder(), LoginsAndLosses()
    RecordsFeed(recorder, ami, a_call_from_10_to_12_s(tmp_path)).attach()
    recorder.last_event_at = T + 1  # the last event before the connection went
    for lost in ami.losses:
        lost()
    recorder.last_event_at = T + 50  # the next session's first events, before Asterisk was ready for the re-read
    for reread in ami.logins:
        await reread()
    assert {fact.call for fact in recorder.missed} == {CALLER}


async def test_at_bereiks_start_no_call_of_before_is_read_from_cel_though_events_came_first(tmp_path):
    recorder, ami = SeenRecorder(), LoginsAndLosses()
    RecordsFeed(recorder, ami, a_call_from_10_to_12_s(tmp_path)).attach()
    recorder.last_event_at = T + 13  # a new call's events, before Asterisk was ready for the re-read
    for reread in ami.logins:
        await reread()
    assert recorder.missed == [], "a call of before bereik started (another test's, another run's) is not ours"
