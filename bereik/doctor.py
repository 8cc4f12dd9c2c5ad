"""`bereik doctor gemeente.yaml`: checks a live installation and says, in the administrator's words, what is
wrong and how to fix it. Exit status for monitoring (as Nagios plugins): 0 all good, 1 a warning, 2 a fault.

Each check is a small function returning Findings; the I/O is plain sockets, files and the store, with short
time-outs, so that a doctor run on a broken host finishes in seconds.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import os
import pwd
import re
import shlex
import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from bereik.config.model import Config, Server
from bereik.ivr.catalogue import spoken_texts, whispered_texts
from bereik.ivr.prompts import PromptLibrary
from bereik.pbx.dialplan import AMI_USER, FAILOPEN_DATES_CONTEXT
from bereik.records import schema
from bereik.records.spool import default_directory as default_spool_directory
from bereik.secrets import AMI_SECRET, SecretError, Secrets

OK, WARN, FAULT = 0, 1, 2
TIMEOUT = 5.0
CLOCK_SKEW_SECONDS = 2.0
REFUSAL_SECONDS = 0.5
CERTIFICATE_WARN_DAYS = 30
FAILOPEN_WARN_DAYS = 60  # the fail-open table's holidays run out: time to run `bereik dialplan` again
DISK_WARN_BYTES, DISK_FAULT_BYTES = 2 * 1024**3, 200 * 1024**2
LDAP_SECRET, GRAPH_SECRET = "BEREIK_LDAP_SECRET", "BEREIK_GRAPH_SECRET"

# What bereik's AMI user must be able to do (generated manager.conf: write=call), each shown by an action
# Asterisk lists for it (ListCommands lists only what the user may send) ...
NEEDED_ACTIONS = {"call": "Setvar"}
# ... and what it must not: an action of a class it was never given (originate and agent start calls to any
# number: Originate, QueueAdd; system, command, config, agi, user write, message) shows that it has one.
FORBIDDEN_ACTIONS = ("Originate", "QueueAdd", "Command", "GetConfig", "ModuleLoad", "AGI", "UserEvent", "MessageSend",
                     "DialplanExtensionAdd")
# The modules the generated dialplan and bereik's AMI use.
MODULES = ("app_queue.so", "res_agi.so", "chan_pjsip.so", "pbx_config.so", "app_chanspy.so", "app_originate.so",
           "func_dialplan.so", "app_verbose.so", "app_mixmonitor.so",
           "app_directed_pickup.so", "app_celgenuserevent.so", "cel_custom.so", "func_timeout.so",
           "func_strings.so", "app_read.so", "app_playback.so", "res_musiconhold.so", "res_manager_devicestate.so")


@dataclass(frozen=True)
class Finding:
    check: str
    level: int  # OK, WARN or FAULT
    said: str  # what is the case
    fix: str = ""  # what to do about it

    def line(self) -> str:
        mark = {OK: "ok   ", WARN: "WARN ", FAULT: "FAULT"}[self.level]
        return f"{mark} {self.check}: {self.said}" + (f"\n      fix: {self.fix}" if self.fix else "")


@dataclass
class Installation:
    config: Config
    secrets: Secrets
    sounds: Path
    user: str  # the account bereik runs as (its rights on files are what count)
    asterisk_cli: list[str] | None  # e.g. ["asterisk", "-rx"]: how to ask Asterisk for its modules


# --- AMI: login, rights, app_queue, clock ---

async def _ami_exchange(address: str, secret: str) -> tuple[str, list[str], float | None]:
    """Log in as bereik; ('ok' | the refusal, actions the user may send, Asterisk's clock)."""
    host, port = address.rsplit(":", 1)
    reader, writer = await asyncio.wait_for(asyncio.open_connection(host, int(port)), TIMEOUT)

    async def send(**headers: str) -> dict[str, str]:
        writer.write("".join(f"{k}: {v}\r\n" for k, v in headers.items()).encode() + b"\r\n")
        await writer.drain()
        while True:  # skip events until the response to this action
            block = (await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), TIMEOUT)).decode(errors="replace")
            fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
            if "Response" in fields:
                return fields

    try:
        await asyncio.wait_for(reader.readline(), TIMEOUT)  # Asterisk Call Manager/...
        answer = await send(Action="Login", Username=AMI_USER, Secret=secret, Events="off")
        if answer.get("Response") != "Success":
            return answer.get("Message", "refused"), [], None
        actions = [k for k in (await send(Action="ListCommands")) if k not in ("Response", "ActionID")]
        pong = await send(Action="Ping")
        clock = float(pong["Timestamp"]) if "Timestamp" in pong else None
        await send(Action="Logoff")
        return "ok", actions, clock
    finally:
        writer.close()


