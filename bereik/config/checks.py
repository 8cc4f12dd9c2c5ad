"""Cross-reference checks over the raw YAML document.

They run on the document as written, tolerating parts that are malformed
(the model reports those), so that every problem is reported in one go.
"""
from __future__ import annotations

import datetime as dt
import ipaddress
import string
from collections.abc import Iterator, Mapping
from typing import Any

import holidays as holiday_calendars

from bereik.config.messages import did_you_mean, suggestion, unknown
from bereik.config.model import (
    MENU_TEXTS,
    SHARED_NUMBER_TEXTS,
    TEXT_NAMES,
    WEEKDAYS,
    _parse_period,
)
from bereik.presence.ldap import clear_text_bind
from bereik.routing.outbound import DEFAULT_CLASSES, OutboundPolicy

Location = tuple[str | int, ...]
Finding = tuple[Location, str]

# Placeholders a spoken text may use, filled in per call.
TEXT_PLACEHOLDERS = {"next_opening", "website", "municipality"}
# Back-office texts also name the colleague or department the caller tried.
EXTRA_PLACEHOLDERS = {"not_reachable": {"name"}, "camp_on_offer": {"name"}, "camp_on_waiting": {"name"},
                      "absent_until": {"name", "until"}, "absent": {"name"}, "to_substitute": {"substitute"}}


def cross_references(doc: Mapping) -> list[Finding]:
    """Errors: the file cannot be used as it is."""
    return [
        *_hours(doc),
        *_texts(doc),
        *_queues(doc),
        *_menu(doc),
        *_agents(doc),
        *_topic_ranges(doc),
        *_shared_number(doc),
        *_put_through_without_trunk(doc),
        *_servers(doc),
        *_holidays(doc),
        *_general_numbers(doc),
        *_people(doc),
        *_mobiles(doc),
        *_departments(doc),
        *_ivr_appointments(doc),
        *_console(doc),
        *_privacy(doc),
        *_web(doc),
        *_in_clear(doc),
        *_outbound(doc),
    ]


def advice(doc: Mapping) -> list[Finding]:
    """Warnings about a valid file: it works, but not quite as the administrator may think."""
    return [*_topic_circles(doc), *_in_clear_allowed(doc)]


def _items(doc: Mapping, key: str) -> Iterator[tuple[int, Mapping]]:
    value = doc.get(key)
    if isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, Mapping):
                yield index, item


def _list(value: Any) -> list:
    """A list as written, or nothing when it is something else (the model says what is wrong with it)."""
    return value if isinstance(value, list) else []


def _text(value: Any) -> str | None:
    return None if value is None or isinstance(value, (dict, list)) else str(value)


def _queue_topics(doc: Mapping) -> dict[str, set[str]]:
    return {
        str(q.get("id")): {str(t) for t in _list(q.get("topics")) if not isinstance(t, (dict, list))}
        for _, q in _items(doc, "queues")
    }


def _hours(doc: Mapping) -> Iterator[Finding]:
    """Periods of one day that overlap: the office hours are not what the administrator thinks."""
    hours = doc.get("hours")
    if not isinstance(hours, Mapping):
        return
    for day in WEEKDAYS:
        periods = hours.get(day)
        if not isinstance(periods, list):
            continue
        parsed = []
        for index, text in enumerate(periods):
            try:
                parsed.append((*_parse_period(text), index, text))
            except (TypeError, ValueError):
                continue  # the model says what is wrong with it
        parsed.sort()
        for (_, first_end, _, first), (second_start, second_end, index, second) in zip(parsed, parsed[1:]):
            if second_start < first_end:
                upto = min(first_end, second_end)
                overlap = f"{second_start:%H:%M}-{'24:00' if upto == dt.time.max else f'{upto:%H:%M}'}"
                yield ("hours", day, index), (
                    f"{day}: {first} and {second} overlap ({overlap}); let the first end where the second "
                    f"starts, or write one period {first[:5]}-{max(first, second, key=lambda p: p[6:])[6:]}")


