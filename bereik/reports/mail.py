"""Reports by e-mail: every Monday each team lead gets the team's failed attempts of the week before,
by person (Haarlem: "per afdeling of team op persoonsniveau de niet geslaagde pogingen ... per mail");
on the first of the month the addresses in the YAML get the monthly report.

What is due is decided purely (`due`); what was sent is in the audit log, so a restart or a second
bereik on the same store never mails twice.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import logging
import smtplib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

from bereik.audit import AuditLog
from bereik.calllog import mask_number
from bereik.config.model import Config
from bereik.records.store import CallStore
from bereik.records.summary import DIRECT, CallRow, transfers_of
from bereik.reports import words as w
from bereik.reports.contact import contact
from bereik.reports.figures import front_office_name
from bereik.reports.reachability import Hours
from bereik.reports.schema import ReportRequest

log = logging.getLogger(__name__)

REPORT_MAILED = "report_mailed"  # the audit log's action: target "weekly:<department>:<monday>" or "monthly:<month>"


@dataclass(frozen=True)
class FailedAttempt:
    at: float
    person: str  # the colleague's name
    how: str  # "direct" or "transfer"
    outcome: str  # in the reader's words
    caller: str  # masked
    then: str  # what became of the caller afterwards, in words


@dataclass(frozen=True)
class Due:
    kind: str  # "weekly" or "monthly"
    target: str  # the audit log's target
    start: dt.date
    end: dt.date
    department: str = ""


_WORDS = {
    "nl": {
        "weekly_subject": "Niet geslaagde pogingen {department}, {period}",
        "weekly_intro": "Deze week belden bellers {count} keer tevergeefs naar iemand van {department} ({period}). "
                        "Per persoon, met wat er met de beller gebeurde:",
        "weekly_none": "Deze week ({period}) kwam iedereen die iemand van {department} zocht direct goed terecht.",
        "console": "In de console: {url}",
        "fell_back": "niet opgenomen, teruggevallen naar {front}", "hung_up": "beller hing op terwijl het ging",
        "absent": "afwezig gemeld, naar {front}", "dnd": "niet storen aan, naar {front}",
        "busy": "in gesprek, teruggevallen naar {front}",
        "substitute": "naar vervanger {name}, niet opgenomen, teruggevallen naar {front}",
        "signal": "Opvallend: {signal}.",
        "not_answered": "niet opgenomen na doorverbinden door {front}", "other": "niet bereikt",
        "direct": "rechtstreeks", "transfer": "doorverbonden",
        "then_ok": "toch geholpen", "then_failed": "beller moest opnieuw bellen", "then_pending": "terugbellen loopt",
        "monthly_subject": "Bereikbaarheid gemeente {municipality}, {period}",
        "monthly_body": "Het maandrapport over {period}: geslaagde contactpogingen {success}, directe "
                        "bereikbaarheid {direct}, binnen 20 seconden opgenomen {within}. Het rapport en de "
                        "tabellen (voor Excel) zitten in de bijlagen.",
    },
    "en": {
        "weekly_subject": "Failed attempts {department}, {period}",
        "weekly_intro": "This week callers tried someone of {department} {count} times in vain ({period}). By person, "
                        "with what became of the caller:",
        "weekly_none": "This week ({period}) everyone who looked for someone of {department} reached them.",
        "console": "In the console: {url}",
        "fell_back": "not answered, fell back to {front}", "hung_up": "the caller hung up while it rang",
        "absent": "absent, to {front}", "dnd": "do-not-disturb on, to {front}",
        "busy": "on the phone, fell back to {front}",
        "substitute": "to the substitute {name}, not answered, fell back to {front}",
        "signal": "Notable: {signal}.",
        "not_answered": "not answered after a transfer by {front}", "other": "not reached",
        "direct": "direct", "transfer": "transferred",
        "then_ok": "helped after all", "then_failed": "had to call again", "then_pending": "call-back pending",
        "monthly_subject": "Reachability of {municipality}, {period}",
        "monthly_body": "The monthly report for {period}: successful contact {success}, direct reachability "
                        "{direct}, answered within 20 seconds {within}. The report and the tables (for Excel) "
                        "are attached.",
    },
}


def due(now: dt.datetime, config: Config, sent: Callable[[str], bool]) -> list[Due]:
    """The mails due at `now` (local) and not sent yet: Monday's weekly mails from send_hour on, for the week
    before; the monthly report from send_hour on the 1st, for the month before."""
    mail = config.reports.mail
    if now.hour < mail.send_hour:
        return []
    found = []
    today = now.date()
    monday = today - dt.timedelta(days=today.weekday())
    week = (monday - dt.timedelta(days=7), monday - dt.timedelta(days=1))
    for department in sorted(mail.team_leads):
        target = f"weekly:{department}:{week[0].isoformat()}"
        if not sent(target):
            found.append(Due("weekly", target, *week, department=department))
    if mail.monthly_to:
        last = today.replace(day=1) - dt.timedelta(days=1)
        target = f"monthly:{last:%Y-%m}"
        if not sent(target):
            found.append(Due("monthly", target, last.replace(day=1), last))
    return found


def failed_attempts(rows: Iterable[CallRow], config: Config, department: str) -> list[FailedAttempt]:
    """Every attempt to reach someone of `department` that did not reach them: direct calls that were not
    answered, transfers the colleague did not answer; with what became of the caller afterwards."""
    words = _WORDS[config.language]
    front = front_office_name(config)
    names = {p.extension: p.name for p in config.people}
    members = set(next((d.members for d in config.departments if d.id == department), []))
    found = []
    for row in rows:
        if row.inside:
            continue
        outcome = contact(row)
        then = "" if outcome is None else words["then_pending" if outcome.value == "pending" else
                                                "then_ok" if outcome.successful else "then_failed"]
        if row.kind == DIRECT and not row.direct_answered and (row.department == department or row.person in members):
            what = _why_direct_failed(row, words, front, names)
            found.append(FailedAttempt(row.started_at, names.get(row.person, row.person), words["direct"], what,
                                       mask_number(row.caller), then))
        for transfer in transfers_of(row):
            if transfer.to in members and not transfer.answered:
                found.append(FailedAttempt(row.started_at, names.get(transfer.to, transfer.to), words["transfer"],
                                           words["not_answered"].format(front=front), mask_number(row.caller), then))
    return sorted(found, key=lambda a: (a.person, a.at))


def _why_direct_failed(row: CallRow, words: dict[str, str], front: str, names: dict[str, str]) -> str:
    """In the team lead's words, so an absence or do-not-disturb that was set reads apart from a call
    nobody took with nothing set (Huizen)."""
    if not row.fallback:
        return words["hung_up"]
    if row.via not in ("", "mobile"):
        return words["substitute"].format(name=names.get(row.via, row.via), front=front)
    if row.failed in ("absent", "dnd"):
        return words[row.failed].format(front=front)
    if row.failed in ("busy", "camp_timeout"):
        return words["busy"].format(front=front)
    return words["fell_back"].format(front=front)


def reachability_signals(rows: Iterable[CallRow], config: Config, department: str) -> dict[str, str]:
    """Colleague's name -> what stands out in their reachability this period (bereik.reports.reachability),
    for the department's members someone tried to reach directly."""
    members = set(next((d.members for d in config.departments if d.id == department), []))
    hours = Hours()
    for row in rows:
        hours.add(row, row.person)
    names = {p.extension: p.name for p in config.people if p.extension in members}
    return {p.name: p.signal for p in hours.people(names, {}, config.language, only_named=True) if p.signal}


