"""The generated Asterisk configuration: fail-open entry, least-privilege AMI, Dutch ringing."""
from pathlib import Path

import pytest

from bereik.cli import main
from bereik.pbx import events
from bereik.pbx import variables as var
from bereik.routing.waiting import penalty_plan
from bereik.pbx.dialplan import generate
from bereik.secrets import AMI_SECRET, PHONES_SECRET, LDAP_SECRET, SecretError, Secrets
from tests.examples import example_config

CONFIG = example_config()
SECRETS = Secrets({AMI_SECRET: "k3Wq9-long-random-secret", PHONES_SECRET: "phones-" + "p" * 26})


def section(text: str, name: str) -> list[str]:
    lines, inside = [], False
    for line in text.splitlines():
        if line.startswith("["):
            inside = line.startswith(f"[{name}]")
            continue
        if inside and line and not line.startswith(";"):
            lines.append(line)
    return lines


def test_the_entry_fails_open_to_the_front_office():
    entry = section(generate(CONFIG, SECRETS)["extensions.conf"], "bereik-entry")
    agi = next(i for i, line in enumerate(entry) if "AGI(agi://127.0.0.1:4573/entry)" in line)
    after = entry[agi + 1:]
    # Routed to a queue: straight there; routed elsewhere: to `routed`.
    assert any('GotoIf($["${BEREIK_ROUTED}" = "1" & "${BEREIK_ACTION}" = "queue"]?bereik-queue,${BEREIK_QUEUE},1)'
               in line for line in after[:3])
    assert any('GotoIf($["${BEREIK_ROUTED}" = "1"]?routed)' in line for line in after[:4])
    fallback = next(i for i, line in enumerate(after) if line.endswith('GotoIf($["${BEREIK_ROUTED}" = "1"]?routed)')) + 1
    # to the front office if it is open: the dialplan itself knows the hours (bereik-failopen)
    assert after[fallback].endswith("Set(BEREIK_REASON=failopen-${AGISTATUS})")
    # Asterisk's own event log says so too: a bereik that was away counts the call from it (/metrics).
    assert after[fallback + 1].endswith("CELGenUserEvent(BEREIK_FELL_THROUGH,${BEREIK_REASON})")
    assert after[fallback + 2].endswith("Goto(bereik-failopen,tic,1)")
    # The watchdog is armed before the hand-over and leads to the queue too.
    assert any("TIMEOUT(absolute)=5" in line for line in entry[:agi])
    t_start = next(i for i, line in enumerate(entry) if line.startswith("exten => T,1"))
    # A decision already handed over is honoured; otherwise the front office.
    # (at the number that took the call: the 14 number or a general number)
    assert entry[t_start + 1].endswith('GotoIf($["${BEREIK_ROUTED}" = "1"]?${BEREIK_DIALLED},routed)')
    assert entry[t_start + 2].endswith("Set(BEREIK_REASON=watchdog)")
    assert entry[t_start + 3].endswith("CELGenUserEvent(BEREIK_FELL_THROUGH,${BEREIK_REASON})")
    assert entry[t_start + 4].endswith("Goto(bereik-failopen,tic,1)")


def test_every_entry_number_is_handed_to_bereik_and_fails_open_alike():
    conf = generate(CONFIG, SECRETS)["extensions.conf"]
    entry = section(conf, "bereik-entry")
    assert CONFIG.entry_numbers == ("14023", "0235115000")
    for number in CONFIG.entry_numbers:
        start = next(i for i, line in enumerate(entry) if line.startswith(f"exten => {number},1,"))
        block = entry[start:start + 20]
        agi = block.index(" same => n,AGI(agi://127.0.0.1:4573/entry)")
        assert block[agi - 1] == " same => n,MSet(BEREIK_DIALLED=${EXTEN},TIMEOUT(absolute)=5)"
        assert " same => n,Goto(bereik-failopen,tic,1)" in block  # the front office, if open now
    # From outside (the trunk's context) and from a desk phone.
    assert "exten => 0235115000,1,Goto(bereik-entry,0235115000,1)" in section(conf, "bereik-inbound")
    internal = section(conf, "bereik-internal")
    assert "exten => 0235115000,1,Goto(bereik-entry,0235115000,1)" in internal


