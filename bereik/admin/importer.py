"""`bereik import`: a starting YAML from an existing Asterisk (extensions.conf, queues.conf, pjsip.conf).

The importer follows the dialplan the way Asterisk would for a call to the
14xxx number: opening hours from GotoIfTime(), the menu from Background() and
WaitExten(), each key to the Queue() it ends in (through Goto()s), the `t`
extension to the front office. Queues and their members become queues and
positions, pjsip endpoints give names, addresses and the trunk.

What it guesses (spoken texts: the old PBX played sound files whose words it
cannot know) carries a comment in the YAML. Every dialplan line it did not
follow, every setting it did not carry over, is listed as not imported, in
the YAML and on stderr: nothing is dropped silently.
"""
from __future__ import annotations

import io
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from bereik.admin.asterisk_conf import ConfFile, effective, read_conf, split_arguments
from bereik.config.model import WEEKDAYS

FILES = ("extensions.conf", "queues.conf", "pjsip.conf")
NUMBER = re.compile(r"^14[0-9]{3,4}$")
EXTENSION = re.compile(r"^[0-9]{2,8}$")
IPV4 = re.compile(r"^(?:[0-9]{1,3}\.){3}[0-9]{1,3}$")
# Steps bereik's own generated dialplan does for every call.
HARMLESS = {"noop", "answer", "ringing", "progress", "verbose"}
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_QUEUE_KEYS_KEPT = {"member"}
_ENDPOINT_KEYS_USED = {"type", "callerid", "context", "aors", "auth"}


@dataclass
class Step:
    app: str
    args: list[str]
    label: str | None
    line: int
    text: str


@dataclass
class NotImported:
    file: str
    line: int
    text: str
    why: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.text}  -- {self.why}"


@dataclass
class Imported:
    yaml: str
    not_imported: list[NotImported]
    guesses: list[str] = field(default_factory=list)
    followed: set[int] = field(default_factory=set)  # extensions.conf lines carried into the YAML


class _Dialplan:
    def __init__(self, conf: ConfFile):
        self.file = conf.path.name
        self.contexts: dict[str, dict[str, list[Step]]] = {}
        self.followed: set[int] = set()
        self.not_imported: list[NotImported] = [NotImported(self.file, n, t, why) for n, t, why in conf.unreadable]
        for section in conf.sections:
            if section.name in ("general", "globals"):
                for setting in section.settings:
                    self.skip(setting.line, f"{setting.name}={setting.value}",
                              "bereik writes its own [general] and [globals]")
                continue
            extensions = self.contexts.setdefault(section.name, {})
            last = None
            for setting in section.settings:
                if setting.name == "same" and last is not None:
                    priority, rest = setting.value.split(",", 1)
                    extensions[last].append(self._step(priority, rest, setting.line))
                elif setting.name == "exten" and setting.value.count(",") >= 2:
                    last, priority, rest = setting.value.split(",", 2)
                    extensions.setdefault(last, []).append(self._step(priority, rest, setting.line))
                else:
                    self.skip(setting.line, f"{setting.name} => {setting.value}", "not an extension line")

    @staticmethod
    def _step(priority: str, rest: str, line: int) -> Step:
        label = re.match(r"^[n0-9+]*\((\w+)\)$", priority.strip())
        match = re.match(r"^\s*(\w+)\s*(?:\((.*)\))?\s*$", rest)
        app, args = (match.group(1), split_arguments(match.group(2) or "")) if match else (rest, [])
        return Step(app, args, label.group(1) if label else None, line, rest.strip())

    def skip(self, line: int, text: str, why: str) -> None:
        self.not_imported.append(NotImported(self.file, line, text, why))

    def find(self, pattern: re.Pattern) -> tuple[str, str] | None:
        return next(((c, e) for c, exts in self.contexts.items() for e in exts if pattern.match(e)), None)

    def goto(self, context: str, extension: str, args: list[str]) -> tuple[str, str, int] | None:
        """Where Goto(args) leads from (context, extension): (context, extension, step index)."""
        parts = list(args)
        if len(parts) == 1:
            parts = [context, extension, parts[0]]
        elif len(parts) == 2:
            parts = [context, *parts]
        target_context, target_extension, priority = parts[:3]
        steps = self.contexts.get(target_context, {}).get(target_extension)
        if steps is None:
            return None
        if priority.isdigit():
            return target_context, target_extension, int(priority) - 1
        index = next((i for i, step in enumerate(steps) if step.label == priority), None)
        return None if index is None else (target_context, target_extension, index)

    def walk(self, context: str, extension: str, index: int = 0):
        """The steps a call takes from here, Goto()s followed; stops at a loop or the end."""
        seen = set()
        while (context, extension, index) not in seen:
            seen.add((context, extension, index))
            steps = self.contexts.get(context, {}).get(extension, [])
            if index >= len(steps):
                return
            step = steps[index]
            if step.app.lower() == "goto":
                self.followed.add(step.line)
                target = self.goto(context, extension, step.args)
                if target is None:
                    self.skip(step.line, step.text, "a Goto to a place that does not exist")
                    return
                context, extension, index = target
                continue
            yield context, extension, index, step
            index += 1

    def unfollowed(self) -> list[NotImported]:
        lines = [NotImported(self.file, step.line, f"[{context}] {extension}: {step.text}",
                             "not on the way of a call to the 14 number; bereik's dialplan does not have it")
                 for context, extensions in self.contexts.items() for extension, steps in extensions.items()
                 for step in steps if step.line not in self.followed]
        return lines


