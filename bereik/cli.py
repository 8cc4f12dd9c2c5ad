"""The `bereik` command."""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import getpass
import json
import logging
import shlex
import sys
from pathlib import Path

from bereik import version
from bereik.calllog import log_to_stderr
from bereik.config import Config, ConfigError, check_file, load_config
from bereik.platform import command as platform_command
from bereik.platform.load import is_platform
from bereik.secrets import SecretError, Secrets, add_missing_secrets, write_new_secrets_file
from bereik.simulation import command as simulation


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bereik", description="Telephone reachability for Dutch municipalities.")
    parser.add_argument("--version", action="version", version=f"bereik {version()}")
    commands = parser.add_subparsers(dest="command", required=True)

    check = commands.add_parser("check", help="validate a municipality's YAML and report every problem")
    check.add_argument("file")
    check.add_argument("--sounds", type=Path, help="the prompts as Asterisk plays them (`bereik prompts --out`), to "
                       "time the menu; default: rendered into ~/.cache/bereik-prompts")

    commands.add_parser("schema", help="print the JSON Schema of the YAML, for editors")

    diff = commands.add_parser("diff", help="what a change to the YAML will do, in plain words; exit status 0: "
                               "the same, 1: different, 2: a file cannot be read")
    diff.add_argument("old")
    diff.add_argument("new")
    diff.add_argument("--lang", choices=("nl", "en"), default="nl")

    importer = commands.add_parser("import", help="a starting YAML from an existing Asterisk's configuration")
    importer.add_argument("paths", nargs="+", type=Path,
                          help="a directory with extensions.conf, queues.conf, pjsip.conf, or those files")
    importer.add_argument("--out", type=Path, help="the YAML to write (default: standard output)")
    importer.add_argument("--municipality", help="the municipality's name")

    dialplan = commands.add_parser("dialplan", help="write the Asterisk configuration")
    dialplan.add_argument("file")
    dialplan.add_argument("--out", required=True, type=Path, help="directory for the .conf files")
    dialplan.add_argument("--secrets", type=Path, help="KEY=VALUE file with BEREIK_AMI_SECRET (mode 600)")
    dialplan.add_argument("--server", help="which of pbx.servers this configuration is for (on a platform: which "
                          "node's instances)")
    dialplan.add_argument("--kamailio", action="store_true", help="on a platform file: Kamailio's files only")

    freeswitch = commands.add_parser("freeswitch", help="write the FreeSWITCH dialplan and mod_callcenter configuration")
    freeswitch.add_argument("file")
    freeswitch.add_argument("--out", required=True, type=Path, help="FreeSWITCH's configuration directory")
    freeswitch.add_argument("--esl", default="127.0.0.1:8084", help="where bereik's outbound event socket listens")

    esl = commands.add_parser("esl", help="route FreeSWITCH's calls: serve the outbound event socket")
    esl.add_argument("file")
    esl.add_argument("--sounds", required=True, type=Path, help="where the prompts are (FreeSWITCH plays them by path)")
    esl.add_argument("--listen", default="127.0.0.1:8084")

    prompts = commands.add_parser("prompts", help="render every spoken text as speech for Asterisk")
    prompts.add_argument("file")
    prompts.add_argument("--out", required=True, type=Path,
                         help="Asterisk's sounds/bereik directory, e.g. /var/lib/asterisk/sounds/bereik")

    run = commands.add_parser("run", help="serve FastAGI and follow Asterisk over AMI")
    run.add_argument("file")
    run.add_argument("--sounds", required=True, type=Path, help="the directory `bereik prompts --out` wrote")
    run.add_argument("--secrets", type=Path)
    run.add_argument("--server", help="which of pbx.servers this bereik serves")
    run.add_argument("--asterisk-config", type=Path, metavar="/etc/asterisk",
                     help="on a change of the YAML (or SIGHUP), write the Asterisk configuration here and reload it")
    run.add_argument("--reload-command", metavar='"sudo -n asterisk -rx \'module reload {module}\'"',
                     help="how Asterisk modules are reloaded (bereik's AMI user may not); {module} is filled in")
    run.add_argument("--pretend-time", type=dt.datetime.fromisoformat, metavar="2026-12-25T10:00",
                     help="run the clock from this moment (demonstrations and tests only)")

    forward = commands.add_parser("forward", help="absence forwarding: set, clear or list")
    forward_commands = forward.add_subparsers(dest="forward_command", required=True)
    forward_set = forward_commands.add_parser("set", help="forward a person's calls for a period")
    forward_set.add_argument("file")
    forward_set.add_argument("person", help="the person's extension")
    forward_set.add_argument("--to", required=True, help="a colleague's extension, 'mobile' or 'substitute'")
    forward_set.add_argument("--from", dest="starts", type=dt.datetime.fromisoformat, help="default: now")
    forward_set.add_argument("--until", type=dt.datetime.fromisoformat, help="default: until cleared")
    forward_set.add_argument("--by", default="cli", help="who sets it (a person or team lead), for the record")
    forward_clear = forward_commands.add_parser("clear", help="remove a person's forward")
    forward_clear.add_argument("file")
    forward_clear.add_argument("person")
    forward_list = forward_commands.add_parser("list", help="every forward, in force or planned")
    forward_list.add_argument("file")
    for sub in (forward_set, forward_clear, forward_list):
        sub.add_argument("--db", type=Path, help="default: back_office.forwarding_store in the YAML")
    for sub in (forward_set, forward_clear):
        sub.add_argument("--store", help="the call-record store that keeps the audit log (default: records.store)")

    audit = commands.add_parser("audit", help="the audit log of administrative acts, newest first")
    audit.add_argument("file")
    audit.add_argument("--days", type=int, default=30, help="how far back (default: 30 days)")
    audit.add_argument("--store", help="the call-record store (default: records.store in the YAML)")
    audit.add_argument("--json", action="store_true", help="one JSON object per line")

    report = commands.add_parser("report", help="write the reachability report of a month or period "
                                 "(HTML with charts, CSV, JSON)")
    report.add_argument("file")
    period = report.add_mutually_exclusive_group(required=True)
    period.add_argument("--month", metavar="2026-10", help="a month, or 'last' for the previous one (the timer's)")
    period.add_argument("--from", dest="start", type=dt.date.fromisoformat, metavar="2026-10-01")
    report.add_argument("--to", dest="end", type=dt.date.fromisoformat, metavar="2026-10-31",
                        help="the last day, inclusive (default: the same as --from)")
    report.add_argument("--out", type=Path, default=Path("."), help="directory for the files")
    report.add_argument("--store", help="the call-record store (default: records.store in the YAML)")
    report.add_argument("--server", metavar="NAME", help="only the calls of this one of pbx.servers (default: all)")

    simulation.add_parser(commands)

    units = commands.add_parser("systemd", help="install bereik's systemd units, its service user and log rotation")
    units.add_argument("--root", type=Path, default=Path("/"), help="install under this directory (default: /)")
    units.add_argument("--yaml", default="/etc/bereik/gemeente.yaml")
    units.add_argument("--secrets", default="/etc/bereik/secrets.env", help="root's file; systemd hands bereik a copy")
    units.add_argument("--sounds", default="/var/lib/asterisk/sounds/bereik")
    units.add_argument("--asterisk-config", default="/etc/asterisk")
    units.add_argument("--cel", default="/var/log/asterisk/cel-custom/bereik.csv", help="records.asterisk_cel")
    units.add_argument("--bereik", help="the bereik command the units run (default: this installation's)")

    doctor = commands.add_parser("doctor", help="check a live installation: what is wrong and how to fix it "
                                 "(exit 0 good, 1 warning, 2 fault)")
    doctor.add_argument("file")
    doctor.add_argument("--secrets", type=Path, help="the secrets file bereik run uses")
    doctor.add_argument("--sounds", type=Path, default=Path("/var/lib/asterisk/sounds/bereik"))
    doctor.add_argument("--server", help="which of pbx.servers this host serves")
    doctor.add_argument("--user", default="bereik", help="the account bereik runs as (default: bereik)")
    doctor.add_argument("--asterisk-cli", metavar='"asterisk -rx"',
                        help="how to run an Asterisk CLI command here (default: asterisk -rx, if installed)")

    migrate = commands.add_parser("migrate", help="bring the call-record store to this release's schema version "
                                  "(bereik run does so at start)")
    migrate.add_argument("file")
    migrate.add_argument("--store", help="the call-record store (default: records.store in the YAML)")
    for sub in (dialplan, prompts, run, report, doctor, migrate):
        sub.add_argument("--municipality", help=platform_command.MUNICIPALITY_HELP)

    new_secrets = commands.add_parser(
        "secrets", help="create a secrets file with random AMI, pseudonym and phone keys, or add what is missing")
    made = new_secrets.add_mutually_exclusive_group(required=True)
    made.add_argument("--new", type=Path, help="a new file (mode 600)")
    made.add_argument("--update", type=Path, help="add the keys a newer bereik needs to this file; none is changed")

    phones = commands.add_parser(
        "phones", help="each desk phone's SIP account (user name and digest password), to provision the phones")
    phones.add_argument("file")
    phones.add_argument("--secrets", type=Path, required=True)

    args = parser.parse_args(argv)
    try:
        return _COMMANDS[args.command](args)
    except ConfigError as error:
        print(error, file=sys.stderr)
        print(f"{len(error.problems)} problem(s); fix them and run `bereik check` again.", file=sys.stderr)
        return 1
    except SecretError as error:
        print(f"bereik: {error}", file=sys.stderr)
        return 1


