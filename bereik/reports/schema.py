"""What a reachability report asks and answers, declared once for the CLI, HTTP and the tests.

The parameters follow Telan's measurements (../shared/brief.md): the front office
on speed of answer, departments and persons on reachability, transfers and call-backs.
"""
from __future__ import annotations

import calendar
import datetime as dt
import re
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, model_validator

Kind = Literal["share", "seconds"]
Section = Literal["front", "back"]


class Parameter(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    section: Section
    kind: Kind
    nl: str  # "{front}": the front office's name from the YAML (its queue's name)
    en: str
    how_nl: str  # how the figure is counted, shown in the report
    how_en: str
    lower_is_better: bool = False  # abandoned, repeat calls: a share that should be small
    grouped: bool = False  # counted per department and per person too


PARAMETERS: tuple[Parameter, ...] = (
    Parameter(id="answered_within_20s", section="front", kind="share",
              nl="Binnen 20 seconden opgenomen", en="Answered within 20 seconds",
              how_nl="Deel van de bellers in de wachtrij dat binnen 20 s een medewerker sprak; "
                     "wie ophing telt als niet opgenomen.",
              how_en="Share of queued callers who spoke to an agent within 20 s; a caller who hung up counts as not answered."),
    Parameter(id="answered_within_norm", section="front", kind="share",
              nl="Binnen de norm opgenomen", en="Answered within the norm",
              how_nl="Als hierboven, binnen de ingestelde norm (reports.answer_seconds).",
              how_en="As above, within the configured norm (reports.answer_seconds)."),
    Parameter(id="average_speed_of_answer", section="front", kind="seconds",
              nl="Gemiddelde wachttijd tot opnemen", en="Average speed of answer",
              how_nl="Gemiddelde wachttijd in de wachtrij van de opgenomen gesprekken.",
              how_en="Average wait in the queue of the answered calls."),
    Parameter(id="abandoned", section="front", kind="share",
              nl="Opgehangen in de wachtrij", en="Abandoned in the queue",
              how_nl="Deel van de bellers in de wachtrij dat ophing voordat een medewerker opnam.",
              how_en="Share of queued callers who hung up before an agent answered.", lower_is_better=True),
    Parameter(id="first_contact_resolution", section="front", kind="share",
              nl="Direct geholpen (eerste contact)", en="First-contact resolution",
              how_nl="Deel van de door {front} opgenomen en afgeronde gesprekken waarin de medewerker de beller "
                     "direct kon helpen, zoals de medewerker het na het gesprek aangaf.",
              how_en="Share of the calls {front} answered and wrapped up in which the agent could help the caller "
                     "at once, as the agent recorded after the call."),
    Parameter(id="technical_reachability", section="front", kind="share",
              nl="Technische bereikbaarheid", en="Technical reachability",
              how_nl="Deel van de gesprekken van buiten dat de telefooncentrale niet weigerde (alle lijnen bezet, "
                     "overbelast), volgens de ophangcode van Asterisk.",
              how_en="Share of calls from outside the PBX did not turn away (all lines busy, congestion), by "
                     "Asterisk's hang-up cause.", grouped=True),
    Parameter(id="direct_reachability", section="back", kind="share",
              nl="Directe bereikbaarheid", en="Direct reachability",
              how_nl="Deel van de rechtstreekse gesprekken naar een persoon of afdeling dat daar werd opgenomen.",
              how_en="Share of calls dialled directly to a person or department that were answered there.",
              grouped=True),
    Parameter(id="fallback_share", section="back", kind="share",
              nl="Terugval naar {front}", en="Fallback to {front}",
              how_nl="Deel van de rechtstreekse gesprekken dat onbeantwoord terugviel naar de wachtrij van {front}.",
              how_en="Share of direct calls that fell back, unanswered, to the queue of {front}.",
              lower_is_better=True, grouped=True),
    Parameter(id="indirect_reachability", section="back", kind="share",
              nl="Indirecte bereikbaarheid", en="Indirect reachability",
              how_nl="Deel van de doorverbindingen vanuit {front} dat door de collega werd opgenomen "
                     "(elke doorverbinding telt, ook een tweede bij hetzelfde gesprek).",
              how_en="Share of transfers from {front} that the colleague answered (every transfer counts, a "
                     "second one in the same call too).", grouped=True),
    Parameter(id="transfer_seconds", section="back", kind="seconds",
              nl="Doorverbindtijd", en="Transfer time",
              how_nl="Gemiddelde tijd van opnemen door {front} (of van de vorige poging) tot het begin van het "
                     "doorverbinden (zoektijd).",
              how_en="Average time from {front} answering (or the previous try) until the transfer started "
                     "(search time).", grouped=True),
    Parameter(id="wait_after_transfer_seconds", section="back", kind="seconds",
              nl="Wachttijd na doorverbinden", en="Wait after transfer",
              how_nl="Gemiddelde tijd van het begin van het doorverbinden tot de collega opnam of het opgaf.",
              how_en="Average time from the start of the transfer until the colleague answered or it was given up.",
              grouped=True),
    Parameter(id="callbacks_on_time", section="back", kind="share",
              nl="Op tijd teruggebeld", en="Called back on time",
              how_nl="Deel van de terugbelverzoeken dat binnen de afgesproken termijn werd nagekomen.",
              how_en="Share of call-back requests kept within the agreed term.", grouped=True),
    Parameter(id="successful_contact", section="back", kind="share",
              nl="Geslaagde contactpogingen", en="Successful contact",
              how_nl="Deel van de gesprekken voor een collega (rechtstreeks of doorverbonden) waarin de beller de "
                     "juiste persoon of afdeling sprak: direct, via {front}, of doordat op tijd werd teruggebeld; "
                     "ook wanneer {front} een teruggevallen gesprek zelf afhandelde (Telans 'correct initiatief').",
              how_en="Share of calls for a colleague (direct or transferred) in which the caller reached the right "
                     "person or department: directly, via {front}, or by a call-back on time; also when {front} "
                     "handled a fallen-back call itself (Telan's 'correct initiative').", grouped=True),
    Parameter(id="repeat_calls", section="back", kind="share",
              nl="Herhaalde gesprekken (7 dagen)", en="Repeat calls (7 days)",
              how_nl="Deel van de gesprekken van een nummer dat in de 7 dagen ervoor al belde.",
              how_en="Share of calls from a number that had called in the 7 days before.",
              lower_is_better=True, grouped=True),
)

WEEKDAYS_NL = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")
WEEKDAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class ReportRequest(BaseModel):
    """A period of whole days, local time: `month` (2026-10) or `start` and `end` (inclusive)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    start: dt.date
    end: dt.date = Field(description="The last day of the period, inclusive")

    @model_validator(mode="after")
    def _ordered(self) -> ReportRequest:
        if self.end < self.start:
            raise ValueError(f"the period ends ({self.end}) before it starts ({self.start})")
        # bounds() needs the midnights around the period, in any time zone.
        if self.start <= dt.date.min or self.end >= dt.date.max:
            raise ValueError("a period between 0001-01-02 and 9999-12-30 is needed")
        return self

    @classmethod
    def month(cls, text: str) -> ReportRequest:
        match = re.fullmatch(r"(\d{4})-(\d{2})", text)
        if not match or not 1 <= int(match.group(2)) <= 12:
            raise ValueError(f"'{text}' is not a month; write it as YYYY-MM, e.g. 2026-10")
        year, month = int(match.group(1)), int(match.group(2))
        return cls(start=dt.date(year, month, 1), end=dt.date(year, month, calendar.monthrange(year, month)[1]))

    def months_before(self, count: int) -> list[ReportRequest]:
        """The `count` calendar months before this period's first month, oldest first."""
        found = []
        year, month = self.start.year, self.start.month
        for _ in range(count):
            year, month = (year - 1, 12) if month == 1 else (year, month - 1)
            found.append(ReportRequest.month(f"{year:04d}-{month:02d}"))
        return found[::-1]

    @property
    def label(self) -> str:
        if self.start.day == 1 and (self.end + dt.timedelta(days=1)).day == 1 and self.start.month == self.end.month:
            return self.start.strftime("%Y-%m")
        return f"{self.start.isoformat()}_{self.end.isoformat()}"

    def bounds(self, zone: ZoneInfo) -> tuple[float, float]:
        """Epoch seconds of local midnight at the start and after the end (DST-safe)."""
        begin = dt.datetime.combine(self.start, dt.time(), zone)
        after = dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time(), zone)
        return begin.timestamp(), after.timestamp()


