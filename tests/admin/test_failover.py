"""Several bereik instances: the entry, a direct call and a call-back go to the next one when one
cannot be reached."""

from bereik.config.model import Pbx
from bereik.pbx import dialplan
from bereik.secrets import AMI_SECRET, PHONES_SECRET, Secrets
from tests.examples import example_config

CONFIG = example_config()
SECRETS = Secrets({AMI_SECRET: "failover-" + "x" * 24, PHONES_SECRET: "phones-" + "p" * 26})


THREE = CONFIG.model_copy(update={"pbx": Pbx.model_validate(
    {**CONFIG.pbx.model_dump(), "agi_fallback": ["127.0.0.2:4573", "127.0.0.3:4573"]})})


def steps(config, start: str, end: str) -> list[str]:
    text = dialplan.generate(config, SECRETS)["extensions.conf"]
    block = text[text.index(start):text.index(end, text.index(start))]
    return [line.strip() for line in block.splitlines()
            if "AGI(" in line or "AGISTATUS" in line or "TIMEOUT(absolute)" in line or "handed_over" in line]


def entry_steps(config) -> list[str]:
    return steps(config, "[bereik-entry]\n", "\nexten => 0235115000,1,")  # the 14 number's, up to the next number


# The entry arms the first try's watchdog in the step that sets what the hand-over also needs.
ARMED = "same => n,MSet(BEREIK_DIALLED=${EXTEN},TIMEOUT(absolute)=5)"


def test_one_instance_keeps_the_plain_hand_over():
    assert entry_steps(CONFIG) == [
        ARMED, "same => n,AGI(agi://127.0.0.1:4573/entry)",
        "same => n,Set(TIMEOUT(absolute)=0)", "same => n,Set(BEREIK_REASON=failopen-${AGISTATUS})"]


def test_the_next_instance_only_when_the_one_before_could_not_be_reached():
    assert entry_steps(THREE) == [
        ARMED, "same => n,AGI(agi://127.0.0.1:4573/entry)",
        'same => n,GotoIf($["${AGISTATUS}" != "FAILURE"]?handed_over)',
        "same => n,Set(TIMEOUT(absolute)=5)", "same => n,AGI(agi://127.0.0.2:4573/entry)",
        'same => n,GotoIf($["${AGISTATUS}" != "FAILURE"]?handed_over)',
        "same => n,Set(TIMEOUT(absolute)=5)", "same => n,AGI(agi://127.0.0.3:4573/entry)",
        "same => n(handed_over),Set(TIMEOUT(absolute)=0)",
        "same => n,Set(BEREIK_REASON=failopen-${AGISTATUS})"]


def test_each_step_of_a_direct_call_goes_to_the_next_instance_with_the_watchdog_re_armed():
    assert steps(CONFIG, "[bereik-direct]", "(routed)") == [
        "same => n,Set(TIMEOUT(absolute)=5)", "same => n,AGI(agi://127.0.0.1:4573/direct,${BEREIK_EVENT})",
        "same => n,Set(TIMEOUT(absolute)=0)"]
    assert steps(THREE, "[bereik-direct]", "(routed)") == [
        "same => n,Set(TIMEOUT(absolute)=5)", "same => n,AGI(agi://127.0.0.1:4573/direct,${BEREIK_EVENT})",
        'same => n,GotoIf($["${AGISTATUS}" != "FAILURE"]?handed_over)',
        "same => n,Set(TIMEOUT(absolute)=5)", "same => n,AGI(agi://127.0.0.2:4573/direct,${BEREIK_EVENT})",
        'same => n,GotoIf($["${AGISTATUS}" != "FAILURE"]?handed_over)',
        "same => n,Set(TIMEOUT(absolute)=5)", "same => n,AGI(agi://127.0.0.3:4573/direct,${BEREIK_EVENT})",
        "same => n(handed_over),Set(TIMEOUT(absolute)=0)"]
    # None answered: BEREIK_ROUTED is unset, so the next line fails open (front office or the extension).
    block = dialplan.generate(THREE, SECRETS)["extensions.conf"]
    assert 'n(handed_over),Set(TIMEOUT(absolute)=0)\n same => n(routed),GotoIf($["${BEREIK_ROUTED}" != "1"]?failopen)' \
        in block


def test_a_caller_who_hangs_up_on_a_ringing_colleague_is_recorded_by_the_next_instance():
    assert steps(THREE, "exten => h,1", "(done)") == [
        "same => n,AGI(agi://127.0.0.1:4573/direct,hungup)",
        'same => n,GotoIf($["${AGISTATUS}" != "FAILURE"]?handed_over)',
        "same => n,AGI(agi://127.0.0.2:4573/direct,hungup)",
        'same => n,GotoIf($["${AGISTATUS}" != "FAILURE"]?handed_over)',
        "same => n,AGI(agi://127.0.0.3:4573/direct,hungup)",
        "same => n(handed_over),NoOp()"]


def test_a_call_back_asks_the_next_instance_whom_to_ring_and_rings_nobody_when_none_answers():
    start = "[bereik-callback-out]"
    assert steps(CONFIG, start, "(done)") == [
        "same => n,Set(TIMEOUT(absolute)=5)", "same => n,AGI(agi://127.0.0.1:4573/callback,${EXTEN})",
        "same => n,Set(TIMEOUT(absolute)=0)"]
    assert steps(THREE, start, "(done)") == [
        "same => n,Set(TIMEOUT(absolute)=5)", "same => n,AGI(agi://127.0.0.1:4573/callback,${EXTEN})",
        'same => n,GotoIf($["${AGISTATUS}" != "FAILURE"]?handed_over)',
        "same => n,Set(TIMEOUT(absolute)=5)", "same => n,AGI(agi://127.0.0.2:4573/callback,${EXTEN})",
        'same => n,GotoIf($["${AGISTATUS}" != "FAILURE"]?handed_over)',
        "same => n,Set(TIMEOUT(absolute)=5)", "same => n,AGI(agi://127.0.0.3:4573/callback,${EXTEN})",
        "same => n(handed_over),Set(TIMEOUT(absolute)=0)"]
    text = dialplan.generate(THREE, SECRETS)["extensions.conf"]
    after = text[text.index("n(handed_over),Set(TIMEOUT(absolute)=0)", text.index("/callback")):].splitlines()
    # Not routed by any bereik: the number is not known, so nobody is rung and the leg ends. Routed: the
    # caller is rung through the class of service, never the trunk directly.
    assert after[1:4] == [' same => n,GotoIf($["${BEREIK_ROUTED}" != "1"]?done)',
                          " same => n,Dial(Local/${FILTER(0-9+,${BEREIK_DIAL_NUMBER})}@bereik-outbound/n,"
                          "${BEREIK_RING_SECONDS},r)",
                          " same => n(done),Hangup()"]


def test_a_key_never_takes_a_caller_out_of_the_queue_by_itself():
    """The defect found by real calls: the queue's exit context let a stray 9 end the caller's wait."""
    files = dialplan.generate(CONFIG, SECRETS)
    assert "context=" not in files["queues.conf"] and "bereik-queue-exit" not in files["extensions.conf"]
    # bereik reads the key over AMI instead, and only bereik withdraws a caller, once it confirmed.
    assert "read=call,agent,user,dtmf" in files["manager.conf"]
