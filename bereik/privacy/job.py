"""The one retention job: run at start-up and every hour by `bereik run`, it deletes and pseudonymises
what the YAML's periods say (bereik.privacy.retention) and logs how many of each, nothing more."""
from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from bereik.callbacks.store import CallbackStore
from bereik.config.model import Config
from bereik.console import recordings
from bereik.forwarding.store import ForwardingStore
from bereik.privacy.retention import PSEUDONYM_PREFIX, cutoffs, expired_recordings, pseudonym
from bereik.records.store import CallStore
from bereik.secrets import PSEUDONYM_SECRET, SecretError, Secrets

log = logging.getLogger(__name__)

INTERVAL_SECONDS = 3600


def pseudonym_key(config: Config, secrets: Secrets) -> bytes | None:
    """The key for caller pseudonyms; None when the YAML turns pseudonymisation off. A missing or sample
    secret raises SecretError (`bereik run` refuses to start)."""
    if config.privacy.pseudonymise_after_days is None:
        return None
    return secrets.get(PSEUDONYM_SECRET).encode()


@dataclass
class RetentionJob:
    """`now`: epoch seconds, as the call records are stamped; `clock`: the service's local clock, as
    recordings, call-back notes and forwards are. A store that is None is not kept by this bereik."""

    config: Config
    calls: CallStore
    clock: Callable[[], dt.datetime]
    secrets: Secrets
    callbacks: CallbackStore | None = None
    forwarding: ForwardingStore | None = None
    recordings_dir: Path | None = None
    now: Callable[[], float] = time.time

    def run_once(self) -> dict[str, int]:
        """Delete and pseudonymise what is due; how many of each. A part that fails is logged and the
        others still run: one locked store must not keep the rest past its period."""
        due = cutoffs(self.config, self.now(), self.clock())
        parts: dict[str, Callable[[], int]] = {
            "calls": partial(self.calls.purge, due.calls),
            "audit": partial(self.calls.purge_audit, due.audit),
        }
        if due.pseudonymise is not None:
            parts["pseudonymised"] = partial(self._pseudonymise, due.pseudonymise)
        if self.callbacks is not None:
            parts["callback_notes"] = partial(self.callbacks.purge, due.notes)
        if self.forwarding is not None:
            parts["forwards"] = partial(self.forwarding.purge_ended, due.forwards)
        if self.recordings_dir is not None:
            parts["recordings"] = partial(self._delete_recordings, due.recordings)
        parts["shared_recordings"] = partial(self._delete_shared_recordings, due.recordings)
        counts: dict[str, int] = {}
        for name, part in parts.items():
            try:
                counts[name] = part()
            except (OSError, SecretError) as problem:
                log.error("retention: %s not done: %s", name, problem)
            except Exception:
                log.exception("retention: %s not done", name)
        log.info("retention: deleted or pseudonymised %s",
                 ", ".join(f"{name} {count}" for name, count in counts.items()))
        return counts

    async def run_periodically(self, interval: float = INTERVAL_SECONDS) -> None:
        while True:
            await asyncio.to_thread(self.run_once)
            await asyncio.sleep(interval)

    def _pseudonymise(self, before: float) -> int:
        # The key is read only when a number is due: `bereik run` has checked it at start already.
        return self.calls.pseudonymise(
            before, lambda number: pseudonym(pseudonym_key(self.config, self.secrets), number), PSEUDONYM_PREFIX)

    def _delete_shared_recordings(self, before: dt.datetime) -> int:
        """Several servers: the copies in the store (bereik.console.shared)."""
        stored = [r for r in (recordings.parse(name, size) for name, _, size in self.calls.recordings()) if r]
        expired = expired_recordings(stored, before)
        for recording in expired:
            self.calls.delete_recording(recording.name)
        return len(expired)

    def _delete_recordings(self, before: dt.datetime) -> int:
        expired = expired_recordings(recordings.stored(self.recordings_dir), before)
        for recording in expired:
            recordings.delete(self.recordings_dir, recording)
        return len(expired)
