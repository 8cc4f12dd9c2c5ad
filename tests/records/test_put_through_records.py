"""A call a menu option put through to an outside organisation, as the records keep it: forwarded to that
organisation with the menu choice, counted as put through (never as lost), and when the organisation does not
answer, a fallback to the front office with why. From AMI events as Asterisk reports them to the month report."""
import datetime as dt

from bereik.console.wiring import earlier_calls
from bereik.records.journey import JourneyBook
from bereik.records.narrative import describe
from bereik.records.summary import summarise
from bereik.reports.figures import callback_outcomes, compute
from bereik.reports.render import to_html
from bereik.reports.schema import ReportRequest
from tests.ami_facts import told
from tests.examples import example_config

CONFIG = example_config()
ZONE = CONFIG.zone
START = dt.datetime(2026, 10, 5, 10, 0, tzinfo=ZONE).timestamp()
LABELS = {"ChanVariable(BEREIK_CHOICE)": "5", "ChanVariable(BEREIK_ORGANISATION)": "Sociale Zaken Heemstede",
          "ChanVariable(BEREIK_REASON)": "outside_organisation", "ChanVariable(BEREIK_MUNICIPALITY)": "Bloemendaal"}


def leg(call_id: str, seconds: float, **labels) -> dict[str, str]:
    return {"Linkedid": call_id, "Uniqueid": call_id, "Channel": f"PJSIP/trunk-{call_id}",
            "Timestamp": f"{START + seconds:.3f}", **labels}


def put_through(call_id: str, *, answered: bool, caller: str = "0612345678", failed: str = "busy") -> list[dict]:
    """14023, key 1 (Bloemendaal) and 5 (Sociale Zaken), dialled from bereik-outside through the class of
    service; the organisation answers and talks 3 minutes, or is busy and the front office answers."""
    events = [
        {"Event": "Newchannel", **leg(call_id, 0), "CallerIDNum": caller, "Exten": "14023"},
        {"Event": "Newstate", **leg(call_id, 0.2), "ChannelStateDesc": "Up"},
        {"Event": "DialBegin", **leg(call_id, 20, **LABELS), "Context": "bereik-outside", "Exten": "5",
         "DestChannel": "Local/0235485868@bereik-outbound-00000001;1", "DialString": "0235485868@bereik-outbound/n"},
    ]
    if answered:
        return events + [{"Event": "Hangup", **leg(call_id, 200, **LABELS), "Cause-txt": "Normal Clearing",
                          "Cause": "16"}]
    back = {**LABELS, "ChanVariable(BEREIK_FAILED)": failed}
    return events + [
        {"Event": "QueueCallerJoin", **leg(call_id, 26, **back), "Queue": "tic", "Position": "1"},
        {"Event": "AgentConnect", **leg(call_id, 36, **back), "Queue": "tic", "MemberName": "Anna de Vries",
         "Interface": "PJSIP/201", "HoldTime": "10", "RingTime": "2"},
        {"Event": "Hangup", **leg(call_id, 100, **back), "Cause-txt": "Normal Clearing", "Cause": "16"},
    ]


def journey_of(events):
    book = JourneyBook()
    for event in events:
        told(book, event)
    [journey] = book.journeys.values()
    return journey


def row_of(events):
    return summarise(journey_of(events), ZONE, frozenset(CONFIG.entry_numbers))


def test_the_journey_is_forwarded_to_the_organisations_number_with_the_menu_choice():
    journey = journey_of(put_through("p1", answered=True))
    assert [s.what for s in journey.steps] == ["entered", "answered", "forwarded", "hung_up"]
    assert journey.first("forwarded").detail == {"to": "0235485868"}
    assert journey.labels["choice"] == "5" and journey.labels["organisation"] == "Sociale Zaken Heemstede"


def test_a_put_through_call_is_a_front_office_call_put_through_not_lost():
    row = row_of(put_through("p1", answered=True))
    assert (row.kind, row.forwarded_to, row.reason) == ("front", "0235485868", "outside_organisation")
    assert not row.abandoned and not row.fallback and row.queued_at is None and row.left_in == ""


