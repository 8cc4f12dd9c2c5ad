"""Read a platform file and the municipalities it names; report every problem of every file at once.

Each municipality's YAML is checked as `bereik check` checks it alone, with the platform's part of `pbx:`
put in: its nodes as `pbx.servers` (the municipality's ports on every node's address) and Kamailio as
`pbx.trunk` (calls from Kamailio's address enter at the municipality's numbers; calls out go to Kamailio).
So every part of bereik that reads one municipality's configuration reads it unchanged on a platform.
Then the platform's own rules: who answers which number, no port or file used twice, one store per
municipality (each is its own controller under the AVG), desk phones on addresses every node can reach.
"""
from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pydantic
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from bereik.config.load import Checked, ConfigError, Locator, Problem, check_text, parse_document, plain, \
    validation_problems
from bereik.config.model import Config
from bereik.platform.model import Member, Platform

# The keys of pbx: the platform decides; a municipality's YAML on a platform leaves them out.
PLATFORM_PBX_KEYS = ("sip_bind", "agi", "ami", "trunk", "servers", "agi_fallback", "server")
POSTGRES = ("postgresql://", "postgres://")


@dataclass(frozen=True)
class Municipality:
    id: str
    member: Member
    config: Config  # with the platform's nodes as pbx.servers and its own files; for_server(node) picks a node
    checked: Checked
    text: str

    @property
    def name(self) -> str:
        return self.config.municipality

    def numbers(self) -> tuple[str, ...]:
        """Every number callers from outside dial for this municipality."""
        config = self.config
        return (*config.entry_numbers, *(d.number for d in config.departments if d.number),
                *(p.direct for p in config.people if p.direct))


@dataclass(frozen=True)
class Region:
    """A valid platform and its municipalities, in the platform file's order."""

    platform: Platform
    municipalities: tuple[Municipality, ...]
    filename: str
    warnings: list[Problem]

    def municipality(self, wanted: str) -> Municipality:
        for municipality in self.municipalities:
            if wanted in (municipality.id, municipality.name):
                return municipality
        known = ", ".join(m.id for m in self.municipalities)
        raise ValueError(f"no municipality {wanted!r} on the platform {self.platform.platform} (known: {known})")

    def config(self, municipality: str, server: str | None = None) -> Config:
        """A municipality's configuration as the bereik on node `server` runs it."""
        config = self.municipality(municipality).config
        return config if server is None else config.for_server(server)

    def answering(self) -> dict[str, Municipality]:
        """number -> the municipality whose Asterisk instances take its calls. A shared 14 number is answered by
        the first municipality that has it: its callers choose there, and a caller who picks another
        municipality on the platform is put through to that one's own number (Kamailio keeps it inside)."""
        owners: dict[str, Municipality] = {}
        for municipality in self.municipalities:
            for number in municipality.numbers():
                owners.setdefault(number, municipality)
        return owners