class Figure(BaseModel):
    id: str
    section: Section
    kind: Kind
    label: str
    value: float | None = Field(description="None: geen gegevens (no call in the period had the data)")
    count: int = Field(description="How many calls, transfers or call-backs the figure is counted over")
    norm: float | None
    grade: int | None


class Bucket(BaseModel):
    """The front office in one hour of the day, one weekday, or one queue."""

    key: str
    offered: int
    answered: int
    within_20s: int
    within_norm: int
    abandoned: int
    average_speed_of_answer: float | None


class AgentFigures(BaseModel):
    agent: str
    answered: int
    within_20s: int
    average_speed_of_answer: float | None
    average_talk_seconds: float | None
    transfers: int
    average_transfer_seconds: float | None


class TargetFigures(BaseModel):
    """Direct calls to one person or department (the number dialled)."""

    target: str
    name: str
    calls: int
    direct_reachability: float | None
    fallback_share: float | None


class GroupFigures(BaseModel):
    """A department or a person: Telan's department parameters, graded, over the calls meant for them."""

    id: str  # the department's id, or the person's extension
    name: str
    department: str = Field(default="", description="A person's department (its name)")
    attempts: int = Field(description="Direct calls and transfers to them")
    figures: list[Figure]


class OptionFigures(BaseModel):
    """One menu option: how often callers chose it and how they fared in the queue."""

    key: str
    topic: str
    chosen: int
    share: float | None = Field(description="Of the calls that reached the menu and chose or were routed")
    organisation: str = Field(default="", description="The outside organisation the option puts callers through "
                              "to; the queue's figures are then of the callers who came back (not answered, busy)")
    put_through: int = Field(default=0, description="Callers put through to the outside organisation who did not "
                             "come back to the front office")
    answered: int
    within_20s: int
    abandoned: int
    average_speed_of_answer: float | None


