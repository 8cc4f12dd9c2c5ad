"""What a regional platform carries: calls through Kamailio to three Asterisk nodes, bereik routing every call,
beside the same load straight to one Asterisk (what Kamailio costs), in one run.

The example platform (examples/regio: two municipalities, an Asterisk instance and a `bereik run` per
municipality on each of the nodes noord, midden and zuid) on hosts of their own in network namespaces, as in
tests/e2e/test_platform_e2e.py, with each municipality's own PostgreSQL database. Menus and welcomes are left
out (each number goes straight to bereik's decision and the front-office queue, whose members are paused):
what is measured is the platform, not the prompts. SIPp callers on the trunk's address hold each call
HOLD_SECONDS.

(p) through Kamailio: RATE calls/s in all, half to each municipality's number, spread over the three nodes;
(d) straight to one Asterisk: the same RATE to Bloemendaal's instance on noord, from Kamailio's address.

For each: the share of failed calls (SIPp's failures, calls answered that never joined the queue, and calls
that joined it without bereik's decision: failed open, BEREIK_REASON failopen-* or watchdog) and the decision
time, answer to QueueCallerJoin, p50 and p99, from the Asterisks' own AMI timestamps. The bench stops with an
error, printing no figure, when a bereik does not run: its figures would be Asterisk failing open.

    python -m bench platform_bench            # 50 calls/s for 30 s each way (about 2 minutes)
    python -m bench platform_bench --smoke    # 2 calls/s for 5 s: the whole machinery, no figure to quote
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ruamel.yaml import YAML

from bereik.ivr.catalogue import spoken_texts
from bereik.ivr.prompts import PromptLibrary
from bereik.pbx import dialplan
from bereik.pbx import variables as var
from bereik.pbx.ami import AmiClient
from bereik.platform.load import Region, check_platform
from bereik.sandbox import AmiLogin, Asterisk, build_root, observer_section
from bereik.sandbox.isolation import Hosts, enter_private_network, network_namespace, private_root
from bereik.sandbox.kamailio import Kamailio
from bereik.sandbox.postgres import Cluster
from bereik.sandbox.sipp import Sipp
from bereik.secrets import Secrets, write_new_secrets_file

REPO = Path(__file__).resolve().parents[1]
REGIO = REPO / "examples" / "regio"
NODES = ("noord", "midden", "zuid")
TRUNK, DATABASE = "10.77.0.5", "10.77.0.6"
PRETEND = "2026-11-23T10:00:00"  # a Monday morning: open
OBSERVER = ("observer", "observer-secret-for-bench-only")
FULL, SMOKE = (50, 30), (2, 5)  # calls per second, seconds of calls
HOLD_SECONDS = 3.0
FAILURE_LIMIT = 0.01
FAILED_OPEN = ("failopen-", "watchdog")  # BEREIK_REASON of a call that joined the queue without bereik
# Each municipality's number without its menu; Heemstede gets a 14 number of its own here, as 14023 is
# shared (its choice is a menu).
NUMBERS = {"bloemendaal": "14023", "heemstede": "14024"}


def bench_platform(directory: Path, cluster: Cluster) -> Path:
    shutil.copytree(REGIO, directory)
    yaml = YAML()
    for municipality, number in NUMBERS.items():
        path = directory / f"{municipality}.yaml"
        document = yaml.load(path.read_text())
        for key in ("shared_number", "menu"):
            document.pop(key, None)
        document["texts"].pop("welcome", None)
        document["texts"].pop("municipality_choice", None)
        document["number"] = number
        document["records"] = {"store": cluster.create_database(municipality), "asterisk_cel": None}
        with path.open("w") as out:
            yaml.dump(document, out)
    path = directory / "platform.yaml"
    document = yaml.load(path.read_text())
    document["data_dir"] = str(directory / "data")
    with path.open("w") as out:
        yaml.dump(document, out)
    return path


class BenchError(Exception):
    """What the bench measures did not happen: no figure is printed."""


class Observer:
    """Answer and queue-join moments per call on one Asterisk instance, from its AMI timestamps, and the
    BEREIK_REASON of each join (who decided it)."""

    def __init__(self, client: AmiClient):
        self.client = client
        self.answered: dict[str, float] = {}
        self.joined: dict[str, float] = {}
        self.reasons: dict[str, str] = {}
        client.on_event("Newstate", self._newstate)
        client.on_event("QueueCallerJoin", self._joined)

    def _newstate(self, event):
        # A caller's own channel; the Local companion bereik starts to whisper to it has a Linkedid of its own.
        if (event.get("ChannelStateDesc") == "Up" and event.get("Uniqueid") == event.get("Linkedid")
                and event.get("Channel", "").startswith("PJSIP/")):
            self.answered.setdefault(event["Uniqueid"], float(event["Timestamp"]))

    def _joined(self, event):
        self.joined.setdefault(event["Uniqueid"], float(event["Timestamp"]))
        self.reasons.setdefault(event["Uniqueid"], event.get(f"ChanVariable({var.REASON})") or "(none)")

    def reset(self):
        self.answered.clear()
        self.joined.clear()
        self.reasons.clear()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


async def measure(label: str, loads: list[tuple[Sipp, str, float]], calls: int, observers: list[Observer],
                  instances: list[Asterisk]) -> dict:
    """Place the loads (party, number, rate), wait until they are over; failed share and decision times."""
    for observer in observers:
        observer.reset()
    started = time.monotonic()
    total_rate = sum(rate for *_, rate in loads)
    parties = [sipp.callers(number, rate=rate, calls=max(1, round(calls * rate / total_rate)),
                            talk_seconds=HOLD_SECONDS, local_ip=sipp.local_ip) for sipp, number, rate in loads]
    placed = sum(int(p.command[p.command.index("-m") + 1]) for p in parties)
    seconds = calls / total_rate
    deadline = started + seconds + HOLD_SECONDS + 60
    while any(p.returncode is None for p in parties) and time.monotonic() < deadline:
        print(f"\r  ({label}) {time.monotonic() - started:5.0f} s of about {seconds + HOLD_SECONDS:.0f} s", end="",
              flush=True)
        await asyncio.sleep(1)
    print()
    for party in parties:
        party.stop()
    # The observers' last events may still be on their way on a loaded machine: every answered call's queue join,
    # or a deadline after which a missing one counts as failed.
    deadline = time.monotonic() + 30
    while any(call not in o.joined for o in observers for call in o.answered) and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    sipp_failed = sum(int(p.stats.get("FailedCall(C)", 0) or 0) for p in parties)
    unfinished = sum(int(p.command[p.command.index("-m") + 1]) - int(p.stats.get("SuccessfulCall(C)", 0) or 0)
                     - int(p.stats.get("FailedCall(C)", 0) or 0) for p in parties)
    latencies = [(o.joined[c] - t) * 1000 for o in observers for c, t in o.answered.items() if c in o.joined]
    never_joined = sum(len(o.answered) for o in observers) - len(latencies)
    reasons: dict[str, int] = {}
    for observer in observers:
        for reason in observer.reasons.values():
            reasons[reason] = reasons.get(reason, 0) + 1
    failed_open = sum(n for reason, n in reasons.items() if reason.startswith(FAILED_OPEN))
    print(f"  ({label}) queue joins by BEREIK_REASON: {dict(sorted(reasons.items()))}")
    if sipp_failed or unfinished > 0:  # which call, and SIPp's own words on it (a smoke run that fails says why)
        for party in parties:
            if int(party.stats.get("FailedCall(C)", 0) or 0) or party.returncode not in (0, None):
                print(f"  ({label}) a caller party with failed calls:\n{party.report()}")
    for instance in instances:
        await asyncio.to_thread(instance.hangup_all, 15)
    failed = sipp_failed + max(unfinished, 0) + never_joined + failed_open
    answered = [(int(p.stats.get("SuccessfulCall(C)", 0) or 0), _ms(p.stats.get("ResponseTime1(C)"))) for p in parties]
    setup = sum(n * ms for n, ms in answered) / max(1, sum(n for n, _ in answered))
    return {"calls": placed, "failed": failed, "share": failed / placed, "joined": len(latencies),
            "failed_open": failed_open,
            "p50_ms": percentile(latencies, 0.5), "p99_ms": percentile(latencies, 0.99), "setup_ms": setup}


def _ms(sipp_time: str | None) -> float:
    """SIPp's hh:mm:ss:microseconds in milliseconds."""
    if not sipp_time:
        return float("nan")
    hours, minutes, seconds, micro = (int(part) for part in sipp_time.split(":"))
    return (hours * 3600 + minutes * 60 + seconds) * 1000 + micro / 1000


