"""A short soak through the real Asterisk and a real `bereik run` (the long one is `python -m bench soak`):
after a few hundred calls no channel is left in Asterisk, no call is missing from the records, and
bereik holds no more open files or asyncio tasks than before them."""
import asyncio
import os
import time

from bench.soak import sample, settle, stored_calls
from test_faults import AFVAL, bereik_process, generated, pbx, store  # noqa: F401 (fixtures)

CALLS, RATE = 200, 10
DIRECT_TO_NOBODY = "0235115311"  # Hanna's phone is not there: one ring, then the TIC


async def test_two_hundred_calls_leak_no_channel_lose_no_record_and_grow_no_tasks_or_files(
        pbx, bereik_process, sipp, generated):
    instance, _ = pbx
    bereik = bereik_process()
    store_path = generated[2].parent / "calls.sqlite3"
    for n in (1, 2, 3, 4):
        sipp.phone(f"127.0.1.{n}", ring_seconds=0, calls=CALLS)  # answered at once, as in bench.soak
    warm_up = sipp.callers("14023", rate=RATE, calls=10, talk_seconds=5, dtmf=AFVAL)
    await asyncio.to_thread(warm_up.expect_success, 30)
    recorded_before = stored_calls(store_path)[0]
    await settle(instance, store_path, recorded_before, timeout=15)
    before, threads_before = sample(bereik), threads(bereik)

    menu = sipp.callers("14023", rate=RATE * 0.75, calls=CALLS * 3 // 4, talk_seconds=6, dtmf=AFVAL)
    direct = sipp.callers(DIRECT_TO_NOBODY, rate=RATE * 0.25, calls=CALLS // 4, talk_seconds=8)
    for callers in (menu, direct):
        await asyncio.to_thread(callers.expect_success, CALLS / RATE + 30)
    channels, recorded, ended, _ = await settle(instance, store_path, recorded_before + CALLS, timeout=20)
    after = await back_to(bereik, before, threads_before)

    assert channels == 0, instance.cli("core show channels")
    assert (recorded - recorded_before, ended - recorded_before) == (CALLS, CALLS)
    added_threads = threads(bereik) - threads_before
    assert after.fds - before.fds <= files_allowed(added_threads), \
        f"{before} {after}, {added_threads} threads more: " + ", ".join(open_files(bereik))
    assert after.tasks - before.tasks <= 3, (before, after)


def threads(bereik) -> int:
    return len(os.listdir(f"/proc/{bereik.pid}/task"))


def files_allowed(added_threads: int) -> int:
    """Each worker thread keeps its own store connection (the database and its log: two files), so a busier
    moment that added threads adds those; a leak grows with the calls."""
    return 3 + 2 * max(added_threads, 0)


async def back_to(bereik, before, threads_before: int, seconds: float = 15):
    """bereik's sample once its files and tasks are back to about `before`'s, or after `seconds`. On a busy
    machine the last calls' connections may still be closing when the records are complete; a leak stays."""
    deadline = time.monotonic() + seconds
    while True:
        now = sample(bereik)
        settled = now.fds - before.fds <= files_allowed(threads(bereik) - threads_before)
        if (settled and now.tasks - before.tasks <= 3) or time.monotonic() > deadline:
            return now
        await asyncio.sleep(0.5)


def open_files(bereik) -> list[str]:
    folder = f"/proc/{bereik.pid}/fd"
    return sorted(os.readlink(f"{folder}/{fd}") for fd in os.listdir(folder))
