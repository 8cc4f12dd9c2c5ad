"""Busy lamps (BLF): colleagues' phones show who is on the phone, ringing, or not taking calls at the desk.

Each person's hint (bereik.pbx.dialplan) is

    exten => 301,hint,PJSIP/301&Custom:bereik-mobile-301&Custom:bereik-away-301,CustomPresence:301

- the desk phone, and the mobile as the PBX sees it (set by the dialplan's bereik-mobile): AMI
  ExtensionStatus 1 (in use) or 8 (ringing), the lamp lit or blinking;
- Custom:bereik-away-<extension>, kept by bereik: BUSY while the person's calls do not reach the desk
  (absent, forwarded, do-not-disturb), so the hint shows 2 (busy);
- CustomPresence:<extension>, kept by bereik, says why (AMI PresenceStatus; phones that subscribe to
  presence show it): available, away "doorgeschakeld", xa "afwezig", dnd.

bereik writes with AMI Setvar on a function (class `call`, no channel): after every login, when a code
or the console changes something, and every `interval` seconds for what only time changes (an absence
that ends at midnight, Outlook's automatic reply).
"""
from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from bereik.config.model import Config
from bereik.pbx.ami import AmiClient, AmiError
from bereik.presence.absence_fact import AbsenceSource
from bereik.presence.vocabulary import moment_text
from bereik.routing.stand_in import StandIn, Taker, Why

log = logging.getLogger(__name__)

AWAY_DEVICE = "Custom:bereik-away-{extension}"
PRESENCE = "CustomPresence:{extension}"
_WORDS = {
    "nl": {"forwarded": "doorgeschakeld", "absent": "afwezig", "dnd": "niet storen", "to_mobile": "naar mobiel",
           "to": "naar", "until": "tot", "substitute": "vervanger"},
    "en": {"forwarded": "forwarded", "absent": "away", "dnd": "do not disturb", "to_mobile": "to mobile",
           "to": "to", "until": "until", "substitute": "substitute"},
}


@dataclass(frozen=True)
class HintState:
    away: str  # the device state of Custom:bereik-away-<extension>
    presence: str  # PRESENCE_STATE's value: state,subtype,message


def hint_state(config: Config, taker: StandIn, now: dt.datetime) -> HintState:
    """Pure: what the lamps show for one person."""
    words = _WORDS[config.language]
    until = f"{words['until']} {moment_text(taker.until, now, config.language)}" if taker.until else ""
    if taker.taker is Taker.DESK:
        return HintState("NOT_INUSE", "available,,")
    if taker.taker is Taker.MOBILE:
        return HintState("BUSY", _presence("away", words["forwarded"], words["to_mobile"], until))
    if taker.why is Why.DND:
        return HintState("BUSY", _presence("dnd", words["dnd"]))
    if taker.fact.source is AbsenceSource.FORWARDING:
        return HintState("BUSY", _presence("away", words["forwarded"], f"{words['to']} {taker.name}" if taker.name
                                           else "", until))
    return HintState("BUSY", _presence("xa", words["absent"], until,
                                       f"{words['substitute']} {taker.name}" if taker.name else ""))


def _presence(state: str, subtype: str, *message: str) -> str:
    # PRESENCE_STATE separates its fields with commas: none may come from a name.
    text = "; ".join(part for part in message if part)
    return ",".join(part.replace(",", " ") for part in (state, subtype, text))


class HintPublisher:
    def __init__(self, config: Config, ami: AmiClient, stand_in: Callable[[str], StandIn],
                 clock: Callable[[], dt.datetime], interval: float = 15.0):
        self.config = config
        self.ami = ami
        self.stand_in = stand_in
        self.clock = clock
        self.interval = interval
        self._shown: dict[str, HintState] = {}
        self._task: asyncio.Task | None = None
        ami.on_login(self._after_login)

    async def publish(self, extensions: list[str] | None = None) -> None:
        """Write what changed since the last time (everyone's, unless `extensions` names some)."""
        now = self.clock()
        for extension in extensions if extensions is not None else [p.extension for p in self.config.people]:
            state = hint_state(self.config, self.stand_in(extension), now)
            if self._shown.get(extension) == state:
                continue
            try:
                await self.ami.action("Setvar", Variable=f"DEVICE_STATE({AWAY_DEVICE.format(extension=extension)})",
                                      Value=state.away)
                await self.ami.action("Setvar", Variable=f"PRESENCE_STATE({PRESENCE.format(extension=extension)})",
                                      Value=state.presence)
            except AmiError as error:
                log.warning("busy lamp of %s not updated: %s", extension, error)
                return  # the next login or tick writes it
            self._shown[extension] = state

    def changed(self, extension: str) -> None:
        """A code or the console changed someone's forward: light the lamps now, not at the next tick."""
        if self.ami.connected:
            asyncio.ensure_future(self.publish([extension]))

    async def _after_login(self) -> None:
        self._shown.clear()  # Asterisk may have restarted: its states are not ours to trust
        await self.publish()

    def start(self) -> None:
        self._task = asyncio.ensure_future(self._run())

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            if self.ami.connected:
                await self.publish()
