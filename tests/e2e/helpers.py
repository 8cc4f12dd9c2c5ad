"""Small helpers the end-to-end tests share (importable: conftest puts this folder on sys.path)."""
from __future__ import annotations

import asyncio
import datetime as dt
import socket
import subprocess
import sys
import threading
import time
import weakref
from collections.abc import Callable
from pathlib import Path

from playwright.async_api import TimeoutError as PageTimeout

from bereik.config.model import Config, Records, Wallboard
from bereik.ivr.catalogue import spoken_texts, whispered_texts
from bereik.ivr.prompts import PromptLibrary
from bereik.pbx import dialplan
from bereik.pbx.ami import channel_variables
from bereik.sandbox import observer_section
from bereik.sandbox.cues import is_whisper  # noqa: F401 (the tests' name for it)
from bereik.sandbox.hours import always_open
from bereik.secrets import AMI_SECRET, PHONES_SECRET, Secrets

# A test-only AMI user that sees everything (bereik's own user cannot see dialplan events).
OBSERVER = ("observer", "observer-secret-for-tests-only")


def write_config_with_observer(config: Config, secrets: Secrets, directory: Path, source: str,
                               write: str = "call", hours_as_configured: bool = False) -> Path:
    """The configuration `bereik dialplan` writes, plus the observer AMI user with the `write` classes.

    Asterisk runs on the machine's clock while bereik runs on a test's pretend one, so unless the test is
    about the hours (`hours_as_configured`), the dialplan's own fail-open finds the office open whenever
    the test runs (bereik.routing.failopen)."""
    generated = dialplan.generate(config if hours_as_configured else always_open(config), secrets, source=source)
    dialplan.write(generated, directory)
    with open(directory / "manager.conf", "a") as manager:
        manager.write(observer_section(*OBSERVER, write=write))
    return directory


FRONT_OFFICE = ("201", "202", "203", "204")  # the TIC queue's positions in the example


def waiting_and_call_back_messages(text: str) -> bool:
    """The whispered messages for the first places, with the call-back offer and its words."""
    return text.startswith(("U bent", "Er is nog", "Er zijn nog", "Wij ", "zodra")) or " " not in text


class Clock:
    """The municipality's time, running from a moment the test moves."""

    def __init__(self, start: dt.datetime):
        self.set(start)

    def set(self, moment: dt.datetime) -> None:
        self.start, self.began = moment, time.monotonic()

    def __call__(self) -> dt.datetime:
        return self.start + dt.timedelta(seconds=time.monotonic() - self.began)


def generated_with_observer(config: Config, directory: Path, source: str) -> tuple[Path, Secrets]:
    """The generated configuration for a test that plays the agents (it pauses them: agent class)."""
    secrets = Secrets({AMI_SECRET: "e2e-" + "x" * 28, PHONES_SECRET: "phones-" + "p" * 26})
    return write_config_with_observer(config, secrets, directory, source, write="call,agent"), secrets


def render_prompts(instance, config: Config, whispered: Callable[[str], bool]) -> None:
    """Every spoken prompt, and the whispered messages the test hears (all 500 places take a minute;
    `bereik prompts` renders them all)."""
    PromptLibrary(instance.sounds_dir, config.language).ensure_all(spoken_texts(config))
    PromptLibrary(instance.sounds_dir, config.language, over_ring=True).ensure_all(
        text for text in whispered_texts(config) if whispered(text))


async def observe(instance, ami, paused: tuple[str, ...] = ()):
    """The observer's AMI events of `instance`, with the front-office positions `paused` paused."""
    instance.ami = instance.ami.__class__(instance.ami.port, *OBSERVER)
    events = await ami(instance)
    for extension in paused:
        await pause(events, extension, True)
    return events


class Actions:
    """A test's AMI connection (conftest's AmiRecorder) as bereik's AmiClient.action, for bereik code that takes one
    (bereik.pbx.warm_transfer): an action Asterisk refuses fails the test."""

    def __init__(self, recorder):
        self.recorder = recorder

    async def action(self, name: str, timeout: float | None = None, **headers: str) -> dict:
        reply = await self.recorder.send_action({"Action": name, **headers})
        assert reply.get("Response") == "Success", (name, headers, dict(reply))
        return reply


async def pause(events, extension: str, paused: bool) -> None:
    await events.send_action({"Action": "QueuePause", "Queue": "tic", "Interface": f"PJSIP/{extension}",
                              "Paused": "true" if paused else "false"})


