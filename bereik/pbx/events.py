"""The AMI events bereik listens to: the one list Asterisk is told to send, and nothing more.

Asterisk filters by name before it formats an event (manager.conf `eventfilter(name(...))`),
so the dozens of events per call that bereik ignores (bridges, music on hold, caller-ID
updates, DTMF begins) cost neither Asterisk nor bereik anything. Replies to actions (QueueStatus,
CoreShowChannels, DeviceStateList) are not events and pass regardless.
"""
from __future__ import annotations

CONSUMED = frozenset({
    # a call's journey, the wallboard and the screen-pop
    "Newchannel", "Newstate", "Hangup", "DialBegin", "DialEnd", "Pickup", "AttendedTransfer",
    # queues
    "QueueCallerJoin", "QueueCallerLeave", "QueueCallerAbandon",
    "AgentCalled", "AgentConnect", "AgentComplete", "AgentRingNoAnswer",
    "QueueMemberStatus", "QueueMemberAdded", "QueueMemberRemoved", "QueueMemberPause",
    # phone state for presence
    "DeviceStateChange", "ExtensionStatus",
    # the call-back key of a waiting caller, and how a call-back went (the dialplan's UserEvent)
    "DTMFEnd", "UserEvent",
})