def _texts(doc: Mapping) -> Iterator[Finding]:
    texts = doc.get("texts")
    if not isinstance(texts, Mapping):
        return
    required = []  # "closed" is required by the model
    if doc.get("menu") is not None:
        required += MENU_TEXTS
    if doc.get("shared_number") is not None:
        required += SHARED_NUMBER_TEXTS
    # A misspelt name (`welkom:`) is reported where it stands, once, not again as a missing text.
    meant = {suggestion(str(k), TEXT_NAMES) for k in texts if k not in TEXT_NAMES}
    for key in dict.fromkeys(required):
        if key not in texts and key not in meant:
            yield ("texts",), f"the text '{key}' is missing; every caller may hear it, so write it under texts:"
    for key, value in texts.items():
        if not isinstance(value, str):
            continue
        try:
            names = {name for _, name, _, _ in string.Formatter().parse(value) if name is not None}
        except ValueError as error:
            yield ("texts", key), f"{key}: {error}; write {{ and }} only around a placeholder"
            continue
        allowed = TEXT_PLACEHOLDERS | EXTRA_PLACEHOLDERS.get(key, set())
        for name in sorted(names - allowed):
            yield ("texts", key), unknown(f"{key}: unknown placeholder {{{name}}}", name, sorted(allowed),
                                          "placeholders here")


def _queues(doc: Mapping) -> Iterator[Finding]:
    seen_ids: set[str] = set()
    seen_extensions: dict[str, str] = {}
    for index, queue in _items(doc, "queues"):
        queue_id = _text(queue.get("id"))
        if queue_id in seen_ids:
            yield ("queues", index, "id"), f"the queue '{queue_id}' is defined twice; give each queue its own id"
        seen_ids.add(queue_id)
        for p_index, position in _items(queue, "positions"):
            extension = _text(position.get("extension"))
            if extension is None:
                continue
            if extension in seen_extensions:
                yield ("queues", index, "positions", p_index, "extension"), (
                    f"duplicate extension {extension}: already a position of queue '{seen_extensions[extension]}'; "
                    "every phone needs its own extension"
                )
            seen_extensions[extension] = queue_id
    front_office = _text(doc.get("front_office", "tic"))
    if seen_ids and front_office not in seen_ids:
        yield ("front_office",), _unknown_queue(front_office, seen_ids)


def _unknown_queue(queue_id: str | None, known: set[str]) -> str:
    return unknown(f"there is no queue '{queue_id}'", str(queue_id), sorted(k for k in known if k), "queues")


def _menu(doc: Mapping) -> Iterator[Finding]:
    menu = doc.get("menu")
    if not isinstance(menu, Mapping):
        return
    topics = _queue_topics(doc)
    front_office = _text(doc.get("front_office", "tic"))
    keys: set[str] = set()
    if not topics:
        return  # no queues at all: said once, at queues
    for index, option in _items(menu, "options"):
        where = ("menu", "options", index)
        key = _text(option.get("key"))
        if key in keys:
            yield (*where, "key"), f"key {key} is used by two menu options; each option needs its own key"
        keys.add(key)
        way_out = list(_one_way_out(doc, option, where, key))
        yield from way_out
        if way_out or "topic" not in option:
            continue
        queue_id = _text(option.get("queue")) or front_office
        topic = _text(option.get("topic"))
        if queue_id not in topics:
            if option.get("queue") is not None:  # an unknown front_office is said once, at front_office
                yield (*where, "queue"), _unknown_queue(queue_id, set(topics))
        elif topic is not None and topic not in topics[queue_id]:
            known = ", ".join(sorted(topics[queue_id])) or "none yet"
            hint = did_you_mean(topic, sorted(topics[queue_id]))
            yield (*where, "topic"), (
                f"menu option {key} leads nowhere: '{topic}' is not a topic of queue '{queue_id}'{hint or ''} "
                f"(its topics: {known}); add it to the queue's topics or pick one of them"
            )


OPTION_KEYS = {"key", "topic", "text", "queue", "forward_to", "organisation"}


