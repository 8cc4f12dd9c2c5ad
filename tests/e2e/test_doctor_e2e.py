"""`bereik doctor` against a live installation in the sandbox: Asterisk with the generated configuration,
`bereik run` serving FastAGI, the prompts rendered by `bereik prompts`. All green first; then one fault at a
time, each reported as the only fault, with its fix; a fix applied clears it."""
from __future__ import annotations

import datetime as dt
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from bereik.sandbox.chroot import ASTERISK

REPO = Path(__file__).parents[2]
EXAMPLE = REPO / "examples" / "bloemendaal.yaml"
OLD_STORE = REPO / "tests" / "records" / "fixtures" / "store-0.1.0.sql"
UNPRIVILEGED = "nobody"  # bereik's account here: its rights on files are what the doctor judges
WALLBOARD_PORT = 18025


def bereik(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bereik", *args], capture_output=True, text=True, timeout=120,
                          check=check)


def write_yaml(path: Path, site: Path, **changes) -> Path:
    document = YAML().load(EXAMPLE.read_text())
    document["records"] = {"store": str(site / "store" / "calls.sqlite3"), "asterisk_cel": str(site / "cel.csv")}
    document["back_office"] = {"forwarding_store": str(site / "store" / "forwarding.sqlite3")}
    document["waiting"] = {"callback_store": str(site / "store" / "callbacks.sqlite3"), "mode": "position"}
    document["wallboard"] = {"listen": f"127.0.0.1:{WALLBOARD_PORT}"}
    document["pbx"]["call_files"] = str(site / "spool" / "outgoing")
    document.update(changes)
    with path.open("w") as file:
        YAML().dump(document, file)
    return path


@pytest.fixture(scope="module")
def site():
    """The installation's files, in a folder the unprivileged account may enter (pytest's own is root's only)."""
    folder = Path(tempfile.mkdtemp(prefix="bereik-doctor-"))
    folder.chmod(0o755)
    (folder / "store").mkdir()
    (folder / "spool" / "outgoing").mkdir(parents=True)  # Asterisk's, writable by bereik's account
    subprocess.run(["chown", "-R", UNPRIVILEGED, str(folder / "spool")], check=True)
    yaml = write_yaml(folder / "gemeente.yaml", folder)
    bereik("secrets", "--new", str(folder / "secrets.env"))
    bereik("dialplan", str(yaml), "--out", str(folder / "asterisk"), "--secrets", str(folder / "secrets.env"))
    (folder / "cel.csv").write_text('"CHAN_START","1795424400.0","1.0","1.0","PJSIP/trunk-0","","","14023","06",""\n')
    yield folder
    shutil.rmtree(folder)


@pytest.fixture
def live(site, asterisk, tmp_path):
    """live(config_dir): Asterisk on that configuration, the prompts, and `bereik run`; the doctor's arguments."""
    processes = []
    log = tmp_path / "bereik.log"

    def start(config_dir: Path | None = None):
        instance = asterisk(config_dir or site / "asterisk")  # first: the harness takes any bereik for a leftover
        bereik("prompts", str(site / "gemeente.yaml"), "--out", str(instance.sounds_dir))
        process = subprocess.Popen(
            [sys.executable, "-m", "bereik", "run", str(site / "gemeente.yaml"), "--sounds",
             str(instance.sounds_dir), "--secrets", str(site / "secrets.env"), "--pretend-time", "2026-11-23T10:00"],
            stdout=log.open("wb"), stderr=subprocess.STDOUT)
        processes.append(process)
        deadline = time.monotonic() + 20
        while socket.socket().connect_ex(("127.0.0.1", 4573)) != 0:
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
        subprocess.run(["chown", "-R", UNPRIVILEGED, str(site / "store")], check=True)
        cli = f"chroot {instance.root} {ASTERISK} -C /etc/asterisk/asterisk.conf -rx"
        return instance, ["--secrets", str(site / "secrets.env"), "--sounds", str(instance.sounds_dir),
                          "--user", UNPRIVILEGED, "--asterisk-cli", cli]

    yield start
    for process in processes:
        process.send_signal(signal.SIGTERM)
        assert process.wait(15) == 0, log.read_text()


def doctor(yaml: Path, arguments: list[str]) -> tuple[int, dict[str, tuple[str, str, str]]]:
    """The exit status and, per check, (level, what was said, the fix)."""
    result = bereik("doctor", str(yaml), *arguments, check=False)
    found: dict[str, tuple[str, str, str]] = {}
    last = ""
    for line in result.stdout.splitlines():
        if line.startswith(("ok   ", "WARN ", "FAULT")):
            check, said = line[6:].split(": ", 1)
            found[check] = (line[:5].strip(), said, "")
            last = check
        elif line.startswith("      fix: "):
            found[last] = (*found[last][:2], line[len("      fix: "):])
    assert found, result.stdout + result.stderr
    return result.returncode, found


def only_fault(found: dict[str, tuple[str, str, str]]) -> tuple[str, str, str]:
    faults = {check: finding for check, finding in found.items() if finding[0] != "ok"}
    assert len(faults) == 1, faults
    [(check, (_, said, fix))] = faults.items()
    return check, said, fix


