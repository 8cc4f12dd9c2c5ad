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

# Asterisk's internal messages behind events nobody reads (stasis.conf `declined_message_types`), by the event each
# becomes: a declined message is never published, so it costs the AMI thread nothing, where a disabled event still
# costs a task. Only messages turned into events by their own type can be: Asterisk's manager refuses to start if
# a message it routes itself (VarSet, DTMFBegin) is declined, and Newexten is a channel snapshot, which all need.
NOT_PUBLISHED = {
    "agi_exec_start_type": "AGIExecStart",
    "agi_exec_end_type": "AGIExecEnd",
    "ast_rtp_rtcp_sent_type": "RTCPSent",  # every few seconds of every call leg
    "ast_rtp_rtcp_received_type": "RTCPReceived",
}

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
