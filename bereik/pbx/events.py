"""The AMI events bereik listens to: the one list Asterisk is told to send, and nothing more.

Asterisk filters by name for each AMI user (manager.conf `eventfilter(name(...))`), so the dozens of
events per call that bereik ignores (bridges, music on hold, caller-ID updates, DTMF begins) never
reach it. Replies to actions (QueueStatus, CoreShowChannels, DeviceStateList) are not events and pass
regardless. The per-user filter comes after Asterisk built the event on its one AMI thread, though: the
most frequent ones nobody reads are not generated at all (manager.conf `disabledevents`).
"""
from __future__ import annotations

# One per dialplan step, per variable set, per AGI command: most of what bereik's call path costs Asterisk's
# AMI thread, whose queue over its high-water mark stops PJSIP taking new calls (python -m bench call_paths).
NOT_GENERATED = ("AGIExecEnd", "AGIExecStart", "Newexten", "VarSet")

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
