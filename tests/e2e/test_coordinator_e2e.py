"""The coordinator's screen end to end: in Chromium a coordinator shortens Thursday's hours and adds a
closing day; each change is shown as `bereik diff` says it and applied through the safe reload of a running
bereik; the YAML on disk has both, with its comments; and a SIPp caller at the new closing time hears the
closing message that names the next opening after the new closing day."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from bereik.admin import edit
from bereik.admin.proposals import ConfigEditor
from bereik.config import load_config
from bereik.console.auth import Verdict
from bereik.ivr.phrases import fill
from bereik.ivr.prompts import PromptLibrary
from bereik.records.store import SqliteStore
from bereik.secrets import AMI_SECRET, PHONES_SECRET, Secrets
from bereik.service import Service, follow_changes, pretend_clock

from helpers import OBSERVER, variable, write_config_with_observer

EXAMPLE = Path(__file__).parents[2] / "examples" / "bloemendaal.yaml"
THURSDAY_EVENING = dt.datetime(2026, 11, 26, 17, 30)  # open until 20:00, until the coordinator changes it


class Coordinator:
    async def check(self, login, password):
        return Verdict() if (login, password) == ("coco", "coco-pw") else None


def municipality_for_the_test(tmp_path: Path, root: Path) -> str:
    """The example, with its stores in the test's folder and a coordinator on the console."""
    def settings(document):
        document["console"] = {"listen": "127.0.0.1:0", "secure_cookies": False,
                               "users": [{"login": "coco", "role": "coordinator"}]}
        document["presence"] = {"absences_store": str(tmp_path / "absences.sqlite3")}
        document["wallboard"] = {"listen": "127.0.0.1:0"}
        document["records"] = {"store": str(tmp_path / "calls.sqlite3"),
                               "asterisk_cel": str(root / "var/log/asterisk/cel-custom/bereik.csv")}
        document["pbx"]["call_files"] = str(root / "var/spool/asterisk/outgoing")
        document["back_office"]["forwarding_store"] = str(tmp_path / "forwarding.sqlite3")
        document["waiting"] = {"callback_store": str(tmp_path / "callbacks.sqlite3")}
    return edit.edited(EXAMPLE.read_text(), settings)


async def test_a_coordinator_changes_thursday_and_adds_a_closing_day_and_callers_hear_it(
        asterisk, ami, sipp, browser, tmp_path):
    secrets = Secrets({AMI_SECRET: "e2e-" + "x" * 28, PHONES_SECRET: "phones-" + "p" * 26})
    yaml = tmp_path / "gemeente.yaml"
    yaml.write_text(municipality_for_the_test(tmp_path, tmp_path))
    config = load_config(yaml)
    instance = asterisk(write_config_with_observer(config, secrets, tmp_path / "asterisk", str(yaml)), restart=True)
    (instance.root / "var/log/asterisk/cel-custom").mkdir(parents=True, exist_ok=True)
    instance.ami = instance.ami.__class__(instance.ami.port, *OBSERVER)
    events = await ami(instance)
    service = Service(config, secrets, instance.sounds_dir, clock=pretend_clock(config, THURSDAY_EVENING),
                      store=SqliteStore(tmp_path / "calls.sqlite3"))
    service.console.authenticator = Coordinator()
    await service.start()
    reloader = follow_changes(service, yaml, secrets, asterisk_dir=instance.root / "etc/asterisk", interval=0.2,
                              reload_command=["chroot", str(instance.root), "/usr/sbin/asterisk", "-rx",
                                              "module reload {module}"])
    service.console.manage.editor = ConfigEditor(yaml, reloader, service.audit, "nl")
    before = yaml.read_text()
    try:
        page = await browser.new_page()
        await page.goto(f"http://127.0.0.1:{service.console.port}/manage")
        await page.fill("#login", "coco")
        await page.fill("#password", "coco-pw")
        await page.click("button[type=submit]")

        await page.fill("#hours-thursday", "08:30-12:00, 13:00-17:00")
        await page.click("#hours button[type=submit]")
        await page.wait_for_selector(".changes")
        assert await page.inner_text(".changes") == \
            "Openingstijden op donderdag: 08:30-12:00, 13:00-20:00 wordt 08:30-12:00, 13:00-17:00"
        await page.fill("#why", "Geen avondopenstelling meer")
        await page.click("button[name=apply]")
        await page.wait_for_selector(".done")

        await page.fill("#closing-date", "2026-11-27")
        await page.fill("#closing-reason", "Personeelsdag")
        await page.click("#closing-add button[type=submit]")
        await page.wait_for_selector(".changes")
        assert await page.inner_text(".changes") == "Extra sluitingsdag: 27-11-2026 (Personeelsdag)"
        await page.fill("#why", "Besluit MT")
        await page.click("button[name=apply]")
        await page.wait_for_selector(".done")
        await page.wait_for_load_state("load")  # manage.css too (ci58: read while the new page had no style yet)
        # The day's number on a line of its own (manage.css), then why it is closed.
        assert (await page.inner_text("td[data-date='2026-11-27']")).split("\n") == ["27", "sluitingsdag: Personeelsdag"]

        # On disk: the two changes, every comment and every other line as it was.
        after = yaml.read_text()
        assert [line for line in after.splitlines() if line not in before.splitlines()] == [
            '  thursday:  ["08:30-12:00", "13:00-17:00"]', "    - date: 2026-11-27", "      reason: Personeelsdag"]
        assert [line for line in before.splitlines() if line not in after.splitlines()] == [
            '  thursday:  ["08:30-12:00", "13:00-20:00"]']
        assert reloader.last.applied and service.config.holidays.extra_closed[0].reason == "Personeelsdag"

        # 17:30 on Thursday is now after closing; tomorrow is the new closing day, so: Monday.
        caller = sipp.call("14023", talk_seconds=30, dtmf=[("asked", "1")])
        closing = fill(service.config, service.config.texts["closed"], next_opening="op maandag om 8 uur 30")
        sound = PromptLibrary(instance.sounds_dir).sound_name(closing)
        # The caller hears the new closing message with the call-back offer, which it lets lapse; the 30 s for the
        # message and the offer count from when it begins (ci54, load 16-23: 30 s from the call were not enough).
        await events.wait_for_event("AGIExecStart", lambda e: 'EXEC "Read"' in e.get("Command", "") and sound in e["Command"],
                                    timeout=30)
        hangup = await events.wait_for_event("Hangup", lambda e: e.get("Channel", "").startswith("PJSIP/trunk-"),
                                             timeout=30)
        assert variable(hangup, "BEREIK_REASON") == "outside_hours"
        reads = [e["Command"] for e in events.matching("AGIExecStart") if 'EXEC "Read"' in e.get("Command", "")]
        assert len(reads) == 2 and sound in reads[1], reads
        await caller.succeeds(timeout=10)
        audited = [(e.actor, e.detail.get("why")) for e in service.audit.entries(since=0)
                   if e.action == "config_changed"]
        assert audited == [("coco", "Besluit MT"), ("coco", "Geen avondopenstelling meer")]
    finally:
        reloader.stop()
        await service.stop()
        service.store.close()
