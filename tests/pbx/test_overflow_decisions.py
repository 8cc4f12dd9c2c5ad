"""The announcer's overflow decisions, made on every queue event without estimating the wait when it cannot
decide, are those of estimating it every time."""
import asyncio

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bereik.pbx.waiting import Announcer
from bereik.pbx.whisper import Whispers
from bereik.routing.estimate import estimate_wait
from bereik.routing.waiting import OverflowSwitch
from tests.examples import example_config

BLOEMENDAAL = example_config()
# Marks close together, so that a few events switch the position on and off.
CONFIG = BLOEMENDAAL.model_copy(update={"waiting": BLOEMENDAAL.waiting.model_copy(update={
    "overflow": BLOEMENDAAL.waiting.overflow.model_copy(update={"on_callers": 3, "min_minutes_on": 1})})})
START = 1_795_420_800.0  # 2026-11-23 10:00 in Amsterdam


class FakeAmi:
    def __init__(self):
        self.callbacks: dict[str, list] = {}

    def on_event(self, name, callback):
        self.callbacks.setdefault(name, []).append(callback)

    def on_login(self, callback):
        pass

    async def action(self, name, timeout=None, **headers):
        return [{"Response": "Success"}]

    def emit(self, event):
        for callback in self.callbacks.get(event["Event"], []):
            callback(event)


def caller(n: int) -> dict[str, str]:
    return {"Queue": "tic", "Channel": f"PJSIP/trunk-{n:08}", "Uniqueid": f"{n}.1", "Linkedid": f"{n}.1"}


steps = st.one_of(
    st.tuples(st.just("join"), st.integers(0, 7)),
    st.tuples(st.just("leave"), st.integers(0, 7)),
    st.tuples(st.just("abandon"), st.integers(0, 7)),
    st.tuples(st.just("complete"), st.integers(0, 900)),
    st.tuples(st.just("member"), st.sampled_from(["201", "202", "203"]), st.sampled_from(["1", "2", "5"]),
              st.sampled_from(["0", "1"])),
    st.tuples(st.just("wait"), st.floats(0, 400)),
)


def event(step, now: float) -> dict[str, str] | None:
    kind, *args = step
    at = {"Timestamp": str(now)}
    match kind:
        case "join":
            return {"Event": "QueueCallerJoin", **caller(args[0]), "Position": "99", **at}
        case "leave":
            return {"Event": "QueueCallerLeave", **caller(args[0]), **at}
        case "abandon":
            return {"Event": "QueueCallerAbandon", **caller(args[0]), "HoldTime": "30", **at}
        case "complete":
            return {"Event": "AgentComplete", **caller(0), "Interface": "PJSIP/201", "TalkTime": str(args[0]), **at}
        case "member":
            extension, status, paused = args
            return {"Event": "QueueMemberStatus", "Queue": "tic", "Interface": f"PJSIP/{extension}",
                    "Status": status, "Paused": paused, "InCall": "0"}
    return None


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(steps, max_size=80))
# On with three callers; one left, with a long wait (the agent busy): it stays on, before and after its minute.
@example([("member", "201", "2", "0"), ("join", 1), ("join", 2), ("join", 3), ("leave", 1), ("leave", 2),
          ("wait", 59.5), ("complete", 100), ("wait", 1.0), ("complete", 100), ("wait", 100.0), ("leave", 9)])
def test_the_overflow_decisions_are_those_of_estimating_the_wait_on_every_event(prompts, companions, sequence):
    async def scenario():
        ami, clock = FakeAmi(), [START]
        announcer = Announcer(CONFIG, ami, prompts, Whispers(ami, companions), now=lambda: clock[0])
        announcer.attach()
        reference = OverflowSwitch.from_config(CONFIG.waiting)
        decided = announcer._overflow_decision

        def compared():
            now, callers = clock[0], announcer.state.callers
            snapshot = announcer.state.snapshot(callers[-1].channel, now) if callers else None
            wait = estimate_wait(snapshot, now).wait_seconds if snapshot else 0.0
            expected, decision = reference.update(len(callers), wait, now), decided()
            assert decision == expected
            return decision

        announcer._overflow_decision = compared
        try:
            for step in sequence:
                if step[0] == "wait":
                    clock[0] += step[1]
                elif (told := event(step, clock[0])) is not None:
                    ami.emit(told)
            await asyncio.sleep(0)
        finally:
            announcer.close()
        assert announcer.overflow.on == reference.on

    asyncio.run(scenario())
