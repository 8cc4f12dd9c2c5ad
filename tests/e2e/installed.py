"""bereik as an administrator installs it: a wheel built from this tree, in a virtualenv of its own.

Built once per source tree and shared by every pytest process (a lock and a folder keyed by a hash of the
sources). The tests run in network namespaces without the package index, so the dependencies come from
the wheelhouse `make wheelhouse` fills (`make test` does it first).
"""
from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).parents[2]
WHEELHOUSE = REPO / ".wheelhouse"


def _sources_hash() -> str:
    digest = hashlib.sha256()
    for path in sorted([REPO / "pyproject.toml", *(REPO / "bereik").rglob("*")]):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(REPO)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def installed_bereik() -> Path:
    """The bin/ folder of a fresh virtualenv with bereik installed from its wheel (and nothing else)."""
    if not (WHEELHOUSE / ".made").exists():
        raise AssertionError("no wheelhouse of bereik's dependencies: run `make wheelhouse` (it needs the package "
                             "index, which a test's network namespace does not have)")
    home = Path(tempfile.gettempdir()) / f"bereik-installed-{_sources_hash()}"
    home.mkdir(exist_ok=True)
    with open(home / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
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
    return venv / "bin"


def clean_environment() -> dict[str, str]:
    """The environment without anything that would import bereik from this source tree (nor make pip think
    it is installed already)."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