def _config_for_server(args):
    try:
        return platform_command.config_for(args.file, args.municipality, args.server, on_server=True)
    except ValueError as error:
        raise SystemExit(f"bereik: {error}") from None


def _config(args) -> Config:
    """The municipality's configuration (given its YAML, or a platform file and --municipality)."""
    try:
        return platform_command.config_for(args.file, args.municipality)
    except ValueError as error:
        raise SystemExit(f"bereik: {error}") from None


def _check(args) -> int:
    from bereik.ivr.timing import menu_warning, timing_with_prompts

    if is_platform(args.file):
        return platform_command.check(args.file)
    checked = check_file(args.file)
    config = checked.config
    timing = timing_with_prompts(config, args.sounds or Path("~/.cache/bereik-prompts").expanduser())
    warnings = [*checked.warnings, *menu_warning(checked, timing)]
    for warning in warnings:
        print(warning, file=sys.stderr)
    options = len(config.menu.options) if config.menu else 0
    print(f"{args.file}: ok. Gemeente {config.municipality} on {config.number}, {options} menu options, "
          f"{len(config.queues)} queue(s), {len(config.agents)} agents."
          + (f" {len(warnings)} warning(s), printed above." if warnings else ""))
    if timing is not None and not timing.too_long:
        print(f"Timing: {timing.sentence()}.")
    return 0