def is_platform(path: str | Path) -> bool:
    """Whether a YAML file is a platform file (it lists municipalities) rather than one municipality's."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    return re.search(r"^municipalities\s*:", text, re.MULTILINE) is not None


def load_region(path: str | Path) -> Region:
    return check_platform(path)


def check_platform(path: str | Path) -> Region:
    """The platform and every municipality it names, or ConfigError with every problem of every file."""
    path = Path(path)
    text = _read(path)
    document = parse_document(text, str(path), "the platform file must be a mapping of keys such as platform:, "
                              "trunk:, kamailio:, nodes:, municipalities:")
    locate = Locator(document, str(path), text)
    try:
        platform = Platform.model_validate(plain(document))
    except pydantic.ValidationError as error:
        raise ConfigError(validation_problems(error, locate, Platform)) from None
    problems = [locate(loc, message) for loc, message in _platform_rules(platform)]
    municipalities, warnings = [], []
    for index, member in enumerate(platform.municipalities):
        where = ("municipalities", index)
        file = (path.parent / member.file)
        try:
            member_text = _read(file)
            checked = check_text(member_text, str(file), amend=lambda doc: _platform_pbx(doc, platform, member))
        except ConfigError as error:
            problems += error.problems
            continue
        warnings += checked.warnings
        municipality_id = member.id or _slug(checked.config.municipality)
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,30}", municipality_id):
            problems.append(locate((*where, "file"), (
                f"{checked.config.municipality} needs a short name of lower-case letters for its Asterisk instance "
                f"and files; add id: to this entry, e.g. id: {_slug(checked.config.municipality, loose=True)}")))
            continue
        config = _own_files(checked.config, platform.data_dir, municipality_id)
        municipalities.append(Municipality(municipality_id, member, config, checked, member_text))
    if problems:
        raise ConfigError(problems)
    region = Region(platform, tuple(municipalities), str(path), warnings)
    findings = list(_between_municipalities(region))
    errors = [_place(region, locate, where, message) for where, message, severity in findings if severity == "error"]
    if errors:
        raise ConfigError(errors)
    extra = [_place(region, locate, where, message, "warning") for where, message, severity in findings]
    return Region(platform, region.municipalities, region.filename, warnings + extra)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([Problem(str(path), 0, 0, "file not found; give the path of the YAML")]) from None
    except UnicodeDecodeError as error:
        raise ConfigError([Problem(str(path), 1, 1, f"not UTF-8 text ({error.reason}); save the file as UTF-8")]) \
            from None


def _slug(name: str, loose: bool = False) -> str:
    slug = re.sub(r"[^a-z0-9_]+", "_", name.lower()).strip("_")
    if loose:
        slug = re.sub(r"^[^a-z]+", "", slug)[:31] or "gemeente"
    return slug


# --- the platform's part of each municipality's pbx: ---------------------------------------------------------


def _platform_pbx(document: CommentedMap, platform: Platform, member: Member) -> list[tuple[tuple, str]]:
    """Put the platform's nodes and Kamailio into the municipality's pbx:, and say which of its own keys are the
    platform's to decide (an error where the municipality wrote them)."""
    pbx = document.get("pbx")
    if not isinstance(pbx, CommentedMap):
        document["pbx"] = pbx = _positioned(CommentedMap(), document.lc.line, document.lc.col)
        if "pbx" not in document.lc.data:
            _place_key(document, "pbx", document.lc.line, document.lc.col)
    found = [(("pbx", key), f"pbx.{key}: on the platform {platform.platform} the addresses come from the platform "
              "file (its nodes, Kamailio and this municipality's ports); remove it here")
             for key in PLATFORM_PBX_KEYS if key in pbx]
    line, column = pbx.lc.line or 0, pbx.lc.col or 0
    servers = CommentedSeq(_positioned(CommentedMap({
        "name": node.name, "sip_bind": f"{node.address}:{member.sip_port}", "agi": f"{node.address}:{member.agi_port}",
        "ami": f"{node.address}:{member.ami_port}"}), line, column) for node in platform.nodes)
    servers._yaml_set_line_col(line, column)
    for index in range(len(servers)):
        servers._yaml_set_idx_line_col(index, [line, column])
    for key, value in (("trunk", platform.kamailio.listen), ("servers", servers)):
        if key not in pbx:
            pbx[key] = value
            _place_key(pbx, key, line, column)
    return found


def _positioned(node: CommentedMap, line: int | None, column: int | None) -> CommentedMap:
    """A mapping the platform adds, placed at (line, column): a problem about it points there."""
    node._yaml_set_line_col(line or 0, column or 0)
    for key in node:
        _place_key(node, key, line, column)
    return node


def _place_key(mapping: CommentedMap, key: str, line: int | None, column: int | None) -> None:
    mapping._yaml_set_kv_line_col(key, [line or 0, column or 0, line or 0, column or 0])


# --- each municipality's own files --------------------------------------------------------------------------


def _own_files(config: Config, data_dir: str, municipality: str) -> Config:
    """Every file the municipality's YAML leaves at bereik's default moves into its own place: bereik's data in
    <data_dir>/<id>/, Asterisk's logs and spool into its instance's (/var/log/asterisk-<id>/...). Two
    municipalities never share a file, and a setting added to bereik later moves with them."""
    updates = {}
    for section_name, section in config:
        if not isinstance(section, pydantic.BaseModel):
            continue
        moved = {name: _own_path(info.default, data_dir, municipality)
                 for name, info in type(section).model_fields.items()
                 if name not in section.model_fields_set and isinstance(info.default, str)
                 and info.default.startswith("/")}
        if section_name == "records" and section.spool is None:
            moved["spool"] = f"{data_dir}/{municipality}/records-spool"
        if moved:
            updates[section_name] = section.model_copy(update=moved)
    return config.model_copy(update=updates)


def _own_path(default: str, data_dir: str, municipality: str) -> str:
    if default.startswith("/var/lib/bereik/"):
        return f"{data_dir}/{municipality}/{default.removeprefix('/var/lib/bereik/')}"
    for kind in ("log", "spool", "lib", "run"):
        if default.startswith(f"/var/{kind}/asterisk/"):
            return f"/var/{kind}/asterisk-{municipality}/{default.removeprefix(f'/var/{kind}/asterisk/')}"
    return default


def file_settings(config: Config) -> dict[str, str]:
    """'section.key' -> path, for every file location in a municipality's configuration."""
    found = {}
    for section_name, section in config:
        if not isinstance(section, pydantic.BaseModel):
            continue
        for name, info in type(section).model_fields.items():
            value = getattr(section, name)
            if isinstance(info.default, str) and info.default.startswith("/") and isinstance(value, str):
                found[f"{section_name}.{name}"] = value
        if section_name == "records" and section.spool:
            found["records.spool"] = section.spool
    return found


