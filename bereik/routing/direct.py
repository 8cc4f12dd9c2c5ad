"""A call to one colleague, as a pure state machine: ring them once, then the TIC.

There are no hunt groups (see the brief): a call that the colleague does not
answer never goes to the next colleague; the caller hears one short message
and joins the front-office queue in arrival order, carrying the `Attempt` (whom
they tried, why it failed, when) so the agent can act on it.

The call is handed to bereik several times (before ringing, after ringing,
after waiting behind a call, on hang-up); the dialplan keeps the `Stage` and
the `Attempt` on the channel between hand-overs, and `DirectCall` resumes
from them:

    call = DirectCall(config, attempt)                 # Stage.NEW
    decision = call.start(Facts(device="NOT_INUSE"))   # Ring
    decision = call.rang("NOANSWER", device="NOT_INUSE")  # Fallback(reason=noanswer)

A colleague who is absent (`Facts.away`, from bereik.routing.stand_in) is never rung: the caller
hears one sentence ("Eva Smit is afwezig tot maandag 8 december. U wordt doorverbonden met de
vervanger, Jan de Boer.") and goes to the substitute, or to the front office, at once.
"""
from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, replace

from bereik.config.model import Config
from bereik.ivr.phrases import absence_sentence, back_office_text

SECONDS_PER_RING = 5  # Dutch cadence: 1 s tone, 4 s silence
CAMP_ON_KEYS = {"wait": "1", "front_office": "2"}
CAMP_ON_WAIT_FOR_KEY = 6.0

# Asterisk's DEVICE_STATE values, grouped by what they mean for the caller.
DEVICE_ON_A_CALL = frozenset({"INUSE", "BUSY", "ONHOLD", "RINGINUSE"})
DEVICE_GONE = frozenset({"UNAVAILABLE", "INVALID"})


class Reason(enum.StrEnum):
    """Why a direct call went to the front office."""

    NO_ANSWER = "noanswer"
    BUSY = "busy"
    UNAVAILABLE = "unavailable"
    DND = "dnd"
    CAMP_TIMEOUT = "camp_timeout"
    ABSENT = "absent"  # absent, and no substitute who can take the call now


class Stage(enum.StrEnum):
    NEW = "new"
    RINGING = "ringing"
    OFFERED = "offered"  # asked whether to wait behind the colleague's call
    CAMPED = "camped"  # waiting behind the colleague's call
    FALLING_BACK = "falling_back"  # hearing the message, on the way to the TIC queue
    CONNECTED = "connected"
    GONE = "gone"


class Origin(enum.StrEnum):
    OUTSIDE = "outside"  # a citizen, through the trunk: unanswered calls go to the TIC
    INSIDE = "inside"  # a colleague's desk phone: unanswered calls just end


@dataclass(frozen=True)
class Attempt:
    """Whom the caller tried; it travels with the call to the TIC."""

    extension: str  # the colleague rung (for a department number: the one who answers it)
    name: str  # the person or department the caller asked for, as spoken
    department: str  # department id, "" if none
    origin: Origin
    at: str  # ISO time the attempt began
    via: str = ""  # absence forwarding: "" (none), a colleague's extension, or "mobile"


@dataclass(frozen=True)
class Diversion:
    """Absence forwarding in force for the colleague."""

    to: str  # a colleague's extension, or a mobile number
    mobile: bool
    device: str = "UNKNOWN"  # the colleague's device state; unused for a mobile


@dataclass(frozen=True)
class Away:
    """The colleague is absent: the caller is told until when, and goes to the substitute or the TIC."""

    until: dt.datetime | None  # None: until further notice
    substitute: str = ""  # the substitute's extension; "" when only the front office may take over
    substitute_name: str = ""
    substitute_device: str = "UNKNOWN"  # the substitute's desk phone


@dataclass(frozen=True)
class Facts:
    device: str  # DEVICE_STATE of the colleague's desk phone
    presence: str = ""  # "dnd": do-not-disturb sends the call on without ringing
    diversion: Diversion | None = None
    away: Away | None = None
    ring_mobile: bool = False  # the desk and the person's own mobile ring together


