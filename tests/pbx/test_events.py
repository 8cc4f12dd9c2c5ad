"""Asterisk sends bereik only the events it names in bereik.pbx.events.CONSUMED."""
import pytest

from bereik.pbx.ami import AmiClient
from bereik.pbx.dialplan import generate
from bereik.pbx.events import CONSUMED
from bereik.pbx.facts import TRANSLATED

from tests.pbx.test_dialplan import CONFIG, SECRETS, section


def test_every_event_the_adapter_translates_into_facts_is_one_asterisk_sends():
    # The journeys, the queue state and the wallboard read the facts the adapter translates (bereik.pbx.facts).
    handled = TRANSLATED
    assert handled and handled <= CONSUMED, handled - CONSUMED


def test_the_bereik_ami_user_receives_only_the_consumed_events():
    user = section(generate(CONFIG, SECRETS)["manager.conf"], "bereik")
    filters = [line for line in user if line.startswith("eventfilter")]
    assert filters == [f"eventfilter(name({name}))=" for name in sorted(CONSUMED)]


async def test_listening_for_an_event_asterisk_is_not_told_to_send_is_refused():
    client = AmiClient("127.0.0.1", 1, "bereik", "secret")
    client.on_event("QueueCallerJoin", lambda event: None)
    client.on_event("*", lambda event: None)
    with pytest.raises(ValueError, match="BridgeEnter.*CONSUMED"):
        client.on_event("BridgeEnter", lambda event: None)
