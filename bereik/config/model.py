"""The municipality as an administrator describes it in YAML.

Structure and types live here (pydantic); cross-references between parts
(a menu option's queue, an agent's extension) are checked in `checks.py`, so
that every problem is reported at once.
"""
from __future__ import annotations

import calendar
import datetime as dt
import functools
import ipaddress
import re
import string
from typing import Annotated, Literal

from typing_extensions import Required, TypedDict
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)

from bereik.ivr.wait_message import wait_texts

MAX_MENU_OPTIONS = 5
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class Strict(BaseModel):
    # Strict types, as the JSON Schema has them: `extension: 201` unquoted is a number and refused
    # (`forward_to: 0235485868` would lose its 0), `rings: "4"` is text and refused.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


DtmfKey = Annotated[str, StringConstraints(pattern=r"^[0-9]$")]
Extension = Annotated[str, StringConstraints(pattern=r"^[0-9]{2,8}$")]
PhoneNumber = Annotated[str, StringConstraints(pattern=r"^\+?[0-9]{3,15}$")]
Identifier = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,30}$")]
SpokenText = Annotated[str, StringConstraints(min_length=1, max_length=1000)]
HostPort = Annotated[str, StringConstraints(pattern=r"^[0-9.]+:[0-9]{1,5}$")]
# A name that travels in channel variables, where a comma separates arguments.
PlaceName = Annotated[str, StringConstraints(pattern=r"^[^,|\x00-\x1f]{1,60}$")]
IPv4 = Annotated[str, StringConstraints(pattern=r"^(?:[0-9]{1,3}\.){3}[0-9]{1,3}$")]

TIME_OF_DAY = r"(?:[01][0-9]|2[0-3]):[0-5][0-9]"
# A period ends at 24:00 at the latest ("until midnight"); the schema says the same as the validator.
PERIOD_PATTERN = rf"^{TIME_OF_DAY}-(?:{TIME_OF_DAY}|24:00)$"
_PERIOD = re.compile(r"([0-9]{2}):([0-9]{2})-([0-9]{2}):([0-9]{2})")
_LOOSE_PERIOD = re.compile(r"^\s*(\d{1,2})[:.h](\d{2})\s*(?:-|–|tot|to)\s*(\d{1,2})[:.h](\d{2})\s*$")
MIDNIGHT_END = dt.time.max  # 24:00: open until the day ends


# Cached by the text rather than on the model, where a model_copy would carry the parsed periods along stale.
# Errors are not cached; bounded because the validator also sees every text an administrator tries.
@functools.lru_cache(maxsize=1024)
def _parse_period(text: str) -> tuple[dt.time, dt.time]:
    match = _PERIOD.fullmatch(text)
    if not match:
        loose = _LOOSE_PERIOD.match(text)
        suggestion = "{:02d}:{}-{:02d}:{}".format(int(loose[1]), loose[2], int(loose[3]), loose[4]) if loose else None
        if suggestion and _PERIOD.fullmatch(suggestion) and suggestion != text:
            raise ValueError(f"'{text}' is not written as a period; did you mean '{suggestion}'? "
                             "Write HH:MM-HH:MM with two digits each")
        raise ValueError(f"'{text}' is not a period; write it as HH:MM-HH:MM, e.g. 08:30-17:00")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if (h1, m1) == (24, 0):
        raise ValueError(f"'{text}' starts at 24:00, which is the end of the day; start at 00:00")
    for hour, minute in ((h1, m1), (h2, m2)):
        if (hour > 23 or minute > 59) and (hour, minute) != (24, 0):
            raise ValueError(
                f"'{hour:02d}:{minute:02d}' in '{text}' is not a time of day; "
                "hours run 00-23 and minutes 00-59 (24:00 may end a period)"
            )
    start = dt.time(h1, m1)
    end = MIDNIGHT_END if (h2, m2) == (24, 0) else dt.time(h2, m2)
    if end <= start:
        raise ValueError(f"'{text}' ends before it starts; a period runs from early to late "
                         "(until midnight is 24:00)")
    return start, end


Period = Annotated[
    str,
    AfterValidator(lambda text: (_parse_period(text), text)[1]),
    WithJsonSchema({"type": "string", "pattern": PERIOD_PATTERN,
                    "description": "An opening period HH:MM-HH:MM, e.g. 08:30-17:00; 24:00 ends a period at "
                                   "midnight"}),
]

_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_DAY_FIRST = re.compile(r"([0-9]{1,2})[-/.]([0-9]{1,2})[-/.]([0-9]{4})")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")


def _parse_date(value: object) -> object:
    """A date written as text (the loader leaves dates as the administrator wrote them)."""
    if not isinstance(value, str):
        return value  # a date from Python, or a wrong type that the date field explains
    match = _ISO_DATE.fullmatch(value)
    if match:
        year, month, day = (int(g) for g in match.groups())
        if not 1 <= month <= 12:
            raise ValueError(f"'{value}' has month {month}; months run 01-12 (write year-month-day)")
        try:
            return dt.date(year, month, day)
        except ValueError:
            days = calendar.monthrange(year, month)[1]
            raise ValueError(f"{day} {_MONTHS[month - 1]} {year} does not exist: "
                             f"{_MONTHS[month - 1]} {year} has {days} days") from None
    match = _DAY_FIRST.fullmatch(value)
    if match:
        day, month, year = (int(g) for g in match.groups())
        try:
            written = dt.date(year, month, day).isoformat()
        except ValueError:
            written = "2026-12-24"
        raise ValueError(f"'{value}' is not a date bereik reads; write year-month-day: {written}")
    raise ValueError(f"'{value}' is not a date; write year-month-day, e.g. 2026-12-24")


CalendarDate = Annotated[
    dt.date,
    BeforeValidator(_parse_date),
    WithJsonSchema({"type": "string", "format": "date", "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
                    "description": "A date written year-month-day, e.g. 2026-12-24"}),
]


class WeekHours(Strict):
    """Opening periods per weekday; a missing day is closed all day."""

    monday: list[Period] = Field(default=[], description="Monday's opening periods, e.g. [\"08:30-17:00\"]")
    tuesday: list[Period] = Field(default=[], description="Tuesday's opening periods")
    wednesday: list[Period] = Field(default=[], description="Wednesday's opening periods")
    thursday: list[Period] = Field(default=[], description="Thursday's opening periods, e.g. "
                                   "[\"08:30-12:00\", \"13:00-20:00\"] for a lunch break and an evening")
    friday: list[Period] = Field(default=[], description="Friday's opening periods")
    saturday: list[Period] = Field(default=[], description="Saturday's opening periods")
    sunday: list[Period] = Field(default=[], description="Sunday's opening periods")

    def periods(self, weekday: int) -> list[tuple[dt.time, dt.time]]:
        # Asked on every call (is the office open?): each text is parsed once, then found in the cache.
        return [_parse_period(p) for p in getattr(self, WEEKDAYS[weekday])]


