"""Two Asterisk servers (one chroot, 127.0.0.1 and 127.0.0.2), two `bereik run` processes, one PostgreSQL.

Each server's dialplan tries its own bereik first and the other second. Callers arrive on both servers;
noord's bereik is killed (SIGKILL) in the middle. Every caller still reaches the TIC queue (told by both
Asterisks' AMI), and every call is in the shared store exactly once: zuid's bereik took over noord's
records, including what noord's had not written when it died. The report counts both servers' calls."""
import datetime as dt
import signal
import subprocess
import sys
from pathlib import Path

from bereik.config import load_config
from bereik.ivr.catalogue import spoken_texts
from bereik.ivr.prompts import PromptLibrary
from bereik.records.servers import server_of
from bereik.records.store import PostgresStore
from bereik.reports.figures import from_store
from bereik.reports.schema import ReportRequest
from bereik.sandbox import Asterisk, ami_login_from
from bereik.sandbox.postgres import Cluster
from bereik.sandbox.sipp import Sipp
from bereik.secrets import Secrets

from helpers import OBSERVER, bereik_run, several_servers_yaml, takes_fastagi, write_config_with_observer
from tests.polling import until

EXAMPLE = Path(__file__).parents[2] / "examples" / "bloemendaal.yaml"
SERVERS = {"noord": "127.0.0.1", "zuid": "127.0.0.2"}
CALLS_PER_SERVER = 6
AFVAL = [("asked", "1"), ("asked", "2")]


async def test_one_bereik_killed_under_load_loses_no_call_and_no_record(asterisk, ami, tmp_path):
    cluster = Cluster().start()
    try:
        await _two_servers(asterisk, ami, tmp_path, cluster)
    finally:
        cluster.stop()


async def _two_servers(asterisk, ami, tmp_path, cluster):
    yaml = several_servers_yaml(EXAMPLE, tmp_path, cluster.dsn, SERVERS)
    secrets_file = tmp_path / "secrets.env"
    subprocess.run([sys.executable, "-m", "bereik", "secrets", "--new", str(secrets_file)], check=True,
                   capture_output=True)
    config, secrets = load_config(yaml), Secrets.load(secrets_file)
    directories = {name: write_config_with_observer(config.for_server(name), secrets, tmp_path / name, str(yaml))
                   for name in SERVERS}
    noord = asterisk(directories["noord"], restart=True)
    zuid = Asterisk(directories["zuid"], ami_login_from(directories["zuid"]).__class__(
        5038, *OBSERVER, host=SERVERS["zuid"]), root=noord.root, name="zuid")
    zuid.start()
    bereiks: dict[str, subprocess.Popen] = {}
    parties = [Sipp(f"{ip}:5060", tmp_path / f"sipp-{name}") for name, ip in SERVERS.items()]
    try:
        PromptLibrary(noord.sounds_dir, config.language).ensure_all(spoken_texts(config))
        noord.ami = noord.ami.__class__(5038, *OBSERVER)
        events = {"noord": await ami(noord), "zuid": await ami(zuid)}
        for name in SERVERS:
            bereiks[name] = bereik_run(yaml, name, noord.sounds_dir, secrets_file, tmp_path / f"bereik-{name}.log")
        await until(lambda: all(takes_fastagi(ip) for ip in SERVERS.values()), 20, "both bereiks listen", step=0.2)

        load = [sipp.callers("14023", rate=1, calls=CALLS_PER_SERVER, talk_seconds=6, dtmf=AFVAL) for sipp in parties]
        await until(lambda: len(events["noord"].matching("QueueCallerJoin")) >= 2, 20, "noord's first callers queued",
                    step=0.2)
        bereiks["noord"].send_signal(signal.SIGKILL)  # mid-load: callers in its menu, records not yet written
        bereiks["noord"].wait()
        for callers in load:
            await callers.succeeds(40)

        joined = {name: recorder.matching("QueueCallerJoin") for name, recorder in events.items()}
        assert {name: len(j) for name, j in joined.items()} == {"noord": CALLS_PER_SERVER, "zuid": CALLS_PER_SERVER}
        store = PostgresStore(cluster.dsn)
        expected = {f"{name}-{e['Linkedid']}" for name, j in joined.items() for e in j}

        def stored() -> list:
            return [r for r in store.calls(0, 2e10) if r.ended_at is not None]

        # zuid's bereik takes noord's records over once noord's claim lapsed (bereik.records.standby).
        await until(lambda: {r.call_id for r in stored()} >= expected, 25, "every call stored and ended", step=0.2)
        assert "taking over the call records of server noord" in (tmp_path / "bereik-zuid.log").read_text()
        rows = list(store.calls(0, 2e10))
        assert sorted(r.call_id for r in rows) == sorted(expected), "a call lost or stored twice"
        assert all(r.queue == "tic" for r in rows)
        by_server = {name: sum(server_of(r.call_id, list(SERVERS)) == name for r in rows) for name in SERVERS}
        assert by_server == {"noord": CALLS_PER_SERVER, "zuid": CALLS_PER_SERVER}
        day = dt.datetime.fromtimestamp(rows[0].started_at, config.zone).date()
        report = from_store(store, config, ReportRequest(start=day, end=day))
        assert report.calls == 2 * CALLS_PER_SERVER
        store.close()
    finally:
        for process in bereiks.values():
            if process.poll() is None:
                process.terminate()
                process.wait(10)
        for sipp in parties:
            sipp.stop_all()
        zuid.hangup_all()
        zuid.stop()

