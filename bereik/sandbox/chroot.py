"""A real Asterisk 22 (Debian sid) in a chroot, for the demo, the tests and benchmarks.

Debian bookworm has no Asterisk package; sid's runs fine in a chroot. The chroot is
built once into a cache directory and reused. Standard library only, so that the
install script can run it before any virtualenv exists.
"""

from __future__ import annotations

import ctypes
import fcntl
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from bereik.sandbox.isolation import call_in

PACKAGES = (
    "asterisk", "asterisk-modules", "asterisk-config", "asterisk-core-sounds-en-gsm",
    # For the benchmark's classic process-per-call AGI script, which runs inside the chroot.
    "python3", "python3-pydantic", "python3-ruamel.yaml", "python3-holidays",
)
MANIFEST = ".bereik-packages"  # what the root was built with; a different list rebuilds it
ASTERISK = "/usr/sbin/asterisk"
SOUNDS_SUBDIR = "var/lib/asterisk/sounds/bereik"
# Asterisk reads sounds from <astdatadir>/sounds; this link makes SOUNDS_SUBDIR one of them.
SOUNDS_LINK = "usr/share/asterisk/sounds/bereik"
DEFAULT_ASTERISK_CONF = Path(__file__).with_name("asterisk.conf")
RUNTIME_DIRS = ("var/run/asterisk", "var/lib/asterisk", "var/log/asterisk", "var/spool/asterisk")
TIMER_B_SECONDS = 32  # pjsip gives up on an unanswered INVITE after 64 * T1 (500 ms)
# A remote console answers in milliseconds, but with six Asterisks and bereiks and a CPU hog on two cores, one
# `asterisk -rx` took 8 s (a `queue pause member` over 10 s in ci26): only a stuck Asterisk takes longer than this.
CLI_SECONDS = 30.0
_ENDPOINT = re.compile(r"^ Endpoint:\s+(\S+?)(?:/\S*)?\s{2,}(\S.*?)\s{2,}\d+ of", re.M)
# A member of `queue show`: "Anna (PJSIP/201) with penalty 3 (...) has taken", or without a name "PJSIP/201 (...)".
_MEMBER = re.compile(r"^\s{6}(?:(\w+/[^\s()]+)|.*?\((\w+/[^)\s]+)(?: from [^)]*)?\))(.*?) has taken")
_CUSTOM = re.compile(r"^--- Name: '(Custom:[^']*)'\s+State: '([^']*)'", re.M)  # `devstate list`
_HINT = re.compile(r"^\s*(\S+@\S+)\s+: .*?State:(\S+)\s+Presence:(\S+)", re.M)  # `core show hints`
_HISTORY = re.compile(r"^(\d{5,}) (\d+) \* (==>|<==) (\S+)\s+(.*\S)\s*$")

DEBIAN_SUITES = {
    "buster", "bullseye", "bookworm", "trixie", "forky", "duke", "sid",
    "oldstable", "stable", "testing", "unstable",
}


class SandboxError(RuntimeError):
    """The sandbox cannot be built or Asterisk cannot run."""


def default_cache_dir() -> Path:
    return Path(os.environ.get("BEREIK_SANDBOX_CACHE", "~/.cache/bereik")).expanduser()


def default_root() -> Path:
    return default_cache_dir() / "asterisk-root"


# --- Debian mirror -------------------------------------------------------------------


def _apt_source_entries(apt_dir: Path):
    """Yield (types, uris, suites) for every entry in the machine's apt sources."""
    one_line = [apt_dir / "sources.list", *sorted((apt_dir / "sources.list.d").glob("*.list"))]
    for path in one_line:
        if not path.is_file():
            continue
        for line in path.read_text().splitlines():
            line = re.sub(r"\[[^\]]*\]", " ", line.split("#", 1)[0])  # drop [options]
            fields = line.split()
            if len(fields) >= 3:
                yield [fields[0]], [fields[1]], [fields[2]]
    for path in sorted((apt_dir / "sources.list.d").glob("*.sources")):
        for stanza in re.split(r"\n\s*\n", path.read_text()):
            fields: dict[str, list[str]] = {}
            for line in stanza.splitlines():
                if line.startswith("#") or ":" not in line:
                    continue
                key, value = line.split(":", 1)
                fields[key.strip().lower()] = value.split()
            if fields.get("enabled", ["yes"])[0].lower() == "no":
                continue
            yield fields.get("types", []), fields.get("uris", []), fields.get("suites", [])


