"""What the retention job deletes and pseudonymises: pure, from the moment and the YAML's periods.

Two clocks, as the data is stamped: call records and the audit log carry epoch seconds from
Asterisk's own time; recordings, call-back notes and forwards carry the service's (local) clock.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass

from bereik.config.model import Config
from bereik.console.recordings import Recording

DAY = 86400.0
# A pseudonym is never a dialable number, so nothing mistakes it for one (or pseudonymises it twice).
PSEUDONYM_PREFIX = "anon-"


@dataclass(frozen=True)
class Cutoffs:
    """Everything stamped before these moments goes."""

    calls: float  # epoch: call records (and their steps) that started before
    pseudonymise: float | None  # epoch: caller numbers of calls that started before; None: never
    audit: float  # epoch: audit log entries
    recordings: dt.datetime  # local wall time, as in a recording's file name
    notes: dt.datetime  # call-back notes handled, or due and never handled, before
    forwards: dt.datetime  # absence forwards that ended before


def cutoffs(config: Config, epoch_now: float, local_now: dt.datetime) -> Cutoffs:
    privacy = config.privacy
    after = privacy.pseudonymise_after_days
    return Cutoffs(
        calls=epoch_now - config.records.retention_days * DAY,
        pseudonymise=None if after is None else epoch_now - after * DAY,
        audit=epoch_now - privacy.audit_retention_days * DAY,
        recordings=(local_now - dt.timedelta(days=config.console.recording_retention_days)).replace(tzinfo=None),
        notes=local_now - dt.timedelta(days=privacy.callback_note_retention_days),
        forwards=local_now - dt.timedelta(days=privacy.forwarding_retention_days),
    )


def expired_recordings(stored: Iterable[Recording], before: dt.datetime) -> list[Recording]:
    return [recording for recording in stored if recording.started < before]


def pseudonym(key: bytes, number: str) -> str:
    """The same number always gives the same pseudonym under one key; without the key, no way back.
    An empty number (caller ID withheld) stays empty, a pseudonym stays itself."""
    if not number or number.startswith(PSEUDONYM_PREFIX):
        return number
    return PSEUDONYM_PREFIX + hmac.new(key, number.encode(), hashlib.sha256).hexdigest()[:20]