def test_a_call_reaches_the_queue_in_few_steps_each_a_task_of_asterisks_ami_thread():
    """A new call sets no variable to clear it, and a topic's penalties are one step (bench.call_paths counts
    the AMI thread's tasks); a caller back at the number with an earlier decision has it cleared first."""
    conf = generate(CONFIG, SECRETS)["extensions.conf"]
    entry = section(conf, "bereik-entry")
    start = next(i for i, line in enumerate(entry) if line.startswith("exten => 14023,1,"))
    agi = next(i for i, line in enumerate(entry) if i > start and "AGI(" in line)
    # The caller ID's check, its two filters (skipped when nothing is to be filtered), Answer, the clearing,
    # DIALLED with the watchdog.
    assert agi - start == 6
    assert entry[start].endswith("?answer)") and entry[start + 3].startswith(" same => n(answer),Answer()")
    assert entry[start + 5].endswith(",TIMEOUT(absolute)=5)")
    clearing = entry[start + 4]
    assert clearing.startswith(" same => n,ExecIf($[${LEN(") and clearing.endswith("]?MSet(" + ",".join(
        f"{name}=" for name in var.OUTPUTS) + "))")
    assert all(f"${{{name}}}" in clearing.split("?")[0] for name in var.OUTPUTS)  # any one left: all cleared

    globals_ = dict(line.split("=", 1) for line in section(conf, "globals"))
    plan = penalty_plan(CONFIG)
    assert globals_["BEREIK_PENALTIES_"] == "QUEUE_MIN_PENALTY=1,QUEUE_MAX_PENALTY=4,QUEUE_RAISE_PENALTY=r4"
    for topic in plan.ranges:
        low, high = plan.ranges[topic]
        assert globals_[f"BEREIK_PENALTIES_{topic}"] == (
            f"QUEUE_MIN_PENALTY={low},QUEUE_MAX_PENALTY={high},QUEUE_RAISE_PENALTY=r{high}")
    queue = section(conf, "bereik-queue")
    first = next(i for i, line in enumerate(queue) if line.startswith("exten => tic,1,"))
    # A topic the YAML does not have (any more): every position, never no limits (the overflow at once).
    assert queue[first].startswith("exten => tic,1,MSet(${IF($[${LEN(${BEREIK_PENALTIES_${BEREIK_TOPIC}})} > 0]?"
                                   "${BEREIK_PENALTIES_${BEREIK_TOPIC}}:${BEREIK_PENALTIES_})},")
    # The stand-in, the maximum wait or the queue: one step.
    assert queue[first + 1] == (' same => n,GotoIf($["${BEREIK_STAND_IN}" = "1"]?stand_in:'
                                '${IF($[$[600 - ${EPOCH} + ${BEREIK_QUEUED_AT}] < 1]?too_long:wait)})')
    assert queue[first + 2].startswith(" same => n(wait),Queue(tic,")

    # Every AGI of bereik's leaves a silent connection at hang-up: one global, no step or variable set a call.
    assert globals_["AGIEXITONHANGUP"] == "yes"
    assert "Set(AGIEXITONHANGUP" not in conf and ",AGIEXITONHANGUP=" not in conf


def test_caller_ids_are_filtered_before_anything_reads_them():
    entry = section(generate(CONFIG, SECRETS)["extensions.conf"], "bereik-entry")
    first_agi = next(i for i, line in enumerate(entry) if "AGI(" in line)
    assert any("CALLERID(name)=${FILTER(" in line for line in entry[:first_agi])
    assert any("CALLERID(num)=${FILTER(0-9+*#," in line for line in entry[:first_agi])