def _one_way_out(doc: Mapping, option: Mapping, where: Location, key: str | None) -> Iterator[Finding]:
    """A menu option joins a queue (topic) or puts the caller through to an outside organisation (forward_to
    with organisation), exactly one of the two."""
    written = {str(name) for name, value in option.items() if value is not None}  # empty: the model says so
    # A misspelt key is said on its own (did you mean ...); what it stands in for is not missing twice.
    misspelt = not set(map(str, option)) <= OPTION_KEYS
    outside = bool(written & {"forward_to", "organisation"})
    if "topic" in written and outside:
        extra = "forward_to" if "forward_to" in written else "organisation"
        yield (*where, extra), (
            f"menu option {key} has a topic and {extra}: an option either joins a queue (topic) or puts the caller "
            "through to an outside organisation (forward_to with organisation); remove one of the two")
        return
    if not outside:
        if "topic" not in option and not misspelt:
            yield where, (f"menu option {key} leads nowhere: give it a topic (one of its queue's topics), or "
                          "forward_to and organisation to put the caller through to an outside organisation")
        return
    number, name = _text(option.get("forward_to")), _text(option.get("organisation"))
    if "organisation" not in option and not misspelt:
        yield (*where, "forward_to"), (
            f"menu option {key} puts callers through to {number} without saying to whom; add organisation: with "
            "the name the records and reports keep (e.g. organisation: Sociale Zaken Heemstede)")
    elif "forward_to" not in option and not misspelt:
        yield (*where, "organisation"), (
            f"menu option {key} names {name} but no number; add forward_to: with its number between quotes "
            "(e.g. forward_to: \"0235485868\")")
    if "queue" in option:
        yield (*where, "queue"), (
            f"menu option {key} puts callers through to {name or number} outside the municipality; a queue does "
            "not apply there: remove queue:")
    own = {_text(doc.get("number")), *map(_text, _list(doc.get("general_numbers")))}
    if number is not None and number in own:
        yield (*where, "forward_to"), (
            f"menu option {key}: {number} is this municipality's own number, so callers would come back to this "
            "menu; give the outside organisation's number")


def _agents(doc: Mapping) -> Iterator[Finding]:
    positions = {
        _text(p.get("extension")) for _, q in _items(doc, "queues") for _, p in _items(q, "positions")
    }
    all_topics = set().union(*_queue_topics(doc).values()) if doc.get("queues") else set()
    seen: dict[str, str] = {}
    for index, agent in _items(doc, "agents"):
        extension = _text(agent.get("extension"))
        name = _text(agent.get("name")) or f"agent {index + 1}"
        if extension in seen:
            yield ("agents", index, "extension"), (
                f"duplicate extension {extension}: {seen[extension]} already has it; every agent needs their own"
            )
        elif extension is not None and positions and extension not in positions:
            yield ("agents", index, "extension"), (
                f"{name} has extension {extension}, which is no position of any queue; "
                f"positions: {', '.join(sorted(p for p in positions if p))}"
            )
        if extension is not None:
            seen[extension] = name
        for t_index, topic in enumerate(_list(agent.get("topics"))):
            if isinstance(topic, str) and all_topics and topic not in all_topics:
                yield ("agents", index, "topics", t_index), unknown(
                    f"{name} is trained for '{topic}', which no queue has as a topic", topic, sorted(all_topics),
                    "topics")


def _front_office_row(doc: Mapping) -> tuple[list[str], dict[str, set[str]], dict[str, tuple[int, str]]] | None:
    """The front office's positions, what the agents at them are trained for, and who they are."""
    front_office = _text(doc.get("front_office")) or "tic"
    queue = next((q for _, q in _items(doc, "queues") if _text(q.get("id")) == front_office), None)
    if queue is None:
        return None
    extensions = [e for _, p in _items(queue, "positions") if (e := _text(p.get("extension")))]
    agents = {e: (index, _text(a.get("name")) or e) for index, a in _items(doc, "agents")
              if (e := _text(a.get("extension")))}
    trained = {e: {t for t in _list(a.get("topics")) if isinstance(t, str)}
               for _, a in _items(doc, "agents") if (e := _text(a.get("extension")))}
    return extensions, trained, agents


def _topic_ranges(doc: Mapping) -> Iterator[Finding]:
    from bereik.routing.waiting import MAX_ARRANGED  # the rule lives with the queue plan

    row = _front_office_row(doc)
    if row and len(row[0]) > MAX_ARRANGED and any(row[1].values()):
        yield ("agents",), (f"agents' topics work with up to {MAX_ARRANGED} front-office positions, and this "
                            f"front office has {len(row[0])}; remove the topics, or the positions beyond "
                            f"{MAX_ARRANGED}")


