"""The Prometheus alert rules shipped in bereik/deploy/, tested with promtool (Debian's prometheus package)
against series this test writes: each alert fires on the situation it names and stays quiet otherwise."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from bereik.pbx.ami import AmiClient
from bereik.wallboard.floor import CallbackCounts, Floor
from bereik.wallboard.metrics import FallThrough, Metrics, Sources

RULES = Path(__file__).parents[2] / "bereik" / "deploy" / "prometheus" / "bereik-alerts.yml"
DASHBOARD = Path(__file__).parents[2] / "bereik" / "deploy" / "grafana" / "bereik.json"
BEREIK = 'job="bereik",instance="tic-1:8080"'


def promtool() -> str:
    found = shutil.which("promtool")
    if not found:
        pytest.fail("no promtool: run scripts/install-system.sh (Debian's prometheus package)")
    return found


def rules_keeping(annotations: set[str], directory: Path) -> Path:
    """The shipped rules with only these annotations, so a case states the words it checks."""
    document = yaml.safe_load(RULES.read_text())
    for group in document["groups"]:
        for rule in group["rules"]:
            rule["annotations"] = {k: v for k, v in rule.get("annotations", {}).items() if k in annotations}
    path = directory / "rules.yml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True))
    return path


# alert -> (input series, [(minute, expected alerts)]); one sample a minute from minute 0.
CASES = {
    "BereikCallsFellThrough": (
        {f'bereik_fallthrough_calls_total{{{BEREIK},server="noord",reason="watchdog"}}': "0 0 0 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1",
         f'bereik_fallthrough_calls_total{{{BEREIK},server="noord",reason="failopen-FAILURE"}}': "0x20"},
        [(2, []),
         (5, [({"server": "noord", "reason": "watchdog", "severity": "critical"},
               {"summary": "Bellers op noord gingen zonder bereik naar de wachtrij (watchdog)"})]),
         (15, [])]),  # ten minutes without a new one
    "BereikAmiDown": (
        {f'bereik_ami_connected{{{BEREIK},server="default"}}': "1 1 1 0 0 0 0 1 1 1"},
        [(3, []),  # a blip shorter than a minute stays quiet
         (5, [({"server": "default", "severity": "critical"},
               {"summary": "bereik is niet verbonden met de AMI van Asterisk default"})]),
         (8, [])]),
    "BereikDecisionProcessDown": (
        {f"bereik_decision_process_up{{{BEREIK}}}": "1 1 0 1 1 0 0 0 0 1 1"},
        [(2, []),  # started again within the minute: quiet
         (7, [({"severity": "critical"}, {"summary": "Het beslisproces van bereik op tic-1:8080 beantwoordt geen gesprekken"})]),
         (10, [])]),
    "BereikNoAgentsDuringOpeningHours": (
        {f"bereik_open{{{BEREIK}}}": "0 0 0 0 0 0 0 0 1 1 1 1 1 1 1 1 1 1",
         f"bereik_agents_logged_in{{{BEREIK}}}": "0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 2 2 2"},
        [(7, []),  # closed: nobody needs to be there
         (14, [({"severity": "critical"}, {"summary": "Geen enkele medewerker is aangemeld terwijl de gemeente open is"})]),
         (16, [])]),
    "BereikSpoolGrowing": (
        {f"bereik_spool_bytes{{{BEREIK}}}": "0 0 0 100+100x30 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0"},
        [(10, []),
         (25, [({"severity": "warning"}, {"summary": "Gespreksregistraties wachten op schijf: de opslag neemt ze niet aan"})]),
         (50, [])]),  # written to the store: empty again
    "BereikDown": (
        {f"up{{{BEREIK}}}": "1 1 0 0 0 0 1"},
        [(2, []), (4, [({"severity": "critical"}, {"summary": "bereik op tic-1:8080 antwoordt niet"})]), (6, [])]),
    "BereikPresenceSourceDown": (
        {f'bereik_presence_source_up{{{BEREIK},source="outlook"}}': "1 0x15",
         f'bereik_presence_source_up{{{BEREIK},source="directory"}}': "1x16"},
        [(12, [({"source": "outlook", "severity": "warning"}, {"summary": "Aanwezigheidsbron outlook antwoordt niet"})])]),
    "BereikRecordsHeldInMemory": (
        {f"bereik_records_held_in_memory{{{BEREIK}}}": "0 0 10 20 30 40 50 60 70 0"},
        [(1, []), (8, [({"severity": "critical"}, {"summary": "Gespreksregistraties staan alleen nog in het geheugen"})])]),
    "BereikAmiReconnecting": (
        {f'bereik_ami_logins_total{{{BEREIK},server="zuid"}}': "1 1 1 1 1 2 3 4 5 6 6 6"},
        [(4, []), (10, [({"server": "zuid", "severity": "warning"},
                         {"summary": "De AMI-verbinding met zuid valt steeds weg"})])]),
    "BereikCallbacksLate": (
        {f"bereik_callbacks_late{{{BEREIK}}}": "0 2x70"},
        [(30, []), (65, [({"severity": "warning"}, {"summary": "2 terugbelverzoek(en) over de termijn"})])]),
    "BereikServiceLevelLow": (
        {f"bereik_open{{{BEREIK}}}": "1x50",
         f'bereik_service_level_today{{{BEREIK},queue="tic"}}': "0.9x10 0.7x40",
         f'bereik_queue_offered_today{{{BEREIK},queue="tic"}}': "10x10 25x40",
         f'bereik_service_level_today{{{BEREIK},queue="leeg"}}': "1x50",
         f'bereik_queue_offered_today{{{BEREIK},queue="leeg"}}': "0x50"},
        [(20, []), (45, [({"queue": "tic", "severity": "warning"},
                          {"summary": "Wachtrij tic: vandaag 70% binnen de norm opgenomen"})])]),
}


@pytest.mark.parametrize("alert", sorted(CASES))
def test_the_alert_fires_on_its_situation_and_only_then(alert, tmp_path):
    series, checks = CASES[alert]
    tests = [{
        "interval": "1m",
        "input_series": [{"series": name, "values": values} for name, values in series.items()],
        "alert_rule_test": [{
            "eval_time": f"{minute}m", "alertname": alert,
            "exp_alerts": [{"exp_labels": {"job": "bereik", "instance": "tic-1:8080", **labels},
                            "exp_annotations": annotations} for labels, annotations in expected],
        } for minute, expected in checks],
    }]
    unit = tmp_path / "test.yml"
    unit.write_text(yaml.safe_dump({"rule_files": [str(rules_keeping({"summary"}, tmp_path))],
                                    "evaluation_interval": "1m", "tests": tests}, allow_unicode=True))
    result = subprocess.run([promtool(), "test", "rules", str(unit)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_rules_are_valid_and_each_alert_has_a_case():
    result = subprocess.run([promtool(), "check", "rules", str(RULES)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    alerts = {rule["alert"] for group in yaml.safe_load(RULES.read_text())["groups"] for rule in group["rules"]}
    assert alerts == set(CASES)


async def test_every_metric_the_rules_and_the_dashboard_use_is_one_bereik_exports():
    """So that a renamed metric cannot leave an alarm that never fires or a panel that stays empty."""
    ami = AmiClient("127.0.0.1", 5038, "bereik", "x")
    ami.events_read["Newchannel"] = 1  # a counter per event is there once bereik read one
    metrics = Metrics(Floor(ZoneInfo("Europe/Amsterdam"), 30, callbacks=lambda: CallbackCounts(0, 0)),
                      lambda: True, sources=Sources(servers={"default": ami},
                                                    queues=("tic",), open_now=lambda: True, spool_bytes=lambda: 0,
                                                    held_updates=lambda: 0, presence=lambda: {"directory": True},
                                                    decisions_up=lambda: True,
                                                    decisions_pid=os.getpid,
                                                    fallthrough=FallThrough()))
    exported = {sample.name for family in metrics.registry.collect() for sample in family.samples}
    expressions = [rule["expr"] for group in yaml.safe_load(RULES.read_text())["groups"] for rule in group["rules"]]
    panels = json.loads(DASHBOARD.read_text())["panels"]
    expressions += [target["expr"] for panel in panels for target in panel.get("targets", [])]
    used = {name for expression in expressions for name in re.findall(r"\b(?:bereik|process)_[a-z_]+\b", expression)}
    assert len(used) > 10 and used <= exported, sorted(used - exported)