class ClosingDay(Strict):
    date: CalendarDate = Field(description="The day the office is closed, year-month-day (e.g. 2026-12-24)")
    reason: str = Field(default="", description="Why, for the administrator and the diff (e.g. Kerstavond)")


class Holidays(Strict):
    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] = Field(
        default="NL", description="Whose public holidays close the office (two letters, NL)")
    open_on: list[str] = Field(
        default=[], description="Public holidays (by their Dutch name) on which the office is open"
    )
    extra_closed: list[ClosingDay] = Field(default=[], description="Closing days besides the public holidays")


class OtherMunicipality(Strict):
    key: DtmfKey = Field(description="The key a caller presses for this municipality")
    name: PlaceName = Field(description="The municipality's name, as the caller hears it and the records keep it")
    forward_to: PhoneNumber = Field(
        description="Where its callers are put through (between quotes: \"0235485868\"), over pbx.trunk")


class SharedNumber(Strict):
    """A 14xxx number shared with other municipalities: the caller picks first."""

    our_key: DtmfKey = Field(description="The key for this municipality in the choice")
    others: list[OtherMunicipality] = Field(min_length=1, description="The municipalities that share the number")


# An option joins a queue (topic) or puts the caller through to an outside organisation (forward_to with
# organisation): exactly one. `bereik check` says which is missing or too much; the schema says the same.
_ONE_WAY_OUT = {
    "oneOf": [{"required": ["topic"]}, {"required": ["forward_to"]}],
    "dependentRequired": {"forward_to": ["organisation"], "organisation": ["forward_to"]},
    "dependentSchemas": {"queue": {"required": ["topic"]}},
}


class MenuOption(Strict):
    # Absent is None; written empty (`topic:`) is refused as empty, so the type has no None in it.
    model_config = ConfigDict(json_schema_extra=_ONE_WAY_OUT)

    key: DtmfKey = Field(description="The key a caller presses, between quotes: \"1\"")
    topic: Identifier = Field(
        default=None, description="The topic of the call, one of the queue's topics (or forward_to instead)")
    text: SpokenText = Field(description="What the caller hears: the option explained in plain words")
    queue: Identifier | None = Field(
        default=None, description="The queue this option leads to; the front office by default"
    )
    forward_to: PhoneNumber = Field(
        default=None, description="Instead of a topic: an outside organisation's number the caller is put through "
        "to (between quotes: \"0235485868\"), over pbx.trunk and within the class of service (outbound:); "
        "unanswered or busy, the caller goes to the front office")
    organisation: PlaceName = Field(
        default=None, description="With forward_to: the outside organisation's name, as the records, reports "
        "and screen-pop keep it (e.g. Sociale Zaken Heemstede)")

    @property
    def outside(self) -> bool:
        """The option puts the caller through to an outside organisation, not into a queue."""
        return self.forward_to is not None


class Menu(Strict):
    retries: int = Field(default=2, ge=0, le=5, description="How often the menu is repeated")
    wait_for_key: float = Field(default=5, gt=0, le=30, description="Seconds to wait for a key")
    options: list[MenuOption] = Field(
        min_length=1, max_length=MAX_MENU_OPTIONS,
        description="At most 5 options, each with its explanation; without a menu every caller goes to the queue")


class Position(Strict):
    extension: Extension = Field(description="The position's extension, between quotes: \"201\"")
    overflow: bool = Field(default=False, description="Staffed only at peaks")
    address: IPv4 | None = Field(
        default=None, description="A desk phone at a fixed address; without it the phone registers"
    )


class Queue(Strict):
    id: Identifier = Field(description="The queue's short name, used by front_office and menu options")
    name: str = Field(description="The queue's name as people say it (e.g. Klantcontactcentrum)")
    topics: list[Identifier] = Field(default=[], description="The topics its menu options and agents use")
    positions: list[Position] = Field(min_length=1, description="The phones that take its calls")


class Agent(Strict):
    name: str = Field(min_length=1, description="The agent's name as colleagues know it")
    extension: Extension = Field(description="The front-office position the agent works at")
    topics: list[Identifier] = Field(default=[], description="The topics the agent is trained for")


# The brief: no hunt groups (doorschakelkringen). An unanswered call goes to the front office, not to the
# next colleague. Said without the example's names: every municipality reads it.
HUNT_GROUP_REFUSED = (
    "{what} is a hunt group in disguise: a call would hop from person to person. "
    "bereik has no hunt groups; name one person, and an unanswered call goes to the front office"
)


class Person(Strict):
    """A back-office colleague with a desk phone; reachable directly, never through a hunt group."""

    name: str = Field(min_length=1, description="The colleague's name as callers hear it")
    extension: Extension = Field(description="The desk phone's extension, between quotes: \"301\"")
    address: IPv4 | None = Field(
        default=None, description="A desk phone at a fixed address; without it the phone registers"
    )
    direct: PhoneNumber | None = Field(default=None, description="The number callers from outside dial")
    mobile: PhoneNumber | None = Field(
        default=None, description="The person's mobile: their own forward (*21*), ring_mobile and calls out from it")
    substitute: Extension | None = Field(
        default=None, description="Who takes the calls while the person is absent, unless the absence names "
        "someone else"
    )
    email: Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+$")] | None = Field(
        default=None, description="The Outlook mailbox whose automatic reply makes the person absent "
        "(presence.graph); with presence.ldap the directory's mail attribute is used")
    ring_mobile: bool = Field(
        default=False, description="The desk phone and the mobile ring at the same time (one person, not a hunt "
        "group); the department must allow forwarding to mobiles")

    @field_validator("substitute", mode="before")
    @classmethod
    def _one_substitute(cls, value: object) -> object:
        if isinstance(value, list):
            raise ValueError(HUNT_GROUP_REFUSED.format(what="a list of substitutes"))
        return value


ForwardingKind = Literal["colleague", "mobile"]


class Department(Strict):
    id: Identifier = Field(description="The department's short name")
    name: str = Field(min_length=1, description="The department's name as callers hear it")
    number: PhoneNumber | None = Field(
        default=None, description="A department number from outside; it rings one person, answered_by"
    )
    answered_by: Extension | None = Field(
        default=None,
        description="The one member the department number rings; unanswered calls go to the front office"
    )
    members: list[Extension] = Field(min_length=1, description="The extensions of its people")
    caller_id: PhoneNumber | None = Field(
        default=None,
        description="The number shown when members call out, so call-backs reach the department "
        "(default: the department number)",
    )
    forwarding: list[ForwardingKind] = Field(
        default=["colleague", "mobile"],
        description="Who may take over a member's calls: 'colleague' lets the substitute take them while the "
        "member is absent (else the front office), 'mobile' lets calls go to the member's own mobile; [] means only "
        "the front office takes over",
    )

    @field_validator("answered_by", mode="before")
    @classmethod
    def _one_person(cls, value: object) -> object:
        if isinstance(value, list):
            raise ValueError(HUNT_GROUP_REFUSED.format(what="a department number that rings several members"))
        return value


