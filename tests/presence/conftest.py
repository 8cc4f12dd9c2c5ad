from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from presence_slapd import Slapd

from bereik.presence import sample


@pytest.fixture(scope="session")
def staff() -> list[sample.SamplePerson]:
    return sample.people(2000)


@pytest.fixture(scope="session")
def big_slapd(tmp_path_factory, staff):
    """One slapd with the whole generated municipality, shared by read-only tests."""
    server = Slapd(tmp_path_factory.mktemp("slapd-big"), staff)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def small_slapd(tmp_path):
    """A slapd of its own, for tests that change or stop it."""
    server = Slapd(tmp_path / "slapd", sample.people(40))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def tls_slapd(tmp_path):
    """A slapd with a self-signed certificate, listening for StartTLS and LDAPS."""
    server = Slapd(tmp_path / "slapd", sample.people(10), tls=True)
    server.start()
    yield server
    server.stop()
