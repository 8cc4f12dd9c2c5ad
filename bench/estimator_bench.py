"""How wrong is the announced wait? bereik's estimator next to app_queue's and two textbook ones.

Simulates the front-office queue (bereik.simulation.queue_sim) for several
loads and reports, over every announcement (after 20 s and every 20 s while a
caller waits), the absolute error between the announced and the real remaining
wait. Run: `python -m bench estimator_bench` (about a minute).

Candidates:
  app_queue        |hold time average - waited|, Asterisk's value before rounding
  app_queue spoken what Asterisk says: whole minutes, nothing (= 0) below a minute
  k*H/N            callers ahead x mean handling time / agents working
  Erlang C         expected wait of a delayed caller, 1/(N/H - arrival rate): position-blind
  (k+1)*H/N        the mean wait for the (k+1)-th agent to free up (exact for M/M/N)
  bereik           the median of that wait, about (k + 2/3) x H / N
"""
from __future__ import annotations

import time

from bereik.routing.estimate import EstimatorSettings, mean_handling_seconds
from bereik.simulation import erlang
from bereik.simulation.queue_sim import (
    Moment,
    Profile,
    app_queue_estimator,
    app_queue_spoken_estimator,
    bereik_estimator,
    judge,
    run,
)

SEEDS = range(3)
PROFILES = (
    *(Profile(agents, occupancy) for occupancy in (0.6, 0.8, 0.9) for agents in (3, 4)),
    Profile(3, 0.8, talk_distribution="exponential", talk_seconds=240, wrapup_seconds=0),
    Profile(3, 0.9, patience_seconds=300),
)
SETTINGS = EstimatorSettings()


def _working_and_handling(moment: Moment) -> tuple[int, float]:
    snapshot = moment.snapshot
    handling, _ = mean_handling_seconds(snapshot.recent_calls, moment.at, SETTINGS)
    return snapshot.agents_logged_in - snapshot.agents_paused, handling


def position_times_handling(moment: Moment) -> float:
    working, handling = _working_and_handling(moment)
    return moment.snapshot.callers_ahead * handling / working


def mean_wait_for_turn(moment: Moment) -> float:
    working, handling = _working_and_handling(moment)
    return (moment.snapshot.callers_ahead + 1) * handling / working


def erlang_c(moment: Moment) -> float:
    working, handling = _working_and_handling(moment)
    recent = [t for t in moment.snapshot.recent_arrivals if moment.at - t <= SETTINGS.window_seconds]
    wait = erlang.mean_wait_of_delayed_seconds(working, len(recent) / SETTINGS.window_seconds, handling)
    # Overloaded: Erlang C has no answer; fall back on the position.
    return wait if wait != float("inf") else (moment.snapshot.callers_ahead + 1) * handling / working


CANDIDATES = {
    "app_queue": app_queue_estimator,
    "app_queue spoken": app_queue_spoken_estimator,
    "k*H/N": position_times_handling,
    "Erlang C": erlang_c,
    "(k+1)*H/N": mean_wait_for_turn,
    "bereik": bereik_estimator(SETTINGS),
}


def main() -> int:
    started = time.perf_counter()
    hours = PROFILES[0].hours * len(SEEDS)
    print(f"Mean / p90 absolute error of the announced remaining wait, seconds ({hours:.0f} simulated hours per row)")
    header = f"{'profile':<48} {'n':>7}" + "".join(f" {name:>16}" for name in CANDIDATES)
    print(header)
    print("-" * len(header))
    for profile in PROFILES:
        moments = run(profile, SEEDS)
        cells = []
        for estimator in CANDIDATES.values():
            summary = judge(moments, estimator)
            cells.append(f"{summary.mean_absolute_error:.0f} / {summary.p90_absolute_error:.0f}")
        print(f"{profile.name:<48} {len(moments):>7}" + "".join(f" {cell:>16}" for cell in cells), flush=True)
    print(f"\nhandling: talk {PROFILES[0].talk_seconds:.0f} s (lognormal, cv {PROFILES[0].talk_cv}) + wrap-up "
          f"{PROFILES[0].wrapup_seconds:.0f} s (exponential) unless named; estimator window "
          f"{SETTINGS.window_seconds:.0f} s, prior {SETTINGS.prior_handling_seconds:.0f} s; "
          f"{time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
