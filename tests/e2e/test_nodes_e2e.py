"""Two Asterisk nodes of one municipality (noord 127.0.0.1, zuid 127.0.0.2, one PostgreSQL store), each with
its own bereik, as each municipality's instances on a platform's nodes are (docs/platform.md). Both nodes ring
the same desk phones.

- One agent's browser (real Chromium) gets the screen-pops of calls on both nodes, served by noord's bereik:
  the caller's number, the call connected, the directory showing the agent on the phone, and the buttons
  acting on the node that has the call (hang up a call on zuid from noord's console; a pause reaches both
  nodes' queues).
- A node lost while callers wait on the other: zuid dies (its Asterisk and its bereik, SIGKILL) while two
  callers wait on noord. The one who waits hears bereik's waiting message after the death and is answered by
  an agent; the one who asks for a call-back keeps a stand-in in line, and the agent, then the caller's own
  phone, are rung. Calls that were on zuid end with it (it is their PBX); Kamailio's part, new calls going
  to the other nodes, is tests/e2e/test_platform_e2e.py's.

What is asserted is what the person sees and what each Asterisk did (an observer's AMI events)."""
from __future__ import annotations

import asyncio
import datetime as dt
import signal
import subprocess
import sys
import time
from pathlib import Path

from bereik.config import load_config
from bereik.config.model import Console, ConsoleUser, Presence, Wallboard
from bereik.console.auth import Verdict
from bereik.records import lost
from bereik.records.standby import CLAIM_SECONDS
from bereik.records.store import PostgresStore
from bereik.records.summary import transfers_of
from bereik.reports.figures import compute
from bereik.reports.schema import ReportRequest
from bereik.sandbox import Asterisk, ami_login_from
from bereik.sandbox.postgres import Cluster
from bereik.sandbox.sipp import Sipp
from bereik.secrets import Secrets
from bereik.service import Service, pretend_clock

from helpers import (FRONT_OFFICE, OBSERVER, bereik_run, call_state_shown, enabled, follow_call_states, hang_up, pause,
                     record_sockets, render_prompts, several_servers_yaml, takes_fastagi, variable,
                     waiting_and_call_back_messages, whisper_plays, write_config_with_observer)
from tests.polling import until

EXAMPLE = Path(__file__).parents[2] / "examples" / "bloemendaal.yaml"
SERVERS = {"noord": "127.0.0.1", "zuid": "127.0.0.2"}
ANNA_PHONE, BRAM_PHONE = "127.0.1.1", "127.0.1.2"  # positions 201 and 202, rung by both nodes
EVA_PHONE, FEMKE_PHONE, EVA_DIRECT = "127.0.1.11", "127.0.1.12", "0235115301"  # colleagues of the back office
NETWORK = ("127.0.0.1", 5080)  # behind the trunk: where a caller's own phone answers a call-back
BURGERZAKEN = [("asked", "1"), ("asked", "1")]  # Bloemendaal, then burgerzaken: agents 201 and 203
AFVAL = [("asked", "1"), ("asked", "2")]  # Bloemendaal, then afval: agents 202 and 204
MONDAY_MORNING = dt.datetime(2026, 11, 23, 10, 0)
# The first waiting message after one ring (5 s), offering the call-back at once.
WAITING = "  first_after_rings: 1\n  callback_offer_callers_ahead: 0\n"
SOCKET_OPEN = """() => new Promise((resolve) => { const check = () =>
  (window.bereikSocket && window.bereikSocket.readyState === 1) ? resolve() : setTimeout(check, 20); check(); })"""


class OneLogin:
    async def check(self, login, password):
        return Verdict() if (login, password) == ("anna", "anna-pw") else None


