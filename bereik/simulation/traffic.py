"""A traffic profile: who calls when, what they want, and how the back office answers.

Validated like the municipality's YAML (pydantic; every problem with its line and
column through the same loader). Every figure here is an input of the what-if, so
every figure has a description that says what it means and where a default comes from.
"""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bereik.config.load import ConfigError, Problem, parse_model
from bereik.config.model import WEEKDAYS

Share = Annotated[float, Field(ge=0, le=1)]
Seconds = Annotated[float, Field(ge=0, le=36000)]
HOUR = re.compile(r"^([01][0-9]|2[0-3])$")
Fallback = Literal["front_office", "hunt_group", "voicemail"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=False)


class Arrivals(Strict):
    """Calls per hour, by weekday and local hour ("09" is 09:00-10:00); hours not listed have none."""

    monday: dict[str, float] = {}
    tuesday: dict[str, float] = {}
    wednesday: dict[str, float] = {}
    thursday: dict[str, float] = {}
    friday: dict[str, float] = {}
    saturday: dict[str, float] = {}
    sunday: dict[str, float] = {}
    scale: float = Field(default=1.0, gt=0, le=100, description="Multiplies every figure: +20% traffic is 1.2")

    @field_validator(*WEEKDAYS)
    @classmethod
    def _hours(cls, table: dict[str, float]) -> dict[str, float]:
        for hour, calls in table.items():
            if not HOUR.match(str(hour)):
                raise ValueError(f"'{hour}' is not an hour; write two digits 00-23, e.g. \"09\"")
            if not 0 <= calls <= 10000:
                raise ValueError(f"{calls} calls in hour {hour}: give 0 to 10000 calls per hour")
        return table

    def per_hour(self, weekday: int, hour: int) -> float:
        return getattr(self, WEEKDAYS[weekday]).get(f"{hour:02d}", 0.0) * self.scale

    def per_week(self) -> float:
        return sum(self.per_hour(day, hour) for day in range(7) for hour in range(24))


class Handling(Strict):
    talk_seconds: Seconds = Field(default=210, description="Mean talk time with a front-office agent")
    talk_cv: float = Field(default=1.0, ge=0, le=5, description="Spread of talk times (lognormal): sd / mean")
    talk_distribution: Literal["lognormal", "exponential"] = Field(
        default="lognormal", description="exponential makes the front office an M/M/N queue, for checks")
    wrapup_seconds: Seconds = Field(default=60, description="Mean wrap-up after a call (Bloemendaal plan: 60 s)")
    ivr_prompt_seconds: Seconds = Field(default=4, description="Seconds a caller listens per spoken menu text")
    key_seconds: Seconds = Field(default=2, description="Seconds until a caller who knows the key presses it")


class Availability(Strict):
    """A back-office colleague at the moment a call rings; what is left over is available."""

    in_meeting: Share = Field(default=0.15, description="In a meeting: the desk phone rings out")
    absent: Share = Field(default=0.10, description="Ill, on leave or out: the phone rings out unless forwarded")
    on_the_phone: Share = Field(default=0.15, description="Already on a call")
    not_answering: Share = Field(default=0.10, description="At the desk, but lets it ring")
    forwards_when_absent: Share = Field(default=0.0, description="Absent colleagues who set absence forwarding")
    answer_seconds: Seconds = Field(default=8, description="Mean seconds an available colleague takes to answer")
    call_remaining_seconds: Seconds = Field(default=150, description="Mean rest of the call a busy colleague is on")

    @model_validator(mode="after")
    def _at_most_everyone(self) -> Availability:
        if self.in_meeting + self.absent + self.on_the_phone + self.not_answering > 1:
            raise ValueError("in_meeting + absent + on_the_phone + not_answering add up to more than 1")
        return self


class Direct(Strict):
    share: Share = Field(default=0.25, description="Share of all calls dialled directly to a person or department")
    numbers: dict[str, float] = Field(
        default={}, description="Dialled number -> weight; empty: every direct and department number alike")


class FrontOffice(Strict):
    transfer_share: Share = Field(
        default=0.2, description="Front-office calls the agent transfers to a colleague (Bloemendaal plan: 20%)")
    search_seconds: Seconds = Field(default=30, description="Mean time from answering to starting a transfer")
    resolves_fallback: Share = Field(
        default=0.5, description="Fallen-back direct calls the agent answers without the colleague; "
        "the rest get a call-back note")


class Callbacks(Strict):
    on_time: Share = Field(default=0.85, description="Call-back notes and requests kept within the term")
    late: Share = Field(default=0.10, description="Kept, but after the term; the rest are never kept")


    @model_validator(mode="after")
    def _at_most_all(self) -> Callbacks:
        if self.on_time + self.late > 1:
            raise ValueError("on_time + late add up to more than 1")
        return self


class Voicemail(Strict):
    leaves_message: Share = Field(default=0.5, description="Callers who speak a message on a voicemail")
    on_time: Share = Field(default=0.6, description="Messages called back within the term")
    late: Share = Field(default=0.1, description="Called back after the term; the rest never")


