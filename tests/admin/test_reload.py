"""Safe reload: a good change reaches Asterisk and new calls; a bad one changes nothing at all."""
import asyncio
import logging
import os
import signal
import sys
from pathlib import Path

import pytest

from bereik.admin.reload import Reloader, run_reload_command, ReloadError
from bereik.config import load_config
from bereik.pbx import dialplan
from bereik.pbx.ami import AmiError
from bereik.secrets import AMI_SECRET, PHONES_SECRET, Secrets

EXAMPLE = Path(__file__).parents[2] / "examples" / "bloemendaal.yaml"
SECRETS = Secrets({AMI_SECRET: "reload-" + "x" * 26, PHONES_SECRET: "phones-" + "p" * 26})
MOVE_AFVAL = ('    - key: "2"\n      topic: afval', '    - key: "6"\n      topic: afval')
NEW_POSITION = ("      - {extension: \"204\", address: 127.0.1.4, overflow: true}",
                "      - {extension: \"204\", address: 127.0.1.4, overflow: true}\n"
                "      - {extension: \"205\", address: 127.0.1.5}")


class FakeAmi:
    def __init__(self, fail: bool = False):
        self.actions: list[str] = []
        self.fail = fail

    async def action(self, name, timeout=None, **headers):
        self.actions.append(name)
        if self.fail:
            raise AmiError(f"{name} failed: Permission denied")
        return [{"Response": "Success"}]


@pytest.fixture
def setup(tmp_path):
    """The example YAML, its Asterisk files as `bereik dialplan` wrote them, a reload command that logs."""
    yaml = tmp_path / "gemeente.yaml"
    yaml.write_text(EXAMPLE.read_text())
    asterisk_dir = tmp_path / "asterisk"
    config = load_config(yaml)
    dialplan.write(dialplan.generate(config, SECRETS, source=str(yaml)), asterisk_dir)
    reloads = tmp_path / "reloads.log"
    command = [sys.executable, "-c", f"import sys; open({str(reloads)!r}, 'a').write(sys.argv[1] + '\\n')",
               "{module}"]
    used = []
    ami = FakeAmi()
    reloader = Reloader(yaml, config, SECRETS, used.append, asterisk_dir=asterisk_dir, reload_command=command,
                        ami=ami)
    return reloader, yaml, asterisk_dir, used, reloads, ami


def edit(yaml: Path, *replacements: tuple[str, str]) -> None:
    text = yaml.read_text()
    for before, after in replacements:
        assert before in text
        text = text.replace(before, after, 1)
    yaml.write_text(text)


def snapshot(directory: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(directory.iterdir())}


async def test_a_broken_yaml_changes_nothing_and_says_where(setup, caplog):
    reloader, yaml, asterisk_dir, used, reloads, ami = setup
    before, running = snapshot(asterisk_dir), reloader.config
    edit(yaml, MOVE_AFVAL, ("wait_for_key: 5", "wait_for_key: vijf"))
    with caplog.at_level(logging.ERROR):
        outcome = await reloader.reload()
    assert not outcome.applied
    line = next(n for n, text in enumerate(yaml.read_text().splitlines(), start=1) if "wait_for_key" in text)
    assert any(f"{yaml}:{line}:17: wait_for_key: 'vijf' is not a number" in problem for problem in outcome.problems)
    assert f"{yaml}:{line}:17" in caplog.text and "the running configuration stays in force" in caplog.text
    assert used == [] and reloader.config is running
    assert snapshot(asterisk_dir) == before and not reloads.exists() and ami.actions == []


async def test_a_menu_change_reaches_new_calls_without_touching_asterisk(setup):
    reloader, yaml, asterisk_dir, used, reloads, ami = setup
    before = snapshot(asterisk_dir)
    edit(yaml, MOVE_AFVAL)
    outcome = await reloader.reload()
    assert outcome.applied and outcome.changed_files == [] and outcome.reloaded == []
    [new] = used
    assert [o.key for o in new.menu.options if o.topic == "afval"] == ["6"]
    assert snapshot(asterisk_dir) == before