@dataclass
class _Menu:
    context: str
    extension: str  # where the menu is asked; a Goto back there repeats it
    wait: float | None = None
    prompts: list[str] = field(default_factory=list)
    options: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # key -> queue, named extension
    timeout_queue: str | None = None
    invalid_prompts: list[str] = field(default_factory=list)


@dataclass
class _Entry:
    number: str
    periods: dict[str, list[str]] = field(default_factory=dict)
    closed_prompts: list[str] = field(default_factory=list)
    menu: _Menu | None = None
    queue: str | None = None  # no menu: the one queue every caller joins
    prompts: list[str] = field(default_factory=list)  # Background() files before WaitExten()


def import_asterisk(paths: list[Path], municipality: str | None = None) -> Imported:
    files = _files(paths)
    dialplan = _Dialplan(read_conf(files["extensions.conf"]))
    queues_conf = read_conf(files["queues.conf"]) if "queues.conf" in files else None
    pjsip_conf = read_conf(files["pjsip.conf"]) if "pjsip.conf" in files else None
    not_imported: list[NotImported] = []
    guesses: list[str] = []

    found = dialplan.find(NUMBER)
    if found is None:
        raise ImportProblem(f"{files['extensions.conf']}: no extension is a 14 number (14xxx); "
                            "bereik routes calls to the municipality's 14 number")
    entry = _follow_entry(dialplan, *found)
    endpoints = _endpoints(pjsip_conf, not_imported) if pjsip_conf else {}
    queues = _queues(queues_conf, endpoints, not_imported) if queues_conf else {}
    document = _document(entry, queues, endpoints, pjsip_conf, found[0], municipality, guesses, not_imported)
    not_imported = dialplan.not_imported + dialplan.unfollowed() + not_imported
    not_imported.sort(key=lambda n: (FILES.index(n.file) if n.file in FILES else 9, n.line))
    _header(document, files, not_imported)
    out = io.StringIO()
    yaml = YAML()
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 110
    yaml.dump(document, out)
    return Imported(out.getvalue(), not_imported, guesses, dialplan.followed)


class ImportProblem(Exception):
    pass


def _files(paths: list[Path]) -> dict[str, Path]:
    files: dict[str, Path] = {}
    for path in paths:
        for name in FILES:
            candidate = path / name if path.is_dir() else path
            if candidate.name == name and candidate.exists():
                files[name] = candidate
    if "extensions.conf" not in files:
        raise ImportProblem("no extensions.conf among " + ", ".join(map(str, paths)))
    return files


