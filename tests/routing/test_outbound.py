"""The class of service: what may leave through the trunk, decided once, by bereik and Asterisk alike."""
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bereik.cli import main
from bereik.config import ConfigError, parse_config
from bereik.pbx.dialplan import generate
from bereik.routing.outbound import OutboundPolicy, national
from bereik.secrets import AMI_SECRET, PHONES_SECRET, Secrets
from tests.examples import example_config

EXAMPLE = Path(__file__).parents[2] / "examples" / "bloemendaal.yaml"
SECRETS = Secrets({AMI_SECRET: "k3Wq9-long-random-secret", PHONES_SECRET: "phones-" + "p" * 26})
DEFAULT = OutboundPolicy()


@pytest.mark.parametrize(("number", "kind"), [
    ("0235485868", "fixed"), ("0201234567", "fixed"), ("0881234567", "fixed"), ("14023", "fixed"),
    ("140299", "fixed"), ("0612345678", "mobile"), ("+31612345678", "mobile"), ("08001234", "freephone"),
    ("08001234567", "freephone"), ("112", "emergency"),
])
def test_dutch_fixed_mobile_freephone_municipal_and_emergency_numbers_are_allowed_by_default(number, kind):
    verdict = DEFAULT.verdict(number)
    assert verdict.allowed and verdict.kind == kind


@pytest.mark.parametrize(("number", "reason"), [
    ("0900123456", "premium-rate"), ("09001234", "premium-rate"), ("09061234567", "premium-rate"),
    ("09091234", "premium-rate"), ("0044201234567", "international"), ("0031612345678", "international"),
    ("+442012345678", "international"), ("0676123456", "not a Dutch"), ("0841234567", "not a Dutch"),
    ("12", "not a Dutch"), ("", "not a telephone number"), ("06*1234", "not a telephone number"),
])
def test_premium_international_and_odd_numbers_are_refused_with_the_reason(number, reason):
    verdict = DEFAULT.verdict(number)
    assert not verdict.allowed and reason in verdict.reason


def test_plus_31_is_a_dutch_number_and_any_other_plus_is_international():
    assert national("+31 (0)6-1234 5678".replace("(0)", "")) == "0612345678"
    assert national("+32 2 123 45 67") == "003221234567"


def test_the_yaml_adds_classes_single_numbers_and_prefixes():
    policy = OutboundPolicy(("fixed", "mobile", "international"), ("09008844",))
    assert policy.verdict("0044201234567").allowed
    assert policy.verdict("09008844").kind == "listed"
    assert not policy.verdict("09008845").allowed
    belgium = OutboundPolicy(allow=("0032*",))
    assert belgium.verdict("+3221234567").allowed and not belgium.verdict("0044201234567").allowed


def _dialplan_allows(extensions: str, number: str) -> bool:
    """Asterisk's view: after the context's + rewriting, does a dialling extension match (not the refusal)?"""
    context = extensions.split("[bereik-outbound]", 1)[1].split("\n[", 1)[0]
    dialling = re.findall(r"^exten => (_?[^,]+),1,NoOp\(bereik out", context, re.MULTILINE)
    assert "exten => _X.,1,Log(NOTICE" in context  # everything else is refused
    number = "0" + number[3:] if number.startswith("+31") else "00" + number[1:] if number.startswith("+") else number
    patterns = [p[1:] if p.startswith("_") else p for p in dialling]
    regexes = [re.sub(r"\[([^\]]*)\]", r"[\1]", p).replace("X", "[0-9]").replace(".", ".+") for p in patterns]
    return any(re.fullmatch(r, number) for r in regexes)


CONFIG = example_config()
WIDER = CONFIG.model_copy(update={"outbound": CONFIG.outbound.model_copy(
    update={"classes": ["fixed", "premium"], "allow": ["0032*", "+4420123"]})})


GENERATED = [(generate(config, SECRETS)["extensions.conf"], OutboundPolicy.from_config(config))
             for config in (CONFIG, WIDER)]


@given(st.sampled_from(["0", "00", "06", "09", "08", "14", "+", "+31", "+32", "1"]),
       st.text(alphabet="0123456789", min_size=0, max_size=12))
def test_bereik_and_the_generated_dialplan_agree_on_every_number(prefix, rest):
    number = prefix + rest
    for extensions, policy in GENERATED:
        assert _dialplan_allows(extensions, number) == policy.verdict(number).allowed


def test_a_number_the_yaml_forwards_to_must_be_within_the_class_of_service():
    text = EXAMPLE.read_text().replace('forward_to: "0235485868"', 'forward_to: "0900123456"')
    text = text.replace('mobile: "0612340303"', 'mobile: "0032470123456"')
    with pytest.raises(ConfigError) as raised:
        parse_config(text, "gemeente.yaml")
    messages = [p.message for p in raised.value.problems]
    assert any("Heemstede's number 0900123456 is a premium-rate number" in m for m in messages)
    assert any("Gijs Mulder's mobile 0032470123456 is an international number" in m for m in messages)
    assert parse_config(text + "outbound:\n  allow: ['0900123456', '0032*']\n", "gemeente.yaml")


def test_every_desk_phone_authenticates_and_an_addressed_one_is_pinned_to_its_address():
    pjsip = generate(CONFIG, SECRETS)["pjsip.conf"]
    anna = pjsip.split("[201]\ntype=endpoint", 1)[1].split("\n\n", 1)[0]
    assert "auth=201" in anna and "identify_by=ip" in anna
    assert f"password={SECRETS.phone('201')}" in pjsip
    assert SECRETS.phone("201") != SECRETS.phone("202") and len(SECRETS.phone("201")) >= 20
    trunk = pjsip.split("[trunk]\ntype=endpoint", 1)[1].split("\n\n", 1)[0]
    assert "identify_by=ip" in trunk and "context=bereik-inbound" in trunk


def test_bereik_phones_lists_each_phones_account_and_secrets_update_adds_the_phone_key(tmp_path, capsys):
    secrets_file = tmp_path / "secrets.env"
    secrets_file.write_text(f"{AMI_SECRET}=an-old-installation-secret\n")
    secrets_file.chmod(0o600)
    assert main(["secrets", "--update", str(secrets_file)]) == 0
    assert f"{PHONES_SECRET}=" in secrets_file.read_text()
    assert secrets_file.read_text().startswith(f"{AMI_SECRET}=an-old-installation-secret\n")  # nothing changed
    capsys.readouterr()
    assert main(["phones", str(EXAMPLE), "--secrets", str(secrets_file)]) == 0
    lines = capsys.readouterr().out.splitlines()
    anna = next(line for line in lines if line.startswith("201\t"))
    assert Secrets.load(secrets_file).phone("201") in anna and "from 127.0.1.1 only" in anna
    assert len(lines) == 9  # four positions, five people