async def test_a_new_position_is_written_atomically_and_reloaded_queues_by_ami_the_rest_by_command(setup):
    reloader, yaml, asterisk_dir, used, reloads, ami = setup
    before = snapshot(asterisk_dir)
    edit(yaml, NEW_POSITION)
    outcome = await reloader.reload()
    assert outcome.applied, outcome.problems
    assert outcome.changed_files == ["extensions.conf", "pjsip.conf", "queuerules.conf", "queues.conf"]
    assert ami.actions == ["QueueReload"]
    assert reloads.read_text().split() == ["pbx_config.so", "res_pjsip.so"]
    after = snapshot(asterisk_dir)
    assert "PJSIP/205" in after["queues.conf"] and after["manager.conf"] == before["manager.conf"]
    assert oct((asterisk_dir / "pjsip.conf").stat().st_mode & 0o777) == "0o600"
    assert not [p for p in asterisk_dir.iterdir() if p.name.startswith(".")]  # no temporary file left


async def test_asterisk_refusing_the_reload_puts_the_old_files_back(setup, caplog):
    reloader, yaml, asterisk_dir, used, reloads, ami = setup
    before = snapshot(asterisk_dir)
    ami.fail = True
    edit(yaml, NEW_POSITION)
    with caplog.at_level(logging.ERROR):
        outcome = await reloader.reload()
    assert not outcome.applied and "Permission denied" in outcome.problems[0]
    assert snapshot(asterisk_dir) == before and used == []
    assert "the old files are back in place" in caplog.text


async def test_a_section_read_at_start_says_it_needs_a_restart(setup):
    reloader, yaml, *_ = setup
    edit(yaml, ("  trunk: 127.0.0.1:5080", "  trunk: 127.0.0.1:5080\n  watchdog_seconds: 8"))
    outcome = await reloader.reload()
    assert outcome.applied and "bereik: the pbx: section" in outcome.restart_needed


async def test_the_presence_section_is_read_at_start_too(setup):
    reloader, yaml, *_ = setup
    edit(yaml, ("  trunk: 127.0.0.1:5080", "  trunk: 127.0.0.1:5080\npresence:\n  device_template: SIP/{extension}"))
    outcome = await reloader.reload()
    assert outcome.applied and outcome.restart_needed == ["bereik: the presence: section"]


async def test_the_file_watch_and_sighup_both_reload(setup):
    reloader, yaml, asterisk_dir, used, reloads, ami = setup
    reloader.follow(interval=0.05)
    try:
        edit(yaml, MOVE_AFVAL)
        for _ in range(100):
            if used:
                break
            await asyncio.sleep(0.02)
        assert len(used) == 1
        os.kill(os.getpid(), signal.SIGHUP)  # the same file again: reloaded, nothing new
        for _ in range(100):
            if len(used) == 2:
                break
            await asyncio.sleep(0.02)
        assert len(used) == 2
    finally:
        reloader.stop()


async def test_the_reload_command_reloads_only_bereiks_modules_and_reads_asterisks_words():
    with pytest.raises(ReloadError, match="not one of bereik's modules"):
        await run_reload_command(["true"], "app_system.so")
    with pytest.raises(ReloadError, match="not found"):
        await run_reload_command(["echo", "Module '{module}' not found"], "pbx_config.so")
    assert await run_reload_command(["echo", "reloaded {module}"], "pbx_config.so") == "reloaded pbx_config.so"


async def test_every_reload_applied_or_refused_is_in_the_audit_log(setup, tmp_path):
    from bereik.audit import CONFIG_REFUSED, CONFIG_RELOADED, AuditLog
    from bereik.records.store import SqliteStore

    reloader, yaml, *_ = setup
    store = SqliteStore(tmp_path / "calls.sqlite3")
    reloader.audit_log = AuditLog(store)
    edit(yaml, MOVE_AFVAL)
    await reloader.reload("SIGHUP")
    edit(yaml, ("wait_for_key: 5", "wait_for_key: vijf"))
    await reloader.reload("file changed")

    refused, applied = AuditLog(store).entries(0)
    assert (applied.action, applied.target, applied.source, applied.detail["problems"]) == \
        (CONFIG_RELOADED, str(yaml), "SIGHUP", "0")
    assert (refused.action, refused.source, refused.detail["problems"]) == (CONFIG_REFUSED, "file changed", "1")
    store.close()


async def test_an_impossible_date_is_refused_with_its_place_not_a_traceback(setup, caplog):
    reloader, yaml, asterisk_dir, used, reloads, ami = setup
    edit(yaml, ("    - date: 2026-12-31", "    - date: 2026-02-30"))
    with caplog.at_level(logging.ERROR):
        outcome = await reloader.reload()
    line = next(n for n, text in enumerate(yaml.read_text().splitlines(), start=1) if "2026-02-30" in text)
    assert outcome.problems == [f"{yaml}:{line}:13: date: 30 February 2026 does not exist: February 2026 has 28 days"]
    assert "Traceback" not in caplog.text and used == []