class Caller(Sipp):
    """A SIPp caller that remembers its own address."""

    def __init__(self, target: str, workdir: Path, local_ip: str, proxy: bool):
        super().__init__(target, workdir, proxy=proxy)
        self.local_ip = local_ip


async def run(rate: int, seconds: int, smoke: bool) -> int:
    calls = rate * seconds
    load_before = os.getloadavg()[0]
    root = private_root(build_root())
    work = Path(tempfile.mkdtemp(prefix="bereik-bench-platform-"))
    network = Hosts("kamailio", *NODES)
    network.join(TRUNK, DATABASE)
    cluster = Cluster(host=DATABASE).start()
    instances: dict[tuple[str, str], Asterisk] = {}
    bereiks: list[subprocess.Popen] = []
    clients: list[AmiClient] = []
    kamailio = None
    try:
        platform_yaml = bench_platform(work / "regio", cluster)
        region = check_platform(platform_yaml)
        print(f"  platform: Kamailio, {len(NODES)} nodes, {len(NUMBERS)} municipalities "
              f"({len(NODES) * len(NUMBERS)} Asterisk instances and bereiks); work files in {work} (kept if the run fails)", flush=True)
        observers: dict[tuple[str, str], Observer] = {}
        for municipality in NUMBERS:
            # What `bereik secrets --new` writes: bereik refuses to start without its pseudonym key.
            secrets_file = write_new_secrets_file(work / f"{municipality}.env")
            secrets = Secrets.load(secrets_file)
            member = region.municipality(municipality).member
            for node in NODES:
                address = region.platform.node(node).address
                directory = instance_config(region, municipality, node, secrets,
                                            work / "asterisk" / f"{node}-{municipality}")
                instance = Asterisk(directory, AmiLogin(member.ami_port, *OBSERVER, host=address), root=root,
                                    name=f"{node}-{municipality}", netns=network.namespace(node),
                                    log_path=work / f"asterisk-{node}-{municipality}.log",
                                    observed=False)  # as deployed: its observers read Newstate and QueueCallerJoin
                instance.start()
                instances[node, municipality] = instance
                print(f"  started Asterisk {node}/{municipality}", flush=True)
                for queue in region.config(municipality).queues:
                    for position in queue.positions:
                        instance.cli(f"queue pause member PJSIP/{position.extension} queue {queue.id} reason bench")
            config = region.config(municipality)
            sounds = instances[NODES[0], municipality].sounds_dir
            PromptLibrary(sounds, config.language).ensure_all(spoken_texts(config))
            for node in NODES:
                bereiks.append(subprocess.Popen(
                    [*network.on(node), sys.executable, "-m", "bereik", "run", str(platform_yaml), "--municipality",
                     municipality, "--server", node, "--sounds", str(instances[node, municipality].sounds_dir),
                     "--secrets", str(secrets_file), "--pretend-time", PRETEND],
                    stdout=open(work / f"bereik-{node}-{municipality}.log", "w"), stderr=subprocess.STDOUT))
        for (node, municipality), instance in instances.items():
            client = AmiClient(instance.ami.host, instance.ami.port, *OBSERVER, action_timeout=10)
            observers[node, municipality] = Observer(client)
            await client.connect()
            clients.append(client)
        await every_bereik_listens(region, bereiks, work)
        kamailio = Kamailio(region, work / "kamailio", netns=network.namespace("kamailio"))
        kamailio.start()
        deadline = time.monotonic() + 20
        trunk = {f"sip:{address}" for address in region.platform.trunk}
        while {state for uri, state in kamailio.destinations().items() if uri not in trunk} != {"AP"} \
                and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        listen = region.platform.kamailio.listen
        through = await measure("through Kamailio", [
            (Caller(listen, work / f"sipp-p-{m}", TRUNK, proxy=True), number, rate / len(NUMBERS))
            for m, number in NUMBERS.items()], calls, list(observers.values()), list(instances.values()))
        kamailio.stop()
        kamailio = None
        # Straight to one Asterisk: from Kamailio's address, which its trunk endpoint knows.
        kamailio_address = listen.rsplit(":", 1)[0]
        subprocess.run([*network.on("kamailio"), "ip", "addr", "del", f"{kamailio_address}/24", "dev", "eth0"],
                       check=True)
        subprocess.run(["ip", "addr", "add", f"{kamailio_address}/24", "dev", f"{network.prefix}j"], check=True)
        for node in NODES:  # the nodes would still send to the Kamailio host's link until their ARP entry expires
            subprocess.run([*network.on(node), "ip", "neigh", "flush", "all"], check=True)
        noord = region.platform.node("noord").address
        direct = await measure("straight to one Asterisk", [
            (Caller(f"{noord}:{region.municipality('bloemendaal').member.sip_port}", work / "sipp-d",
                    kamailio_address, proxy=False), NUMBERS["bloemendaal"], rate)],
            calls, [observers["noord", "bloemendaal"]], [instances["noord", "bloemendaal"]])
        dead = [process.args for process in bereiks if process.poll() is not None]
        if dead:
            raise BenchError(f"a bereik stopped during the bench ({len(dead)}); see {work}/bereik-*.log")
        if any(row["failed_open"] and row["failed_open"] == row["joined"] for row in (through, direct)):
            raise BenchError(f"calls failed open, bereik did not decide them: {through['failed_open']} through "
                             f"Kamailio, {direct['failed_open']} straight; see {work}/bereik-*.log")
        report(rate, seconds, through, direct, smoke, load_before)
        if smoke:  # the smoke checks that what it measured happened: every call answered, decided and queued
            status = 0 if all(row["failed"] == 0 and row["joined"] == row["calls"] for row in (through, direct)) else 1
        else:
            status = 0 if through["share"] < FAILURE_LIMIT else 1
    finally:
        if kamailio:
            kamailio.stop()
        for client in clients:
            client.close()
        for process in bereiks:
            process.terminate()
        for process in bereiks:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
        for instance in instances.values():
            instance.stop()
        cluster.stop()
        network.close()
    if status == 0:
        shutil.rmtree(work, ignore_errors=True)  # a run that ended well leaves nothing; a failed one keeps its logs
    return status


