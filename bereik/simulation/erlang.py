"""Erlang C: the M/M/N queue in closed form (Poisson arrivals, exponential handling, no abandonment).

The simulation is checked against it; staffing what-ifs can use it directly.
"""
from __future__ import annotations

import math


def offered_load(arrivals_per_second: float, mean_handling_seconds: float) -> float:
    """Traffic in Erlangs: how many agents would be busy on average."""
    return arrivals_per_second * mean_handling_seconds


def probability_of_waiting(agents: int, load: float) -> float:
    """Erlang C, through the Erlang B recursion, which stays stable for many agents."""
    if load >= agents:
        return 1.0
    blocking = 1.0
    for n in range(1, agents + 1):
        blocking = load * blocking / (n + load * blocking)
    return agents * blocking / (agents - load * (1 - blocking))


def mean_wait_seconds(agents: int, arrivals_per_second: float, mean_handling_seconds: float) -> float:
    """Average speed of answer over all callers, those answered at once included."""
    load = offered_load(arrivals_per_second, mean_handling_seconds)
    if load >= agents:
        return math.inf
    return probability_of_waiting(agents, load) * mean_handling_seconds / (agents - load)


def mean_wait_of_delayed_seconds(agents: int, arrivals_per_second: float, mean_handling_seconds: float) -> float:
    """Average wait of callers who had to wait; in M/M/N also the expected rest of any wait."""
    load = offered_load(arrivals_per_second, mean_handling_seconds)
    if load >= agents:
        return math.inf
    return mean_handling_seconds / (agents - load)


def service_level(agents: int, arrivals_per_second: float, mean_handling_seconds: float, within_seconds: float) -> float:
    """Share of callers answered within `within_seconds`: 1 - C(N, A) * exp(-(N - A) * t / H)."""
    load = offered_load(arrivals_per_second, mean_handling_seconds)
    if load >= agents:
        return 0.0
    waiting = probability_of_waiting(agents, load)
    return 1 - waiting * math.exp(-(agents - load) * within_seconds / mean_handling_seconds)


def agents_for_service_level(arrivals_per_second: float, mean_handling_seconds: float, target: float,
                             within_seconds: float) -> int:
    """The fewest agents that answer `target` of the callers within `within_seconds`."""
    load = offered_load(arrivals_per_second, mean_handling_seconds)
    agents = max(1, math.floor(load) + 1)
    while service_level(agents, arrivals_per_second, mean_handling_seconds, within_seconds) < target:
        agents += 1
    return agents