def _schema(args) -> int:
    from bereik.config.schema import json_schema

    print(json.dumps(json_schema(), indent=2, ensure_ascii=False))
    return 0


def _diff(args) -> int:
    from bereik.admin.diff import changes, render

    try:
        old, new = load_config(args.old), load_config(args.new)
    except ConfigError as error:
        print(error, file=sys.stderr)
        print("bereik diff compares two valid files; fix the problems above first.", file=sys.stderr)
        return 2
    found = changes(old, new, args.lang)
    print(render(found, args.lang))
    return 1 if found else 0


def _import(args) -> int:
    from bereik.admin.importer import ImportProblem, import_asterisk
    from bereik.config import parse_config

    try:
        imported = import_asterisk(args.paths, args.municipality)
    except ImportProblem as error:
        print(f"bereik import: {error}", file=sys.stderr)
        return 1
    for item in imported.not_imported:
        print(f"not imported: {item}", file=sys.stderr)
    if args.out:
        args.out.write_text(imported.yaml, encoding="utf-8")
        print(f"wrote {args.out}: {len(imported.guesses)} guess(es) marked 'guessed', "
              f"{len(imported.not_imported)} item(s) not imported (listed at the top)", file=sys.stderr)
    else:
        print(imported.yaml, end="")
    parse_config(imported.yaml, str(args.out or "<imported>"))  # what `bereik check` would say
    return 0


def _dialplan(args) -> int:
    from bereik.pbx import dialplan

    if is_platform(args.file):
        return platform_command.write_dialplan(args.file, args.out, server=args.server, only_kamailio=args.kamailio,
                                               secrets=args.secrets)
    config = _config_for_server(args)
    files = dialplan.generate(config, Secrets.load(args.secrets), source=args.file)
    for path in dialplan.write(files, args.out):
        print(f"wrote {path}")
    return 0


def _freeswitch(args) -> int:
    from bereik.freeswitch.generate import generate

    for name, text in generate(load_config(args.file), args.esl).items():
        path = args.out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        print(f"wrote {path}")
    return 0


def _esl(args) -> int:
    from bereik.freeswitch.esl import serve

    logging.basicConfig(level=logging.INFO)
    host, port = args.listen.rsplit(":", 1)
    asyncio.run(serve(load_config(args.file), args.sounds, host, int(port)))
    return 0