class BackOffice(Strict):
    rings: int = Field(default=4, ge=1, le=12, description="Rings (5 s each) before a direct call falls back")
    camp_on_seconds: int = Field(
        default=180, ge=1, le=1800,
        description="How long a caller may wait behind a colleague's call before the front office takes it",
    )
    forwarding_store: str = Field(
        default="/var/lib/bereik/forwarding.sqlite3",
        description="SQLite file with each person's own forwarding and do-not-disturb (`bereik forward`, the "
        "phone's *21*, *78), kept across restarts",
    )
    mobile_dial_out: bool = Field(
        default=False,
        description="A call from a person's mobile that reaches the PBX through the trunk goes out again "
        "showing the department's number. Only where the operator vouches for the calling number "
        "(fixed-mobile integration): anyone who can fake that number could call out through the PBX",
    )


def _network(text: str) -> str:
    try:
        ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise ValueError(f"'{text}' is neither an address nor a network; write e.g. 10.0.0.11 or 10.0.0.0/24") from None
    return text


class Server(Strict):
    """One Asterisk server of several, with the bereik instance beside it."""

    name: Identifier = Field(description="Kept with every call record; `bereik run --server NAME` picks this one")
    sip_bind: HostPort = Field(description="Where this server's Asterisk takes SIP, address:port")
    agi: HostPort = Field(description="Where the bereik instance beside this server listens for FastAGI")
    ami: HostPort = Field(description="This server's Asterisk Manager Interface, address:port")
    asterisk_cel: str | None = Field(
        default=None,
        description="This server's Asterisk event log as its bereik reads it; default records.asterisk_cel",
    )
    call_files: str | None = Field(
        default=None,
        description="This server's Asterisk outgoing spool as its bereik sees it; default pbx.call_files",
    )


class Pbx(Strict):
    sip_bind: HostPort = Field(default="127.0.0.1:5060", description="Where Asterisk takes SIP, address:port")
    agi: HostPort = Field(default="127.0.0.1:4573", description="Where bereik listens for FastAGI, address:port")
    agi_fallback: list[HostPort] = Field(
        default=[],
        description="Further bereik instances (on other servers), tried in order for a new call when none "
        "before them can be reached; the last resort is still the front office",
    )
    ami: HostPort = Field(default="127.0.0.1:5038", description="Asterisk's Manager Interface, address:port")
    agi_allow: list[Annotated[str, AfterValidator(_network)]] | None = Field(
        default=None,
        description="Addresses and networks (10.0.0.11, 10.0.0.0/24) whose Asterisk may hand calls to this bereik "
        "over FastAGI; default: the configured Asterisk servers' addresses (sip_bind and ami of pbx and pbx.servers)")
    trunk: HostPort | None = Field(
        default=None,
        description="The SIP trunk to the telephone network: calls from its address enter at the 14xxx "
        "number; forwards to other municipalities go out through it",
    )
    call_files: str = Field(
        default="/var/spool/asterisk/outgoing",
        description="Asterisk's outgoing spool as bereik sees it (bereik runs beside its Asterisk): bereik starts "
        "call-backs there with a call file, since its AMI user may not start calls")
    watchdog_seconds: int = Field(
        default=5, ge=2, le=60,
        description="How long bereik may stay silent when it takes a call before the dialplan "
        "sends the caller to the front office; bereik extends it step by step",
    )
    servers: list[Server] = Field(
        default=[],
        description="Several Asterisk servers sharing one records.store (PostgreSQL): each has its own bereik, "
        "the others' bereiks are its FastAGI fall-back, and every bereik sees every server's calls",
    )
    server: Identifier | None = Field(
        default=None, description="Which of `servers` this is; set by `bereik run/dialplan --server`, not in the YAML")


OutboundClass = Literal["fixed", "mobile", "freephone", "premium", "international"]


class Outbound(Strict):
    """The class of service: which numbers calls may reach through the trunk (bereik.routing.outbound).
    It holds for every path that dials out: desk phones, forwards to mobiles and other municipalities, the
    console's transfers and call-backs. 112 is always allowed."""

    classes: list[OutboundClass] = Field(
        default=["fixed", "mobile", "freephone"],
        description="fixed: Dutch geographic, 085/088/091 and 14-numbers; mobile: 06-1..06-5; freephone: 0800; "
        "premium: 0900/0906/0909; international: 00...")
    allow: list[Annotated[str, StringConstraints(pattern=r"^(?:\+|00)?[0-9]{2,15}\*?$")]] = Field(
        default=[], description="Single numbers, or prefixes ending in * (\"0032*\"), allowed beyond the classes")


class Records(Strict):
    """Where every call's journey is kept, and for how long."""

    store: str = Field(
        default="/var/lib/bereik/calls.sqlite3",
        description="A file path (SQLite) or a postgresql:// address (several Asterisk servers, one store)",
    )
    retention_days: int = Field(
        default=400, ge=1, le=3650,
        description="Call records older than this are deleted (AVG); 400 days allows a year-on-year month",
    )
    asterisk_cel: str | None = Field(
        default="/var/log/asterisk/cel-custom/bereik.csv",
        description="Asterisk's own event log (written by the generated cel_custom.conf); read after a "
        "restart or AMI reconnect to fill in what bereik missed. Several servers: pbx.servers[].asterisk_cel "
        "sets each server's own",
    )
    spool: str | None = Field(
        default=None,
        description="A directory where call records wait, on disk, while the store is locked, full or down; "
        "written to the store when it is back and at start. Default: next to the SQLite file (STORE.spool), "
        "or /var/lib/bereik/records-spool for PostgreSQL",
    )


# Haarlem's Telan report publishes grades but not the formula; these bands give its 2019
# figures their published grades (82% against 80% -> 8, 98% against 90% -> 9, 48 s against
# 30 s -> 6, 30 s against 30 s -> 10). A band is (lowest ratio, grade); the ratio is
# result/norm for shares and norm/result for times.
SHARE_BANDS = ((1.10, 10), (1.05, 9), (1.00, 8), (0.95, 7), (0.90, 6), (0.85, 5),
               (0.80, 4), (0.70, 3), (0.60, 2), (0.0, 1))
TIME_BANDS = ((1.00, 10), (0.90, 9), (0.80, 8), (0.70, 7), (0.60, 6), (0.50, 5),
              (0.40, 4), (0.30, 3), (0.20, 2), (0.0, 1))

Share = Annotated[float, Field(ge=0, le=1)]
Seconds = Annotated[float, Field(gt=0, le=3600)]
# Written in YAML as a list [ratio, grade].
Band = Annotated[tuple[Annotated[float, Field(ge=0)], Annotated[int, Field(ge=1, le=10)]],
                 BeforeValidator(lambda value: tuple(value) if isinstance(value, list) else value)]