def _topic_circles(doc: Mapping) -> Iterator[Finding]:
    """A caller with a topic is offered to one row of neighbouring positions. When the agents' topics go
    round in a circle, some topic's row includes an agent not trained for it: say who, and what would help."""
    from bereik.routing.waiting import MAX_ARRANGED, arrange

    row = _front_office_row(doc)
    if row is None or len(row[0]) > MAX_ARRANGED:
        return
    extensions, trained, agents = row
    plan = arrange(extensions, trained)
    if not plan.widened:
        return
    who = lambda e: f"{agents[e][1]} ({e})" if e in agents else f"position {e}"  # noqa: E731
    fix = _one_topic_less(extensions, trained)
    for topic, strangers in plan.widened.items():
        circle = sorted({*strangers, *(e for e, ts in trained.items() if topic in ts and e in extensions)})
        advice = ""
        where: Location = ("agents",)
        if fix is not None:
            extension, dropped = fix
            advice = f" To avoid that, take '{dropped}' away from {who(extension)}."
            if extension in agents:
                where = ("agents", agents[extension][0], "topics")
        yield where, (
            f"callers for '{topic}' will also be offered to {_and(who(e) for e in strangers)}, "
            f"{'who is' if len(strangers) == 1 else 'who are'} not trained for it: the topics of "
            f"{_and(who(e) for e in circle)} go round in a circle, and a caller is offered to neighbouring "
            f"positions only.{advice}")


def _and(names) -> str:
    names = list(names)
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _one_topic_less(extensions: list[str], trained: dict[str, set[str]]) -> tuple[str, str] | None:
    """The first agent and topic whose removal lets every topic's agents stand side by side."""
    from bereik.routing.waiting import arrange

    for extension in extensions:
        for topic in sorted(trained.get(extension, ())):
            fewer = {**trained, extension: trained[extension] - {topic}}
            if not arrange(extensions, fewer).widened:
                return extension, topic
    return None


def _put_through_without_trunk(doc: Mapping) -> Iterator[Finding]:
    """Another municipality on the shared number and a menu option's outside organisation are reached over the
    trunk: without one, said once for all of them."""
    pbx = doc.get("pbx")
    if isinstance(pbx, Mapping) and pbx.get("trunk"):
        return
    shared, menu = doc.get("shared_number"), doc.get("menu")
    who: list[tuple[Location, str]] = []
    if isinstance(shared, Mapping) and shared.get("others"):
        who.append((("shared_number",), "callers who pick another municipality"))
    who += [(("menu", "options", index, "forward_to"),
             f"callers who press {_text(option.get('key'))} for {_text(option.get('organisation')) or 'an outside organisation'}")
            for index, option in (_items(menu, "options") if isinstance(menu, Mapping) else ())
            if option.get("forward_to") is not None]
    if who:
        yield who[0][0], (f"{_and([what for _, what in who])} are put through over the trunk, but pbx.trunk is not "
                          "set; add it (e.g. trunk: 10.0.0.5:5060)")


def _shared_number(doc: Mapping) -> Iterator[Finding]:
    shared = doc.get("shared_number")
    if not isinstance(shared, Mapping):
        return
    keys = {_text(shared.get("our_key"))}
    for index, other in _items(shared, "others"):
        key = _text(other.get("key"))
        if key in keys:
            yield ("shared_number", "others", index, "key"), (
                f"key {key} is already used in the municipality choice; each municipality needs its own key"
            )
        keys.add(key)


