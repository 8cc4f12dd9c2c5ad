"""SIPp callers and desk phones for the Asterisk sandbox.

A caller is SIPp's uac side (scenarios/caller.xml, filled in per call); a desk phone is
its uas side on its own loopback address 127.0.1.N (scenarios/phone_*.xml), which
Asterisk identifies as one pjsip endpoint. All run with `-aa`, so connected-line UPDATEs
are answered.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import itertools
import re
import socket
import struct
import string
import subprocess
import tempfile
from pathlib import Path
from typing import Literal, Sequence, get_args

from bereik.sandbox.isolation import call_in

SCENARIOS = Path(__file__).with_name("scenarios")
CALLER_NUMBER = "0612345678"  # the From user of every caller unless a test gives its own
# Debian's sip-tester ships RFC 4733 recordings (payload type 101, 140 ms) per digit.
DTMF_PCAPS = Path("/usr/share/sip-tester")
DTMF_NAMES = {**{d: d for d in "0123456789"}, "*": "star", "#": "pound"}

PhoneBehaviour = Literal["answer", "no_answer", "busy", "auto_answer"]

# When a caller presses a key: a number of seconds after the previous key (or the answer), or on a cue.
# Asterisk drops a key that arrives while nothing listens for it (between two AGI commands, during a
# Playback), so a key at a fixed time is lost on a slow machine. A caller with cued keys names them in
# its INVITE (CUES_HEADER) and, before each, waits for an in-dialog MESSAGE; whoever watches Asterisk's
# events sends that MESSAGE (AMI SendText) when the caller's channel is:
#   "asked"     -- in a Read or GET DATA, i.e. listening for the key (AGIExecStart, or Newexten of Read);
#   "queued"    -- in the queue (QueueCallerJoin);
#   "whispered" -- a message starts in the queue (its companion plays it, bereik.pbx.whisper), e.g. the offer of a call-back;
#   "told"      -- when the test says so (after it did something that must come before the key).
# tests/e2e/conftest.py (KeyCues) does so for every test that has an AMI connection.
Cue = Literal["asked", "queued", "whispered", "told"]
CUES = get_args(Cue)
CUES_HEADER = "X-Bereik-Cues"
Key = tuple[float | Cue, str]


class SippError(RuntimeError):
    pass


# sipp binds four UDP ports from its media port (audio and video RTP, each with RTCP), so a port free on its own is
# not enough: a port the kernel had just handed out two above one made a caller exit at its start ("Unable to bind
# video RTP socket", errno 98) and its test wait 20 s for a call that never came (ci18). Parties get blocks of
# four, each proven free, between Asterisk's RTP range (10000-20000, rtp.conf) and the kernel's ephemeral ports
# (32768 and up), which nothing else in a test's network hands out; the blocks rotate, so one is reused only
# after some three thousand parties.
PORT_BLOCKS = range(20004, 32768 - 4, 4)
_next_blocks = itertools.cycle(PORT_BLOCKS)


def free_udp_port(ip: str = "127.0.0.1") -> int:
    """The first of four consecutive UDP ports that are free on `ip`."""
    for _ in PORT_BLOCKS:
        first = next(_next_blocks)
        try:
            with contextlib.ExitStack() as probes:
                for port in range(first, first + 4):
                    probes.enter_context(socket.socket(socket.AF_INET, socket.SOCK_DGRAM)).bind((ip, port))
        except OSError:
            continue
        return first
    raise SippError(f"no four consecutive free UDP ports on {ip} between {PORT_BLOCKS.start} and {PORT_BLOCKS.stop}")


def _in_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def sip_quoted(text: str) -> str:
    """A SIP quoted-string (RFC 3261 25.1): backslash-escape backslashes and quotes."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


