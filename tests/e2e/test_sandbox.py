"""The sandbox harness itself, with a hand-written minimal Asterisk configuration."""

import asyncio
import contextlib
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from bereik.sandbox import AmiLogin, debian_mirror, observer_section

MINIMAL = Path(__file__).with_name("configs") / "minimal"
DESK_PHONE_201 = "127.0.1.1"


@pytest.fixture
async def pbx(asterisk, ami):
    instance = asterisk(MINIMAL)
    return instance, await ami(instance)


async def test_a_caller_in_queue_tic_is_connected_to_the_desk_phone_that_answers(pbx, sipp):
    _, events = pbx
    phone = sipp.phone(DESK_PHONE_201, ring_seconds=1)
    caller = sipp.call("14023", talk_seconds=4)

    joined = await events.wait_for_event("QueueCallerJoin", lambda e: e["Queue"] == "tic")
    connected = await events.wait_for_event("AgentConnect", lambda e: e["Queue"] == "tic")

    assert joined["Position"] == "1"
    assert connected["MemberName"] == "PJSIP/201"
    await caller.succeeds(timeout=10)
    await phone.succeeds(timeout=5)


async def test_a_dtmf_digit_from_the_caller_reaches_the_dialplan(pbx, sipp):
    _, events = pbx
    caller = sipp.call("1000", talk_seconds=3, dtmf=[("asked", "7")])

    read = await events.wait_for_event("UserEvent", lambda e: e["UserEvent"] == "DigitRead")

    assert read["Digit"] == "7"
    await caller.succeeds(timeout=10)


async def test_a_desk_phone_that_does_not_answer_is_cancelled_cleanly(pbx, sipp):
    _, events = pbx
    phone = sipp.phone(DESK_PHONE_201, behaviour="no_answer")
    caller = sipp.call("201", talk_seconds=10)

    result = await events.wait_for_event("UserEvent", lambda e: e["UserEvent"] == "DialResult")

    assert result["Status"] == "NOANSWER"
    await phone.succeeds(timeout=5)  # 200 to the CANCEL, 487, ACK
    await caller.succeeds(timeout=5)  # Asterisk hangs up after the Dial


async def test_an_answering_desk_phone_cancelled_while_it_rings_ends_that_call_and_rings_again(pbx, sipp):
    _, events = pbx
    phone = sipp.phone(DESK_PHONE_201, ring_seconds=30, calls=2)  # answers after 30 s; Asterisk gives up after 3 s

    seen: list[str] = []
    for _ in range(2):
        caller = sipp.call("201", talk_seconds=10)
        result = await events.wait_for_event(
            "UserEvent", lambda e: e["UserEvent"] == "DialResult" and e["Uniqueid"] not in seen)
        seen.append(result["Uniqueid"])
        assert result["Status"] == "NOANSWER"
        await caller.succeeds(timeout=5)

    await phone.succeeds(timeout=5)  # both calls ended as a phone ends them: 200 to the CANCEL, 487, ACK


async def test_a_busy_desk_phone_gives_dialstatus_busy(pbx, sipp):
    _, events = pbx
    phone = sipp.phone(DESK_PHONE_201, behaviour="busy")
    caller = sipp.call("201", talk_seconds=10)

    result = await events.wait_for_event("UserEvent", lambda e: e["UserEvent"] == "DialResult")

    assert result["Status"] == "BUSY"
    await phone.succeeds(timeout=5)
    await caller.succeeds(timeout=5)


async def test_caller_ids_reach_asterisk_as_sent_quotes_and_escapes_included(pbx, sipp):
    """Facts for whoever reads caller IDs: chan_pjsip keeps the backslashes of a quoted
    display name and decodes %0A in the user part into a real newline. AMI C-escapes
    CallerIDName, but sends CallerIDNum raw: the newline splits the event's header
    line (panoramisk glues the pieces back together with a newline)."""
    _, events = pbx
    caller = sipp.call("1000", talk_seconds=1, from_name='Jan "de" Vries', from_user="06%0A12")

    channel = await events.wait_for_event("Newchannel", lambda e: e["Exten"] == "1000")

    assert channel["CallerIDName"] == r'Jan \\\"de\\\" Vries'  # CALLERID(name) is Jan \"de\" Vries
    assert channel["CallerIDNum"] == "06\n12"
    await caller.succeeds(timeout=10)