@dataclass(frozen=True)
class Ring:
    to: str  # an extension, or the person's mobile through the trunk when external
    external: bool
    seconds: int
    say: tuple[str, ...] = ()  # said before the ringing starts
    also_mobile: bool = False  # the desk (to) and the person's mobile ring together; the first to answer wins


@dataclass(frozen=True)
class OfferCampOn:
    say: tuple[str, ...]
    keys: frozenset[str]
    timeout: float


@dataclass(frozen=True)
class CampOn:
    extension: str
    seconds: int


@dataclass(frozen=True)
class Fallback:
    say: tuple[str, ...]
    queue: str | None  # None: a colleague called; the call ends
    reason: Reason


@dataclass(frozen=True)
class Done:
    outcome: str  # "answered", "answered_after_waiting", "caller_hung_up"


Decision = Ring | OfferCampOn | CampOn | Fallback | Done


def attempt_for(config: Config, dialled: str, origin: Origin, at: str) -> Attempt | None:
    """Whom a dialled number reaches: a direct number, a department number or an extension."""
    for department in config.departments:
        if department.number == dialled and department.answered_by:
            return Attempt(department.answered_by, department.name, department.id, origin, at)
    person = next((p for p in config.people if dialled in (p.direct, p.extension)), None)
    if person is None:
        return None
    department = config.department_of(person.extension)
    return Attempt(person.extension, person.name, department.id if department else "", origin, at)


class TransitionError(RuntimeError):
    """An event that cannot happen in this stage (a bug in the dialplan or a stale hand-over)."""


