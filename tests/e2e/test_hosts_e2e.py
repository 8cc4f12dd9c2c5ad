"""Several hosts for real: each in its own network namespace made by this test, joined by a bridge.

    asterisk noord  10.77.0.1   (pbx.servers: noord's bereik is on 10.77.0.2, zuid's on 10.77.0.3)
    bereik B        10.77.0.2   `bereik run --server noord`
    bereik C        10.77.0.3   `bereik run --server zuid`, noord's FastAGI fall-back
    carrier         10.77.0.4   pbx.trunk: the SIPp callers, and this test's AMI tap
    stranger        10.77.0.5   no Asterisk of ours

A call on noord is routed by bereik on B (it used to refuse every address but loopback); with B killed,
noord's calls are routed by C; the stranger's FastAGI connection is refused, and logged once, with the
reason. The two bereiks share a PostgreSQL through its Unix socket, as pbx.servers requires.
"""
import asyncio
import signal
import subprocess
import sys
from pathlib import Path

from bereik.config import load_config
from bereik.ivr.catalogue import spoken_texts
from bereik.ivr.prompts import PromptLibrary
from bereik.sandbox import Asterisk, AmiLogin
from bereik.sandbox.isolation import Hosts, call_in
from bereik.sandbox.cues import KeyCues
from bereik.sandbox.postgres import Cluster
from bereik.sandbox.sipp import Sipp
from bereik.secrets import Secrets, write_new_secrets_file

from helpers import OBSERVER, AmiTap, variable, write_config_with_observer
from tests.polling import until

EXAMPLE = Path(__file__).parents[2] / "examples" / "bloemendaal.yaml"
NAMES = ("asterisk", "b", "c", "carrier", "stranger")  # the hosts fixture numbers them 10.77.0.1, .2, ...
HOSTS = {name: f"{Hosts.SUBNET}.{number}" for number, name in enumerate(NAMES, start=1)}
ZUID = f"{Hosts.SUBNET}.9"  # zuid's Asterisk is not started: C serves noord's calls only as its fall-back
# Bloemendaal, then afval, each pressed when Asterisk listens for it (keys at fixed seconds were pressed
# during the welcome under load and lost: the "2" then chose Heemstede).
AFVAL = [("asked", "1"), ("asked", "2")]


def municipality(tmp_path: Path, dsn: str) -> Path:
    text = EXAMPLE.read_text().replace("  trunk: 127.0.0.1:5080", f"""  trunk: {HOSTS['carrier']}:5080
  servers:
    - {{name: noord, sip_bind: '{HOSTS['asterisk']}:5060', agi: '{HOSTS['b']}:4573', ami: '{HOSTS['asterisk']}:5038'}}
    - {{name: zuid, sip_bind: '{ZUID}:5060', agi: '{HOSTS['c']}:4573', ami: '{ZUID}:5038'}}""", 1)
    text = text.replace("back_office:\n", f"back_office:\n  forwarding_store: {tmp_path / 'forwarding.sqlite3'}\n", 1)
    yaml = tmp_path / "gemeente.yaml"
    yaml.write_text(text + f"""
records:
  store: "{dsn}"
  asterisk_cel: null
  spool: {tmp_path / 'spool'}
wallboard:
  listen: 127.0.0.1:0
waiting:
  callback_store: {tmp_path / 'callbacks.sqlite3'}
""")
    return yaml


def listening(hosts: Hosts, host: str) -> bool:
    import socket

    def probe() -> bool:
        with socket.socket() as sock:
            sock.settimeout(0.2)
            return sock.connect_ex((HOSTS[host], 4573)) == 0
    return call_in(hosts.namespace("carrier"), probe)


def stranger_hands_over_a_call(hosts: Hosts, bereik: str) -> bytes:
    """A FastAGI request as Asterisk sends it, from the stranger's address; whatever bereik answers."""
    import socket

    def call() -> bytes:
        with socket.create_connection((HOSTS[bereik], 4573), timeout=5) as sock:
            sock.sendall(b"agi_network: yes\nagi_network_script: entry\nagi_channel: PJSIP/trunk-1\n"
                         b"agi_uniqueid: 1.1\nagi_extension: 14023\n\n")
            try:
                return sock.recv(1024)
            except ConnectionResetError:  # closed with the request unread
                return b""
    return call_in(hosts.namespace("stranger"), call)