def _follow_entry(dialplan: _Dialplan, context: str, number: str) -> _Entry:
    entry = _Entry(number)
    open_target = None
    for ctx, ext, index, step in dialplan.walk(context, number):
        app = step.app.lower()
        if app in HARMLESS:
            dialplan.followed.add(step.line)
        elif app == "gotoiftime" and _opening(step, entry.periods):
            dialplan.followed.add(step.line)
            target = dialplan.goto(ctx, ext, split_arguments(step.text[step.text.index("?") + 1:-1]))
            open_target = open_target or target
        elif app == "playback" and open_target:
            dialplan.followed.add(step.line)
            entry.closed_prompts += step.args[:1]
        elif app == "hangup":
            dialplan.followed.add(step.line)
            break
        else:
            _menu_step(dialplan, entry, ctx, ext, step)
            if entry.menu or entry.queue:
                break
    if open_target and not entry.menu and not entry.queue:
        for ctx, ext, _, step in dialplan.walk(*open_target):
            if step.app.lower() in HARMLESS:
                dialplan.followed.add(step.line)
                continue
            _menu_step(dialplan, entry, ctx, ext, step)
            if entry.menu or entry.queue:
                break
    return entry


def _opening(step: Step, periods: dict[str, list[str]]) -> bool:
    """GotoIfTime(08:30-17:00,mon-fri,*,*?dest) as opening periods; False when it says more than that."""
    match = re.match(r"^GotoIfTime\((\d{1,2}:\d{2})-(\d{1,2}:\d{2}),([a-z&-]+),\*,\*\?[^:]+\)$", step.text, re.I)
    if not match:
        return False
    start, end, days = match.groups()
    period = f"{int(start[:-3]):02d}:{start[-2:]}-{int(end[:-3]):02d}:{end[-2:]}"
    for part in days.lower().split("&"):
        first, _, last = part.partition("-")
        if first not in _DAYS or (last and last not in _DAYS):
            return False
        for day in _DAYS[_DAYS.index(first): _DAYS.index(last or first) + 1]:
            periods.setdefault(WEEKDAYS[_DAYS.index(day)], []).append(period)
    return True


def _menu_step(dialplan: _Dialplan, entry: _Entry, context: str, extension: str, step: Step) -> None:
    app = step.app.lower()
    if app == "set" and re.match(r"^TIMEOUT\((digit|response)\)=", step.args[0] if step.args else ""):
        dialplan.followed.add(step.line)  # the menu's wait comes from WaitExten()
    elif app == "background":
        dialplan.followed.add(step.line)
        entry.prompts.append(step.args[0] if step.args else "")
    elif app == "waitexten":
        dialplan.followed.add(step.line)
        menu = _Menu(context, extension, float(step.args[0]) if step.args and step.args[0] else None, entry.prompts)
        _options(dialplan, menu)
        entry.menu = menu
    elif app == "queue":
        entry.queue = _queue_of(dialplan, step)
    else:
        dialplan.skip(step.line, step.text, f"{step.app}() before the menu: bereik has no such step")
        dialplan.followed.add(step.line)


def _queue_of(dialplan: _Dialplan, step: Step) -> str:
    dialplan.followed.add(step.line)
    if any(step.args[1:]):
        dialplan.skip(step.line, step.text, "Queue() options and timeouts are not carried over; "
                                             "bereik's generated dialplan sets its own")
    return step.args[0]


