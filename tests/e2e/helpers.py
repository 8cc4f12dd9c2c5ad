"""Small helpers the end-to-end tests share (importable: conftest puts this folder on sys.path)."""
from __future__ import annotations

from pathlib import Path

from bereik.config.model import Config
from bereik.pbx import dialplan
from bereik.secrets import Secrets

# A test-only AMI user that sees everything (bereik's own user cannot see dialplan events).
OBSERVER = ("observer", "observer-secret-for-tests-only")


def write_config_with_observer(config: Config, secrets: Secrets, directory: Path, source: str) -> Path:
    """The configuration `bereik dialplan` writes, plus the observer AMI user."""
    dialplan.write(dialplan.generate(config, secrets, source=source), directory)
    with open(directory / "manager.conf", "a") as manager:
        manager.write(f"\n[{OBSERVER[0]}]\nsecret={OBSERVER[1]}\nread=all\nwrite=call\n")
    return directory


def variable(event: dict, name: str) -> str | None:
    """A channel variable carried in an AMI event (manager.conf channelvars)."""
    values = event.get("ChanVariable", [])
    values = values if isinstance(values, list) else [values]
    return dict(v.split("=", 1) for v in values if "=" in v).get(name)


def from_outside(event: dict) -> bool:
    """Events of the caller's own channel (SIPp callers come in over the trunk)."""
    return event.get("Channel", "").startswith("PJSIP/trunk-")
