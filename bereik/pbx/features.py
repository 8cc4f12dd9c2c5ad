"""A feature code dialled on a desk phone (dialplan context bereik-features): forwarding and do-not-disturb.

1. The dialplan hands over the code dialled and the phone's own endpoint (${CHANNEL(endpoint)}), never a
   caller ID the phone could have set.
2. bereik changes the person's own forward or do-not-disturb in the forwarding store, with the same
   rules as the console and `bereik forward` (the department's policy, no hunt group in disguise), and
   writes the audit log.
3. The person hears what was done and where their calls go now, from the absence book: a registered
   absence or Outlook's automatic reply that still sends callers elsewhere is said too.
4. The busy lamps and the consoles are told at once (`changed`).
Without bereik the dialplan says "Dat is niet gelukt" and nothing changes.

*28, the calamity switch, works from any desk phone: the PIN (BEREIK_CALAMITY_SECRET, read with GET DATA,
never dialled as part of the number, so never in a CDR) is the authority, then 1 a message before the
menu, 2 the lines closed with a message, 0 the end; the message is the default sentence and the switch
holds until midnight (the screen sets any text and end time). Three wrong PINs lock the code for 15 minutes;
every wrong one is in the audit log.
"""
from __future__ import annotations

import datetime as dt
import hmac
from collections.abc import Callable

from bereik import audit
from bereik.audit import CALAMITY_PIN_REFUSED, AuditLog
from bereik.calamity import CalamitySwitch
from bereik.calllog import CallLog, mask_number
from bereik.config.model import Config
from bereik.forwarding.store import ForwardingError, ForwardingStore
from bereik.ivr.phrases import feature_text
from bereik.ivr.prompts import PromptLibrary
from bereik.pbx.agi import AgiError, AgiHangup, AgiSession
from bereik.pbx.voice import Voice
from bereik.presence.book import AbsenceBook
from bereik.routing import calamity as calamities
from bereik.routing.features import Code, Request, effect, parse, target_of
from bereik.routing.stand_in import Taker

Clock = Callable[[], dt.datetime]

# A refusal as the phone says it.
_REFUSALS = {"policy": "refused_policy", "no_mobile": "refused_number", "not_colleague": "refused_number",
             "no_substitute": "refused_no_substitute", "hop": "refused_hop", "inward": "refused_hop",
             "nobody": "not_for_this_phone"}


PIN_DIGITS = 12
PIN_SECONDS = 10