class Nodes:
    """Both nodes' Asterisks with an observer each, their SIPp parties, and the YAML and secrets of `bereik run`."""

    def __init__(self, asterisk, tmp_path: Path, dsn: str, root: Path, failure_report: dict):
        # Both in this process's chroot copy (`root`); zuid, a named instance, has a spool of its own.
        outgoing = {name: root / f"var/spool/asterisk{'-zuid' if name == 'zuid' else ''}/outgoing" for name in SERVERS}
        self.yaml = several_servers_yaml(EXAMPLE, tmp_path, dsn, SERVERS, waiting=WAITING, outgoing=outgoing)
        self.secrets_file = tmp_path / "secrets.env"
        subprocess.run([sys.executable, "-m", "bereik", "secrets", "--new", str(self.secrets_file)], check=True,
                       capture_output=True)
        self.config, self.secrets = load_config(self.yaml), Secrets.load(self.secrets_file)
        directories = {name: write_config_with_observer(self.config.for_server(name), self.secrets, tmp_path / name,
                                                        str(self.yaml), write="call,agent") for name in SERVERS}
        # noord is the suite's Asterisk (the fixture's); zuid, the one that dies, is this test's own.
        self.asterisks = {"noord": asterisk(directories["noord"], restart=True)}
        self.asterisks["zuid"] = Asterisk(directories["zuid"], ami_login_from(directories["zuid"]).__class__(
            5038, *OBSERVER, host=SERVERS["zuid"]), root=self.asterisks["noord"].root, name="zuid")
        self.asterisks["zuid"].start()
        failure_report["Asterisk log of zuid"] = lambda: self.asterisks["zuid"].log_tail(200)
        # Each node's recordings in its own Asterisk's monitor directory, as on hosts of their own (the named
        # instance zuid has its own spool in the shared chroot); `bereik run` for zuid reads this YAML.
        self.monitors = {"noord": self.asterisks["noord"].root / "var/spool/asterisk/monitor",
                         "zuid": self.asterisks["zuid"].root / "var/spool/asterisk-zuid/monitor"}
        with self.yaml.open("a") as yaml:
            yaml.write(f"console:\n  recordings_dir: {self.monitors['zuid']}\n")
        self.parties = {name: Sipp(f"{ip}:5060", tmp_path / f"sipp-{name}") for name, ip in SERVERS.items()}
        self.events: dict = {}
        self.sounds = self.asterisks["noord"].sounds_dir  # one chroot: both nodes play the same files

    async def observe(self, ami) -> None:
        render_prompts(self.asterisks["noord"], self.config, waiting_and_call_back_messages)
        self.asterisks["noord"].ami = self.asterisks["noord"].ami.__class__(5038, *OBSERVER)
        self.events = {name: await ami(instance) for name, instance in self.asterisks.items()}

    def stop(self) -> None:
        for party in self.parties.values():
            party.stop_all()
        self.asterisks["noord"].hangup_all()
        if self.asterisks["zuid"].running:
            self.asterisks["zuid"].hangup_all()
        self.asterisks["zuid"].stop()


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        process.wait(10)


