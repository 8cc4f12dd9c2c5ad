"""Calls cut off by a lost PBX node: when to close their records, and how. Pure.

A node that dies takes its calls with it, and no hang-up is ever told: its records would stay open
until it returns. A node counts as lost when its AMI has been unreachable for longer than a grace
period, which covers a reconnect after a blip and a quick restart (the node's own bereik then closes
them with what the restarted Asterisk tells). Why AMI and not Kamailio's dispatcher: docs/platform.md.

The close is a hang-up step marked as such, at the moment the AMI connection broke: the last moment
the call is known to have been up, within seconds of the node's death (panoramisk pings every 10 s,
so a host that vanished without closing its sockets is noticed within some 20 s).
"""
from __future__ import annotations

from collections.abc import Iterable

from bereik.records.journey import Journey, Step

LOST = "node_lost"  # the hang-up step's "from": the node was lost with the call on it
GRACE_SECONDS = 20.0  # AMI's reconnect back-off reaches 15.5 s after five tries: a restart fits inside


def cut_off(journeys: Iterable[Journey], down_since: float | None, now: float, node: str,
            grace: float = GRACE_SECONDS) -> list[tuple[Journey, Step]]:
    """The hang-up step that closes each open call of `node`, whose AMI has been unreachable since
    `down_since` (None: reachable), once that is longer than `grace` at `now`; none before."""
    if down_since is None or now - down_since < grace:
        return []
    return [(journey, Step(max(down_since, journey.steps[-1].at if journey.steps else down_since), "hung_up",
                           {"from": LOST, "node": node}))
            for journey in journeys if not journey.ended]


def is_cut_off(journey: Journey) -> bool:
    hung_up = journey.first("hung_up")
    return hung_up is not None and hung_up.detail.get("from") == LOST
