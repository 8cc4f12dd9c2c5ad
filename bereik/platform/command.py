"""`bereik check` and `bereik dialplan` given a platform file, and one municipality's configuration from one."""
from __future__ import annotations

import sys
from pathlib import Path

from bereik.config.model import Config
from bereik.pbx import dialplan
from bereik.platform import kamailio
from bereik.platform.load import Region, is_platform, load_region
from bereik.secrets import Secrets

MUNICIPALITY_HELP = "on a platform file: which municipality (its id or name)"


def config_for(path: str | Path, municipality: str | None, server: str | None = None, *, on_server: bool = False
               ) -> Config:
    """The configuration a command works on: a municipality's YAML, or one municipality of a platform file.
    `on_server`: as the bereik on `server` (one of pbx.servers, a platform's nodes) runs it. ValueError says
    what is missing."""
    from bereik.config import load_config

    if not is_platform(path):
        if municipality is not None:
            raise ValueError(f"{path} describes one municipality; --municipality is for a platform file")
        config = load_config(path)
    else:
        region = load_region(path)
        if municipality is None:
            raise ValueError(f"{path} is a platform file: say which municipality with --municipality "
                             f"({', '.join(m.id for m in region.municipalities)})")
        config = region.municipality(municipality).config
    return config.for_server(server) if on_server else config


def check(path: str) -> int:
    region = load_region(path)
    for warning in region.warnings:
        print(warning, file=sys.stderr)
    platform = region.platform
    print(f"{path}: ok. Platform {platform.platform}: Kamailio on {platform.kamailio.listen}, "
          f"{len(platform.nodes)} node(s) ({', '.join(n.name for n in platform.nodes)}), "
          f"{len(region.municipalities)} municipalities."
          + (f" {len(region.warnings)} warning(s), printed above." if region.warnings else ""))
    for municipality in region.municipalities:
        numbers = [number for number, owner in region.answering().items() if owner is municipality]
        print(f"  {municipality.id}: Gemeente {municipality.name}, SIP port {municipality.member.sip_port}, "
              f"answers {', '.join(numbers)}")
    return 0


def write_dialplan(path: str, out: Path, *, server: str | None, only_kamailio: bool, secrets: Path | None) -> int:
    """Kamailio's files and every municipality's Asterisk instance per node, under `out`:
    out/kamailio/ and out/<node>/asterisk-<id>/; --kamailio: Kamailio's alone into out;
    --server NODE: that node's instances into out/asterisk-<id>/."""
    region = load_region(path)
    written: list[Path] = []
    if only_kamailio or server is None:
        target = out if only_kamailio else out / "kamailio"
        written += _write(kamailio.generate(region), target)
    if not only_kamailio:
        nodes = [region.platform.node(server)] if server else region.platform.nodes
        for node in nodes:
            for municipality in region.municipalities:
                target = (out if server else out / node.name) / f"asterisk-{municipality.id}"
                written += dialplan.write(instance_files(region, municipality.id, node.name,
                                                         secrets_of(secrets, municipality.id)), target)
    for file in written:
        print(f"wrote {file}")
    return 0


def secrets_of(directory: Path | None, municipality: str) -> Secrets:
    """A municipality's own secrets on a platform: <directory>/<id>.env (or the environment)."""
    return Secrets.load(directory / f"{municipality}.env" if directory else None)


def instance_files(region: Region, municipality: str, node: str, secrets: Secrets) -> dict[str, str]:
    """The Asterisk configuration of one municipality's instance on one node, its asterisk.conf included."""
    config = region.config(municipality, node)
    files = dialplan.generate(config, secrets, source=str(Path(region.municipality(municipality).checked.filename)))
    return {**files, "asterisk.conf": _asterisk_conf(municipality, region, node)}


def _asterisk_conf(municipality: str, region: Region, node: str) -> str:
    """Its own configuration, database, spool, run and log directories beside the other municipalities' instances
    on the node (`asterisk -C /etc/asterisk-<id>/asterisk.conf`); sounds, modules and keys are shared."""
    own = {"astetcdir": "/etc/asterisk", "astdbdir": "/var/lib/asterisk", "astspooldir": "/var/spool/asterisk",
           "astrundir": "/var/run/asterisk", "astlogdir": "/var/log/asterisk"}
    return "\n".join([
        dialplan.HEADER.format(source=Path(region.filename).name).rstrip("\n"),
        f"; Gemeente {region.municipality(municipality).name} on node {node} of {region.platform.platform}.",
        "[directories]",
        *[f"{key} => {path}-{municipality}" for key, path in own.items()],
        "",
    ])


def _write(files: dict[str, str], directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    for name, body in files.items():
        (directory / name).write_text(body)
    return [directory / name for name in files]