# --- the platform's own rules ---------------------------------------------------------------------------------


def _platform_rules(platform: Platform) -> Iterator[tuple[tuple, str]]:
    seen_names, seen_addresses = {}, {}
    for index, node in enumerate(platform.nodes):
        if node.name in seen_names:
            yield ("nodes", index, "name"), f"node {node.name} is listed twice; each node needs its own name"
        if node.address in seen_addresses:
            yield ("nodes", index, "address"), (
                f"{node.address} is also node {seen_addresses[node.address]}'s address; each node has its own")
        seen_names[node.name] = index
        seen_addresses[node.address] = node.name
        if ipaddress.ip_address(node.address).is_loopback:
            yield ("nodes", index, "address"), (
                f"{node.address} is a loopback address, which Kamailio and the other nodes cannot reach; "
                "give the node's network address")
    kamailio_host, kamailio_port = platform.kamailio.listen.rsplit(":", 1)
    for index, trunk in enumerate(platform.trunk):
        host = trunk.rsplit(":", 1)[0]
        if host == kamailio_host or host in seen_addresses:
            yield ("trunk", index), (f"{trunk} is the address of Kamailio or a node, not of the trunk; give the "
                                     "carrier's address")
    ports: dict[int, str] = {}  # every member's instance and bereik listen on every node
    if kamailio_host in seen_addresses:
        ports[int(kamailio_port)] = "Kamailio's (it listens on a node's address)"
    ids: dict[str, int] = {}
    files: dict[str, int] = {}
    for index, member in enumerate(platform.municipalities):
        if member.file in files:
            yield ("municipalities", index, "file"), f"{member.file} is listed twice; list each municipality once"
        files[member.file] = index
        if member.id is not None:
            if member.id in ids:
                yield ("municipalities", index, "id"), f"id {member.id} is used twice; give each municipality its own"
            ids[member.id] = index
        for kind in ("sip_port", "ami_port", "agi_port"):
            port = getattr(member, kind)
            if port in ports:
                yield ("municipalities", index, kind), (
                    f"port {port} is already {ports[port]} on every node; each port serves one purpose")
            ports.setdefault(port, f"{member.file}'s {kind.replace('_', ' ')}")


def _between_municipalities(region: Region) -> Iterator[tuple[tuple, str, str]]:
    """(where, message, severity); where is ("platform", loc) or (municipality id, loc)."""
    yield from _numbers(region)
    yield from _listeners(region)
    yield from _stores(region)
    yield from _phones(region)


def _numbers(region: Region) -> Iterator[tuple[tuple, str, str]]:
    owners = region.answering()
    for municipality in region.municipalities:
        config = municipality.config
        for number in municipality.numbers():
            owner = owners[number]
            if owner is municipality:
                continue
            if not (number == config.number == owner.config.number and config.shared_number
                    and owner.config.shared_number):
                yield (municipality.id, _where_number(config, number)), (
                    f"{number} is also {owner.name}'s number; on one platform a number leads to one municipality "
                    "(only a shared 14 number, with a choice in both files, may be listed twice)"), "error"
                continue
            offered = {other.name: other for other in owner.config.shared_number.others}
            if municipality.name not in offered:
                yield (owner.id, ("shared_number", "others")), (
                    f"{municipality.name} shares {number}, which {owner.name} answers on this platform, but "
                    f"{owner.name}'s choice does not offer {municipality.name}; add it under shared_number.others"), \
                    "error"
                continue
            forward_to = offered[municipality.name].forward_to
            if forward_to not in municipality.config.entry_numbers:
                yield (owner.id, ("shared_number", "others")), (
                    f"callers who choose {municipality.name} are put through to {forward_to}, which is not one of "
                    f"{municipality.name}'s numbers on this platform ({', '.join(municipality.config.entry_numbers)}): "
                    f"the call leaves through the trunk and comes back; name one of its general_numbers"), "warning"
    for municipality in region.municipalities:
        shared = municipality.config.shared_number
        for index, other in enumerate(shared.others if shared else ()):
            owner = owners.get(other.forward_to)
            if owner is not None and owner.name != other.name:
                yield (municipality.id, ("shared_number", "others", index, "forward_to")), (
                    f"callers who choose {other.name} would reach {owner.name}: {other.forward_to} is "
                    f"{owner.name}'s number on this platform"), "error"


def _where_number(config: Config, number: str) -> tuple:
    if number == config.number:
        return ("number",)
    if number in config.general_numbers:
        return ("general_numbers", config.general_numbers.index(number))
    for index, department in enumerate(config.departments):
        if department.number == number:
            return ("departments", index, "number")
    for index, person in enumerate(config.people):
        if person.direct == number:
            return ("people", index, "direct")
    return ()


