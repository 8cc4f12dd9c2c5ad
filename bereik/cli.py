"""The `bereik` command."""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import logging
import sys
from pathlib import Path

from bereik.calllog import JsonLineFormatter
from bereik.config import Config, ConfigError, load_config
from bereik.secrets import SecretError, Secrets, write_new_secrets_file


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bereik", description="Telephone reachability for Dutch municipalities.")
    commands = parser.add_subparsers(dest="command", required=True)

    check = commands.add_parser("check", help="validate a municipality's YAML and report every problem")
    check.add_argument("file")

    commands.add_parser("schema", help="print the JSON Schema of the YAML, for editors")

    dialplan = commands.add_parser("dialplan", help="write the Asterisk configuration")
    dialplan.add_argument("file")
    dialplan.add_argument("--out", required=True, type=Path, help="directory for the .conf files")
    dialplan.add_argument("--secrets", type=Path, help="KEY=VALUE file with BEREIK_AMI_SECRET (mode 600)")

    prompts = commands.add_parser("prompts", help="render every spoken text as speech for Asterisk")
    prompts.add_argument("file")
    prompts.add_argument("--out", required=True, type=Path,
                         help="Asterisk's sounds/bereik directory, e.g. /var/lib/asterisk/sounds/bereik")

    run = commands.add_parser("run", help="serve FastAGI and follow Asterisk over AMI")
    run.add_argument("file")
    run.add_argument("--sounds", required=True, type=Path, help="the directory `bereik prompts --out` wrote")
    run.add_argument("--secrets", type=Path)
    run.add_argument("--pretend-time", type=dt.datetime.fromisoformat, metavar="2026-12-25T10:00",
                     help="run the clock from this moment (demonstrations and tests only)")

    new_secrets = commands.add_parser("secrets", help="create a secrets file with a random AMI secret")
    new_secrets.add_argument("--new", required=True, type=Path)

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


def _check(args) -> int:
    config = load_config(args.file)
    options = len(config.menu.options) if config.menu else 0
    print(f"{args.file}: ok. Gemeente {config.municipality} on {config.number}, "
          f"{options} menu options, {len(config.queues)} queue(s), {len(config.agents)} agents.")
    return 0


def _schema(args) -> int:
    print(json.dumps(Config.model_json_schema(), indent=2, ensure_ascii=False))
    return 0


def _dialplan(args) -> int:
    from bereik.pbx import dialplan

    config = load_config(args.file)
    files = dialplan.generate(config, Secrets.load(args.secrets), source=args.file)
    for path in dialplan.write(files, args.out):
        print(f"wrote {path}")
    return 0


def _prompts(args) -> int:
    from bereik.ivr.catalogue import spoken_texts
    from bereik.ivr.prompts import PromptLibrary

    config = load_config(args.file)
    library = PromptLibrary(args.out, config.language)

    def progress(number: int, total: int, text: str, fresh: bool) -> None:
        state = "rendered" if fresh else "unchanged"
        print(f"[{number}/{total}] {state}: {text[:60]}{'…' if len(text) > 60 else ''}", flush=True)

    rendered = library.ensure_all(spoken_texts(config), progress)
    print(f"{rendered} rendered, the rest unchanged, in {args.out}")
    return 0


def _run(args) -> int:
    from bereik.service import pretend_clock, run

    handler = logging.StreamHandler()
    handler.setFormatter(JsonLineFormatter())
    logging.basicConfig(level=logging.INFO, handlers=[handler])
    config = load_config(args.file)
    secrets = Secrets.load(args.secrets)
    secrets.get("BEREIK_AMI_SECRET")  # refuse to start with a missing or sample secret
    clock = pretend_clock(config, args.pretend_time) if args.pretend_time else None
    asyncio.run(run(config, secrets, args.sounds, clock))
    return 0


def _secrets(args) -> int:
    path = write_new_secrets_file(args.new)
    print(f"wrote {path} (mode 600); pass it with --secrets")
    return 0


_COMMANDS = {"check": _check, "schema": _schema, "dialplan": _dialplan, "prompts": _prompts,
             "run": _run, "secrets": _secrets}

if __name__ == "__main__":
    sys.exit(main())
