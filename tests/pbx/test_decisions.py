"""FastAGI on its own loop: a caller's decision is made while the main loop is busy with other work."""
import asyncio
import gc
import socket
import threading

from bereik.pbx.agi import AgiServer
from bereik.pbx.decisions import DecisionLoop, keep_collections_short

ENTRY = b"agi_network_script: entry\nagi_channel: PJSIP/trunk-00000001\nagi_uniqueid: 1.1\n\n"


async def test_a_decision_is_made_while_the_main_loop_does_not_come_back():
    decisions = DecisionLoop()
    decisions.start()
    decided = threading.Event()

    async def decide(session):
        decided.set()

    server = AgiServer({"entry": decide}, port=0)
    await decisions.run(server.start())
    try:
        with socket.create_connection(("127.0.0.1", server.port)) as asterisk:
            asterisk.sendall(ENTRY)
            # Blocking here holds the main loop, as a burst of AMI events would.
            assert decided.wait(2), "the decision waited for the main loop"
    finally:
        await decisions.run(server.close())
        decisions.stop()


async def test_what_a_decision_hands_to_the_main_loop_runs_there():
    decisions = DecisionLoop()
    decisions.start()
    ran_on = []
    add_step = decisions.soon_on_main(lambda *step: ran_on.append((threading.current_thread(), step)))
    try:
        async def decide():
            add_step("1.1", "callback_requested")
        await decisions.run(decide())
        for _ in range(100):
            if ran_on:
                break
            await asyncio.sleep(0.01)
        assert ran_on == [(threading.main_thread(), ("1.1", "callback_requested"))]
    finally:
        decisions.stop()


def test_what_bereik_built_to_start_is_left_out_of_every_collection():
    """A collection stops the decision thread too, for as long as it walks the objects it follows: after the
    start those are only what calls make."""
    built_at_start = [{"prompt": n} for n in range(10_000)]
    followed_before = len(gc.get_objects())
    try:
        keep_collections_short()
        assert gc.get_freeze_count() >= len(built_at_start)
        assert len(gc.get_objects()) < followed_before - len(built_at_start)
    finally:
        gc.unfreeze()