def weekly_message(attempts: list[FailedAttempt], config: Config, item: Due, sender: str,
                   signals: dict[str, str] | None = None) -> EmailMessage:
    """`signals`: per colleague's name, what stands out in their reachability that week (one line under them)."""
    language = config.language
    words = _WORDS[language]
    department = next(d.name for d in config.departments if d.id == item.department)
    period = w.period(item.start, item.end, language)
    lines = [words["weekly_intro" if attempts else "weekly_none"].format(
        department=department, period=period, count=w.count(len(attempts), language)), ""]
    for person in dict.fromkeys(a.person for a in attempts):
        lines.append(f"{person}:")
        for a in (a for a in attempts if a.person == person):
            when = dt.datetime.fromtimestamp(a.at, config.zone)
            day = w.period(when.date(), when.date(), language)
            lines.append(f"  - {day} {when:%H:%M}, {a.how}, {a.outcome} ({a.caller}); {a.then}".rstrip("; "))
        if (signals or {}).get(person):
            lines.append("  " + words["signal"].format(signal=signals[person]))
        lines.append("")
    if config.reports.mail.console_url:
        lines.append(words["console"].format(url=config.reports.mail.console_url.rstrip("/") + "/team"))
    message = EmailMessage()
    message["Subject"] = words["weekly_subject"].format(department=department, period=period)
    message["From"] = sender
    message["To"] = config.reports.mail.team_leads[item.department]
    message["Message-ID"] = f"<{item.target.replace(':', '.')}@bereik>"
    message.set_content("\n".join(lines))
    return message