def _servers(doc: Mapping) -> Iterator[Finding]:
    pbx = doc.get("pbx")
    if not isinstance(pbx, Mapping):
        return
    if pbx.get("server") is not None:
        yield ("pbx", "server"), "pbx.server is chosen when bereik starts (`bereik run --server NAME`); remove it"
    servers = list(_items(pbx, "servers"))
    names: set[str | None] = set()
    for index, server in servers:
        name = _text(server.get("name"))
        if name in names:
            yield ("pbx", "servers", index, "name"), f"server {name} is listed twice; each server needs its own name"
        names.add(name)
    records = doc.get("records")
    store = _text(records.get("store")) if isinstance(records, Mapping) else None
    if len(servers) > 1 and not (store or "").startswith(("postgresql://", "postgres://")):
        yield ("pbx", "servers"), (
            "several servers share one call-record store, which a file (SQLite) cannot be; "
            "set records.store to a postgresql:// address")


def _holidays(doc: Mapping) -> Iterator[Finding]:
    section = doc.get("holidays")
    if not isinstance(section, Mapping):
        return
    country = _text(section.get("country")) or "NL"
    try:
        calendar = holiday_calendars.country_holidays(country, years=range(2020, 2031), language="nl")
    except (NotImplementedError, KeyError):
        yield ("holidays", "country"), f"no public holidays are known for country '{country}'; use a code such as NL"
        return
    except Exception:  # the package has no Dutch names for this country
        calendar = holiday_calendars.country_holidays(country, years=range(2020, 2031))
    names = set(calendar.values())
    for index, name in enumerate(_list(section.get("open_on"))):
        if str(name) not in names:
            yield ("holidays", "open_on", index), unknown(
                f"'{name}' is not a public holiday of {country}", str(name), sorted(names), "its public holidays")


def _general_numbers(doc: Mapping) -> Iterator[Finding]:
    """Each number that reaches the front office once, and none that is also a department's."""
    numbers = {_text(doc.get("number")): "the 14 number"}
    numbers.update({_text(d.get("number")): f"the number of department '{_text(d.get('id'))}'"
                    for _, d in _items(doc, "departments") if d.get("number") is not None})
    for index, general in enumerate(_list(doc.get("general_numbers"))):
        if _text(general) in numbers:
            yield ("general_numbers", index), f"{general} is already {numbers[_text(general)]}; list each number once"
        numbers.setdefault(_text(general), "a general number")


def _mobiles(doc: Mapping) -> Iterator[Finding]:
    """A mobile belongs to one person: shared, a call to one would ring two (a hunt group in disguise).
    Desk and mobile together needs the mobile, the trunk and a department that lets calls go to mobiles."""
    department_of = {_text(m): d for _, d in _items(doc, "departments") for m in _list(d.get("members"))
                     if not isinstance(m, (dict, list))}
    pbx = doc.get("pbx") if isinstance(doc.get("pbx"), Mapping) else {}
    seen: dict[str, str] = {}
    for index, person in _items(doc, "people"):
        where = ("people", index)
        name = _text(person.get("name")) or f"person {index + 1}"
        mobile = _text(person.get("mobile"))
        if mobile is not None:
            key = _national(mobile)
            if key in seen:
                yield (*where, "mobile"), (
                    f"{name}'s mobile {mobile} is {seen[key]}'s too: a call to one would ring the other, a hunt "
                    "group in disguise; give each person their own mobile or none")
            seen.setdefault(key, name)
        if person.get("ring_mobile") is not True:
            continue
        department = department_of.get(_text(person.get("extension")))
        allowed = department.get("forwarding", ["colleague", "mobile"]) if department else ["mobile"]
        if mobile is None:
            yield (*where, "ring_mobile"), f"{name} has ring_mobile but no mobile: add the number or drop ring_mobile"
        elif pbx.get("trunk") is None:
            yield (*where, "ring_mobile"), f"{name}'s mobile is rung through the trunk: set pbx.trunk or drop ring_mobile"
        elif isinstance(allowed, list) and "mobile" not in allowed:
            yield (*where, "ring_mobile"), (
                f"department '{department.get('id')}' keeps calls off mobiles (forwarding: {allowed}): add mobile "
                f"there or drop {name}'s ring_mobile")


def _national(number: str) -> str:
    digits = "".join(c for c in number if c.isdigit() or c == "+")
    for prefix in ("+31", "0031"):
        if digits.startswith(prefix):
            return "0" + digits[len(prefix):]
    return digits


