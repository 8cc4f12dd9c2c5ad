"""FreeSWITCH configuration from the municipality's YAML: an XML dialplan and mod_callcenter's queues.

The same shape as the Asterisk side (bereik.pbx.dialplan): the 14xxx number
hands the call to bereik, here over an outbound event socket (`socket`), and
fails open. bereik ends every call it routes with a `transfer` to one of the
extensions below, which abandons the rest of the entry extension; a call that
comes back from the socket without that (bereik down, crashed, or refusing
the connection) continues with the next action: the front-office queue.

mod_callcenter has no skills: a queue is a queue. Topics therefore only travel
as channel variables (for the agent's screen and the records); overflow
positions are tier level 2, which mod_callcenter offers calls to only after
`tier-rule-wait-second`.
"""
from __future__ import annotations

from xml.etree import ElementTree as ET

from bereik.config.model import Config

CONTEXT = "bereik"
DOMAIN = "default"
QUEUE_PREFIX = "bereik-queue-"
FORWARD_PREFIX = "bereik-forward-"  # another municipality on the shared number; not answered: the front office
OUTSIDE_PREFIX = "bereik-outside-"  # a menu option's outside organisation; not answered: the front office
OUTSIDE_RING_SECONDS = 30  # as on Asterisk (bereik.pbx.dialplan)
HANGUP_EXTENSION = "bereik-hangup"
ESL_ADDRESS = "127.0.0.1:8084"
TRUNK_GATEWAY = "trunk"
AGENT_RING_SECONDS = 20  # four Dutch rings, as on Asterisk
OVERFLOW_WAIT_SECONDS = 240  # waiting.overflow.on_wait_seconds' default: when level 2 joins

# The channel variables bereik sets before the transfer (the Asterisk side's BEREIK_* in lower case).
VARIABLES = ("bereik_action", "bereik_queue", "bereik_topic", "bereik_choice", "bereik_municipality",
             "bereik_forward_to", "bereik_organisation", "bereik_reason")
EXPORTED = ("bereik_topic", "bereik_choice", "bereik_municipality", "bereik_reason")  # to the agent's leg


def queue_name(queue_id: str) -> str:
    return f"{queue_id}@{DOMAIN}"


def generate(config: Config, esl_address: str = ESL_ADDRESS) -> dict[str, str]:
    """File name -> contents: dialplan/bereik.xml and autoload_configs/callcenter.conf.xml."""
    return {"dialplan/bereik.xml": _dialplan(config, esl_address),
            "autoload_configs/callcenter.conf.xml": _callcenter(config)}


def _dialplan(config: Config, esl_address: str) -> str:
    include = ET.Element("include")
    context = ET.SubElement(include, "context", name=CONTEXT)
    entry = _extension(context, "bereik-entry", f"^({'|'.join(config.entry_numbers)})$")
    _action(entry, "answer")
    _action(entry, "set", "bereik_reason=failopen")  # overwritten by bereik when it routes the call
    _action(entry, "socket", f"{esl_address} async full")
    _action(entry, "transfer", f"{QUEUE_PREFIX}{config.front_office} XML {CONTEXT}")
    for queue in config.queues:
        step = _extension(context, f"{QUEUE_PREFIX}{queue.id}", f"^{QUEUE_PREFIX}{queue.id}$")
        # The agent's leg carries the caller's topic and choice, like Asterisk's channelvars.
        _action(step, "set", f"cc_export_vars={','.join(EXPORTED)}")
        _action(step, "callcenter", queue_name(queue.id))
        _action(step, "hangup")
    _put_through(context, config, "bereik-forward", FORWARD_PREFIX,
                 [other.forward_to for other in (config.shared_number.others if config.shared_number else [])])
    _put_through(context, config, "bereik-outside", OUTSIDE_PREFIX,
                 [o.forward_to for o in (config.menu.options if config.menu else []) if o.outside])
    hangup = _extension(context, HANGUP_EXTENSION, f"^{HANGUP_EXTENSION}$")
    _action(hangup, "hangup", "NORMAL_CLEARING")
    return _text(include)


def _put_through(context: ET.Element, config: Config, name: str, prefix: str, numbers: list[str]) -> None:
    """Another municipality on the shared number (bereik-forward-), a menu option's outside organisation
    (bereik-outside-). FreeSWITCH has no class-of-service context here, so only the YAML's numbers (which
    `bereik check` holds to outbound:) can be dialled; not answered, busy or failed, the caller goes to the
    front office, never a dead end."""
    numbers = sorted(set(numbers))
    if not numbers:
        return
    outside = _extension(context, name, f"^{prefix}({'|'.join(numbers).replace('+', '[+]')})$")
    _action(outside, "set", "continue_on_fail=true")
    _action(outside, "set", "hangup_after_bridge=true")
    _action(outside, "set", f"call_timeout={OUTSIDE_RING_SECONDS}")
    _action(outside, "bridge", f"sofia/gateway/{TRUNK_GATEWAY}/$1")
    _action(outside, "set", "disposition=${originate_disposition}")
    _action(outside, "set", "bereik_failed=${cond(${disposition} == USER_BUSY ? busy : unavailable)}")
    _action(outside, "transfer", f"{QUEUE_PREFIX}{config.front_office} XML {CONTEXT}")


def _callcenter(config: Config) -> str:
    root = ET.Element("configuration", name="callcenter.conf", description="CallCenter")
    ET.SubElement(root, "settings")
    queues = ET.SubElement(root, "queues")
    for queue in config.queues:
        element = ET.SubElement(queues, "queue", name=queue_name(queue.id))
        overflow = any(p.overflow for p in queue.positions)
        for name, value in (("strategy", "longest-idle-agent"), ("moh-sound", "local_stream://moh"),
                            ("time-base-score", "system"), ("max-wait-time", "0"),
                            ("max-wait-time-with-no-agent", "0"), ("tier-rules-apply", str(overflow).lower()),
                            ("tier-rule-wait-second", str(OVERFLOW_WAIT_SECONDS)),
                            ("tier-rule-wait-multiply-level", "true"),
                            ("tier-rule-no-agent-no-wait", "false"),
                            ("discard-abandoned-after", "60"), ("abandoned-resume-allowed", "false")):
            ET.SubElement(element, "param", name=name, value=value)
    agents = ET.SubElement(root, "agents")
    tiers = ET.SubElement(root, "tiers")
    for queue in config.queues:
        for number, position in enumerate(queue.positions, start=1):
            agent = f"{position.extension}@{DOMAIN}"
            ET.SubElement(agents, "agent", name=agent, type="callback", contact=f"user/{position.extension}",
                          status="Available", **{"wrap-up-time": str(config.waiting.wrapup_seconds)})
            ET.SubElement(tiers, "tier", agent=agent, queue=queue_name(queue.id),
                          level="2" if position.overflow else "1", position=str(number))
    return _text(root)


def _extension(context: ET.Element, name: str, expression: str) -> ET.Element:
    extension = ET.SubElement(context, "extension", name=name)
    return ET.SubElement(extension, "condition", field="destination_number", expression=expression)


def _action(condition: ET.Element, application: str, data: str | None = None) -> None:
    attributes = {"application": application}
    if data is not None:
        attributes["data"] = data
    ET.SubElement(condition, "action", attributes)


def _text(root: ET.Element) -> str:
    ET.indent(root, space="  ")
    return ET.tostring(root, encoding="unicode") + "\n"
