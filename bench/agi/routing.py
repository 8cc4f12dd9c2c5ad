#!/usr/bin/python3
"""bereik's entry decision as a classic process-per-call AGI script (pyst2): path (c) of bench.call_paths.

Runs inside the Asterisk chroot: Asterisk starts one Python process per call, which loads
the YAML, asks the same routing core and sets the same variables in one MSet.
`routing.py --check` prints the decision without AGI: the bench's proof that it imports.
"""
import datetime as dt
import sys

sys.path.insert(0, "/opt/bereik-bench/lib")

from asterisk.agi import AGI  # noqa: E402

from bereik.config import load_config  # noqa: E402
from bereik.pbx.decision import settings  # noqa: E402
from bereik.pbx import variables as var  # noqa: E402
from bereik.routing.flow import CallFlow  # noqa: E402

PRETEND = "2026-11-23T10:00:00"  # bench.call_paths.PRETEND: open

config = load_config("/opt/bereik-bench/municipality.yaml")
decision = CallFlow(config, dt.datetime.fromisoformat(PRETEND).replace(tzinfo=config.zone)).start()
assignments = ",".join(f"{name}={value}" for name, value in {**settings(config, decision), var.ROUTED: "1"}.items())
if sys.argv[1:] == ["--check"]:
    print(assignments)
else:
    AGI().appexec("MSet", assignments)