class Norms(Strict):
    """The norm of each reported parameter; a missing norm means the figure is shown without a grade."""

    answered_within_20s: Share | None = Field(default=0.80, description="Share answered within 20 s (80/20)")
    answered_within_norm: Share | None = Field(
        default=0.80, description="Share answered within reports.answer_seconds (Telan, Huizen: 80%)")
    average_speed_of_answer: Seconds | None = Field(
        default=30, description="Average seconds until an agent answers (Telan's answer norm)")
    abandoned: Share | None = Field(default=None, description="No published norm; shown without a grade")
    direct_reachability: Share | None = Field(default=0.80, description="Telan (Haarlem 2019): 80%")
    fallback_share: Share | None = Field(default=None, description="No published norm; shown without a grade")
    indirect_reachability: Share | None = Field(default=0.90, description="Telan (Haarlem 2019): 90%")
    transfer_seconds: Seconds | None = Field(default=30, description="Telan (Haarlem 2019): 30 s")
    wait_after_transfer_seconds: Seconds | None = Field(default=30, description="Telan (Haarlem 2019): 30 s")
    callbacks_on_time: Share | None = Field(
        default=0.90, description="No published share; NEN 8878 asks that call-back promises are kept")
    technical_reachability: Share | None = Field(
        default=0.90, description="Calls the PBX did not turn away (all lines busy); no published norm, 90% gives "
        "Haarlem's 10 for no busy measurement")
    successful_contact: Share | None = Field(
        default=0.90, description="Telan's 'geslaagde contactpogingen'; no published norm, 90% gives Haarlem's "
        "grade 5 for its 77%")
    repeat_calls: Share | None = Field(
        default=None, description="Calls from a number that called in the 7 days before; no norm: shown without a grade")
    first_contact_resolution: Share | None = Field(
        default=None, description="Answered calls the agent wrapped up as helped at once; no published norm (Bloemendaal's "
        "design aims at 50%): shown without a grade")


class GradeBands(Strict):
    share: list[Band] = Field(default=list(SHARE_BANDS), min_length=1,
                              description="[lowest result/norm, grade] for shares, highest first, ending at 0")
    time: list[Band] = Field(default=list(TIME_BANDS), min_length=1,
                             description="[lowest norm/result, grade] for times, highest first, ending at 0")

    @field_validator("share", "time")
    @classmethod
    def _descending(cls, bands: list[tuple[float, int]]) -> list[tuple[float, int]]:
        ratios = [ratio for ratio, _ in bands]
        if ratios != sorted(ratios, reverse=True) or ratios[-1] != 0:
            raise ValueError("list the bands from the highest ratio down, ending with a band at 0")
        return bands


Email = Annotated[str, StringConstraints(pattern=r"^[^@\s,;<>]+@[^@\s,;<>]+$")]


class ReportMail(Strict):
    """Reports by e-mail, sent by `bereik run` (over console.smtp_host)."""

    monthly_to: list[Email] = Field(default=[], description="Who gets the monthly report (HTML, CSV) on the 1st")
    team_leads: dict[Identifier, Email] = Field(
        default={}, description="department id -> its team lead: every Monday the team's failed attempts of the "
        "week before, by person")
    console_url: str = Field(default="", max_length=200, description="The console's address, linked in the mails")
    send_hour: int = Field(default=7, ge=0, le=23, description="Local hour at which the mails go out")


class Reports(Strict):
    answer_seconds: int = Field(
        default=30, ge=1, le=600,
        description="The answer norm in seconds (Telan 2018: 30 s; Haarlem measured 60 s, VNG advises 25 s)")
    callback_working_days: int = Field(default=2, ge=1, le=10, description="A call-back is on time within this")
    norms: Norms = Field(default=Norms(), description="The norm of each reported parameter")
    grade_bands: GradeBands = Field(default=GradeBands(), description="How a result against its norm becomes "
                                    "a school grade (rapportcijfer) 1-10")
    mail: ReportMail = Field(default=ReportMail(), description="Reports by e-mail: the monthly report, and each "
                             "team lead's failed attempts of the week")


class Overflow(Strict):
    """When the overflow position joins the front office's queue; two thresholds each way, so it does not flap."""

    on_callers: int = Field(default=4, ge=1, le=200, description="Callers waiting at which the position joins")
    on_wait_seconds: int = Field(
        default=240, ge=10, le=3600, description="Or the expected wait (seconds) at which the position joins")
    off_callers: int = Field(default=1, ge=0, le=200, description="At or below this many callers it may leave")
    off_wait_seconds: int = Field(
        default=60, ge=0, le=3600, description="And at or below this expected wait (seconds)")
    min_minutes_on: float = Field(
        default=5, ge=0, le=120, description="Once joined, the position stays at least this long")