async def test_one_browser_gets_the_screen_pops_of_calls_on_both_nodes_and_acts_on_the_calls_node(
        asterisk, ami, browser, tmp_path, sandbox_root, failure_report):
    # noord's bereik and the browser's driver share this loop: a callback that holds it for a second is logged with
    # what it was (ci92: the page's sockets carried nothing for 23 s, then the transfer's news at once).
    loop = asyncio.get_running_loop()
    loop.set_debug(True)
    loop.slow_callback_duration = 1.0
    cluster = Cluster().start()
    nodes = Nodes(asterisk, tmp_path, cluster.dsn, sandbox_root, failure_report)
    zuid_bereik = bereik_run(nodes.yaml, "zuid", nodes.sounds, nodes.secrets_file, tmp_path / "bereik-zuid.log")
    service = None
    records = PostgresStore(cluster.dsn)  # what the reports read
    try:
        await nodes.observe(ami)
        events, parties = nodes.events, nodes.parties
        # noord's bereik in this process, with Anna's console (no LDAP: one login; the example's people as the
        # directory).
        config = nodes.config.model_copy(update={
            "console": Console(listen="127.0.0.1:0", secure_cookies=False, recordings_dir=str(nodes.monitors["noord"]),
                               users=[ConsoleUser(login="anna", extension="201")]),
            "wallboard": Wallboard(listen="127.0.0.1:0"),
            "presence": Presence(absences_store=str(tmp_path / "absences.sqlite3"))}).for_server("noord")
        service = Service(config, nodes.secrets, nodes.sounds, clock=pretend_clock(config, MONDAY_MORNING))
        service.console.authenticator = OneLogin()
        await service.start()
        zuid_ami = {recorder.server: client for client, recorder in service.peers}["zuid"]
        await until(lambda: zuid_ami.connected and takes_fastagi(SERVERS["zuid"]), 30,
                    "noord's bereik follows zuid's AMI and zuid's bereik takes FastAGI", step=0.2)
        for name in SERVERS:  # Anna's is the only free position on both nodes
            for extension in FRONT_OFFICE[1:]:
                await pause(events[name], extension, True)
        page = await agent_page(browser, service)
        phone = parties["noord"].phone(ANNA_PHONE, ring_seconds=1.5, calls=3)

        # A caller on zuid: the screen-pop comes to the console noord's bereik serves.
        caller = parties["zuid"].call("14023", talk_seconds=30, dtmf=BURGERZAKEN, from_user="0612340001")
        await events["zuid"].wait_for_event("AgentCalled", lambda e: e["Interface"] == "PJSIP/201", timeout=25)
        # The phone answers after 1.5 s: the ringing screen-pop may be gone before a loaded machine looks.
        await call_state_shown(page, "ringing", "0612340001")
        connected = await events["zuid"].wait_for_event(
            "AgentConnect", lambda e: e["Interface"] == "PJSIP/201", timeout=15)
        await call_state_shown(page, "connected", "0612340001")
        assert events["noord"].matching("AgentCalled") == []  # noord never had this call
        # Anna records the call: zuid's Asterisk records it, in zuid's own directory.
        earlier = recorded(nodes.monitors["zuid"])
        await page.click("#record")
        await page.wait_for_selector("#record[aria-pressed='true']")
        await until(lambda: recorded(nodes.monitors["zuid"]) - earlier, 10, "zuid records the call", step=0.2)
        # The directory says Anna is on the phone: her phone is in a call on zuid, though idle for noord.
        await page.press("body", "/")
        await page.keyboard.type("Anna")
        await page.wait_for_selector("span.presence[data-person='201'].presence-on_the_phone")
        # Hang up from the browser: zuid's Asterisk ends the agent's leg (noord has no such call).
        await page.click("#hangup")
        await events["zuid"].wait_for_event("Hangup", lambda e: e["Channel"] == connected["DestChannel"], timeout=10)
        await call_state_shown(page, "ended", "0612340001")
        await asyncio.to_thread(caller.wait, 20)
        # The recording ended with the call, on zuid; noord's console lists it (zuid's bereik copied it into the
        # shared store) and plays it, though noord's own directory has no such file.
        [made] = recorded(nodes.monitors["zuid"]) - earlier
        assert not (nodes.monitors["noord"] / made).exists()

        async def listed() -> list[str]:
            found = await page.evaluate("() => fetch('/api/recordings').then((r) => r.json())")
            return [r["url"] for r in found["recordings"] if r["name"] == made]

        deadline = time.monotonic() + 20
        while not (url := await listed()):
            assert time.monotonic() < deadline, f"noord's console does not list {made}"
            await page.wait_for_timeout(200)
        played = await page.evaluate("""(url) => fetch(url).then(async (r) => [r.status,
            r.headers.get('content-type'), new TextDecoder().decode((await r.arrayBuffer()).slice(0, 4))])""", url[0])
        assert played == [200, "audio/wav", "RIFF"]

        # A caller on noord, next: the same browser, the same screen-pop.
        caller = parties["noord"].call("14023", talk_seconds=4, dtmf=BURGERZAKEN, from_user="0612340002")
        await events["noord"].wait_for_event("AgentCalled", lambda e: e["Interface"] == "PJSIP/201", timeout=25)
        await call_state_shown(page, "ringing", "0612340002")
        await events["noord"].wait_for_event("AgentConnect", lambda e: e["Interface"] == "PJSIP/201", timeout=15)
        await call_state_shown(page, "connected", "0612340002")  # for the 4 s the caller talks
        await caller.succeeds(30)  # the caller hangs up
        await call_state_shown(page, "ended", "0612340002")
        # What Anna sees: the list of her recordings, with the one made on zuid.
        await page.wait_for_selector(f"#recordings audio[src='{url[0]}']", state="attached")

        # A warm transfer, from noord's console, of a call on zuid: zuid's bereik writes the call, noord's bereik
        # the transfer's steps; the report counts the transfer once.
        eva = parties["zuid"].phone(EVA_PHONE, ring_seconds=1)
        caller = parties["zuid"].call("14023", talk_seconds=25, dtmf=BURGERZAKEN, from_user="0612340003")
        connected = await events["zuid"].wait_for_event(
            "AgentConnect", lambda e: e["Interface"] == "PJSIP/201" and e["CallerIDNum"] == "0612340003", timeout=30)
        await call_state_shown(page, "connected", "0612340003")
        await page.press("body", "/")
        await page.keyboard.press("Control+A")  # over the earlier search for Anna
        await page.keyboard.type("Eva")
        await page.wait_for_selector("#results[data-query='Eva'] button.person[data-extension='301']")  # not Anna's
        await page.keyboard.press("ArrowDown")
        await page.keyboard.press("Enter")
        await enabled(page, "transfer")
        await page.keyboard.press("Alt+D")  # transfer
        await events["zuid"].wait_for_event(
            "DialBegin", lambda e: e.get("DestChannel", "").startswith("PJSIP/301-"), timeout=20)
        await enabled(page, "complete")
        await page.keyboard.press("Alt+V")  # complete: the caller talks to Eva
        done = await events["zuid"].wait_for_event("AttendedTransfer", timeout=15)
        assert done["Result"] == "Success" and done["TransfereeChannel"] == connected["Channel"], done
        await page.wait_for_selector("#transfer-state:has-text('Doorverbonden')")
        await hang_up(nodes.asterisks["zuid"])  # the caller and Eva have talked: the call ends, as a success
        await caller.succeeds(40)
        call_id = f"zuid-{connected['Linkedid']}"

        def transferred():
            row = next((r for r in records.calls(0, 2e10) if r.call_id == call_id), None)
            return row if row is not None and row.ended_at is not None and transfers_of(row) else None

        await until(lambda: transferred() is not None, 20, "the call's row, ended, with its transfer", step=0.2)
        row = transferred()
        assert [(t.to, t.answered) for t in transfers_of(row)] == [("301", True)]
        day = dt.datetime.fromtimestamp(row.started_at, config.zone).date()
        report = compute(list(records.calls(0, 2e10)), config, ReportRequest(start=day, end=day))
        assert sum(agent.transfers for agent in report.by_agent) == 1
        assert [s.what for s in records.journey(call_id).steps].count("transfer_started") == 1
        await eva.succeeds(20)
        await asyncio.to_thread(phone.wait, 20)

        # A pause from the browser reaches Anna's position in both nodes' queues.
        await page.select_option("#pause-reason", "overleg")
        await page.click("#pause")
        for name in SERVERS:
            await events[name].wait_for_event(
                "QueueMemberPause", lambda e: e.get("Interface") == "PJSIP/201" and e.get("Paused") == "1", timeout=10)
            # The reason, where bereik keeps it on each node (QUEUE_MEMBER has none: bereik.pbx.members).
            kept = await events[name].send_action({"Action": "Getvar", "Variable": "BEREIK_PAUSED_201"})
            assert kept.get("Value") == "overleg", (name, dict(kept))
        await page.wait_for_selector("#state:has-text('Gepauzeerd (overleg)')")
    finally:
        records.close()
        if service:
            await service.stop()
            service.store.close()
        stop(zuid_bereik)
        nodes.stop()
        cluster.stop()