def check_ami(install: Installation) -> list[Finding]:
    found = []
    try:
        secret = install.secrets.get(AMI_SECRET)
    except SecretError as error:
        return [Finding("AMI", FAULT, str(error), "bereik secrets --new /etc/bereik/secrets.env, then bereik dialplan")]
    for name, address in _servers(install.config):
        check = f"AMI {name}" if name else "AMI"
        try:
            outcome, actions, clock = asyncio.run(_ami_exchange(address, secret))
        except (OSError, TimeoutError, asyncio.IncompleteReadError) as error:
            found.append(Finding(check, FAULT, f"nothing answers on {address} ({error.__class__.__name__})",
                                 "is Asterisk running (systemctl status asterisk)? Is manager.conf's "
                                 "[general] enabled=yes with this bindaddr and port?"))
            continue
        if outcome != "ok":
            found.append(Finding(check, FAULT, f"Asterisk refused the login of user {AMI_USER} ({outcome})",
                                 "the secret in Asterisk's manager.conf differs from BEREIK_AMI_SECRET in the secrets "
                                 "file: run bereik dialplan with --secrets, then asterisk -rx 'manager reload'"))
            continue
        found.append(Finding(check, OK, f"logged in as {AMI_USER} on {address}"))
        queues = "QueueStatus" in actions  # app_queue loaded
        missing = [c for c, action in NEEDED_ACTIONS.items() if action not in actions]
        extra = [action for action in FORBIDDEN_ACTIONS if action in actions]
        if missing or extra:
            said = "; ".join(filter(None, [missing and f"lacks write class {', '.join(missing)}",
                                           extra and f"may do more than bereik needs (it may send {', '.join(extra)})"]))
            found.append(Finding(f"{check} rights", FAULT, f"the AMI user {AMI_USER} {said}",
                                 f"give [{AMI_USER}] in manager.conf exactly write=call and "
                                 "read=call,agent,user, as bereik dialplan writes it; asterisk -rx 'manager reload'"))
        else:
            found.append(Finding(f"{check} rights", OK, "exactly write=call (no originate, agent, system, "
                                 "command, config)"))
        if not queues:
            found.append(Finding(f"{check} queues", FAULT, "Asterisk has no app_queue: callers cannot wait for the "
                                 "front office", "load it: asterisk -rx 'module load app_queue.so' and remove any "
                                 "noload => app_queue.so from modules.conf"))
        if clock is not None:
            skew = time.time() - clock
            level = OK if abs(skew) <= CLOCK_SKEW_SECONDS else FAULT
            found.append(Finding(f"{check} clock", level, f"this host's clock is {skew:+.1f} s from Asterisk's",
                                 "" if level == OK else "run chrony or systemd-timesyncd on both hosts: reports "
                                 "and call records mix both clocks"))
    return found


def _servers(config: Config) -> list[tuple[str, str]]:
    if config.pbx.servers:
        return [(s.name, s.ami) for s in config.pbx.servers]
    return [("", config.pbx.ami)]


# --- Asterisk's modules, through its CLI on this host ---

