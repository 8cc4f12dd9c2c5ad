"""The screen-pop's and call-backs' channel variables as ONE manager.conf channelvar (issue 18), split back by the
AMI reader into the ChanVariable(NAME) keys every consumer reads."""
import datetime as dt
import logging
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from panoramisk.message import Message
from pydantic import TypeAdapter, ValidationError

from bereik import facts as f
from bereik.config import load_config
from bereik.config.model import DtmfKey, Extension, Identifier, PlaceName
from bereik.ivr.prompts import PromptLibrary
from bereik.pbx import ami
from bereik.pbx import variables as var
from bereik.pbx.agi import AgiServer
from bereik.pbx.ami import channel_variables, plain_event, read_event
from bereik.pbx.dialplan import generate
from bereik.pbx.entry import EntryHandler
from bereik.pbx.voice import Voice
from bereik.routing import flow
from bereik.routing.direct import Reason, Stage
from bereik.secrets import AMI_SECRET, PHONES_SECRET, Secrets

from fake_asterisk import FakeAsterisk

EXAMPLES = Path(__file__).parents[2] / "examples"
CONFIG = load_config(EXAMPLES / "bloemendaal.yaml")
CONFIGS = (CONFIG, load_config(Path(__file__).parents[1] / "config" / "samples" / "huizen.yaml"))
SECRETS = Secrets({AMI_SECRET: "k3Wq9-long-random-secret", PHONES_SECRET: "phones-" + "p" * 26})
JOINED = var.IN_AMI_EVENTS_FUNCTION
KEYS = [f"ChanVariable({name})" for name in var.IN_AMI_EVENTS]
MONDAY_MORNING = lambda: dt.datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))  # noqa: E731


def values(**given: str) -> str:
    """The joined line's value as Asterisk computes it: each variable's value (or nothing) in IN_AMI_EVENTS order."""
    return var.FIELD_SEPARATOR.join(given.get(name, "") for name in var.IN_AMI_EVENTS)


def block(value: str, name: str = JOINED) -> str:
    return (f"Event: QueueCallerJoin\r\nChannel: PJSIP/trunk-00000001\r\nQueue: tic\r\n"
            f"ChanVariable: {name}={value}")


@pytest.fixture(autouse=True)
def nothing_logged_yet(monkeypatch):
    monkeypatch.setattr(ami, "_miscounted", set())


def test_the_function_joins_every_variable_in_the_order_of_in_ami_events():
    assert JOINED == "EVAL(" + "|".join("${" + name + "}" for name in var.IN_AMI_EVENTS) + ")"
    # Asterisk splits manager.conf's list on commas outside parentheses and reads backslashes and quotes as escapes
    # (ast_app_separate_args); a ";" would start a comment in the file.
    assert not set(JOINED) & set(',;"\\\'')


def test_one_line_gives_the_same_keys_as_one_line_per_variable():
    event = read_event(block(values(BEREIK_TOPIC="afval", BEREIK_CHOICE="2", BEREIK_MUNICIPALITY="Bloemendaal",
                                    BEREIK_TRIED_AT="2026-11-23T10:00:00+01:00", BEREIK_QUEUED_AT="1795420800")))
    assert {key: event[key] for key in KEYS} == {
        **{key: "" for key in KEYS}, "ChanVariable(BEREIK_TOPIC)": "afval", "ChanVariable(BEREIK_CHOICE)": "2",
        "ChanVariable(BEREIK_MUNICIPALITY)": "Bloemendaal", "ChanVariable(BEREIK_TRIED_AT)": "2026-11-23T10:00:00+01:00",
        "ChanVariable(BEREIK_QUEUED_AT)": "1795420800"}
    assert event["Queue"] == "tic" and f"ChanVariable({JOINED})" not in event
    # What the per-variable lines gave, key for key.
    one_each = "".join(f"\r\nChanVariable: {name}={value}" for name, value in zip(
        var.IN_AMI_EVENTS, values(BEREIK_TOPIC="afval", BEREIK_CHOICE="2", BEREIK_MUNICIPALITY="Bloemendaal",
                                  BEREIK_TRIED_AT="2026-11-23T10:00:00+01:00",
                                  BEREIK_QUEUED_AT="1795420800").split("|")))
    assert read_event("Event: QueueCallerJoin\r\nChannel: PJSIP/trunk-00000001\r\nQueue: tic" + one_each) == event