async def test_a_node_dies_while_callers_wait_on_the_other_who_hear_their_message_are_answered_and_called_back(
        asterisk, ami, tmp_path, sandbox_root, failure_report):
    cluster = Cluster().start()
    nodes = Nodes(asterisk, tmp_path, cluster.dsn, sandbox_root, failure_report)
    bereiks = {name: bereik_run(nodes.yaml, name, nodes.sounds, nodes.secrets_file, tmp_path / f"bereik-{name}.log")
               for name in SERVERS}
    try:
        await nodes.observe(ami)
        events, noord = nodes.events["noord"], nodes.parties["noord"]
        for name in SERVERS:  # nobody free: the callers wait
            for extension in FRONT_OFFICE:
                await pause(nodes.events[name], extension, True)
        await until(lambda: all(takes_fastagi(ip) for ip in SERVERS.values()), 30, "both bereiks take FastAGI",
                    step=0.2)
        # On noord: one caller asks for a call-back when it is offered (9, then 1 to confirm the number read
        # back), one waits to be answered.
        asker = noord.call("14023", talk_seconds=60, dtmf=[*AFVAL, ("whispered", "9"), ("whispered", "1")], from_user="0644444444")
        waiter = noord.call("14023", talk_seconds=90, dtmf=BURGERZAKEN, from_user="0633333333")
        asked = await events.wait_for_event("QueueCallerJoin", lambda e: e["CallerIDNum"] == "0644444444", timeout=25)
        waiting = await events.wait_for_event("QueueCallerJoin", lambda e: e["CallerIDNum"] == "0633333333",
                                              timeout=25)

        # zuid dies, its Asterisk and its bereik at once (a machine gone), before either heard a message.
        killed = time.time()
        assert not whisper_plays(events, asked) and not whisper_plays(events, waiting)
        bereiks["zuid"].send_signal(signal.SIGKILL)
        nodes.asterisks["zuid"]._process.send_signal(signal.SIGKILL)
        await asyncio.to_thread(bereiks["zuid"].wait, 10)

        # The one who waits hears bereik's message, after the death: the announcer on noord goes on.
        await events.wait_for_event("Newexten", lambda e: e.get("Application") == "Playback"
                                    and whisper_plays(events, waiting), timeout=30)
        assert all(at > killed for at, _ in whisper_plays(events, waiting))
        # The one who asks for a call-back is offered it, takes it, and a stand-in keeps the place.
        left = await events.wait_for_event("QueueCallerLeave", lambda e: e["Channel"] == asked["Channel"], timeout=40)
        stand_in = await events.wait_for_event("QueueCallerJoin", lambda e: e["Channel"].startswith("Local/"),
                                               timeout=10)
        assert whisper_plays(events, asked) and all(killed < at < float(left["Timestamp"])
                                                    for at, _ in whisper_plays(events, asked))
        assert stand_in["CallerIDNum"] == "0644444444" and variable(stand_in, "BEREIK_CALLBACK")
        await asker.succeeds(20)  # told goodbye: the caller is gone

        # Agents free up on noord: Anna answers the one who waited; Bram gets the stand-in, then the caller's own
        # phone is rung and answered.
        phones = [noord.phone(ANNA_PHONE, ring_seconds=0.5), noord.phone(BRAM_PHONE, ring_seconds=0.5)]
        own_phone = noord.phone(NETWORK[0], port=NETWORK[1], ring_seconds=0.5)
        await pause(events, "201", False)
        await pause(events, "202", False)
        answered = await events.wait_for_event("AgentConnect", lambda e: e["Channel"] == waiting["Channel"],
                                               timeout=15)
        assert answered["Interface"] == "PJSIP/201"
        await events.wait_for_event("AgentConnect", lambda e: e["Channel"] == stand_in["Channel"], timeout=15)
        rang = await events.wait_for_event(
            "DialBegin", lambda e: e.get("DestChannel", "").startswith("PJSIP/trunk-"), timeout=15)
        dialled = await events.wait_for_event("DialEnd", lambda e: e.get("DestChannel") == rang["DestChannel"],
                                              timeout=15)
        assert dialled["DialStatus"] == "ANSWER"
        [invite] = own_phone.received("INVITE")[:1]
        assert invite["To"].startswith("<sip:0644444444@")
        assert nodes.asterisks["zuid"]._process.poll() is not None  # zuid stayed dead throughout
        waiter.stop()
        for party in (*phones, own_phone):
            party.stop()
    finally:
        for process in bereiks.values():
            stop(process)
        nodes.stop()
        cluster.stop()


