"""`bereik simulate`: a month of calls through bereik's routing; the report, staffing and what-ifs."""
from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

from bereik.config import load_config
from bereik.reports.render import write_all
from bereik.reports.schema import ReportRequest


def add_parser(commands) -> None:
    simulate = commands.add_parser(
        "simulate", help="simulate a month of calls through bereik's own routing: the report, positions "
        "per hour and what-ifs side by side")
    simulate.add_argument("file", help="the municipality's YAML")
    source = simulate.add_mutually_exclusive_group(required=True)
    source.add_argument("--traffic", type=Path, metavar="PROFILE", help="a traffic profile (YAML)")
    source.add_argument("--from-records", dest="records", metavar="STORE", nargs="?", const="",
                        help="derive the profile from the call records (default store: records.store); "
                        "needs --month")
    simulate.add_argument("--month", metavar="2026-10", help="the month to simulate (and to derive from)")
    simulate.add_argument("--seed", type=int, default=0)
    simulate.add_argument("--out", type=Path, default=Path("."), help="directory for the files")
    simulate.add_argument("--compare", nargs="+", type=Path, default=[], metavar="VARIANT.yaml",
                          help="variants to simulate next to the profile itself")
    simulate.add_argument("--lang", choices=("nl", "en"), default="nl", help="language of the what-if page")
    simulate.add_argument("--target", type=float, default=0.8, help="service level to staff for (default 0.8)")
    simulate.add_argument("--answer-seconds", type=int, default=20, help="within how many seconds (default 20)")
    simulate.add_argument("--sensitivity-seeds", type=int, default=3, metavar="N",
                          help="seeds per setting of the sensitivity table (successful contact under bereik's "
                          "policy as call-back punctuality, staffing and availability vary); 0 leaves it out "
                          "(default 3: 8 settings, 24 simulated months)")
    simulate.add_argument("--occupancy-cap", type=float, default=0.6,
                          help="the highest share of time agents spend on calls (default 0.6, Bloemendaal plan)")


def run(args: argparse.Namespace) -> int:
    from bereik.simulation.compare import apply, load_variant, outcome, to_html
    from bereik.simulation.sensitivity import sensitivity
    from bereik.simulation.traffic import load_traffic

    config = load_config(args.file)
    if args.traffic:
        profile = load_traffic(args.traffic)
    else:
        profile = _from_records(config, args)
        if profile is None:
            return 2
    if args.month:
        try:
            ReportRequest.month(args.month)
        except ValueError as error:
            print(f"bereik simulate: {error}", file=sys.stderr)
            return 2
        profile = profile.model_copy(update={"month": args.month})
    config_text = Path(args.file).read_text(encoding="utf-8")
    variants = [(load_variant(path), str(path)) for path in args.compare]
    shaped = [(variant.name, variant.description, *apply(variant, config_text, args.file, profile, name))
              for variant, name in variants]
    staffing_options = {"target": args.target, "occupancy_cap": args.occupancy_cap}
    outcomes = [outcome(profile.name, "", config, profile, args.seed, **staffing_options)]
    for name, description, variant_config, variant_profile in shaped:
        outcomes.append(outcome(name, description, variant_config, variant_profile, args.seed, **staffing_options))
    table = None
    if args.sensitivity_seeds > 0:
        def progress(done: int, total: int, what: str) -> None:
            print(f"sensitivity {done}/{total}: {what}", file=sys.stderr, flush=True)

        seeds = tuple(range(args.seed, args.seed + args.sensitivity_seeds))
        table = sensitivity(config, profile, seeds, progress=progress)
    args.out.mkdir(parents=True, exist_ok=True)
    stem = f"bereik-simulatie-{profile.month}"
    for o in outcomes:
        print(f"{o.name}: {o.report.calls} calls, {o.run.events} events, average grade {o.report.average_grade}")
    written = write_all(outcomes[0].report, args.out, stem)
    written.append(_write_staffing(outcomes[0], args.out / f"{stem}-bezetting.csv", args.lang))
    page = args.out / f"{stem}-wat-als.html"
    page.write_text(to_html(outcomes, args.seed, args.lang, args.target, args.answer_seconds, args.occupancy_cap,
                            profile=profile, config=config, sensitivity=table), encoding="utf-8")
    written.append(page)
    for path in written:
        print(f"wrote {path}")
    return 0


def _from_records(config, args):
    from bereik.records.store import open_store
    from bereik.simulation.from_records import derive

    if not args.month:
        print("bereik simulate: --from-records needs --month, the month of records to learn from", file=sys.stderr)
        return None
    request = ReportRequest.month(args.month)
    store = open_store(args.records or config.records.store)
    try:
        return derive(store.calls(*request.bounds(config.zone)), config, request)
    except ValueError as error:
        print(f"bereik simulate: {error}", file=sys.stderr)
        return None
    finally:
        store.close()


def _write_staffing(o, path: Path, language: str) -> Path:
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["hour", "calls_per_hour", "load_erlang", "positions_for_service_level",
                         "positions_for_occupancy", "positions_needed", "erlang_c_service_level",
                         "simulated_service_level"])
        for h in o.staffing:
            writer.writerow([h.label(language), h.calls_per_hour, h.load, h.for_service_level, h.for_occupancy,
                             h.positions, h.erlang_service_level, h.simulated_service_level])
    return path
