"""The harness between end-to-end tests: what one test leaves behind is named by the next test's
fixture, instead of surfacing later as a timeout somewhere else."""
import os
import re
import subprocess
import sys
from pathlib import Path

from bereik.sandbox.isolation import network_namespace

E2E = Path(__file__).parent
MINIMAL = E2E / "configs" / "minimal"
DESK_PHONE_201 = "127.0.1.1"

LEAKY_TESTS = f'''
from pathlib import Path

from bereik.sandbox.sipp import Sipp

MINIMAL = Path({str(MINIMAL)!r})


def test_leaves_a_desk_phone_running(asterisk, tmp_path):
    asterisk(MINIMAL)
    Sipp(workdir=tmp_path / "own").phone("{DESK_PHONE_201}")  # its own SIPp, not the fixture's: nobody stops it


def test_next(asterisk):
    asterisk(MINIMAL)


async def test_after_that_the_phone_is_gone_and_a_call_goes_through(asterisk, sipp):
    asterisk(MINIMAL)
    phone = sipp.phone("{DESK_PHONE_201}", ring_seconds=0.2)
    # Asterisk answers the caller before it dials: a caller gone after 1 s cancelled the ring on a busy machine.
    await sipp.call("201", talk_seconds=5).succeeds(timeout=20)
    await phone.succeeds(timeout=5)
'''

# The e2e fixtures as they are, in a pytest of its own with a network of its own (a subprocess, so
# that its failures are its own and this suite stays green).
INNER_SETTINGS = """[pytest]
asyncio_mode = auto
asyncio_default_fixture_loop_scope = function
markers = asterisk: end-to-end
"""
PRIVATE_NETWORK = '''
from bereik.sandbox.isolation import enter_private_network


def pytest_configure(config):
    enter_private_network()
'''


def setup_error_of_test_next(report: str, left_by: str) -> str:
    """The inner run's error report of test_next, whose fixture failed before it ran, naming the test `left_by`."""
    assert "ERROR test_leaky.py::test_next" in report, report
    failure = report[report.index("ERROR at setup of test_next"):]
    assert f"test_leaky.py::{left_by} left behind" in failure, failure
    return failure


def test_a_desk_phone_left_running_fails_the_next_tests_fixture_naming_it(tmp_path):
    report = inner_pytest(tmp_path, LEAKY_TESTS)

    assert "PASSED test_leaky.py::test_leaves_a_desk_phone_running" in report, report
    failure = setup_error_of_test_next(report, left_by="test_leaves_a_desk_phone_running")
    assert f"phone_answer.xml -i {DESK_PHONE_201} -p 5060" in failure, failure  # the sipp process, by its command
    assert "PASSED test_leaky.py::test_after_that_the_phone_is_gone_and_a_call_goes_through" in report, report


LEAKY_ASTERISK = f'''
from pathlib import Path

from bereik.sandbox import Asterisk, ami_login_from

MINIMAL = Path({str(MINIMAL)!r})
kept = []  # as a traceback keeps a failed test's objects


def test_starts_its_own_asterisk_and_fails_before_stopping_it(sandbox_root):
    own = Asterisk(MINIMAL, ami_login_from(MINIMAL), root=sandbox_root, log_path=sandbox_root.parent / "own.log")
    kept.append(own)
    own.start()
    assert False, "failed on purpose before its stop"


def test_next(asterisk):
    asterisk(MINIMAL)


def test_after_that_the_fixtures_asterisk_starts(asterisk):
    assert asterisk(MINIMAL).active_channels() == 0
'''


def test_an_asterisk_a_test_left_running_fails_the_next_tests_fixture_naming_it_and_no_later_test(tmp_path):
    report = inner_pytest(tmp_path, LEAKY_ASTERISK)

    assert "FAILED test_leaky.py::test_starts_its_own_asterisk_and_fails_before_stopping_it" in report, report
    failure = setup_error_of_test_next(report, left_by="test_starts_its_own_asterisk_and_fails_before_stopping_it")
    assert re.search(rf"Asterisk \(pid \d+\) on \S+ with {MINIMAL}, never stopped", failure), failure
    assert "PASSED test_leaky.py::test_after_that_the_fixtures_asterisk_starts" in report, report  # lock and port free


LEAKY_SERVICES = f'''
import sys
from pathlib import Path

sys.path.insert(0, {str(E2E.parent / "presence")!r})
from test_configured import SECRETS, yaml_with

from bereik.config import parse_config
from bereik.secrets import Secrets
from bereik.service import Service


def bereik(tmp_path):
    text = yaml_with(tmp_path)
    assert "agi: 127.0.0.1:0" in text
    config = parse_config(text.replace("agi: 127.0.0.1:0", "agi: 127.0.0.1:4573"))  # as the e2e tests' bereik
    return Service(config, Secrets(SECRETS), Path("/nonexistent-sounds"))


async def test_fails_while_bereik_runs(tmp_path):
    await bereik(tmp_path).start()
    assert False, "failed on purpose before its stop"


async def test_passes_but_leaves_bereik_running(tmp_path):
    await bereik(tmp_path).start()


async def test_after_that_fastagis_port_is_free(tmp_path):
    service = bereik(tmp_path)
    await service.start()
    await service.stop()
'''