def debian_mirror(apt_dir: Path = Path("/etc/apt")) -> str:
    """The first Debian mirror the machine's apt uses for a plain Debian suite.

    Security archives and third-party repositories (nodesource, Google) are skipped:
    they do not carry sid.
    """
    for types, uris, suites in _apt_source_entries(apt_dir):
        plain = any(s.split("-")[0] in DEBIAN_SUITES and not s.endswith("-security") for s in suites)
        if "deb" in types and plain and uris:
            return uris[0]
    raise SandboxError(f"no plain Debian mirror found in the apt sources under {apt_dir}")


# --- building the chroot -------------------------------------------------------------


def _write_host_files(root: Path) -> None:
    # Asterisk must resolve its own host name without DNS, and must not try DNS at all:
    # every stalled lookup delays calls (asterisk-sandbox.md).
    shutil.copyfile("/etc/hosts", root / "etc/hosts")
    (root / "etc/resolv.conf").unlink(missing_ok=True)
    (root / "etc/resolv.conf").write_text("")


def build_root(cache_dir: Path | None = None, *, mirror: str | None = None, force: bool = False) -> Path:
    """Build <cache_dir>/asterisk-root once (about 30 s, 400 MB) and return its path.

    Built into a .tmp directory and renamed, so an interrupted build never leaves a
    half-made root behind.
    """
    cache_dir = cache_dir or default_cache_dir()
    root = cache_dir / "asterisk-root"
    cache_dir.mkdir(parents=True, exist_ok=True)
    with open(cache_dir / "build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # a second builder waits for the first
        manifest = "\n".join(PACKAGES)
        if root.is_dir() and not force and _read(root / MANIFEST) == manifest:
            return root
        mirror = mirror or debian_mirror()
        tmp = cache_dir / "asterisk-root.tmp"
        shutil.rmtree(tmp, ignore_errors=True)
        print(f"bereik sandbox: building Asterisk chroot in {root} from {mirror}", flush=True)
        command = [
            "mmdebstrap", "--variant=apt",
            # The mirror's sid Release file may be past its Valid-Until date.
            "--aptopt=Acquire::Check-Valid-Until \"false\"",
            "--include=" + ",".join(PACKAGES),
            "sid", str(tmp), mirror,
        ]
        result = subprocess.run(command)
        if result.returncode != 0:
            shutil.rmtree(tmp, ignore_errors=True)
            raise SandboxError(f"mmdebstrap failed with exit status {result.returncode}")
        _write_host_files(tmp)
        (tmp / MANIFEST).write_text(manifest)
        # Never pull the root from under a running Asterisk: take its run lock first.
        with open(cache_dir / (root.name + ".run.lock"), "w") as running:
            fcntl.flock(running, fcntl.LOCK_EX)
            shutil.rmtree(root, ignore_errors=True)
            tmp.rename(root)
        print(f"bereik sandbox: chroot ready in {root}", flush=True)
        return root


def _read(path: Path) -> str | None:
    try:
        return path.read_text()
    except FileNotFoundError:
        return None


# --- running Asterisk ----------------------------------------------------------------


@dataclass(frozen=True)
class AmiLogin:
    port: int
    username: str
    secret: str
    host: str = "127.0.0.1"


# How long Asterisk waits to write to an AMI session whose reader is behind before it closes the session
# (manager.conf's default is 100 ms). A test or bench process that blocks its loop for a moment (a SIPp
# wait, Chromium, a busy machine) while a call's burst of events fills the socket lost its connection, and
# with it every later event (found in a fresh-clone run: "Connection lost", then an event never seen).
OBSERVER_WRITE_TIMEOUT_MS = 10_000


def observer_section(username: str, secret: str, *, write: str = "call", events: tuple[str, ...] = ()) -> str:
    """A manager.conf user for a test or bench that watches everything (or only `events`)."""
    filters = "".join(f"eventfilter=Event: {event}\n" for event in events)
    return (f"\n[{username}]\nsecret={secret}\nread=all\nwrite={write}\n"
            f"writetimeout={OBSERVER_WRITE_TIMEOUT_MS}\n{filters}")


def ami_login_from(config_dir: Path) -> AmiLogin:
    """The port and first user with a secret in a manager.conf (for the CLI and tests)."""
    section, port, users = None, 5038, {}
    for raw in (Path(config_dir) / "manager.conf").read_text().splitlines():
        line = raw.split(";", 1)[0].strip()
        if match := re.fullmatch(r"\[([^\]]+)\].*", line):
            section = match.group(1)
        elif match := re.fullmatch(r"(\w+)\s*=>?\s*(.*)", line):
            key, value = match.group(1).lower(), match.group(2).strip()
            if section == "general" and key == "port":
                port = int(value)
            elif section not in (None, "general") and key == "secret":
                users.setdefault(section, value)
    if not users:
        raise SandboxError(f"no AMI user with a secret in {config_dir}/manager.conf")
    username, secret = next(iter(users.items()))
    return AmiLogin(port, username, secret)


_started_here: set[Asterisk] = set()  # started by this process and not stopped: see Asterisk.running_here


def _die_with_parent() -> None:
    # Runs in the child before exec: if the test process dies, the kernel kills Asterisk
    # (PR_SET_PDEATHSIG survives exec), and its private mounts vanish with it.
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


class Asterisk:
    """One Asterisk process in the chroot, with the configuration of one directory.

    The chroot's /etc/asterisk is replaced by the files of `config_dir` on start (plus a
    default asterisk.conf if the directory has none). /proc and /dev are bind-mounted in
    a private mount namespace (`unshare -m`), so the mounts disappear with the process,
    even after a crash. One instance per chroot and `name` at a time: a lock file makes a
    second one (another test session on the same machine) wait. A named instance keeps its
    configuration, runtime, log, spool and astdb directories apart (/etc/asterisk-<name>,
    ...), so two servers run side by side in one chroot without copying it.
    """

    def __init__(
        self,
        config_dir: Path,
        ami: AmiLogin,
        *,
        root: Path | None = None,
        log_path: Path | None = None,
        boot_timeout: float = 30.0,
        lock_timeout: float = 300.0,
        name: str = "",
        netns: str | None = None,
        observed: bool = True,
    ):
        """`netns`: run Asterisk on that host of bereik.sandbox.isolation.Hosts (its namespace's name).
        `observed`: with the AMI events bereik's manager.conf and stasis.conf have Asterisk not generate
        (disabledevents, declined message types), on which tests and the demo watch calls and cue their callers'
        keys; a bench of Asterisk as deployed passes False."""
        self.observed = observed
        self.config_dir = Path(config_dir)
        self.name = name
        self.netns = netns
        self._suffix = f"-{name}" if name else ""
        self.ami = ami
        self.root = Path(root or default_root())
        self.log_path = Path(log_path or self.root.parent / f"asterisk{self._suffix}-console.log")
        self.boot_timeout = boot_timeout
        self.lock_timeout = lock_timeout
        self._process: subprocess.Popen | None = None
        self._lock = None

    @property
    def sounds_dir(self) -> Path:
        """Host path of the chroot's sounds/bereik: play a file X there as `bereik/X`."""
        path = self.root / SOUNDS_SUBDIR
        path.mkdir(parents=True, exist_ok=True)
        return path

    @property
    def outgoing(self) -> Path:
        """Host path of this instance's outgoing spool: bereik's pbx.call_files beside it."""
        return self.root / self._directory("var/spool/asterisk") / "outgoing"

    @staticmethod
    def running_here() -> list[Asterisk]:
        """Every Asterisk this process started and has not stopped. One whose owner lost it (a test that failed
        before its stop, its object kept by the traceback) holds its copy's run lock and its ports: a harness
        names and stops it."""
        return [instance for instance in _started_here if instance.running]

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self.running else None

    def __enter__(self) -> Asterisk:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> None:
        if self.running:
            raise SandboxError("Asterisk is already running")
        self.stop()  # an earlier run that crashed still holds the lock
        if not (self.root / ASTERISK.lstrip("/")).exists():
            raise SandboxError(f"no Asterisk chroot at {self.root}: run `python -m bereik.sandbox build`")
        self._acquire_lock()
        try:
            if self._on_host(_port_open, self.ami.host, self.ami.port):
                raise SandboxError(f"AMI port {self.ami.port} is already in use by another process")
            self._install_config()
            with open(self.log_path, "wb") as log:
                self._process = subprocess.Popen(
                    [
                        *(["ip", "netns", "exec", self.netns] if self.netns else []),
                        "unshare", "-m", "--propagation", "private", "--",
                        "sh", "-c",
                        'mount --bind /proc "$1/proc" && mount --bind /dev "$1/dev" '
                        '&& exec chroot "$1" ' + ASTERISK + " -f -n -C " + self._conf_file,
                        "sh", str(self.root),
                    ],
                    stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                    preexec_fn=_die_with_parent,
                )
            _started_here.add(self)
            self._wait_until_booted()
        except BaseException:
            self.stop()
            raise

    def stop(self, timeout: float = 10.0, *, kill: bool = False) -> None:
        """SIGTERM (Asterisk stops cleanly), SIGKILL if that takes longer than `timeout`.

        `kill`: SIGKILL at once, for an instance whose state nobody reads again (the test harness restarting
        it): a clean stop takes 0.2-0.7 s on a quiet machine, and start() begins anew from the configuration,
        without the astdb, logs or control socket of the run before."""
        process, self._process = self._process, None
        try:
            if process is not None and process.poll() is None:
                if kill:
                    process.kill()
                else:
                    process.terminate()
                try:
                    process.wait(timeout)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        finally:
            _started_here.discard(self)
            if self._lock is not None:
                self._lock.close()  # closing releases the flock
                self._lock = None

    def wait(self) -> int:
        """Block until Asterisk exits; return its exit status."""
        if self._process is None:
            raise SandboxError("Asterisk is not running")
        return self._process.wait()

    def cli(self, command: str, timeout: float = CLI_SECONDS) -> str:
        """Run one CLI command through the remote console and return its output."""
        try:
            result = subprocess.run(
                ["chroot", str(self.root), ASTERISK, "-C", self._conf_file, "-rx", command],
                capture_output=True, text=True, timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            self._fail(f"asterisk -rx {command!r}: no answer within {timeout:.0f} s")
        if result.returncode != 0:
            raise SandboxError(f"asterisk -rx {command!r} failed: {result.stderr or result.stdout}")
        return result.stdout

    def active_channels(self) -> int:
        output = self.cli("core show channels count")
        match = re.search(r"(\d+) active channels?", output)
        if not match:
            raise SandboxError(f"unexpected output of 'core show channels count': {output!r}")
        return int(match.group(1))

    def hangup_all(self, timeout: float = 5.0) -> None:
        """Hang up every channel and wait until none is left."""
        deadline = time.monotonic() + timeout
        while self.active_channels():
            if time.monotonic() > deadline:
                raise SandboxError(f"channels still up after hangup:\n{self.cli('core show channels')}")
            self.cli("channel request hangup all")
            time.sleep(0.1)

    # --- what a call can leave behind (the test harness checks it between tests) ---

    def record_sip(self) -> None:
        """Keep every SIP message Asterisk sends and receives from now on (res_pjsip_history)."""
        self.cli("pjsip set history clear")
        self.cli("pjsip set history on")

    def unanswered_sip_requests(self, within: float = TIMER_B_SECONDS + 2) -> list[UnansweredRequest]:
        """Requests Asterisk sent (since record_sip) that got no message back from that address:
        pjsip retransmits them until its 32 s timer gives up, e.g. an INVITE to a desk phone that
        is not there. A SIPp phone started meanwhile at that address would take it for a new call."""
        now, waiting = time.time(), {}
        for stamp, direction, address, first_line in _history(self.cli("pjsip show history")):
            if direction == "==>" and not first_line.startswith(("SIP/2.0", "ACK ")):
                method, uri = first_line.split(" ", 2)[:2]
                waiting.setdefault(address, UnansweredRequest(method, uri, address, stamp, now))
            elif direction == "<==":
                waiting.pop(address, None)
        return [request for request in waiting.values() if request.age < within]

    def channel_list(self) -> list[str]:
        return [line for line in self.cli("core show channels concise").splitlines() if "!" in line]

    def device_states(self) -> set[str]:
        """Every endpoint's device state, queue member (paused, state), custom device state and hint.

        A call that is over leaves all of them as they were when Asterisk started."""
        states = {f"endpoint {m.group(1)}: {m.group(2)}" for m in _ENDPOINT.finditer(self.cli("pjsip show endpoints"))}
        queue = ""
        for line in self.cli("queue show").splitlines():
            if match := re.match(r"(\S+) has \d+ calls", line):
                queue = match.group(1)
            elif match := _MEMBER.match(line):
                flags = re.sub(r" was \d+ secs? ago", "", match.group(3))
                states.add(f"queue {queue} member {match.group(1) or match.group(2)} {flags}")
        states |= {f"custom {m.group(1)}: {m.group(2)}" for m in _CUSTOM.finditer(self.cli("devstate list"))}
        states |= {f"hint {m.group(1)}: {m.group(2)} {m.group(3)}" for m in _HINT.finditer(self.cli("core show hints"))}
        return states

    def reload(self) -> None:
        """Re-read the configuration (after changing files in the chroot's /etc/asterisk).

        Some settings, such as indications.conf's country, only change on a restart.
        """
        self.cli("core reload")

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log)"

    # --- internals ---

    @property
    def _conf_file(self) -> str:
        return f"/etc/asterisk{self._suffix}/asterisk.conf"

    def _directory(self, path: str) -> str:
        """A directory this instance has to itself (inside the chroot)."""
        return path.replace("/asterisk", f"/asterisk{self._suffix}", 1) if self._suffix else path

    def _acquire_lock(self) -> None:
        self._lock = open(self.root.parent / (self.root.name + self._suffix + ".run.lock"), "w")
        deadline = time.monotonic() + self.lock_timeout
        while True:
            try:
                fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() > deadline:
                    self._lock.close()
                    self._lock = None
                    raise SandboxError(f"another Asterisk has been using {self.root} for too long") from None
                time.sleep(0.5)

    def _install_config(self) -> None:
        etc = self.root / self._directory("etc/asterisk")
        shutil.rmtree(etc, ignore_errors=True)
        shutil.copytree(self.config_dir, etc)
        manager = etc / "manager.conf"
        stasis = etc / "stasis.conf"
        if self.observed and manager.exists():
            manager.write_text(re.sub(r"^disabledevents=.*\n", "", manager.read_text(), flags=re.M))
        if self.observed and stasis.exists():
            stasis.write_text(re.sub(r"^decline=.*\n", "", stasis.read_text(), flags=re.M))
        if not (etc / "asterisk.conf").exists():
            conf = DEFAULT_ASTERISK_CONF.read_text()
            for own in ("etc", "run", "log", "spool"):
                conf = re.sub(rf"(ast{own}dir => )(\S+)", lambda m: m.group(1) + self._directory(m.group(2)), conf)
            conf = re.sub(r"(astdbdir => )(\S+)", lambda m: m.group(1) + self._directory(m.group(2)), conf)
            (etc / "asterisk.conf").write_text(conf)
        _write_host_files(self.root)
        for sub in (*RUNTIME_DIRS, "var/lib/asterisk"):
            (self.root / self._directory(sub)).mkdir(parents=True, exist_ok=True)
        # Each instance starts from a clean state: no astdb (queue members, presence)
        # or logs left by the previous one.
        for leftover in ("var/lib/asterisk/astdb.sqlite3", "var/run/asterisk/asterisk.ctl"):
            (self.root / self._directory(leftover)).unlink(missing_ok=True)
        log_dir = self.root / self._directory("var/log/asterisk")
        shutil.rmtree(log_dir, ignore_errors=True)
        (log_dir / "cel-custom").mkdir(parents=True)  # as on a host (bereik systemd's tmpfiles.d)
        (self.root / SOUNDS_SUBDIR).mkdir(parents=True, exist_ok=True)
        link = self.root / SOUNDS_LINK
        if not link.is_symlink():
            link.symlink_to("/" + SOUNDS_SUBDIR)

    def _wait_until_booted(self) -> None:
        deadline = time.monotonic() + self.boot_timeout
        last_problem = "AMI never accepted a connection"
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                self._fail(f"Asterisk exited with status {self._process.returncode}")
            try:
                self._on_host(_ami_login, self.ami, deadline)
                # bereik's AMI user has no `system` class (least privilege), so it never sees
                # FullyBooted; the console waits for it instead.
                self.cli("core waitfullybooted")
                return
            except _AmiLoginRejected as rejected:
                self._fail(f"AMI rejected user {self.ami.username!r}: {rejected}")
            except OSError as error:
                last_problem = f"AMI on {self.ami.host}:{self.ami.port}: {error}"
                time.sleep(0.1)
        self._fail(f"Asterisk did not boot within {self.boot_timeout:.0f} s ({last_problem})")

    def _on_host(self, function, *arguments):
        return call_in(self.netns, function, *arguments) if self.netns else function(*arguments)

    def _fail(self, reason: str):
        raise SandboxError(f"{reason}\n--- tail of {self.log_path} ---\n{self.log_tail()}")


class _AmiLoginRejected(Exception):
    pass




def _history(output: str):
    """(timestamp, direction, address, first line) per entry of `pjsip show history`, in order."""
    for line in output.splitlines():
        if match := _HISTORY.match(line):
            yield int(match.group(2)), match.group(3), match.group(4), match.group(5)


@dataclass(frozen=True)
class UnansweredRequest:
    method: str
    uri: str
    address: str
    sent: float  # whole seconds: pjsip's history keeps no more
    now: float

    @property
    def age(self) -> float:
        return self.now - self.sent

    def __str__(self) -> str:
        return f"{self.method} {self.uri} to {self.address}, unanswered for {self.age:.0f} s"


def _port_open(host: str, port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((host, port)) == 0


def _ami_login(ami: AmiLogin, deadline: float) -> None:
    """Log in to AMI (proving the manager user works) and log off again."""
    with socket.create_connection((ami.host, ami.port), timeout=1.0) as sock:
        sock.sendall(
            f"Action: Login\r\nUsername: {ami.username}\r\nSecret: {ami.secret}\r\n"
            "Events: off\r\n\r\n".encode()
        )
        buffer = b""
        while time.monotonic() < deadline:
            sock.settimeout(max(0.05, min(1.0, deadline - time.monotonic())))
            try:
                chunk = sock.recv(4096)
            except socket.timeout:
                continue
            if not chunk:
                raise ConnectionResetError("AMI closed the connection")
            buffer += chunk
            *messages, buffer = buffer.split(b"\r\n\r\n")
            for message in messages:
                if b"Response: Error" in message:
                    raise _AmiLoginRejected(message.decode(errors="replace").strip())
                if b"Response: Success" in message:
                    sock.sendall(b"Action: Logoff\r\n\r\n")
                    return
        raise TimeoutError("no answer to the AMI login")