class Policy(Strict):
    """What happens to an unanswered colleague. bereik itself only does front_office; the other two
    exist here, in the simulation, to show what they cost."""

    fallback: Fallback = Field(default="front_office", description="front_office (bereik), hunt_group or voicemail")
    hunt_group_size: int = Field(default=3, ge=1, le=20, description="Colleagues a hunt group rings in turn")
    camp_on: bool = Field(default=True, description="Offer to wait behind a busy colleague's call")
    camp_on_accept: Share = Field(default=0.6, description="Callers who choose to wait when offered")


class Target(Strict):
    """A measured figure the profile was calibrated to, or put in as an input (then it is no result)."""

    figure: str = Field(description="The monthly report's figure (its id), e.g. direct_reachability")
    measured: float = Field(ge=0, description="The measured value: a share 0-1, or seconds")
    tuned: list[str] = Field(
        default=[], description="Inputs of this profile (dotted, e.g. availability.absent) tuned until the "
        "simulated figure landed near the measured one")
    input: str = Field(default="", description="The measured value was put in as this input: not a result")

    @field_validator("figure")
    @classmethod
    def _figure(cls, figure: str) -> str:
        from bereik.reports.schema import PARAMETERS

        known = [p.id for p in PARAMETERS]
        if figure not in known:
            raise ValueError(f"'{figure}' is not a figure of the report; use one of {', '.join(known)}")
        return figure

    @model_validator(mode="after")
    def _tuned_or_input(self) -> Target:
        if bool(self.tuned) == bool(self.input):
            raise ValueError(f"{self.figure}: give either tuned: (the inputs calibrated to it) or input: (the "
                             "input it was put in as)")
        return self


class Calibration(Strict):
    """What the profile was calibrated to: shown as calibration on the what-if page, never as a result."""

    source: str = Field(min_length=1, description="Where the measured figures come from")
    targets: list[Target] = Field(min_length=1)


class TrafficProfile(Strict):
    version: Literal[1] = 1
    name: str = Field(min_length=1, max_length=80)
    month: str = Field(default="2026-10", description="The simulated month, YYYY-MM")
    arrivals: Arrivals
    menu_keys: dict[str, float] = Field(
        default={}, description="Key -> share of callers pressing it at the menu; 'none' presses nothing")
    municipality_keys: dict[str, float] = Field(
        default={}, description="Key -> share at the choice of municipality on a shared number")
    patience_seconds: Seconds = Field(default=240, description="Mean time a caller waits before giving up")
    callback_key_share: Share = Field(
        default=0.0, description="Callers told of a wait above callback_key_above_seconds who press the call-back key")
    callback_key_above_seconds: Seconds = 180
    handling: Handling = Handling()
    direct: Direct = Direct()
    availability: Availability = Availability()
    departments: dict[str, Availability] = Field(default={}, description="Department id -> its own availability")
    front_office: FrontOffice = FrontOffice()
    callbacks: Callbacks = Callbacks()
    voicemail: Voicemail = Voicemail()
    policy: Policy = Policy()
    calibration: Calibration | None = Field(
        default=None, description="The measured figures this profile was tuned to; without it every input is assumed")

    @field_validator("month")
    @classmethod
    def _month(cls, text: str) -> str:
        if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", text):
            raise ValueError(f"'{text}' is not a month; write it as YYYY-MM, e.g. 2026-10")
        return text

    @field_validator("menu_keys", "municipality_keys")
    @classmethod
    def _keys(cls, shares: dict[str, float]) -> dict[str, float]:
        for key, share in shares.items():
            if not (re.fullmatch(r"[0-9*#]", key) or key == "none"):
                raise ValueError(f"'{key}' is not a telephone key; use 0-9, * or #, or none")
            if share < 0:
                raise ValueError(f"the share of key {key} is negative")
        if shares and sum(shares.values()) <= 0:
            raise ValueError("the shares add up to 0; give at least one key a share")
        return shares

    @model_validator(mode="after")
    def _calibrated_inputs_exist(self) -> TrafficProfile:
        for target in self.calibration.targets if self.calibration else ():
            for path in [*target.tuned, *([target.input] if target.input else [])]:
                try:
                    self.input_value(path)
                except (AttributeError, KeyError):
                    raise ValueError(f"calibration of {target.figure}: '{path}' is not an input of this profile; "
                                     "write it dotted, e.g. availability.absent") from None
        return self

    def input_value(self, path: str):
        """The value of a dotted input, e.g. 'policy.hunt_group_size'."""
        value = self
        for part in path.split("."):
            if part not in type(value).model_fields or part == "calibration":
                raise AttributeError(path)
            value = getattr(value, part)
        return value

    @property
    def first_day(self) -> dt.date:
        year, month = (int(part) for part in self.month.split("-"))
        return dt.date(year, month, 1)

    def availability_of(self, department: str) -> Availability:
        return self.departments.get(department, self.availability)


HINT = "a traffic profile must be a mapping of keys such as name:, arrivals:, handling:"


def load_traffic(path: str | Path) -> TrafficProfile:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([Problem(str(path), 0, 0, "file not found; give the path of a traffic profile")]) from None
    return parse_model(text, str(path), TrafficProfile, HINT)
