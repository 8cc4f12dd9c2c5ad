"""A FreeSWITCH channel as the event socket documents it, for bereik's outbound ESL server.

FreeSWITCH's `socket` application connects to the server and then speaks the event socket
protocol (freeswitch.org, "mod_event_socket", outbound mode): bereik sends `connect` and gets
the channel's data as a command/reply; `filter`, `event plain ...` and `linger` are answered
with +OK; every `sendmsg` with call-command: execute is acknowledged with a command/reply
+OK and, once the application has run, followed by a CHANNEL_EXECUTE_COMPLETE event
(text/event-plain, values URL-encoded) carrying the Event-UUID of the sendmsg as
Application-UUID. play_and_get_digits leaves the digit in its variable, which that event
carries as variable_<name>.
"""
from __future__ import annotations

import asyncio
from urllib.parse import quote

UUID = "6f9c1c2e-3a1b-4a7e-9a51-1e5b0c0ffee1"


class FakeFreeswitch:
    def __init__(self, keys: list[str | None] | None = None, destination: str = "14023",
                 caller: str = "0612345678"):
        self.keys = list(keys or [])
        self.destination = destination
        self.caller = caller
        self.commands: list[dict[str, str]] = []  # every block bereik sent, as headers
        self.executed: list[tuple[str, str]] = []  # (application, argument)
        self.variables: dict[str, str] = {}

    async def call(self, port: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while True:
                try:
                    block = await asyncio.wait_for(reader.readuntil(b"\n\n"), 10)
                except asyncio.IncompleteReadError:
                    break
                await self._answer(block.decode(), writer)
        finally:
            writer.close()

    async def _answer(self, block: str, writer: asyncio.StreamWriter) -> None:
        first, *rest = block.strip("\n").split("\n")
        headers = dict(line.split(": ", 1) for line in rest if ": " in line)
        self.commands.append({"command": first, **headers})
        if first == "connect":
            channel = {"Channel-Name": f"sofia/external/{self.caller}@127.0.0.1", "Unique-ID": UUID,
                       "Channel-Unique-ID": UUID, "Caller-Destination-Number": self.destination,
                       "Caller-Caller-ID-Number": self.caller, "variable_bereik_reason": "failopen"}
            await self._send(writer, "Content-Type: command/reply\nReply-Text: +OK\n"
                             + "".join(f"{k}: {quote(v)}\n" for k, v in channel.items()))
        elif first.startswith(("filter", "event", "linger", "myevents")):
            await self._send(writer, "Content-Type: command/reply\nReply-Text: +OK\n")
        elif first.startswith("sendmsg") and headers.get("call-command") == "execute":
            application, argument = headers["execute-app-name"], headers.get("execute-app-arg", "")
            self.executed.append((application, argument))
            await self._send(writer, "Content-Type: command/reply\nReply-Text: +OK\n")
            complete = {"Event-Name": "CHANNEL_EXECUTE_COMPLETE", "Unique-ID": UUID, "Application": application,
                        "Application-Data": argument, "Application-UUID": headers["Event-UUID"]}
            if application == "set":
                name, value = argument.split("=", 1)
                self.variables[name] = value
            elif application == "play_and_get_digits":
                key = self.keys.pop(0) if self.keys else None
                name = argument.split(" ")[7]
                self.variables[name] = key or ""
                if key:
                    complete[f"variable_{name}"] = key
            await self._event(writer, complete)
        else:
            await self._send(writer, "Content-Type: command/reply\nReply-Text: -ERR command not found\n")

    @staticmethod
    async def _send(writer: asyncio.StreamWriter, headers: str) -> None:
        writer.write(headers.encode() + b"\n")
        await writer.drain()

    @staticmethod
    async def _event(writer: asyncio.StreamWriter, event: dict[str, str]) -> None:
        body = "".join(f"{k}: {quote(v)}\n" for k, v in event.items()) + "\n"
        writer.write(f"Content-Length: {len(body.encode())}\nContent-Type: text/event-plain\n\n{body}".encode())
        await writer.drain()
