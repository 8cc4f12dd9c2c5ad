"""`bereik run`: the FastAGI server and the AMI connection, wired to the routing core."""
from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
import os
import signal
import socket
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bereik.audit import AuditLog
from bereik.calamity import CalamitySwitch
from bereik.callbacks.appointments import Appointments
from bereik.callbacks.mail import Mailer
from bereik.callbacks.outcomes import CallbackOutcomes
from bereik.callbacks.store import CallbackStore, import_legacy
from bereik.callbacks.watch import CallbackWatch
from bereik.config.model import Config
from bereik.console.shared import SharedRecordings
from bereik.console.tls import ReloadingTls
from bereik.console.wiring import build_console
from bereik.integrations.klantinteracties import Registration
from bereik.integrations.webhooks import Courier, Outbox, Webhooks
from bereik.forwarding.store import ForwardingStore
from bereik.ivr.prompts import PromptLibrary
from bereik.ivr.recorded import Recordings
from bereik.pbx.agi import AgiServer
from bereik.pbx.ami import AmiClient, AmiError
from bereik.pbx.call_files import CallFiles
from bereik.pbx.callback import CallbackHandler
from bereik.pbx.camp_on import CampOnAnnouncer
from bereik.pbx.decider import DecisionProcess, Start
from bereik.pbx.decisions import DecisionLoop, keep_collections_short, prefer_short_switches
from bereik.pbx.dialplan import AMI_USER, WHISPER_SCRIPT
from bereik.pbx.direct import DirectHandler
from bereik.pbx.entry import EntryHandler
from bereik.pbx.facts import fact_of, queue_status
from bereik.pbx.features import FeatureHandler
from bereik.pbx.hints import HintPublisher
from bereik.pbx.records import RecordsFeed
from bereik.pbx.note_call import NoteCaller
from bereik.pbx.virtual_hold import VirtualHold
from bereik.pbx.waiting import Announcer, OverflowObserver
from bereik.pbx.whisper import Whispers
from bereik.presence.configured import ConfiguredPresence
from bereik.privacy.job import RetentionJob
from bereik.records import servers as call_ids
from bereik.records.recorder import Recorder
from bereik.records.standby import Reachability, ServerWriters
from bereik.records.spool import Spool
from bereik.records.spool import default_directory as default_spool_directory
from bereik.records.store import CallStore, open_store
from bereik.reports.http import report_routes
from bereik.reports.mail import ReportMailer
from bereik.secrets import AMI_SECRET, CALAMITY_SECRET, SecretError, Secrets
from bereik.wallboard.floor import CallbackCounts, CallbackSource, Floor, no_callbacks
from bereik.routing.hours import OpeningHours
from bereik.wallboard.metrics import SINGLE_SERVER, Metrics, Sources
from bereik.wallboard.public import PublicFigure
from bereik.wallboard.web import Hub, WebServer, metrics_routes, wallboard_routes

log = logging.getLogger(__name__)


def _calamity_pin(secrets: Secrets) -> str | None:
    """The PIN of *28, or None (the phone then says the switch is not set up; the screen still works)."""
    try:
        return secrets.get(CALAMITY_SECRET)
    except SecretError as error:
        log.info("the calamity switch works from the screen only: %s", error)
        return None


def _host_port(value: str) -> tuple[str, int]:
    host, port = value.rsplit(":", 1)
    return host, int(port)


Clock = Callable[[], dt.datetime]


@dataclass(frozen=True)
class WallClock:
    """The time in the municipality's zone. The clocks are values, so the decision process gets the same one."""

    zone: dt.tzinfo

    def __call__(self) -> dt.datetime:
        return dt.datetime.now(self.zone)


def wall_clock(config: Config) -> Clock:
    return WallClock(config.zone)


@dataclass(frozen=True)
class PretendClock:
    """A clock that started at `start` at monotonic time `began` and runs on (CLOCK_MONOTONIC is one clock for
    every process on the host)."""

    start: dt.datetime
    began: float

    def __call__(self) -> dt.datetime:
        return self.start + dt.timedelta(seconds=time.monotonic() - self.began)


