"""https for the console and the wallboard port, with a certificate that may be renewed while bereik runs.

The YAML names a PEM certificate (chain) and key (console.tls_certificate, tls_key). bereik checks their
modification times every few seconds and loads a changed pair into the same SSL context, which every
new connection then uses: a renewed certificate (certbot, the municipality's own CA) needs no restart.
A pair that cannot be loaded (half written, key and certificate apart) leaves the old one in use.
"""
from __future__ import annotations

import asyncio
import logging
import ssl
from pathlib import Path

log = logging.getLogger(__name__)


class ReloadingTls:
    def __init__(self, certificate: str | Path, key: str | Path):
        self.certificate, self.key = Path(certificate), Path(key)
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.context.minimum_version = ssl.TLSVersion.TLSv1_2
        self._stamp = self._read_stamp()
        self.context.load_cert_chain(self.certificate, self.key)  # at start a bad pair stops bereik
        self._task: asyncio.Task | None = None

    def _read_stamp(self) -> tuple[int, int]:
        return self.certificate.stat().st_mtime_ns, self.key.stat().st_mtime_ns

    def reload_if_changed(self) -> bool:
        """Load the pair again if either file changed; True when a new pair is in use."""
        try:
            stamp = self._read_stamp()
        except OSError as problem:
            log.error("TLS certificate or key unreadable (%s); the one loaded before stays in use", problem)
            return False
        if stamp == self._stamp:
            return False
        try:
            self.context.load_cert_chain(self.certificate, self.key)
        except (OSError, ssl.SSLError) as problem:
            log.error("the changed TLS certificate and key do not load (%s); the one loaded before stays in use "
                      "until they do", problem)
            return False
        self._stamp = stamp
        log.info("TLS certificate %s loaded again; new connections use it", self.certificate)
        return True

    def follow(self, interval: float = 2.0) -> None:
        async def watch() -> None:
            while True:
                await asyncio.sleep(interval)
                self.reload_if_changed()
        self._task = asyncio.ensure_future(watch())

    def stop(self) -> None:
        if self._task:
            self._task.cancel()
