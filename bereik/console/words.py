"""The YAML's codes in people's words, for the agent's screen: names, not extensions; options, not keys.

Pure. The screen-pop receives the names (a person, a department, a menu option as the caller heard
it); the browser puts them in a sentence in its own language, so nothing here depends on it.
"""
from __future__ import annotations

import re
from urllib.parse import quote

from bereik.config.model import Config, MenuOption

# "Voor een paspoort, ..., toets 1." -> "een paspoort, ...": what the caller chose, as spoken.
_LEAD = re.compile(r"^\s*(?:voor|for)\s+", re.IGNORECASE)
_KEY = re.compile(r"[,;]?\s*(?:toets|druk|press|dial)\s+(?:dan\s+)?(?:de\s+|op\s+)?[0-9#*]\s*\.?\s*$", re.IGNORECASE)


def option_words(text: str) -> str:
    """A menu option's spoken text without its 'Voor ...' and ', toets N.'."""
    words = _KEY.sub("", _LEAD.sub("", text)).strip().rstrip(".,;")
    return words or text.strip()


def option(config: Config, choice: str, topic: str) -> MenuOption | None:
    options = config.menu.options if config.menu else []
    return next((o for o in options if o.key == choice), None) or \
        next((o for o in options if topic and o.topic == topic), None)


def topic_name(topic: str) -> str:
    """burgerzaken -> Burgerzaken, wmo_hulp -> Wmo hulp: a YAML identifier as a word."""
    text = topic.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def choice_text(config: Config, choice: str, topic: str) -> str:
    """'Burgerzaken: een paspoort, identiteitskaart, rijbewijs of een verhuizing'; '' without a choice."""
    chosen = option(config, choice, topic)
    if chosen is None:
        return topic_name(topic) if topic else ""
    spoken = option_words(chosen.text)
    if chosen.outside:
        return f"{chosen.organisation}: {spoken}"
    if chosen.topic.replace("_", " ").lower() in spoken.lower():  # "afval, grofvuil of ...": says it already
        return spoken[:1].upper() + spoken[1:]
    return f"{topic_name(chosen.topic)}: {spoken}"


def department_name(config: Config, department_id: str) -> str:
    found = next((d for d in config.departments if d.id == department_id), None)
    return found.name if found else ""


def team_name(config: Config, team: str) -> str:
    """A console team in words: a department's name, the front office's queue name, else the id."""
    if name := department_name(config, team):
        return name
    queue = next((q for q in config.queues if q.id == team), None)
    return queue.name if queue else team


def person_name(config: Config, extension: str) -> str:
    """A colleague or agent by extension; the extension itself when nobody has it."""
    person = config.person(extension)
    if person:
        return person.name
    agent = next((a for a in config.agents if a.extension == extension), None)
    return agent.name if agent else extension


def colleague(config: Config, extension: str, department_id: str = "") -> dict[str, str]:
    """Whom a fallen-back caller tried: name and department, as the screen-pop shows them."""
    department = department_name(config, department_id)
    if not department and (found := config.department_of(extension)):
        department = found.name
    return {"name": person_name(config, extension) if extension else "", "department": department}


def wrap_up_topics(config: Config) -> list[str]:
    """What an agent picks from after a call: the YAML's list, else the menu's topics and then the front office's
    others (a menu option may put callers through elsewhere, while its agents still take 'overig')."""
    if config.console.wrap_up_topics:
        return list(config.console.wrap_up_topics)
    menu = [o.topic for o in config.menu.options if not o.outside] if config.menu else []
    topics = [*menu, *config.queue(config.front_office).topics]
    return [topic_name(t) for t in dict.fromkeys(topics)] or ["Overig"]


def screen_pop_link(config: Config, number: str, call_id: str) -> str:
    """The link that opens the caller in the municipality's KCS or case system (integrations.screen_pop_link),
    "" without a template or a number; the filled-in parts are URL-encoded, so a caller ID cannot change it."""
    template = config.integrations.screen_pop_link
    if not template or not number:
        return ""
    return template.replace("{number}", quote(number, safe="")).replace("{call}", quote(call_id, safe=""))