def check_modules(install: Installation) -> list[Finding]:
    if not install.asterisk_cli:
        return [Finding("modules", WARN, "not checked: no Asterisk CLI on this host",
                        "run bereik doctor on the Asterisk host, or give --asterisk-cli \"asterisk -rx\"")]
    missing = []
    for module in MODULES:
        try:
            shown = subprocess.run([*install.asterisk_cli, f"module show like {module}"], capture_output=True,
                                   text=True, timeout=TIMEOUT).stdout
        except (OSError, subprocess.TimeoutExpired) as error:
            return [Finding("modules", FAULT, f"the Asterisk CLI does not answer ({error})",
                            "is Asterisk running, and may this user use its control socket?")]
        if not any(line.startswith(module) and "Running" in line for line in shown.splitlines()):
            missing.append(module)
    if missing:
        return [Finding("modules", FAULT, f"not loaded: {', '.join(missing)}",
                        f"asterisk -rx 'module load {missing[0]}' (and so on), and remove their noload lines "
                        "from modules.conf")]
    return [Finding("modules", OK, f"the {len(MODULES)} modules the dialplan needs are loaded")]


def check_failopen_dates(install: Installation) -> list[Finding]:
    """The closing days the loaded dialplan knows for when bereik is down (bereik.routing.failopen): a table of
    dates generated by `bereik dialplan`; once it runs out, a caller on a holiday would ring an empty office."""
    check = "fail-open closing days"
    if not install.asterisk_cli:
        return [Finding(check, WARN, "not checked: no Asterisk CLI on this host",
                        "run bereik doctor on the Asterisk host, or give --asterisk-cli \"asterisk -rx\"")]
    try:
        shown = subprocess.run([*install.asterisk_cli, f"dialplan show {FAILOPEN_DATES_CONTEXT}"],
                               capture_output=True, text=True, timeout=TIMEOUT).stdout
    except (OSError, subprocess.TimeoutExpired) as error:
        return [Finding(check, FAULT, f"the Asterisk CLI does not answer ({error})",
                        "is Asterisk running, and may this user use its control socket?")]
    days = sorted(dt.datetime.strptime(day, "%Y%m%d").date() for day in re.findall(r"'(\d{8})' =>", shown))
    fix = "bereik dialplan, then reload Asterisk's dialplan (a yearly job, or after changing the hours)"
    if not days:
        return [Finding(check, FAULT, f"Asterisk has no {FAILOPEN_DATES_CONTEXT}: with bereik down, callers "
                        "would not hear the closing message on holidays", fix)]
    today = dt.datetime.now(install.config.zone).date()
    left = (days[-1] - today).days
    level = FAULT if left < 0 else WARN if left < FAILOPEN_WARN_DAYS else OK
    said = f"known until {days[-1]:%Y-%m-%d}" + ("" if left >= 0 else ": holidays after that ring an empty office")
    return [Finding(check, level, said, "" if level == OK else fix)]


# --- FastAGI ---

def check_fastagi(install: Installation) -> list[Finding]:
    """bereik's FastAGI port, from each Asterisk's own address where that address is on this host."""
    config = install.config
    targets = [(s.name, s.agi, s.sip_bind.rsplit(":", 1)[0]) for s in config.pbx.servers] or \
        [("", config.pbx.agi, config.pbx.ami.rsplit(":", 1)[0])]
    found = []
    for name, agi, source in targets:
        host, port = agi.rsplit(":", 1)
        check = f"FastAGI {name}".strip()
        try:
            with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
                probe.settimeout(TIMEOUT)
                where = f"from {source}"
                try:
                    probe.bind((source, 0))
                except OSError:
                    where = "from this host (the Asterisk's address is elsewhere)"
                probe.connect((host, int(port)))
                probe.settimeout(REFUSAL_SECONDS)
                try:
                    refused = probe.recv(1) == b""  # bereik closes at once on an address it does not allow
                except TimeoutError:
                    refused = False  # it waits for the call's AGI environment: accepted
        except OSError as error:
            found.append(Finding(check, FAULT, f"nothing answers on {agi} ({error.strerror or error}): calls fail "
                                 "open to the front-office queue", "start bereik (systemctl start bereik) and check "
                                 "that pbx.agi is an address of this host; a firewall must let Asterisk in"))
            continue
        if refused:
            found.append(Finding(check, FAULT, f"bereik on {agi} refuses connections {where}: every call fails open",
                                 "allow this Asterisk's address in bereik's FastAGI allow-list"))
        else:
            found.append(Finding(check, OK, f"bereik answers on {agi} {where}"))
    return found