def test_the_organisation_busy_the_front_office_takes_the_call_and_the_records_say_why():
    journey = journey_of(put_through("p2", answered=False))
    row = summarise(journey, ZONE, frozenset(CONFIG.entry_numbers))
    assert row.fallback and row.agent == "Anna de Vries" and not row.abandoned and row.wait_seconds == 10
    assert journey.labels["failed"] == "busy"
    story = describe(journey)
    assert "menukeuze 5 (Sociale Zaken Heemstede)" in story
    assert "Doorverbonden met Sociale Zaken Heemstede (0235485868)." in story
    assert "Sociale Zaken Heemstede was in gesprek; terug naar de eigen wachtrij." in story
    assert "Sociale Zaken Heemstede could not be reached; back to our own queue." in describe(
        journey_of(put_through("p3", answered=False, failed="unavailable")), "en")


def test_the_story_of_a_call_put_through_names_the_organisation():
    assert "Doorverbonden met Sociale Zaken Heemstede (0235485868)." in describe(
        journey_of(put_through("p1", answered=True)))


def test_a_dial_out_of_another_context_is_not_a_put_through():
    events = put_through("p1", answered=True)
    events[2] = {**events[2], "Context": "bereik-callback-out"}
    assert journey_of(events).first("forwarded") is None


def test_the_month_report_counts_the_option_as_chosen_and_put_through_not_as_abandoned():
    rows = [row_of(put_through("p1", answered=True)), row_of(put_through("p2", answered=False)),
            row_of(put_through("p3", answered=True, caller="0687654321"))]
    request = ReportRequest.month("2026-10")
    report = compute(rows, CONFIG, request, callback_outcomes((), dt.datetime(2026, 11, 15, tzinfo=ZONE),
                                                              request.bounds(ZONE)), [])
    option = next(o for o in report.by_option if o.key == "5")
    assert (option.organisation, option.chosen, option.put_through, option.share) == (
        "Sociale Zaken Heemstede", 3, 2, 1.0)
    assert (option.answered, option.abandoned) == (1, 0)  # the one that came back, answered by the front office
    abandoned = next(f for f in report.figures if f.id == "abandoned")
    assert abandoned.value == 0.0 and abandoned.count == 1  # only the caller who came back was in the queue
    assert "Sociale Zaken Heemstede (doorverbonden: 2)" in to_html(report)


def test_the_screen_pop_history_names_the_organisation_of_an_earlier_call():
    class Store:
        def calls(self, since, until):
            return [row_of(put_through("p1", answered=True)), row_of(put_through("p9", answered=True,
                                                                                 caller="0600000000"))]

    assert earlier_calls(Store(), CONFIG)("0612345678", 0) == [(START, "", "Sociale Zaken Heemstede")]


def test_another_municipality_on_the_shared_number_busy_the_story_names_it_and_the_front_office_takes_the_call():
    """14023, key 2 (Heemstede): put through to Heemstede's number from bereik-other-municipality; busy, the
    caller comes back to our front office."""
    labels = {"ChanVariable(BEREIK_REASON)": "other_municipality", "ChanVariable(BEREIK_MUNICIPALITY)": "Heemstede",
              "ChanVariable(BEREIK_CHOICE)": "", "ChanVariable(BEREIK_ORGANISATION)": ""}
    events = put_through("h1", answered=False)
    events[2] = {**events[2], **labels, "Context": "bereik-other-municipality", "Exten": "0235485868"}
    for event in events[3:]:
        event.update(labels)
    journey = journey_of(events)
    assert journey.first("forwarded").detail == {"to": "0235485868"}
    row = summarise(journey, ZONE, frozenset(CONFIG.entry_numbers))
    assert row.fallback and row.agent == "Anna de Vries" and not row.abandoned
    assert "De gemeente Heemstede was in gesprek; terug naar de eigen wachtrij." in describe(journey)
    assert "The municipality of Heemstede was busy; back to our own queue." in describe(journey, "en")
