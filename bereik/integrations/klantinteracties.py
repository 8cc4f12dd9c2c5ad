"""Every citizen's call as a contact in the municipality's contact registration, through the common-ground
Klantinteracties API (VNG Realisatie's standard, implemented by Open Klant): a klantcontact (channel
"telefoon", topic, what happened, whether contact was made), the caller as its betrokkene (role "klant")
and the caller's number as that betrokkene's digitaal adres. A kept call-back note is a contact too.

`contact_of` decides from a call's journey alone (pure); `Registration` keeps each contact in the outbox
until the API has it (bereik.integrations.webhooks.Courier: retried with back-off, then a dead letter on
/webhooks). A registration is three requests; how far one got is kept, so a retry never makes a second
klantcontact.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
import time
from dataclasses import asdict, dataclass
from typing import Callable

import aiohttp

from bereik.callbacks.store import CALLED_BACK, Note
from bereik.config.model import Config
from bereik.console import words
from bereik.integrations.webhooks import Courier, Delivery, Outbox
from bereik.records.journey import Journey, Step
from bereik.records.summary import CallRow, WRAPPED_UP, summarise
from bereik.secrets import Secrets

NAME = "klantinteracties"  # the receiver's name in the outbox and on /webhooks
# The API's own check of a telephone number (DigitaalAdres.adres); others are left out, not refused.
PHONE = re.compile(r"^(0[1-9][0-9]{8}|\+[0-9]{9,15}|00[0-9]{7,13})$")
KANAAL = "telefoon"


@dataclass(frozen=True)
class Contact:
    klantcontact: dict
    number: str  # the caller's number as the API accepts it, or "" (hidden, or not one it accepts)


def _iso(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def _language(config: Config) -> str:
    return {"nl": "nld", "en": "eng"}[config.language]  # ISO 639-2/B, as the API asks


def contact_of(config: Config, journey: Journey, row: CallRow) -> Contact | None:
    """The contact an ended call makes, or None when it is no citizen's contact with someone: a colleague's
    internal call, one the PBX refused, or one that ended in the menu or the closing message."""
    if row.inside or row.refused or not (row.queued_at or row.person or row.callback_requested):
        return None
    wrap_ups = [s for s in journey.steps if s.what == WRAPPED_UP]
    wrap = wrap_ups[-1].detail if wrap_ups else {}
    choice = words.choice_text(config, journey.labels.get("choice", ""), row.topic)
    said = [f"Keuze in het menu: {choice}."] if choice else []
    if row.person:
        tried = words.colleague(config, row.person, row.department)
        who = tried["name"] + (f" ({tried['department']})" if tried["department"] else "")
        said.append(f"Belde {who}, die opnam." if row.direct_answered else
                    f"Belde {who}, die niet opnam; teruggevallen naar het klantcontactcentrum." if row.fallback else
                    f"Belde {who}, die niet opnam.")
    wait = round(row.wait_seconds) if row.wait_seconds is not None else None
    if row.agent:
        said.append(f"Aangenomen door {row.agent}" + (f" na {wait} s wachten." if wait is not None else "."))
    elif row.abandoned:
        said.append("De beller hing op" + (f" na {wait} s wachten." if wait is not None else "."))
    if row.callback_requested:
        said.append("De beller vroeg om terugbellen.")
    if wrap:
        said.append("Direct geholpen." if wrap.get("resolved") == "yes" else "Niet direct geholpen.")
        if wrap.get("callback_note") == "yes":
            said.append("Terugbelnotitie gemaakt.")
    topic = wrap.get("topic") or (words.topic_name(row.topic) if row.topic else "") or "Telefonisch contact"
    return Contact({
        "kanaal": KANAAL, "onderwerp": topic[:200], "inhoud": " ".join(said)[:1000],
        "indicatieContactGelukt": bool(row.agent) or row.direct_answered,
        "verdereActieOndernomen": row.callback_requested or wrap.get("callback_note") == "yes",
        "taal": _language(config), "vertrouwelijk": False, "plaatsgevondenOp": _iso(row.started_at),
    }, journey.caller_number if PHONE.match(journey.caller_number or "") else "")


def called_back(config: Config, note: Note, by: str) -> Contact:
    """A call-back note marked done: the agent called the citizen back."""
    return Contact({
        "kanaal": KANAAL, "onderwerp": "Teruggebeld", "inhoud": f"Teruggebeld door {by} over: {note.question}"[:1000],
        "indicatieContactGelukt": True, "verdereActieOndernomen": False, "taal": _language(config),
        "vertrouwelijk": False, "plaatsgevondenOp": note.closed_at.astimezone(dt.timezone.utc).isoformat(timespec="seconds")
        .replace("+00:00", "Z") if note.closed_at else _iso(time.time()),
    }, note.number if PHONE.match(note.number) else "")


class Registration(Courier):
    """Registers each ended call (Recorder.on_step) and each kept call-back (`note_done`)."""

    ordered = False  # an answered call waits for its wrap-up; the others need not wait behind it

    def __init__(self, config: Config, secrets: Secrets, outbox: Outbox, *, now: Callable[[], float] = time.time):
        settings = config.integrations.klantinteracties
        super().__init__([NAME], outbox, config.integrations.max_attempts, now)
        self.config, self.settings = config, settings
        self._token = secrets.get(settings.token)
        self._front = frozenset(config.entry_numbers)
        self._registered: dict[str, None] = {}  # calls already queued, oldest first (a bounded memory)

    def destinations(self) -> dict[str, str]:
        return {NAME: self.settings.url}

    def step(self, journey: Journey, step: Step) -> None:
        if not journey.ended and step.what != WRAPPED_UP:
            return
        row = summarise(journey, self.config.zone, self._front)
        contact = contact_of(self.config, journey, row)
        if contact is None:
            return
        body = json.dumps({"contact": asdict(contact), "made": {}}, ensure_ascii=False)
        if step.what == WRAPPED_UP:
            if self.outbox.replace(NAME, journey.call_id, body, self.now()):
                self.wake(NAME)
            return
        if journey.call_id in self._registered:
            return
        self._registered[journey.call_id] = None
        while len(self._registered) > 10000:
            self._registered.pop(next(iter(self._registered)))
        wrapped = any(s.what == WRAPPED_UP for s in journey.steps)
        wait = self.settings.wrap_up_seconds if row.agent and not wrapped else 0
        self.outbox.add(NAME, journey.call_id, "klantcontact", journey.call_id, body, self.now(), self.now() + wait)
        self.wake(NAME)

    def note_done(self, note: Note, by: str) -> None:
        """A note closed by a call-back the caller answered; a note closed otherwise (by e-mail, not
        reached, still open) is no contact."""
        if note.outcome != CALLED_BACK:
            return
        body = json.dumps({"contact": asdict(called_back(self.config, note, by)), "made": {}}, ensure_ascii=False)
        self.outbox.add(NAME, f"callback-{note.id}", "klantcontact", f"callback-{note.id}", body, self.now())
        self.wake(NAME)

    async def send(self, name: str, delivery: Delivery) -> tuple[str | None, str | None]:
        job = json.loads(delivery.body)
        contact, made = job["contact"], job["made"]
        headers = {"Authorization": f"Token {self._token}", "Accept": "application/json"}
        try:
            if "klantcontact" not in made:
                made["klantcontact"] = await self._create("klantcontacten", contact["klantcontact"], headers)
            if contact["number"] and "betrokkene" not in made:
                made["betrokkene"] = await self._create("betrokkenen", {
                    "wasPartij": None, "hadKlantcontact": {"uuid": made["klantcontact"]}, "rol": "klant",
                    "initiator": True}, headers)
            if contact["number"] and "digitaal_adres" not in made:
                made["digitaal_adres"] = await self._create("digitaleadressen", {
                    "verstrektDoorBetrokkene": {"uuid": made["betrokkene"]}, "verstrektDoorPartij": None,
                    "adres": contact["number"], "soortDigitaalAdres": "telefoonnummer",
                    "omschrijving": "Nummer waarmee gebeld werd"}, headers)
        except _Refused as problem:
            return str(problem), json.dumps({"contact": contact, "made": made}, ensure_ascii=False)
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as problem:
            return (type(problem).__name__ + (f": {problem}" if str(problem) else ""),
                    json.dumps({"contact": contact, "made": made}, ensure_ascii=False))
        return None, None

    async def _create(self, resource: str, body: dict, headers: dict) -> str:
        async with self._session.post(f"{self.settings.url}/{resource}", json=body, headers=headers) as response:
            if response.status != 201:
                detail = (await response.text())[:200]
                raise _Refused(f"{resource}: HTTP {response.status} {detail}")
            return str((await response.json())["uuid"])


class _Refused(Exception):
    pass