class FeatureHandler:
    def __init__(self, config: Config, prompts: PromptLibrary, clock: Clock, forwarding: ForwardingStore,
                 book: AbsenceBook, changed: Callable[[str], None] = lambda extension: None,
                 audit_log: AuditLog | None = None, calamity: CalamitySwitch | None = None, pin: str | None = None):
        """`calamity`, `pin`: the calamity switch and its PIN; without them *28 says it is not set up."""
        self.config = config
        self.voice = Voice(prompts)
        self.clock = clock
        self.forwarding = forwarding
        self.book = book
        self.changed = changed
        self.audit = audit_log
        self.calamity, self.pin = calamity, pin

    async def __call__(self, session: AgiSession) -> None:
        person = session.environment.get("agi_arg_1", "")
        dialled = session.environment.get("agi_extension", "")
        log = CallLog(session.uniqueid or "unknown")
        request = parse(dialled)
        if request is not None and request.code is Code.CALAMITY:
            try:
                outcome = await self._calamity(session, person)
                log.step("feature", person=person, code=request.code.value, outcome=outcome)
                await self.voice.hand_over(session, {})
            except AgiError:
                log.step("feature", person=person, code=request.code.value, outcome="hung_up")
            return
        try:
            if request is None or self.config.person(person) is None:
                said, outcome = [feature_text(self.config, "not_for_this_phone")], "not_for_this_phone"
            else:
                said, outcome = await self._carry_out(person, request)
            log.step("feature", person=person, code=request.code.value if request else "unknown",
                     to=mask_number(request.number) if request and request.number else "", outcome=outcome)
            await self.voice.say(session, said)
            await self.voice.hand_over(session, {})
        except AgiHangup:
            pass  # what was changed stays changed; the person did not wait to hear it

    async def _carry_out(self, person: str, request: Request) -> tuple[list[str], str]:
        now = self.clock()
        try:
            done = self._change(person, request, now)
        except ForwardingError as refused:
            key = _REFUSALS.get(refused.kind, "refused_number")
            return [feature_text(self.config, key, name=refused.name)], f"refused_{refused.kind or 'number'}"
        if done is not None and self.audit is not None:
            action, detail = done
            await self.audit.add_or_warn(person, action, person, f"phone {person}", **detail)
        self.changed(person)
        action = {Code.FORWARD: "forward_on", Code.FORWARD_SUBSTITUTE: "forward_on", Code.CLEAR: "forward_off",
                  Code.DND_ON: "dnd_on", Code.DND_OFF: "dnd_off"}.get(request.code)
        said = [feature_text(self.config, action)] if action else []
        return said + effect(self.config, self.book.stand_in(person, now), now), request.code.value

    def _change(self, person: str, request: Request, now: dt.datetime) -> tuple[str, dict[str, str]] | None:
        """The change in the store; the audit entry's action and detail, or None when nothing changed."""
        match request.code:
            case Code.FORWARD | Code.FORWARD_SUBSTITUTE:
                target = "substitute" if request.code is Code.FORWARD_SUBSTITUTE else \
                    target_of(self.config, person, request.number, self.config.person(person).mobile or "")
                if target is None:
                    raise ForwardingError("not a colleague's extension nor the person's own mobile", "not_colleague")
                colleague = self.config.person(self.config.person(person).substitute or "") \
                    if target == "substitute" else self.config.person(target)
                if colleague is not None and self.book.stand_in(colleague.extension, now).taker is not Taker.DESK:
                    raise ForwardingError(f"{colleague.name} is away", "hop", colleague.name)
                forward = self.forwarding.set(person, target, starts=now, ends=None, set_by=person)
                return audit.FORWARD_SET, {"to": forward.target, "until": "cleared"}
            case Code.CLEAR:
                return (audit.FORWARD_CLEARED, {}) if self.forwarding.clear(person) else None
            case Code.DND_ON | Code.DND_OFF:
                on = request.code is Code.DND_ON
                self.forwarding.set_dnd(person, on, set_by=person)
                return (audit.DND_SET if on else audit.DND_CLEARED), {}
        return None

    async def _calamity(self, session: AgiSession, phone: str) -> str:
        """The PIN, then the choice; what was done, for the call log (never the PIN)."""
        say = lambda key: feature_text(self.config, key)  # noqa: E731
        if self.calamity is None or not self.pin:
            await self.voice.say(session, [say("calamity_not_set_up")])
            return "not_set_up"
        if self.calamity.locked():
            await self.voice.say(session, [say("calamity_locked")])
            return "locked"
        typed = await self.voice.ask_secret(session, [say("calamity_pin")], PIN_DIGITS, PIN_SECONDS)
        if not hmac.compare_digest(typed.encode(), self.pin.encode()):
            self.calamity.wrong_pin()
            if self.audit is not None:
                await self.audit.add_or_warn(phone or "?", CALAMITY_PIN_REFUSED, "", f"phone {phone}")
            await self.voice.say(session, [say("calamity_wrong_pin")])
            return "wrong_pin"
        choice = await self.voice.ask(session, [say("calamity_choice")], self.config.menu.wait_for_key
                                      if self.config.menu else 5.0)
        now, who, source = self.clock(), f"phone {phone}", f"phone {phone}"
        if choice == "0":
            await self.calamity.switch_off(who, source, "vanaf een toestel")
            await self.voice.say(session, [say("calamity_off")])
            return "off"
        mode = {"1": calamities.Mode.MESSAGE, "2": calamities.Mode.CLOSED}.get(choice or "")
        if mode is None:
            await self.voice.say(session, [say("failed")])
            return "no_choice"
        calamity = calamities.checked(self.config, mode, calamities.default_text(self.config, mode),
                                      calamities.end_of_day(now), now, who)
        await self.calamity.switch_on(calamity, source, "vanaf een toestel")
        confirmation = "calamity_message_on" if mode is calamities.Mode.MESSAGE else "calamity_closed_on"
        await self.voice.say(session, [say(confirmation), calamity.text])
        return mode.value
