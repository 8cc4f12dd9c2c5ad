"""bereik as an administrator installs it: a wheel built from this tree, in a virtualenv of its own.

Built once per source tree and shared by every pytest process (a lock and a folder keyed by a hash of the
sources). Each process holds its tree's lock shared while it may use the virtualenv; a run removes the other
trees' folders that nobody holds (385 MB each: one per change to the sources). The tests run in network namespaces without the package index, so the dependencies come from
the wheelhouse `make wheelhouse` fills (`make test` does it first).
"""
from __future__ import annotations

import fcntl
import functools
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).parents[2]
WHEELHOUSE = REPO / ".wheelhouse"
_in_use: list = []  # this process's shared locks on the virtualenv it uses, open until it ends


def _sources_hash() -> str:
    digest = hashlib.sha256()
    for path in sorted([REPO / "pyproject.toml", *(REPO / "bereik").rglob("*")]):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(REPO)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


@functools.cache
def installed_bereik() -> Path:
    """The bin/ folder of a fresh virtualenv with bereik installed from its wheel (and nothing else)."""
    if not (WHEELHOUSE / ".made").exists():
        raise AssertionError("no wheelhouse of bereik's dependencies: run `make wheelhouse` (it needs the package "
                             "index, which a test's network namespace does not have)")
    home = Path(tempfile.gettempdir()) / f"bereik-installed-{_sources_hash()}"
    lock = _locked(home)
    try:
        venv = home / "venv"
        if not (home / ".done").exists():
            shutil.rmtree(venv, ignore_errors=True)
            for old in home.glob("*.whl"):
                old.unlink()
            pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
            subprocess.run([*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(home), str(REPO)],
                           check=True, cwd=home, env=clean_environment())
            subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
            # The test run's pip installs into the new virtualenv; --no-compile keeps it quick.
            [wheel] = home.glob("bereik-*.whl")
            subprocess.run([*pip, "--python", str(venv / "bin" / "python"), "install", "--no-compile", "--no-index",
                            "--find-links", str(WHEELHOUSE), str(wheel)], check=True, cwd=home,
                           env=clean_environment())
            if not (venv / "bin" / "bereik").exists():
                raise AssertionError(f"pip did not install bereik into {venv}")
            (home / ".done").touch()
    except BaseException:
        lock.close()
        raise
    fcntl.flock(lock, fcntl.LOCK_SH)  # built: others of this tree may use it too, no run removes it
    _in_use.append(lock)
    remove_unused(home.parent, keep=home)
    return venv / "bin"


def _locked(home: Path):
    """`home/.lock` open and held exclusively; made again if a run of another tree removed it meanwhile."""
    while True:
        home.mkdir(exist_ok=True)
        try:
            lock = open(home / ".lock", "a")
        except FileNotFoundError:
            continue
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if os.stat(home / ".lock").st_ino == os.fstat(lock.fileno()).st_ino:
                return lock
        except FileNotFoundError:
            pass
        lock.close()


def remove_unused(folder: Path, keep: Path) -> None:
    """The other source trees' virtualenvs in `folder` that no process holds now."""
    for other in folder.glob("bereik-installed-*"):
        if other == keep:
            continue
        try:
            with open(other / ".lock", "a") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                shutil.rmtree(other)
        except (BlockingIOError, FileNotFoundError, NotADirectoryError):
            continue  # in use, or gone already


def clean_environment() -> dict[str, str]:
    """The environment without anything that would import bereik from this source tree (nor make pip think
    it is installed already)."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