def monthly_message(config: Config, item: Due, sender: str, files: list[Path], report) -> EmailMessage:
    language = config.language
    words = _WORDS[language]
    figures = {f.id: f.value for f in report.figures}
    period = w.period(item.start, item.end, language)
    message = EmailMessage()
    message["Subject"] = words["monthly_subject"].format(municipality=config.municipality, period=period)
    message["From"] = sender
    message["To"] = ", ".join(config.reports.mail.monthly_to)
    message["Message-ID"] = f"<{item.target.replace(':', '.')}@bereik>"
    message.set_content(words["monthly_body"].format(
        period=period, success=w.share(figures["successful_contact"], language),
        direct=w.share(figures["direct_reachability"], language),
        within=w.share(figures["answered_within_20s"], language)))
    for path in files:
        kind = ("text", "html") if path.suffix == ".html" else ("text", "csv") if path.suffix == ".csv" \
            else ("application", "json")
        message.add_attachment(path.read_bytes(), maintype=kind[0], subtype=kind[1], filename=path.name)
    return message


class ReportMailer:
    """Sends what is due; run from `bereik run` every few minutes (`run_periodically`)."""

    def __init__(self, config: Config, store: CallStore, audit: AuditLog, clock: Callable[[], dt.datetime],
                 workdir: Path, callback_store=None):
        self.config, self.store, self.audit, self.clock = config, store, audit, clock
        self.workdir, self.callback_store = workdir, callback_store

    def _sent(self, target: str) -> bool:
        since = self.clock().timestamp() - 40 * 86400
        return any(e.action == REPORT_MAILED and e.target == target for e in self.audit.entries(since))

    def _smtp(self, message: EmailMessage) -> None:
        console = self.config.console
        with smtplib.SMTP(console.smtp_host, console.smtp_port, timeout=30) as smtp:
            smtp.send_message(message)

    def send_due(self) -> list[str]:
        """Send every mail due now; the targets sent. A mail server that refuses leaves it due for next time."""
        from bereik.reports.figures import from_store
        from bereik.reports.render import write_all

        sender = self.config.console.smtp_from
        sent = []
        for item in due(self.clock(), self.config, self._sent):
            if item.kind == "weekly":
                start, end = ReportRequest(start=item.start, end=item.end).bounds(self.config.zone)
                rows = list(self.store.calls(start, end))
                attempts = failed_attempts(rows, self.config, item.department)
                message = weekly_message(attempts, self.config, item, sender,
                                         reachability_signals(rows, self.config, item.department))
            else:
                request = ReportRequest(start=item.start, end=item.end)
                report = from_store(self.store, self.config, request, self.callback_store, self.clock())
                files = write_all(report, self.workdir / item.target.replace(":", "-"), f"bereik-{request.label}")
                message = monthly_message(self.config, item, sender, files, report)
            try:
                self._smtp(message)
            except (OSError, smtplib.SMTPException) as problem:
                log.warning("report mail %s not sent (%s); tried again later", item.target, type(problem).__name__)
                continue
            self.audit.record("bereik", REPORT_MAILED, item.target, "schedule", to=message["To"])
            sent.append(item.target)
        return sent

    async def run_periodically(self, every_seconds: float = 600.0) -> None:
        while True:
            try:
                await asyncio.to_thread(self.send_due)
            except Exception:  # a broken report must not stop bereik run
                log.exception("report mails failed")
            await asyncio.sleep(every_seconds)
