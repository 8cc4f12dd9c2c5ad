"""A warm (attended) transfer on an agent's channel over AMI, as if the agent keyed it: the console's and the soak
bench's one way to start and complete one.

AMI `Atxfer` queues the feature code and then the colleague's number as keys on the channel. A loaded Asterisk
lost the number's keys (end-to-end runs ci58 and ci70: the transfer began, no digit arrived, "invalid" after the
digit timeout), and the caller stayed on hold with a transfer that dialled nobody. Asterisk 22 reads the number
from the channel variable TRANSFER_EXTEN when it exists in TRANSFER_CONTEXT, so only the feature code travels as
keys, and a number never does.
"""
from __future__ import annotations

from typing import Any, Protocol

from bereik.pbx.ami import press_keys
from bereik.pbx.dialplan import ATXFER_CODE, ATXFER_COMPLETE_CODE, INTERNAL_CONTEXT

TRANSFER_EXTEN = "TRANSFER_EXTEN"
TRANSFER_CONTEXT = "TRANSFER_CONTEXT"


class Ami(Protocol):
    async def action(self, name: str, timeout: float | None = None, **headers: Any) -> Any: ...


async def begin(ami: Ami, channel: str, target: str) -> None:
    """The caller on hold, `target` (an extension, or a number the class of service allows) rung from the
    internal context, where the class of service applies as to a desk phone's own call."""
    await ami.action("Setvar", Channel=channel, Variable=TRANSFER_CONTEXT, Value=INTERNAL_CONTEXT)
    await ami.action("Setvar", Channel=channel, Variable=TRANSFER_EXTEN, Value=target)
    await press_keys(ami, channel, ATXFER_CODE)


async def complete(ami: Ami, channel: str) -> None:
    """Caller and colleague joined; the agent's leg ends."""
    await press_keys(ami, channel, ATXFER_COMPLETE_CODE)


async def forget_target(ami: Ami, channel: str) -> None:
    """After the transfer: the agent's own transfer key asks for a number again."""
    await ami.action("Setvar", Channel=channel, Variable=TRANSFER_EXTEN, Value="")