def inner_pytest(tmp_path: Path, tests: str) -> str:
    """`tests` run by the e2e fixtures as they are, in a pytest of its own with a network of its own."""
    (tmp_path / "conftest.py").write_text((E2E / "conftest.py").read_text())
    (tmp_path / "private_network.py").write_text(PRIVATE_NETWORK)
    (tmp_path / "test_leaky.py").write_text(tests)
    (tmp_path / "pytest.ini").write_text(INNER_SETTINGS)
    inner = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "private_network", "-p", "no:cacheprovider",
         "-rA", "--import-mode=importlib", "test_leaky.py"],
        cwd=tmp_path, capture_output=True, text=True, timeout=200,
        env={**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"})
    return inner.stdout + inner.stderr


def test_a_bereik_left_running_by_a_test_is_stopped_and_a_passing_test_that_left_it_fails_naming_it(tmp_path):
    report = inner_pytest(tmp_path, LEAKY_SERVICES)
    assert "FAILED test_leaky.py::test_fails_while_bereik_runs" in report, report
    assert "ERROR at teardown of test_fails_while_bereik_runs" not in report, report  # its own failure says it
    assert "PASSED test_leaky.py::test_passes_but_leaves_bereik_running" in report, report
    error = report[report.index("ERROR at teardown of test_passes_but_leaves_bereik_running"):]
    assert ("test_leaky.py::test_passes_but_leaves_bereik_running left running (stopped now): bereik for "
            "Bloemendaal (FastAGI on 127.0.0.1:4573)") in error, error
    assert "PASSED test_leaky.py::test_after_that_fastagis_port_is_free" in report, report  # 4573 was free again


async def test_an_invite_to_a_phone_that_is_not_there_is_named_and_not_passed_on(asterisk, sipp, _running_asterisk):
    pbx = asterisk(MINIMAL)
    first = pbx.pid
    await sipp.call("201", talk_seconds=1).succeeds(timeout=20)  # Dial(PJSIP/201,3): nobody at 127.0.1.1

    assert pbx.active_channels() == 0  # the call is over, yet Asterisk still retransmits its INVITE
    left = _running_asterisk.leftovers(with_asterisk=True)
    assert any(f"SIP INVITE sip:201@{DESK_PHONE_201}:5060 to {DESK_PHONE_201}:5060" in item for item in left), left

    _running_asterisk.wind_down()  # what the fixture does after every test: this one restarts Asterisk
    assert _running_asterisk.leftovers(with_asterisk=True) == []
    assert _running_asterisk.current.pid != first


def test_a_paused_queue_member_is_unpaused_after_the_test_without_a_restart(asterisk, _running_asterisk):
    pbx = asterisk(MINIMAL)
    first = pbx.pid
    pbx.cli("queue pause member PJSIP/201 queue tic")  # as bereik pauses a member (console, overflow switch)
    assert any("(paused" in item for item in _running_asterisk.leftovers(with_asterisk=True))

    _running_asterisk.wind_down()
    assert _running_asterisk.leftovers(with_asterisk=True) == []
    assert _running_asterisk.current.pid == first


def test_custom_device_states_a_test_set_are_put_back_as_after_boot_without_a_restart(asterisk, _running_asterisk):
    pbx = asterisk(MINIMAL)
    first = pbx.pid
    pbx.cli("devstate change Custom:bereik-away-201 BUSY")  # as bereik keeps a person away
    left = _running_asterisk.leftovers(with_asterisk=True)
    assert "state 'custom Custom:bereik-away-201: BUSY' (after boot it was not)" in left, left

    _running_asterisk.wind_down()
    assert _running_asterisk.leftovers(with_asterisk=True) == []
    assert _running_asterisk.current.pid == first


def test_each_test_process_has_a_network_of_its_own():
    assert network_namespace() != network_namespace(1)  # not the machine's: ports never clash


def test_hosts_of_a_test_reach_each_other_by_their_own_addresses(hosts):
    network = hosts("a", "b")
    server = subprocess.Popen([*network.on("b"), sys.executable, "-c", (
        "import socket; s = socket.create_server(('10.77.0.2', 7000)); print('up', flush=True); "
        "c, peer = s.accept(); c.sendall(peer[0].encode())")], stdout=subprocess.PIPE, text=True)
    assert server.stdout.readline() == "up\n"
    client = subprocess.run([*network.on("a"), sys.executable, "-c", (
        "import socket; c = socket.create_connection(('10.77.0.2', 7000), timeout=5); print(c.recv(100).decode())")],
        capture_output=True, text=True, timeout=20)
    server.wait(5)

    assert client.stdout.strip() == "10.77.0.1", client.stderr  # b saw a's own address
