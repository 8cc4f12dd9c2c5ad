"""One month of a municipality with 150,000 contacts a year, through bereik's routing (`bereik simulate`).

Target: under 30 s and under 500 MB. Next to it, in the same run, the baseline: the plain
front-office queue (bereik.simulation.queue_sim) for the same hours and load, without
routing, colleagues or records. Run: `python -m bench simulate_bench` (`--smoke`: a municipality
a hundredth that size, target not judged).
"""
from __future__ import annotations

import argparse
import time
import tracemalloc
from pathlib import Path

from bench._memory import peak_rss_mb, restart_peak_rss
from bereik.config import load_config
from bereik.reports.figures import compute
from bereik.simulation import queue_sim
from bereik.simulation.municipality import simulate
from bereik.simulation.traffic import load_traffic

ROOT = Path(__file__).parents[1]
CONTACTS_PER_YEAR = 150_000
WEEKS_PER_YEAR = 50.6  # the Bloemendaal plan's working year
POSITIONS = 9  # 8 normally staffed and one overflow: at most 9 positions have topic ranges


def _municipality(contacts_per_year: int = CONTACTS_PER_YEAR):
    config = load_config(ROOT / "examples" / "bloemendaal.yaml")
    queue = config.queues[0]
    positions = [queue.positions[0].model_copy(update={"extension": str(201 + n), "address": None,
                                                      "overflow": n == POSITIONS - 1}) for n in range(POSITIONS)]
    config = config.model_copy(update={"queues": [queue.model_copy(update={"positions": positions})]})
    profile = load_traffic(ROOT / "examples" / "traffic" / "bloemendaal.yaml")
    scale = contacts_per_year / WEEKS_PER_YEAR / profile.arrivals.per_week()
    return config, profile.model_copy(update={"arrivals": profile.arrivals.model_copy(update={"scale": scale})})


def _measure(work):
    tracemalloc.start()
    started, cpu_started = time.perf_counter(), time.process_time()
    result = work()
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return result, seconds, cpu_seconds, peak / 2**20


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench simulate_bench", description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true")
    smoke = parser.parse_args(argv).smoke
    contacts = CONTACTS_PER_YEAR // 100 if smoke else CONTACTS_PER_YEAR
    config, profile = _municipality(contacts)
    def month():
        run = simulate(config, profile, 0)
        return run, compute(run.rows, config, run.request)

    restart_peak_rss()
    (run, report), seconds, cpu, peak = _measure(month)
    max_rss = peak_rss_mb()
    print(f"bereik simulate, {profile.month}: {len(run.rows)} calls ({contacts:,} a year), "
          f"{run.events:,} events in {seconds:.1f} s ({cpu:.1f} s of CPU) = {run.events / seconds:,.0f} events/s; "
          f"peak traced memory {peak:.0f} MB; report grade {report.average_grade}")
    queued = [r for r in run.rows if r.queued_at is not None]
    open_hours = len({(r.day, r.hour) for r in queued})
    handling = profile.handling.talk_seconds + profile.handling.wrapup_seconds
    occupancy = len(queued) / (open_hours * 3600) * handling / (POSITIONS - 1)
    baseline = queue_sim.Profile(POSITIONS - 1, occupancy, talk_seconds=profile.handling.talk_seconds,
                                 wrapup_seconds=profile.handling.wrapup_seconds,
                                 patience_seconds=profile.patience_seconds, hours=open_hours)
    result, base_seconds, base_cpu, base_peak = _measure(lambda: queue_sim.simulate(baseline, 0))
    print(f"baseline queue_sim ({baseline.name}, {open_hours} h): {len(result.calls)} calls in "
          f"{base_seconds:.1f} s ({base_cpu:.1f} s of CPU); peak traced memory {base_peak:.0f} MB")
    # CPU time: on a shared machine the wall time of two runs one after the other depends on the others' load.
    per_call, base_per_call = cpu / len(run.rows), base_cpu / max(len(result.calls), 1)
    ratio = f"{per_call / base_per_call:.1f}x" if base_per_call else "baseline too fast to time"
    print(f"bereik's routing and report: {per_call * 1000:.2f} ms of CPU a call, {ratio} the plain queue "
          f"simulation's (both with tracemalloc on)")
    print(f"process peak RSS during the month {max_rss:.0f} MB; target: under 30 s and under 500 MB -> "
          f"{'met' if seconds < 30 and max_rss < 500 else 'NOT met'}")
    if not run.rows or not queued:
        raise RuntimeError("the simulated month has no calls: nothing was measured")
    return 0 if smoke or (seconds < 30 and max_rss < 500) else 1
