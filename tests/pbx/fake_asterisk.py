"""A FastAGI client that behaves like Asterisk: sends the environment, answers commands.

Used to test bereik's handlers over a real socket without a PBX. Replies
follow res_agi's: `200 result=1 (value)` for GET VARIABLE, `200 result=0`
for EXEC, `HANGUP` when the caller has gone. A subclass may reply with raw
bytes, and set `silent` to half-close the line: Asterisk then answers nothing
more, and every further command bereik sends is still recorded.
"""
from __future__ import annotations

import asyncio
import shlex

from bereik.pbx.agi import AgiServer
from tests.polling import until


class FakeAsterisk:
    def __init__(self, keys: list[str | None] | None = None, caller_name: str = "Jan Jansen",
                 caller_number: str = "0612345678", hang_up_after: int | None = None):
        self.keys = list(keys or [])
        self.caller_name = caller_name
        self.caller_number = caller_number
        self.hang_up_after = hang_up_after
        self.commands: list[list[str]] = []
        self.raw_commands: list[str] = []
        self.variables: dict[str, str] = {}
        self.silent = False

    def environment(self, script: str) -> bytes:
        lines = {
            "agi_network": "yes",
            "agi_network_script": script,
            "agi_request": f"agi://127.0.0.1/{script}",
            "agi_channel": "PJSIP/trunk-00000001",
            "agi_language": "nl",
            "agi_uniqueid": "1700000000.1",
            "agi_callerid": self.caller_number,
            "agi_calleridname": self.caller_name,
            "agi_context": "bereik-entry",
            "agi_extension": "14023",
            "agi_priority": "14",
        }
        return "".join(f"{k}: {v}\n" for k, v in lines.items()).encode() + b"\n"

    async def call(self, server: AgiServer, script: str = "entry") -> None:
        """One call to bereik's `server`, until bereik ended its session (it may read Asterisk's last replies and
        write the call's log line after Asterisk has moved on)."""
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(self.environment(script))
        await writer.drain()
        while True:
            try:
                line = await reader.readline()
            except ConnectionResetError:
                break
            if not line:
                break
            command = line.decode().rstrip("\n")
            self.raw_commands.append(command)
            words = shlex.split(command)
            self.commands.append(words)
            if self.silent:
                continue
            if self.hang_up_after is not None and len(self.commands) > self.hang_up_after:
                writer.write(b"HANGUP\n")
                await writer.drain()
                continue
            reply = self._reply(words)
            writer.write(reply if isinstance(reply, bytes) else reply.encode())
            await writer.drain()
            if self.silent:
                writer.write_eof()
        if held := self.at_the_end():
            writer.write(held)
        writer.close()
        await until(lambda: server.active_sessions == 0, 10, "bereik to end its FastAGI session", step=0.005)

    def at_the_end(self) -> bytes:
        """What this Asterisk writes once bereik's side of the line has ended (a subclass's held replies)."""
        return b""

    def _reply(self, words: list[str]) -> str:
        verb = " ".join(words[:2]).upper()
        if verb == "SET VARIABLE":
            self.variables[words[2]] = words[3]
            return "200 result=1\n"
        if verb == "GET VARIABLE":
            value = self.variables.get(words[2])
            return "200 result=0\n" if value is None else f"200 result=1 ({value})\n"
        if words[0].upper() == "EXEC":
            application, arguments = words[1], words[2].split(",")
            if application == "MSet":
                self.variables.update(a.split("=", 1) for a in arguments)
            if application == "Read":
                key = self.keys.pop(0) if self.keys else None
                self.variables[arguments[0]] = key or ""
            return "200 result=0\n"
        return "510 Invalid or unknown command\n"