def pretend_clock(config: Config, start: dt.datetime) -> Clock:
    """A clock that starts at `start` and runs on: to demonstrate a holiday or the evening."""
    return PretendClock(start if start.tzinfo else start.replace(tzinfo=config.zone), time.monotonic())


class Service:
    def __init__(self, config: Config, secrets: Secrets, sounds_dir: Path, clock: Clock | None = None, *,
                 store: CallStore | None = None, callbacks: CallbackSource = no_callbacks,
                 web_middlewares: Sequence[Callable] = (), forwarding: ForwardingStore | None = None,
                 callback_store: CallbackStore | None = None, overflow_observers: Sequence[OverflowObserver] = (),
                 now: Callable[[], float] = time.time, decision_process: bool = False):
        """`store`: the call records (default: records.store in the YAML, closed on stop);
        `callbacks`: open and late call-backs for the wallboard; `web_middlewares`: the console's login;
        `forwarding`: absence forwarding (default: back_office.forwarding_store in the YAML);
        `callback_store`: call-back notes (default: beside the call records in `store`);
        `overflow_observers`: told when the overflow position joins or leaves; `now`: epoch seconds, as AMI's;
        `decision_process`: the entry's decisions in a process of their own, as `bereik run` makes them (its
        stores are the YAML's then, and `clock` a value: WallClock or PretendClock)."""
        self.config = config
        clock = clock or wall_clock(config)
        self._clock, self._sounds_dir = clock, sounds_dir
        agi_host, agi_port = _host_port(config.pbx.agi)
        ami_host, ami_port = _host_port(config.pbx.ami)
        # re-read what the service, recorder, wallboard and announcements need, once Asterisk offers it
        self.ami = AmiClient(ami_host, ami_port, AMI_USER, secrets.get(AMI_SECRET),
                             ready_actions=("QueueStatus", "QueueSummary", "Status"))
        self.ami.on_login(self._read_queue_state)
        self._own_store = store is None
        self.store = store if store is not None else open_store(config.records.store)
        self.audit = AuditLog(self.store, now)
        # The calamity switch: set on the coordinator's screen or with *28 and the PIN from a desk phone.
        self.calamity = CalamitySwitch(self.audit)
        self._calamity_pin = _calamity_pin(secrets)
        self.recorder = Recorder(
            self.store, config.zone, frozenset(config.entry_numbers),
            spool=Spool(config.records.spool or default_spool_directory(config.records.store)),
            server=config.pbx.server or "",
        )
        self._own_callbacks = callback_store is None
        self.callback_store = callback_store or CallbackStore(self.store, config.zone)
        agent_names = {f"PJSIP/{a.extension}": a.name for a in config.agents}
        RecordsFeed(self.recorder, self.ami, config.records.asterisk_cel, agent_names).attach()
        self.floor = Floor(config.zone, config.reports.answer_seconds, callbacks,
                           tuple(server.name for server in config.pbx.servers))
        self.hub = Hub()
        self._follow(config.pbx.server or "", self.ami, self.recorder)
        # Several servers: this bereik follows the others too, for one wallboard of all and the agents'
        # screen-pops of every server's calls, and stands by to write their calls when their own bereik is
        # gone (bereik.records.standby).
        self.peers: list[tuple[AmiClient, Recorder]] = []
        for peer in config.peers():
            peer_ami = AmiClient(*_host_port(peer.ami), AMI_USER, secrets.get(AMI_SECRET))
            peer_recorder = Recorder(self.store, config.zone, frozenset(config.entry_numbers), server=peer.name,
                                     writing=False)
            RecordsFeed(peer_recorder, peer_ami, None, agent_names).attach()
            self._follow(peer.name, peer_ami, peer_recorder)
            self.peers.append((peer_ami, peer_recorder))
        self.writers = ServerWriters(self.store, config.pbx.server, {
            config.pbx.server: self.recorder, **{r.server: r for _, r in self.peers}},
            reachability={server: self._reachability(ami, now) for server, ami in
                          [(config.pbx.server, self.ami), *((r.server, a) for a, r in self.peers)]}) \
            if config.pbx.server else None
        self._claiming: asyncio.Task | None = None
        self.metrics = Metrics(self.floor, lambda: self.ami.connected, sources=Sources(
            servers={config.pbx.server or SINGLE_SERVER: self.ami, **{r.server: a for a, r in self.peers}},
            queues=tuple(q.id for q in config.queues),
            open_now=lambda: OpeningHours(self.config).status(self._clock()).open,
            spool_bytes=lambda: self.recorder.spool.size if self.recorder.spool else 0,
            held_updates=lambda: self.recorder.writer.held if self.recorder.writer else 0,
            decisions_up=lambda: self.decider.up if self.decider else True,
            decisions_pid=lambda: self.decider.pid if self.decider else None,
        ))
        for recorder in (self.recorder, *(r for _, r in self.peers)):
            recorder.on_row(functools.partial(self.metrics.sources.fallthrough.observe, recorder.server))
        # FastAGI on its own loop and thread: a caller's decision never waits behind AMI events.
        self.decisions = DecisionLoop()
        self.agi = AgiServer({}, agi_host, agi_port, allowed_peers=config.agi_allowed())
        # In `bereik run` on more than one core the entry's decisions in a process of their own, with an
        # interpreter of its own; the other scripts it passes back to be served here, where their state is.
        self.decider = DecisionProcess(Start(config, secrets, sounds_dir, clock),
                                       on_step=self.decisions.soon_on_main(self.recorder.add_step),
                                       on_session=self.metrics.agi_seconds.observe,
                                       on_passed=self.agi.serve_passed) if decision_process else None
        self.calamity.changed = self._calamity_changed
        self.forwarding = forwarding or ForwardingStore(config.back_office.forwarding_store, config)
        # The directory with presence, and the absence book that routes direct calls: always, since who stands
        # in for an absent colleague depends on it; the console shows it when the YAML names its users.
        self.presence = ConfiguredPresence(config, self.ami, clock, secrets, self.forwarding,
                                           peers=[peer_ami for peer_ami, _ in self.peers])
        if self.decider is None:
            self.agi.handlers["entry"] = self.metrics.timed(self._entry(config, PromptLibrary(sounds_dir,
                                                                                               config.language)))
        web_host, web_port = _host_port(config.wallboard.listen)
        # https on the console and the wallboard port alike: the session cookie is Secure and per host.
        tls = config.console
        self.tls = ReloadingTls(tls.tls_certificate, tls.tls_key) if tls.tls_certificate and tls.tls_key else None
        self.web = WebServer(
            [*wallboard_routes(self.board, self.hub, language=config.language),
             *report_routes(self.store, config, lambda: self.callback_store), *metrics_routes(self.metrics.registry)],
            web_host, web_port, web_middlewares, self.hub, ssl_context=self.tls.context if self.tls else None,
        )
        self.direct = DirectHandler(config, PromptLibrary(sounds_dir, config.language), clock, self.presence.book)
        self.agi.handlers["direct"] = self.metrics.timed(self.direct)
        self.hints = HintPublisher(config, self.ami, self.presence.book.stand_in, clock)
        self.features = self._features(config, PromptLibrary(sounds_dir, config.language))
        self.agi.handlers["features"] = self.metrics.timed(self.features)
        # Waiting callers' companions, through which bereik speaks to them: call files, not AMI's originate.
        self.whispers = Whispers(self.ami, CallFiles(config.pbx.call_files).companion)
        self.whispers.attach()
        self.agi.handlers[WHISPER_SCRIPT] = self.whispers
        self.announcer = Announcer(config, self.ami, PromptLibrary(sounds_dir, config.language, over_ring=True),
                                   self.whispers, now, tuple(overflow_observers))
        self.announcer.attach()
        self.camp_on = CampOnAnnouncer(config, self.ami, self.announcer.whisper, self.announcer.hush)
        self.camp_on.attach()
        # The call-back that keeps a waiting caller's place, and how every call-back call ends.
        self.virtual_hold = VirtualHold(config, self.ami, self.announcer, self.callback_store,
                                        PromptLibrary(sounds_dir, config.language), clock,
                                        steps=self.recorder.add_step, now=now,
                                        appointments=self._ivr_appointments(config))
        self.virtual_hold.attach()
        self.callback = CallbackHandler(config, self.callback_store, clock, self.virtual_hold.agent_of)
        self.agi.handlers["callback"] = self.metrics.timed(self.callback)
        self.outcomes = CallbackOutcomes(config, self.callback_store, clock)
        self.ami.on_event("UserEvent", lambda event: self.outcomes.apply(fact_of(event)))
        if callbacks is no_callbacks:
            self.floor.callbacks = self._callback_counts
            self._counted: tuple[float, CallbackCounts] | None = None
        # The front-office console, when the YAML names its users, with the directory and presence (YAML
        # presence:); the wallboard then needs the console's login too.
        self.console = build_console(config, self.ami, self.callback_store, clock, self.recorder, self.store,
                                     presence=self.presence.app, forwarding=self.forwarding,
                                     forwarding_changed=self._own_changed,
                                     appointments=Appointments(config, self.presence.graph, self.callback_store)
                                     if self.presence.graph else None, tls=self.tls, peers=self.peers) \
            if config.console.users else None
        self.metrics.sources.presence = self.presence.sources_up
        # The municipality's other systems: every call event to the webhooks, every citizen's call to the
        # contact registration (integrations), through one outbox that keeps them until delivered.
        wanted = config.integrations
        self.outbox = Outbox(wanted.outbox) if wanted.webhooks or wanted.klantinteracties else None
        self.couriers: list[Courier] = []
        if wanted.webhooks:
            self.couriers.append(Webhooks(config, secrets, self.outbox))
        if wanted.klantinteracties:
            registration = Registration(config, secrets, self.outbox)
            self.couriers.append(registration)
            # A kept call-back is one the caller answered: told as the call closes the note.
            self.outcomes.on_change(lambda note: registration.note_done(note, note.closed_by))
        for courier in self.couriers:
            self.recorder.on_step(courier.step)
        if self.console:
            self.console.couriers = self.couriers
            self.console.manage.calamity = self.calamity
            self.console.manage.config_of = lambda: self.config
            # Recorded prompts: kept beside the rendered ones; new calls play an upload at once.
            self.console.manage.recordings_of = lambda: Recordings(self._sounds_dir)
            self.console.manage.recordings_changed = lambda: self.use_config(self.config)
            self.console.manage.audit = self.audit
        if self.console and not web_middlewares:
            self.web.app.middlewares.extend(self.console.wallboard_middlewares())
        self.retention = RetentionJob(config, self.store, clock, secrets, self.callback_store, self.forwarding,
                                      self.console.recordings_dir if self.console else None, now)
        self._retaining: asyncio.Task | None = None
        # Several servers: this node's finished recordings into the shared store, for every node's console.
        self.shared_recordings = SharedRecordings(self.store, config.console.recordings_dir, config.pbx.server) \
            if config.pbx.server else None
        self._sharing: asyncio.Task | None = None
        self._following_calamity: asyncio.Task | None = None
        # Open call-back notes: moved from an absent owner, reminded, escalated (mailed like the notes).
        console = config.console
        self.callback_watch = CallbackWatch(config, self.callback_store, Mailer(
            console.smtp_host, console.smtp_port, console.smtp_from, config.zone, config.language), clock,
            self.presence.book.stand_in,
            lambda note: NoteCaller(self.config, self.callback_store, clock).dial(note.id, "bereik", note.owner))
        self._watching: asyncio.Task | None = None
        # Monday's mail to each team lead, the monthly report to the YAML's addresses (reports.mail).
        mail = config.reports.mail
        self.report_mailer = ReportMailer(config, self.store, self.audit, clock, Path(tempfile.mkdtemp(prefix="bereik-")),
                                          self.callback_store) if mail.monthly_to or mail.team_leads else None
        self._mailing: asyncio.Task | None = None
        # The website's live figure, on its own listener without login (YAML public.listen).
        self.public = WebServer(PublicFigure(config, self.announcer.state.snapshot_for_new_caller, clock).routes(),
                                *_host_port(config.public.listen), public=True) if config.public.listen else None

    def _ivr_appointments(self, config: Config) -> Appointments | None:
        """The calendars the IVR offers times in (YAML callbacks.appointments): the ones the console books in."""
        wanted = config.callbacks.appointments
        return Appointments(config, self.presence.graph, self.callback_store, wanted.minutes) \
            if wanted and self.presence.graph else None

    def _entry(self, config: Config, prompts: PromptLibrary) -> EntryHandler:
        return EntryHandler(config, prompts, self._clock, self.calamity, callbacks=self.callback_store,
                            steps=self.decisions.soon_on_main(self.recorder.add_step),
                            appointments=self._ivr_appointments(config), on_main=self.decisions.on_main)

    def _features(self, config: Config, prompts: PromptLibrary) -> FeatureHandler:
        return FeatureHandler(config, prompts, self._clock, self.forwarding, self.presence.book, self._own_changed,
                              self.audit, self.calamity, self._calamity_pin)

    def _calamity_changed(self) -> None:
        """Switched here, or read as switched by another server: the wallboards (on the main loop; *28 switches on
        the decision loop) and the decision process follow."""
        self.decisions.soon_on_main(self.hub.notify)()
        if self.decider:
            self.decider.calamity_changed()

    def _own_changed(self, extension: str) -> None:
        """Someone changed their own forward or do-not-disturb: the lamps and the consoles follow at once."""
        self.hints.changed(extension)
        self.presence.service.extension_changed(extension)

    def use_config(self, config: Config) -> None:
        """New calls follow `config` (a safe reload, bereik.admin.reload). FastAGI picks the handler per
        connection, so a call in progress keeps the handler, and the configuration, it started with."""
        prompts = PromptLibrary(self._sounds_dir, config.language)
        self.config = config
        if self.decider:
            self.decider.use_config(config)
        else:
            self.agi.handlers["entry"] = self.metrics.timed(self._entry(config, prompts))
        self.presence.book.config = config
        self.direct = DirectHandler(config, prompts, self._clock, self.presence.book)
        self.features = self._features(config, prompts)
        self.hints.config = config
        self.callback = CallbackHandler(config, self.callback_store, self._clock, self.virtual_hold.agent_of)
        self.camp_on.config = config
        self.virtual_hold.config = self.outcomes.config = config
        self.virtual_hold.appointments = self._ivr_appointments(config)
        self.retention.config = config
        self.callback_watch.config = config
        if self.report_mailer:
            self.report_mailer.config = config
        self.agi.allow(config.agi_allowed())
        self.agi.handlers.update({"direct": self.metrics.timed(self.direct),
                                  "callback": self.metrics.timed(self.callback),
                                  "features": self.metrics.timed(self.features)})

    async def start(self) -> None:
        self.recorder.start()  # before AMI: the first login reconciles the calls left open
        for courier in self.couriers:
            await courier.start()
        self.virtual_hold.start()
        self._retaining = asyncio.create_task(self.retention.run_periodically())  # at once, then hourly
        if self.shared_recordings:
            self._sharing = asyncio.create_task(self.shared_recordings.run())
        self._following_calamity = asyncio.create_task(self.calamity.follow(self._clock))
        self._watching = asyncio.create_task(self.callback_watch.run_periodically())
        if self.report_mailer:
            self._mailing = asyncio.create_task(self.report_mailer.run_periodically())
        if self.tls:
            self.tls.follow()  # a renewed certificate is taken without a restart
        await self.web.start()
        if self.public:
            await self.public.start()
        log.info("wallboard on %s://%s:%d/wallboard/", self.web.scheme, self.web.host, self.web.port)
        self.decisions.start()
        deciding: asyncio.Future | None = None
        if self.decider:
            # Bound here, listened on by the decision process once it is ready: until then Asterisk's connection is
            # refused and the caller fails open at once, and a port that accepts means a bereik that decides.
            listening = socket.socket(socket.AF_INET6 if ":" in self.agi.host else socket.AF_INET)
            listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listening.bind((self.agi.host, self.agi.port))
            self.agi.port = listening.getsockname()[1]
            # Its imports take seconds, which the AMI login must not wait for: what Asterisk tells meanwhile (an
            # agent answering a waiting caller's stand-in) would be missed.
            deciding = asyncio.ensure_future(self.decisions.run(self.decider.start(listening)))
        else:
            await self.decisions.run(self.agi.start())
        log.info("FastAGI listening on %s:%d", self.agi.host, self.agi.port)
        await self.presence.start()
        self.hints.start()
        if self.console:
            await self.console.start()
        try:
            await self.ami.connect(timeout=5)
        except (TimeoutError, OSError):
            # Routing does not need AMI; panoramisk keeps trying in the background.
            log.warning("AMI not reachable yet at %s; calls are routed meanwhile", self.config.pbx.ami)
        for peer_ami, peer_recorder in self.peers:
            peer_recorder.start()
            try:
                await peer_ami.connect(timeout=5)
            except (TimeoutError, OSError):
                log.warning("the AMI of server %s is not reachable yet; its calls are followed once it is",
                            peer_recorder.server)
        if self.writers:
            self._claiming = asyncio.create_task(self.writers.run())
        if deciding:
            await deciding

    async def stop(self) -> None:
        if self._following_calamity:
            self._following_calamity.cancel()
        if self._retaining:
            self._retaining.cancel()
        if self._sharing:
            self._sharing.cancel()
        if self._watching:
            self._watching.cancel()
        if self._mailing:
            self._mailing.cancel()
        self.announcer.close()
        self.camp_on.close()
        self.virtual_hold.close()
        if self._claiming:
            self._claiming.cancel()
        self.ami.close()
        for peer_ami, peer_recorder in self.peers:
            peer_ami.close()
            await asyncio.to_thread(peer_recorder.close)
        if self.decider:
            await self.decisions.run(self.decider.stop())
        await self.decisions.run(self.agi.close())
        self.decisions.stop()
        await self.web.close()
        if self.public:
            await self.public.close()
        if self.tls:
            self.tls.stop()
        if self.console:
            await self.console.close()
        await self.hints.stop()
        await self.presence.stop()
        await asyncio.to_thread(self.recorder.close)  # writes what is still queued
        for courier in self.couriers:
            await courier.stop()
        if self.outbox:
            self.outbox.close()
        if self._own_store:
            self.store.close()
        if self._own_callbacks:
            self.callback_store.close()

    def _callback_counts(self) -> CallbackCounts:
        """Open, late and this month's share on time, in all and per department, for the wallboard (read at
        most every 30 s: it asks every second)."""
        now = self._clock()
        if self._counted is None or now.timestamp() - self._counted[0] >= 30:
            month = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
            by_team = self.callback_store.kept_on_time_by_team(month, now)
            kept, judged = sum(k for k, _ in by_team.values()), sum(j for _, j in by_team.values())
            self._counted = (now.timestamp(), CallbackCounts(
                *self.callback_store.counts(now), round(kept / judged, 3) if judged else None,
                tuple((self._team_name(team), round(k / j, 3)) for team, (k, j) in by_team.items() if j)))
        return self._counted[1]

    def _team_name(self, team: str) -> str:
        """A department's or queue's name as people say it (the wallboard's per-department figure)."""
        department = next((d for d in self.config.departments if d.id == team), None)
        queue = next((q for q in self.config.queues if q.id == team), None)
        return department.name if department else queue.name if queue else team

    async def import_legacy_notes(self) -> None:
        """The notes of a 0.2.0 call-back file into the store they now share with the calls (at `bereik run`)."""
        try:
            await asyncio.to_thread(import_legacy, self.config.waiting.callback_store, self.callback_store)
        except Exception:
            log.exception("could not import the call-back notes of %s; they stay there, bereik runs on",
                          self.config.waiting.callback_store)

    def board(self) -> dict:
        calamity = self.calamity.known(self._clock())
        return {**self.floor.snapshot(time.time()), "ami_connected": self.ami.connected,
                "calamity": {"mode": calamity.mode.value, "text": calamity.text,
                             "until": calamity.until.strftime("%d-%m-%Y %H:%M")} if calamity else None}

    @staticmethod
    def _reachability(ami: AmiClient, now: Callable[[], float]) -> Reachability:
        """Whether a server's AMI is reachable: when it stays down, that server's calls are closed as cut off."""
        reachable = Reachability(now)
        ami.on_disconnect(reachable.lost)

        async def back() -> None:
            reachable.back()

        ami.on_login(back)
        return reachable

    def _follow(self, server: str, ami: AmiClient, recorder: Recorder) -> None:
        """Feed one server's AMI to its call records and to the wallboard (call ids qualified by the server's name),
        each event translated into its fact once for both: every event of every call passes here."""

        def on_event(event: dict[str, str]) -> None:
            fact = fact_of(event)
            if fact is None:
                return
            try:
                recorder.apply(fact)
            finally:  # a fault in the records (logged by the AMI client) does not keep the wallboard behind
                if self.floor.apply(call_ids.qualified(server, fact)):
                    self.hub.notify()

        async def read_floor() -> None:
            try:
                replies = await ami.action("QueueStatus")
            except AmiError as error:
                log.warning("could not read the queues for the wallboard: %s", error)
                return
            self.floor.load_status([call_ids.qualified(server, r) for r in queue_status(replies)], time.time(), server)
            self.hub.notify()

        ami.on_event("*", on_event)
        ami.on_login(read_floor)

    async def _read_queue_state(self) -> None:
        try:
            replies = await self.ami.action("QueueSummary")
        except AmiError as error:
            log.warning("could not read queue state: %s", error)
            return
        for summary in (r for r in replies if r.get("Event") == "QueueSummary"):
            log.info("queue %s: %s logged in, %s available, %s waiting", summary.get("Queue"),
                     summary.get("LoggedIn"), summary.get("Available"), summary.get("Callers"))