# --- sounds ---

def check_sounds(install: Installation) -> list[Finding]:
    config = install.config
    wanted = [(PromptLibrary(install.sounds, config.language), t) for t in spoken_texts(config)]
    wanted += [(PromptLibrary(install.sounds, config.language, over_ring=True), t) for t in whispered_texts(config)]
    missing = [text for library, text in wanted if not library.path(text).is_file()]
    if missing:
        example = missing[0] if len(missing[0]) <= 60 else missing[0][:57] + "..."
        return [Finding("sounds", FAULT, f"{len(missing)} of {len(wanted)} texts have no sound in {install.sounds} "
                        f"(e.g. '{example}')", f"bereik prompts gemeente.yaml --out {install.sounds}")]
    return [Finding("sounds", OK, f"all {len(wanted)} texts have their sound")]


# --- files bereik reads or writes, as its own user ---

def _can(user: str, flag: str, path: Path) -> bool:
    """`test -r` / `test -w` as `user` would see it (folders on the way, groups, ACLs), when this runs as root;
    otherwise as this process sees it."""
    try:
        entry = pwd.getpwnam(user)
    except KeyError:
        entry = None
    if os.geteuid() != 0 or entry is None or entry.pw_uid == 0:
        return os.access(path, {"-r": os.R_OK, "-w": os.W_OK}[flag])
    groups = os.getgrouplist(user, entry.pw_gid)
    return subprocess.run(["test", flag, str(path)], user=entry.pw_uid, group=entry.pw_gid,
                          extra_groups=groups, timeout=TIMEOUT).returncode == 0


def _each_server(config: Config, own: Callable[[Server], str | None], default: str | None) -> list[tuple[str, str | None]]:
    """(server name, its own setting or the default) for each of pbx.servers, or ("", default) for one server."""
    return [(server.name, own(server) or default) for server in config.pbx.servers] or [("", default)]


def check_cel(install: Installation) -> list[Finding]:
    config = install.config
    paths = _each_server(config, lambda server: server.asterisk_cel, config.records.asterisk_cel)
    found = []
    for name, path in paths:
        check = f"CEL {name}".strip()
        if path is None:
            found.append(Finding(check, WARN, "records.asterisk_cel is off: calls missed while bereik was away stay "
                                 "missing", "set records.asterisk_cel to Asterisk's cel-custom/bereik.csv"))
        elif not Path(path).parent.is_dir():
            found.append(Finding(check, FAULT, f"{Path(path).parent} does not exist: Asterisk writes no event there",
                                 "systemd-tmpfiles --create bereik.conf (written by bereik systemd)"))
        elif not Path(path).exists():
            found.append(Finding(check, WARN, f"{path} does not exist (yet)", "is cel_custom.so loaded and "
                                 "cel.conf written by bereik dialplan? Asterisk makes the file at its first call"))
        elif not _can(install.user, "-r", Path(path)):
            found.append(Finding(check, FAULT, f"{install.user} cannot read {path}", f"chgrp asterisk {path}; "
                                 f"chmod 640 {path}; and put {install.user} in the group asterisk"))
        else:
            found.append(Finding(check, OK, f"{install.user} can read {path}"))
    return found


def check_call_files(install: Installation) -> list[Finding]:
    """bereik writes each call file beside Asterisk's outgoing spool and moves it in (bereik.pbx.call_files)."""
    config = install.config
    spools = _each_server(config, lambda server: server.call_files, config.pbx.call_files)
    found = []
    for name, spool in spools:
        check, spool = f"call files {name}".strip(), Path(spool)
        unwritable = [folder for folder in (spool.parent, spool) if folder.is_dir() and not _can(install.user, "-w", folder)]
        if not spool.is_dir():
            found.append(Finding(check, FAULT, f"{spool} is no folder: waiting callers hear no message and no call-back "
                                 "is made", "set pbx.call_files to Asterisk's outgoing spool as bereik sees it "
                                 "(astspooldir in asterisk.conf, then /outgoing)"))
        elif unwritable:
            folders = " ".join(str(folder) for folder in unwritable)
            found.append(Finding(check, FAULT, f"{install.user} cannot write in {folders}: waiting callers hear no "
                                 "message and no call-back is made", f"chgrp asterisk {folders}; chmod 2770 {folders}; "
                                 f"and put {install.user} in the group asterisk"))
        else:
            found.append(Finding(check, OK, f"{install.user} can start calls in {spool}"))
    return found


