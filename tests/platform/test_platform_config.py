"""A regional platform: one platform file, one YAML per municipality; every file checked, and the rules between them."""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from bereik.config import ConfigError
from bereik.platform.command import instance_files
from bereik.platform.load import check_platform, is_platform
from bereik.secrets import AMI_SECRET, PHONES_SECRET, Secrets

REGIO = Path(__file__).parents[2] / "examples" / "regio"
SECRETS = Secrets({AMI_SECRET: "t-" + "x" * 30, PHONES_SECRET: "phones-" + "p" * 26})


@pytest.fixture
def regio(tmp_path) -> Path:
    """A copy of the example platform to change."""
    return Path(shutil.copytree(REGIO, tmp_path / "regio"))


def edit(path: Path, change) -> None:
    yaml = YAML()
    document = yaml.load(path.read_text())
    change(document)
    with path.open("w") as out:
        yaml.dump(document, out)


def problems(platform: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        check_platform(platform)
    return [str(problem) for problem in caught.value.problems]


def test_the_example_platform_is_valid_and_each_municipality_sees_the_nodes_as_its_servers():
    region = check_platform(REGIO / "platform.yaml")
    assert region.warnings == []
    assert [m.id for m in region.municipalities] == ["bloemendaal", "heemstede"]
    heemstede = region.municipality("Heemstede").config
    assert heemstede.pbx.trunk == "10.77.0.1:5060"  # Kamailio: calls from its address enter, calls out go there
    assert [(s.name, s.sip_bind, s.agi, s.ami) for s in heemstede.pbx.servers] == [
        ("noord", "10.77.0.2:5062", "10.77.0.2:4575", "10.77.0.2:5040"),
        ("midden", "10.77.0.3:5062", "10.77.0.3:4575", "10.77.0.3:5040"),
        ("zuid", "10.77.0.4:5062", "10.77.0.4:4575", "10.77.0.4:5040")]
    on_midden = region.config("heemstede", "midden")
    assert (on_midden.pbx.server, on_midden.pbx.sip_bind) == ("midden", "10.77.0.3:5062")
    assert on_midden.pbx.agi_fallback == ["10.77.0.2:4575", "10.77.0.4:4575"]  # the same municipality's bereiks


def test_each_municipality_keeps_its_own_files_where_its_yaml_leaves_the_default():
    region = check_platform(REGIO / "platform.yaml")
    bloemendaal, heemstede = (m.config for m in region.municipalities)
    assert bloemendaal.waiting.callback_store == "/var/lib/bereik/bloemendaal/callbacks.sqlite3"
    assert heemstede.back_office.forwarding_store == "/var/lib/bereik/heemstede/forwarding.sqlite3"
    assert heemstede.presence.absences_store == "/var/lib/bereik/heemstede/absences.sqlite3"
    assert heemstede.records.spool == "/var/lib/bereik/heemstede/records-spool"
    # Asterisk's own files: the instance's directories (asterisk.conf below).
    assert heemstede.records.asterisk_cel == "/var/log/asterisk-heemstede/cel-custom/bereik.csv"
    assert heemstede.console.recordings_dir == "/var/spool/asterisk-heemstede/monitor"
    assert bloemendaal.records.store != heemstede.records.store


def test_a_path_the_yaml_names_is_kept(regio):
    edit(regio / "heemstede.yaml", lambda d: d.update({"waiting": {"callback_store": "/srv/hs/cb.sqlite3"}}))
    assert check_platform(regio / "platform.yaml").config("heemstede").waiting.callback_store == "/srv/hs/cb.sqlite3"


def test_who_answers_which_number_the_shared_number_by_the_first_that_has_it():
    region = check_platform(REGIO / "platform.yaml")
    answering = {number: m.id for number, m in region.answering().items()}
    assert answering["14023"] == "bloemendaal"  # its choice offers Heemstede, put through to Heemstede's number
    assert answering["0235485868"] == "heemstede"
    assert answering["0235115301"] == "bloemendaal"  # a direct number
    assert answering["0235485401"] == "heemstede"


def test_every_problem_between_municipalities_at_once_in_the_file_it_is_about(regio):
    edit(regio / "heemstede.yaml", lambda d: (
        d["records"].update({"store": "postgresql://other@10.77.0.6/bloemendaal"}),
        d["wallboard"].update({"listen": "127.0.0.1:8081"}),  # loopback: no login needed, the port still clashes
        d["queues"][0]["positions"][0].update({"address": "127.0.1.1"}),
        d["queues"][0]["positions"][1].update({"address": "10.77.0.101"}),
        d["people"][0].update({"direct": "0235115301"})))
    edit(regio / "bloemendaal.yaml", lambda d: d["shared_number"]["others"][0].update({"name": "Haarlem"}))
    found = problems(regio / "platform.yaml")
    expected = [
        ("bloemendaal.yaml", "- key: '2'", "Heemstede shares 14023, which Bloemendaal answers on this platform, but "
         "Bloemendaal's choice does not offer Heemstede; add it under shared_number.others"),
        ("bloemendaal.yaml", "forward_to:", "callers who choose Haarlem would reach Heemstede: 0235485868 is "
         "Heemstede's number on this platform"),
        ("heemstede.yaml", "127.0.1.1", "the desk phone of 201 is on 127.0.1.1, a loopback address: each node would "
         "ring itself; give the phone's address on the network the nodes reach"),
        ("heemstede.yaml", "10.77.0.101", "the desk phone of 202 is on 10.77.0.101, which is a phone of Bloemendaal; "
         "a phone belongs to one municipality"),
        ("heemstede.yaml", "0235115301", "0235115301 is also Bloemendaal's number; on one platform a number leads to "
         "one municipality (only a shared 14 number, with a choice in both files, may be listed twice)"),
        ("heemstede.yaml", "postgresql://other", "records.store: Heemstede keeps its call records in Bloemendaal's "
         "store; each municipality is its own controller (AVG): give it a database of its own"),
        ("heemstede.yaml", "127.0.0.1:8081", "wallboard.listen 127.0.0.1:8081: port 8081 is already bloemendaal's "
         "wallboard on every node; give Heemstede's wallboard a port of its own"),
    ]
    assert [line.split("/regio/", 1)[1] for line in found] == [
        f"{file}:{line_of(regio / file, marker)}:{column}: {message}"
        for (file, marker, message), column in zip(expected, (column_of(line) for line in found))]


def line_of(path: Path, marker: str) -> int:
    return next(number for number, line in enumerate(path.read_text().splitlines(), start=1) if marker in line)


def column_of(problem: str) -> str:
    return problem.split(":")[2]


def test_a_municipality_on_a_platform_leaves_the_addresses_to_it_and_the_platform_file_is_checked_too(regio):
    edit(regio / "heemstede.yaml", lambda d: d.update({"pbx": {"sip_bind": "127.0.0.1:5060", "watchdog_seconds": 6}}))
    edit(regio / "platform.yaml", lambda d: (d["municipalities"][1].update({"ami_port": 5039}),
                                             d["nodes"][2].update({"address": "127.0.0.1"})))
    found = [line.split("/regio/", 1)[1] for line in problems(regio / "platform.yaml")]
    node = line_of(regio / "platform.yaml", "127.0.0.1")
    assert any(line.startswith(f"platform.yaml:{node}:") and line.endswith(
        "127.0.0.1 is a loopback address, which Kamailio and the other nodes cannot reach; give the node's network "
        "address") for line in found)
    member = line_of(regio / "platform.yaml", "heemstede.yaml")
    assert any(line.startswith(f"platform.yaml:{member}:") and line.endswith(
        "port 5039 is already bloemendaal.yaml's ami port on every node; each port serves one purpose")
        for line in found)
    assert any(line.startswith("heemstede.yaml:") and "pbx.sip_bind: on the platform Regio Zuid-Kennemerland the "
               "addresses come from the platform file" in line for line in found)
    assert not any("watchdog_seconds" in line for line in found)  # the municipality's own to set


def test_an_error_inside_a_municipality_file_is_reported_there(regio):
    (regio / "heemstede.yaml").write_text((regio / "heemstede.yaml").read_text().replace(
        "front_office: kcc", "front_office: kc"))
    found = problems(regio / "platform.yaml")
    assert any("heemstede.yaml:" in line and "'kc'" in line for line in found)


def test_a_platform_file_is_told_from_a_municipality_file():
    assert is_platform(REGIO / "platform.yaml")
    assert not is_platform(REGIO / "heemstede.yaml")
    assert not is_platform(REGIO / "missing.yaml")


def test_each_node_runs_an_asterisk_instance_per_municipality_with_its_own_directories():
    region = check_platform(REGIO / "platform.yaml")
    files = instance_files(region, "heemstede", "zuid", SECRETS)
    conf = files["asterisk.conf"]
    for directory in ("astetcdir => /etc/asterisk-heemstede", "astdbdir => /var/lib/asterisk-heemstede",
                      "astspooldir => /var/spool/asterisk-heemstede", "astrundir => /var/run/asterisk-heemstede",
                      "astlogdir => /var/log/asterisk-heemstede"):
        assert directory in conf
    pjsip = files["pjsip.conf"]
    assert "bind=10.77.0.4:5062" in pjsip
    trunk = pjsip[pjsip.index("[trunk]\ntype=identify"):].split("\n\n", 1)[0]
    assert "match=10.77.0.1" in trunk  # only Kamailio brings calls from outside
    assert "contact=sip:10.77.0.1:5060" in pjsip  # and calls out go to it
    assert "AGI(agi://10.77.0.4:4575/entry)" in files["extensions.conf"]


def test_bereik_check_and_dialplan_on_a_platform(tmp_path):
    def bereik(*arguments: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "bereik", *arguments], capture_output=True, text=True)

    checked = bereik("check", str(REGIO / "platform.yaml"))
    assert checked.returncode == 0, checked.stderr
    assert "ok. Platform Regio Zuid-Kennemerland: Kamailio on 10.77.0.1:5060, 3 node(s) (noord, midden, zuid), " \
           "2 municipalities." in checked.stdout
    assert "heemstede: Gemeente Heemstede, SIP port 5062, answers 0235485868, 0235485401" in checked.stdout

    secrets = tmp_path / "secrets"
    secrets.mkdir()
    for municipality in ("bloemendaal", "heemstede"):
        assert bereik("secrets", "--new", str(secrets / f"{municipality}.env")).returncode == 0
    written = bereik("dialplan", str(REGIO / "platform.yaml"), "--out", str(tmp_path / "out"),
                     "--secrets", str(secrets))
    assert written.returncode == 0, written.stderr
    assert (tmp_path / "out" / "kamailio" / "kamailio.cfg").exists()
    assert (tmp_path / "out" / "midden" / "asterisk-bloemendaal" / "extensions.conf").exists()
    ami = {m: (tmp_path / "out" / "noord" / f"asterisk-{m}" / "manager.conf").read_text()
           for m in ("bloemendaal", "heemstede")}
    assert ami["bloemendaal"].split("secret=")[1][:20] != ami["heemstede"].split("secret=")[1][:20]  # own secrets

    one_node = bereik("dialplan", str(REGIO / "platform.yaml"), "--server", "zuid", "--out", str(tmp_path / "zuid"),
                      "--secrets", str(secrets))
    assert one_node.returncode == 0 and sorted(p.name for p in (tmp_path / "zuid").iterdir()) == [
        "asterisk-bloemendaal", "asterisk-heemstede"]

    unnamed = bereik("migrate", str(REGIO / "platform.yaml"))
    assert unnamed.returncode != 0
    assert "is a platform file: say which municipality with --municipality (bloemendaal, heemstede)" in unnamed.stderr


def test_each_bereik_takes_fastagi_from_its_municipality_s_asterisk_on_every_node_and_no_one_else():
    region = check_platform(REGIO / "platform.yaml")
    # Its own node's Asterisk, and the other nodes' whose dialplans fall over to it (pbx.agi_fallback).
    assert region.config("heemstede", "midden").agi_allowed() == [
        "127.0.0.0/8", "10.77.0.2/32", "10.77.0.3/32", "10.77.0.4/32"]
    assert "10.77.0.1/32" not in region.config("heemstede", "midden").agi_allowed()  # Kamailio asks nothing
