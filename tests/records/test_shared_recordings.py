"""Several servers: each node's finished recordings copied into the municipality's store (bereik.console.shared)."""
import datetime as dt
import os

from bereik.console import recordings
from bereik.console.shared import SharedRecordings


def recording(directory, login: str, moment: dt.datetime, size: int, written: float) -> str:
    name = f"bereik-{int(written)}-{recordings.touch_name(login, moment, 'zuid-1795424400.1')}.wav"
    path = directory / name
    path.write_bytes(b"R" * size)
    os.utime(path, (written, written))
    return name


def test_a_nodes_finished_recordings_are_copied_into_the_store_once(store, tmp_path):
    now = [1795424400.0]
    zuid = SharedRecordings(store, tmp_path, "zuid", clock=lambda: now[0])
    done = recording(tmp_path, "anna", dt.datetime(2026, 11, 23, 10), 4000, now[0] - 30)
    going = recording(tmp_path, "bram", dt.datetime(2026, 11, 23, 10, 1), 2000, now[0] - 1)
    (tmp_path / "auto-1-0612345678-201.wav").write_bytes(b"RIFF")  # not bereik's: stays on the node
    assert zuid.copy_finished() == 1
    assert store.recordings() == [(done, "zuid", 4000)]
    assert store.recording(done) == b"R" * 4000 and store.recording(going) is None
    now[0] += recordings.QUIET_SECONDS
    assert zuid.copy_finished() == 1  # bram's, finished now; anna's is not copied again
    # zuid's bereik restarted: it knows from the store what it copied.
    assert SharedRecordings(store, tmp_path, "zuid", clock=lambda: now[0]).copy_finished() == 0
    assert sorted(name for name, _, _ in store.recordings()) == sorted([done, going])
    store.delete_recording(done)
    assert store.recording(done) is None
