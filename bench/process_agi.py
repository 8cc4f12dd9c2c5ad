#!/usr/bin/python3
"""bereik's entry decision as a classic process-per-call AGI script (pyst2), for comparison.

Runs inside the Asterisk chroot: Asterisk starts one Python process per call,
which loads the YAML, asks the same routing core and sets the same variables.
"""
import datetime as dt
import sys

sys.path.insert(0, "/opt/bereik-bench/lib")

from asterisk.agi import AGI  # noqa: E402

from bereik.config import load_config  # noqa: E402
from bereik.pbx import variables as var  # noqa: E402
from bereik.routing.flow import CallFlow, Enqueue  # noqa: E402

agi = AGI()
config = load_config("/opt/bereik-bench/municipality.yaml")
moment = dt.datetime.fromisoformat(sys.argv[1]).replace(tzinfo=config.zone)
decision = CallFlow(config, moment).start()
if isinstance(decision, Enqueue):
    settings = {var.ACTION: var.ACTION_QUEUE, var.QUEUE: decision.queue, var.TOPIC: decision.topic or "",
                var.CHOICE: decision.choice or "", var.REASON: decision.reason,
                var.MUNICIPALITY: config.municipality, var.ROUTED: "1"}
    agi.appexec("MSet", ",".join(f"{name}={value}" for name, value in settings.items()))