class SippProcess:
    """One running sipp: wait for it, read its exit status, statistics and logs."""

    def __init__(self, name: str, command: list[str], workdir: Path):
        self.name = name
        self.command = command
        self.workdir = workdir
        self.output_path = workdir / f"{name}.out"
        with open(self.output_path, "wb") as output:
            self._process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
                cwd=workdir,
            )

    @property
    def returncode(self) -> int | None:
        return self._process.poll()

    @property
    def address(self) -> str:
        """Where this party sends from and receives SIP: ip:port."""
        return f"{self.command[self.command.index('-i') + 1]}:{self.command[self.command.index('-p') + 1]}"

    def wait(self, timeout: float) -> int:
        """Exit status after at most `timeout` s (0: every call succeeded).

        A sipp that is still running then is killed and SippError raised.
        """
        try:
            return self._process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.stop()
            raise SippError(f"sipp {self.name} still running after {timeout} s\n{self.report()}") from None

    def expect_success(self, timeout: float) -> None:
        """Wait for every call of this sipp to succeed, blocking the thread; in a coroutine, `await succeeds`."""
        if _in_event_loop():
            # A bereik in the same event loop would stand still meanwhile: a console click that ends the call
            # was then never served (ci111, ci123), and the call never ended.
            raise SippError(f"sipp {self.name}: expect_success would block the event loop; await succeeds()")
        if self.wait(timeout) != 0:
            raise SippError(f"sipp {self.name} failed (exit status {self.returncode})\n{self.report()}")

    async def succeeds(self, timeout: float) -> None:
        """`expect_success` while the event loop, and whatever runs in it, goes on."""
        await asyncio.to_thread(self.expect_success, timeout)

    def stop(self) -> None:
        """Kill sipp if it is still running."""
        if self._process.poll() is None:
            self._process.kill()
        self._process.wait()

    @property
    def stats(self) -> dict[str, str]:
        """The last row of sipp's statistics file, e.g. stats["SuccessfulCall(C)"]."""
        path = self.workdir / f"{self.name}.stat.csv"
        if not path.exists():
            return {}
        with path.open() as file:
            rows = list(csv.DictReader(file, delimiter=";"))
        return rows[-1] if rows else {}

    def received(self, method: str) -> list[dict[str, str]]:
        """The headers of every `method` request this party received, in order (phones keep a message log)."""
        path = self.workdir / f"{self.name}.messages.log"
        if not path.exists():
            return []
        found = []
        # sipp -trace_msg: each message after a line of dashes and one saying "message received" or "sent".
        for block in re.split(r"^-{10,}.*$", path.read_text(errors="replace"), flags=re.M):
            kind, _, message = block.strip().partition("\n")
            request, _, rest = message.strip().partition("\n")
            if "message received" not in kind or not request.startswith(f"{method} "):
                continue
            headers: dict[str, str] = {}
            for line in rest.splitlines():
                name, colon, value = line.strip().partition(":")
                if not colon:
                    break  # the blank line before the body
                headers.setdefault(name.strip(), value.strip())
            found.append(headers)
        return found

    def report(self) -> str:
        parts = [" ".join(self.command)]
        for suffix in ("out", "errors.log"):
            path = self.workdir / f"{self.name}.{suffix}"
            if path.exists():
                parts.append(f"--- {path.name} ---\n" + "\n".join(path.read_text(errors="replace").splitlines()[-30:]))
        return "\n".join(parts)


