"""Regenerate the shipped example configuration: `python dialplans/ship.py` (or `make dialplans`).

The files under dialplans/asterisk/bloemendaal/ show what `bereik dialplan` writes for
examples/bloemendaal.yaml. Secrets are placeholders: generate your own configuration
with `bereik dialplan FILE --out DIR --secrets FILE`.
"""
import datetime as dt
from pathlib import Path

from bereik.config import load_config
from bereik.pbx import dialplan
from bereik.secrets import Secrets

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "bloemendaal.yaml"
SHIPPED = REPO / "dialplans" / "asterisk" / "bloemendaal"


class PlaceholderSecrets(Secrets):
    """Names the secret where it would go, so that no real secret is ever shipped."""

    def __init__(self) -> None:
        super().__init__({})

    def get(self, key: str) -> str:
        return f"<{key} from the secrets file>"

    def phone(self, extension: str) -> str:
        return f"<phone {extension}'s password: bereik phones>"


# The fail-open table of closing days starts here (`bereik dialplan` starts it today).
SHIPPED_ON = dt.date(2027, 1, 1)


def shipped_files() -> dict[str, str]:
    return dialplan.generate(load_config(EXAMPLE), PlaceholderSecrets(), source=str(EXAMPLE), today=SHIPPED_ON)


if __name__ == "__main__":
    for path in dialplan.write(shipped_files(), SHIPPED):
        print(f"wrote {path.relative_to(REPO)}")