def _listeners(region: Region) -> Iterator[tuple[tuple, str, str]]:
    """Every municipality's bereik runs on every node: no two may listen on one port."""
    platform_ports = {port: f"{m.id}'s {kind.replace('_', ' ')}" for m in region.municipalities
                      for kind in ("sip_port", "ami_port", "agi_port") for port in [getattr(m.member, kind)]}
    used: dict[int, str] = {}
    for municipality in region.municipalities:
        config = municipality.config
        listeners = {("wallboard", "listen"): config.wallboard.listen, ("console", "listen"): config.console.listen,
                     ("public", "listen"): config.public.listen}
        for where, listen in listeners.items():
            if listen is None or (where[0] == "console" and not config.console.users):
                continue
            port = int(listen.rsplit(":", 1)[1])
            if port == 0:
                continue
            clash = used.get(port) or platform_ports.get(port)
            if clash:
                yield (municipality.id, where), (
                    f"{where[0]}.listen {listen}: port {port} is already {clash} on every node; give "
                    f"{municipality.name}'s {where[0]} a port of its own"), "error"
            used.setdefault(port, f"{municipality.id}'s {where[0]}")


def _stores(region: Region) -> Iterator[tuple[tuple, str, str]]:
    """One controller, one store: no two municipalities keep personal data in one place."""
    stores: dict[str, str] = {}
    files: dict[str, str] = {}
    for municipality in region.municipalities:
        config = municipality.config
        store = config.records.store
        if len(region.platform.nodes) > 1 and not store.startswith(POSTGRES):
            yield (municipality.id, ("records", "store")), (
                f"records.store: {municipality.name}'s bereiks on {len(region.platform.nodes)} nodes share one "
                "call-record store, which a file (SQLite) cannot be; set a postgresql:// address of its own"), "error"
        elif _store_key(store) in stores:
            yield (municipality.id, ("records", "store")), (
                f"records.store: {municipality.name} keeps its call records in {stores[_store_key(store)]}'s store; "
                "each municipality is its own controller (AVG): give it a database of its own"), "error"
        stores.setdefault(_store_key(store), municipality.name)
        for setting, path in file_settings(config).items():
            if setting == "records.store":
                continue
            if path in files:
                yield (municipality.id, tuple(setting.split("."))), (
                    f"{setting}: {path} is also {files[path]}; each municipality keeps its own files"), "error"
            files.setdefault(path, f"{municipality.name}'s {setting}")


def _store_key(store: str) -> str:
    """A store as a place: a database on a server, or a file (user names and options aside)."""
    if store.startswith(POSTGRES):
        rest = store.split("://", 1)[1].split("?", 1)
        hostpart, _, database = rest[0].rpartition("/")
        host = hostpart.rsplit("@", 1)[-1]
        options = dict(part.split("=", 1) for part in rest[1].split("&") if "=" in part) if len(rest) > 1 else {}
        return f"postgresql://{options.get('host', host)}:{options.get('port', '')}/{database}"
    return str(Path(store).resolve())


def _phones(region: Region) -> Iterator[tuple[tuple, str, str]]:
    """Every node rings a desk phone at its address: it must be one they can reach, and one phone's only."""
    platform = region.platform
    others = {node.address: f"node {node.name}" for node in platform.nodes}
    others[platform.kamailio.listen.rsplit(":", 1)[0]] = "Kamailio"
    seen: dict[str, str] = {}
    for municipality in region.municipalities:
        config = municipality.config
        phones = [(("queues", q, "positions", p, "address"), position.address, position.extension)
                  for q, queue in enumerate(config.queues) for p, position in enumerate(queue.positions)]
        phones += [(("people", index, "address"), person.address, person.extension)
                   for index, person in enumerate(config.people)]
        for where, address, extension in phones:
            if address is None:
                continue
            if ipaddress.ip_address(address).is_loopback:
                yield (municipality.id, where), (
                    f"the desk phone of {extension} is on {address}, a loopback address: each node would ring "
                    "itself; give the phone's address on the network the nodes reach"), "error"
            elif address in others:
                yield (municipality.id, where), (
                    f"the desk phone of {extension} is on {address}, the address of {others[address]}"), "error"
            elif seen.get(address, municipality.name) != municipality.name:
                yield (municipality.id, where), (
                    f"the desk phone of {extension} is on {address}, which is a phone of {seen[address]}; "
                    "a phone belongs to one municipality"), "error"
            seen.setdefault(address, municipality.name)


def _place(region: Region, platform_locate: Locator, where: tuple, message: str, severity="error") -> Problem:
    owner, loc = where
    for municipality in region.municipalities:
        if municipality.id == owner:
            locate = Locator(municipality.checked.document, municipality.checked.filename, municipality.text)
            return locate(loc, message, severity=severity)
    return platform_locate(loc, message, severity=severity)