class Sipp:
    """Starts SIPp parties against one Asterisk; `stop_all()` ends any left running."""

    def __init__(self, asterisk: str = "127.0.0.1:5060", workdir: Path | None = None, netns: str | None = None,
                 *, proxy: bool = False):
        """`netns`: the parties run on that host of bereik.sandbox.isolation.Hosts (its namespace's name);
        `proxy`: `asterisk` is a proxy that stays in the dialog (Kamailio): callers send their ACK and BYE
        along its Record-Route, to the Contact of whoever answered."""
        self.asterisk = asterisk
        self.netns = netns
        self.proxy = proxy
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="bereik-sipp-"))
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.processes: list[SippProcess] = []

    def call(
        self,
        number: str,
        *,
        local_ip: str = "127.0.0.1",
        local_port: int | None = None,
        talk_seconds: float = 5.0,
        dtmf: Sequence[Key] = (),
        from_name: str | None = "SIPp caller",
        from_user: str = CALLER_NUMBER,
        media_port: int | None = None,
        auth: tuple[str, str] | None = None,
    ) -> SippProcess:
        """Call `number` and stay `talk_seconds` after the answer, then hang up.

        dtmf: (when, digit) pairs, sent as RFC 4733 events; `when` is seconds after the
        previous digit or the answer, or a Cue (see above). from_name is put in the From header as a quoted string (None:
        no display name); from_user is the user part as is, so a test can send escapes
        like %0A. media_port: where the SDP points the caller's audio (default: sipp's
        own media port); a test that binds it can read what the caller hears.
        A BYE from Asterisk before talk_seconds ends the call too, as a success.
        auth: (user, password) of a desk phone, which answers Asterisk's digest challenge.
        """
        return self._caller(number, local_ip=local_ip, local_port=local_port, talk_seconds=talk_seconds,
                            dtmf=dtmf, from_name=from_name, from_user=from_user, media_port=media_port, auth=auth)

    def callers(self, number: str, *, rate: float, calls: int, talk_seconds: float,
                dtmf: Sequence[Key] = (), from_user: str = "0612345678",
                local_ip: str = "127.0.0.1") -> SippProcess:
        """Many callers like `call`'s (same keys, same hold), `rate` new calls a second (below 1 too)."""
        return self._caller(number, local_ip=local_ip, talk_seconds=talk_seconds, dtmf=dtmf,
                            from_user=from_user, extra=[*_rate_arguments(rate), "-m", str(calls),
                                                        "-l", str(max(calls, 1))])

    def _caller(self, number: str, *, local_ip: str, talk_seconds: float, dtmf: Sequence[Key],
                from_user: str, from_name: str | None = "SIPp caller", local_port: int | None = None,
                media_port: int | None = None, extra: Sequence[str] = (),
                auth: tuple[str, str] | None = None) -> SippProcess:
        sipp_media_port = self._free_port(local_ip)
        display = f"{sip_quoted(from_name)} " if from_name is not None else ""
        template = (SCENARIOS / "caller.xml").read_text()
        template = template.replace("$challenge", _challenge(template) if auth else "")
        scenario = string.Template(template).substitute(
            from_header=_header_safe(f"{display}<sip:{from_user}@{local_ip}>"),
            from_user=_header_safe(from_user),
            cues_header=_cues_header(dtmf),
            dtmf=_dtmf_actions(dtmf, self.workdir / self._name("dtmf"), int(talk_seconds * 1000)),
            talk_ms=int(talk_seconds * 1000),
            sdp_media_port=media_port or sipp_media_port,
            rrs=' rrs="true"' if self.proxy else "",
            dialog_uri="[next_url]" if self.proxy else "sip:[service]@[remote_ip]:[remote_port]",
            routes="\n      [routes]" if self.proxy else "",
            cseq=2 if auth else 1,
            bye_cseq=3 if auth else 2,
        )
        name = self._name("caller")
        scenario_path = self.workdir / f"{name}.xml"
        scenario_path.write_text(scenario)
        credentials = ["-au", auth[0], "-ap", auth[1]] if auth else []
        return self._start(name, [
            "-sf", str(scenario_path), "-s", number,
            "-i", local_ip, "-p", str(local_port or self._free_port(local_ip)),
            "-mi", local_ip, "-mp", str(sipp_media_port), *credentials, *extra,
            self.asterisk,
        ])

    def probe(self, number: str, *, local_ip: str, from_user: str = "0612345678",
              auth: tuple[str, str] | None = None, timeout: float = 10.0) -> int:
        """One INVITE to `number` as an attacker would send it (answering a digest challenge with `auth`, if
        given); the final response's status code. An answered probe is hung up at once."""
        name = self._name("probe")
        scenario = string.Template((SCENARIOS / "probe.xml").read_text()).substitute(
            from_user=_header_safe(from_user), media_port=self._free_port(local_ip))
        (self.workdir / f"{name}.xml").write_text(scenario)
        credentials = ["-au", auth[0], "-ap", auth[1]] if auth else ["-au", from_user, "-ap", "guessed-password"]
        process = self._start(name, [
            "-sf", f"{name}.xml", "-s", number, "-i", local_ip, "-p", str(self._free_port(local_ip)),
            *credentials, "-trace_msg", "-message_file", f"{name}.messages.log", self.asterisk])
        process.wait(timeout)
        messages = (self.workdir / f"{name}.messages.log").read_text(errors="replace")
        finals = [int(code) for code in re.findall(r"^\s*SIP/2\.0 ([2-6]\d\d) ", messages, re.MULTILINE)]
        if not finals:
            raise SippError(f"no final response to the probe of {number}\n{process.report()}")
        return finals[-1]

    def load(self, number: str, *, rate: float, calls: int, hold_seconds: float,
             local_ip: str = "127.0.0.1") -> SippProcess:
        """Many calls with SIPp's built-in caller: `rate` new calls a second, each held `hold_seconds`. Its caller
        is a phone number, as a trunk delivers it (SIPp's own, "sipp", is no number: bereik's entry would filter it)."""
        return self._start(self._name("load"), [
            "-sf", str(self._load_scenario()), "-s", number, *_rate_arguments(rate), "-m", str(calls),
            "-d", str(int(hold_seconds * 1000)), "-l", str(max(calls, 1)),
            "-i", local_ip, "-p", str(self._free_port(local_ip)),
            self.asterisk,
        ])

    def phone(
        self,
        ip: str,
        *,
        behaviour: PhoneBehaviour = "answer",
        ring_seconds: float = 1.0,
        port: int = 5060,
        calls: int = 1,
    ) -> SippProcess:
        """A desk phone on `ip`:`port` for `calls` calls: it answers after ring_seconds
        and talks until the other side hangs up, never answers (the caller's CANCEL
        ends the call), is busy (486), or answers by itself only an INVITE with the intercom
        header (auto_answer; others ring until cancelled). Every SIP message it sends or
        receives is kept (SippProcess.received)."""
        name = self._name(f"phone-{ip}")
        scenario = SCENARIOS / f"phone_{behaviour}.xml"
        if behaviour == "answer":  # its ring is a CANCEL's timeout, which SIPp reads only as a number
            ring_ms = max(int(ring_seconds * 1000), 1)
            text = string.Template(scenario.read_text()).substitute(ring_ms=ring_ms)
            scenario = self.workdir / f"{name}-{scenario.name}"
            scenario.write_text(text)
        return self._start(name, [
            "-sf", str(scenario),
            "-i", ip, "-p", str(port), "-mi", ip, "-mp", str(self._free_port(ip)),
            "-d", str(int(ring_seconds * 1000)), "-m", str(calls),
            "-trace_msg", "-message_file", f"{name}.messages.log",
        ])

    def _free_port(self, ip: str) -> int:
        return call_in(self.netns, free_udp_port, ip) if self.netns else free_udp_port(ip)

    def _load_scenario(self) -> Path:
        path = self.workdir / "load.xml"
        if not path.exists():
            # -sd prints the built-in scenario and exits with 99
            builtin = subprocess.run(["sipp", "-sd", "uac"], capture_output=True, text=True).stdout
            if "sip:sipp@" not in builtin:
                raise SippError(f"`sipp -sd uac` printed no scenario with a From of sip:sipp@: {builtin[:200]!r}")
            path.write_text(builtin.replace("sip:sipp@", f"sip:{CALLER_NUMBER}@"))
        return path

    def stop_all(self) -> None:
        for process in self.processes:
            process.stop()

    def _name(self, kind: str) -> str:
        return f"{len(self.processes) + 1:03d}-{kind}"

    def _start(self, name: str, arguments: list[str]) -> SippProcess:
        command = [
            *(["ip", "netns", "exec", self.netns] if self.netns else []),
            "sipp", *arguments, "-aa", "-nostdin",
            "-trace_err", "-error_file", f"{name}.errors.log",
            "-trace_stat", "-stf", f"{name}.stat.csv",
        ]
        if "-m" not in arguments:
            command += ["-m", "1"]
        process = SippProcess(name, command, self.workdir)
        self.processes.append(process)
        return process


