"""The call-back that keeps the caller's place in the queue ("virtual hold"): the pure rules.

A waiting caller is offered the call-back in bereik's waiting message once the expected wait or
the callers ahead pass the YAML's thresholds. The call-back key acts only after that offer, and
then only reads the number back: the caller leaves the queue after a second key confirms it, and
until then keeps waiting where they stood. A stray key (the third 9 of "999" typed at a menu
without a 9) therefore never costs anyone their place.

Once confirmed, a stand-in takes the caller's place in the queue; when its turn comes an agent is
rung first, then the caller (bereik.pbx.virtual_hold does the I/O). Where the YAML offers appointments
for the caller's topic (bereik.routing.appointment_offer), the confirmed caller first hears the free times,
still at their place: a time's key books it and the caller leaves without a stand-in; the ordinary key,
another key, or none in time, and the stand-in keeps the place as above.
"""
from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from num2words import num2words

from bereik.config.model import Config
from bereik.routing.appointment_offer import Offer, Slot
from bereik.routing.estimate import Estimate
from bereik.routing.outbound import OutboundPolicy

_CALLABLE = re.compile(r"^\+?[0-9]{6,15}$")  # anonymous, internal or garbled numbers cannot be called back


def callable_number(number: str, config: Config) -> bool:
    """A number bereik may call back: a real one, and within the class of service (a call-back to a premium or
    foreign number would be refused by the dialplan's gate anyway, so it is never offered nor tried)."""
    return bool(_CALLABLE.match(number or "")) and OutboundPolicy.from_config(config).verdict(number).allowed


def offer_due(config: Config, estimate: Estimate) -> bool:
    """Whether this waiting message offers the call-back: the expected wait or the callers ahead reached
    the YAML's threshold (either suffices)."""
    waiting = config.waiting
    if not waiting.callback_key:
        return False
    by_wait = (waiting.callback_offer_wait_seconds is not None and estimate.wait_seconds is not None
               and estimate.wait_seconds >= waiting.callback_offer_wait_seconds)
    by_callers = (waiting.callback_offer_callers_ahead is not None
                  and estimate.callers_ahead >= waiting.callback_offer_callers_ahead)
    return by_wait or by_callers


class Act(enum.Enum):
    NOTHING = "nothing"  # not offered yet, not a key that means anything now, or already asked
    READ_BACK = "read_back"  # say the number and ask for the confirm key
    NO_NUMBER = "no_number"  # nothing to call back: say so, the caller waits on
    CONFIRM = "confirm"  # the caller leaves the queue; a stand-in keeps the place
    APPOINTMENT = "appointment"  # a time chosen from the offered ones: the caller leaves, no stand-in


@dataclass
class HoldKeys:
    """One waiting caller's keys, from the offer to the confirmation. Times are seconds on one clock."""

    callback_key: str
    confirm_key: str
    confirm_seconds: float
    number_callable: bool
    offered_at: float | None = None
    asking_until: float | None = None  # the read-back is playing or the confirm key may still come
    confirmed: bool = False
    times: Offer | None = None  # the appointment times said after the confirmation
    choosing_until: float | None = None
    chosen: bool = False

    @classmethod
    def for_caller(cls, config: Config, number: str) -> HoldKeys:
        waiting = config.waiting
        return cls(waiting.callback_key or "", waiting.callback_confirm_key, waiting.callback_confirm_seconds,
                   callable_number(number, config))

    def offer(self, now: float) -> None:
        self.offered_at = self.offered_at if self.offered_at is not None else now

    def asking(self, now: float, read_back_seconds: float) -> None:
        """The read-back started now and lasts this long; the confirm key counts until its end plus the wait."""
        self.asking_until = now + read_back_seconds + self.confirm_seconds

    def choosing(self, times: Offer, now: float, say_seconds: float) -> None:
        """The confirmed caller hears the times from now, for `say_seconds`; a key until the end plus the
        offer's wait chooses."""
        self.times, self.choosing_until = times, now + say_seconds + times.timeout

    def chosen_slot(self, key: str) -> Slot | None:
        return self.times.chosen(key) if self.times else None

    @property
    def undecided(self) -> bool:
        """Confirmed, and no time chosen nor the ordinary call-back settled (the times still to be said, being
        said, or their wait not over): a caller who hangs up now still gets the call-back it confirmed."""
        return self.confirmed and not self.chosen

    def lapsed(self, now: float) -> bool:
        """True once, when the times were said and no key came in time: the ordinary call-back."""
        if self.choosing_until is None or self.chosen or now <= self.choosing_until:
            return False
        self.chosen = True
        return True

    def pressed(self, key: str, now: float) -> Act:
        if self.choosing_until is not None:  # confirmed, and hearing the times: any key decides, once
            if self.chosen or now > self.choosing_until:
                return Act.NOTHING
            self.chosen = True
            return Act.APPOINTMENT if self.chosen_slot(key) else Act.CONFIRM
        if self.confirmed or self.offered_at is None or not self.callback_key:
            return Act.NOTHING
        if self.asking_until is not None and now <= self.asking_until:
            if key == self.confirm_key:
                self.confirmed = True
                return Act.CONFIRM
            return Act.NOTHING
        self.asking_until = None
        if key != self.callback_key:
            return Act.NOTHING
        return Act.READ_BACK if self.number_callable else Act.NO_NUMBER


def digit_words(number: str, language: str) -> list[str]:
    """'0612' -> ['nul', 'zes', 'een', 'twee']: a number is read out digit by digit."""
    return [num2words(int(d), lang=language) for d in number if d.isdigit()]


def key_word(key: str, language: str) -> str:
    return num2words(int(key), lang=language)


def read_back_parts(config: Config, number: str) -> list[str]:
    """The read-back as separate sounds: the text around {number}, and one sound per digit, so that no
    recording of anyone's number is ever written to disk."""
    waiting = config.waiting
    text = waiting.callback_read_back.replace("{key}", key_word(waiting.callback_confirm_key, config.language))
    before, _, after = text.partition("{number}")
    after = after.strip().lstrip(".,;").strip() if "{number}" in text else after
    return [part for part in (before.strip(), *digit_words(number, config.language), after.strip()) if part]


def offer_text(config: Config, after_hours: bool = False) -> str:
    waiting = config.waiting
    if not waiting.callback_key:
        return ""
    text = waiting.callback_after_hours_offer if after_hours else waiting.callback_offer
    return text.replace("{key}", key_word(waiting.callback_key, config.language))


@dataclass(frozen=True)
class StandIn:
    """What the stand-in that keeps a confirmed caller's place carries into the queue."""

    position: int  # the caller's place when it left (1 is first in line)
    topic: str  # empty once the caller has waited past the topic fallback: every agent may take it


def stand_in(config: Config, position: int, topic: str, waited_seconds: float) -> StandIn:
    # The stand-in enters the queue anew, so the topic's own fallback timer would start again: a caller who
    # has waited past it is offered to every agent at once, as it would have been.
    past_fallback = waited_seconds >= config.waiting.topic_fallback_seconds
    return StandIn(max(1, position), "" if past_fallback else topic)
