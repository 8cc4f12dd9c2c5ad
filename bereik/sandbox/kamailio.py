"""Debian's Kamailio with the configuration bereik generates, for tests and the platform benchmark.

It runs in the foreground (-DD -E) on one of a test's hosts, logging to a file; kamcmd reads its
dispatcher's view of the Asterisk instances through the control socket in its run directory.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import time
from pathlib import Path

from bereik.platform import kamailio as generated
from bereik.platform.load import Region

KAMAILIO = "/usr/sbin/kamailio"
_DESTINATION = re.compile(r"URI:\s*(sip:\S+)\s+FLAGS:\s*(\w+)", re.S)
# What its dispatcher event routes log (bereik.platform.kamailio), with Kamailio's own clock.
_NODE_EVENT = re.compile(r"bereik: node (down|up): (sip:\S+) at (\d+\.\d+)")
# kamcmd answers in milliseconds; on a loaded two-core machine (six Asterisks and bereiks beside it, a CPU hog)
# it once took over 10 s (ci26). Only a Kamailio that is really stuck takes longer than this.
RPC_SECONDS = 30


class KamailioError(RuntimeError):
    pass


class Kamailio:
    def __init__(self, region: Region, directory: Path, netns: str | None = None):
        """`directory`: where its files, control socket and log go; `netns`: the host it runs on."""
        self.region = region
        self.directory = Path(directory)
        self.netns = netns
        self.log_path = self.directory / "kamailio.log"
        self._process: subprocess.Popen | None = None

    @property
    def config(self) -> Path:
        return self.directory / "kamailio.cfg"

    def write(self) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        for name, body in generated.generate(self.region, self.directory, self.directory).items():
            (self.directory / name).write_text(body)
        return self.config

    def check(self) -> str:
        """`kamailio -c`: the configuration as Kamailio reads it; KamailioError with its words if it refuses."""
        if not shutil.which(KAMAILIO):
            raise KamailioError("no kamailio: run scripts/install-system.sh")
        result = subprocess.run([KAMAILIO, "-c", "-f", str(self.config)], capture_output=True, text=True, timeout=30)
        if result.returncode != 0 or "config file ok" not in result.stdout + result.stderr:
            raise KamailioError(f"kamailio -c refused {self.config}:\n{result.stderr[-3000:]}")
        return result.stdout + result.stderr

    def start(self, timeout: float = 20.0) -> None:
        self.write()
        self.check()
        prefix = ["ip", "netns", "exec", self.netns] if self.netns else []
        with open(self.log_path, "wb") as log:
            self._process = subprocess.Popen(
                [*prefix, KAMAILIO, "-DD", "-E", "-f", str(self.config), "-m", "64", "-M", "8",
                 "-Y", str(self.directory)], stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while True:
            if self._process.poll() is not None:
                raise KamailioError(f"kamailio exited with {self._process.returncode}\n{self.log_tail()}")
            try:
                self.rpc("core.uptime")
                return
            except KamailioError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise KamailioError(f"kamailio did not start within {timeout} s\n{self.log_tail()}") from None
                time.sleep(0.1)

    def rpc(self, *command: str) -> str:
        try:
            result = subprocess.run(["kamcmd", "-s", f"unix:{self.directory / 'kamailio_ctl'}", *command],
                                    capture_output=True, text=True, timeout=RPC_SECONDS)
        except subprocess.TimeoutExpired:
            raise KamailioError(f"kamcmd {' '.join(command)}: no answer within {RPC_SECONDS} s\n{self.log_tail()}") from None
        if result.returncode != 0:
            raise KamailioError(f"kamcmd {' '.join(command)}: {result.stderr or result.stdout}")
        return result.stdout

    def destinations(self) -> dict[str, str]:
        """sip:address:port -> the dispatcher's flags for it: AP active (and checked), IP inactive, TP trying."""
        return dict(_DESTINATION.findall(self.rpc("dispatcher.list")))

    def log_size(self) -> int:
        """Where its log stands now: node_events(since=...) reads only what comes after."""
        return self.log_path.stat().st_size

    def node_events(self, what: str, since: int = 0) -> dict[str, float]:
        """Each instance its dispatcher marked `what` ("down" or "up") after byte `since` of its log -> the
        (first) time it did, by Kamailio's clock (time.time())."""
        with open(self.log_path, "rb") as log:
            log.seek(since)
            said = log.read().decode(errors="replace")
        marked: dict[str, float] = {}
        for event, uri, at in _NODE_EVENT.findall(said):
            if event == what:
                marked.setdefault(uri, float(at))
        return marked

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log)"

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def __enter__(self) -> Kamailio:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
