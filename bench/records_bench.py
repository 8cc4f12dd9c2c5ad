"""Call records: AMI ingest rate, and a report over a month of a million calls; SQLite and PostgreSQL.

    python -m bench records_bench [--calls 1000000] [--ingest-calls 20000] [--smoke]

Ingest: AMI events of generated calls through the recorder until they are durable in the store
(the flush included), with the events bereik ignores mixed in as Asterisk sends them.
Report: the calls are generated straight into the store, then `bereik report`'s computation
runs in a fresh process, so its peak memory (max RSS above the interpreter's) is its own.
PostgreSQL is a throwaway cluster of Debian's packages (bereik.sandbox.postgres).
"""
from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).parents[1]))

from bereik.config import load_config  # noqa: E402
from bereik.pbx.facts import fact_of  # noqa: E402
from bereik.records.recorder import Recorder  # noqa: E402
from bereik.records.store import Update, open_store  # noqa: E402
from bereik.records.summary import CallRow  # noqa: E402
from bereik.reports.schema import ReportRequest  # noqa: E402
from bereik.sandbox.postgres import Cluster  # noqa: E402

EXAMPLE = Path(__file__).parents[1] / "examples" / "bloemendaal.yaml"
ZONE = ZoneInfo("Europe/Amsterdam")
IGNORED_PER_CALL = 20  # Newexten, VarSet, DTMF, RTCP, ... that a call also produces
OCTOBER = dt.datetime(2026, 10, 1, tzinfo=ZONE).timestamp()
MONTH_SECONDS = 31 * 86400


def ami_events(calls: int) -> list[dict[str, str]]:
    events = []
    for n in range(calls):
        call_id = f"1790000000.{n}"
        start = OCTOBER + n * (MONTH_SECONDS / calls)
        leg = {"Channel": f"PJSIP/trunk-{n:08x}", "Uniqueid": call_id, "Linkedid": call_id,
               "ChanVariable(BEREIK_TOPIC)": "afval"}
        wait = (n * 7) % 60
        story = [
            ("Newchannel", 0, {"CallerIDNum": "0612345678", "Exten": "14023"}),
            ("Newstate", 0.2, {"ChannelStateDesc": "Up"}),
            ("QueueCallerJoin", 10, {"Queue": "tic", "Position": "1"}),
            ("AgentConnect", 10 + wait, {"Queue": "tic", "MemberName": "Anna", "Interface": "PJSIP/201",
                                         "HoldTime": str(wait)}),
            ("Hangup", 100 + wait, {"Cause-txt": "Normal Clearing"}),
            ("AgentComplete", 100.01 + wait, {"Queue": "tic", "MemberName": "Anna", "TalkTime": "90"}),
        ]
        for i in range(IGNORED_PER_CALL):
            story.insert(2, ("Newexten", 1 + i * 0.1, {"Application": "Set"}))
        for name, offset, fields in story:
            events.append({"Event": name, **leg, **fields, "Timestamp": f"{start + offset:.6f}"})
    return events


def bench_ingest(location: str, events: list[dict[str, str]], calls: int) -> float:
    store = open_store(location)
    recorder = Recorder(store, ZONE, frozenset({"14023"}), clock=lambda: OCTOBER)
    recorder.start()
    began = time.perf_counter()
    for event in events:  # as bereik run does: each AMI event through the adapter, its fact to the recorder
        fact = fact_of(event)
        if fact is not None:
            recorder.apply(fact)
    recorder.flush()
    elapsed = time.perf_counter() - began
    recorder.close()
    if store.count() != calls:  # what was measured must have happened
        raise RuntimeError(f"{calls} calls ingested but {store.count()} in the store")
    store.close()
    return len(events) / elapsed


def generated_rows(calls: int):
    rng = random.Random(8)
    for n in range(calls):
        start = OCTOBER + n * (MONTH_SECONDS / calls)
        local = dt.datetime.fromtimestamp(start, ZONE)
        direct = n % 10 == 0
        wait = rng.expovariate(1 / 25)
        abandoned = not direct and wait > 90
        agent = "" if abandoned or direct else f"agent {n % 12}"
        transfer = n % 7 == 0 and bool(agent)
        yield CallRow(
            call_id=f"bench-{n}", started_at=start, ended_at=start + 200, day=local.date().isoformat(),
            hour=local.hour, weekday=local.weekday(), kind="direct" if direct else "front",
            dialled="0235111301" if direct else "14023", caller="0612345678", queue="" if direct else "tic",
            topic="afval", reason="", queued_at=None if direct else start + 10,
            wait_seconds=None if direct else round(wait, 3), agent=agent, abandoned=abandoned,
            talk_seconds=120.0 if agent else None, forwarded_to="", fallback=direct and n % 3 == 0,
            direct_answered=direct and n % 3 != 0, callback_requested=False, callback_on_time=None,
            person="301" if direct else "", department="vergunningen" if direct else "",
            transfers=json.dumps([["301", 35.0, 18.0, n % 2 == 0]] if transfer else []), left_in="", refused=False,
            inside=False, failed="noanswer" if direct and n % 3 == 0 else "", via="",
        )


