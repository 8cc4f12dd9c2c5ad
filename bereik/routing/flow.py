"""One call's way through the front office, as a pure state machine.

Facts go in (the dialled number, the time, the keys the caller presses);
decisions come out. Each decision says what the caller hears and what happens
next. Nothing here touches the PBX, so every path is tested without one:

    flow = CallFlow(config, now=now)
    decision = flow.start()
    while isinstance(decision, Ask):
        decision = flow.pressed(key_or_None)
    # decision is now Enqueue, Forward, PutThrough or Hangup
"""
from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field, replace

from bereik.config.model import Config
from bereik.ivr.phrases import fill, next_opening_phrase, outside_text, recording_notice
from bereik.routing.appointment_offer import Offer, Slot, booked, planned, taken
from bereik.routing.calamity import Calamity, Mode
from bereik.routing.hours import OpeningHours
from bereik.routing.virtual_hold import callable_number, offer_text, read_back_parts


@dataclass(frozen=True)
class Ask:
    """Say these texts and wait for one key."""

    say: tuple[str, ...]
    keys: frozenset[str]
    timeout: float
    stage: str


@dataclass(frozen=True)
class Enqueue:
    say: tuple[str, ...]
    queue: str
    topic: str | None
    choice: str | None  # the menu key pressed, if any
    reason: str  # "menu_choice", "no_choice", "no_menu"


@dataclass(frozen=True)
class Forward:
    """The caller wants another municipality that shares the number."""

    say: tuple[str, ...]
    number: str
    municipality: str


@dataclass(frozen=True)
class PutThrough:
    """The caller chose a menu option of an outside organisation (Sociale Zaken of a joint organisation in
    another town): put through to its number over the trunk, within the class of service. When it does not
    answer, is busy or cannot be reached, the caller is not left there: `fallback_queue` takes the call."""

    say: tuple[str, ...]
    number: str
    organisation: str
    choice: str  # the menu key pressed
    fallback_queue: str


@dataclass(frozen=True)
class Hangup:
    say: tuple[str, ...]
    reason: str  # "outside_hours", "holiday", "closing_day", "calamity"
    callback: bool = False  # the caller asked for a call-back on the next working day, and confirmed the number
    appointment: Slot | None = None  # or chose this time in a colleague's calendar (to be booked)


@dataclass(frozen=True)
class CallerCallback:
    """What the entry knows of the caller's call-backs (bereik.routing.virtual_hold)."""

    number: str = ""  # a number that can be called back; empty: none (hidden, or call-backs not offered here)
    planned: bool = False  # a call-back the caller asked for earlier is still planned: say so, offer none
    planned_at: dt.datetime | None = None  # that call-back is an appointment at this time


Decision = Ask | Enqueue | Forward | PutThrough | Hangup
FINAL = (Enqueue, Forward, PutThrough, Hangup)


class Stage(enum.Enum):
    MUNICIPALITY = "municipality"
    MENU = "menu"
    CALLBACK_OFFER = "after_hours_callback"  # closed: a call-back on the next working day?
    CALLBACK_CONFIRM = "after_hours_confirm"  # the number read back: the confirm key?
    APPOINTMENT = "after_hours_appointment"  # free times in a department's calendars: one of them, or the ordinary?
    DONE = "done"


