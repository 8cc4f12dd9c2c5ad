"""Queue members paused, resumed and re-weighted without AMI's `agent` class.

The `agent` class would also allow QueueAdd, and a queue member can be any dial string:
`QueueAdd Interface=PJSIP/0900...@trunk` and the next waiting caller rings a premium number. So
bereik's AMI user writes `call` only, and changes the members the YAML made through Asterisk's
QUEUE_MEMBER function (AMI Setvar, `call` class), which can pause a member or change its penalty but
never add one. QUEUE_MEMBER has no pause reason; bereik keeps it in a global variable per position
(BEREIK_PAUSED_<extension>), which survives a dialplan reload (clearglobalvars=no) and a bereik restart.
"""
from __future__ import annotations

import re

from bereik.pbx.ami import AmiClient, AmiError


def _extension(interface: str) -> str:
    match = re.fullmatch(r"PJSIP/([0-9]+)", interface)
    if match is None:
        raise AmiError(f"not a desk phone's interface: {interface[:40]!r}")
    return match.group(1)


def reason_variable(interface: str) -> str:
    return f"BEREIK_PAUSED_{_extension(interface)}"


async def set_paused(ami: AmiClient, queues: list[str], interface: str, paused: bool, reason: str = "") -> None:
    """Pause or resume `interface` in each of `queues`, keeping `reason` where the console reads it."""
    variable = reason_variable(interface)
    await ami.action("Setvar", Variable=variable, Value=reason if paused else "")
    for queue in queues:
        await ami.action("Setvar", Variable=f"QUEUE_MEMBER({queue},paused,{interface})", Value="1" if paused else "0")


async def set_penalty(ami: AmiClient, queue: str, interface: str, penalty: int) -> None:
    _extension(interface)
    await ami.action("Setvar", Variable=f"QUEUE_MEMBER({queue},penalty,{interface})", Value=str(penalty))


async def pause_reason(ami: AmiClient, interface: str) -> str:
    replies = await ami.action("Getvar", Variable=reason_variable(interface))
    return replies[0].get("Value", "") if replies else ""