def _prompts(args) -> int:
    from bereik.ivr.catalogue import spoken_texts, whispered_texts
    from bereik.ivr.prompts import PromptLibrary

    config = _config(args)
    library = PromptLibrary(args.out, config.language)

    def progress(number: int, total: int, text: str, fresh: bool) -> None:
        state = "rendered" if fresh else "unchanged"
        print(f"[{number}/{total}] {state}: {text[:60]}{'…' if len(text) > 60 else ''}", flush=True)

    rendered = library.ensure_all(spoken_texts(config), progress)
    rendered += PromptLibrary(args.out, config.language, over_ring=True).ensure_all(whispered_texts(config), progress)
    print(f"{rendered} rendered, the rest unchanged, in {args.out}")
    for line in recording_report(config, args.out):
        print(line)
    return 0


def recording_report(config, directory: Path) -> list[str]:
    """Per text of the YAML: recorded, a recording that no longer matches its text, or espeak-ng."""
    from bereik.ivr.phrases import fill
    from bereik.ivr.recorded import Recordings, per_call

    recordings = Recordings(directory)
    lines = ["texts:"]
    for name, template in config.texts.items():
        recording = recordings.get(name)
        if per_call(template):
            state = "espeak-ng (changes per call)"
        elif recording is None:
            state = "espeak-ng (no recording)"
        elif recording.text != fill(config, template):
            state = f"espeak-ng: the recording of {recording.at[:10]} by {recording.by} no longer matches the text"
        else:
            state = f"recorded by {recording.by} on {recording.at[:10]} ({recording.seconds:g} s)"
        lines.append(f"  {name}: {state}")
    lines += [f"  {r.name}: a recording for a text that is no longer in the YAML" for r in recordings.all()
              if r.name not in config.texts]
    return lines


def _run(args) -> int:
    from bereik.presence.configured import check_secrets
    from bereik.privacy.job import pseudonym_key
    from bereik.service import pretend_clock, run

    log_to_stderr()
    config = _config_for_server(args)
    secrets = Secrets.load(args.secrets)
    secrets.get("BEREIK_AMI_SECRET")  # refuse to start with a missing or sample secret
    pseudonym_key(config, secrets)  # likewise the pseudonym key, unless pseudonymisation is off
    if config.console.users:
        check_secrets(config, secrets)  # and the LDAP and Graph secrets the console's presence section needs
    clock = pretend_clock(config, args.pretend_time) if args.pretend_time else None
    asyncio.run(run(config, secrets, args.sounds, clock, source=Path(args.file), asterisk_dir=args.asterisk_config,
                    reload_command=shlex.split(args.reload_command) if args.reload_command else None))
    return 0


def _forward(args) -> int:
    from bereik import audit
    from bereik.forwarding.store import ForwardingError, ForwardingStore

    config = load_config(args.file)
    store = ForwardingStore(args.db or config.back_office.forwarding_store, config)
    now = dt.datetime.now(config.zone)
    try:
        if args.forward_command == "set":
            local = lambda moment: moment if moment is None or moment.tzinfo else moment.replace(tzinfo=config.zone)
            forward = store.set(args.person, args.to, starts=local(args.starts) or now, ends=local(args.until),
                                set_by=args.by)
            until = forward.ends.isoformat() if forward.ends else "cleared"
            _audit(config, args, audit.FORWARD_SET, args.person, to=forward.target, until=until)
            print(f"{args.person} forwards to {forward.target} from {forward.starts.isoformat()} until {until}")
        elif args.forward_command == "clear":
            if not store.clear(args.person):
                print(f"{args.person} has no forward", file=sys.stderr)
                return 1
            _audit(config, args, audit.FORWARD_CLEARED, args.person)
            print(f"{args.person}: forward removed")
        else:
            for forward in store.all():
                state = "in force" if forward.in_force(now) else "planned" if forward.starts > now else "ended"
                until = forward.ends.isoformat() if forward.ends else "cleared"
                print(f"{forward.person} -> {forward.target}  {forward.starts.isoformat()} .. {until}  "
                      f"({state}, set by {forward.set_by})")
    except ForwardingError as error:
        print(f"bereik forward: {error}", file=sys.stderr)
        return 1
    finally:
        store.close()
    return 0


def _audit(config: Config, args, action: str, target: str, **detail: str) -> None:
    from bereik.audit import AuditLog
    from bereik.records.store import open_store

    store = open_store(args.store or config.records.store)
    try:
        AuditLog(store).record(args.by if args.forward_command == "set" else "cli", action, target,
                               f"cli ({getpass.getuser()})", **detail)
    finally:
        store.close()