class Waiting(Strict):
    """What a caller waiting for the front office hears, and how the queue widens."""

    first_after_rings: int = Field(default=4, ge=1, le=60, description="Dutch rings (5 s each) before the first message")
    repeat_every_rings: int = Field(default=4, ge=1, le=60, description="Rings between messages")
    mode: Literal["wait", "position", "both"] = Field(
        default="both", description="Say the expected wait, the callers ahead, or both (uncertain: position only)")
    online_hint: str = Field(default="", max_length=300, description="Added to every message when not empty")
    texts: dict[str, SpokenText] = Field(
        default={}, description="Overrides of the message parts (bereik.ivr.wait_message.WaitTexts)")
    topic_fallback_seconds: int = Field(
        default=60, ge=0, le=3600,
        description="A caller with a topic is offered to the agents trained for it, after this to every front-office agent")
    overflow: Overflow = Overflow()
    wrapup_seconds: int = Field(
        default=0, ge=0, le=600, description="Wrap-up after each call, counted in the handling time of the wait estimate")
    callback_key: DtmfKey | None = Field(
        default="9", description="Key for a call-back at the calling number that keeps the caller's place in the "
        "queue; it acts only once offered, and only after a second key confirms the number; null: none")
    callback_offer_wait_seconds: int | None = Field(
        default=180, ge=0, le=7200, description="The call-back is offered in the waiting message once the caller's "
        "expected wait reaches this many seconds; null: not because of the wait")
    callback_offer_callers_ahead: int | None = Field(
        default=3, ge=0, le=500, description="Or once this many callers are ahead of the caller; null: not because "
        "of callers ahead")
    callback_confirm_key: DtmfKey = Field(
        default="1", description="The second key: it confirms the number read back, and only then does the caller "
        "leave the queue (a stray key costs nobody their place)")
    callback_confirm_seconds: int = Field(
        default=10, ge=3, le=60, description="Seconds after the number was read back to press the confirm key; "
        "after that the caller simply waits on")
    callback_offer: SpokenText = Field(
        default="U kunt ook teruggebeld worden; u houdt dan uw plaats in de rij. Toets daarvoor de {key}.",
        description="Added to a waiting message once the call-back is offered; {key} is callback_key")
    callback_read_back: SpokenText = Field(
        default="Wij bellen u terug op het nummer {number}, zodra u aan de beurt bent. "
        "Toets de {key} om dit te bevestigen.",
        description="Said after the call-back key; {number} is read out digit by digit, {key} is callback_confirm_key")
    callback_confirmed: SpokenText = Field(
        default="Dank u wel. U houdt uw plaats, en wij bellen u terug zodra u aan de beurt bent. U kunt nu ophangen.",
        description="Said after the confirm key, as the caller leaves the queue")
    callback_no_number: SpokenText = Field(
        default="Wij zien uw nummer niet, dus wij kunnen u niet terugbellen. U blijft in de wachtrij.",
        description="Said after the call-back key when the caller's number is hidden")
    callback_already_planned: SpokenText = Field(
        default="Wij bellen u al terug op dit nummer, zodra u aan de beurt bent.",
        description="Said after the welcome to a caller whose call-back is still planned; that call is not offered "
        "a second one")
    callback_after_hours: bool = Field(
        default=True, description="Outside opening hours, offer after the closing message a call-back on the next "
        "working day (with callback_key and callback_confirm_key as in the queue)")
    callback_after_hours_offer: SpokenText = Field(
        default="Wilt u op de eerstvolgende werkdag teruggebeld worden? Toets dan de {key}.",
        description="Said after the closing message; {key} is callback_key")
    callback_after_hours_confirmed: SpokenText = Field(
        default="Dank u wel. Wij bellen u {next_opening} terug. Tot ziens.",
        description="Said after the confirm key outside opening hours; {next_opening} says when the office opens")
    callback_ring_seconds: int = Field(
        default=30, ge=10, le=120, description="How long the caller's phone rings when bereik calls back")
    callback_store: str = Field(
        default="/var/lib/bereik/callbacks.sqlite3",
        description="Where bereik 0.2.0 kept call-back notes; bereik run imports that file into records.store once "
        "and renames it *.imported (the notes now live beside the call records)")
    max_wait_seconds: int = Field(
        default=600, ge=5, le=7200,
        description="Nobody rings on forever: after this long in the TIC queue (counted from the first entry) "
        "the caller hears max_wait_message instead (the call-back was offered while it waited)")
    max_wait_message: SpokenText = Field(
        default="Het lukt ons nu niet om u snel te helpen. Veel zaken regelt u ook online, op {website}.",
        description="What the caller hears at the maximum wait, what to do next; then the call ends")

    @field_validator("texts")
    @classmethod
    def _known_texts(cls, texts: dict[str, str]) -> dict[str, str]:
        wait_texts("nl", texts)  # raises with every unknown key or placeholder
        return texts

    @field_validator("callback_offer", "callback_read_back", "callback_confirmed", "callback_no_number",
                     "callback_already_planned", "callback_after_hours_offer", "callback_after_hours_confirmed")
    @classmethod
    def _callback_placeholders(cls, text: str, info: ValidationInfo) -> str:
        allowed = CALLBACK_PLACEHOLDERS.get(info.field_name, set())
        try:
            used = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
        except ValueError as error:
            raise ValueError(f"{error}; write {{ and }} only around a placeholder") from None
        if used - allowed:
            names = ", ".join("{" + name + "}" for name in sorted(allowed)) or "none"
            raise ValueError(f"unknown placeholder {{{sorted(used - allowed)[0]}}}; placeholders here: {names}")
        return text


CALLBACK_PLACEHOLDERS = {"callback_offer": {"key"}, "callback_read_back": {"number", "key"},
                         "callback_after_hours_offer": {"key"}, "callback_after_hours_confirmed": {"next_opening"}}


class IvrAppointments(Strict):
    """A caller who asks for a call-back (the queue's key, or after hours) is first offered the first free times
    in the calendars of a department's people (Outlook, through presence.graph), the ordinary call-back as the
    last key. Without a free time, or with Graph unreachable, the caller simply gets the ordinary call-back."""

    department: Identifier | None = Field(
        default=None, description="The department whose people's calendars give the times for a request whose "
        "topic is not under topics (after hours the caller has chosen no topic yet); null: none")
    topics: dict[Identifier, Identifier] = Field(
        default={}, description="topic -> department: a waiting caller with this topic is offered that "
        "department's times")
    slots: int = Field(default=2, ge=1, le=2, description="How many times are offered; the next key is the "
                       "ordinary call-back")
    minutes: int = Field(default=15, ge=5, le=120, description="The length of an appointment in the calendar")
    within_working_days: int = Field(default=5, ge=1, le=20, description="How far ahead times are offered")
    wait_for_key: float = Field(default=8, gt=0, le=30, description="Seconds to choose; no key: the ordinary "
                                "call-back")
    lookup_seconds: float = Field(default=3, gt=0, le=10, description="How long the caller may wait for the "
                                  "calendars; slower: the ordinary call-back")


class Callbacks(Strict):
    """Call-back notes: when a call-back closes one, when its owner may close it as not reached, reminders."""

    answered_seconds: int = Field(
        default=10, ge=1, le=600, description="A call-back the caller answered closes its note by itself once it "
        "lasted longer than this many seconds (shorter: a voicemail, a wrong number)")
    not_reached_attempts: int = Field(
        default=2, ge=1, le=10, description="Unanswered call-backs before the owner may close a note as "
        "'niet bereikt'")
    attempts_apart_minutes: int = Field(
        default=60, ge=0, le=1440, description="Those attempts count only this many minutes apart (call-back "
        "norms: at different times of the day)")
    owner_ring_seconds: int = Field(
        default=20, ge=5, le=120, description="How long the owner's own phone rings when they call back from a note")
    remind_before_hours: float = Field(
        default=4, ge=0, le=48, description="The owner is reminded (console and mail) this many working hours "
        "before the deadline; 0: no reminder")
    close_reasons: list[Annotated[str, StringConstraints(min_length=1, max_length=80)]] = Field(
        default=["beantwoord per e-mail", "nummer onjuist", "beantwoord in een ander gesprek",
                 "beller wil niet meer teruggebeld worden"],
        min_length=1, description="The reasons an owner may give to close a note without a call-back")
    appointments: IvrAppointments | None = Field(
        default=None, description="Offer a caller who asks for a call-back a time in a department's calendars "
        "(needs presence.graph and the people's email); null: only the ordinary call-back")


class Public(Strict):
    """The live figure for the municipality's website (open or closed, the expected wait): no login, no
    personal data, readable from any origin."""

    listen: HostPort | None = Field(default=None, description="e.g. 0.0.0.0:8070; unset: not served")