class NumberFigures(BaseModel):
    """Calls by the number dialled: the 14xxx number, a direct number, a department number."""

    number: str
    name: str
    calls: int
    refused: int = Field(description="Turned away by the PBX (all lines busy)")
    reached: int = Field(description="Answered by the person dialled or by an agent")
    fell_back: int
    hung_up_in_menu: int


class ContactCounts(BaseModel):
    """How the calls for a colleague ended (bereik.reports.contact)."""

    direct: int = 0
    via_front_office: int = 0
    called_back: int = 0
    front_office: int = 0
    failed: int = 0
    pending: int = 0


class TrendMonth(BaseModel):
    start: dt.date
    end: dt.date
    calls: int
    values: dict[str, float | None]
    grades: dict[str, int | None]


class MenuStage(BaseModel):
    """Callers who hung up at one question of the menu, before bereik knew where they wanted to go."""

    stage: str  # "municipality" (which municipality, on a shared number) or "menu" (which topic)
    hung_up: int
    share: float | None = Field(description="Of the calls on the municipality's number")


class HourReach(BaseModel):
    """Direct calls to one colleague in one hour of the day, by how they went (bereik.reports.reachability)."""

    hour: int
    calls: int = 0
    reached: int = 0  # answered by the colleague, at the desk or on the mobile
    covered: int = 0  # an absence, forward or do-not-disturb was set: the substitute or the front office took it
    busy: int = 0  # the colleague was on the phone
    unannounced: int = 0  # not answered, nothing set: "niet bereikbaar zonder afmelding"
    gave_up: int = 0  # the caller hung up while it rang

    @property
    def expected(self) -> int:
        """Calls the colleague could have answered: those nothing else was arranged for."""
        return self.calls - self.covered


class PersonReach(BaseModel):
    """When a colleague was reachable, by hour of the day, and what a team lead should hear about it."""

    person: str  # extension
    name: str
    department: str = ""
    total: HourReach
    hours: list[HourReach] = Field(description="The hours of the day in which the colleague was called")
    signal: str = Field(default="", description="In people's words, e.g. 'in de middag niet bereikbaar'; "
                        "empty when there is nothing to say")


class Report(BaseModel):
    municipality: str
    front_office: str = Field(default="", description="The front office's name, from the YAML (its queue's name)")
    server: str | None = Field(default=None, description="One of pbx.servers only; None: every server's calls")
    language: Literal["nl", "en"]
    start: dt.date
    end: dt.date
    answer_seconds: int
    calls: int = Field(description="Calls from outside; colleagues' calls from desk phones are not counted")
    inside_calls: int = Field(default=0, description="Colleagues' calls from desk phones, left out of every figure")
    cut_off_calls: int = Field(default=0, description=(
        "Calls from outside cut off because the PBX node carrying them was lost: counted, never as a caller "
        "who gave up"))
    figures: list[Figure]
    average_grade: float | None
    by_hour: list[Bucket]
    by_weekday: list[Bucket]
    by_agent: list[AgentFigures]
    by_target: list[TargetFigures]
    menu_stages: list[MenuStage] = []
    by_department: list[GroupFigures] = []
    by_person: list[GroupFigures] = []
    by_option: list[OptionFigures] = []
    by_number: list[NumberFigures] = []
    contact: ContactCounts = ContactCounts()
    reachability: list[PersonReach] = Field(default=[], description="Per colleague, by hour of the day")
    trend: list[TrendMonth] = Field(default=[], description="The three months before, oldest first")
    grade_bands: dict[Kind, list[tuple[float, int]]]
