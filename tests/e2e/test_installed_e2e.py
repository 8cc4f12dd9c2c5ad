"""bereik installed from its wheel into a fresh virtualenv, used from there and not from this source tree:
`bereik --version`, `bereik check`, the data files `bereik run` reads, the systemd units it installs
(`systemd-analyze verify` and `security`), and a short `bereik run` routing a real call through the sandbox."""
from __future__ import annotations

import fcntl
import re
import signal
import socket
import subprocess
import time
import tomllib
import urllib.request
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from bereik.config import load_config
from bereik.ivr.catalogue import spoken_texts
from bereik.ivr.prompts import PromptLibrary
from bereik.sandbox import observer_section

from helpers import OBSERVER, variable
from installed import REPO, clean_environment, installed_bereik, remove_unused

EXAMPLE = REPO / "examples" / "bloemendaal.yaml"
VERSION = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
WALLBOARD_PORT = 18024
EXPOSURE_AT_MOST = 2.0  # systemd-analyze's "OK" band starts below 4.0; the units reach 1.3


@pytest.fixture(scope="module")
def bin_dir() -> Path:
    return installed_bereik()


def test_another_source_trees_virtualenv_goes_once_no_run_holds_it(tmp_path):
    """385 MB a tree, one tree per change to the sources: they piled up in /tmp."""
    trees = {name: tmp_path / f"bereik-installed-{name}" for name in ("mine", "in-use", "old")}
    for folder in trees.values():
        (folder / "venv").mkdir(parents=True)
    held = open(trees["in-use"] / ".lock", "a")  # a run of that tree uses it (a lock of its own, as another process)
    fcntl.flock(held, fcntl.LOCK_SH)
    remove_unused(tmp_path, keep=trees["mine"])
    assert (trees["mine"].exists(), trees["in-use"].exists(), trees["old"].exists()) == (True, True, False)
    held.close()
    remove_unused(tmp_path, keep=trees["mine"])
    assert not trees["in-use"].exists()