def recorded(config: Config, instance, **changes) -> Config:
    """`config` as `bereik run` has it beside `instance`: the wallboard on a free port, Asterisk's CEL log read,
    its calls (call-backs, waiting callers' companions) started in Asterisk's spool."""
    cel = instance.root / "var/log/asterisk/cel-custom"
    cel.mkdir(parents=True, exist_ok=True)
    return config.model_copy(update={"wallboard": Wallboard(listen="127.0.0.1:0"),
                                     "records": Records(asterisk_cel=str(cel / "bereik.csv")),
                                     "pbx": config.pbx.model_copy(update={"call_files": str(instance.outgoing)}),
                                     **changes})


def short_prompts(document) -> None:
    """Shorter menu texts in a loaded YAML document (ruamel), for tests in which how long the menu speaks is not
    what is tested: a test that waits out a menu (a watchdog, a key never pressed) then waits seconds, not half
    a minute. Same keys and placeholders as the example's."""
    texts = document["texts"]
    texts["welcome"] = "Welkom bij {municipality}."
    if "municipality_choice" in texts:
        texts["municipality_choice"] = "Bloemendaal 1, Heemstede 2."
    texts["menu_intro"] = "Kies."
    for option in document["menu"]["options"]:
        option["text"] = f"Toets {option['key']}."


async def hang_up(instance) -> None:
    """Asterisk hangs up every call now that the test has seen what it asserts: each SIPp caller and desk phone
    then ends on Asterisk's BYE, which its scenario takes as a success (`succeeds` still proves the call
    was clean), instead of holding on for the rest of a talk time that nothing asserts."""
    await asyncio.to_thread(instance.hangup_all)


def variable(event: dict, name: str) -> str | None:
    """A channel variable carried in an AMI event (manager.conf channelvars), read as bereik reads it: also one
    of those joined in a single channelvar (bereik.pbx.variables.IN_AMI_EVENTS_FUNCTION)."""
    return channel_variables(event.get("ChanVariable", [])).get(name)


def from_outside(event: dict) -> bool:
    """Events of the caller's own channel (SIPp callers come in over the trunk)."""
    return event.get("Channel", "").startswith("PJSIP/trunk-")


async def ended_journey(store, call_id: str, timeout: float = 10.0):
    """The journey once the store has its hang-up (the recorder writes from its own thread)."""
    deadline = time.monotonic() + timeout
    while True:
        journey = await asyncio.to_thread(store.journey, call_id)
        if journey is not None and journey.ended:
            return journey
        if time.monotonic() > deadline:
            raise AssertionError(f"the store has no ended journey for the call; it has {journey}")
        await asyncio.sleep(0.2)


def kinds(journey) -> list[str]:
    return [step.what for step in journey.steps]


async def until(read, done, timeout: float = 10.0):
    """The value `read()` (in a thread) returns once `done(value)`, polled until `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = await asyncio.to_thread(read)
        if done(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached within {timeout} s: {value}")
        await asyncio.sleep(0.2)


class Cut:
    """A TCP relay between bereik and AMI that can fail like a network: every connection
    reset, new ones refused, until mended."""

    def __init__(self, port: int):
        self.port = port
        self.pairs: list[tuple[asyncio.StreamWriter, asyncio.StreamWriter]] = []
        self.server: asyncio.Server | None = None
        self.listen_port = 0

    async def mend(self) -> None:
        self.server = await asyncio.start_server(self._relay, "127.0.0.1", self.listen_port)
        self.listen_port = self.server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        self.server.close()
        await self.server.wait_closed()
        for a, b in self.pairs:
            for writer in (a, b):
                writer.transport.abort()
        self.pairs.clear()

    async def _relay(self, reader, writer):
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.port)
        self.pairs.append((writer, up_writer))

        async def pipe(source, sink):
            try:
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                sink.transport.abort()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))


def several_servers_yaml(example: Path, directory: Path, dsn: str, servers: dict[str, str],
                         waiting: str = "", more: str = "", outgoing: dict[str, Path] | None = None) -> Path:
    """`example` on several Asterisk servers (name -> address, each with SIP, AMI and FastAGI on the standard
    ports), its call records in the shared store `dsn`, its other files in `directory`; `waiting`: more lines
    for waiting:, `more`: more YAML; `outgoing`: each server's Asterisk spool (Asterisk.outgoing)."""
    spools = {name: f", call_files: '{path}'" for name, path in (outgoing or {}).items()}
    listed = "".join(f"\n    - {{name: {name}, sip_bind: '{ip}:5060', agi: '{ip}:4573', ami: '{ip}:5038'"
                     f"{spools.get(name, '')}}}" for name, ip in servers.items())
    text = example.read_text().replace("  trunk: 127.0.0.1:5080", "  trunk: 127.0.0.1:5080\n  servers:" + listed, 1)
    text = text.replace("back_office:\n", f"back_office:\n  forwarding_store: {directory / 'forwarding.sqlite3'}\n", 1)
    yaml = directory / "gemeente.yaml"
    yaml.write_text(text + f"""
records:
  store: {dsn}
  asterisk_cel: null
  spool: {directory / 'spool'}
wallboard:
  listen: 127.0.0.1:0
waiting:
  callback_store: {directory / 'callbacks.sqlite3'}
{waiting}{more}""")
    return yaml