def test_a_channel_with_nothing_set_carries_every_variable_empty():
    event = read_event(block("|" * (len(var.IN_AMI_EVENTS) - 1)))
    assert [event[key] for key in KEYS] == [""] * len(KEYS)


def test_an_equals_sign_or_asterisks_escapes_in_a_value_stay_as_they_were():
    event = read_event(block(values(BEREIK_MUNICIPALITY='Bergen (NH) a=b \\"x\\"')))
    assert event["ChanVariable(BEREIK_MUNICIPALITY)"] == 'Bergen (NH) a=b \\"x\\"'


@pytest.mark.parametrize("fields", [1, len(var.IN_AMI_EVENTS) - 1, len(var.IN_AMI_EVENTS) + 1, 40])
def test_a_wrong_field_count_carries_none_of_the_variables_and_is_logged_once(fields, caplog):
    caplog.set_level(logging.WARNING, logger="bereik.pbx.ami")
    wrong = "|".join(["afval"] * fields)
    for _ in range(3):
        event = read_event(block(wrong))
        assert event == {"Event": "QueueCallerJoin", "Channel": "PJSIP/trunk-00000001", "Queue": "tic"}
    assert plain_event(Message.from_line(block(wrong))) == {
        "Event": "QueueCallerJoin", "Channel": "PJSIP/trunk-00000001", "Queue": "tic", "content": ""}
    assert len(caplog.records) == 1 and "afval" not in caplog.text


def test_a_separator_in_a_value_set_some_other_way_never_shifts_a_label_onto_another():
    # BEREIK_TOPIC set to "a|b" by hand (AMI Setvar, a dialplan edit): one field too many.
    event = read_event(block(values(BEREIK_TOPIC="a|b", BEREIK_REASON="tic")))
    assert not any(key in event for key in KEYS)


def test_the_names_are_read_from_the_line_so_a_server_with_another_list_is_still_read_right():
    event = read_event(block("2|afval", name="EVAL(${BEREIK_CHOICE}|${BEREIK_TOPIC})"))
    assert (event["ChanVariable(BEREIK_CHOICE)"], event["ChanVariable(BEREIK_TOPIC)"]) == ("2", "afval")
    assert "ChanVariable(BEREIK_REASON)" not in event


def test_other_channelvars_and_functions_are_kept_under_their_own_names():
    event = read_event("Event: Newchannel\r\nChanVariable: BEREIK_TOPIC=afval\r\n"
                       "ChanVariable: CDR(billsec)=3\r\nChanVariable: EVAL(${A}x${B})=1x2")
    assert event == {"Event": "Newchannel", "ChanVariable(BEREIK_TOPIC)": "afval", "ChanVariable(CDR(billsec))": "3",
                     "ChanVariable(EVAL(${A}x${B}))": "1x2"}


def test_panoramisks_path_splits_the_line_as_well():
    message = Message.from_line(block(values(BEREIK_TOPIC="afval", BEREIK_CALLBACK="17")) + "\r\nActionID: s-1")
    event = plain_event(message)
    assert event["ChanVariable(BEREIK_TOPIC)"] == "afval" and event["ChanVariable(BEREIK_CALLBACK)"] == "17"
    assert event["ChanVariable(BEREIK_REASON)"] == "" and event["ActionID"] == "s-1"
    # A list of ChanVariable headers (the joined one and another) as panoramisk gives repeated headers.
    event = plain_event({"Event": "Status", "ChanVariable": [f"{JOINED}={values(BEREIK_TOPIC='wmo')}", "X=1"]})
    assert event["ChanVariable(BEREIK_TOPIC)"] == "wmo" and event["ChanVariable(X)"] == "1"


def test_tools_with_their_own_ami_client_read_the_line_the_same_way():
    line = f"{JOINED}={values(BEREIK_FAILED='noanswer', BEREIK_TRIED='301')}"
    assert channel_variables(line)["BEREIK_TRIED"] == "301"
    assert channel_variables([line, "BEREIK_OTHER=x"])["BEREIK_OTHER"] == "x"
    assert channel_variables([]) == {}


FIELD = st.text(alphabet=st.characters(blacklist_characters="\r\n"), max_size=12)