def decisions_apart(cores: set[int]) -> bool:
    """The callers' decisions in a process of their own when bereik may run on more than one core: then the two run
    side by side. On one core they take turns anyway, and a thread of `bereik run` gets its turn sooner (the
    interpreter's switch interval against the scheduler's; docs/benchmarks.md)."""
    apart = len(cores) > 1
    log.info("the callers' decisions: %s", "in a process of their own" if apart else "on a thread (one core)")
    return apart


async def run(config: Config, secrets: Secrets, sounds_dir: Path, clock: Clock | None = None, *,
              source: Path | None = None, asterisk_dir: Path | None = None,
              reload_command: Sequence[str] | None = None) -> None:
    """`source`: the YAML, re-read on SIGHUP and when it changes (bereik.admin.reload)."""
    prefer_short_switches()
    service = Service(config, secrets, sounds_dir, clock, decision_process=decisions_apart(os.sched_getaffinity(0)))
    await service.import_legacy_notes()
    await service.start()
    keep_collections_short()
    stopped = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopped.set)
    watching = follow_changes(service, source, secrets, asterisk_dir=asterisk_dir,
                              reload_command=reload_command) if source else None
    if watching and service.console:
        from bereik.admin.proposals import ConfigEditor

        # The coordinator's screen changes the same file, through the same safe reload.
        service.console.manage.editor = ConfigEditor(source, watching, service.audit, config.language)
    await stopped.wait()
    log.info("stopping")
    if watching:
        watching.stop()
    await service.stop()


def follow_changes(service: Service, source: Path, secrets: Secrets, *, asterisk_dir: Path | None = None,
                   reload_command: Sequence[str] | None = None, interval: float = 1.0):
    """Reload `source` on SIGHUP and whenever its content changes; the Reloader's stop() ends it."""
    from bereik.admin.reload import Reloader

    reloader = Reloader(source, service.config, secrets, service.use_config, asterisk_dir=asterisk_dir,
                        reload_command=reload_command, ami=service.ami, audit_log=service.audit)
    reloader.follow(interval)
    return reloader
