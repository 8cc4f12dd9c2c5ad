"""What a production host needs beside the package: systemd units, the service user, the directory of Asterisk's
event log, log rotation, and the Prometheus alert rules and Grafana dashboard for the operator. `bereik systemd`
writes all but the last two."""
from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from bereik.pbx.cel import FILE_NAME as CEL_FILE_NAME


def shipped(relative: str) -> str:
    """A file of bereik/deploy/ as installed with the package."""
    return resources.files(__package__).joinpath(relative).read_text(encoding="utf-8")


def installed_bereik() -> str:
    """The `bereik` command of the installation that runs now (its virtualenv's bin/)."""
    beside = Path(sys.executable).parent / "bereik"
    return str(beside) if beside.exists() else (shutil.which("bereik") or "/usr/local/bin/bereik")


@dataclass(frozen=True)
class Layout:
    """Where a production host keeps bereik's files (the defaults follow Debian's Asterisk package)."""

    bereik: str
    yaml: str = "/etc/bereik/gemeente.yaml"
    secrets: str = "/etc/bereik/secrets.env"
    sounds: str = "/var/lib/asterisk/sounds/bereik"
    asterisk_config: str = "/etc/asterisk"
    cel: str = f"/var/log/asterisk/cel-custom/{CEL_FILE_NAME}"
    call_spool: str = "/var/spool/asterisk"  # pbx.call_files' parent: call files are written there, then moved in

    def fill(self, text: str) -> str:
        for token, value in (("@BEREIK@", self.bereik), ("@YAML@", self.yaml), ("@SECRETS@", self.secrets),
                             ("@SOUNDS@", self.sounds), ("@ASTERISK_CONFIG@", self.asterisk_config),
                             ("@CEL@", self.cel), ("@CEL_DIR@", str(Path(self.cel).parent)),
                             ("@CALL_SPOOL@", self.call_spool)):
            if any(c.isspace() for c in value):
                raise ValueError(f"{value!r}: a path with spaces cannot go into a systemd unit unquoted; "
                                 "choose another path")
            text = text.replace(token, value)
        return text


UNITS = ("bereik.service", "bereik-report.service", "bereik-report.timer")


def files(layout: Layout) -> dict[str, str]:
    """Path under the root -> contents, for every file `bereik systemd` installs."""
    made = {f"etc/systemd/system/{unit}": layout.fill(shipped(f"systemd/{unit}")) for unit in UNITS}
    made["etc/sysusers.d/bereik.conf"] = shipped("systemd/bereik.sysusers")
    made["etc/tmpfiles.d/bereik.conf"] = layout.fill(shipped("systemd/bereik.tmpfiles"))
    made["etc/logrotate.d/bereik"] = layout.fill(shipped("logrotate/bereik"))
    return made


def install(layout: Layout, root: Path = Path("/")) -> list[Path]:
    written = []
    for relative, text in files(layout).items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        path.chmod(0o644)
        written.append(path)
    return written


NEXT_STEPS = """\
Next, as root:
  systemd-sysusers                      # the user bereik, in the group asterisk
  systemd-tmpfiles --create bereik.conf # the directory of Asterisk's event log for bereik (CEL)
  install -d -o root -g root -m 755 {etc}
  bereik secrets --new {secrets}        # if you have none yet (mode 600, read by systemd for bereik)
  bereik migrate {yaml}                 # optional: bereik run does it at start
  systemctl daemon-reload
  systemctl enable --now bereik.service bereik-report.timer
  bereik doctor {yaml} --secrets {secrets}
A changed YAML takes effect with `systemctl reload bereik` (checked first; the old one stays on any error)."""