def test_a_healthy_installation_is_all_green_then_each_fault_is_reported_alone_with_its_fix(site, live, tmp_path):
    instance, arguments = live()
    yaml = site / "gemeente.yaml"
    status, found = doctor(yaml, arguments)
    assert status == 0 and all(level == "ok" for level, _, _ in found.values()), found
    assert {"AMI", "AMI rights", "AMI clock", "modules", "FastAGI", "sounds", "CEL", "call files", "store schema",
            "store writable", "TLS", "disk spool"} <= set(found)
    assert "exactly write=call (no originate, agent" in found["AMI rights"][1]
    # Asterisk's own `dialplan show` of the holiday table `bereik dialplan` wrote for two years: its last closing
    # day (the longest gap between Dutch public holidays, Whit Monday to Christmas, is about 200 days).
    known_until = dt.date.fromisoformat(found["fail-open closing days"][1].removeprefix("known until "))
    assert known_until >= dt.date.today() + dt.timedelta(days=730 - 210)

    # A wrong AMI secret.
    wrong = tmp_path / "wrong-secrets.env"
    bereik("secrets", "--new", str(wrong))
    status, found = doctor(yaml, [*arguments, "--secrets", str(wrong)])
    check, said, fix = only_fault(found)
    assert (status, check) == (2, "AMI") and "refused the login of user bereik" in said
    assert "differs from BEREIK_AMI_SECRET" in fix and "manager reload" in fix

    # A missing sound.
    from bereik.config import load_config
    from bereik.ivr.catalogue import spoken_texts
    from bereik.ivr.prompts import PromptLibrary

    welcome = spoken_texts(load_config(yaml))[0]
    sound = PromptLibrary(instance.sounds_dir, "nl").path(welcome)
    aside = tmp_path / "welcome.wav"
    shutil.move(sound, aside)
    try:
        status, found = doctor(yaml, arguments)
        check, said, fix = only_fault(found)
        assert (status, check) == (2, "sounds") and said.startswith("1 of ") and welcome[:40] in said
        assert fix == f"bereik prompts gemeente.yaml --out {instance.sounds_dir}"
    finally:
        shutil.move(aside, sound)

    # A CEL file bereik's account cannot read.
    (site / "cel.csv").chmod(0o600)
    try:
        status, found = doctor(yaml, arguments)
        check, said, fix = only_fault(found)
        assert (status, check) == (2, "CEL") and said == f"{UNPRIVILEGED} cannot read {site / 'cel.csv'}"
        assert "chmod 640" in fix and "group asterisk" in fix
    finally:
        (site / "cel.csv").chmod(0o644)

    # Asterisk's outgoing spool, where bereik starts waiting callers' companions and call-backs, not writable.
    spool = site / "spool" / "outgoing"
    subprocess.run(["chown", "root", str(spool)], check=True)
    try:
        status, found = doctor(yaml, arguments)
        check, said, fix = only_fault(found)
        assert (status, check) == (2, "call files") and said.startswith(f"{UNPRIVILEGED} cannot write in {spool}:")
        assert f"chmod 2770 {spool}" in fix and "group asterisk" in fix
    finally:
        subprocess.run(["chown", UNPRIVILEGED, str(spool)], check=True)

    # A store at the schema of release 0.1.0; `bereik migrate` (the fix) clears it.
    old = site / "old"
    old.mkdir()
    with sqlite3.connect(old / "calls.sqlite3") as connection:
        connection.executescript(OLD_STORE.read_text())
    subprocess.run(["chown", "-R", UNPRIVILEGED, str(old)], check=True)
    old_yaml = write_yaml(site / "old.yaml", site,
                          records={"store": str(old / "calls.sqlite3"), "asterisk_cel": str(site / "cel.csv")})
    status, found = doctor(old_yaml, arguments)
    check, said, fix = only_fault(found)
    assert (status, check) == (2, "store schema") and "schema version 0.1.0" in said
    assert fix.startswith("bereik migrate gemeente.yaml")
    bereik("migrate", str(old_yaml))
    assert doctor(old_yaml, arguments)[0] == 0

    # LDAP down.
    ldap_yaml = write_yaml(site / "ldap.yaml", site, presence={
        "ldap": {"url": "ldap://127.0.0.1:3899", "base_dn": "ou=people,dc=bloemendaal,dc=nl"}})
    status, found = doctor(ldap_yaml, arguments)
    check, said, fix = only_fault(found)
    assert (status, check) == (2, "LDAP directory") and said.startswith("ldap://127.0.0.1:3899")
    assert "directory server up" in fix


def test_asterisk_without_app_queue_is_reported_with_its_fix(site, live):
    broken = site / "asterisk-without-queue"
    shutil.copytree(site / "asterisk", broken, dirs_exist_ok=True)
    with open(broken / "modules.conf", "a") as modules:
        modules.write("noload => app_queue.so\n")
    _, arguments = live(broken)
    status, found = doctor(site / "gemeente.yaml", arguments)
    faults = {check: finding for check, finding in found.items() if finding[0] != "ok"}
    assert status == 2 and set(faults) == {"AMI queues", "modules"}, faults
    assert "no app_queue" in faults["AMI queues"][1] and "module load app_queue.so" in faults["AMI queues"][2]
    assert faults["modules"][1].startswith("not loaded: app_queue.so")


def test_an_ami_user_with_more_rights_than_bereik_generated_is_a_fault(site, live):
    widened = site / "asterisk-wider-rights"
    shutil.copytree(site / "asterisk", widened, dirs_exist_ok=True)
    manager = (widened / "manager.conf").read_text()
    # the rights bereik's user had before 2026-12 (originate, agent), and worse
    (widened / "manager.conf").write_text(manager.replace("write=call\n", "write=call,agent,originate,command,system\n"))
    _, arguments = live(widened)
    status, found = doctor(site / "gemeente.yaml", arguments)
    check, said, fix = only_fault(found)
    assert (status, check) == (2, "AMI rights") and "may do more than bereik needs (it may send Originate, QueueAdd, " \
        "Command," in said
    assert "ModuleLoad" in said
    assert "exactly write=call and" in fix