def _people(doc: Mapping) -> Iterator[Finding]:
    positions = {
        _text(p.get("extension")) for _, q in _items(doc, "queues") for _, p in _items(q, "positions")
    }
    people = {_text(p.get("extension")): p for _, p in _items(doc, "people")}
    numbers = {_text(doc.get("number")): "the 14 number"}
    numbers.update({_text(general): "a general number" for general in _list(doc.get("general_numbers"))})
    for index, department in _items(doc, "departments"):
        numbers.setdefault(_text(department.get("number")), f"the number of department '{department.get('id')}'")
    seen: dict[str, str] = {}
    mutual: set[frozenset] = set()
    for index, person in _items(doc, "people"):
        where = ("people", index)
        name = _text(person.get("name")) or f"person {index + 1}"
        extension = _text(person.get("extension"))
        if extension in seen:
            yield (*where, "extension"), (
                f"duplicate extension {extension}: {seen[extension]} already has it; every phone needs its own"
            )
        elif extension in positions:
            yield (*where, "extension"), (
                f"{name} has extension {extension}, which is a position of the front office; "
                "back-office people need their own extensions"
            )
        if extension is not None:
            seen[extension] = name
        direct = _text(person.get("direct"))
        if direct is not None and direct in numbers:
            yield (*where, "direct"), f"{name}'s direct number {direct} is already {numbers[direct]}"
        elif direct is not None:
            numbers[direct] = f"{name}'s direct number"
        substitute = _text(person.get("substitute"))
        if substitute is None or isinstance(person.get("substitute"), list):
            continue
        if substitute == extension:
            yield (*where, "substitute"), f"{name} cannot be their own substitute; name a colleague"
        elif substitute not in people:
            yield (*where, "substitute"), (
                f"{name}'s substitute {substitute} is nobody under people:; "
                f"known extensions: {', '.join(sorted(e for e in people if e))}"
            )
        elif _text(people[substitute].get("substitute")) == extension:
            if frozenset((extension, substitute)) in mutual:
                continue  # said once, at the first of the two
            mutual.add(frozenset((extension, substitute)))
            colleague = people[substitute]
            yield (*where, "substitute"), (
                f"{name} ({extension}) and {colleague.get('name')} ({substitute}) are each other's substitute: a "
                "call would go back and forth, a hunt group in disguise. bereik has no hunt groups; give only "
                "the absent person a substitute, and an unanswered call goes to the front office")
        elif _text(people[substitute].get("substitute")) is not None:
            colleague = people[substitute]
            yield (*where, "substitute"), (
                f"{name}'s substitute {colleague.get('name')} ({substitute}) has a substitute of their own "
                f"({colleague.get('substitute')}): a call would hop from person to person, a hunt group in "
                "disguise. bereik has no hunt groups; give only the absent person a substitute, "
                "and an unanswered call goes to the front office"
            )


def _departments(doc: Mapping) -> Iterator[Finding]:
    people = {_text(p.get("extension")) for _, p in _items(doc, "people")}
    ids: set[str] = set()
    member_of: dict[str, str] = {}
    for index, department in _items(doc, "departments"):
        where = ("departments", index)
        department_id = _text(department.get("id"))
        if department_id in ids:
            yield (*where, "id"), f"the department '{department_id}' is defined twice; give each its own id"
        ids.add(department_id)
        members = [_text(m) for m in _list(department.get("members")) if not isinstance(m, (dict, list))]
        for m_index, member in enumerate(members):
            if member not in people:
                yield (*where, "members", m_index), (
                    f"member {member} of '{department_id}' is nobody under people:; add them there first"
                )
            elif member in member_of:
                yield (*where, "members", m_index), (
                    f"{member} is already a member of '{member_of[member]}'; a person belongs to one department"
                )
            else:
                member_of[member] = department_id
        answered_by = department.get("answered_by")
        if isinstance(answered_by, list):
            continue  # the model explains why a list is refused
        if department.get("number") is not None and answered_by is None:
            yield (*where, "number"), (
                f"the number of '{department_id}' rings one member: set answered_by to that member's extension"
            )
        elif answered_by is not None and _text(answered_by) not in members:
            yield (*where, "answered_by"), (
                f"answered_by {answered_by} is no member of '{department_id}'; members: {', '.join(members)}"
            )


