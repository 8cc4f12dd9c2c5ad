"""Safe reload on the real Asterisk: a broken YAML is refused while calls arrive; the fixed one is applied
(dialplan, pjsip and queues reloaded) with callers waiting in the queue, who stay; a new caller meets the new menu."""
import datetime as dt
import logging
import os
import signal
from pathlib import Path

from bereik.config import load_config
from bereik.ivr.catalogue import spoken_texts
from bereik.ivr.prompts import PromptLibrary
from bereik.records.store import SqliteStore
from bereik.secrets import AMI_SECRET, PHONES_SECRET, Secrets
from bereik.service import Service, follow_changes, pretend_clock

from helpers import OBSERVER, hang_up, variable, write_config_with_observer
from tests.polling import until

EXAMPLE = Path(__file__).parents[2] / "examples" / "bloemendaal.yaml"
MONDAY_MORNING = dt.datetime(2026, 11, 23, 10, 0)
MOVE_AFVAL = ('    - key: "2"\n      topic: afval', '    - key: "6"\n      topic: afval')
NEW_POSITION = ('      - {extension: "204", address: 127.0.1.4, overflow: true}',
                '      - {extension: "204", address: 127.0.1.4, overflow: true}\n'
                '      - {extension: "205", address: 127.0.1.5}')


def edited(text: str, *replacements: tuple[str, str]) -> str:
    for before, after in replacements:
        assert before in text
        text = text.replace(before, after, 1)
    return text


async def test_a_broken_yaml_is_refused_and_a_good_one_applied_under_load_without_dropping_a_call(
        asterisk, ami, sipp, tmp_path, caplog):
    root_cel = tmp_path / "cel.csv"
    yaml = tmp_path / "gemeente.yaml"
    original = EXAMPLE.read_text() + (f"\nwallboard:\n  listen: 127.0.0.1:0\nrecords:\n  asterisk_cel: {root_cel}\n"
                                      f"  store: {tmp_path / 'calls.sqlite3'}\n")
    yaml.write_text(original)
    config = load_config(yaml)
    secrets = Secrets({AMI_SECRET: "e2e-" + "x" * 28, PHONES_SECRET: "phones-" + "p" * 26})
    instance = asterisk(write_config_with_observer(config, secrets, tmp_path / "asterisk", str(yaml)), restart=True)
    PromptLibrary(instance.sounds_dir, config.language).ensure_all(spoken_texts(config))
    instance.ami = instance.ami.__class__(instance.ami.port, *OBSERVER)
    events = await ami(instance)
    store = SqliteStore(tmp_path / "calls.sqlite3")
    service = Service(config, secrets, instance.sounds_dir, clock=pretend_clock(config, MONDAY_MORNING), store=store)
    await service.start()
    reloader = follow_changes(service, yaml, secrets, asterisk_dir=instance.root / "etc/asterisk", interval=0.2,
                              reload_command=["chroot", str(instance.root), "/usr/sbin/asterisk", "-rx",
                                              "module reload {module}"])
    etc = {p.name: p.read_text() for p in (instance.root / "etc/asterisk").iterdir()}
    try:
        # 1. A typo, announced by SIGHUP: refused with its place; Asterisk's files and the menu stay as they were.
        yaml.write_text(edited(original, MOVE_AFVAL, ("wait_for_key: 5", "wait_for_key: vijf")))
        caplog.set_level(logging.INFO)
        os.kill(os.getpid(), signal.SIGHUP)
        await until(lambda: reloader.last is not None, 10, "the broken YAML was looked at")
        assert not reloader.last.applied
        line = next(n for n, text in enumerate(yaml.read_text().splitlines(), start=1) if "wait_for_key" in text)
        assert f"{yaml}:{line}:17: wait_for_key: 'vijf' is not a number" in caplog.text
        assert {p.name: p.read_text() for p in (instance.root / "etc/asterisk").iterdir()} == etc
        waiting = [sipp.call("14023", talk_seconds=30, dtmf=[("asked", "1"), ("asked", "2")]) for _ in range(3)]
        await until(lambda: len(events.matching("QueueCallerJoin")) == 3, 25, "three callers in the queue")
        joined = events.matching("QueueCallerJoin")
        assert {(variable(e, "BEREIK_CHOICE"), variable(e, "BEREIK_TOPIC")) for e in joined} == {("2", "afval")}
        channels = {e["Channel"] for e in joined}

        # 2. The fixed YAML, picked up by the file watch: afval moves to key 6 and a fifth position joins,
        #    so Asterisk reloads its dialplan, pjsip and queues while the three callers wait.
        yaml.write_text(edited(original, MOVE_AFVAL, NEW_POSITION))
        await until(lambda: reloader.last and reloader.last.applied, 15, "the good YAML was applied")
        assert reloader.last.reloaded == ["app_queue", "pbx_config.so", "res_pjsip.so"]
        assert "PJSIP/205" in instance.cli("queue show tic")
        assert "Endpoint:  205" in instance.cli("pjsip show endpoints")
        assert not events.matching("Hangup", lambda e: e.get("Channel") in channels)
        assert not events.matching("QueueCallerLeave", lambda e: e.get("Channel") in channels)

        # 3. A new caller meets the new menu; the three are still waiting.
        newcomer = sipp.call("14023", talk_seconds=8, dtmf=[("asked", "1"), ("asked", "6")])
        fourth = await events.wait_for_event("QueueCallerJoin", lambda e: e["Channel"] not in channels, timeout=25)
        assert (variable(fourth, "BEREIK_CHOICE"), variable(fourth, "BEREIK_TOPIC")) == ("6", "afval")
        assert "has 4 calls" in instance.cli("queue show tic")
        assert not events.matching("Hangup", lambda e: e.get("Channel") in channels)
        await hang_up(instance)  # the four stayed through the reload: their calls end, as a success
        for caller in (*waiting, newcomer):
            await caller.succeeds(timeout=40)
    finally:
        reloader.stop()
        await service.stop()
        store.close()
