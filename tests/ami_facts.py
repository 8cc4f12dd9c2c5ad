"""AMI events, as Asterisk sends them, through the Asterisk adapter (bereik.pbx.facts) into a consumer of facts."""
from bereik.pbx.facts import fact_of


def told(consumer, event, *args, **kwargs):
    """consumer.apply(the fact the event tells, ...); None when it tells none."""
    fact = fact_of(event)
    return None if fact is None else consumer.apply(fact, *args, **kwargs)