def check_store(install: Installation) -> list[Finding]:
    """Reachable, writable and at this release's schema version; never migrated by the doctor."""
    location = install.config.records.store
    shown = location if not location.startswith("postgres") else location.split("@")[-1]
    try:
        version = schema.version_of(location)
    except Exception as error:  # sqlite3, psycopg or OS errors alike
        return [Finding("store", FAULT, f"cannot open the call-record store {shown} ({error})",
                        "for SQLite: the file and its folder must exist and belong to bereik; for PostgreSQL: is it "
                        "up, and may bereik log in?")]
    found = []
    if version.unknown:
        found.append(Finding("store schema", FAULT, f"{shown} was upgraded by a newer bereik "
                             f"({', '.join(version.unknown)})", "install that bereik release again"))
    elif version.pending:
        found.append(Finding("store schema", FAULT, f"{shown} is at schema version {version.current}; this bereik "
                             f"expects {version.expected[-1]}", "bereik migrate gemeente.yaml (bereik run does it "
                             "at start: restart it)"))
    else:
        found.append(Finding("store schema", OK, f"at version {version.current}"))
    if not location.startswith("postgres"):
        folder = Path(location).parent
        if not (_can(install.user, "-w", folder) and _can(install.user, "-w", Path(location))):
            found.append(Finding("store writable", FAULT, f"{install.user} cannot write {location} or its folder",
                                 f"chown -R {install.user} {folder}"))
            return found
    try:
        schema.check_writable(location)
        found.append(Finding("store writable", OK, f"{shown} takes writes"))
    except Exception as error:
        found.append(Finding("store writable", FAULT, f"{shown} refuses writes ({error})",
                             "a SQLite store locked by another program, a full disk, or PostgreSQL rights: "
                             "GRANT INSERT, UPDATE, DELETE on bereik's tables"))
    return found


def check_disk(install: Installation) -> list[Finding]:
    config = install.config
    places = {"recordings": config.console.recordings_dir,
              "spool": config.records.spool or str(default_spool_directory(config.records.store))}
    if not config.records.store.startswith("postgres"):
        places["store"] = str(Path(config.records.store).parent)
    found = []
    for what, place in places.items():
        path = Path(place)
        while not path.exists():
            path = path.parent
        free = shutil.disk_usage(path).free
        level = FAULT if free < DISK_FAULT_BYTES else WARN if free < DISK_WARN_BYTES else OK
        found.append(Finding(f"disk {what}", level, f"{free / 1024**3:.1f} GiB free for {place}",
                             "" if level == OK else "free space or move it to a larger disk: a full disk stops "
                             "recordings and holds call records in memory"))
    return found


# --- LDAP, Graph, TLS ---

def _ldap_urls(install: Installation) -> list[tuple[str, str, bool, str | None, str]]:
    """(check, url, start_tls, ca_file, bind_dn)."""
    config = install.config
    urls = []
    if config.presence.ldap:
        ldap = config.presence.ldap
        urls.append(("LDAP directory", ldap.url, ldap.start_tls, ldap.ca_file, ldap.bind_dn))
    if config.console.users:
        urls.append(("LDAP console login", config.console.ldap_url, config.console.ldap_start_tls,
                     config.console.ldap_ca_file, ""))
    return urls