class Webhook(Strict):
    """A system of the municipality told of every call event (Standard Webhooks: signed, retried, in order)."""

    name: Identifier = Field(description="A short name, e.g. kcs; shown on the administrator's list")
    url: Annotated[str, StringConstraints(pattern=r"^https?://[^\s]+$", max_length=500)] = Field(
        description="Where the events are POSTed (https in production)")
    secret: Annotated[str, StringConstraints(pattern=r"^BEREIK_[A-Z0-9_]*SECRET$")] = Field(
        description="The name of the signing secret in the secrets file or environment, e.g. BEREIK_KCS_WEBHOOK_SECRET "
        "(whsec_<base64> as Standard Webhooks makes them, or any long random text)")
    events: list[Annotated[str, StringConstraints(pattern=r"^call\.[a-z_]+$")]] = Field(
        default=[], description="Only these event types, e.g. call.agent_answered; empty: every call event")


class Klantinteracties(Strict):
    """The municipality's contact registration through the common-ground Klantinteracties API (VNG; Open Klant)."""

    url: Annotated[str, StringConstraints(pattern=r"^https?://\S+[^/]$", max_length=500)] = Field(
        description="The API's root, e.g. https://openklant.gemeente.nl/klantinteracties/api/v1")
    token: Annotated[str, StringConstraints(pattern=r"^BEREIK_[A-Z0-9_]*SECRET$")] = Field(
        description="The name of the API token in the secrets file or environment (sent as Authorization: Token ...)")
    wrap_up_seconds: int = Field(default=300, ge=0, le=3600, description="How long an answered call waits for "
                                 "the agent's wrap-up (its topic and whether the caller was helped) before it is registered")


class Integrations(Strict):
    """The municipality's other systems: webhooks for call events and the screen-pop's link."""

    webhooks: list[Webhook] = Field(default=[], max_length=10, description="Receivers of the call events")
    outbox: str = Field(default="/var/lib/bereik/webhooks.sqlite3",
                        description="SQLite file with the events not yet delivered and the dead letters")
    screen_pop_link: Annotated[str, StringConstraints(pattern=r"^https?://\S+$", max_length=500)] | None = Field(
        default=None, description="A link on the screen-pop that opens the caller in the customer contact or case "
        "system, e.g. https://kcs.gemeente.nl/klant?telefoon={number}; {number} (the caller's number) and {call} "
        "(bereik's call id) are filled in, URL-encoded")
    klantinteracties: Klantinteracties | None = Field(
        default=None, description="Register every citizen's call as a contact (klantcontact); unset: not registered")
    max_attempts: int = Field(default=12, ge=1, le=50,
                              description="Attempts before an event goes to the dead letters (back-off doubles "
                              "from 2 s up to 10 minutes between them)")


class Wallboard(Strict):
    listen: HostPort = Field(default="127.0.0.1:8080", description="The wallboard and /metrics (loopback)")


# The TIC coordinator keeps the telephone set-up (hours, texts, menu, calamity) on the console's screen.
Role = Literal["agent", "team_lead", "coordinator", "administrator"]


class ConsoleUser(Strict):
    login: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._-]{1,64}$")] = Field(
        description="The LDAP login (uid); the password is checked by binding as the person")
    role: Role = Field(default="agent", description="agent, team_lead, coordinator or administrator")
    extension: Extension | None = Field(default=None, description="The position this agent works at")
    team: Identifier = Field(default="tic", description="Team leads see the call-backs and recordings of their team")
    may_pick: bool | None = Field(
        default=None, description="May take a caller from the waiting list in the console (default: team leads "
        "may, agents may not)")


class Console(Strict):
    """The front-office console in the browser."""

    listen: HostPort = Field(default="127.0.0.1:8090", description="Where the console listens, address:port")
    tls_certificate: str | None = Field(
        default=None, description="PEM certificate (chain) for https on the console and wallboard ports; re-read "
        "when the file changes (a renewed certificate needs no restart)")
    tls_key: str | None = Field(default=None, description="The certificate's PEM private key")
    trusted_proxies: list[Annotated[str, AfterValidator(_network)]] = Field(
        default=[], description="Reverse proxies (addresses, networks) whose X-Forwarded-For names the browser's "
        "address; anyone else's X-Forwarded-For is ignored")
    secure_cookies: bool = Field(default=True, description="Send the session cookie over https only")
    allow_clear_text: bool = Field(
        default=False, description="Only on a closed network (a test bench): let the console listen beyond loopback "
        "without https or a trusted proxy, and bind to an LDAP server on another machine over ldap:// without "
        "StartTLS. Passwords then cross that network in clear; bereik check warns")
    session_minutes: int = Field(default=600, ge=5, le=1440, description="A session ends after this")
    login_attempts_per_minute: int = Field(default=5, ge=1, le=100, description="Per login name and per address")
    ldap_url: str = Field(default="ldap://127.0.0.1:389", description="The LDAP server that checks logins")
    ldap_start_tls: bool = Field(default=False, description="Encrypt the LDAP connection with StartTLS")
    ldap_ca_file: str | None = Field(default=None, description="CA certificate(s) for ldaps:// or StartTLS; "
                                     "default: the system's")
    ldap_user_dn: str = Field(default="uid={login},ou=people,dc=example,dc=nl",
                              description="Where a login name is bound; {login} is the escaped name")
    ldap_role_groups: dict[Role, str] = Field(
        default={}, description="role -> DN of a groupOfNames: its members get that role (the higher one wins)")
    users: list[ConsoleUser] = Field(default=[], description="Who may use the console, with their role")
    transfer_ring_seconds: int = Field(default=20, ge=5, le=120,
                                       description="An unanswered colleague: back to the caller after this")
    # The notes live in waiting.callback_store, one store with the call-backs callers ask for in the queue.
    callback_working_days: int = Field(default=2, ge=1, le=10, description="Deadline of a call-back note")
    team_mailboxes: dict[Identifier, str] = Field(default={}, description="team -> e-mail address for call-backs")
    smtp_host: str = Field(default="127.0.0.1", description="The mail server for call-backs to team mailboxes")
    smtp_port: int = Field(default=25, ge=1, le=65535, description="The mail server's port")
    smtp_from: str = Field(default="bereik@localhost", description="The sender of call-back mails")
    recordings_dir: str = Field(default="/var/spool/asterisk/monitor",
                                description="Asterisk's monitor directory, as bereik sees it (in a chroot: its path)")
    recording_retention_days: int = Field(default=30, ge=1, le=365, description="Recordings are deleted after this")
    wrap_up_topics: list[Annotated[str, StringConstraints(min_length=1, max_length=60)]] = Field(
        default=[], max_length=30,
        description="What a call can be about, for the agent's wrap-up after each call (the topic, then whether "
        "the caller was helped at once); default: the menu's topics")

    def user(self, login: str) -> ConsoleUser | None:
        return next((u for u in self.users if u.login == login), None)


