"""Reports by e-mail, received by a real SMTP server (aiosmtpd) started by the test: Monday's mail to a team
lead with the team's failed attempts by person, and the monthly report to the YAML's addresses, once each."""
import datetime as dt

import pytest

from bereik.audit import AuditLog
from bereik.config.model import ReportMail
from bereik.records.recorder import Recorder
from bereik.records.store import SqliteStore, update_for
from bereik.records.summary import summarise
from bereik.reports.mail import ReportMailer, due

from .test_reachability import at
from .test_reachability import direct as as_it_went
from .test_telan import CONFIG, EVA, FEMKE, GIJS, ZONE, direct, front, local


def configured(port: int):
    mail = ReportMail(monthly_to=["manager@bloemendaal.example"], team_leads={"vergunningen": "lead@bloemendaal.example"},
                      console_url="https://console.bloemendaal.example/")
    return CONFIG.model_copy(update={
        "reports": CONFIG.reports.model_copy(update={"mail": mail}),
        "console": CONFIG.console.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": port,
                                                     "smtp_from": "bereik@bloemendaal.example"}),
    })


def test_what_is_due_follows_the_calendar_and_what_was_sent():
    config = configured(25)
    monday = dt.datetime(2026, 10, 12, 7, 30, tzinfo=ZONE)
    items = due(monday, config, lambda target: False)
    assert [(i.kind, i.start, i.end, i.department) for i in items] == [
        ("weekly", dt.date(2026, 10, 5), dt.date(2026, 10, 11), "vergunningen"),
        ("monthly", dt.date(2026, 9, 1), dt.date(2026, 9, 30), "")]
    assert due(monday.replace(hour=6), config, lambda target: False) == []  # before send_hour
    assert due(monday, config, lambda target: True) == []


def test_the_team_lead_gets_the_weeks_failed_attempts_by_person_and_the_manager_the_month(smtp_server, tmp_path):
    inbox, port = smtp_server
    config = configured(port)
    store = SqliteStore(tmp_path / "calls.sqlite3")
    recorder = Recorder(store, ZONE, frozenset({config.number}))
    recorder.start()
    week = [
        direct("e1", local(2026, 10, 6, 9, 15), EVA, answered=False, tic_answers=True, caller="0611111101"),
        direct("e2", local(2026, 10, 7, 14, 0), EVA, answered=False, tic_answers=False, caller="0611111102"),
        direct("g1", local(2026, 10, 8, 10, 0), GIJS, answered=True, dialled="0235115300"),  # reached: not mailed
        front("t1", local(2026, 10, 9, 11, 0), transfers=[(FEMKE, 20, None)], caller="0611111103"),
        direct("late", local(2026, 10, 13, 9, 0), EVA, answered=False, tic_answers=True),  # the next week
    ]
    for journey in week:
        recorder.record(journey)
    recorder.close()
    clock = lambda: dt.datetime(2026, 10, 12, 8, 0, tzinfo=ZONE)
    mailer = ReportMailer(config, store, AuditLog(store, lambda: clock().timestamp()), clock, tmp_path / "out")

    assert mailer.send_due() == ["weekly:vergunningen:2026-10-05", "monthly:2026-09"]
    assert mailer.send_due() == []  # the audit log remembers
    (lead, weekly), (manager, monthly) = inbox.messages
    assert lead == ["lead@bloemendaal.example"] and manager == ["manager@bloemendaal.example"]
    body = weekly.get_content()
    assert weekly["Subject"] == "Niet geslaagde pogingen Vergunningen, 5 t/m 11 oktober 2026"
    assert "3 keer tevergeefs" in body
    eva = body[body.index("Eva Smit:"):body.index("Femke de Boer:")]
    assert "6 oktober 2026 09:15, rechtstreeks, niet opgenomen, teruggevallen naar Klantcontactcentrum " \
           "(06******01); toch geholpen" in eva
    assert "(06******02); beller moest opnieuw bellen" in eva
    assert "doorverbonden, niet opgenomen na doorverbinden door Klantcontactcentrum" in body
    assert "Gijs" not in body and "0611111101" not in body
    assert "https://console.bloemendaal.example/team" in body
    assert monthly["Subject"] == "Bereikbaarheid gemeente Bloemendaal, 1 t/m 30 september 2026"
    attached = [part.get_filename() for part in monthly.iter_attachments()]
    assert "bereik-2026-09.html" in attached and "bereik-2026-09-parameters.csv" in attached
    store.close()


def test_the_team_lead_reads_why_each_call_failed_and_who_was_unreachable_with_nothing_set(smtp_server, tmp_path):
    """Huizen: an absence or do-not-disturb that was set reads apart from calls nobody took with nothing set,
    and the week's pattern stands under the colleague ('in de middag niet bereikbaar')."""
    inbox, port = smtp_server
    config = configured(port).model_copy(update={"reports": configured(port).reports.model_copy(update={
        "mail": ReportMail(team_leads={"vergunningen": "lead@bloemendaal.example"})})})
    store = SqliteStore(tmp_path / "calls.sqlite3")
    week = [as_it_went("a", at(6, 9), EVA, "absent"), as_it_went("d", at(7, 9), EVA, "dnd"),
            as_it_went("b", at(8, 9), EVA, "busy"), as_it_went("n1", at(6, 14), EVA, "noanswer"),
            as_it_went("n2", at(7, 14), EVA, "noanswer"), as_it_went("u", at(8, 14, 30), EVA, "unavailable"),
            as_it_went("f", at(9, 11), FEMKE, "answered", dialled="0235115302")]
    store.write([update_for(j, summarise(j, ZONE, frozenset({config.number})), j.steps) for j in week])
    clock = lambda: dt.datetime(2026, 10, 12, 8, 0, tzinfo=ZONE)
    mailer = ReportMailer(config, store, AuditLog(store, lambda: clock().timestamp()), clock, tmp_path / "out")

    assert mailer.send_due() == ["weekly:vergunningen:2026-10-05"]
    [(_, weekly)] = inbox.messages
    body = weekly.get_content()
    assert "6 keer tevergeefs" in body
    assert "6 oktober 2026 09:00, rechtstreeks, afwezig gemeld, naar Klantcontactcentrum" in body
    assert "7 oktober 2026 09:00, rechtstreeks, niet storen aan, naar Klantcontactcentrum" in body
    assert "8 oktober 2026 09:00, rechtstreeks, in gesprek, teruggevallen naar Klantcontactcentrum" in body
    assert "6 oktober 2026 14:00, rechtstreeks, niet opgenomen, teruggevallen naar Klantcontactcentrum" in body
    assert "  Opvallend: in de middag niet bereikbaar (0 van 3 opgenomen); 3× niet opgenomen zonder " \
           "afwezigheid, doorschakeling of niet storen." in body
    assert "Femke" not in body  # she answered
    store.close()
