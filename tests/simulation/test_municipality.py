"""A month through bereik's own routing: reproducible, true to Erlang C, and deciding as the live path does."""
from pathlib import Path

import pytest

from bereik.config import ConfigError, load_config
from bereik.config.load import parse_model
from bereik.reports.figures import compute
from bereik.reports.schema import ReportRequest
from bereik.routing.direct import DirectCall
from bereik.routing.estimate import estimate_wait
from bereik.routing.flow import route_with_keys
from bereik.routing.waiting import OverflowSwitch, penalty_plan
from bereik.simulation import erlang
from bereik.simulation.compare import Variant, apply, successful_contact
from bereik.simulation.municipality import simulate
from bereik.simulation.staffing import staffing
from bereik.simulation.traffic import HINT, TrafficProfile, load_traffic

ROOT = Path(__file__).parents[2]
CONFIG_FILE = ROOT / "examples" / "bloemendaal.yaml"
CONFIG = load_config(CONFIG_FILE)
PROFILE = load_traffic(ROOT / "examples" / "traffic" / "bloemendaal.yaml")
THREE_DAYS = ReportRequest(start="2026-10-05", end="2026-10-07")  # Monday to Wednesday


def test_the_same_seed_gives_the_same_days_and_another_seed_others():
    first, again = simulate(CONFIG, PROFILE, 3, request=THREE_DAYS), simulate(CONFIG, PROFILE, 3, request=THREE_DAYS)
    other = simulate(CONFIG, PROFILE, 4, request=THREE_DAYS)
    assert first.rows == again.rows and first.events == again.events
    assert first.rows != other.rows
    assert len(first.rows) > 150


def test_every_decision_is_the_live_paths_for_the_same_facts():
    """Replays every recorded decision through the live code: CallFlow, DirectCall, the estimator,
    the overflow switch and the topic ranges. A re-implemented rule in the simulation fails here."""
    run = simulate(CONFIG, PROFILE, 1, request=THREE_DAYS, trace=True)
    kinds = {t.kind for t in run.trace}
    assert {"flow", "direct", "estimate", "overflow", "topic", "transfer"} <= kinds
    plan = penalty_plan(CONFIG)
    switch = OverflowSwitch.from_config(CONFIG.waiting)
    for traced in run.trace:
        if traced.kind == "flow":
            now, keys = traced.facts
            assert tuple(route_with_keys(CONFIG, now, list(keys))) == traced.decisions
        elif traced.kind == "direct":
            attempt, events = traced.facts
            call = DirectCall(CONFIG, attempt)
            replayed = [replay(call, event, facts) for event, *facts in events]
            assert tuple(replayed) == traced.decisions
        elif traced.kind == "estimate":
            snapshot, now = traced.facts
            assert (estimate_wait(snapshot, now),) == traced.decisions
        elif traced.kind == "overflow":
            assert (switch.update(*traced.facts),) == traced.decisions
        elif traced.kind == "topic":
            (topic,) = traced.facts
            assert plan.ranges.get(topic or "", plan.everyone) == traced.decisions


def replay(call: DirectCall, event: str, facts: list):
    if event == "start":
        return call.start(*facts)
    if event == "rang":
        return call.rang(facts[0], device=facts[1])
    if event == "pressed":
        return call.pressed(*facts)
    return call.waited(facts[0], answered=facts[1])


def mmn_profile(agents: int, occupancy: float) -> tuple:
    """No menu, no shared number, no overflow, no colleagues: the TIC as an M/M/N queue."""
    talk = 240.0
    per_hour = occupancy * agents / talk * 3600
    config = CONFIG.model_copy(update={"menu": None, "shared_number": None, "queues": [
        CONFIG.queues[0].model_copy(update={"positions": [p.model_copy(update={"overflow": False})
                                                          for p in CONFIG.queues[0].positions[:agents]]})]})
    hours = {f"{h:02d}": per_hour for h in range(9, 16)}
    profile = TrafficProfile.model_validate({
        "name": "M/M/N", "month": "2026-10", "arrivals": {"monday": hours, "tuesday": hours, "wednesday": hours},
        "patience_seconds": 36000, "direct": {"share": 0},
        "handling": {"talk_seconds": talk, "talk_distribution": "exponential", "wrapup_seconds": 0,
                     "ivr_prompt_seconds": 0},
        "front_office": {"transfer_share": 0}})
    return config, profile, per_hour / 3600, talk


