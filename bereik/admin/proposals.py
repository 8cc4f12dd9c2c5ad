"""A change to the YAML made on the coordinator's screen: proposed, shown, applied, accounted for.

The same path as a change by hand, step by step: the edit is made to the file's text (comments and
order kept, bereik.admin.edit), checked as `bereik check` checks (errors refuse it, warnings are
shown), described as `bereik diff` describes it, and only on "apply" written to disk and handed to
the safe reload (bereik.admin.reload), which keeps the running configuration if anything fails.
The audit log says who applied it and why.

A proposal remembers the file it was made from. If the file changed since (an administrator edited
it by hand, or another coordinator applied a change), the proposal is refused, never written over
the other change: the coordinator sees the file as it is now and makes the change again.
"""
from __future__ import annotations

import asyncio
import hashlib
import os
import secrets
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bereik import audit
from bereik.admin.diff import Change, changes
from bereik.admin.edit import Edit, edited
from bereik.config.load import Checked, ConfigError, Problem, check_text

PROPOSAL_MINUTES = 60  # an unapplied proposal is forgotten after this
AUDIT_CHANGES_LENGTH = 2000  # the changes as the audit entry keeps them


@dataclass
class Proposal:
    id: str
    by: str
    base: str  # fingerprint of the file text it was made from
    old_text: str
    text: str
    changes: list[Change]
    problems: list[Problem]  # errors: it cannot be applied
    warnings: list[Problem]
    made_at: float

    @property
    def applicable(self) -> bool:
        return not self.problems and bool(self.changes)


@dataclass
class Applied:
    applied: bool
    conflict: bool = False
    problems: list[str] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)


def fingerprint(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class ConfigEditor:
    def __init__(self, path: Path, reloader, audit_log: audit.AuditLog | None, language: str = "nl",
                 now: Callable[[], float] = time.time):
        """`reloader`: the running bereik's safe reload (None: the file alone is changed, e.g. no bereik run)."""
        self.path = Path(path)
        self.reloader = reloader
        self.audit = audit_log
        self.language = language
        self.now = now
        self._proposals: dict[str, Proposal] = {}
        self._lock = asyncio.Lock()

    def read(self) -> str:
        return self.path.read_text(encoding="utf-8")

    def current(self) -> Checked:
        """The file as it is now; ConfigError when it is broken (then nothing can be changed on the screen)."""
        return check_text(self.read(), self.path.name)

    def propose(self, by: str, *edits: Edit) -> Proposal:
        """The change as a proposal; EditError when it cannot be made to this file at all."""
        old_text = self.read()
        old = check_text(old_text, self.path.name).config
        text = edited(old_text, *edits)
        try:
            checked = check_text(text, self.path.name)
            found, problems, warnings = changes(old, checked.config, self.language), [], checked.warnings
        except ConfigError as error:
            found, problems, warnings = [], error.problems, []
        self._forget_old()
        proposal = Proposal(secrets.token_urlsafe(16), by, fingerprint(old_text), old_text, text, found, problems,
                            warnings, self.now())
        self._proposals[proposal.id] = proposal
        return proposal

    def proposal(self, proposal_id: str, by: str) -> Proposal | None:
        proposal = self._proposals.get(proposal_id)
        return proposal if proposal is not None and proposal.by == by else None

    def drop(self, proposal_id: str, by: str) -> None:
        if self.proposal(proposal_id, by) is not None:
            del self._proposals[proposal_id]

    async def apply(self, proposal_id: str, by: str, why: str, source: str = "console") -> Applied:
        proposal = self.proposal(proposal_id, by)
        if proposal is None or not proposal.applicable:
            return Applied(False, problems=["this change is not there any more, or cannot be applied"])
        async with self._lock:
            if fingerprint(self.read()) != proposal.base:
                del self._proposals[proposal_id]
                return Applied(False, conflict=True)
            mode = self.path.stat().st_mode & 0o777
            _write(self.path, proposal.text, mode)
            outcome = await self.reloader.reload(f"{source} {by}: {why}") if self.reloader else None
            if outcome is not None and not outcome.applied:
                if fingerprint(self.read()) == fingerprint(proposal.text):
                    _write(self.path, proposal.old_text, mode)  # disk and the running bereik agree again
                    await self.reloader.reload(f"{source} {by}: change not applied, file restored")
                return Applied(False, problems=list(outcome.problems))
            del self._proposals[proposal_id]
        summary = "; ".join(change.text for change in proposal.changes)
        if self.audit is not None:
            await self.audit.add_or_warn(by, audit.CONFIG_CHANGED, self.path.name, source, why=why,
                                         changes=summary[:AUDIT_CHANGES_LENGTH])
        return Applied(True, changes=proposal.changes)

    def _forget_old(self) -> None:
        limit = self.now() - PROPOSAL_MINUTES * 60
        for key in [k for k, p in self._proposals.items() if p.made_at < limit]:
            del self._proposals[key]


def _write(path: Path, text: str, mode: int) -> None:
    """Whole or not at all: bereik's file watcher and an editor never see half a file."""
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