class DirectCall:
    def __init__(self, config: Config, attempt: Attempt, stage: Stage = Stage.NEW):
        self.config = config
        self.attempt = attempt
        self.stage = stage
        self.outcome = ""  # why the call left the colleague, once it has

    @property
    def ring_seconds(self) -> int:
        return self.config.back_office.rings * SECONDS_PER_RING

    def start(self, facts: Facts) -> Decision:
        self._expect(Stage.NEW)
        if facts.away is not None:
            return self._away(facts.away)
        diversion = facts.diversion
        if diversion is not None:
            self.attempt = replace(self.attempt, via="mobile" if diversion.mobile else diversion.to)
            if not diversion.mobile and diversion.device in DEVICE_ON_A_CALL:
                return self._fall_back(Reason.BUSY)
            if not diversion.mobile and diversion.device in DEVICE_GONE:
                return self._fall_back(Reason.UNAVAILABLE)
            return self._ring(diversion.to, external=diversion.mobile)
        if facts.presence == "dnd":
            return self._fall_back(Reason.DND)
        if facts.device in DEVICE_GONE:
            return self._fall_back(Reason.UNAVAILABLE)
        if facts.device in DEVICE_ON_A_CALL:
            return self._offer_camp_on()
        return self._ring(self.attempt.extension, external=False, also_mobile=facts.ring_mobile)

    def rang(self, status: str, device: str = "UNKNOWN") -> Decision:
        """Ringing ended with Dial's DIALSTATUS; `device` is the colleague's state now."""
        self._expect(Stage.RINGING)
        if status == "ANSWER":
            return self._done(Stage.CONNECTED, "answered")
        if status == "CANCEL":
            return self._done(Stage.GONE, "caller_hung_up")
        if status == "NOANSWER":
            return self._fall_back(Reason.NO_ANSWER)
        if status == "BUSY":
            # A phone that refuses while idle is set to do-not-disturb: waiting behind it is pointless.
            if self.attempt.via or device not in DEVICE_ON_A_CALL:
                return self._fall_back(Reason.BUSY if self.attempt.via else Reason.DND)
            return self._offer_camp_on()
        return self._fall_back(Reason.UNAVAILABLE)  # CHANUNAVAIL, CONGESTION, anything unforeseen

    def pressed(self, key: str | None) -> Decision:
        """The caller's answer to the camp-on offer (None: no key)."""
        self._expect(Stage.OFFERED)
        if key == CAMP_ON_KEYS["wait"]:
            self.stage = Stage.CAMPED
            return CampOn(self.attempt.extension, self.config.back_office.camp_on_seconds)
        return self._fall_back(Reason.BUSY)

    def waited(self, queue_status: str, answered: bool) -> Decision:
        """Waiting behind the call ended: Queue()'s QUEUESTATUS, and whether the colleague answered."""
        self._expect(Stage.CAMPED)
        if answered:
            return self._done(Stage.CONNECTED, "answered_after_waiting")
        if queue_status == "TIMEOUT":
            return self._fall_back(Reason.CAMP_TIMEOUT)
        return self._fall_back(Reason.UNAVAILABLE)

    def hung_up(self) -> Done:
        """The caller hung up, whatever bereik or Asterisk was doing."""
        if self.stage in (Stage.CONNECTED, Stage.GONE):
            return Done(self.outcome)
        outcomes = {
            Stage.NEW: "caller_hung_up",
            Stage.RINGING: "caller_hung_up",
            Stage.OFFERED: "caller_hung_up_at_offer",
            Stage.CAMPED: "caller_hung_up_while_waiting",
            Stage.FALLING_BACK: "caller_hung_up_before_queue",
        }
        return self._done(Stage.GONE, outcomes[self.stage])

    def _away(self, away: Away) -> Decision:
        """Never the absent colleague's desk: the substitute when free, else the front office, told once."""
        now = dt.datetime.fromisoformat(self.attempt.at)
        name = self.attempt.name
        if self._for_department():
            # The caller asked for the department, not the person: no word about whose absence.
            if away.substitute and away.substitute_device not in DEVICE_ON_A_CALL | DEVICE_GONE:
                self.attempt = replace(self.attempt, via=away.substitute)
                return self._ring(away.substitute, external=False)
            return self._fall_back(Reason.ABSENT)
        if away.substitute and away.substitute_device not in DEVICE_ON_A_CALL | DEVICE_GONE:
            self.attempt = replace(self.attempt, via=away.substitute)
            say = absence_sentence(self.config, name, away.until, now, away.substitute_name)
            return self._ring(away.substitute, external=False, say=(say,))
        # A colleague who called is told until when; their call ends, as any unanswered internal call does.
        return self._fall_back(Reason.ABSENT, say=(absence_sentence(self.config, name, away.until, now, None),),
                               inside_say=(absence_sentence(self.config, name, away.until, now, None, onward=False),))

    def _ring(self, to: str, external: bool, say: tuple[str, ...] = (), also_mobile: bool = False) -> Ring:
        self.stage = Stage.RINGING
        return Ring(to, external, self.ring_seconds, say, also_mobile)

    def _offer_camp_on(self) -> OfferCampOn:
        self.stage = Stage.OFFERED
        say = (back_office_text(self.config, "camp_on_offer", name=self.attempt.name),)
        return OfferCampOn(say, frozenset(CAMP_ON_KEYS.values()), CAMP_ON_WAIT_FOR_KEY)

    def _fall_back(self, reason: Reason, say: tuple[str, ...] | None = None,
                   inside_say: tuple[str, ...] = ()) -> Fallback:
        self.stage = Stage.FALLING_BACK
        self.outcome = reason.value
        if self.attempt.origin is Origin.INSIDE:
            return Fallback(inside_say, None, reason)
        if say is None:
            say = (back_office_text(self.config, "not_reachable", name=self.attempt.name),)
        return Fallback(say, self.config.front_office, reason)

    def _for_department(self) -> bool:
        person = self.config.person(self.attempt.extension)
        return person is None or person.name != self.attempt.name

    def _done(self, stage: Stage, outcome: str) -> Done:
        self.stage = stage
        self.outcome = outcome
        return Done(outcome)

    def _expect(self, stage: Stage) -> None:
        if self.stage is not stage:
            raise TransitionError(f"the call is {self.stage.value}, not {stage.value}")