class Privacy(Strict):
    """Privacy by default (AVG): how long personal data is kept, and what callers are told.

    Call records (records.retention_days) and recordings (console.recording_retention_days) keep
    their own keys; one retention job in `bereik run` enforces every period, hourly and at start-up.
    """

    pseudonymise_after_days: int | None = Field(
        default=30, ge=7, le=3650,
        description="Caller numbers in call records older than this are replaced by a keyed hash "
        "(BEREIK_PSEUDONYM_SECRET): repeat callers still count as one caller, the number cannot be read "
        "back; at least 7, the console's repeat-caller hint looks back a week; null: numbers are kept "
        "until the record is deleted")
    callback_note_retention_days: int = Field(
        default=90, ge=7, le=3650,
        description="Call-back notes are deleted this long after they were handled, or after their "
        "deadline when never handled")
    audit_retention_days: int = Field(
        default=730, ge=30, le=3650, description="Entries of the audit log of administrative acts are deleted after this")
    forwarding_retention_days: int = Field(
        default=30, ge=1, le=3650, description="An absence forward that has ended is deleted after this")
    recording_announcement: bool = Field(
        default=False,
        description="Tell every caller, before the menu, that calls may be recorded (texts.recording_notice "
        "overrides the sentence); on when agents record calls for coaching")


class PresenceLdap(Strict):
    """The staff directory the console searches, read from LDAP (OpenLDAP or Active Directory)."""

    url: Annotated[str, StringConstraints(pattern=r"^ldaps?://[^/\s]+/?$")] = Field(
        description="ldap://host:389 (with start_tls) or ldaps://host:636")
    base_dn: str = Field(min_length=1, description="Where the people are, e.g. ou=people,dc=bloemendaal,dc=nl")
    bind_dn: str = Field(
        default="", description="Who bereik binds as; its password is BEREIK_LDAP_SECRET (environment or "
        "secrets file), never the YAML. Empty: an anonymous bind")
    filter: str = Field(default="(objectClass=inetOrgPerson)", pattern=r"^\(.*\)$",
                        description="Which entries are people, an LDAP filter in parentheses")
    attributes: Literal["openldap", "active_directory"] = Field(
        default="openldap", description="Which attributes hold name, extension, mail, ... (bereik.presence.directory)")
    start_tls: bool = Field(default=False, description="Encrypt an ldap:// connection with StartTLS")
    ca_file: str | None = Field(default=None, description="CA certificate(s) for ldaps:// or StartTLS; default: "
                                "the system's")
    allow_clear_text: bool = Field(
        default=False, description="Only on a closed network: bind with bereik's password over ldap:// without "
        "StartTLS to a server on another machine (refused otherwise); bereik check warns")
    page_size: int = Field(default=500, ge=10, le=5000, description="Entries per page of the paged search")
    refresh_seconds: int = Field(default=300, ge=30, le=86400, description="How often changes are read")

    @field_validator("start_tls")
    @classmethod
    def _one_kind_of_tls(cls, start_tls: bool, info: ValidationInfo) -> bool:
        if start_tls and info.data.get("url", "").lower().startswith("ldaps://"):
            raise ValueError("ldaps:// is encrypted from the start; set start_tls: false, or use ldap:// with it")
        return start_tls


class PresenceGraph(Strict):
    """Outlook's calendars and automatic replies through Microsoft Graph (an app registration with
    application permissions Calendars.Read and MailboxSettings.Read)."""

    tenant: str = Field(min_length=1, description="The Entra ID tenant (its id or domain)")
    client_id: str = Field(min_length=1, description="The app registration's id; its client secret is "
                           "BEREIK_GRAPH_SECRET (environment or secrets file), never the YAML")
    schedule_mailbox: Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+$")] = Field(
        description="The (service) mailbox whose calendar/getSchedule is asked for everyone's free/busy")
    authority_url: Annotated[str, StringConstraints(pattern=r"^https?://\S+$")] = Field(
        default="https://login.microsoftonline.com", description="Where bereik gets its Graph token")
    graph_url: Annotated[str, StringConstraints(pattern=r"^https?://\S+$")] = Field(
        default="https://graph.microsoft.com/v1.0", description="Microsoft Graph's address")


class Presence(Strict):
    """The console's directory with live presence: phone state from AMI, absences, optionally Outlook."""

    ldap: PresenceLdap | None = Field(
        default=None, description="Without it the directory is the YAML's own people and agents")
    graph: PresenceGraph | None = None
    absences_store: str = Field(
        default="/var/lib/bereik/absences.sqlite3", description="SQLite file with the absences team leads register")
    device_template: str = Field(
        default="PJSIP/{extension}", description="A person's Asterisk device, from the extension in the directory")

    @field_validator("device_template")
    @classmethod
    def _one_placeholder(cls, template: str) -> str:
        rest = template.replace("{extension}", "")
        if "{extension}" not in template or "{" in rest or "}" in rest:
            raise ValueError(f"'{template}' must name the device with {{extension}} and nothing else in braces, "
                             "e.g. PJSIP/{extension}")
        return template


def _text(description: str) -> object:
    return Annotated[SpokenText, Field(description=description)]


class Texts(TypedDict, total=False):
    """Every text bereik speaks, by its name; placeholders {municipality}, {website} and, where said, others."""

    __pydantic_config__ = ConfigDict(extra="forbid", strict=True)  # type: ignore[misc]

    welcome: _text("Said first to every caller of this municipality (optional), e.g. "
                   "\"Welkom bij de gemeente {municipality}.\"")
    municipality_choice: _text("On a shared 14xxx number: which municipality, and its key (needed with "
                               "shared_number)")
    menu_intro: _text("Said before the menu options (needed with a menu)")
    invalid_choice: _text("Said after a key that is no option (needed with a menu or a shared number)")
    closed: Required[_text("Outside opening hours, on public holidays and closing days; {next_opening} says when the "
                  "office opens again")]
    not_reachable: _text("A colleague called directly does not answer; {name} is the colleague or department "
                         "(default: a Dutch sentence)")
    camp_on_offer: _text("A colleague called directly is on the phone: the offer to wait behind the call; "
                         "{name}")
    camp_on_waiting: _text("Repeated while a caller waits behind a colleague's call; {name}")
    absent_until: _text("A colleague called directly is absent: {name} and until when, {until} (default: "
                        "\"{name} is afwezig tot {until}.\")")
    absent: _text("A colleague called directly is absent until further notice; {name}")
    to_substitute: _text("Said after the absence: the call goes to the substitute, {substitute}")
    to_front_office: _text("Said after the absence: no substitute can take the call, it goes to the front office")
    recording_notice: _text("Said before the menu when privacy.recording_announcement is on "
                            "(default: a Dutch sentence)")


