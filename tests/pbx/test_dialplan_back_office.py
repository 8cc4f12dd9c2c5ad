"""The generated configuration for the back office: direct numbers, camp-on queues, pickup, caller ID."""

from bereik.pbx.dialplan import generate
from bereik.secrets import AMI_SECRET, PHONES_SECRET, Secrets

from test_dialplan import section  # one reading of a generated context for every dialplan test
from tests.examples import example_config

CONFIG = example_config()
FILES = generate(CONFIG, Secrets({AMI_SECRET: "k3Wq9-long-random-secret", PHONES_SECRET: "phones-" + "p" * 26}))


def test_direct_numbers_from_outside_and_extensions_from_inside_reach_the_direct_context():
    inbound = section(FILES["extensions.conf"], "bereik-inbound")  # the trunk's context
    assert "exten => 0235115301,1,Set(BEREIK_ORIGIN=outside)" in inbound
    assert " same => n,Goto(bereik-direct,0235115300,1)" in inbound  # the department number
    internal = section(FILES["extensions.conf"], "bereik-internal")
    assert "exten => 312,1,Set(BEREIK_ORIGIN=inside)" in internal


def test_a_direct_call_fails_open_to_the_tic_and_rings_once_per_decision():
    direct = section(FILES["extensions.conf"], "bereik-direct")
    agi = next(i for i, line in enumerate(direct) if "AGI(agi://127.0.0.1:4573/direct,${BEREIK_EVENT})" in line)
    assert "MSet(BEREIK_ROUTED=,BEREIK_ACTION=,BEREIK_DIAL=,BEREIK_DIRECT_STAGE=)" in direct[agi - 2]
    assert 'GotoIf($["${BEREIK_ROUTED}" != "1"]?failopen)' in direct[agi + 2]
    failopen = next(i for i, line in enumerate(direct) if "(failopen)" in line)
    assert direct[failopen + 1] == " same => n,CELGenUserEvent(BEREIK_FELL_THROUGH,${BEREIK_REASON})"
    assert direct[failopen + 3] == " same => n,Goto(bereik-failopen,tic,1)"
    ring = direct.index(" same => n(dial),Dial(${BEREIK_DIAL},${BEREIK_RING_SECONDS},g)")
    # Asterisk's clock around the ringing, for the ring seconds bereik logs (DIALEDTIME is empty unanswered).
    assert direct[ring - 2] == " same => n(ring),Set(BEREIK_DIAL_BEGAN=${STRFTIME(,,%s.%3q)})"
    assert direct[ring + 1] == " same => n(rang),MSet(BEREIK_EVENT=rang,BEREIK_DIAL_ENDED=${STRFTIME(,,%s.%3q)})"
    # Only a dial string bereik makes is dialled: desk phones and people's own mobiles (bereik-mobile).
    assert direct[ring - 1] == (' same => n,GotoIf($[${REGEX("^(PJSIP/[0-9]+|Local/[0-9]+@bereik-mobile/n)'
                                '(&(PJSIP/[0-9]+|Local/[0-9]+@bereik-mobile/n))*$" ${BEREIK_DIAL})}]?dial:rang)')
    assert any(line.startswith("exten => h,1,GotoIf(") and "ringing" in line and "camped" in line for line in direct)


def test_every_colleague_has_a_camp_on_queue_that_rings_only_a_free_line():
    camp = section(FILES["queues.conf"], "camp-301")
    assert "ringinuse=no" in camp and "timeout=20" in camp
    assert camp[-1] == "member => PJSIP/301,0,Eva Smit,PJSIP/301"
    assert not [line for line in camp if line.startswith("member") and "302" in line]


def test_pickup_groups_per_department_and_directed_pickup():
    eva = section(FILES["pjsip.conf"], "301")
    assert "named_pickup_group=vergunningen" in eva and "named_call_group=vergunningen" in eva
    hanna = section(FILES["pjsip.conf"], "311")
    assert "named_pickup_group=wmo" in hanna
    internal = section(FILES["extensions.conf"], "bereik-internal")
    assert "exten => _*8X.,1,PickupChan(PJSIP/${FILTER(0-9,${EXTEN:2})})" in internal
    assert "pickupexten=*8" in FILES["features.conf"]


def test_a_departments_calls_out_show_its_own_number_not_the_front_offices():
    assert "set_var=BEREIK_OUTGOING_ID=0235115300" in section(FILES["pjsip.conf"], "302")
    assert not [line for line in section(FILES["pjsip.conf"], "311") if "BEREIK_OUTGOING_ID" in line]
    internal = section(FILES["extensions.conf"], "bereik-internal")
    assert "exten => _0X.,1,Goto(bereik-phone-out,${EXTEN},1)" in internal
    out = section(FILES["extensions.conf"], "bereik-phone-out")
    caller_id = next(line for line in out if "CALLERID(num)" in line)
    assert "${BEREIK_OUTGOING_ID}" in caller_id and ":14023)" in caller_id
    assert out[-1] == " same => n,Goto(bereik-outbound,${EXTEN},1)"


def test_the_attempt_is_in_every_ami_event():
    # In the one joined channelvar (bereik.pbx.variables.IN_AMI_EVENTS_FUNCTION).
    assert "${BEREIK_TRIED}|${BEREIK_TRIED_VIA}|${BEREIK_TRIED_AT}|${BEREIK_FAILED}" in FILES["manager.conf"]


def test_bereik_prompts_renders_the_back_office_sentences_for_every_name():
    from bereik.ivr.catalogue import spoken_texts

    custom = CONFIG.model_copy(update={"texts": {**CONFIG.texts, "not_reachable": "{name} is er even niet."}})
    texts = spoken_texts(custom)
    assert "Ivo Meijer is er even niet." in texts and "Vergunningen is er even niet." in texts
    assert any(text.startswith("Eva Smit is in gesprek.") for text in texts)


def test_the_watchdog_in_a_direct_call_honours_a_decision_already_handed_over():
    direct = section(FILES["extensions.conf"], "bereik-direct")
    t = direct.index("exten => T,1,Set(TIMEOUT(absolute)=0)")
    assert direct[t + 1] == ' same => n,GotoIf($["${BEREIK_ROUTED}" = "1"]?${BEREIK_DIALLED},routed)'
    assert direct[t + 2] == " same => n,Set(BEREIK_REASON=watchdog)"
    assert direct[t + 3] == " same => n,CELGenUserEvent(BEREIK_FELL_THROUGH,${BEREIK_REASON})"
    assert direct[t + 4] == " same => n,Goto(bereik-failopen,tic,1)"
    assert " same => n,Set(BEREIK_DIALLED=${EXTEN})" in direct