@dataclass
class CallFlow:
    config: Config
    now: dt.datetime
    hours: OpeningHours | None = None
    dialled: str | None = None  # None: the 14 number
    calamity: Calamity | None = None  # the calamity switch, when it is on (bereik.calamity)
    callback: CallerCallback = CallerCallback()
    stage: Stage = field(default=Stage.DONE, init=False)
    attempts: int = field(default=0, init=False)
    _closed: Hangup | None = field(default=None, init=False)  # the closing decision, while a call-back is asked
    _times: Offer | None = field(default=None, init=False)  # the appointment times, once read

    def __post_init__(self) -> None:
        self.hours = self.hours or OpeningHours(self.config)

    def start(self) -> Decision:
        # Only the shared 14 number asks which municipality; a general number is ours already.
        if self.config.shared_number is not None and self.dialled in (None, self.config.number):
            return self._ask_municipality(lead=())
        return self._our_municipality()

    def pressed(self, key: str | None) -> Decision:
        """The caller pressed `key`, or nothing before the timeout (None)."""
        if self.stage is Stage.MUNICIPALITY:
            return self._municipality_chosen(key)
        if self.stage is Stage.MENU:
            return self._menu_chosen(key)
        if self.stage is Stage.CALLBACK_OFFER:
            return self._callback_offered(key)
        if self.stage is Stage.CALLBACK_CONFIRM:
            return self._callback_confirmed(key)
        if self.stage is Stage.APPOINTMENT:
            return self._appointment_chosen(key)
        raise RuntimeError("the call has already been routed")

    # The municipality choice on a shared 14xxx number

    def _ask_municipality(self, lead: tuple[str, ...]) -> Ask:
        shared = self.config.shared_number
        self.stage = Stage.MUNICIPALITY
        keys = {shared.our_key, *(other.key for other in shared.others)}
        return Ask((*lead, self._text("municipality_choice")), frozenset(keys), self._timeout(), "municipality")

    def _municipality_chosen(self, key: str | None) -> Decision:
        shared = self.config.shared_number
        if key == shared.our_key:
            self.attempts = 0
            return self._our_municipality()
        for other in shared.others:
            if key == other.key:
                self.stage = Stage.DONE
                return Forward((), other.forward_to, other.name)
        self.attempts += 1
        if self.attempts > self._retries():
            # Nobody is dropped for a wrong key: we answer the call ourselves.
            self.attempts = 0
            return self._our_municipality()
        return self._ask_municipality(lead=(self._text("invalid_choice"),) if key else ())

    # Our own front office

    def _our_municipality(self) -> Decision:
        calamity = (self.calamity.text,) if self.calamity and self.calamity.in_force(self.now) else ()
        if calamity and self.calamity.mode is Mode.CLOSED:
            self.stage = Stage.DONE
            return Hangup(calamity, "calamity")
        status = self.hours.status(self.now)
        if not status.open:
            self.stage = Stage.DONE
            opening = next_opening_phrase(status.next_opening, self.now, self.config.zone, self.config.language)
            closed = self._text("closed", next_opening=opening)
            if self.callback.planned:
                return Hangup((*calamity, closed, self._already_planned()), status.reason)
            if not self._after_hours_offer():
                return Hangup((*calamity, closed), status.reason)
            self.stage = Stage.CALLBACK_OFFER
            self._closed = Hangup((self.config.waiting.callback_after_hours_confirmed.replace(
                "{next_opening}", opening),), status.reason, callback=True)
            return Ask((*calamity, closed, offer_text(self.config, after_hours=True)),
                       frozenset({self.config.waiting.callback_key}), self._timeout(), self.stage.value)
        welcome = (self._text("welcome"),) if "welcome" in self.config.texts else ()
        notice = recording_notice(self.config)
        lead = (*welcome, *calamity, *((notice,) if notice else ()))
        if self.callback.planned:
            lead = (*lead, self._already_planned())
        if self.config.menu is None:
            return self._enqueue(lead, topic=None, choice=None, reason="no_menu")
        return self._ask_menu(lead=lead)

    def _ask_menu(self, lead: tuple[str, ...]) -> Ask:
        menu = self.config.menu
        self.stage = Stage.MENU
        options = tuple(option.text for option in menu.options)
        keys = frozenset(option.key for option in menu.options)
        return Ask((*lead, self._text("menu_intro"), *options), keys, menu.wait_for_key, "menu")

    def _menu_chosen(self, key: str | None) -> Decision:
        for option in self.config.menu.options:
            if key == option.key and option.outside:
                self.stage = Stage.DONE
                return PutThrough((outside_text(self.config, "put_through", option.organisation),),
                                  option.forward_to, option.organisation, key, self.config.front_office)
            if key == option.key:
                return self._enqueue((), option.topic, key, "menu_choice", queue=option.queue)
        self.attempts += 1
        if self.attempts > self._retries():
            return self._enqueue((), topic=None, choice=None, reason="no_choice")
        return self._ask_menu(lead=(self._text("invalid_choice"),) if key else ())

    def _enqueue(self, say, topic, choice, reason, queue=None) -> Enqueue:
        self.stage = Stage.DONE
        return Enqueue(say, queue or self.config.front_office, topic, choice, reason)

    # A call-back on the next working day, asked for outside opening hours

    def _after_hours_offer(self) -> bool:
        waiting = self.config.waiting
        return bool(waiting.callback_key and waiting.callback_after_hours and self.config.pbx.trunk
                    and callable_number(self.callback.number, self.config))

    def _callback_offered(self, key: str | None) -> Decision:
        if key != self.config.waiting.callback_key:
            self.stage = Stage.DONE
            return replace(self._closed, say=(), callback=False)
        self.stage = Stage.CALLBACK_CONFIRM
        return Ask(tuple(read_back_parts(self.config, self.callback.number)),
                   frozenset({self.config.waiting.callback_confirm_key}), self.config.waiting.callback_confirm_seconds,
                   self.stage.value)

    def _callback_confirmed(self, key: str | None) -> Decision:
        self.stage = Stage.DONE
        if key != self.config.waiting.callback_confirm_key:
            return replace(self._closed, say=(), callback=False)
        if self._times is not None:
            self.stage = Stage.APPOINTMENT
            return Ask(self._times.say, frozenset({*self._times.slots, self._times.plain_key}), self._times.timeout,
                       self.stage.value)
        return self._closed

    def times_found(self, times: Offer | None) -> None:
        """The appointment times to offer once the number is confirmed (read while it was read back); None: none
        (no department with calendars, no free time, Graph not answering): the ordinary call-back."""
        self._times = times

    def _appointment_chosen(self, key: str | None) -> Decision:
        self.stage = Stage.DONE
        slot = self._times.chosen(key)
        if slot is None:  # the ordinary call-back's key, another key or none: never a dead end
            return self._closed
        return replace(self._closed, say=(booked(self.config, slot, self.now),), callback=False, appointment=slot)

    def appointment_refused(self) -> Hangup:
        """The chosen time could not be booked (taken meanwhile, Graph failed): said, and the ordinary call-back."""
        return replace(self._closed, say=(taken(self.config), *self._closed.say))

    def _already_planned(self) -> str:
        if self.callback.planned_at is not None:
            return planned(self.config, self.callback.planned_at, self.now)
        return self.config.waiting.callback_already_planned

    def _text(self, key: str, **values: str) -> str:
        return fill(self.config, self.config.texts[key], **values)

    def _retries(self) -> int:
        return self.config.menu.retries if self.config.menu else 2

    def _timeout(self) -> float:
        return self.config.menu.wait_for_key if self.config.menu else 5.0


def route_with_keys(config: Config, now: dt.datetime, keys: list[str | None], dialled: str | None = None
                    ) -> list[Decision]:
    """Drive a flow with a fixed sequence of keys (None: no key pressed); the decisions in order."""
    flow = CallFlow(config, now, dialled=dialled)
    decisions = [flow.start()]
    pressed = iter(keys)
    while isinstance(decisions[-1], Ask):
        decisions.append(flow.pressed(next(pressed, None)))
    return decisions