def test_the_ami_user_has_least_privilege():
    manager = generate(CONFIG, SECRETS)["manager.conf"]
    user = dict(line.split("=", 1) for line in section(manager, "bereik"))
    rights = set(user["read"].split(",")) | set(user["write"].split(","))
    assert not rights & {"system", "command", "config", "all"}
    # No originate (Originate dials any channel, the trunk included), no agent (QueueAdd of any dial string).
    assert user["write"] == "call"
    assert user["permit"] == "127.0.0.1/255.255.255.255" and user["deny"] == "0.0.0.0/0.0.0.0"
    general = dict(line.split("=", 1) for line in section(manager, "general"))
    assert general["bindaddr"] == "127.0.0.1"
    assert "BEREIK_TOPIC" in general["channelvars"]


def test_asterisk_generates_none_of_the_frequent_events_nobody_reads_and_every_event_bereik_reads():
    general = dict(line.split("=", 1) for line in section(generate(CONFIG, SECRETS)["manager.conf"], "general"))
    disabled = set(general["disabledevents"].split(","))
    assert disabled == {"Newexten", "VarSet", "AGIExecStart", "AGIExecEnd"}
    assert not disabled & events.CONSUMED
    # Those whose message Asterisk can leave unpublished are not even published: no task for its AMI thread.
    stasis = generate(CONFIG, SECRETS)["stasis.conf"]
    declined = {line.split("=", 1)[1] for line in section(stasis, "declined_message_types")}
    assert declined == {"agi_exec_start_type", "agi_exec_end_type", "ast_rtp_rtcp_sent_type", "ast_rtp_rtcp_received_type"}
    assert not {events.NOT_PUBLISHED[name] for name in declined} & events.CONSUMED


def test_asterisk_keeps_no_call_detail_records():
    """bereik's call records are the record, with their retention (docs/privacy.md); Asterisk's CDR engine would
    keep another copy of every number and read every change of every channel for it."""
    general = dict(line.split("=", 1) for line in section(generate(CONFIG, SECRETS)["cdr.conf"], "general"))
    assert general == {"enable": "no"}


def test_the_queue_rings_dutch_style_and_the_overflow_position_has_a_penalty():
    files = generate(CONFIG, SECRETS)
    assert "ring = 425/1000,0/4000" in files["indications.conf"] and "country=nl" in files["indications.conf"]
    members = [line for line in section(files["queues.conf"], "tic") if line.startswith("member")]
    # Each position its own penalty, so that a topic is one range (bereik.routing.waiting.penalty_plan).
    assert members == [
        "member => PJSIP/201,3,Anna de Vries,PJSIP/201",
        "member => PJSIP/202,1,Bram Jansen,PJSIP/202",
        "member => PJSIP/203,4,Carla Bakker,PJSIP/203",
        "member => PJSIP/204,10,Daan Visser,PJSIP/204",
    ]
    assert "Queue(tic,rtx,,,$[600 - ${EPOCH} + ${BEREIK_QUEUED_AT}],,,topic-fallback,${BEREIK_POSITION})" in files[
        "extensions.conf"]
    # the wrap-up after each call, kept by Asterisk
    assert f"wrapuptime={CONFIG.waiting.wrapup_seconds}" in section(files["queues.conf"], "tic")
    # Every caller with a free agent of its own is served, not only the head of the line (Asterisk's default).
    assert "autofill=yes" in section(files["queues.conf"], "general")


def test_queues_set_only_the_channel_variables_bereik_reads():
    """app_queue's variables cost Asterisk's AMI thread two tasks each (setqueuevar: ten at a caller's join and
    again at its leave); only MEMBERINTERFACE, after a camp-on, is read (bereik.pbx.direct)."""
    queues = generate(CONFIG, SECRETS)["queues.conf"]
    for queue in CONFIG.queues:
        assert not [line for line in section(queues, queue.id) if line.startswith("set")], queue.id
    for person in CONFIG.people:
        assert [line for line in section(queues, f"camp-{person.extension}") if line.startswith("set")] == [
            "setinterfacevar=yes"]