def _rate_arguments(rate: float) -> list[str]:
    """SIPp counts new calls per rate period: 0.05 calls/s is one call every 20,000 ms."""
    if rate >= 1:
        return ["-r", f"{rate:g}"]
    return ["-r", "1", "-rp", str(round(1000 / rate))]


def _renumbered_rtp(pcap: Path, index: int) -> bytes:
    """The recording with RTP sequence numbers and timestamps that keep rising digit after digit.

    Debian's recordings number their packets by digit (a '9' carries later numbers than
    a '7'), so Asterisk drops a lower digit after a higher one as an old packet.
    """
    data = bytearray(pcap.read_bytes())
    offset, packet_number = 24, 0  # after the pcap file header
    while offset < len(data):
        captured = struct.unpack_from("<I", data, offset + 8)[0]
        rtp = offset + 16 + 14 + 20 + 8  # record header, Ethernet, IPv4, UDP
        struct.pack_into(">HI", data, rtp + 2, 10_000 + index * 100 + packet_number, 160_000 + index * 16_000)
        struct.pack_into(">H", data, rtp - 2, 0)  # no UDP checksum (allowed over IPv4)
        offset += 16 + captured
        packet_number += 1
    return bytes(data)


def _challenge(template: str) -> str:
    """After the INVITE: Asterisk's 401, its ACK, and the INVITE again with the digest answer (CSeq 2)."""
    invite = re.search(r"<send retrans=\"500\" start_txn=\"invite\">\s*<!\[CDATA\[\s*INVITE.*?\]\]>\s*</send>", template,
                       re.DOTALL).group(0)
    again = invite.replace("CSeq: 1 INVITE", "CSeq: 2 INVITE\n      [authentication]")
    return f"""  <recv response="100" optional="true" response_txn="invite"/>
  <recv response="401" auth="true" response_txn="invite"/>
  <send>
    <![CDATA[
      ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      CSeq: 1 ACK
      Max-Forwards: 70
      Content-Length: 0
    ]]>
  </send>
{again}
"""