def _ivr_appointments(doc: Mapping) -> Iterator[Finding]:
    callbacks = doc.get("callbacks")
    wanted = callbacks.get("appointments") if isinstance(callbacks, Mapping) else None
    if not isinstance(wanted, Mapping):
        return
    where = ("callbacks", "appointments")
    presence = doc.get("presence")
    if not (isinstance(presence, Mapping) and isinstance(presence.get("graph"), Mapping)):
        yield where, "appointments are free times in Outlook calendars: set presence.graph, or remove appointments"
    departments = {_text(d.get("id")): d for _, d in _items(doc, "departments")}
    mail = {_text(p.get("extension")): p.get("email") for _, p in _items(doc, "people")}
    chosen = [((*where, "department"), _text(wanted.get("department")))] if wanted.get("department") else []
    topics = wanted.get("topics") if isinstance(wanted.get("topics"), Mapping) else {}
    known_topics = set().union(*_queue_topics(doc).values())
    for topic, department in topics.items():
        if str(topic) not in known_topics:
            yield (*where, "topics", topic), f"'{topic}' is no topic of any queue{did_you_mean(str(topic), sorted(known_topics))}"
        chosen.append(((*where, "topics", topic), _text(department)))
    for location, department_id in chosen:
        department = departments.get(department_id)
        if department is None:
            yield location, (f"'{department_id}' is no department{did_you_mean(str(department_id), sorted(filter(None, departments)))}")
        elif not any(mail.get(_text(m)) for m in _list(department.get("members"))):
            yield location, (f"nobody in '{department_id}' has an email under people:, so no calendar gives "
                             "a time; add their Outlook address")


def _console(doc: Mapping) -> Iterator[Finding]:
    console = doc.get("console")
    if not isinstance(console, Mapping):
        return
    positions = {_text(p.get("extension")) for _, q in _items(doc, "queues") for _, p in _items(q, "positions")}
    mailboxes = console.get("team_mailboxes") if isinstance(console.get("team_mailboxes"), Mapping) else {}
    seen: set[str | None] = set()
    for index, user in _items(console, "users"):
        where = ("console", "users", index)
        login, extension = _text(user.get("login")), _text(user.get("extension"))
        if login in seen:
            yield (*where, "login"), f"'{login}' is listed twice; give each console user one entry"
        seen.add(login)
        if extension is not None and extension not in positions:
            yield (*where, "extension"), (
                f"{login} works at {extension}, which is no position of any queue; "
                f"positions: {', '.join(sorted(p for p in positions if p))}")
        team = _text(user.get("team")) or "tic"
        if mailboxes and team not in mailboxes:
            yield (*where, "team"), (
                f"{login}'s team '{team}' has no mailbox under console.team_mailboxes; call-backs would go nowhere")


def _loopback(listen: str | None) -> bool:
    try:
        return ipaddress.ip_address((listen or "").rsplit(":", 1)[0]).is_loopback
    except ValueError:
        return False


def _web(doc: Mapping) -> Iterator[Finding]:
    """What crosses the network: a whole certificate pair, a wallboard beyond loopback only behind the console's
    login."""
    console = doc.get("console") if isinstance(doc.get("console"), Mapping) else {}
    tls = [console.get(key) for key in ("tls_certificate", "tls_key")]
    if any(tls) and not all(tls):
        yield ("console",), "set both console.tls_certificate and console.tls_key, or neither"
    wallboard = doc.get("wallboard") if isinstance(doc.get("wallboard"), Mapping) else {}
    board = _text(wallboard.get("listen")) or "127.0.0.1:8080"
    if not _loopback(board) and not list(_items(console, "users")):
        yield ("wallboard", "listen"), (
            f"the wallboard listens on {board} but console.users is empty: anyone on the network would see it "
            "without logging in; list the console's users (the wallboard then asks for their login) or listen on "
            "127.0.0.1")


def _in_clear(doc: Mapping) -> Iterator[Finding]:
    """Passwords across the network in clear: refused, unless the section allows it (a closed network)."""
    for where, why, allowed in _clear_text(doc):
        if not allowed:
            yield where, why


