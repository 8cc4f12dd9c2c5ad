"""A final decision as the channel variables the dialplan reads: pure, so that what sets them (FastAGI, the
FreeSWITCH adapter, the call-path bench's process-AGI script) needs nothing of bereik's I/O shells."""
from __future__ import annotations

from bereik.config.model import Config
from bereik.pbx import variables as var
from bereik import facts as f
from bereik.routing.flow import Decision, Enqueue, Forward, Hangup, PutThrough


def settings(config: Config, decision: Decision) -> dict[str, str]:
    """A final decision as channel variables; the FreeSWITCH adapter sets the same (bereik.freeswitch.esl)."""
    match decision:
        case Enqueue(queue=queue, topic=topic, choice=choice, reason=reason):
            return {var.ACTION: var.ACTION_QUEUE, var.QUEUE: queue, var.TOPIC: topic or "",
                    var.CHOICE: choice or "", var.REASON: reason, var.MUNICIPALITY: config.municipality}
        case Forward(number=number, municipality=municipality):
            return {var.ACTION: var.ACTION_FORWARD, var.FORWARD_TO: number,
                    var.MUNICIPALITY: municipality, var.REASON: f.OTHER_MUNICIPALITY}
        case PutThrough(organisation=organisation, choice=choice):
            # The dialplan dials the YAML's number for the key and falls back to the front office (bereik-outside):
            # never a number or queue from a variable.
            return {var.ACTION: var.ACTION_OUTSIDE, var.ORGANISATION: organisation,
                    var.CHOICE: choice, var.TOPIC: "", var.REASON: f.OUTSIDE_ORGANISATION,
                    var.MUNICIPALITY: config.municipality}
        case Hangup(reason=reason):
            return {var.ACTION: var.ACTION_HANGUP, var.REASON: reason, var.MUNICIPALITY: config.municipality}
    raise ValueError(f"not a final decision: {decision!r}")
