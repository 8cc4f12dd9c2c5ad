"""A real OpenLDAP slapd in a temporary directory on a free loopback port.

Never skipped: if slapd cannot start, the test fails with slapd's own output.
"""
from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

from bereik.presence import sample

SLAPD = "/usr/sbin/slapd"
SLAPADD = "/usr/sbin/slapadd"
SUFFIX = "dc=bloemendaal,dc=test"
ROOT_DN = f"cn=admin,{SUFFIX}"
ROOT_PASSWORD = "test-only-secret"

CONFIG = """\
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include {dir}/bereik.schema
pidfile {dir}/slapd.pid
argsfile {dir}/slapd.args
modulepath /usr/lib/ldap
moduleload back_mdb
sizelimit unlimited
database mdb
suffix "{suffix}"
rootdn "{root_dn}"
rootpw {password}
directory {dir}/db
maxsize 268435456
index objectClass eq
index uid eq
index entryCSN eq
"""


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


TLS_CONFIG = """\
TLSCACertificateFile {dir}/cert.pem
TLSCertificateFile {dir}/cert.pem
TLSCertificateKeyFile {dir}/key.pem
"""


class Slapd:
    def __init__(self, workdir: Path, people: list[sample.SamplePerson], tls: bool = False, host: str = "127.0.0.1"):
        """`host`: the address it listens on (a test's own address on its hosts' bridge, for bereiks on them)."""
        self.dir = workdir
        self.people = people
        self.host = host
        self.port = free_port(host)
        self.tls_port = free_port() if tls else None
        self.process: subprocess.Popen | None = None
        self.dir.mkdir(parents=True, exist_ok=True)
        (self.dir / "db").mkdir(exist_ok=True)
        (self.dir / "bereik.schema").write_text(sample.SCHEMA)
        self.config = self.dir / "slapd.conf"
        config = CONFIG.format(dir=self.dir, suffix=SUFFIX, root_dn=ROOT_DN, password=ROOT_PASSWORD)
        if tls:
            made = subprocess.run(
                ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                 "-keyout", str(self.dir / "key.pem"), "-out", str(self.dir / "cert.pem"),
                 "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                capture_output=True, text=True, check=False)
            if made.returncode:
                raise AssertionError(f"openssl could not make a test certificate: {made.stderr}")
            # Global TLS settings belong before the first database.
            config = config.replace("database mdb", TLS_CONFIG.format(dir=self.dir) + "database mdb")
        self.config.write_text(config)
        (self.dir / "people.ldif").write_text("\n".join(sample.ldif(people)))
        for tool in (SLAPD, SLAPADD):
            if not shutil.which(tool):
                raise AssertionError(f"{tool} is missing: apt-get install slapd ldap-utils")
        loaded = subprocess.run([SLAPADD, "-q", "-f", str(self.config), "-l", str(self.dir / "people.ldif")],
                                capture_output=True, text=True, check=False)
        if loaded.returncode:
            raise AssertionError(f"slapadd failed: {loaded.stderr}")

    @property
    def url(self) -> str:
        return f"ldap://{self.host}:{self.port}"

    @property
    def ldaps_url(self) -> str:
        return f"ldaps://127.0.0.1:{self.tls_port}"

    @property
    def certificate(self) -> str:
        return str(self.dir / "cert.pem")

    def start(self, timeout: float = 10.0) -> None:
        urls = f"{self.url} {self.ldaps_url}" if self.tls_port else self.url
        self.process = subprocess.Popen(
            [SLAPD, "-h", urls, "-f", str(self.config), "-d", "0"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"slapd exited: {self.process.stdout.read()}")
            try:
                socket.create_connection((self.host, self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise AssertionError("slapd did not listen within 10 s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def modify(self, ldif: str) -> None:
        """Apply an LDIF change with ldapmodify, as an administrator would."""
        done = subprocess.run(
            ["ldapmodify", "-x", "-H", self.url, "-D", ROOT_DN, "-w", ROOT_PASSWORD],
            input=ldif, capture_output=True, text=True, check=False)
        if done.returncode:
            raise AssertionError(f"ldapmodify failed: {done.stderr}")
