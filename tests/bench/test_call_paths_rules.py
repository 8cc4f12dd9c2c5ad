"""The call-path bench's rules, without Asterisk: what counts as saturated, failed or not run, and what each
path's dialplan is."""
import os
import subprocess
import sys
import time
from collections import Counter

import pytest

from bench._running import EXAMPLE, BenchError, secrets_for_bereik
from bench.call_paths import (
    AGI_DIR, PATHS, Step, asterisk_config, bench_config, expect_own_reasons, pin_threads, pooled, ratio_at_saturation,
    saturated, saturation_rate, through_script,
)
from bereik.config import load_config
from bereik.pbx import dialplan
from bereik.sandbox.hours import always_open


def step(path="b", rate=100.0, achieved=99.0, failed=0, latencies=(505.0,) * 100, reasons=None):
    return Step(path, rate, calls=1000, seconds=10, achieved=achieved, failed=failed, latencies=list(latencies),
                reasons=Counter({"no_menu": 1000} if reasons is None else reasons))


def test_a_path_that_answers_less_than_95_percent_of_the_offered_rate_is_saturated_though_nothing_failed():
    assert not saturated(step(achieved=95.0))
    assert saturated(step(achieved=94.9))


def test_one_percent_failed_or_a_slow_p99_is_saturated():
    assert saturated(step(failed=10))
    assert not saturated(step(failed=9))
    assert saturated(step(latencies=[505.0] * 98 + [1200.0] * 2))


def test_calls_that_failed_open_are_counted_apart_from_bereiks_decisions():
    assert step(reasons={"no_menu": 990, "failopen-FAILURE": 7, "watchdog": 3}).failed_open == 10


def test_a_path_whose_calls_all_failed_open_at_its_first_rate_did_not_run_and_stops_the_bench():
    with pytest.raises(BenchError, match="failopen-FAILURE"):
        expect_own_reasons(step(reasons={"failopen-FAILURE": 3}))
    with pytest.raises(BenchError):
        expect_own_reasons(step(reasons={}))
    with pytest.raises(BenchError):  # the pure dialplan carries no reason at all
        expect_own_reasons(step(path="a"))
    expect_own_reasons(step(path="a", reasons={"(none)": 1000}))


def test_some_calls_failing_open_at_the_first_rate_are_failed_calls_not_a_path_that_did_not_run():
    slow = step(reasons={"no_menu": 980, "watchdog": 20}, failed=20)
    expect_own_reasons(slow)
    assert slow.failed_open == 20 and saturated(slow)


def test_the_saturation_rate_is_the_last_rate_before_the_first_saturated_one():
    steps = [step(rate=r, achieved=r) for r in (50, 100, 150)] + [step(rate=200, achieved=150)]
    steps.append(step(rate=250, achieved=250))  # a lucky step after an overload does not count
    assert saturation_rate(steps) == 150
    assert saturation_rate([step(rate=50, achieved=10)]) is None


def test_b_over_a_is_a_bound_where_a_path_held_at_the_highest_rate_and_absent_where_one_never_held():
    rates = (50, 100, 150, 200)
    assert ratio_at_saturation(200, 150, rates) == "<= 0.75"  # a never saturated: its real rate is higher
    assert ratio_at_saturation(150, 200, rates) == ">= 1.33"
    assert ratio_at_saturation(150, 100, rates) == "0.67"
    assert ratio_at_saturation(200, 200, rates).startswith("not given: both held")
    assert ratio_at_saturation(150, None, rates).startswith("not given: (b) saturated at the first rate tried, 50")
    assert ratio_at_saturation(None, 150, rates, "cb").startswith("not given: (c) saturated at the first rate")


def test_interleaved_samples_pool_their_calls_failures_and_latencies():
    total = pooled([step(failed=4, latencies=[500.0]), step(failed=6, achieved=97.0, latencies=[510.0])])
    assert (total.calls, total.failed, total.achieved, sorted(total.latencies)) == (2000, 10, 98.0, [500.0, 510.0])
    assert total.reasons == Counter({"no_menu": 2000})


def test_the_process_agi_paths_are_bereiks_own_generated_entries_with_only_the_hand_over_changed(tmp_path):
    _, secrets = secrets_for_bereik(tmp_path)
    config_path = bench_config(tmp_path)
    config = load_config(config_path)
    # Open around the clock for Asterisk, whose clock is the machine's (bereik's is the bench's PRETEND).
    generated = dialplan.generate(always_open(config), secrets, source=str(config_path))["extensions.conf"].splitlines()
    written = (asterisk_config(config_path, secrets, tmp_path / "asterisk") / "extensions.conf").read_text().splitlines()
    pure = written.index(f"exten => {PATHS['a'].number},1,Answer()")
    del written[pure:pure + 3]  # (a): Answer, Queue, Hangup
    assert len(written) == len(generated)
    changed = [i for i, (old, new) in enumerate(zip(generated, written)) if old != new]
    hand_over = f"AGI(agi://{config.pbx.agi}/entry)"
    assert [written[i] for i in changed] == [generated[i].replace(hand_over, f"AGI({AGI_DIR}/{script})")
                                             for i, script in zip(changed, ("routing.py", "lean.py"))]
    entries = [next(line for line in reversed(generated[:i]) if line.startswith("exten => ")) for i in changed]
    # Each the first line of bereik-entry's extension for that path's number.
    entry = generated[generated.index(f"[{dialplan.ENTRY_CONTEXT}]"):]
    assert entries == [next(line for line in entry if line.startswith(f"exten => {PATHS[path].number},1,"))
                       for path in "cd"]


def test_a_dialplan_whose_entry_hands_over_twice_is_refused_rather_than_half_copied():
    config = load_config(EXAMPLE)
    hand_over = f" same => n,AGI(agi://{config.pbx.agi}/entry)"
    twice = "\n".join(["exten => 14902,1,NoOp(bereik entry)", hand_over, hand_over, "exten => T,1,NoOp()"])
    with pytest.raises(BenchError, match="2 times"):
        through_script(twice, config, "14902", "routing.py")
    with pytest.raises(BenchError, match="no entry for 14903"):
        through_script(twice, config, "14903", "routing.py")


@pytest.mark.skipif(os.cpu_count() < 2, reason="pinning to one core of two")
def test_asterisk_pinned_to_its_cores_keeps_every_thread_there_also_those_started_after():
    """--asterisk-cores: a process's threads that exist and those they start later stay on the given cores."""
    script = ("import threading, time, sys\n"
              "threading.Thread(target=time.sleep, args=(30,), daemon=True).start()\n"
              "sys.stdin.readline()\n"  # pinned now: start one more
              "threading.Thread(target=time.sleep, args=(30,), daemon=True).start()\n"
              "time.sleep(30)\n")
    child = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, text=True)
    try:
        tasks = f"/proc/{child.pid}/task"
        wait_for_threads(tasks, 2)
        pin_threads(child.pid, frozenset({1}))
        child.stdin.write("go\n")
        child.stdin.flush()
        wait_for_threads(tasks, 3)
        assert [os.sched_getaffinity(int(tid)) for tid in os.listdir(tasks)] == [{1}] * 3
    finally:
        child.kill()
        child.wait()


def wait_for_threads(tasks: str, count: int) -> None:
    deadline = time.monotonic() + 5
    while len(os.listdir(tasks)) < count:
        assert time.monotonic() < deadline, f"fewer than {count} threads in {tasks} after 5 s"
        time.sleep(0.01)