def fill(location: str, calls: int) -> float:
    store = open_store(location)
    began = time.perf_counter()
    batch: list[Update] = []
    for row in generated_rows(calls):
        batch.append(Update(row, "{}", []))
        if len(batch) == 20000:
            store.write(batch)
            batch = []
    store.write(batch)
    elapsed = time.perf_counter() - began
    store.close()
    return elapsed


REPORT_CHILD = r"""
import sys, time
from bench._memory import peak_rss_mb
from bereik.config import load_config
from bereik.records.store import open_store
from bereik.reports.figures import from_store
from bereik.reports.schema import ReportRequest

config = load_config(sys.argv[1])
store = open_store(sys.argv[2])
before = peak_rss_mb()
began = time.perf_counter()
report = from_store(store, config, ReportRequest.month("2026-10"))
elapsed = time.perf_counter() - began
after = peak_rss_mb()
began = time.perf_counter()  # the baseline: only reading the same rows out of the store
read = sum(1 for _ in store.calls(0, 2e10))
print(elapsed, after - before, after, report.calls, time.perf_counter() - began, read)
"""


def bench_report(location: str) -> tuple[float, float, float, int, float, int]:
    """(report s, RSS growth MB, peak RSS MB, calls reported, baseline s to read every row, rows read)."""
    result = subprocess.run([sys.executable, "-c", REPORT_CHILD, str(EXAMPLE), location], capture_output=True,
                            text=True, check=True, cwd=Path(__file__).parents[1])
    elapsed, grown, peak, calls, read_seconds, read = result.stdout.split()
    return float(elapsed), float(grown), float(peak), int(calls), float(read_seconds), int(read)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench records_bench", description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1_000_000, help="calls in the month reported on")
    parser.add_argument("--ingest-calls", type=int, default=20_000)
    parser.add_argument("--smoke", action="store_true",
                        help="2,000 calls reported, 200 ingested, SQLite only (the suite's)")
    arguments = parser.parse_args(argv)
    report_calls, ingest_calls = (2000, 200) if arguments.smoke else (arguments.calls, arguments.ingest_calls)
    load_config(EXAMPLE)
    ReportRequest.month("2026-10")
    events = ami_events(ingest_calls)
    results = {}
    with tempfile.TemporaryDirectory() as directory, contextlib.ExitStack() as running:
        stores = {"SQLite": (str(Path(directory) / "ingest.sqlite3"), str(Path(directory) / "report.sqlite3"))}
        if not arguments.smoke:
            import psycopg

            cluster = running.enter_context(Cluster())
            with psycopg.connect(cluster.dsn, autocommit=True) as admin:
                admin.execute("CREATE DATABASE ingest")
                admin.execute("CREATE DATABASE report")
            base = cluster.dsn.rsplit("/", 1)[0]
            stores["PostgreSQL"] = (f"{base}/ingest", f"{base}/report")
        for name, (ingest, report) in stores.items():
            print(f"{name}: ingesting {len(events):,} AMI events of {ingest_calls:,} calls…", flush=True)
            rate = bench_ingest(ingest, events, ingest_calls)
            print(f"{name}: generating {report_calls:,} calls into the store…", flush=True)
            filled = fill(report, report_calls)
            elapsed, grown, peak, calls, read_seconds, read = bench_report(report)
            if calls != report_calls or read != report_calls:
                raise RuntimeError(f"the report counted {calls} calls and the store gave {read} of {report_calls}")
            results[name] = (rate, filled, elapsed, grown, peak, read_seconds)
    print(f"\n{'store':<12}{'ingest events/s':>17}{'fill s':>9}{'report s':>10}{'read rows s':>13}{'ratio':>7}"
          f"{'RSS growth MB':>15}{'peak RSS MB':>13}")
    for name, (rate, filled, elapsed, grown, peak, read_seconds) in results.items():
        ratio = f"{elapsed / read_seconds:.1f}x" if read_seconds else "-"
        print(f"{name:<12}{rate:>17,.0f}{filled:>9.1f}{elapsed:>10.1f}{read_seconds:>13.1f}{ratio:>7}"
              f"{grown:>15.1f}{peak:>13.0f}")
    print(f"(report over {report_calls:,} calls in October 2026, in its own process, next to the baseline of only "
          "reading the same rows out of the store (ratio: report / read); growth of the peak RSS during the "
          "report, and the process's peak RSS with the interpreter and imports)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