def bereik(bin_dir: Path, *args: str, cwd: Path, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run([str(bin_dir / "bereik"), *args], cwd=cwd, env=clean_environment(), capture_output=True,
                          text=True, timeout=120, check=check)


def test_the_installed_bereik_says_its_version_and_runs_from_the_virtualenv(bin_dir, tmp_path):
    assert bereik(bin_dir, "--version", cwd=tmp_path).stdout.strip() == f"bereik {VERSION}"
    where = subprocess.run([str(bin_dir / "python"), "-c", "import bereik; print(bereik.__file__)"], cwd=tmp_path,
                           env=clean_environment(), capture_output=True, text=True, check=True).stdout
    assert Path(where).is_relative_to(bin_dir.parent) and not Path(where).is_relative_to(REPO)


def test_the_installed_bereik_checks_a_municipality(bin_dir, tmp_path):
    checked = bereik(bin_dir, "check", str(EXAMPLE), cwd=tmp_path)
    assert "ok. Gemeente Bloemendaal" in checked.stdout
    broken = tmp_path / "broken.yaml"
    broken.write_text(EXAMPLE.read_text().replace("08:30-", "08:30-25:00 ", 1))
    refused = bereik(bin_dir, "check", str(broken), cwd=tmp_path, check=False)
    assert refused.returncode == 1 and "broken.yaml:" in refused.stderr


def test_every_file_the_package_reads_at_run_time_is_in_the_installation(bin_dir):
    """Static files, templates, scenarios, migrations, units: whatever lies in bereik/ beside the code."""
    sources = REPO / "bereik"
    data = {p.relative_to(sources) for p in sources.rglob("*")
            if p.is_file() and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts}
    data |= {p.relative_to(sources) for p in (sources / "records" / "migrations").glob("*.py")}
    [site] = (bin_dir.parent / "lib").glob("python3*/site-packages")
    missing = sorted(str(p) for p in data if not (site / "bereik" / p).is_file())
    assert data and not missing, f"not in the wheel: {missing}; add them to package-data in pyproject.toml"


def test_the_installed_systemd_units_pass_systemd_analyze(bin_dir, tmp_path):
    written = bereik(bin_dir, "systemd", "--root", str(tmp_path), cwd=tmp_path).stdout
    units = tmp_path / "etc/systemd/system"
    assert f"wrote {units / 'bereik.service'}" in written
    service = (units / "bereik.service").read_text()
    assert f"ExecStart={bin_dir / 'bereik'} run /etc/bereik/gemeente.yaml" in service
    assert "ExecReload=/bin/kill -HUP $MAINPID" in service and "SupplementaryGroups=asterisk" in service

    verified = subprocess.run(["systemd-analyze", "verify", *map(str, sorted(units.iterdir()))],
                              capture_output=True, text=True)
    assert verified.returncode == 0 and verified.stdout + verified.stderr == "", verified.stderr
    for unit in ("bereik.service", "bereik-report.service"):
        security = subprocess.run(["systemd-analyze", "security", "--offline=yes", f"--root={tmp_path}", unit],
                                  capture_output=True, text=True, cwd=units)
        overall = security.stdout.strip().splitlines()[-1]
        exposure = float(overall.split(":")[1].split()[0])
        assert exposure <= EXPOSURE_AT_MOST and " OK " in overall + " ", overall
    assert "m bereik asterisk" in (tmp_path / "etc/sysusers.d/bereik.conf").read_text()
    assert "/var/log/asterisk/cel-custom/bereik.csv {" in (tmp_path / "etc/logrotate.d/bereik").read_text()


async def test_the_installed_bereik_runs_and_routes_a_call_through_asterisk(bin_dir, tmp_path, sandbox_root, asterisk,
                                                                           ami, sipp):
    asterisk_root = sandbox_root
    secrets_file = tmp_path / "secrets.env"
    bereik(bin_dir, "secrets", "--new", str(secrets_file), cwd=tmp_path)
    yaml = tmp_path / "gemeente.yaml"
    document = YAML().load(EXAMPLE.read_text())
    document["records"] = {"store": str(tmp_path / "calls.sqlite3"),
                           "asterisk_cel": str(asterisk_root / "var/log/asterisk/cel-custom/bereik.csv")}
    document["back_office"] = {"forwarding_store": str(tmp_path / "forwarding.sqlite3")}
    document["waiting"] = {"callback_store": str(tmp_path / "callbacks.sqlite3")}
    document["wallboard"] = {"listen": f"127.0.0.1:{WALLBOARD_PORT}"}
    with yaml.open("w") as file:
        YAML().dump(document, file)
    config_dir = tmp_path / "asterisk"
    bereik(bin_dir, "dialplan", str(yaml), "--out", str(config_dir), "--secrets", str(secrets_file), cwd=tmp_path)
    with open(config_dir / "manager.conf", "a") as manager:
        manager.write(observer_section(*OBSERVER))
    instance = asterisk(config_dir)
    PromptLibrary(instance.sounds_dir, "nl").ensure_all(spoken_texts(load_config(yaml)))
    instance.ami = instance.ami.__class__(instance.ami.port, *OBSERVER)
    events = await ami(instance)
    log = tmp_path / "bereik.log"
    process = subprocess.Popen(
        [str(bin_dir / "bereik"), "run", str(yaml), "--sounds", str(instance.sounds_dir), "--secrets",
         str(secrets_file), "--pretend-time", "2026-11-23T10:00"],
        cwd=tmp_path, env=clean_environment(), stdout=log.open("wb"), stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60  # a first start without .pyc files, on a loaded machine
        while socket.socket().connect_ex(("127.0.0.1", 4573)) != 0:
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
        caller = sipp.call("14023", talk_seconds=6, dtmf=[("asked", "1"), ("asked", "2")])

        joined = await events.wait_for_event("QueueCallerJoin", timeout=20)
        assert joined["Queue"] == "tic" and variable(joined, "BEREIK_TOPIC") == "afval"
        assert variable(joined, "BEREIK_REASON") == "menu_choice"
        await caller.succeeds(timeout=20)
        metrics = urllib.request.urlopen(f"http://127.0.0.1:{WALLBOARD_PORT}/metrics", timeout=5).read().decode()
        assert re.search(rf'^bereik_build_info{{[^}}]*version="{re.escape(VERSION)}"[^}}]*}} 1.0$', metrics, re.M)
        assert 'bereik_queue_offered_today{queue="tic"}' in metrics
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(15) == 0, log.read_text()
