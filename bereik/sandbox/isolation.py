"""Keep test sessions apart on one machine: a private network per process, a chroot copy each.

Asterisk, AMI and FastAGI listen on fixed ports (5060, 5038, 4573) and the SIPp desk phones on
fixed loopback addresses (127.0.1.N:5060). Two test processes side by side (pytest-xdist
workers, or two developers) therefore each need a network namespace of their own, and an
Asterisk chroot of their own (its CLI socket and spool are files). Standard library only.
"""
from __future__ import annotations

import ctypes
import fcntl
import os
import shutil
import socket
import struct
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

CLONE_NEWNET = 0x40000000
SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1
COPIED_FROM = ".bereik-copied-from"
T = TypeVar("T")


class IsolationError(RuntimeError):
    pass


def enter_private_network() -> None:
    """Move the calling thread (and every process and thread it starts later) into a new network
    namespace with only a loopback interface, brought up.

    Call it from the main thread before any test starts a server: sockets opened earlier stay in
    the old namespace. Needs root (CAP_SYS_ADMIN).
    """
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWNET) != 0:
        error = ctypes.get_errno()
        raise IsolationError(f"cannot make a network namespace ({os.strerror(error)}): the end-to-end tests "
                             "run as root, as scripts/install-system.sh and `make test` do")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as any_socket:
        request = struct.pack("16sH14x", b"lo", 0)
        flags = struct.unpack("16sH14x", fcntl.ioctl(any_socket, SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(any_socket, SIOCSIFFLAGS, struct.pack("16sH14x", b"lo", flags | IFF_UP))


def call_in(namespace: str, function: Callable[..., T], *arguments) -> T:
    """`function(*arguments)` in a thread that has entered the named network namespace (`ip netns`):
    a socket it opens lives there, e.g. a test's connection to an Asterisk on one of its Hosts."""
    outcome: dict[str, object] = {}

    def run() -> None:
        try:
            with open(f"/run/netns/{namespace}") as target:
                if ctypes.CDLL(None, use_errno=True).setns(target.fileno(), CLONE_NEWNET) != 0:
                    raise IsolationError(f"cannot enter {namespace}: {os.strerror(ctypes.get_errno())}")
            outcome["value"] = function(*arguments)
        except BaseException as error:  # handed to the caller's thread
            outcome["error"] = error

    thread = threading.Thread(target=run, name=f"in-{namespace}")  # it ends in the namespace it entered
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def network_namespace(pid: int | str = "self") -> str | None:
    try:
        return os.readlink(f"/proc/{pid}/ns/net")
    except OSError:  # gone meanwhile, or not ours to read
        return None


def processes_in_my_network(*, programs: tuple[str, ...] = (), commands: tuple[str, ...] = ()) -> list[tuple[int, str]]:
    """(pid, command line) of the live processes in this process's network namespace whose program
    is one of `programs` (e.g. "sipp") or whose command line contains one of `commands`; zombies
    (dead, not yet reaped) do not count."""
    mine = network_namespace()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        state = stat[stat.rindex(")") + 2:].split(" ", 1)[0]
        program = stat[stat.index("(") + 1:stat.rindex(")")]
        wanted = program in programs or any(part in command for part in commands)
        if wanted and state != "Z" and network_namespace(entry.name) == mine:
            found.append((int(entry.name), command))
    return found


# --- a chroot copy per test process --------------------------------------------------------------

_held_slots: list = []  # the slot locks this process holds until it exits


def private_root(base: Path) -> Path:
    """A copy of the chroot `base` that this process has to itself while it runs.

    Copies live in numbered slots beside the base (<cache>/copies/N/asterisk-root); a process takes
    the first slot nobody holds (flock, released when the process exits) and keeps it up to date
    with the base. A copy is kept for the next process, with the prompts it generated; it is
    copied again only when the base was rebuilt.
    """
    slots = base.parent / "copies"
    slots.mkdir(exist_ok=True)
    stamp = _stamp_of(base)
    number = 0
    while True:
        lock = open(slots / f"{number}.lock", "w")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            number += 1
            continue
        _held_slots.append(lock)
        break
    copy = slots / str(number) / base.name
    if _read(copy / COPIED_FROM) != stamp:
        shutil.rmtree(copy.parent, ignore_errors=True)
        partial = slots / f"{number}.tmp"
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir()
        # cp keeps devices, links and owners as they are; 400 MB from the page cache takes about a second.
        result = subprocess.run(["cp", "-a", "--reflink=auto", str(base), str(partial / base.name)],
                                capture_output=True, text=True)
        if result.returncode != 0:
            raise IsolationError(f"copying the chroot {base} failed: {result.stderr}")
        (partial / base.name / COPIED_FROM).write_text(stamp)
        partial.rename(copy.parent)
    return copy


def _stamp_of(base: Path) -> str:
    manifest = base / ".bereik-packages"
    return f"{base.stat().st_ino}:{manifest.stat().st_mtime_ns}" if manifest.exists() else str(base.stat().st_ino)


def _read(path: Path) -> str | None:
    try:
        return path.read_text()
    except FileNotFoundError:
        return None


# --- several hosts, each with its own address ----------------------------------------------------


class Hosts:
    """Hosts for one test: a network namespace each, joined by a bridge in a namespace of its own,
    addresses 10.77.0.1, .2, ... /24. Run a program on a host with `on(host) + [program, ...]`.

    Namespace names carry this process's id, so parallel workers never share one; close() (or the
    end of a `with` block) deletes them, and with them every interface and address they held.
    """

    SUBNET = "10.77.0"

    def __init__(self, *names: str):
        self.prefix = f"bk{os.getpid()}"
        self.addresses = {name: f"{self.SUBNET}.{number}" for number, name in enumerate(names, start=1)}
        self._made: list[str] = []
        switch = self._add("switch")
        try:
            _ip("-n", switch, "link", "add", "br0", "type", "bridge")
            _ip("-n", switch, "link", "set", "br0", "up")
            for number, (name, address) in enumerate(self.addresses.items(), start=1):
                host = self._add(name)
                _ip("link", "add", f"{self.prefix}h{number}", "netns", host, "type", "veth",
                    "peer", "name", f"{self.prefix}s{number}", "netns", switch)
                _ip("-n", host, "link", "set", f"{self.prefix}h{number}", "name", "eth0")
                _ip("-n", host, "addr", "add", f"{address}/24", "dev", "eth0")
                for device in ("eth0", "lo"):
                    _ip("-n", host, "link", "set", device, "up")
                _ip("-n", switch, "link", "set", f"{self.prefix}s{number}", "master", "br0", "up")
        except BaseException:
            self.close()
            raise

    def namespace(self, host: str) -> str:
        return f"{self.prefix}-{host}"

    def join(self, *addresses: str) -> None:
        """Put this process's own network on the bridge too, with `addresses` (e.g. a trunk's and the desk
        phones'): what the test runs itself (SIPp, an HTTP client, PostgreSQL) then reaches every host and is
        reached at those addresses. The link goes when close() deletes the bridge's namespace."""
        device = f"{self.prefix}j"
        _ip("link", "add", device, "type", "veth", "peer", "name", f"{self.prefix}sj", "netns", self.namespace("switch"))
        for address in addresses:
            _ip("addr", "add", f"{address}/24", "dev", device)
        _ip("link", "set", device, "up")
        _ip("-n", self.namespace("switch"), "link", "set", f"{self.prefix}sj", "master", "br0", "up")

    def on(self, host: str) -> list[str]:
        """The command prefix that runs a program on `host`."""
        return ["ip", "netns", "exec", self.namespace(host)]

    def close(self) -> None:
        # The kernel removes a namespace's links in its own time; the joined one goes at once.
        subprocess.run(["ip", "link", "del", f"{self.prefix}j"], capture_output=True)
        while self._made:
            subprocess.run(["ip", "netns", "del", self._made.pop()], capture_output=True)

    def __enter__(self) -> Hosts:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _add(self, host: str) -> str:
        name = self.namespace(host)
        _ip("netns", "add", name)
        self._made.append(name)
        call_in(name, _addresses_valid_at_once)
        return name


def _addresses_valid_at_once() -> None:
    """No duplicate-address check for IPv6 in this namespace: it makes a link's address valid a second or two after
    the link comes up, and a browser started meanwhile takes that for a changed network and drops the page it is
    loading (net::ERR_NETWORK_CHANGED, ci112). Each host has its own addresses on its own bridge: none is taken."""
    for scope in ("all", "default"):
        setting = Path(f"/proc/sys/net/ipv6/conf/{scope}/accept_dad")
        if setting.exists():  # a kernel without IPv6 has nothing to check
            setting.write_text("0")


def _ip(*arguments: str) -> None:
    result = subprocess.run(["ip", *arguments], capture_output=True, text=True)
    if result.returncode != 0:
        raise IsolationError(f"ip {' '.join(arguments)}: {result.stderr.strip()}")