def _options(dialplan: _Dialplan, menu: _Menu) -> None:
    for extension in dialplan.contexts.get(menu.context, {}):
        if not (re.fullmatch(r"[0-9]", extension) or extension in ("t", "i")):
            continue
        queue = named = None
        for context, at, _, step in dialplan.walk(menu.context, extension):
            if (context, at) == (menu.context, menu.extension):
                break  # back to the menu: a repeat
            if at != extension and not at.isdigit():
                named = at  # exten => 2,1,Goto(afval,1): 'afval' names the topic
            app = step.app.lower()
            if queue is not None:
                if app == "hangup":
                    dialplan.followed.add(step.line)
                continue
            if app == "queue":
                queue = _queue_of(dialplan, step)
            elif app == "playback" and extension == "i":
                dialplan.followed.add(step.line)
                menu.invalid_prompts += step.args[:1]
            elif app in HARMLESS:
                dialplan.followed.add(step.line)
            else:
                dialplan.followed.add(step.line)
                where = f"key {extension}" if extension.isdigit() else f"the '{extension}' extension"
                dialplan.skip(step.line, step.text, f"{step.app}() for {where}: bereik's menu leads only to "
                                                    "queues and has no per-option step")
        if queue is None:
            continue
        if extension == "t":
            menu.timeout_queue = queue
        elif extension.isdigit():
            menu.options[extension] = (queue, named)


@dataclass
class _Endpoint:
    name: str
    line: int
    display: str | None
    address: str | None
    context: str | None


def _endpoints(conf: ConfFile, not_imported: list[NotImported]) -> dict[str, _Endpoint]:
    identify = {}
    for section in conf.sections:
        values = effective(conf, section)
        if values.get("type") == "identify" and values.get("endpoint"):
            identify[values["endpoint"]] = values.get("match", "").split(",")[0].split("/")[0]
    endpoints = {}
    for section in conf.sections:
        if section.is_template:
            continue
        values = effective(conf, section)
        kind = values.get("type")
        if kind == "endpoint":
            name = re.match(r'^\s*"?([^"<]*?)"?\s*(<.*>)?\s*$', values.get("callerid", ""))
            endpoints[section.name] = _Endpoint(section.name, section.line, (name.group(1) or None) if name else None,
                                                identify.get(section.name), values.get("context"))
            unused = sorted(k for k in values if k not in _ENDPOINT_KEYS_USED)
            if unused:
                not_imported.append(NotImported(conf.path.name, section.line, f"[{section.name}] {', '.join(unused)}",
                                                "endpoint settings: bereik writes its own (dtmf, codecs, media)"))
        elif kind == "auth":
            not_imported.append(NotImported(conf.path.name, section.line, f"[{section.name}]",
                                            "passwords are not imported: bereik keeps the phones' secrets in its "
                                            "secrets file (`bereik secrets`)"))
        elif kind in ("aor", "identify"):
            continue
        elif kind == "transport":
            continue
        else:
            not_imported.append(NotImported(conf.path.name, section.line, f"[{section.name}] type={kind}",
                                            "a pjsip section bereik does not use"))
    return endpoints


@dataclass
class _Queue:
    name: str
    line: int
    members: list[tuple[str, str | None, int]]  # extension, member name, line


def _queues(conf: ConfFile, endpoints: dict[str, _Endpoint], not_imported: list[NotImported]) -> dict[str, _Queue]:
    queues = {}
    for section in conf.sections:
        if section.name == "general" or section.is_template:
            for setting in section.settings:
                not_imported.append(NotImported(conf.path.name, setting.line, f"[{section.name}] "
                                                f"{setting.name}={setting.value}", "bereik writes its own queues.conf"))
            continue
        members = []
        for setting in section.settings:
            if setting.name != "member":
                not_imported.append(NotImported(conf.path.name, setting.line, f"[{section.name}] {setting.name}="
                                                f"{setting.value}", "queue behaviour is bereik's own (ring strategy, "
                                                "timeouts, announcements from the waiting: section)"))
                continue
            interface, *rest = split_arguments(setting.value)
            match = re.fullmatch(r"PJSIP/([0-9]{2,8})", interface)
            if not match:
                not_imported.append(NotImported(conf.path.name, setting.line, f"member => {setting.value}",
                                                "only PJSIP/<extension> members become positions"))
                continue
            if len(rest) > 0 and rest[0] not in ("", "0"):
                not_imported.append(NotImported(conf.path.name, setting.line, f"member => {setting.value}",
                                                f"penalty {rest[0]}: bereik ranks agents by topic, not by penalty"))
            members.append((match.group(1), rest[1] if len(rest) > 1 and rest[1] else None, setting.line))
        queues[section.name] = _Queue(section.name, section.line, members)
    return queues


