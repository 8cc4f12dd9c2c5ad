"""AMI events of calls as Asterisk reports them, for tests that need a call's whole story."""
from __future__ import annotations

TRUNK = "PJSIP/trunk-{n:08x}"


def front_office_call(call_id: str, start: float, *, wait: float, agent: str | None = "Anna",
                      talk: float = 60.0, caller: str = "0612345678", queue: str = "tic",
                      topic: str = "afval") -> list[dict[str, str]]:
    """A call on 14023 that joins the queue 10 s after entering; an agent answers after `wait`
    seconds, or (agent=None) the caller gives up after `wait` seconds."""
    n = abs(hash(call_id)) % 10**6
    channel = TRUNK.format(n=n)
    leg = {"Channel": channel, "Uniqueid": call_id, "Linkedid": call_id,
           "ChanVariable(BEREIK_TOPIC)": topic, "ChanVariable(BEREIK_CHOICE)": "2"}

    def at(seconds: float) -> str:
        return f"{start + seconds:.6f}"

    queued = 10.0
    events = [
        {"Event": "Newchannel", **leg, "CallerIDNum": caller, "CallerIDName": "", "Exten": "14023",
         "Timestamp": at(0)},
        {"Event": "Newstate", **leg, "ChannelStateDesc": "Up", "Timestamp": at(0.2)},
        {"Event": "QueueCallerJoin", **leg, "Queue": queue, "Position": "1", "Timestamp": at(queued)},
    ]
    if agent is None:
        events += [
            {"Event": "QueueCallerAbandon", **leg, "Queue": queue, "HoldTime": str(int(wait)),
             "Timestamp": at(queued + wait)},
            {"Event": "Hangup", **leg, "Cause-txt": "Normal Clearing", "Timestamp": at(queued + wait + 0.01)},
        ]
    else:
        events += [
            {"Event": "AgentConnect", **leg, "Queue": queue, "MemberName": agent, "Interface": "PJSIP/201",
             "HoldTime": str(int(wait)), "RingTime": "3", "Timestamp": at(queued + wait)},
            {"Event": "Hangup", **leg, "Cause-txt": "Normal Clearing", "Timestamp": at(queued + wait + talk)},
            {"Event": "AgentComplete", **leg, "Queue": queue, "MemberName": agent, "TalkTime": str(int(talk)),
             "Reason": "caller", "Timestamp": at(queued + wait + talk + 0.01)},
        ]
    return events