def _show_audit(args) -> int:
    import time

    from bereik.audit import AuditLog
    from bereik.records.store import open_store

    config = load_config(args.file)
    store = open_store(args.store or config.records.store)
    try:
        entries = AuditLog(store).entries(since=time.time() - args.days * 86400)
    finally:
        store.close()
    for entry in entries:
        print(json.dumps(entry.as_dict(config.zone), ensure_ascii=False) if args.json
              else entry.line(config.zone, config.language))
    return 0


def _last_month(config: Config) -> str:
    first_of_this_month = dt.datetime.now(config.zone).date().replace(day=1)
    return (first_of_this_month - dt.timedelta(days=1)).strftime("%Y-%m")


def _report(args) -> int:
    from bereik.callbacks.store import CallbackStore
    from bereik.records.store import open_store
    from bereik.reports.figures import from_store
    from bereik.reports.render import write_all
    from bereik.reports.schema import ReportRequest

    config = _config(args)
    try:
        month = _last_month(config) if args.month == "last" else args.month
        request = (ReportRequest.month(month) if month
                   else ReportRequest(start=args.start, end=args.end or args.start))
        if args.server is not None:
            config.for_server(args.server)  # a name pbx.servers knows
    except ValueError as error:
        print(f"bereik report: {error}", file=sys.stderr)
        return 2
    store = open_store(args.store or config.records.store)
    try:
        report = from_store(store, config, request, CallbackStore(store, config.zone), server=args.server)
    finally:
        store.close()
    stem = f"bereik-{request.label}" + (f"-{args.server}" if args.server else "")
    for path in write_all(report, args.out, stem):
        print(f"wrote {path}")
    return 0


def _systemd(args) -> int:
    from bereik import deploy

    layout = deploy.Layout(args.bereik or deploy.installed_bereik(), args.yaml, args.secrets, args.sounds,
                           args.asterisk_config, args.cel)
    try:
        written = deploy.install(layout, args.root)
    except ValueError as error:
        print(f"bereik systemd: {error}", file=sys.stderr)
        return 2
    for path in written:
        print(f"wrote {path}")
    print(deploy.NEXT_STEPS.format(etc=Path(args.yaml).parent, secrets=args.secrets, yaml=args.yaml))
    return 0


def _doctor(args) -> int:
    from bereik import doctor

    install = doctor.Installation(_config_for_server(args), Secrets.load(args.secrets), args.sounds, args.user,
                                  doctor.parse_cli(args.asterisk_cli))
    findings = []
    for check in doctor.CHECKS:
        for finding in check(install):
            print(finding.line(), flush=True)
            findings.append(finding)
    worst = doctor.status(findings)
    faults = sum(f.level == doctor.FAULT for f in findings)
    warnings = sum(f.level == doctor.WARN for f in findings)
    print({doctor.OK: f"all {len(findings)} checks ok",
           doctor.WARN: f"{warnings} warning(s), no fault",
           doctor.FAULT: f"{faults} fault(s), {warnings} warning(s)"}[worst])
    return worst


def _migrate(args) -> int:
    from bereik.records import schema

    location = args.store or _config(args).records.store
    applied = schema.upgrade(location)
    for migration in applied:
        print(f"applied schema version {migration}")
    print(f"the call-record store is at schema version {schema.expected()[-1]}"
          + ("" if applied else " (nothing to do)"))
    return 0


def _secrets(args) -> int:
    if args.update:
        added = add_missing_secrets(args.update)
        print(f"added {', '.join(added)} to {args.update}" if added else f"{args.update} has every key already")
        return 0
    path = write_new_secrets_file(args.new)
    print(f"wrote {path} (mode 600); pass it with --secrets")
    return 0


def _phones(args) -> int:
    """Printed for the administrator who provisions the phones, never logged."""
    config, secrets = load_config(args.file), Secrets.load(args.secrets)
    phones = [*((p.extension, p.address) for q in config.queues for p in q.positions),
              *((p.extension, p.address) for p in config.people)]
    for extension, address in dict(phones).items():
        where = f"from {address} only" if address else "registers"
        print(f"{extension}\tuser {extension}\tpassword {secrets.phone(extension)}\t{where}")
    return 0


_COMMANDS = {"check": _check, "schema": _schema, "diff": _diff, "import": _import, "freeswitch": _freeswitch, "esl": _esl, "dialplan": _dialplan, "prompts": _prompts,
             "run": _run, "migrate": _migrate, "doctor": _doctor, "systemd": _systemd, "secrets": _secrets, "forward": _forward, "report": _report, "audit": _show_audit,
             "run": _run, "secrets": _secrets, "phones": _phones, "forward": _forward, "report": _report, "audit": _show_audit,
             "simulate": simulation.run}

if __name__ == "__main__":
    sys.exit(main())
