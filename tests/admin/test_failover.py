"""Several bereik instances: the entry hands a new call to the next one when one cannot be reached."""
from pathlib import Path

from bereik.config import load_config
from bereik.config.model import Pbx
from bereik.pbx import dialplan
from bereik.secrets import AMI_SECRET, Secrets

CONFIG = load_config(Path(__file__).parents[2] / "examples" / "bloemendaal.yaml")
SECRETS = Secrets({AMI_SECRET: "failover-" + "x" * 24})


def entry_steps(config) -> list[str]:
    text = dialplan.generate(config, SECRETS)["extensions.conf"]
    block = text[text.index("exten => 14023,1"):text.index("exten => T,1")]
    return [line.strip() for line in block.splitlines()
            if "AGI(" in line or "AGISTATUS" in line or "TIMEOUT(absolute)" in line]


def test_one_instance_keeps_the_plain_hand_over():
    assert entry_steps(CONFIG) == [
        "same => n,Set(TIMEOUT(absolute)=5)", "same => n,AGI(agi://127.0.0.1:4573/entry)",
        "same => n,Set(TIMEOUT(absolute)=0)", "same => n,Set(BEREIK_REASON=failopen-${AGISTATUS})"]


def test_the_next_instance_only_when_the_one_before_could_not_be_reached():
    pbx = CONFIG.pbx.model_copy(update={"agi_fallback": ["127.0.0.2:4573", "127.0.0.3:4573"]})
    assert entry_steps(CONFIG.model_copy(update={"pbx": Pbx.model_validate(pbx.model_dump())})) == [
        "same => n,Set(TIMEOUT(absolute)=5)", "same => n,AGI(agi://127.0.0.1:4573/entry)",
        'same => n,GotoIf($["${AGISTATUS}" != "FAILURE"]?handed_over)',
        "same => n,Set(TIMEOUT(absolute)=5)", "same => n,AGI(agi://127.0.0.2:4573/entry)",
        'same => n,GotoIf($["${AGISTATUS}" != "FAILURE"]?handed_over)',
        "same => n,Set(TIMEOUT(absolute)=5)", "same => n,AGI(agi://127.0.0.3:4573/entry)",
        "same => n(handed_over),Set(TIMEOUT(absolute)=0)",
        "same => n,Set(BEREIK_REASON=failopen-${AGISTATUS})"]