@pytest.mark.parametrize("agents", [3, 4])
def test_on_an_m_m_n_front_office_the_report_matches_erlang_c(agents):
    """Three simulated months (about 8,000 calls): the share answered within 20 s within 4 points of
    Erlang C, the average speed of answer within 25% (days start with an empty queue, so a little lower)."""
    config, profile, rate, talk = mmn_profile(agents, 0.7)
    rows = [row for seed in range(3) for row in simulate(config, profile, seed).rows]
    report = compute(rows, config, ReportRequest.month("2026-10"))
    figures = {f.id: f.value for f in report.figures}
    assert figures["answered_within_20s"] == pytest.approx(erlang.service_level(agents, rate, talk, 20), abs=0.04)
    assert figures["average_speed_of_answer"] == pytest.approx(erlang.mean_wait_seconds(agents, rate, talk), rel=0.25)


def test_staffing_takes_the_larger_of_the_service_level_and_the_occupancy_cap():
    config, profile, _rate, talk = mmn_profile(3, 0.7)
    run = simulate(config, profile, 0)
    table = staffing(run.rows, run.request, talk, 3, target=0.8, answer_seconds=20, occupancy_cap=0.6)
    assert table
    for hour in table:
        assert hour.positions == max(hour.for_service_level, hour.for_occupancy)
        assert hour.load / hour.for_occupancy <= 0.6 + 1e-9
        assert erlang.service_level(hour.for_service_level, hour.calls_per_hour / 3600, talk, 20) >= 0.8


def test_a_hunt_group_never_falls_back_to_the_tic_and_voicemail_loses_contacts():
    def run(policy: dict):
        profile = PROFILE.model_copy(update={"policy": PROFILE.policy.model_copy(update=policy)})
        return simulate(CONFIG, profile, 2, request=THREE_DAYS).rows

    ours, hunt, voicemail = run({}), run({"fallback": "hunt_group"}), run({"fallback": "voicemail"})
    assert any(row.fallback for row in ours)
    assert not any(row.fallback for row in hunt + voicemail)
    direct = lambda rows: sum(r.direct_answered for r in rows if r.kind == "direct")
    assert direct(hunt) > direct(voicemail)
    assert successful_contact(voicemail)[0] < successful_contact(ours)[0]


def test_a_variant_patches_the_municipality_and_is_checked_like_it():
    variant = Variant(name="Zonder menu", config={"menu": None}, traffic={"policy": {"camp_on": False}})
    config, profile = apply(variant, CONFIG_FILE.read_text(), str(CONFIG_FILE), PROFILE)
    assert config.menu is None and not profile.policy.camp_on and profile.arrivals == PROFILE.arrivals
    broken = Variant(name="Zes opties", config={"menu": {"options": []}})
    with pytest.raises(ConfigError, match="Zes opties"):
        apply(broken, CONFIG_FILE.read_text(), str(CONFIG_FILE), PROFILE)


def test_a_traffic_profile_error_names_its_line_and_column():
    text = "name: test\narrivals:\n  monday: {\"25\": 3}\nhandlng: {}\n"
    with pytest.raises(ConfigError) as error:
        parse_model(text, "traffic.yaml", TrafficProfile, HINT)
    messages = [str(p) for p in error.value.problems]
    assert any(m.startswith("traffic.yaml:3:") and "'25' is not an hour" in m for m in messages)
    assert any(m.startswith("traffic.yaml:4:1") and "did you mean 'handling'" in m for m in messages)


def test_the_haarlem_profile_lands_near_haarlems_measured_reachability():
    """Telan 2019: direct reachability 42%, successful contact 77% (595 mystery calls: within 5 points)."""
    haarlem = load_traffic(ROOT / "examples" / "traffic" / "haarlem.yaml")
    run = simulate(CONFIG, haarlem, 0)
    figures = {f.id: f.value for f in compute(run.rows, CONFIG, run.request).figures}
    assert figures["direct_reachability"] == pytest.approx(0.42, abs=0.05)
    assert successful_contact(run.rows)[0] == pytest.approx(0.77, abs=0.05)
