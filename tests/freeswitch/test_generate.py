"""FreeSWITCH configuration from the YAML: accepted by frslint (a FreeSWITCH dialplan linter and evaluator from
PyPI) for every shipped example, and mod_callcenter's file checked for the structure FreeSWITCH documents."""
import subprocess
import sys
from pathlib import Path

import pytest
from lxml import etree

from bereik.cli import main
from bereik.config import load_config
from bereik.freeswitch.generate import generate

EXAMPLES = sorted(p for p in (Path(__file__).parents[2] / "examples").glob("*.yaml"))
FRSLINT = Path(sys.executable).parent / "frslint"
# The top of a vanilla FreeSWITCH configuration, reduced to what includes bereik's files.
FREESWITCH_XML = """<?xml version="1.0"?>
<document type="freeswitch/xml">
  <section name="configuration" description="Various Configuration">
    <X-PRE-PROCESS cmd="include" data="autoload_configs/*.xml"/>
  </section>
  <section name="dialplan" description="Regex/XML Dialplan">
    <X-PRE-PROCESS cmd="include" data="dialplan/*.xml"/>
  </section>
</document>
"""


def written(config, directory: Path) -> Path:
    for name, text in generate(config).items():
        (directory / name).parent.mkdir(parents=True, exist_ok=True)
        (directory / name).write_text(text)
    (directory / "freeswitch.xml").write_text(FREESWITCH_XML)
    return directory / "freeswitch.xml"


def frslint(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(FRSLINT), *arguments], capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_frslint_finds_nothing_wrong_in_any_example(example, tmp_path):
    root = written(load_config(example), tmp_path)
    analysis = frslint("analyze", str(root))
    assert analysis.returncode == 0, analysis.stdout
    for name in generate(load_config(example)):
        style = frslint("lint", str(tmp_path / name))
        assert style.returncode == 0, style.stdout


def test_frslint_really_reads_the_included_dialplan(tmp_path):
    """A broken dialplan in the same place is reported, so the clean result above is not vacuous."""
    root = written(load_config(EXAMPLES[0]), tmp_path)
    dialplan = tmp_path / "dialplan/bereik.xml"
    dialplan.write_text(dialplan.read_text().replace('"socket"', '"sokcet"').replace("^(14023|", "^((14023|"))
    analysis = frslint("analyze", str(root))
    assert analysis.returncode == 1
    assert "Unknown application: 'sokcet'" in analysis.stdout and "invalid-regex" in analysis.stdout


def test_the_14_number_goes_to_bereiks_socket_and_fails_open_to_the_front_office(tmp_path):
    root = written(load_config(EXAMPLES[0]), tmp_path)
    trace = frslint("debug", str(root), "14023", "-c", "bereik").stdout
    steps = [line for line in trace.splitlines() if line.split(":")[0] in ("answer", "set", "socket", "transfer")]
    assert steps == ["answer", "set: bereik_reason=failopen", "socket: 127.0.0.1:8084 async full",
                     "transfer: bereik-queue-tic XML bereik"]
    queue = frslint("debug", str(root), "bereik-queue-tic", "-c", "bereik").stdout
    assert "callcenter: tic@default" in queue


def test_a_general_number_goes_to_bereiks_socket_like_the_14_number(tmp_path):
    config = load_config(EXAMPLES[0])
    root = written(config, tmp_path)
    trace = frslint("debug", str(root), config.general_numbers[0], "-c", "bereik").stdout
    assert "socket: 127.0.0.1:8084 async full" in trace and "transfer: bereik-queue-tic XML bereik" in trace


def test_mod_callcenter_has_every_position_as_an_agent_with_a_tier_overflow_on_level_two():
    config = load_config(EXAMPLES[0])
    root = etree.fromstring(generate(config)["autoload_configs/callcenter.conf.xml"].encode())
    assert root.tag == "configuration" and root.get("name") == "callcenter.conf"
    queues = {q.get("name") for q in root.find("queues")}
    agents = {a.get("name"): a for a in root.find("agents")}
    assert all(a.get("type") == "callback" and a.get("contact").startswith("user/") for a in agents.values())
    tiers = {(t.get("agent"), t.get("queue")): t.get("level") for t in root.find("tiers")}
    assert {q for _, q in tiers} <= queues and {a for a, _ in tiers} <= set(agents)
    assert tiers == {(f"{p.extension}@default", f"{q.id}@default"): "2" if p.overflow else "1"
                     for q in config.queues for p in q.positions}
    params = {p.get("name"): p.get("value") for p in root.find("queues")[0]}
    assert params["tier-rules-apply"] == "true"  # the overflow position waits its turn


def test_the_command_writes_the_files(tmp_path, capsys):
    assert main(["freeswitch", str(EXAMPLES[0]), "--out", str(tmp_path)]) == 0
    assert (tmp_path / "dialplan/bereik.xml").exists() and (tmp_path / "autoload_configs/callcenter.conf.xml").exists()
