"""Safe reload: a changed YAML is checked, written for Asterisk, reloaded there, then used for new calls.

The order is what makes it safe. Nothing changes until the new YAML has passed
every check and the Asterisk configuration has been generated from it. Only
the files whose generated text changed are written, each to a temporary file
renamed over the old one (a reader sees the old file or the new, never half),
and only then is Asterisk asked to re-read them. If anything fails on the way,
the files written so far are put back and re-read, and bereik keeps routing
with the old configuration. Calls in progress are never touched: FastAGI
picks a handler per connection, so only calls that arrive after the swap meet
the new configuration.

Asterisk's AMI `Reload` action needs the `config` or `system` class
(main/manager.c registers it with EVENT_FLAG_CONFIG | EVENT_FLAG_SYSTEM), which
bereik's AMI user must not have. `QueueReload` needs no class, so queues are
reloaded over bereik's own AMI connection; every other module is reloaded by
a command the administrator configures (e.g. a sudo rule that allows exactly
`asterisk -rx "module reload <module>"` for the modules listed here).
"""
from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import signal
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bereik import audit
from bereik.admin.diff import changes
from bereik.config import ConfigError, load_config
from bereik.config.model import Config
from bereik.pbx import dialplan
from bereik.pbx.ami import AmiClient, AmiError
from bereik.secrets import Secrets

log = logging.getLogger(__name__)

# Generated file -> the Asterisk module that re-reads it (`module reload <module>`).
MODULES = {
    "extensions.conf": "pbx_config.so",
    "pjsip.conf": "res_pjsip.so",
    "features.conf": "features",
    "musiconhold.conf": "res_musiconhold.so",
    "rtp.conf": "res_rtp_asterisk.so",
    "cel.conf": "cel",
    "cel_custom.conf": "cel_custom.so",
    "logger.conf": "logger",
    "manager.conf": "manager",
}
QUEUE_FILES = {"queues.conf", "queuerules.conf"}  # AMI QueueReload, no class needed
# Read only when Asterisk starts (indications.conf's country among them).
RESTART_FILES = {"modules.conf", "indications.conf"}
# Sections read once when `bereik run` starts, by parts that live as long as the process.
RESTART_SECTIONS = ("pbx", "records", "wallboard", "console", "waiting", "reports", "presence")
COMMAND_TIMEOUT = 15.0
SECRET_FILES = ("manager.conf", "pjsip.conf")  # as `bereik dialplan` writes them: mode 600


class ReloadError(Exception):
    pass


@dataclass
class Outcome:
    applied: bool
    problems: list[str] = field(default_factory=list)
    changed_files: list[str] = field(default_factory=list)
    reloaded: list[str] = field(default_factory=list)
    restart_needed: list[str] = field(default_factory=list)