async def every_bereik_listens(region: Region, bereiks: list[subprocess.Popen], work: Path) -> None:
    """Every bereik takes FastAGI on its node, or the bench stops: Asterisk would fail every call open."""
    def listening(node: str, municipality: str) -> bool:
        address, port = region.platform.node(node).address, region.municipality(municipality).member.agi_port
        with socket.socket() as probe:
            probe.settimeout(0.2)
            return probe.connect_ex((address, port)) == 0

    deadline = time.monotonic() + 60
    while not all(listening(node, municipality) for node in NODES for municipality in NUMBERS):
        if any(process.poll() is not None for process in bereiks) or time.monotonic() > deadline:
            raise BenchError(f"not every bereik listens for FastAGI; see {work}/bereik-*.log")
        await asyncio.sleep(0.5)


def instance_config(region: Region, municipality: str, node: str, secrets: Secrets, directory: Path) -> Path:
    config = region.config(municipality, node)
    files = dialplan.generate(config, secrets, source=str(region.filename))
    # The observer hears only what it measures, so that it loads neither Asterisk nor this process.
    files["manager.conf"] += observer_section(*OBSERVER, events=("Newstate", "QueueCallerJoin"))
    dialplan.write(files, directory)
    return directory


def report(rate: int, seconds: int, through: dict, direct: dict, smoke: bool, load_before: float) -> None:
    print(f"\n{'':34}calls  failed   share   INVITE->200 mean ms   answer->queue p50 ms   p99 ms")
    for label, row in (("(p) through Kamailio, 3 nodes", through), ("(d) straight to one Asterisk", direct)):
        print(f"{label:<34}{row['calls']:>5}  {row['failed']:>6}  {row['share']:6.1%}   {row['setup_ms']:>19.1f}   "
              f"{row['p50_ms']:>18.1f}  {row['p99_ms']:>7.1f}")
    print(f"\ncall set-up through Kamailio minus straight (what the proxy adds before the answer): "
          f"{through['setup_ms'] - direct['setup_ms']:+.1f} ms")
    print(f"p99 through Kamailio minus straight (what the proxy and three nodes add to the decision): "
          f"{through['p99_ms'] - direct['p99_ms']:+.1f} ms; failed share through Kamailio {through['share']:.1%} "
          f"(target < {FAILURE_LIMIT:.0%})")
    measured = dt.datetime.now(dt.timezone.utc)
    print(f"({'SMOKE RUN, no figure to quote: ' if smoke else ''}measured {measured:%Y-%m-%d %H:%M} UTC, "
          f"{os.cpu_count()} cores, {rate} calls/s for {seconds} s each way, each held {HOLD_SECONDS:g} s; "
          f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after: a ratio of the two rows is what "
          "a loaded machine leaves comparable)")


async def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench platform_bench", description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=int, default=FULL[0], help="calls per second in all (default %(default)s)")
    parser.add_argument("--seconds", type=int, default=FULL[1], help="seconds of calls each way (default %(default)s)")
    parser.add_argument("--smoke", action="store_true", help=f"{SMOKE[0]} calls/s for {SMOKE[1]} s: the whole "
                        "machinery runs, no figure to quote")
    arguments = parser.parse_args(argv)
    if network_namespace() == network_namespace(1):
        enter_private_network()  # before any thread: the hosts' addresses never touch the machine's own network
    rate, seconds = SMOKE if arguments.smoke else (arguments.rate, arguments.seconds)
    try:
        return await run(rate, seconds, arguments.smoke)
    except BenchError as problem:
        print(f"platform_bench: {problem}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
