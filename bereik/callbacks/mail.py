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


class Mailer:
    def __init__(self, host: str, port: int, sender: str, zone, language: str = "nl", timeout: float = 10.0):
        self.host, self.port, self.sender, self.zone = host, port, sender, zone
        self.language, self.timeout = language, timeout

    def _send(self, mail: EmailMessage) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            smtp.send_message(mail)

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
