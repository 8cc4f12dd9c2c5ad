"""A call-back note by e-mail to the team mailbox (stdlib smtplib, in a worker thread)."""
from __future__ import annotations

import asyncio
import logging
import smtplib
from email.message import EmailMessage

from bereik.calllog import mask_number
from bereik.callbacks.store import Note

log = logging.getLogger(__name__)

_TEXT = {
    "nl": ("Terugbelverzoek: {name} ({number})",
           "Graag terugbellen vóór {due}.\n\nNaam: {name}\nNummer: {number}\nVoor: {person}\n"
           "Vraag:\n{question}\n\nGenoteerd door {by} op {created}.\n"),
    "en": ("Call-back request: {name} ({number})",
           "Please call back before {due}.\n\nName: {name}\nNumber: {number}\nFor: {person}\n"
           "Question:\n{question}\n\nTaken by {by} at {created}.\n"),
}


def message(note: Note, sender: str, zone, language: str = "nl") -> EmailMessage:
    subject, body = _TEXT.get(language, _TEXT["nl"])
    facts = {"name": note.name or "?", "number": note.number, "person": note.for_person or note.team,
             "question": note.question, "by": note.created_by,
             "due": note.due_at.astimezone(zone).strftime("%d-%m-%Y %H:%M"),
             "created": note.created_at.astimezone(zone).strftime("%d-%m-%Y %H:%M")}
    mail = EmailMessage()
    # Header injection: EmailMessage refuses line breaks in headers; the name is flattened anyway.
    mail["Subject"] = " ".join(subject.format(**facts).split())
    mail["From"] = sender
    mail["To"] = note.mailbox
    mail["Message-ID"] = f"<callback-{note.key}@bereik>"  # a resend is recognisable as the same note
    mail.set_content(body.format(**facts))
    return mail


# What happened to a note, for its (new) owner or the team lead.
_NOTICE = {
    "nl": {"remind": ("Herinnering: terugbellen vóór {due}", "Deze terugbelnotitie is nog open; terugbellen vóór {due}."),
           "moved": ("Terugbelnotitie overgenomen: {name} ({number})",
                     "{away} is afwezig; deze terugbelnotitie is nu voor u. Terugbellen vóór {due}."),
           "escalated": ("Te laat: terugbelnotitie {name} ({number})",
                         "Deze terugbelnotitie had vóór {due} gebeld moeten zijn en is nog open (van {owner})."),
           "facts": "Naam: {name}\nNummer: {number}\nVraag:\n{question}\n\nGenoteerd door {by} op {created}.\n"},
    "en": {"remind": ("Reminder: call back before {due}", "This call-back note is still open; call back before {due}."),
           "moved": ("Call-back note taken over: {name} ({number})",
                     "{away} is away; this call-back note is yours now. Call back before {due}."),
           "escalated": ("Late: call-back note {name} ({number})",
                         "This call-back note was due before {due} and is still open (of {owner})."),
           "facts": "Name: {name}\nNumber: {number}\nQuestion:\n{question}\n\nTaken by {by} at {created}.\n"},
}


def notice(note: Note, kind: str, to: str, sender: str, zone, language: str = "nl", **extra: str) -> EmailMessage:
    """A reminder, a move or an escalation ('remind', 'moved', 'escalated') about `note`, to `to`."""
    texts = _NOTICE.get(language, _NOTICE["nl"])
    subject, opening = texts[kind]
    facts = {"name": note.name or "?", "number": note.number, "question": note.question, "by": note.created_by,
             "owner": note.owner or note.team, "away": "", **extra,
             "due": note.due_at.astimezone(zone).strftime("%d-%m-%Y %H:%M"),
             "created": note.created_at.astimezone(zone).strftime("%d-%m-%Y %H:%M")}
    mail = EmailMessage()
    mail["Subject"] = " ".join(subject.format(**facts).split())
    mail["From"] = sender
    mail["To"] = to
    mail["Message-ID"] = f"<callback-{note.key}-{kind}@bereik>"
    mail.set_content(opening.format(**facts) + "\n\n" + texts["facts"].format(**facts))
    return mail


class Mailer:
    def __init__(self, host: str, port: int, sender: str, zone, language: str = "nl", timeout: float = 10.0):
        self.host, self.port, self.sender, self.zone = host, port, sender, zone
        self.language, self.timeout = language, timeout

    def _send(self, mail: EmailMessage) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            smtp.send_message(mail)

    async def send_notice(self, note: Note, kind: str, to: str, **extra: str) -> bool:
        """True when the mail server accepted the notice; failures are logged, never raised."""
        if not to:
            return False
        try:
            await asyncio.to_thread(self._send, notice(note, kind, to, self.sender, self.zone, self.language, **extra))
        except (OSError, smtplib.SMTPException) as problem:
            log.warning("%s of call-back note %s not mailed: %s", kind, note.id, type(problem).__name__)
            return False
        return True

    async def send(self, note: Note) -> bool:
        """True when the mail server accepted the note; failures are logged, never raised."""
        if not note.mailbox:
            return False
        try:
            await asyncio.to_thread(self._send, message(note, self.sender, self.zone, self.language))
        except (OSError, smtplib.SMTPException) as problem:
            log.warning("call-back note %s for %s not mailed: %s", note.id, mask_number(note.number),
                        type(problem).__name__)
            return False
        return True
