"""bereik doctor's checks that need no Asterisk: FastAGI allowed or refused, sounds, disk, the verdict."""
import asyncio
import datetime as dt
from pathlib import Path

from bereik import doctor
from bereik.pbx.agi import AgiServer
from bereik.secrets import Secrets
from tests.examples import example_config

CONFIG = example_config()


def installation(config=CONFIG, sounds=Path("/nonexistent")) -> doctor.Installation:
    return doctor.Installation(config, Secrets({}), sounds, "root", None)


async def test_fastagi_that_refuses_the_asterisk_address_is_a_fault_and_one_that_takes_it_is_ok():
    pbx = CONFIG.pbx.model_copy(update={"agi": "127.0.0.1:14573", "ami": "127.0.0.1:5038"})
    config = CONFIG.model_copy(update={"pbx": pbx})
    for allowed, expected in ((("10.0.0.0/8",), doctor.FAULT), (("127.0.0.0/8",), doctor.OK)):
        server = AgiServer({}, "127.0.0.1", 14573, allowed_peers=allowed)
        await server.start()
        try:
            [finding] = await asyncio.to_thread(doctor.check_fastagi, installation(config))
        finally:
            await server.close()
        assert finding.level == expected, finding
    assert "from 127.0.0.1" in finding.said


async def test_nothing_listening_for_fastagi_is_a_fault_with_what_to_start():
    pbx = CONFIG.pbx.model_copy(update={"agi": "127.0.0.1:14574"})
    [finding] = await asyncio.to_thread(doctor.check_fastagi, installation(CONFIG.model_copy(update={"pbx": pbx})))
    assert finding.level == doctor.FAULT and "systemctl start bereik" in finding.fix


def test_without_an_asterisk_cli_the_modules_are_a_warning_not_a_pass():
    [finding] = doctor.check_modules(installation())
    assert finding.level == doctor.WARN and "--asterisk-cli" in finding.fix


def test_the_exit_status_is_the_worst_finding():
    ok, warn, fault = (doctor.Finding("x", level, "") for level in (doctor.OK, doctor.WARN, doctor.FAULT))
    assert [doctor.status(f) for f in ([ok], [ok, warn], [warn, fault, ok], [])] == [0, 1, 2, 0]


def shown_dates(*days: str) -> list[str]:
    """An Asterisk CLI that answers `dialplan show bereik-failopen-dates` with these dates, as Asterisk prints it."""
    lines = ["[ Context 'bereik-failopen-dates' created by 'pbx_config' ]"] + [
        f"  '{day}' =>        1. NoOp({day})                    [extensions.conf:{n}]" for n, day in enumerate(days)]
    return ["python3", "-c", f"import sys; assert sys.argv[1] == 'dialplan show bereik-failopen-dates'; "
            f"print({chr(10).join(lines)!r})"]


def test_the_fail_open_closing_days_are_a_fault_when_they_ran_out_and_a_warning_before():
    today = dt.datetime.now(CONFIG.zone).date()
    def finding(*days: dt.date) -> doctor.Finding:
        install = installation()
        install.asterisk_cli = shown_dates(*(f"{day:%Y%m%d}" for day in days))
        [found] = doctor.check_failopen_dates(install)
        return found

    ahead = finding(today + dt.timedelta(days=3), today + dt.timedelta(days=400))
    assert ahead.level == doctor.OK and f"{today + dt.timedelta(days=400):%Y-%m-%d}" in ahead.said
    soon = finding(today + dt.timedelta(days=20))
    assert soon.level == doctor.WARN and "bereik dialplan" in soon.fix
    over = finding(today - dt.timedelta(days=300), today - dt.timedelta(days=1))
    assert over.level == doctor.FAULT and "empty office" in over.said
    assert finding().level == doctor.FAULT  # no table loaded at all


def test_a_cel_file_in_a_directory_that_does_not_exist_is_a_fault_with_the_command_that_makes_it(tmp_path):
    records = CONFIG.records.model_copy(update={"asterisk_cel": str(tmp_path / "cel-custom" / "bereik.csv")})
    config = CONFIG.model_copy(update={"records": records})
    [missing] = doctor.check_cel(installation(config))
    assert missing.level == doctor.FAULT and missing.fix.startswith("systemd-tmpfiles --create bereik.conf")
    (tmp_path / "cel-custom").mkdir()
    [not_yet] = doctor.check_cel(installation(config))
    assert not_yet.level == doctor.WARN and "does not exist (yet)" in not_yet.said
