#!/usr/bin/python3
"""The least a process-per-call AGI script can do: start Python, load pyst2, set bereik's variables in one
MSet. Path (d) of bench.call_paths, the floor of that design. The bench writes the assignments in."""
import sys

sys.path.insert(0, "/opt/bereik-bench/lib")

from asterisk.agi import AGI  # noqa: E402

ASSIGNMENTS = "@ASSIGNMENTS@"

if sys.argv[1:] == ["--check"]:
    print(ASSIGNMENTS)
else:
    AGI().appexec("MSet", ASSIGNMENTS)
