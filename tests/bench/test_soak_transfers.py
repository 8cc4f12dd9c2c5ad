"""The soak says why Asterisk refused a warm transfer, in Asterisk's words, instead of a bare count."""
import asyncio
from collections import Counter

from bench.soak import WarmTransfers, refused_line
from bereik.pbx.ami import AmiError


class Ami:
    """Takes the handlers WarmTransfers registers."""

    def __init__(self):
        self.handlers = {}

    def on_event(self, name, handler):
        self.handlers[name] = handler


def test_a_refused_transfer_is_counted_with_asterisks_reason():
    ami = Ami()
    transfers = WarmTransfers(ami, "0612340777", ["301"])
    transfers.call_of_agent = {"PJSIP/201-1": "call-1", "PJSIP/202-2": "call-2", "PJSIP/203-3": "call-3"}
    for channel, result in (("PJSIP/201-1", "Success"), ("PJSIP/202-2", "Fail"), ("PJSIP/203-3", "Fail"),
                            ("PJSIP/299-9", "Fail")):  # not one of the bench's transfers: not counted
        ami.handlers["AttendedTransfer"]({"OrigTransfererChannel": channel, "Result": result})

    async def refused_action():
        raise AmiError("Atxfer failed: No active channel")

    asyncio.run(transfers._send(refused_action()))
    assert transfers.succeeded == {"call-1"}
    assert transfers.refused == Counter({"AttendedTransfer Result=Fail": 2, "Atxfer failed: No active channel": 1})
    assert refused_line(transfers.refused) == "3 (AttendedTransfer Result=Fail: 2; Atxfer failed: No active channel: 1)"
    assert refused_line(Counter()) == "0"
