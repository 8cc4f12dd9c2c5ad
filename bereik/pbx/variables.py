"""Every channel variable bereik and its dialplan share, named once."""
from typing import Any

# Set by bereik over FastAGI once it has decided; the dialplan trusts nothing else.
ROUTED = "BEREIK_ROUTED"
ACTION = "BEREIK_ACTION"  # one of the ACTION_* values
QUEUE = "BEREIK_QUEUE"
TOPIC = "BEREIK_TOPIC"
CHOICE = "BEREIK_CHOICE"  # the menu key pressed
MUNICIPALITY = "BEREIK_MUNICIPALITY"
FORWARD_TO = "BEREIK_FORWARD_TO"
ORGANISATION = "BEREIK_ORGANISATION"  # the outside organisation a menu option puts the caller through to
REASON = "BEREIK_REASON"  # why the call went where it went
STAGE = "BEREIK_STAGE"  # the question the caller is at (municipality, menu): where a hang-up left them

ACTION_QUEUE = "queue"
ACTION_FORWARD = "forward"
ACTION_OUTSIDE = "outside"  # a menu option's outside organisation; not answered: the front office
ACTION_HANGUP = "hangup"

# What bereik sets on a call; the dialplan clears them all before the hand-over.
OUTPUTS = (ROUTED, ACTION, QUEUE, TOPIC, CHOICE, MUNICIPALITY, FORWARD_TO, ORGANISATION, REASON, STAGE)
PLACE = (ACTION, QUEUE)  # read only by the dialplan right after the hand-over, to find where the call goes

# A call to one colleague (bereik.routing.direct), handed to bereik before and after each step.
EVENT = "BEREIK_EVENT"  # set by the dialplan: what just happened (start, rang, waited, hungup)
ORIGIN = "BEREIK_ORIGIN"  # set by the dialplan: outside (the trunk) or inside (a desk phone)
DIALLED = "BEREIK_DIALLED"  # set by the dialplan: the number or extension dialled
DIRECT_STAGE = "BEREIK_DIRECT_STAGE"  # where bereik left the call: ringing, offered, camped, ...
DIAL_BEGAN = "BEREIK_DIAL_BEGAN"  # set by the dialplan: Asterisk's clock (epoch, ms) when the colleague's phone began to ring
DIAL_ENDED = "BEREIK_DIAL_ENDED"  # set by the dialplan: and when the ringing (or the call) ended
DIAL = "BEREIK_DIAL"  # what to ring: PJSIP/<extension>, Local/<extension>@bereik-mobile/n, or both with &
RING_SECONDS = "BEREIK_RING_SECONDS"
CAMP_QUEUE = "BEREIK_CAMP_QUEUE"
CAMP_SECONDS = "BEREIK_CAMP_SECONDS"
# The context the front office sees when the call falls back: whom, via whom, when, why.
TRIED = "BEREIK_TRIED"  # the extension of the colleague rung
TRIED_VIA = "BEREIK_TRIED_VIA"  # absence forwarding: a colleague's extension or "mobile"
TRIED_AT = "BEREIK_TRIED_AT"
FAILED = "BEREIK_FAILED"  # noanswer, busy, unavailable, dnd, camp_timeout
DEPARTMENT = "BEREIK_DEPARTMENT"
# Set on a department's desk phones (pjsip set_var): the caller ID of their outgoing calls.
OUTGOING_ID = "BEREIK_OUTGOING_ID"

ACTION_RING = "ring"
ACTION_CAMP = "camp"

# What the dialplan clears before each hand-over of a direct call.
DIRECT_OUTPUTS = (ROUTED, ACTION, DIAL, DIRECT_STAGE)

# Call-backs (bereik.pbx.virtual_hold, bereik.pbx.callback).
CALLBACK = "BEREIK_CALLBACK"  # the note: on a caller bereik takes out of the queue for it, and on its call-back's legs
ATTEMPT = "BEREIK_ATTEMPT"  # one call-back call: set by bereik before the caller's phone rings
STAND_IN = "BEREIK_STAND_IN"  # 1 on the channel that keeps a confirmed caller's place in the queue
STAND_IN_TOPIC = "BEREIK_STAND_IN_TOPIC"  # set by bereik: the topic the stand-in waits with ("" for everyone)
CALLBACK_FOR = "BEREIK_CALLBACK_FOR"  # the stand-in's caller ID: the number to call back, shown to the agent
DIAL_NUMBER = "BEREIK_DIAL_NUMBER"  # set by bereik over FastAGI: the number the call-back rings
OWNER = "BEREIK_OWNER"  # a note's call-back: the extension rung first
APPOINTMENT = "BEREIK_APPOINTMENT"  # 1 on a waiting caller who chose an appointment time: it leaves, no stand-in

# Read by app_queue and Read(); set by Asterisk.
READ_RESULT = "BEREIK_KEY"

# Waiting in the front-office queue (bereik.pbx.waiting, bereik.pbx.virtual_hold).
QUEUED_AT = "BEREIK_QUEUED_AT"  # set by the dialplan: epoch seconds of the first entry into the queue
POSITION = "BEREIK_POSITION"  # set by bereik: where a stand-in or a returning caller joins (Queue()'s position argument)

# The dialplan on its own, when bereik did not route a call (bereik.routing.failopen).
FAILOPEN_QUEUE = "BEREIK_FAILOPEN_QUEUE"  # the queue the caller joins if the office is open
TODAY = "BEREIK_TODAY"  # YYYYMMDD where the municipality is: the key of the dated table

# The labels of a call (bereik.facts.LABELS), and what the call-backs follow: carried in every AMI event
# about the channel (manager.conf channelvars).
LABELLED = (TOPIC, CHOICE, MUNICIPALITY, REASON, STAGE, TRIED, TRIED_VIA, TRIED_AT, FAILED, DEPARTMENT, ORGANISATION)
IN_AMI_EVENTS = (*LABELLED, CALLBACK, ATTEMPT, QUEUED_AT)

# ...as ONE channelvar, not one each: Asterisk computes every channelvar into every channel snapshot (each
# dialplan step, each state change) and writes each as a line of every event about the channel, all on its
# single AMI thread, the first part of Asterisk to saturate on bereik's path (issue 18). A channelvar whose
# name ends in ")" is a dialplan function, read at each snapshot: EVAL(${BEREIK_TOPIC}|${BEREIK_CHOICE}|...)
# joins the real variables, so nothing that sets them changes. bereik.pbx.ami splits the one line
# "ChanVariable: EVAL(...)=afval|2|..." back into ChanVariable(BEREIK_TOPIC), ChanVariable(BEREIK_CHOICE), ...
# The separator is in no value: YAML ids, keys, extensions and place names cannot hold it
# (bereik.config.model), reasons, stages and failures are bereik's own words, times and note ids numbers;
# bereik's FastAGI takes it out of any value it sets (field_value), call files refuse it. An event with
# more or fewer fields than names (a value set some other way) carries none of them.
FIELD_SEPARATOR = "|"
IN_AMI_EVENTS_FUNCTION = f"EVAL({FIELD_SEPARATOR.join(f'${{{name}}}' for name in IN_AMI_EVENTS)})"
_JOINED = frozenset(IN_AMI_EVENTS)


def field_value(name: str, value: Any) -> Any:
    """`value` as bereik sets variable `name` on a channel: one carried in IN_AMI_EVENTS_FUNCTION loses the separator."""
    if name in _JOINED and FIELD_SEPARATOR in (text := str(value)):
        return text.replace(FIELD_SEPARATOR, "/")
    return value
