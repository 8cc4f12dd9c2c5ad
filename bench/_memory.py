"""A process's peak memory as the benches measure it (Linux, /proc/self)."""
from __future__ import annotations

from pathlib import Path


def peak_rss_mb() -> float:
    """This process's own peak resident memory (VmHWM); ru_maxrss would include a parent's, kept across exec."""
    status = Path("/proc/self/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("VmHWM:")).split()[1]) / 1024


def restart_peak_rss() -> None:
    """The peak counts from now: benches run before in the same process (`python -m bench a b`) do not count."""
    Path("/proc/self/clear_refs").write_text("5")
