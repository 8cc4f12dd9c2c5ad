"""Two bereik instances behind one Asterisk (pbx.agi_fallback): one is killed while it holds a caller in the
menu; that caller still reaches the front office (fail open), and the next caller is routed by the other one."""
import asyncio
import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

from bereik.config import load_config
from bereik.config.model import Pbx
from bereik.ivr.catalogue import spoken_texts
from bereik.ivr.prompts import PromptLibrary
from bereik.pbx.agi import AgiServer
from bereik.pbx.entry import EntryHandler
from bereik.secrets import AMI_SECRET, Secrets

from helpers import OBSERVER, variable, write_config_with_observer

EXAMPLE = Path(__file__).parents[2] / "examples" / "bloemendaal.yaml"
MONDAY_MORNING = dt.datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))


def instance(config, sounds, host: str, served: list[str]) -> AgiServer:
    entry = EntryHandler(config, PromptLibrary(sounds, config.language), lambda: MONDAY_MORNING)

    async def counted(session):
        served.append(session.uniqueid)
        await entry(session)

    return AgiServer({"entry": counted}, host, 4573)


async def test_one_bereik_killed_no_caller_lost_the_next_routed_by_the_other(asterisk, ami, sipp, tmp_path):
    base = load_config(EXAMPLE)
    config = base.model_copy(update={"pbx": Pbx.model_validate(
        {**base.pbx.model_dump(), "agi_fallback": ["127.0.0.2:4573"]})})
    secrets = Secrets({AMI_SECRET: "e2e-" + "x" * 28})
    pbx = asterisk(write_config_with_observer(config, secrets, tmp_path / "asterisk", str(EXAMPLE)), restart=True)
    PromptLibrary(pbx.sounds_dir, config.language).ensure_all(spoken_texts(config))
    pbx.ami = pbx.ami.__class__(pbx.ami.port, *OBSERVER)
    events = await ami(pbx)
    first, second = [], []
    a, b = instance(config, pbx.sounds_dir, "127.0.0.1", first), instance(config, pbx.sounds_dir, "127.0.0.2", second)
    await a.start()
    await b.start()
    try:
        callers = [sipp.call("14023", talk_seconds=12, dtmf=[(1.0, "1"), (1.5, "2")])]
        await events.wait_for_event("QueueCallerJoin", timeout=20)
        callers.append(sipp.call("14023", talk_seconds=12))  # no key: still in the menu when its bereik dies
        for _ in range(100):
            if len(first) == 2:
                break
            await asyncio.sleep(0.05)
        await a.close()  # the first bereik is gone: its listening socket and its calls
        callers.append(sipp.call("14023", talk_seconds=12, dtmf=[(1.0, "1"), (1.5, "3")]))
        for _ in range(200):
            if len(events.matching("QueueCallerJoin")) == 3:
                break
            await asyncio.sleep(0.1)
        joined = events.matching("QueueCallerJoin")
        reasons = [variable(e, "BEREIK_REASON") for e in joined]
        assert len(joined) == 3, reasons
        assert (len(first), len(second)) == (2, 1)
        routed = sorted((variable(e, "BEREIK_REASON"), variable(e, "BEREIK_TOPIC")) for e in joined)
        assert routed[:2] == [("failopen-SUCCESS", ""), ("menu_choice", "afval")], routed
        assert routed[2] == ("menu_choice", "belastingen")  # the second bereik, with the key its caller pressed
        for caller in callers:
            caller.expect_success(timeout=30)
    finally:
        await a.close()
        await b.close()
