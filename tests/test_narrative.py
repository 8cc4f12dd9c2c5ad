"""Journeys rebuilt from AMI events as Asterisk sends them, and told as the caller experienced them."""
from bereik import facts as f
from bereik.records.journey import JourneyBook
from bereik.records.narrative import describe
from tests.ami_facts import told

CALLER = {"Uniqueid": "1700.1", "Linkedid": "1700.1", "Channel": "PJSIP/trunk-00000001"}
AGENT_LEG = {"Uniqueid": "1700.2", "Linkedid": "1700.1", "Channel": "PJSIP/201-00000002"}


def events_of_an_answered_call():
    return [
        {"Event": "Newchannel", **CALLER, "CallerIDNum": "0612345678", "CallerIDName": "Jan", "Exten": "14023",
         "Timestamp": "100.0"},
        {"Event": "Newstate", **CALLER, "ChannelStateDesc": "Up", "Timestamp": "100.1"},
        {"Event": "QueueCallerJoin", **CALLER, "Queue": "tic", "Position": "2", "Timestamp": "104.0",
         "ChanVariable(BEREIK_TOPIC)": "afval", "ChanVariable(BEREIK_CHOICE)": "2",
         "ChanVariable(BEREIK_MUNICIPALITY)": "Bloemendaal", "ChanVariable(BEREIK_REASON)": "menu_choice"},
        {"Event": "Newchannel", **AGENT_LEG, "Exten": "14023", "Timestamp": "104.1"},
        {"Event": "Newstate", **AGENT_LEG, "ChannelStateDesc": "Up", "Timestamp": "110.0"},
        {"Event": "AgentConnect", **CALLER, "Queue": "tic", "MemberName": "Anna de Vries",
         "Interface": "PJSIP/201", "HoldTime": "6", "RingTime": "2", "Timestamp": "110.0"},
        {"Event": "Hangup", **AGENT_LEG, "Timestamp": "160.0"},
        {"Event": "Hangup", **CALLER, "Cause-txt": "Normal Clearing", "Timestamp": "160.0"},
    ]


def test_only_the_caller_leg_makes_a_journey_and_its_steps_are_in_order():
    book = JourneyBook()
    for event in events_of_an_answered_call():
        told(book, event)
    [journey] = book.journeys.values()
    assert [s.what for s in journey.steps] == ["entered", "answered", "queued", "agent_answered", "hung_up"]
    assert journey.seconds_between("answered", "queued") == 3.9
    assert journey.labels["topic"] == "afval" and journey.ended


def test_the_story_is_dutch_by_default_masks_the_number_and_english_on_request():
    book = JourneyBook()
    for event in events_of_an_answered_call():
        told(book, event)
    journey = next(iter(book.journeys.values()))
    dutch = describe(journey)
    assert "Beller 06******78 belde 14023" in dutch
    assert "menukeuze 2 (afval)" in dutch and "Opgenomen door Anna de Vries na 6 s wachten" in dutch
    assert "0612345678" not in dutch
    assert "Answered by Anna de Vries after 6 s waiting" in describe(journey, "en")


def test_a_closed_call_names_the_reason():
    book = JourneyBook()
    told(book, {"Event": "Newchannel", **CALLER, "CallerIDNum": "", "Exten": "14023", "Timestamp": "1"})
    told(book, {"Event": "Hangup", **CALLER, "ChanVariable(BEREIK_REASON)": "holiday", "Timestamp": "11"})
    story = describe(next(iter(book.journeys.values())))
    assert story.startswith("Een anonieme beller") and "Gesloten (feestdag)" in story


def test_a_caller_number_with_a_line_break_is_kept_as_digits_only():
    book = JourneyBook()
    journey = told(book, {"Event": "Newchannel", **CALLER, "CallerIDNum": "06\n12\r\nagi_x: 1", "Timestamp": "1"})
    assert journey.caller_number == "06121"  # digits only: no line break survives


def test_events_of_unknown_calls_or_kinds_are_ignored():
    book = JourneyBook()
    assert told(book, {"Event": "QueueCallerJoin", **CALLER}) is None
    assert told(book, {"Event": "SomethingNew"}) is None
    assert book.journeys == {}


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

KEYS = ["Event", "Uniqueid", "Linkedid", "Timestamp", "ChannelStateDesc", "Queue", "Position", "MemberName",
        "HoldTime", "CallerIDNum", "Exten", "ChanVariable(BEREIK_REASON)", "DestChannel", "Cause-txt"]
NAMES = ["Newchannel", "Newstate", "QueueCallerJoin", "AgentConnect", "QueueCallerAbandon", "DialBegin", "Hangup"]
values = st.one_of(st.sampled_from(["1700.1", "100.5", "Up", "tic", ""]), st.text(max_size=20))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.dictionaries(st.sampled_from(KEYS), values).map(
    lambda e: e if "Event" not in e else {**e, "Event": NAMES[hash(e["Event"]) % len(NAMES)]}), max_size=30))
def test_malformed_or_out_of_order_ami_events_never_break_the_book(events):
    book = JourneyBook()
    for event in events:
        told(book, event)
    for journey in book.journeys.values():
        assert isinstance(describe(journey), str) and isinstance(describe(journey, "en"), str)


def test_a_journey_rebuilt_without_hold_times_or_names_is_still_told():
    """What Asterisk's CEL log tells after a restart: no position, no hold time, no agent's name."""
    book = JourneyBook()
    for fact in (f.CallEntered(call="9.1", leg="9.1", at=100.0, caller_number="0612345678", dialled="14023"),
                 f.QueueJoined(call="9.1", leg="9.1", at=104.0, queue="tic"),
                 f.AgentConnected(call="9.1", leg="9.1", at=110.0, queue="tic", member="PJSIP/201"),
                 f.QueueAbandoned(call="9.1", leg="9.1", at=111.0, queue="tic"),
                 f.CallEnded(call="9.1", leg="9.1", at=160.0, cause="16")):
        book.apply(fact)
    [journey] = book.journeys.values()
    story = describe(journey)
    assert "In de wachtrij 'tic' na 4.0 s." in story
    assert "Opgenomen door PJSIP/201." in story and "Opgehangen in de wachtrij." in story
    assert "Answered by PJSIP/201." in describe(journey, "en")