def test_every_position_gets_a_phone_endpoint():
    pjsip = generate(CONFIG, SECRETS)["pjsip.conf"]
    for extension, address in [("201", "127.0.1.1"), ("204", "127.0.1.4")]:
        assert f"contact=sip:{extension}@{address}:5060" in pjsip
        assert f"match={address}" in pjsip


def test_a_registering_phone_takes_its_own_secret_when_the_file_names_one():
    config = CONFIG.model_copy(update={"queues": [CONFIG.queues[0].model_copy(update={
        "positions": [CONFIG.queues[0].positions[0].model_copy(update={"address": None})]})]})
    with pytest.raises(SecretError, match="BEREIK_PHONES_SECRET"):
        generate(config, Secrets({AMI_SECRET: "k3Wq9-long-random-secret"}))
    pjsip = generate(config, Secrets({AMI_SECRET: "k3Wq9-long-random-secret", PHONES_SECRET: "phones-" + "p" * 26,
                                      "BEREIK_PHONE_201_SECRET": "phone-secret-201-long"}))["pjsip.conf"]
    assert "password=phone-secret-201-long" in pjsip and "max_contacts=1" in pjsip


@pytest.mark.parametrize("secret", ["", "mysecret", "short"])
def test_sample_or_weak_secrets_are_refused(secret):
    with pytest.raises(SecretError):
        generate(CONFIG, Secrets({AMI_SECRET: secret, PHONES_SECRET: "phones-" + "p" * 26}))


def test_a_directory_password_follows_the_directorys_rules_not_asterisks():
    short_with_semicolon = "Zomer;2026"  # too short and a ';' for an Asterisk secret, fine for Active Directory
    given = Secrets({LDAP_SECRET: short_with_semicolon, AMI_SECRET: short_with_semicolon})
    assert given.get(LDAP_SECRET) == short_with_semicolon
    with pytest.raises(SecretError, match="shorter than 16"):
        given.get(AMI_SECRET)
    for unusable in ("", "changeme", "line\nbreak"):
        with pytest.raises(SecretError):
            Secrets({LDAP_SECRET: unusable}).get(LDAP_SECRET)


def test_a_secrets_file_readable_by_others_is_refused(tmp_path, monkeypatch):
    monkeypatch.delenv(AMI_SECRET, raising=False)
    path = tmp_path / "secrets.env"
    path.write_text(f"{AMI_SECRET}=k3Wq9-long-random-secret\n")
    path.chmod(0o644)
    with pytest.raises(SecretError, match="chmod 600"):
        Secrets.load(path)
    path.chmod(0o600)
    assert Secrets.load(path).get(AMI_SECRET) == "k3Wq9-long-random-secret"
    assert "k3Wq9" not in repr(Secrets.load(path))


def test_dialplan_command_writes_files_with_secrets_private(tmp_path, monkeypatch):
    monkeypatch.setenv(AMI_SECRET, "k3Wq9-long-random-secret")
    monkeypatch.setenv(PHONES_SECRET, "phones-" + "p" * 26)
    example = Path(__file__).parents[2] / "examples" / "bloemendaal.yaml"
    assert main(["dialplan", str(example), "--out", str(tmp_path / "asterisk")]) == 0
    assert (tmp_path / "asterisk" / "manager.conf").stat().st_mode & 0o077 == 0
    assert (tmp_path / "asterisk" / "extensions.conf").read_text().startswith("; Generated by bereik")


def test_the_shipped_example_configuration_is_what_the_generator_writes():
    import importlib.util

    ship = Path(__file__).parents[2] / "dialplans" / "ship.py"
    spec = importlib.util.spec_from_file_location("ship", ship)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    expected = module.shipped_files()
    shipped = {path.name: path.read_text() for path in module.SHIPPED.iterdir()}
    assert shipped == expected, "run `make dialplans` and commit the result"
    assert "<BEREIK_AMI_SECRET from the secrets file>" in shipped["manager.conf"]