async def test_calls_cross_hosts_fail_over_to_the_fallback_bereik_and_a_stranger_is_refused(
        sandbox_root, hosts, tmp_path):
    cluster = Cluster().start()
    hosts = hosts(*NAMES)
    assert hosts.addresses == HOSTS
    asterisk, bereiks, tap, callers, cues = None, {}, None, None, None
    try:
        yaml = municipality(tmp_path, cluster.socket_dsn)
        secrets_file = write_new_secrets_file(tmp_path / "secrets.env")
        config = load_config(yaml)
        directory = write_config_with_observer(config.for_server("noord"), Secrets.load(secrets_file),
                                               tmp_path / "noord", str(yaml))
        asterisk = Asterisk(directory, AmiLogin(5038, *OBSERVER, host=HOSTS["asterisk"]), root=sandbox_root,
                            name=f"noord-{hosts.prefix}", netns=hosts.namespace("asterisk"))
        asterisk.start()
        PromptLibrary(asterisk.sounds_dir, config.language).ensure_all(spoken_texts(config))
        for host, server in (("b", "noord"), ("c", "zuid")):
            bereiks[host] = subprocess.Popen(hosts.on(host) + [
                sys.executable, "-m", "bereik", "run", str(yaml), "--server", server, "--sounds",
                str(asterisk.sounds_dir), "--secrets", str(secrets_file), "--pretend-time", "2026-11-23T10:00"],
                stdout=(tmp_path / f"bereik-{host}.log").open("wb"), stderr=subprocess.STDOUT)
        await until(lambda: listening(hosts, "b") and listening(hosts, "c"), 20, "both bereiks listen")
        tap = await AmiTap.connect(hosts, "carrier", HOSTS["asterisk"], 5038, *OBSERVER)
        # Its thread, started in the carrier's namespace, connects from there.
        cues = await asyncio.to_thread(call_in, hosts.namespace("carrier"), KeyCues,
                                       AmiLogin(5038, *OBSERVER, host=HOSTS["asterisk"]))
        callers = Sipp(f"{HOSTS['asterisk']}:5060", tmp_path / "sipp", netns=hosts.namespace("carrier"))

        # 1. A call on noord, whose bereik is on another host: routed by B (the menu's topic), not failed open.
        callers.call("14023", local_ip=HOSTS["carrier"], talk_seconds=4, dtmf=AFVAL, from_user="0611111111")
        joined = await tap.wait_for_event("QueueCallerJoin", timeout=20)
        assert variable(joined, "BEREIK_TOPIC") == "afval" and variable(joined, "BEREIK_REASON") != "failopen-FAILURE"
        # B logs the call once it has read Asterisk's replies to its last word, after the caller moved on.
        routed_by_b = ('"step": "routed"', '"topic": "afval"')
        await until(lambda: all(part in (tmp_path / "bereik-b.log").read_text() for part in routed_by_b), 5,
                    "B logged the call")
        assert '"topic": "afval"' not in (tmp_path / "bereik-c.log").read_text()

        # 2. A stranger's FastAGI connection: refused, logged once, with the reason.
        for _ in range(2):
            assert await asyncio.to_thread(stranger_hands_over_a_call, hosts, "c") == b""
        refused = f"{HOSTS['stranger']} refused"
        await until(lambda: refused in (tmp_path / "bereik-c.log").read_text(), 5, "the refusal logged")
        refusals = [line for line in (tmp_path / "bereik-c.log").read_text().splitlines() if refused in line]
        assert len(refusals) == 1 and "not in the allow-list (" in refusals[0] and "pbx.agi_allow" in refusals[0]
        # The default: this machine and every Asterisk of the configuration (noord here, zuid not started).
        allowed = set(refusals[0].split("allow-list (")[1].split(")")[0].split(", "))
        assert allowed == {"127.0.0.0/8", HOSTS["asterisk"], ZUID}

        # 3. B killed: noord's next call is routed by C, its fall-back on another host.
        bereiks["b"].send_signal(signal.SIGKILL)
        bereiks["b"].wait()
        callers.call("14023", local_ip=HOSTS["carrier"], talk_seconds=4, dtmf=AFVAL, from_user="0622222222")
        second = await tap.wait_for_event("QueueCallerJoin", lambda e: e.get("CallerIDNum") == "0622222222",
                                          timeout=20)
        assert variable(second, "BEREIK_TOPIC") == "afval"
        await until(lambda: '"topic": "afval"' in (tmp_path / "bereik-c.log").read_text(), 5, "C logged the call")
    finally:
        if callers:
            callers.stop_all()
        if tap:
            tap.close()
        if cues:
            cues.close()
        for process in bereiks.values():
            if process.poll() is None:
                process.terminate()
                process.wait(10)
        if asterisk:
            asterisk.stop()
        cluster.stop()