@given(st.lists(FIELD, min_size=1, max_size=20) | st.lists(FIELD, min_size=len(KEYS), max_size=len(KEYS)))
def test_any_fields_give_all_the_variables_or_none_never_a_crash(fields):
    line = "|".join(fields)
    event = read_event(block(line))
    present = [key for key in KEYS if key in event]
    if len(line.split("|")) == len(KEYS):
        assert [event[key] for key in KEYS] == line.split("|")
    else:
        assert present == []


def test_the_generated_manager_conf_has_one_channelvar_the_joined_one():
    for config in CONFIGS:
        manager = generate(config, SECRETS)["manager.conf"]
        [line] = [line for line in manager.splitlines() if line.startswith("channelvars=")]
        assert line == f"channelvars={JOINED}"
        # Asterisk's split of the list: on commas outside parentheses. One entry, ending in ")": read as a function.
        assert re.sub(r"\([^)]*\)", "", line).count(",") == 0


async def test_bereiks_fastagi_takes_the_separator_out_of_any_value_it_sets_in_the_joined_variables(tmp_path):
    async def handler(session):
        await session.set_variable(var.REASON, "r|s")
        await session.set_variable(var.TODAY, "1|2")
        await Voice.hand_over(session, {var.TOPIC: "a|b", var.MUNICIPALITY: "Bloemendaal", var.DIAL: "PJSIP/1|x"})

    server = AgiServer({"entry": handler}, port=0)
    await server.start()
    try:
        asterisk = FakeAsterisk()
        await asterisk.call(server)
    finally:
        await server.close()
    assert (asterisk.variables[var.TOPIC], asterisk.variables[var.REASON]) == ("a/b", "r/s")
    assert asterisk.variables[var.MUNICIPALITY] == "Bloemendaal" and asterisk.variables[var.ROUTED] == "1"
    # Variables not carried in AMI events keep what bereik gave them.
    assert (asterisk.variables[var.DIAL], asterisk.variables[var.TODAY]) == ("PJSIP/1|x", "1|2")
    assert var.field_value(var.CALLBACK, 17) == 17


@pytest.mark.parametrize("kind", [Identifier, PlaceName, DtmfKey, Extension])
def test_no_value_the_yaml_gives_can_hold_the_separator(kind):
    # Topics, queues, departments, organisations, municipality names, menu keys, extensions.
    with pytest.raises(ValidationError):
        TypeAdapter(kind).validate_python("tic|afval")


def test_bereiks_own_words_hold_no_separator():
    words = [f.OTHER_MUNICIPALITY, f.OUTSIDE_ORGANISATION, f.CLOSED_BY_PBX, *Stage, *Reason,
             *(stage.value for stage in flow.Stage), "menu_choice", "no_choice", "no_menu", "outside_hours",
             "holiday", "closing_day", "calamity", "direct", "watchdog", "failopen-FAILURE",
             *(value for name, value in vars(var).items() if name.startswith("ACTION_"))]
    assert words and not [word for word in words if var.FIELD_SEPARATOR in word]


def test_the_dialplan_sets_no_joined_variable_to_a_value_with_the_separator():
    for config in CONFIGS:
        dialplan = generate(config, SECRETS)["extensions.conf"]
        sets = [match.group(0) for name in var.IN_AMI_EVENTS
                for match in re.finditer(rf"{name}=[^,)]*", dialplan)]
        assert sets and not [assignment for assignment in sets if var.FIELD_SEPARATOR in assignment]


async def test_an_ordinary_call_decided_by_bereik_reads_back_through_the_joined_line(tmp_path):
    """End to end without Asterisk: what bereik's entry handler sets, computed as the joined channelvar, read back."""
    server = AgiServer({"entry": EntryHandler(CONFIG, PromptLibrary(tmp_path / "sounds"), MONDAY_MORNING)}, port=0)
    await server.start()
    try:
        asterisk = FakeAsterisk(keys=["1", "2"])
        await asterisk.call(server)
    finally:
        await server.close()
    line = var.FIELD_SEPARATOR.join(asterisk.variables.get(name, "") for name in var.IN_AMI_EVENTS)
    event = read_event(block(line))
    assert all(event[f"ChanVariable({name})"] == asterisk.variables.get(name, "") for name in var.IN_AMI_EVENTS)
