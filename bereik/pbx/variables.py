"""Every channel variable bereik and its dialplan share, named once."""

# Set by bereik over FastAGI once it has decided; the dialplan trusts nothing else.
ROUTED = "BEREIK_ROUTED"
ACTION = "BEREIK_ACTION"  # one of the ACTION_* values
QUEUE = "BEREIK_QUEUE"
TOPIC = "BEREIK_TOPIC"
CHOICE = "BEREIK_CHOICE"  # the menu key pressed
MUNICIPALITY = "BEREIK_MUNICIPALITY"
FORWARD_TO = "BEREIK_FORWARD_TO"
REASON = "BEREIK_REASON"  # why the call went where it went

ACTION_QUEUE = "queue"
ACTION_FORWARD = "forward"
ACTION_HANGUP = "hangup"

# What bereik sets on a call; the dialplan clears them all before the hand-over.
OUTPUTS = (ROUTED, ACTION, QUEUE, TOPIC, CHOICE, MUNICIPALITY, FORWARD_TO, REASON)

# Carried in every AMI event about the channel (manager.conf channelvars).
IN_AMI_EVENTS = (TOPIC, CHOICE, MUNICIPALITY, REASON)

# Read by app_queue and Read(); set by Asterisk.
READ_RESULT = "BEREIK_KEY"