async def test_a_node_that_stays_dead_has_its_calls_closed_once_by_the_survivor_whose_camp_on_goes_on(
        asterisk, ami, tmp_path, sandbox_root, failure_report):
    """zuid dies (its Asterisk and its bereik, SIGKILL) with two callers waiting on it and stays dead, while on noord
    a caller waits behind Eva's call (camp-on). noord's bereik closes the two calls' records once, as cut off, at
    the moment zuid was lost; the caller camped on noord keeps waiting and is put through when Eva hangs up. zuid
    comes back: its bereik takes its records back and neither reopens nor closes them again."""
    cluster = Cluster().start()
    nodes = Nodes(asterisk, tmp_path, cluster.dsn, sandbox_root, failure_report)
    bereiks = {name: bereik_run(nodes.yaml, name, nodes.sounds, nodes.secrets_file, tmp_path / f"bereik-{name}.log")
               for name in SERVERS}
    store = PostgresStore(cluster.dsn)
    try:
        await nodes.observe(ami)
        events, noord, zuid = nodes.events["noord"], nodes.parties["noord"], nodes.parties["zuid"]
        for name in SERVERS:  # nobody free in the front office: the callers on zuid wait
            for extension in FRONT_OFFICE:
                await pause(nodes.events[name], extension, True)
        await until(lambda: all(takes_fastagi(ip) for ip in SERVERS.values()), 30, "both bereiks take FastAGI",
                    step=0.2)
        # On noord: Femke calls Eva from her desk phone; a caller dials Eva directly and waits behind that call.
        eva = noord.phone(EVA_PHONE, ring_seconds=0.5, calls=2)
        femke = noord.call("301", local_ip=FEMKE_PHONE, talk_seconds=300, from_user="302",
                           auth=("302", nodes.secrets.phone("302")))
        busy = await events.wait_for_event("DialEnd", lambda e: e.get("DestChannel", "").startswith("PJSIP/301-")
                                           and e.get("DialStatus") == "ANSWER", timeout=20)
        camper = noord.call(EVA_DIRECT, talk_seconds=120, dtmf=[("asked", "1")], from_user="0655555555")
        camped = await events.wait_for_event("QueueCallerJoin", lambda e: e["Queue"] == "camp-301", timeout=30)
        # On zuid: two callers in the front office's queue, in the store as open calls.
        callers = [zuid.call("14023", talk_seconds=300, dtmf=BURGERZAKEN, from_user=f"063333333{n}") for n in (1, 2)]
        waiting = [await nodes.events["zuid"].wait_for_event(
            "QueueCallerJoin", lambda e, n=n: e["CallerIDNum"] == f"063333333{n}", timeout=30) for n in (1, 2)]
        on_zuid = {f"zuid-{event['Linkedid']}" for event in waiting}

        def rows() -> dict:
            return {row.call_id: row for row in store.calls(0, 2e10) if row.call_id in on_zuid}

        await until(lambda: set(rows()) == on_zuid, 20, "zuid's bereik wrote its callers' calls", step=0.2)
        assert all(row.ended_at is None for row in rows().values())

        # zuid dies and stays dead.
        killed = time.time()
        bereiks["zuid"].send_signal(signal.SIGKILL)
        nodes.asterisks["zuid"]._process.send_signal(signal.SIGKILL)
        await asyncio.to_thread(bereiks["zuid"].wait, 10)
        await until(lambda: all(row.ended_at is not None for row in rows().values()), lost.GRACE_SECONDS + 30,
                    "noord's bereik closes the calls that were on zuid", step=0.2)
        closed_after = time.time() - killed
        print(f"\nnodes: zuid killed -> its calls closed by noord's bereik after {closed_after:.1f} s "
              f"(grace {lost.GRACE_SECONDS:.0f} s, claim {CLAIM_SECONDS:.0f} s)")
        assert closed_after >= lost.GRACE_SECONDS  # not before the grace period
        for row in rows().values():
            assert row.cut_off and not row.abandoned and row.queue == "tic"
            assert killed <= row.ended_at <= killed + 5, (row.ended_at - killed)  # when zuid's AMI broke
            hung_up = [s for s in store.journey(row.call_id).steps if s.what == "hung_up"]
            assert [s.detail for s in hung_up] == [{"from": lost.LOST, "node": "zuid"}]
        assert "closed as cut off" in (tmp_path / "bereik-noord.log").read_text()
        closed = {call_id: row.ended_at for call_id, row in rows().items()}

        # The caller camped on noord is still there, and is put through when Eva's call ends.
        assert not events.matching("QueueCallerLeave", lambda e: e["Channel"] == camped["Channel"])
        await events.send_action({"Action": "Hangup", "Channel": busy["Channel"]})
        connected = await events.wait_for_event("AgentConnect", lambda e: e["Queue"] == "camp-301", timeout=20)
        assert connected["Interface"] == "PJSIP/301" and connected["Channel"] == camped["Channel"]
        assert float(connected["Timestamp"]) > killed + lost.GRACE_SECONDS

        # zuid comes back: its bereik claims its records again and leaves the closed calls as they are.
        nodes.asterisks["zuid"].stop()
        nodes.asterisks["zuid"].start()
        bereiks["zuid"] = bereik_run(nodes.yaml, "zuid", nodes.sounds, nodes.secrets_file,
                                     tmp_path / "bereik-zuid-back.log")
        await until(lambda: takes_fastagi(SERVERS["zuid"]) and writer_of(store, "zuid") == "zuid", 40,
                    "zuid's bereik is back and writes zuid's calls", step=0.2)
        back = await ami(nodes.asterisks["zuid"])
        fresh = zuid.call("14023", talk_seconds=5, dtmf=BURGERZAKEN, from_user="0633333339")
        joined = await back.wait_for_event("QueueCallerJoin", lambda e: e["CallerIDNum"] == "0633333339", timeout=30)
        await until(lambda: f"zuid-{joined['Linkedid']}" in {r.call_id for r in store.calls(0, 2e10)}, 20,
                    "zuid's bereik records a new call", step=0.2)  # it has reconnected and reconciled
        assert {call_id: row.ended_at for call_id, row in rows().items()} == closed
        for call_id in on_zuid:
            assert [s.what for s in store.journey(call_id).steps].count("hung_up") == 1
        for party in (femke, camper, eva, fresh, *callers):
            party.stop()
    finally:
        store.close()
        for process in bereiks.values():
            stop(process)
        nodes.stop()
        cluster.stop()


def recorded(monitor: Path) -> set[str]:
    """Anna's recordings in a node's monitor directory (the sandbox's chroot keeps those of earlier runs)."""
    return {f.name for f in monitor.glob("bereik-*-anna+*.wav")}


def writer_of(store, server: str) -> str | None:
    """The bereik that holds the writing of `server`'s calls now (bereik.records.standby)."""
    with store._transaction() as cursor:
        cursor.execute("SELECT instance FROM server_writers WHERE server = %s AND until > %s", (server, time.time()))
        found = cursor.fetchone()
    return found[0] if found else None


async def agent_page(browser, service):
    page = await browser.new_page()
    record_sockets(page)
    await page.goto(f"http://127.0.0.1:{service.console.port}/")
    await page.fill("#login", "anna")
    await page.fill("#password", "anna-pw")
    await page.click("button[type=submit]")
    try:
        await page.wait_for_selector("#screenpop", timeout=10_000)
    except Exception:
        raise AssertionError(f"not logged in at {page.url}: {(await page.content())[:600]}") from None
    await page.evaluate(SOCKET_OPEN)  # a function, never a string predicate: the console's CSP has no eval
    await follow_call_states(page)
    return page
