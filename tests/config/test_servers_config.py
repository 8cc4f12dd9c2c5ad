"""Several servers in one YAML: each bereik takes its own addresses, the others' bereiks are its fall-back."""
from pathlib import Path

import pytest

from bereik.config import ConfigError, parse_config
from bereik.pbx import dialplan
from bereik.secrets import AMI_SECRET, PHONES_SECRET, Secrets

EXAMPLE = Path(__file__).parents[2] / "examples" / "bloemendaal.yaml"
TWO_SERVERS = """
  servers:
    - {name: noord, sip_bind: 10.0.0.1:5060, agi: 10.0.0.1:4573, ami: 10.0.0.1:5038}
    - {name: zuid, sip_bind: 10.0.0.2:5060, agi: 10.0.0.2:4573, ami: 10.0.0.2:5038}
"""
SHARED_STORE = "\nrecords:\n  store: postgresql://bereik@10.0.0.9/bereik\n"


def with_servers(store: str = SHARED_STORE) -> str:
    text = EXAMPLE.read_text()
    anchor = "  trunk: 127.0.0.1:5080"
    assert anchor in text
    return text.replace(anchor, anchor + TWO_SERVERS, 1) + store


def test_each_server_gets_its_own_addresses_and_the_other_bereik_as_fallback():
    config = parse_config(with_servers())
    zuid = config.for_server("zuid")
    assert (zuid.pbx.server, zuid.pbx.sip_bind, zuid.pbx.agi, zuid.pbx.ami) == (
        "zuid", "10.0.0.2:5060", "10.0.0.2:4573", "10.0.0.2:5038")
    assert zuid.pbx.agi_fallback == ["10.0.0.1:4573"]
    assert [peer.name for peer in zuid.peers()] == ["noord"]
    assert zuid.menu == config.menu and zuid.queues == config.queues  # everything else is shared


def test_the_generated_dialplan_tries_the_own_bereik_first_and_lets_the_peer_bereik_read_ami():
    zuid = parse_config(with_servers()).for_server("zuid")
    files = dialplan.generate(zuid, Secrets({AMI_SECRET: "t-" + "x" * 30, PHONES_SECRET: "phones-" + "p" * 26}))
    entry = files["extensions.conf"]
    assert entry.index("AGI(agi://10.0.0.2:4573/entry)") < entry.index("AGI(agi://10.0.0.1:4573/entry)")
    assert "bind=10.0.0.2:5060" in files["pjsip.conf"]
    manager = files["manager.conf"]
    assert "bindaddr=10.0.0.2" in manager
    assert "permit=10.0.0.2/255.255.255.255" in manager and "permit=10.0.0.1/255.255.255.255" in manager


def test_an_unknown_server_name_lists_the_known_ones():
    config = parse_config(with_servers())
    with pytest.raises(ValueError, match="no server 'west' in pbx.servers \\(known: noord, zuid\\)"):
        config.for_server("west")
    assert parse_config(EXAMPLE.read_text()).for_server(None).pbx.server is None


def test_several_servers_need_a_shared_postgresql_store_and_distinct_names():
    text = with_servers(store="").replace("name: zuid", "name: noord")
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "gemeente.yaml")
    messages = [p.message for p in caught.value.problems]
    assert "server noord is listed twice; each server needs its own name" in messages
    assert any("set records.store to a postgresql:// address" in m for m in messages)


def test_each_server_reconciles_from_its_own_asterisk_event_log():
    text = with_servers().replace("ami: 10.0.0.2:5038}", "ami: 10.0.0.2:5038, asterisk_cel: /srv/zuid/cel/bereik.csv}")
    config = parse_config(text)
    assert config.for_server("zuid").records.asterisk_cel == "/srv/zuid/cel/bereik.csv"
    # A server without its own keeps records.asterisk_cel (each bereik beside its Asterisk on its own host).
    assert config.for_server("noord").records.asterisk_cel == config.records.asterisk_cel \
        == "/var/log/asterisk/cel-custom/bereik.csv"


def test_each_server_starts_its_calls_in_its_own_asterisks_spool():
    text = with_servers().replace("ami: 10.0.0.2:5038}", "ami: 10.0.0.2:5038, call_files: /srv/zuid/outgoing}")
    config = parse_config(text)
    assert config.for_server("zuid").pbx.call_files == "/srv/zuid/outgoing"
    assert config.for_server("noord").pbx.call_files == config.pbx.call_files == "/var/spool/asterisk/outgoing"
