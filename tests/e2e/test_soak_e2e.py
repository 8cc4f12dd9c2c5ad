"""A short soak through the real Asterisk and a real `bereik run` (the long one is `python -m bench soak`):
after a few hundred calls no channel is left in Asterisk, no call is missing from the records, and
bereik holds no more open files or asyncio tasks than before them."""
import asyncio
import os
import time
from collections import Counter

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
    await warm_up.succeeds(30)
    recorded_before = stored_calls(store_path)[0]
    await settle(instance, store_path, recorded_before, timeout=15)
    before, files_before = sample(bereik), open_files(bereik)

    menu = sipp.callers("14023", rate=RATE * 0.75, calls=CALLS * 3 // 4, talk_seconds=6, dtmf=AFVAL)
    direct = sipp.callers(DIRECT_TO_NOBODY, rate=RATE * 0.25, calls=CALLS // 4, talk_seconds=8)
    for callers in (menu, direct):
        await callers.succeeds(CALLS / RATE + 30)
    channels, recorded, ended, _ = await settle(instance, store_path, recorded_before + CALLS, timeout=20)
    after, files = await back_to(bereik, before, files_before)

    assert channels == 0, instance.cli("core show channels")
    assert (recorded - recorded_before, ended - recorded_before) == (CALLS, CALLS)
    assert files_grown(files, files_before) <= MORE_ALLOWED, f"{before} {after}: " + ", ".join(files)
    assert max(store_connections(files).values()) <= threads(bereik), \
        f"more connections to one database than bereik has threads ({threads(bereik)}): " + ", ".join(files)
    assert after.tasks - before.tasks <= MORE_ALLOWED, (before, after)


def threads(bereik) -> int:
    return len(os.listdir(f"/proc/{bereik.pid}/task"))


DATABASE_FILES = (".sqlite3", ".sqlite3-wal", ".sqlite3-shm")
MORE_ALLOWED = 3  # open files beside the store's, and asyncio tasks: a leak grows with the calls


def store_connections(files: list[str]) -> Counter:
    """Open connections per database. Each thread of bereik's keeps one of its own to each database it has used,
    so a thread that existed before the calls may open one during them; more than there are threads is a leak."""
    return Counter(path for path in files if path.endswith(".sqlite3"))


def files_grown(files: list[str], files_before: list[str]) -> int:
    """How many more files are open beside the store's."""
    def others(paths: list[str]) -> int:
        return sum(1 for path in paths if not path.endswith(DATABASE_FILES))
    return others(files) - others(files_before)


async def back_to(bereik, before, files_before: list[str], seconds: float = 15):
    """bereik's sample and open files once its files and tasks are back to about `before`'s, or after `seconds`.
    On a busy machine the last calls' sockets and tasks may still be ending when the records are complete; a leak
    stays."""
    deadline = time.monotonic() + seconds
    while True:
        now, files = sample(bereik), open_files(bereik)
        settled = files_grown(files, files_before) <= MORE_ALLOWED and now.tasks - before.tasks <= MORE_ALLOWED
        if settled or time.monotonic() > deadline:
            return now, files
        await asyncio.sleep(0.5)


def open_files(bereik) -> list[str]:
    """What bereik's open descriptors point at; one closed between the listing and its reading is not open."""
    folder = f"/proc/{bereik.pid}/fd"
    files = []
    for fd in os.listdir(folder):
        try:
            files.append(os.readlink(f"{folder}/{fd}"))
        except FileNotFoundError:
            continue
    return sorted(files)