async def test_asterisk_plays_a_prompt_put_in_the_sounds_dir(pbx, sipp):
    instance, events = pbx
    prompt = instance.sounds_dir / "sandbox-check.wav"
    # Asterisk reads only plain 16-bit PCM wav; sox's default for synth is a format it refuses.
    subprocess.run(
        ["sox", "-n", "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer", str(prompt),
         "synth", "0.3", "sine", "425"],
        check=True,
    )
    caller = sipp.call("1001", talk_seconds=5)

    played = await events.wait_for_event("UserEvent", lambda e: e["UserEvent"] == "Played")

    assert played["Status"] == "SUCCESS"
    await caller.succeeds(timeout=10)


def _mounts_under(root: Path) -> list[str]:
    return [line for line in Path("/proc/self/mounts").read_text().splitlines() if str(root) in line]


def test_asterisk_restarts_leave_no_process_or_mount_behind(asterisk):
    first = asterisk(MINIMAL, restart=True)
    first_pid = first.pid
    second = asterisk(MINIMAL, restart=True)

    assert not first.running
    assert not Path(f"/proc/{first_pid}").exists()
    assert second.running and second.active_channels() == 0
    assert "PJSIP/201" in second.cli("queue show tic")
    assert _mounts_under(second.root) == []  # /proc and /dev live in Asterisk's namespace only



def test_the_chroot_mirror_is_the_first_plain_debian_one_in_the_apt_sources(tmp_path):
    (tmp_path / "sources.list.d").mkdir()
    (tmp_path / "sources.list").write_text(
        "# deb http://old.example/debian bookworm main\n"
        "deb [signed-by=/k.gpg] https://packages.cloud.google.com/apt cloud-sdk-bookworm main\n"
    )
    (tmp_path / "sources.list.d/nodesource.list").write_text(
        "deb https://deb.nodesource.com/node_20.x nodistro main\n"
    )
    (tmp_path / "sources.list.d/debian.sources").write_text(
        "Types: deb\nURIs: http://security.example/debian-security\nSuites: bookworm-security\n\n"
        "Types: deb\nURIs: http://mirror.example/debian\nSuites: bookworm bookworm-updates\n"
    )

    assert debian_mirror(tmp_path) == "http://mirror.example/debian"


def _stall_while_events_flow(login, seconds: float) -> bool:
    """Whether Asterisk kept an AMI session that read nothing for `seconds` while events for it flowed."""
    def connect() -> socket.socket:
        connection = socket.create_connection((login.host, login.port), timeout=5)
        connection.sendall(f"Action: Login\r\nUsername: {login.username}\r\nSecret: {login.secret}\r\n\r\n".encode())
        reply = b""
        while b"\r\n\r\n" not in reply.split(b"\r\n", 1)[-1]:
            reply += connection.recv(4096)
        assert b"Success" in reply, reply
        return connection

    stalled, flooder = connect(), connect()
    flooder.setblocking(False)
    event = b"Action: UserEvent\r\nUserEvent: burst\r\nBody: " + b"x" * 400 + b"\r\n\r\n"
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(BlockingIOError):
            flooder.sendall(event)
        with contextlib.suppress(BlockingIOError):
            flooder.recv(1 << 20)
    flooder.close()
    stalled.settimeout(2)
    try:
        while stalled.recv(1 << 20):
            pass
        return False  # Asterisk closed it
    except TimeoutError:
        return True
    finally:
        stalled.close()


@pytest.mark.parametrize("section, kept", [
    (lambda name, secret: f"\n[{name}]\nsecret={secret}\nread=all\nwrite=user\n", False),  # manager.conf's 100 ms
    (lambda name, secret: observer_section(name, secret, write="user"), True),
], ids=["default-writetimeout", "observer_section"])
async def test_an_observer_that_falls_behind_for_seconds_keeps_its_session(asterisk, tmp_path, section, kept):
    config = tmp_path / "minimal"
    shutil.copytree(MINIMAL, config)
    with open(config / "manager.conf", "a") as manager:
        manager.write(section("watcher", "watcher-secret"))
    instance = asterisk(config)
    login = AmiLogin(instance.ami.port, "watcher", "watcher-secret", instance.ami.host)

    assert await asyncio.to_thread(_stall_while_events_flow, login, 4) is kept