TEXT_NAMES = tuple(Texts.__annotations__)
# Texts needed by the part of the YAML that makes callers hear them ("closed" always is).
# "welcome" is optional: without it the caller hears the menu (or the queue) at once.
MENU_TEXTS = ("menu_intro", "invalid_choice")
SHARED_NUMBER_TEXTS = ("municipality_choice", "invalid_choice")


def _not_a_bool(value: object) -> object:
    if isinstance(value, bool):  # True == 1 in Python, not in YAML or the schema
        raise ValueError(f"'{str(value).lower()}' is not a version; write 1")
    return value


def _texts_needed_with(part: str, texts: tuple[str, ...]) -> dict:
    return {"if": {"required": [part], "properties": {part: {"type": "object"}}},
            "then": {"properties": {"texts": {"required": list(texts)}}}}


class Config(Strict):
    """One municipality's telephone front office."""

    # What the model's cross-checks ask of texts (checks._texts), said in the schema as well.
    model_config = ConfigDict(json_schema_extra={"allOf": [
        _texts_needed_with("menu", MENU_TEXTS), _texts_needed_with("shared_number", SHARED_NUMBER_TEXTS)]})

    version: Annotated[Literal[1], BeforeValidator(_not_a_bool)] = Field(
        default=1, description="The version of this file's format; 1")
    municipality: PlaceName = Field(description="The municipality's name, said in {municipality} and the records")
    language: Literal["nl", "en"] = Field(default="nl", description="What callers hear: nl (Dutch) or en")
    timezone: str = Field(default="Europe/Amsterdam", description="The time zone of the opening hours (IANA name)")
    website: str = Field(default="", description="Said in {website}, e.g. www.gemeente.nl")
    number: Annotated[str, StringConstraints(pattern=r"^14[0-9]{3,4}$")] = Field(
        description="The municipality's 14 number, between quotes: \"14023\"")
    general_numbers: list[PhoneNumber] = Field(
        default=[], description="Other numbers callers dial for the municipality as a whole (e.g. \"0355281911\"): "
        "the same welcome, menu and front office as the 14 number, without the choice of a shared 14 number")
    shared_number: SharedNumber | None = Field(
        default=None, description="When the 14 number is shared: the caller first picks a municipality")
    hours: WeekHours = Field(description="Opening hours per weekday; public holidays and closing days are under "
                             "holidays")
    holidays: Holidays = Field(default=Holidays(), description="Public holidays and extra closing days")
    texts: Texts = Field(description="What callers hear, by name (welcome, menu_intro, closed, ...)")
    menu: Menu | None = Field(
        default=None, description="The menu of at most 5 options; without it every caller goes to the front office")
    front_office: Identifier = Field(default="tic", description="The id of the front office's queue")
    queues: list[Queue] = Field(min_length=1, description="The queues, the front office's among them")
    agents: list[Agent] = Field(default=[], description="The front-office agents and their topics")
    people: list[Person] = Field(default=[], description="Back-office colleagues who can be called directly")
    departments: list[Department] = Field(default=[], description="Back-office departments and their numbers")
    back_office: BackOffice = Field(default=BackOffice(), description="Direct calls to the back office")
    pbx: Pbx = Field(default=Pbx(), description="Where Asterisk and bereik listen")
    outbound: Outbound = Field(default=Outbound(), description="The class of service: which numbers calls may "
                               "reach through the trunk")
    records: Records = Field(default=Records(), description="Where call records are kept, and how long")
    reports: Reports = Field(default=Reports(), description="Norms and grades of the monthly reports")
    wallboard: Wallboard = Field(default=Wallboard(), description="The real-time wallboard")
    public: Public = Field(default=Public(), description="The live figure for the municipality's website")
    console: Console = Field(default=Console(), description="The front-office console in the browser")
    waiting: Waiting = Field(default=Waiting(), description="What callers waiting for the front office hear")
    callbacks: Callbacks = Field(default=Callbacks(), description="Call-back notes: closing by the call, "
                                 "reminders and escalation")
    privacy: Privacy = Field(default=Privacy(), description="Retention periods and the recording notice (AVG)")
    presence: Presence = Field(
        default=Presence(), description="The directory with live presence in the console (when console.users is set)")
    integrations: Integrations = Field(default=Integrations(),
                                       description="Webhooks and links to the municipality's other systems")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"'{name}' is not a time zone; use an IANA name such as Europe/Amsterdam") from None
        return name

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def entry_numbers(self) -> tuple[str, ...]:
        """Every number that reaches the front office: the 14 number and the general numbers."""
        return (self.number, *self.general_numbers)

    def queue(self, queue_id: str) -> Queue:
        return next(q for q in self.queues if q.id == queue_id)

    def text(self, key: str) -> str:
        return self.texts[key]

    def for_server(self, name: str | None) -> Config:
        """The configuration as one of pbx.servers sees it: its own addresses, the other servers' bereiks
        as FastAGI fall-back. Without pbx.servers there is one server and no name."""
        servers = {server.name: server for server in self.pbx.servers}
        if not servers and name is None:
            return self
        if name not in servers:
            known = ", ".join(servers) or "none: pbx.servers is empty"
            raise ValueError(f"no server {name!r} in pbx.servers (known: {known})")
        this = servers[name]
        others = [server.agi for server in self.pbx.servers if server.name != name]
        pbx = self.pbx.model_copy(update={"server": name, "sip_bind": this.sip_bind, "agi": this.agi, "ami": this.ami,
                                          "agi_fallback": [*others, *self.pbx.agi_fallback],
                                          "call_files": this.call_files or self.pbx.call_files})
        records = self.records.model_copy(update={"asterisk_cel": this.asterisk_cel}) if this.asterisk_cel else self.records
        return self.model_copy(update={"pbx": pbx, "records": records})

    def agi_allowed(self) -> list[str]:
        """Who may hand this bereik calls over FastAGI: pbx.agi_allow, else this machine and every Asterisk of the
        configuration (each server's, whose dialplan falls over to this bereik when its own is gone) at its SIP
        and AMI addresses (an Asterisk sends from one of them)."""
        if self.pbx.agi_allow is not None:
            return list(self.pbx.agi_allow)
        addresses = [self.pbx.sip_bind, self.pbx.ami, *(a for s in self.pbx.servers for a in (s.sip_bind, s.ami))]
        hosts = {a.rsplit(":", 1)[0] for a in addresses} - {"0.0.0.0", "::", "[::]"}
        return ["127.0.0.0/8", *sorted(f"{host}/32" for host in hosts if not host.startswith("127."))]

    def peers(self) -> list[Server]:
        """The other servers, whose calls this bereik also follows (wallboard, stand-by recording)."""
        return [server for server in self.pbx.servers if server.name != self.pbx.server]

    def person(self, extension: str) -> Person | None:
        return next((p for p in self.people if p.extension == extension), None)

    def department_of(self, extension: str) -> Department | None:
        return next((d for d in self.departments if extension in d.members), None)