class Reloader:
    """Applies a changed YAML to Asterisk and to bereik, or leaves everything as it was."""

    def __init__(self, path: Path, config: Config, secrets: Secrets, use: Callable[[Config], None], *,
                 asterisk_dir: Path | None = None, reload_command: Sequence[str] | None = None,
                 ami: AmiClient | None = None, audit_log: audit.AuditLog | None = None):
        """`use(config)`: hands the new configuration to bereik for new calls; `asterisk_dir`: where
        Asterisk reads bereik's .conf files (None: bereik alone); `reload_command`: argv with {module};
        `audit_log`: where every reload, applied or refused, is written."""
        self.audit_log = audit_log
        self.path = Path(path)
        self.config = config
        self.secrets = secrets
        self.use = use
        self.asterisk_dir = asterisk_dir
        self.reload_command = list(reload_command or [])
        self.ami = ami
        self._lock = asyncio.Lock()
        self._pending: set[asyncio.Task] = set()
        self.last: Outcome | None = None
        self._seen = self._fingerprint()

    def follow(self, interval: float = 1.0) -> None:
        """Reload on SIGHUP and whenever the file changes, until stop()."""
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGHUP, lambda: self._keep(asyncio.ensure_future(self.reload("SIGHUP"))))
        self._keep(asyncio.create_task(self.watch(interval)))

    def _keep(self, task: asyncio.Task) -> None:
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    def stop(self) -> None:
        asyncio.get_running_loop().remove_signal_handler(signal.SIGHUP)
        for task in self._pending:
            task.cancel()

    async def watch(self, interval: float = 1.0) -> None:
        """Reload whenever the file's content changes; an editor's write-and-rename is seen too."""
        while True:
            await asyncio.sleep(interval)
            if self._fingerprint() != self._seen:
                await self.reload("file changed")

    async def reload(self, trigger: str = "") -> Outcome:
        """`trigger`: what asked for it, for the audit log (a signal carries no sender)."""
        async with self._lock:
            self._seen = self._fingerprint()
            outcome = self.last = await self._reload()
        if outcome.applied:
            log.info("configuration reloaded from %s: %d file(s) for Asterisk, reloaded %s",
                     self.path, len(outcome.changed_files), ", ".join(outcome.reloaded) or "nothing")
            for needed in outcome.restart_needed:
                log.warning("takes effect after a restart: %s", needed)
        else:
            for problem in outcome.problems:
                log.error("reload refused, the running configuration stays in force: %s", problem)
        if self.audit_log is not None:
            await self.audit_log.add_or_warn(
                "bereik", audit.CONFIG_RELOADED if outcome.applied else audit.CONFIG_REFUSED, str(self.path),
                trigger, files=len(outcome.changed_files), problems=len(outcome.problems))
        return outcome

    async def _reload(self) -> Outcome:
        try:
            new = load_config(self.path).for_server(self.config.pbx.server)
        except ConfigError as error:
            return Outcome(False, [str(p) for p in error.problems])
        except ValueError as error:  # this server left pbx.servers
            return Outcome(False, [f"{self.path}: {error}"])
        try:
            old_files = dialplan.generate(self.config, self.secrets, source=str(self.path))
            new_files = dialplan.generate(new, self.secrets, source=str(self.path))
        except Exception as error:  # a generator bug must not cost the running configuration
            return Outcome(False, [f"{self.path}: the Asterisk configuration could not be generated: {error}"])
        changed = {name: text for name, text in new_files.items() if old_files.get(name) != text}
        outcome = Outcome(True, changed_files=sorted(changed))
        outcome.restart_needed = [f"Asterisk: {name}" for name in sorted(changed) if name in RESTART_FILES]
        outcome.restart_needed += [f"bereik: the {section}: section" for section in RESTART_SECTIONS
                                   if getattr(self.config, section) != getattr(new, section)]
        if self.asterisk_dir is not None and changed:
            previous = {name: old_files.get(name) for name in changed}
            try:
                write_atomically(self.asterisk_dir, changed)
                outcome.reloaded = await self._reload_asterisk(changed)
            except (OSError, ReloadError, AmiError) as error:
                await self._restore(previous)
                return Outcome(False, [f"{self.path}: Asterisk did not take the new configuration ({error}); "
                                       "the old files are back in place"])
        for change in changes(self.config, new):
            log.info("change: %s", change.text)
        self.config = new
        self.use(new)
        return outcome

    async def _reload_asterisk(self, changed: dict[str, str]) -> list[str]:
        reloaded = []
        if QUEUE_FILES & set(changed):
            if self.ami is None:
                raise ReloadError("queues changed but bereik has no AMI connection to reload them")
            await self.ami.action("QueueReload", timeout=COMMAND_TIMEOUT)  # members, rules and parameters
            reloaded.append("app_queue")
        for module in dict.fromkeys(MODULES[name] for name in sorted(changed) if name in MODULES):
            if not self.reload_command:
                raise ReloadError(f"{module} must be reloaded, but no reload command is configured "
                                  "(bereik run --reload-command)")
            await run_reload_command(self.reload_command, module)
            reloaded.append(module)
        return reloaded

    async def _restore(self, previous: dict[str, str | None]) -> None:
        try:
            write_atomically(self.asterisk_dir, {n: t for n, t in previous.items() if t is not None})
            await self._reload_asterisk({n: t for n, t in previous.items() if t is not None})
        except (OSError, ReloadError, AmiError) as error:
            log.error("restoring the previous Asterisk configuration failed too: %s", error)

    def _fingerprint(self) -> str | None:
        try:
            return hashlib.sha256(self.path.read_bytes()).hexdigest()
        except OSError:
            return None


def write_atomically(directory: Path, files: dict[str, str]) -> None:
    """Each file to a temporary file in the same directory, then renamed over the old one."""
    for name, text in files.items():
        target = directory / name
        handle, temporary = tempfile.mkstemp(prefix=f".{name}.", dir=directory)
        try:
            with os.fdopen(handle, "w") as out:
                out.write(text)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(temporary, 0o600 if name in SECRET_FILES else 0o644)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise


async def run_reload_command(command: Sequence[str], module: str) -> str:
    if module not in MODULES.values():
        raise ReloadError(f"refusing to reload {module!r}: not one of bereik's modules")
    argv = [part.format(module=module) for part in command]
    process = await asyncio.create_subprocess_exec(*argv, stdout=asyncio.subprocess.PIPE,
                                                   stderr=asyncio.subprocess.STDOUT)
    try:
        output, _ = await asyncio.wait_for(process.communicate(), COMMAND_TIMEOUT)
    except TimeoutError:
        process.kill()
        raise ReloadError(f"{argv[0]} did not finish within {COMMAND_TIMEOUT:.0f} s") from None
    text = output.decode(errors="replace").strip()
    # `asterisk -rx` exits 0 even when the module is unknown; its words say so.
    if process.returncode != 0 or any(word in text.lower() for word in ("not found", "failed", "unable")):
        raise ReloadError(f"reloading {module}: {text or f'exit status {process.returncode}'}")
    return text