def takes_fastagi(ip: str, port: int = 4573) -> bool:
    """Whether a bereik listens for FastAGI there."""
    with socket.socket() as probe:
        probe.settimeout(0.2)
        return probe.connect_ex((ip, port)) == 0


def bereik_run(yaml: Path, server: str, sounds: Path, secrets: Path, log: Path,
               pretend: str = "2026-11-23T10:00") -> subprocess.Popen:
    """`bereik run` for one of the YAML's servers, as a process of its own (a Monday morning: open). Its output
    goes to `log`, each line after the time it came: bereik's JSON lines carry none, and a failure's report
    (conftest.failure_report) is read beside the AMI events' times."""
    process = subprocess.Popen(
        [sys.executable, "-m", "bereik", "run", str(yaml), "--server", server, "--sounds", str(sounds),
         "--secrets", str(secrets), "--pretend-time", pretend],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    threading.Thread(target=_stamp_lines, args=(process.stdout, log), daemon=True).start()
    return process


def _stamp_lines(output, log: Path) -> None:
    with output, log.open("wb") as written:
        for line in output:
            now = time.time()
            written.write(f"{time.strftime('%H:%M:%S', time.localtime(now))}.{int(now * 1000) % 1000:03d} ".encode()
                          + line)
            written.flush()


def whispered_sound(event) -> str:
    """The sound (a&b&c) of such a Read."""
    return event["Command"].split('"')[3].split(",")[1]


def whisper_plays(events, caller) -> list[tuple[float, str]]:
    """(Asterisk's time, sound) of every message bereik played in the companion of `caller` (its
    QueueCallerJoin): the Local channel whose other half spies on the caller in whisper mode."""
    players = {e["SpyerChannel"].replace(";1", ";2") for e in events.matching("ChanSpyStart")
               if e.get("SpyeeChannel") == caller["Channel"]}
    return [(float(e["Timestamp"]), whispered_sound(e)) for e in events.matching(
        "AGIExecStart", lambda e: is_whisper(e) and e["Channel"] in players)]


class AmiTap:
    """The AMI of an Asterisk on another host (bereik.sandbox.netns), over a socket made on one of the test's
    hosts: every event in order, wait_for_event and send_action as the `ami` fixture's recorder has them."""

    def __init__(self, writer: asyncio.StreamWriter):
        self.writer = writer
        self.events: list[dict] = []
        self._arrived = asyncio.Condition()
        self._replies: dict[str, asyncio.Future] = {}
        self._ids = iter(range(1, 1_000_000))
        self._reading: asyncio.Task | None = None

    @classmethod
    async def connect(cls, hosts, host: str, address: str, port: int, user: str, secret: str) -> "AmiTap":
        import socket

        from bereik.sandbox.isolation import call_in

        sock = await asyncio.to_thread(call_in, hosts.namespace(host), socket.create_connection, (address, port), 5)
        reader, writer = await asyncio.open_connection(sock=sock)
        await reader.readline()  # "Asterisk Call Manager/..."
        tap = cls(writer)
        tap._reading = asyncio.ensure_future(tap._read(reader))
        reply = await tap.send_action({"Action": "Login", "Username": user, "Secret": secret})
        assert reply.get("Response") == "Success", reply
        return tap

    def close(self) -> None:
        if self._reading:
            self._reading.cancel()
        self.writer.close()

    async def send_action(self, action: dict[str, str], timeout: float = 10.0) -> dict:
        action_id = f"tap-{next(self._ids)}"
        self._replies[action_id] = asyncio.get_running_loop().create_future()
        self.writer.write("".join(f"{k}: {v}\r\n" for k, v in {**action, "ActionID": action_id}.items()).encode()
                          + b"\r\n")
        return await asyncio.wait_for(self._replies[action_id], timeout)

    async def _read(self, reader: asyncio.StreamReader) -> None:
        message: dict = {}
        while line := await reader.readline():
            text = line.decode(errors="replace").rstrip("\r\n")
            if text:
                key, _, value = text.partition(": ")
                if key == "ChanVariable":
                    message.setdefault(key, []).append(value)
                else:
                    message[key] = value
                continue
            if "Event" in message:
                async with self._arrived:
                    self.events.append(message)
                    self._arrived.notify_all()
            elif "Response" in message and message.get("ActionID") in self._replies:
                self._replies.pop(message["ActionID"]).set_result(message)
            message = {}

    def matching(self, name: str, predicate=lambda _: True) -> list[dict]:
        return [e for e in self.events if e.get("Event") == name and predicate(e)]

    async def wait_for_event(self, name: str, predicate=lambda _: True, timeout: float = 10.0) -> dict:
        async with self._arrived:
            try:
                await asyncio.wait_for(self._arrived.wait_for(lambda: self.matching(name, predicate)), timeout)
            except TimeoutError:
                raise AssertionError(f"no {name} event within {timeout} s") from None
            return self.matching(name, predicate)[0]


# Every state the console's screen-pop takes (ringing, connected, ended, missed) with its text at that moment, kept
# in the page: a state that lasts a moment (a phone that rings 1.5 s, a call of 4 s) may come and go on a loaded
# machine between two looks of a test that polls the page, but it stays in this list.
_FOLLOW_CALL_STATES = """() => {
  const line = document.getElementById("call-state"), pop = document.getElementById("screenpop");
  window.bereikCallStates = [];
  new MutationObserver(() => window.bereikCallStates.push(
    {state: line.className.replace("call-state call-", ""), text: pop.innerText}))
    .observe(line, {attributes: true, childList: true, characterData: true, subtree: true});
}"""
_CALL_STATE_SHOWN = """([state, containing]) =>
  (window.bereikCallStates || []).find((shown) => shown.state === state && shown.text.includes(containing))"""


async def follow_call_states(page) -> None:
    """From now on, keep every state the screen-pop shows (see call_state_shown)."""
    await page.evaluate(_FOLLOW_CALL_STATES)


_frames: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # page -> what its web sockets carried


def record_sockets(page) -> None:
    """From now on keep, with their times, the web sockets `page` opens and closes and every frame they carry
    (Playwright sees them as Chromium does, whatever the page's script makes of them)."""
    frames = _frames.setdefault(page, [])

    def opened(web_socket) -> None:
        name = web_socket.url.split("/api/", 1)[-1]
        frames.append(f"{time.strftime('%H:%M:%S')} {name} opened")
        web_socket.on("framereceived", lambda payload: frames.append(f"{time.strftime('%H:%M:%S')} {name} <- "
                                                                  f"{str(payload)[:300]}"))
        web_socket.on("close", lambda _: frames.append(f"{time.strftime('%H:%M:%S')} {name} closed"))

    page.on("websocket", opened)


async def enabled(page, button: str, timeout: float = 30.0) -> None:
    """Wait until the console's button `#button` is enabled; AssertionError with the transfer line and what the
    page's web sockets carried (see record_sockets) if it is not within `timeout` s."""
    try:
        await page.wait_for_selector(f"#{button}:not([disabled])", timeout=timeout * 1000)
    except PageTimeout:
        line = await page.inner_text("#transfer-state")
        raise AssertionError(f"#{button} not enabled within {timeout} s; the transfer line shows {line!r}; "
                             "the page's web sockets:\n  " + "\n  ".join(_frames.get(page, ["(not recorded)"]))
                             ) from None


async def call_state_shown(page, state: str, containing: str = "", timeout: float = 30.0) -> str:
    """The screen-pop's text when it showed `state` with `containing` (a caller's number) in it, now or earlier
    since follow_call_states; AssertionError with every state it did show if it does not within `timeout` s."""
    try:
        # A function, never a string predicate: the console's CSP has no eval.
        shown = await page.wait_for_function(_CALL_STATE_SHOWN, arg=[state, containing], timeout=timeout * 1000)
    except PageTimeout:
        states = await page.evaluate("() => window.bereikCallStates")
        raise AssertionError(f"the screen-pop did not show {state!r} with {containing!r} within {timeout} s; "
                             f"it showed {states}") from None
    return (await shown.json_value())["text"]