def _ident(name: str) -> str:
    text = re.sub(r"[^a-z0-9_]", "_", name.lower()).strip("_") or "wachtrij"
    return (text if text[0].isalpha() else "q_" + text)[:31]


def _document(entry: _Entry, queues: dict[str, _Queue], endpoints: dict[str, _Endpoint], pjsip: ConfFile | None,
              entry_context: str, municipality: str | None, guesses: list[str],
              not_imported: list[NotImported]) -> CommentedMap:
    doc = CommentedMap()
    doc["version"] = 1
    doc["municipality"] = municipality or "Onbekend"
    if not municipality:
        _guess(doc, "municipality", "guessed: give the municipality's name (or pass --municipality)", guesses)
    doc["language"] = "nl"
    doc["timezone"] = "Europe/Amsterdam"
    doc["number"] = entry.number

    hours = CommentedMap()
    if entry.periods:
        for day in WEEKDAYS:
            if day in entry.periods:
                hours[day] = CommentedSeq(sorted(entry.periods[day]))
                hours[day].fa.set_flow_style()
    else:
        for day in WEEKDAYS:
            hours[day] = CommentedSeq(["00:00-23:59"])
            hours[day].fa.set_flow_style()
        _guess(hours, "monday", "guessed: the old dialplan had no GotoIfTime(), so always open", guesses)
    doc["hours"] = hours
    doc["holidays"] = CommentedMap(country="NL")
    _guess(doc["holidays"], "country", "guessed: closed on Dutch public holidays; the old dialplan did not say",
           guesses)

    menu = entry.menu
    front = (menu.timeout_queue if menu and menu.timeout_queue else None) or entry.queue or (
        Counter(q for q, _ in menu.options.values()).most_common(1)[0][0] if menu and menu.options else next(iter(queues), "tic"))
    kept = {name: q for name, q in queues.items() if q.members}
    for name, queue in queues.items():
        if not queue.members:
            not_imported.append(NotImported("queues.conf", queue.line, f"[{name}]",
                                            "a queue without PJSIP members; bereik needs at least one position"))
    texts = CommentedMap()
    closed = " and ".join(entry.closed_prompts) or "nothing"
    texts["closed"] = "U belt buiten onze openingstijden. Wij zijn weer bereikbaar {next_opening}."
    _guess(texts, "closed", f"guessed: the old dialplan played {closed}", guesses)
    doc["texts"] = texts

    topics: dict[str, list[str]] = {name: [] for name in kept}
    if menu and menu.options:
        texts["menu_intro"] = "Kies een onderwerp."
        _guess(texts, "menu_intro", f"guessed: the old dialplan played {' and '.join(menu.prompts) or 'nothing'}",
               guesses)
        texts["invalid_choice"] = "Die keuze kennen wij niet."
        _guess(texts, "invalid_choice",
               f"guessed: the old dialplan played {' and '.join(menu.invalid_prompts) or 'nothing'}", guesses)
        menu_map = CommentedMap()
        menu_map["retries"] = 2
        _guess(menu_map, "retries", "guessed: the old dialplan repeated the menu without a limit", guesses)
        if menu.wait:
            menu_map["wait_for_key"] = menu.wait
        options = CommentedSeq()
        for key, (queue_name, named) in sorted(menu.options.items()):
            if queue_name not in kept:
                not_imported.append(NotImported("extensions.conf", 0, f"key {key} -> Queue({queue_name})",
                                                "the queue is not in queues.conf (or has no PJSIP members); "
                                                "the option is left out"))
                continue
            topic = _ident(named or queue_name)
            if topic in topics[queue_name]:
                topic = f"{topic}_{key}"[:31]
            topics[queue_name].append(topic)
            option = CommentedMap(key=key, topic=topic, text=f"Voor {named or queue_name}, toets {key}.")
            if queue_name != front:
                option["queue"] = _ident(queue_name)
            option.yaml_add_eol_comment(f"guessed text: the old menu said this in {', '.join(menu.prompts)}", "text")
            options.append(option)
        menu_map["options"] = options
        doc["menu"] = menu_map
        guesses.append("menu option texts")

    doc["front_office"] = _ident(front)
    queue_list = CommentedSeq()
    seen: dict[str, str] = {}
    agents = CommentedSeq()
    for name, queue in kept.items():
        item = CommentedMap(id=_ident(name), name=name)
        if topics[name]:
            item["topics"] = CommentedSeq(topics[name])
            item["topics"].fa.set_flow_style()
        positions = CommentedSeq()
        for extension, member_name, line in queue.members:
            if extension in seen:
                not_imported.append(NotImported(
                    "queues.conf", line, f"[{name}] member => PJSIP/{extension}",
                    f"already a position of queue '{seen[extension]}': in bereik a phone sits in one queue "
                    "(give the agent that queue's topic instead)"))
                continue
            seen[extension] = name
            position = CommentedMap(extension=extension)
            endpoint = endpoints.get(extension)
            if endpoint and endpoint.address and IPV4.match(endpoint.address):
                position["address"] = endpoint.address
            position.fa.set_flow_style()
            positions.append(position)
            person = member_name or (endpoint.display if endpoint else None)
            if person:
                agent = CommentedMap(name=person, extension=extension)
                agent.fa.set_flow_style()
                agents.append(agent)
        item["positions"] = positions
        queue_list.append(item)
    doc["queues"] = queue_list
    if agents:
        doc["agents"] = agents

    people = CommentedSeq()
    trunk = None
    for endpoint in endpoints.values():
        if endpoint.context == entry_context and not EXTENSION.match(endpoint.name):
            trunk = endpoint
        elif EXTENSION.match(endpoint.name) and endpoint.name not in seen:
            if endpoint.display:
                person = CommentedMap(name=endpoint.display, extension=endpoint.name)
                if endpoint.address and IPV4.match(endpoint.address):
                    person["address"] = endpoint.address
                person.fa.set_flow_style()
                people.append(person)
            else:
                not_imported.append(NotImported("pjsip.conf", endpoint.line, f"[{endpoint.name}]",
                                                "a phone in no queue and without a callerid name; add it under "
                                                "people: by hand"))
        elif not EXTENSION.match(endpoint.name):
            not_imported.append(NotImported("pjsip.conf", endpoint.line, f"[{endpoint.name}]",
                                            "an endpoint that is neither a phone nor the trunk to the 14 number"))
    if people:
        doc["people"] = people
        doc.yaml_set_comment_before_after_key(
            "people", before="Phones in no queue, imported as back-office colleagues (guessed from pjsip.conf)")
        guesses.append("people")

    pbx = CommentedMap()
    transport = next((effective(pjsip, s) for s in pjsip.sections if effective(pjsip, s).get("type") == "transport"),
                     None) if pjsip else None
    if transport and re.fullmatch(r"[0-9.]+:[0-9]{1,5}", transport.get("bind", "")):
        pbx["sip_bind"] = transport["bind"]
    if trunk and trunk.address and IPV4.match(trunk.address):
        pbx["trunk"] = f"{trunk.address}:5060"
        _guess(pbx, "trunk", f"guessed port: pjsip.conf [{trunk.name}] identifies the trunk by address only",
               guesses)
    if pbx:
        doc["pbx"] = pbx
    return doc


def _guess(node: CommentedMap, key: str, comment: str, guesses: list[str]) -> None:
    node.yaml_add_eol_comment(comment, key)
    guesses.append(comment)


def _header(doc: CommentedMap, files: dict[str, Path], not_imported: list[NotImported]) -> None:
    lines = [f"Imported by `bereik import` from {', '.join(str(p) for p in files.values())}.",
             "Comments marked 'guessed' are the importer's guesses: check them, then run `bereik check`.", ""]
    if not_imported:
        lines.append(f"Not imported ({len(not_imported)}): the old PBX had these, bereik's YAML does not:")
        lines += [f"  {item}" for item in not_imported]
    doc.yaml_set_start_comment("\n".join(lines))