def check_ldap(install: Installation) -> list[Finding]:
    import ldap3
    from ldap3.core.exceptions import LDAPException

    found = []
    for check, url, start_tls, ca_file, bind_dn in _ldap_urls(install):
        try:
            password = install.secrets.get(LDAP_SECRET) if bind_dn else None
        except SecretError as error:
            found.append(Finding(check, FAULT, str(error), f"set {LDAP_SECRET} in the secrets file"))
            continue
        tls = ldap3.Tls(ca_certs_file=ca_file) if ca_file else None
        server = ldap3.Server(url, connect_timeout=TIMEOUT, tls=tls)
        try:
            connection = ldap3.Connection(server, user=bind_dn or None, password=password, receive_timeout=TIMEOUT,
                                          auto_bind=ldap3.AUTO_BIND_TLS_BEFORE_BIND if start_tls
                                          else ldap3.AUTO_BIND_NO_TLS)
            connection.unbind()
            found.append(Finding(check, OK, f"{url} answers" + (f" and accepts {bind_dn}" if bind_dn else "")))
        except LDAPException as error:
            refused = "invalidCredentials" in str(error) or "BindError" in error.__class__.__name__
            found.append(Finding(check, FAULT, f"{url}: {error.__class__.__name__}",
                                 f"check {LDAP_SECRET} and the bind DN" if refused else
                                 "is the directory server up and reachable from here (firewall, address, port)?"))
    return found


def check_graph(install: Installation) -> list[Finding]:
    graph = install.config.presence.graph
    if not graph:
        return []
    from bereik.presence.configured import graph_settings
    from bereik.presence.graph import GraphClient

    async def token() -> None:
        import aiohttp

        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=TIMEOUT)) as session:
            await GraphClient(graph_settings(install.config, install.secrets), session, time.time).token()

    try:
        asyncio.run(token())
        return [Finding("Microsoft Graph", OK, "a token for the app registration was issued")]
    except SecretError as error:
        return [Finding("Microsoft Graph", FAULT, str(error), f"set {GRAPH_SECRET} in the secrets file")]
    except Exception as error:
        return [Finding("Microsoft Graph", FAULT, f"no token ({error.__class__.__name__}: {error})",
                        "check tenant_id, client_id and BEREIK_GRAPH_SECRET (it may have expired in Entra ID)")]


def check_tls(install: Installation) -> list[Finding]:
    """The certificates of the TLS endpoints bereik talks to (ldaps:// and StartTLS directories)."""
    found = []
    for check, url, start_tls, ca_file, _ in _ldap_urls(install):
        if not url.lower().startswith("ldaps://"):
            continue  # StartTLS certificates are checked by the LDAP bind itself
        host_port = url.split("://", 1)[1].rstrip("/")
        host, _, port = host_port.partition(":")
        context = ssl.create_default_context(cafile=ca_file)
        try:
            with socket.create_connection((host, int(port or 636)), TIMEOUT) as raw, \
                    context.wrap_socket(raw, server_hostname=host) as wrapped:
                expires = ssl.cert_time_to_seconds(wrapped.getpeercert()["notAfter"])
        except (OSError, ssl.SSLError) as error:
            found.append(Finding(f"TLS {check}", FAULT, f"{url}: {error}", "a certificate this host trusts, for "
                                 "this host name (or ca_file in the YAML)"))
            continue
        days = (expires - time.time()) / 86400
        level = FAULT if days < 0 else WARN if days < CERTIFICATE_WARN_DAYS else OK
        found.append(Finding(f"TLS {check}", level, f"{url}: certificate valid for {days:.0f} more days",
                             "" if level == OK else "renew the certificate"))
    return found or [Finding("TLS", OK, "no TLS endpoint in the YAML to check")]


CHECKS: tuple[Callable[[Installation], list[Finding]], ...] = (
    check_ami, check_modules, check_failopen_dates, check_fastagi, check_sounds, check_cel, check_call_files, check_store,
    check_ldap, check_graph, check_tls, check_disk)


def examine(install: Installation, checks: Iterable[Callable[[Installation], list[Finding]]] = CHECKS) -> list[Finding]:
    return [finding for check in checks for finding in check(install)]


def status(findings: list[Finding]) -> int:
    return max((f.level for f in findings), default=OK)


def default_cli() -> list[str] | None:
    return ["asterisk", "-rx"] if shutil.which("asterisk") else None


def parse_cli(value: str | None) -> list[str] | None:
    return shlex.split(value) if value else default_cli()
