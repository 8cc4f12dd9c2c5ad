"""A throwaway PostgreSQL cluster from Debian's packages, for tests and the benchmark.

initdb and postgres refuse to run as root, so as root the cluster belongs to the
`postgres` user (runuser); it listens on loopback on a free port and vanishes on stop().
"""
from __future__ import annotations

import ipaddress
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

BIN = Path("/usr/lib/postgresql/15/bin")


class PostgresError(RuntimeError):
    pass


def _free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


class Cluster:
    def __init__(self, bin_dir: Path = BIN, host: str = "127.0.0.1"):
        """`host`: the address it listens on (a test's own address on its hosts' bridge, for bereiks on them)."""
        self.bin_dir = bin_dir
        self.host = host
        self.port = _free_port(host)
        self.directory: Path | None = None
        self._prefix: list[str] = []

    @property
    def dsn(self) -> str:
        return self.database("postgres")

    def database(self, name: str) -> str:
        return f"postgresql://postgres@{self.host}:{self.port}/{name}"

    def create_database(self, name: str) -> str:
        """A new database on the cluster (one per municipality: each its own controller); its address."""
        self._run([str(self.bin_dir / "psql"), "-h", str(self.directory), "-p", str(self.port), "-U", "postgres",
                   "-c", f'CREATE DATABASE "{name}"'])
        return self.database(name)

    @property
    def socket_dsn(self) -> str:
        """Through the Unix socket: reachable from any network namespace of the machine (bereik.sandbox.netns)."""
        return f"postgresql://postgres@/postgres?host={self.directory}&port={self.port}"

    def start(self, timeout: float = 30.0) -> Cluster:
        if not (self.bin_dir / "initdb").exists():
            raise PostgresError(f"no PostgreSQL at {self.bin_dir}: apt-get install postgresql")
        self.directory = Path(tempfile.mkdtemp(prefix="bereik-pg-"))
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(self.directory, user.pw_uid, user.pw_gid)
            self._prefix = ["runuser", "-u", "postgres", "--"]
        self._run([str(self.bin_dir / "initdb"), "-D", str(self.directory / "data"), "-U", "postgres", "-A", "trust",
                   "--no-sync", "-E", "UTF8", "--locale=C.UTF-8"])
        if not ipaddress.ip_address(self.host).is_loopback:  # bereiks on a test's other hosts connect too
            with open(self.directory / "data" / "pg_hba.conf", "a") as rules:
                rules.write(f"host all all {ipaddress.ip_network(self.host + '/24', strict=False)} trust\n")
        self.resume(timeout)
        return self

    def pause(self) -> None:
        """Stop the server, keeping its data: PostgreSQL down, as a fault."""
        self._run([str(self.bin_dir / "pg_ctl"), "-D", str(self.directory / "data"), "-m", "fast", "-w", "stop"])

    def resume(self, timeout: float = 30.0) -> None:
        """Start the server (again) on the same port and data."""
        self._run([str(self.bin_dir / "pg_ctl"), "-D", str(self.directory / "data"), "-l", str(self.directory / "log"),
                   "-w", "-t", str(int(timeout)), "-o",
                   f"-p {self.port} -c listen_addresses={self.host} -k {self.directory} -c fsync=off",
                   "start"])

    def stop(self) -> None:
        if self.directory is None:
            return
        try:
            self._run([str(self.bin_dir / "pg_ctl"), "-D", str(self.directory / "data"), "-m", "immediate",
                       "-w", "stop"])
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)
            self.directory = None

    def log_tail(self) -> str:
        try:
            return (self.directory / "log").read_text()[-2000:]
        except (OSError, TypeError):
            return "(no log)"

    def _run(self, command: list[str]) -> None:
        result = subprocess.run([*self._prefix, *command], capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise PostgresError(f"{' '.join(command[:2])} failed: {result.stderr or result.stdout}\n{self.log_tail()}")

    def __enter__(self) -> Cluster:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