def _in_clear_allowed(doc: Mapping) -> Iterator[Finding]:
    for where, why, allowed in _clear_text(doc):
        if allowed:
            yield where, f"{why} (allowed by {'.'.join(map(str, where[:-1]))}.allow_clear_text: a closed network only)"


def _clear_text(doc: Mapping) -> Iterator[tuple[Location, str, bool]]:
    """(where, why, allowed) of every password that would cross the network in clear: the console's logins
    over http beyond loopback, an LDAP bind over ldap:// without StartTLS to another machine."""
    console = doc.get("console") if isinstance(doc.get("console"), Mapping) else {}
    console_allows = console.get("allow_clear_text") is True
    tls = [console.get(key) for key in ("tls_certificate", "tls_key")]
    listen = _text(console.get("listen")) or "127.0.0.1:8090"
    if list(_items(console, "users")) and not _loopback(listen) and not all(tls) and not console.get("trusted_proxies"):
        yield ("console", "listen"), (
            f"the console listens on {listen} without https: a Secure session cookie never comes back and "
            "passwords cross the network in clear; set console.tls_certificate and tls_key, or listen on "
            "127.0.0.1 behind a reverse proxy and list it in console.trusted_proxies"), console_allows
    ldap_url = _text(console.get("ldap_url"))
    why = ldap_url and clear_text_bind(ldap_url, bool(console.get("ldap_start_tls")))
    if why and list(_items(console, "users")):
        yield ("console", "ldap_url"), f"console.ldap_url: {why}", console_allows
    presence = doc.get("presence") if isinstance(doc.get("presence"), Mapping) else {}
    ldap = presence.get("ldap") if isinstance(presence.get("ldap"), Mapping) else {}
    why = _text(ldap.get("url")) and clear_text_bind(str(ldap["url"]), bool(ldap.get("start_tls")))
    if why and ldap.get("bind_dn"):
        yield ("presence", "ldap", "url"), f"presence.ldap.url: {why}", ldap.get("allow_clear_text") is True


def _privacy(doc: Mapping) -> Iterator[Finding]:
    privacy, records = doc.get("privacy"), doc.get("records")
    if not isinstance(privacy, Mapping):
        return
    after = privacy.get("pseudonymise_after_days")
    kept = records.get("retention_days", 400) if isinstance(records, Mapping) else 400
    if isinstance(after, int) and isinstance(kept, int) and after >= kept:
        yield ("privacy", "pseudonymise_after_days"), (
            f"privacy.pseudonymise_after_days: numbers would be pseudonymised after {after} days, but call "
            f"records are deleted after {kept} (records.retention_days): pseudonymise earlier, or write null")


def _outbound(doc: Mapping) -> Iterator[Finding]:
    """Numbers the YAML itself sends calls to must be within the class of service, or those calls fail."""
    section = doc.get("outbound") if isinstance(doc.get("outbound"), Mapping) else {}
    classes, allow = section.get("classes", list(DEFAULT_CLASSES)), section.get("allow", [])
    if not isinstance(classes, list) or not isinstance(allow, list):
        return  # the model says what is wrong with them
    policy = OutboundPolicy(tuple(map(str, classes)), tuple(map(str, allow)))
    shared = doc.get("shared_number")
    others = _items(shared, "others") if isinstance(shared, Mapping) else ()
    targets = [(("shared_number", "others", index, "forward_to"), f"{other.get('name')}'s number",
                other.get("forward_to")) for index, other in others]
    targets += [(("people", index, "mobile"), f"{person.get('name')}'s mobile", person.get("mobile"))
                for index, person in _items(doc, "people")]
    menu = doc.get("menu")
    targets += [(("menu", "options", index, "forward_to"),
                 f"menu option {_text(option.get('key'))} puts callers through to {option.get('organisation')}:",
                 option.get("forward_to"))
                for index, option in (_items(menu, "options") if isinstance(menu, Mapping) else ())]
    for where, what, number in targets:
        number = _text(number)
        verdict = policy.verdict(number) if number else None
        if verdict is not None and not verdict.allowed:
            yield where, (f"{what} {number} is {verdict.reason.split(':')[0]}, which the class of service refuses; "
                          f"add it to outbound.allow, or the class to outbound.classes")
