"""A FreeSWITCH channel as the event socket documents it, for bereik's outbound ESL server.

FreeSWITCH's `socket` application connects to the server and then speaks the event socket
protocol (freeswitch.org, "mod_event_socket", outbound mode): bereik sends `connect` and gets
the channel's data as a command/reply; `filter`, `event plain ...` and `linger` are answered
with +OK; every `sendmsg` with call-command: execute is acknowledged with a command/reply
+OK and, once the application has run, followed by a CHANNEL_EXECUTE_COMPLETE event
(text/event-plain, values URL-encoded) carrying the Event-UUID of the sendmsg as
Application-UUID. play_and_get_digits leaves the digit in its variable, which that event
carries as variable_<name>.

After bereik's `transfer` the call goes on in FreeSWITCH: the fake sends what the caller's channel
would report on the socket (`story`: e.g. mod_callcenter's CUSTOM callcenter::info events, which
carry the channel's data and variables), then CHANNEL_HANGUP_COMPLETE, a disconnect-notice
(Content-Disposition: linger, as FreeSWITCH sends after the hang-up of a lingering socket) and
closes the socket.
"""
from __future__ import annotations

import asyncio
import time
from urllib.parse import quote

UUID = "6f9c1c2e-3a1b-4a7e-9a51-1e5b0c0ffee1"


class FakeFreeswitch:
    def __init__(self, keys: list[str | None] | None = None, destination: str = "14023",
                 caller: str = "0612345678", started: float | None = None, story: list[dict[str, str]] = (),
                 hangup_at: float | None = None, uuid: str = UUID):
        """`started`: when the call entered (epoch seconds); `story`: the events after the transfer
        (Event-Date-Timestamp in microseconds, as FreeSWITCH sends it); `hangup_at`: when it ended."""
        self.keys = list(keys or [])
        self.destination = destination
        self.caller = caller
        self.started = time.time() if started is None else started
        self.story = list(story)
        self.hangup_at = hangup_at
        self.uuid = uuid
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
            channel = {**self._channel(), "Caller-Destination-Number": self.destination,
                       "Caller-Caller-ID-Number": self.caller,
                       # The dialplan answers before the socket: created and answered, in microseconds.
                       "Caller-Channel-Created-Time": str(int(self.started * 1e6)),
                       "Caller-Channel-Answered-Time": str(int((self.started + 0.1) * 1e6)),
                       "variable_bereik_reason": "failopen"}
            await self._send(writer, "Content-Type: command/reply\nReply-Text: +OK\n"
                             + "".join(f"{k}: {quote(v)}\n" for k, v in channel.items()))
        elif first.startswith(("filter", "event", "linger", "myevents")):
            await self._send(writer, "Content-Type: command/reply\nReply-Text: +OK\n")
        elif first.startswith("sendmsg") and headers.get("call-command") == "execute":
            application, argument = headers["execute-app-name"], headers.get("execute-app-arg", "")
            self.executed.append((application, argument))
            await self._send(writer, "Content-Type: command/reply\nReply-Text: +OK\n")
            complete = {"Event-Name": "CHANNEL_EXECUTE_COMPLETE", "Unique-ID": self.uuid, "Application": application,
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
            if application == "transfer":
                await self._go_on(writer)
        else:
            await self._send(writer, "Content-Type: command/reply\nReply-Text: -ERR command not found\n")

    def _channel(self) -> dict[str, str]:
        return {"Channel-Name": f"sofia/external/{self.caller}@127.0.0.1", "Unique-ID": self.uuid,
                "Channel-Unique-ID": self.uuid, "Caller-Caller-ID-Number": self.caller,
                **{f"variable_{name}": value for name, value in self.variables.items()}}

    async def _go_on(self, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(0.05)  # the call goes on in FreeSWITCH for a while, not within the same instant
        for event in self.story:
            await self._event(writer, {**self._channel(), **event})
        ended = self.hangup_at if self.hangup_at is not None else time.time()
        await self._event(writer, {**self._channel(), "Event-Name": "CHANNEL_HANGUP_COMPLETE",
                                   "Event-Date-Timestamp": str(int(ended * 1e6)), "Hangup-Cause": "NORMAL_CLEARING"})
        await self._send(writer, "Content-Type: text/disconnect-notice\nContent-Disposition: linger\n")
        writer.write_eof()  # the linger is over; call() returns once bereik has closed its side too

    @staticmethod
    async def _send(writer: asyncio.StreamWriter, headers: str) -> None:
        writer.write(headers.encode() + b"\n")
        await writer.drain()

    @staticmethod
    async def _event(writer: asyncio.StreamWriter, event: dict[str, str]) -> None:
        body = "".join(f"{k}: {quote(v)}\n" for k, v in event.items()) + "\n"
        writer.write(f"Content-Length: {len(body.encode())}\nContent-Type: text/event-plain\n\n{body}".encode())
        await writer.drain()