def _header_safe(text: str) -> str:
    """Refuse what would end the scenario's CDATA section or the SIP header line."""
    if "]]>" in text or "\r" in text or "\n" in text:
        raise ValueError(f"cannot put {text!r} into a SIP header")
    return text


def _cues_header(dtmf: Sequence[Key]) -> str:
    cues = [when for when, _ in dtmf if isinstance(when, str)]
    for cue in cues:
        if cue not in CUES:
            raise ValueError(f"no cue {cue!r}: a key comes after seconds or on one of {', '.join(CUES)}")
    return f"\n      {CUES_HEADER}: {','.join(cues)}" if cues else ""


# A cue is an in-dialog MESSAGE; the caller answers it and presses the key at once. A BYE while it waits
# ends the call as a success (as during the talk). A caller not cued within its talk time, and at least
# CUE_PATIENCE_MS (a loaded machine is slow to ask), hangs up as one who was never asked (its errors log says
# at which message it gave up).
CUE_PATIENCE_MS = 20_000
_ON_CUE = """  <recv request="BYE" optional="true" next="bye" timeout="{wait_ms}" ontimeout="hangup"/>
  <recv request="MESSAGE" timeout="{wait_ms}" ontimeout="hangup"/>
  <send>
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0
    ]]>
  </send>
"""


def _dtmf_actions(dtmf: Sequence[Key], directory: Path, talk_ms: int) -> str:
    actions = []
    directory.mkdir(parents=True, exist_ok=True)
    for index, (when, digit) in enumerate(dtmf):
        pcap = directory / f"{index}-{DTMF_NAMES[digit]}.pcap"
        pcap.write_bytes(_renumbered_rtp(DTMF_PCAPS / f"dtmf_2833_{DTMF_NAMES[digit]}.pcap", index))
        if isinstance(when, str):
            actions.append(_ON_CUE.format(wait_ms=max(talk_ms, CUE_PATIENCE_MS)))
        else:
            actions.append(f'  <pause milliseconds="{int(when * 1000)}"/>\n')
        actions.append(f'  <nop><action><exec play_pcap_audio="{pcap}"/></action></nop>\n')
    return "".join(actions)
