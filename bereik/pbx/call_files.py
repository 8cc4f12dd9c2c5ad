"""Calls bereik starts itself (call-backs, waiting callers' companions), as Asterisk call files.

bereik's AMI user may not start calls (Originate can ring any channel, the trunk included), so bereik
writes a call file into Asterisk's outgoing spool (pbx.call_files; bereik runs beside its Asterisk, as
it reads its CEL log). Each file starts a Local channel in one of bereik's own contexts (bereik-callback-*,
bereik-whisper), never a phone or the trunk directly: what is rung, and which number, is decided there and
by bereik over FastAGI. The file is written beside the spool and renamed into it, so Asterisk never reads
half a file.
"""
from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path

from bereik.pbx.dialplan import CALLBACK_PREFIX, WHISPER_CONTEXT

_SAFE = re.compile(r"^[A-Za-z0-9_+.@/()-]*$")
_UNIQUEID = re.compile(r"^[0-9]+\.[0-9]+$")
_CHANNEL = re.compile(r"^[A-Za-z0-9_+.@/;-]+$")  # no comma: ChanSpy's options follow one


class CallFileError(RuntimeError):
    pass


class CallFiles:
    def __init__(self, spool: str | Path):
        self.spool = Path(spool)

    def start(self, name: str, local: str, context: str, exten: str, variables: Mapping[str, str],
              wait_seconds: int, caller_id: tuple[str, str] = ("", "")) -> Path:
        """Start `Local/<local>` (a bereik-callback-* context); once it answers it continues at `context`,
        `exten`. `name`: unique per call (the file's name). `caller_id`: (name, number) the first phone shows."""
        exten_at, _, local_context = local.partition("@")
        if not (local_context.startswith(CALLBACK_PREFIX) and context.startswith(CALLBACK_PREFIX)):
            raise CallFileError("bereik starts calls only in its own call-back contexts")
        values = [name, exten_at, local_context, context, exten, *variables, *variables.values(), caller_id[1]]
        if not all(_SAFE.match(str(value)) for value in values) or not _SAFE.match(caller_id[0].replace(" ", "")):
            raise CallFileError("a call file takes letters, digits and a few signs only")
        lines = [f"Channel: Local/{local}", f"Context: {context}", f"Extension: {exten}", "Priority: 1",
                 f"WaitTime: {int(wait_seconds)}", "MaxRetries: 0", "Archive: no"]
        if caller_id[1]:
            lines.append(f'CallerID: "{caller_id[0]}" <{caller_id[1]}>')
        lines += [f"Setvar: {key}={value}" for key, value in variables.items()]
        return self._write(f"bereik-{name}.call", lines)

    def companion(self, uniqueid: str, channel: str) -> Path:
        """Start the companion of the caller waiting on `channel` (bereik.pbx.whisper): it spies on the caller in
        whisper mode, its other half asks bereik what to play."""
        if not (_UNIQUEID.match(uniqueid) and _CHANNEL.match(channel)):
            raise CallFileError("a companion takes a caller's uniqueid and channel name only")
        return self._write(f"bereik-whisper-{uniqueid}.call", [
            f"Channel: Local/{uniqueid}@{WHISPER_CONTEXT}", "Application: ChanSpy", f"Data: {channel},qwES",
            "WaitTime: 5", "MaxRetries: 0", "Archive: no"])

    def _write(self, name: str, lines: list[str]) -> Path:
        self.spool.mkdir(parents=True, exist_ok=True)
        target = self.spool / name
        # Written in the spool's parent (the same file system) and renamed in: Asterisk takes it whole.
        handle, partial = tempfile.mkstemp(prefix=".bereik-", suffix=".call", dir=self.spool.parent)
        try:
            with os.fdopen(handle, "w") as out:
                out.write("\n".join(lines) + "\n")
            os.chmod(partial, 0o640)
            os.replace(partial, target)
        except OSError as error:
            Path(partial).unlink(missing_ok=True)
            raise CallFileError(f"could not write a call file into {self.spool}: {error}") from error
        return target
