"""The report's figures, counted in one pass over a period's call rows.

Pure and streaming: rows go in one at a time, so a month of a million calls needs the memory
of a few counters per department, person, hour and caller number, not of a million calls.
Every Telan parameter is counted for the whole organisation and, where Telan grades departments,
per department and per person: a direct call counts for the colleague it tried, a transfer for
the colleague it was meant for, a call-back note for its team and person.
"""
from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from bereik import facts as f
from bereik.callbacks.store import CallbackStore, Note
from bereik.config.model import Config
from bereik.records import servers
from bereik.records.store import CallStore
from bereik.records.summary import DIRECT, CallRow, transfers_of
from bereik.reports.contact import Contact, contact
from bereik.reports.reachability import Hours
from bereik.reports.schema import (
    PARAMETERS,
    WEEKDAYS_EN,
    WEEKDAYS_NL,
    AgentFigures,
    Bucket,
    ContactCounts,
    Figure,
    GroupFigures,
    MenuStage,
    NumberFigures,
    OptionFigures,
    Parameter,
    Report,
    ReportRequest,
    TargetFigures,
    TrendMonth,
)

REPEAT_DAYS = 7
# A console note taken this long after a call ended still belongs to it (the agent writes it up).
NOTE_AFTER_CALL_SECONDS = 1800.0
GROUPED = tuple(p for p in PARAMETERS if p.grouped)


@dataclass
class _Queue:
    offered: int = 0
    answered: int = 0
    within_20s: int = 0
    within_norm: int = 0
    abandoned: int = 0
    wait_total: float = 0.0

    def add(self, row: CallRow, norm: float) -> None:
        self.offered += 1
        if row.abandoned:
            self.abandoned += 1
        elif row.agent or row.wait_seconds is not None:
            wait = row.wait_seconds or 0.0
            self.answered += 1
            self.wait_total += wait
            self.within_20s += wait <= 20
            self.within_norm += wait <= norm

    def bucket(self, key: str) -> Bucket:
        return Bucket(key=key, offered=self.offered, answered=self.answered, within_20s=self.within_20s,
                      within_norm=self.within_norm, abandoned=self.abandoned,
                      average_speed_of_answer=_mean(self.wait_total, self.answered))


@dataclass
class _Agent:
    answered: int = 0
    within_20s: int = 0
    wait_total: float = 0.0
    talk_total: float = 0.0
    talked: int = 0
    transfers: int = 0
    transfer_total: float = 0.0


@dataclass
class _Ratio:
    hits: int = 0
    count: int = 0

    def add(self, hit: bool) -> None:
        self.count += 1
        self.hits += bool(hit)

    @property
    def share(self) -> float | None:
        return round(self.hits / self.count, 4) if self.count else None


@dataclass
class _Mean:
    total: float = 0.0
    count: int = 0

    def add(self, value: float | None) -> None:
        if value is not None:
            self.total += value
            self.count += 1

    @property
    def mean(self) -> float | None:
        return _mean(self.total, self.count)


@dataclass
class _Group:
    """Telan's department parameters for the whole back office, a department or a person."""

    attempts: int = 0
    offered: _Ratio = field(default_factory=_Ratio)  # not turned away by the PBX (technical reachability)
    direct: _Ratio = field(default_factory=_Ratio)
    fallback: _Ratio = field(default_factory=_Ratio)
    transfers: _Ratio = field(default_factory=_Ratio)
    search: _Mean = field(default_factory=_Mean)
    wait_after: _Mean = field(default_factory=_Mean)
    callbacks: _Ratio = field(default_factory=_Ratio)
    contact: _Ratio = field(default_factory=_Ratio)
    repeat: _Ratio = field(default_factory=_Ratio)

    def values(self) -> dict[str, tuple[float | None, int]]:
        return {
            "technical_reachability": (self.offered.share, self.offered.count),
            "direct_reachability": (self.direct.share, self.direct.count),
            "fallback_share": (self.fallback.share, self.fallback.count),
            "indirect_reachability": (self.transfers.share, self.transfers.count),
            "transfer_seconds": (self.search.mean, self.search.count),
            "wait_after_transfer_seconds": (self.wait_after.mean, self.wait_after.count),
            "callbacks_on_time": (self.callbacks.share, self.callbacks.count),
            "successful_contact": (self.contact.share, self.contact.count),
            "repeat_calls": (self.repeat.share, self.repeat.count),
        }


def _mean(total: float, count: int) -> float | None:
    return round(total / count, 1) if count else None


def grade(value: float | None, norm: float | None, kind: str, bands: list[tuple[float, int]],
          lower_is_better: bool = False) -> int | None:
    """The rapportcijfer: the ratio result/norm (shares) or norm/result (times, and shares that should be
    small), looked up in the bands."""
    if value is None or norm is None:
        return None
    if kind == "share" and not lower_is_better:
        ratio = value / norm if norm else math.inf
    else:
        ratio = norm / value if value else math.inf
    return next(g for lowest, g in bands if ratio >= lowest)


def front_office_name(config: Config) -> str:
    """One name for the front office everywhere: its queue's name in the YAML."""
    return config.queue(config.front_office).name


def _target_names(config: Config) -> dict[str, str]:
    """Who a dialled number reaches: a person's direct number or extension, a department's number."""
    names: dict[str, str] = {}
    for person in config.people:
        names[person.extension] = person.name
        if person.direct:
            names[person.direct] = person.name
    for department in config.departments:
        if department.number:
            names[department.number] = department.name
    return names


@dataclass(frozen=True)
class CallbackOutcome:
    """A call-back note or request as the report judges it, as Telan does: by the real outgoing call (the
    first call-back the caller answered, within the deadline), never by a click."""

    key: str
    number: str
    created_at: float
    team: str
    for_person: str
    on_time: bool | None  # None: still open and within its term
    due_in_period: bool  # counted in the period's call-backs on time


def callback_outcomes(notes: Iterable[Note], now: dt.datetime, period: tuple[float, float]) -> list[CallbackOutcome]:
    found = []
    for note in notes:
        on_time = True if note.on_time else (False if note.closed or note.due_at < now else None)
        due = period[0] <= note.due_at.timestamp() < period[1]
        # The person: whose note it is now (an extension), else whom it was written for.
        found.append(CallbackOutcome(note.key, note.number, note.created_at.timestamp(), note.team,
                                     note.owner or note.for_person, on_time, due))
    return found


class _Callbacks:
    """Links a call to the call-back made for it: the queue's request by the call's id, a console note by
    the caller's number, taken during the call or shortly after."""

    def __init__(self, outcomes: Iterable[CallbackOutcome]):
        self.by_key: dict[str, CallbackOutcome] = {}
        self.by_number: dict[str, list[CallbackOutcome]] = {}
        for outcome in outcomes:
            self.by_key[outcome.key] = outcome
            self.by_number.setdefault(outcome.number, []).append(outcome)

    def on_time(self, row: CallRow) -> bool | None:
        # The queue's request is keyed by Asterisk's own id, without the server's name (bereik.records.servers).
        queued = self.by_key.get(f"queue-{row.call_id.rpartition('-')[2]}")
        if queued is not None:
            return queued.on_time
        ended = (row.ended_at or row.started_at) + NOTE_AFTER_CALL_SECONDS
        for note in self.by_number.get(row.caller, ()):
            if note.key.startswith("console-") and row.started_at <= note.created_at <= ended:
                return note.on_time
        return None


def _attempt_target(row: CallRow, config: Config, attempts: dict[str, tuple[str, str]]) -> tuple[str, str]:
    """(person extension, department id) a call was for: the colleague a direct call tried, else the first
    transfer's colleague; ('', '') for a call that looked for nobody in particular."""
    if row.kind == DIRECT:
        person = row.person or attempts.get(row.dialled, ("", ""))[0]
        department = row.department or attempts.get(row.dialled, ("", ""))[1] or _department_of(config, person)
        return person, department
    transfers = transfers_of(row)
    if transfers:
        return transfers[0].to, _department_of(config, transfers[0].to)
    return "", ""


def _department_of(config: Config, extension: str) -> str:
    department = config.department_of(extension) if extension else None
    return department.id if department else ""


def _attempts_by_number(config: Config) -> dict[str, tuple[str, str]]:
    """Dialled number -> (person, department), for rows written before the record kept them."""
    found = {}
    for person in config.people:
        for number in (person.extension, person.direct):
            if number:
                found[number] = (person.extension, _department_of(config, person.extension))
    for department in config.departments:
        if department.number and department.answered_by:
            found[department.number] = (department.answered_by, department.id)
    return found


def compute(rows: Iterable[CallRow], config: Config, request: ReportRequest,
            callbacks: Iterable[CallbackOutcome] = (), earlier: Iterable[CallRow] = (),
            trend: Iterable[TrendMonth] = ()) -> Report:
    """`callbacks`: the call-back notes (those due in the period are judged on time or not; the others link
    calls to their call-back); `earlier`: the calls of the 7 days before, for repeat calls; `trend`: the
    months before, already counted."""
    reports = config.reports
    norm_seconds = reports.answer_seconds
    front = _Queue()
    hours = [_Queue() for _ in range(24)]
    weekdays = [_Queue() for _ in range(7)]
    agents: dict[str, _Agent] = {}
    whole = _Group()
    resolved = _Ratio()  # first-contact resolution: the wrap-ups of the calls agents answered
    departments = {d.id: _Group() for d in config.departments}
    people = {p.extension: _Group() for p in config.people}
    targets: dict[str, tuple[_Ratio, _Ratio]] = {}  # dialled number -> direct answered, fell back
    numbers: dict[str, Counter] = {}
    options: dict[str, _Queue] = {}
    chosen: Counter = Counter()
    # A menu option's outside organisation, by its number: the calls put through, and those that came back.
    outside = {o.forward_to: o for o in (config.menu.options if config.menu else []) if o.outside}
    put_through: Counter = Counter()
    returned: dict[str, _Queue] = {}
    routed_front = 0
    contacts: Counter = Counter()
    linked = _Callbacks(callbacks)
    attempts_by_number = _attempts_by_number(config)
    last_call: dict[str, float] = {}
    for row in earlier:
        if row.caller and not row.inside:
            last_call[row.caller] = max(last_call.get(row.caller, -math.inf), row.started_at)
    calls = inside = front_calls = cut_off = 0
    left_in: Counter = Counter()
    reach = Hours()

    def groups(person: str, department: str) -> list[_Group]:
        found = [whole]
        if department in departments:
            found.append(departments[department])
        if person:
            found.append(people.setdefault(person, _Group()))
        return found

    for row in rows:
        if row.inside:
            inside += 1
            continue
        calls += 1
        cut_off += bool(row.cut_off)
        person, department = _attempt_target(row, config, attempts_by_number)
        mine = groups(person, department)
        reach.add(row, person)
        number = numbers.setdefault(row.dialled, Counter())
        number["calls"] += 1
        number["refused"] += row.refused
        number["reached"] += bool(row.direct_answered or row.agent)
        number["fell_back"] += row.fallback
        number["left_in"] += bool(row.left_in)
        repeat = bool(row.caller) and last_call.get(row.caller, -math.inf) >= row.started_at - REPEAT_DAYS * 86400
        if row.caller:
            last_call[row.caller] = row.started_at
        # Technical reachability and repeat calls: the whole over every call, a department over its own.
        whole.offered.add(not row.refused)
        whole.repeat.add(repeat)
        for group in mine[1:]:
            group.offered.add(not row.refused)
            group.repeat.add(repeat)
        if row.kind != DIRECT:
            front_calls += 1
            left_in[row.left_in] += bool(row.left_in)
            if row.queued_at is not None and not row.fallback:
                routed_front += 1
                chosen[row.topic] += 1
            elif row.reason == f.OUTSIDE_ORGANISATION and row.forwarded_to in outside:
                routed_front += 1  # chosen, and put through: not lost, whether it came back or not
                put_through[row.forwarded_to] += row.queued_at is None
                if row.queued_at is not None and (row.ended_at is not None or row.agent):
                    returned.setdefault(row.forwarded_to, _Queue()).add(row, norm_seconds)
        if row.agent and row.resolved:
            resolved.add(row.resolved == "yes")
        # Every caller in the queue counts for the front office, direct calls that fell back too.
        if row.queued_at is not None and (row.ended_at is not None or row.agent):
            front.add(row, norm_seconds)
            hours[row.hour].add(row, norm_seconds)
            weekdays[row.weekday].add(row, norm_seconds)
            if row.topic and not row.fallback:
                options.setdefault(row.topic, _Queue()).add(row, norm_seconds)
        if row.kind == DIRECT:
            for group in mine:
                group.attempts += 1
                group.direct.add(row.direct_answered)
                group.fallback.add(row.fallback)
            hit, fell = targets.setdefault(row.dialled, (_Ratio(), _Ratio()))
            hit.add(row.direct_answered)
            fell.add(row.fallback)
        if row.agent:
            agent = agents.setdefault(row.agent, _Agent())
            agent.answered += 1
            wait = row.wait_seconds or 0.0
            agent.wait_total += wait
            agent.within_20s += wait <= 20
            if row.talk_seconds is not None:
                agent.talked += 1
                agent.talk_total += row.talk_seconds
        for transfer in transfers_of(row):
            for group in groups(transfer.to, _department_of(config, transfer.to)):
                if row.kind != DIRECT and group is not whole:
                    group.attempts += 1
                group.transfers.add(transfer.answered)
                group.search.add(transfer.search_seconds)
                group.wait_after.add(transfer.wait_seconds)
            if transfer.search_seconds is not None and row.agent:
                agents[row.agent].transfers += 1
                agents[row.agent].transfer_total += transfer.search_seconds
        if row.kind != DIRECT and transfers_of(row):
            whole.attempts += 1
        if row.callback_on_time is not None:  # the simulation knows; live calls are judged by their notes
            for group in mine:
                group.callbacks.add(row.callback_on_time)
        outcome = contact(row, linked.on_time(row))
        if outcome is not None:
            contacts[outcome] += 1
            if outcome is not Contact.PENDING:
                for group in mine:
                    group.contact.add(outcome.successful)

    for note in callbacks:
        if note.due_in_period and note.on_time is not None:
            for group in _note_groups(note, config, whole, departments, people):
                group.callbacks.add(note.on_time)

    bands = {"share": [tuple(b) for b in reports.grade_bands.share],
             "seconds": [tuple(b) for b in reports.grade_bands.time]}
    front_name = front_office_name(config)
    label = lambda p: (p.nl if config.language == "nl" else p.en).format(front=front_name)

    def figure(parameter: Parameter, value: float | None, count: int) -> Figure:
        norm = getattr(reports.norms, parameter.id)
        return Figure(id=parameter.id, section=parameter.section, kind=parameter.kind, label=label(parameter),
                      value=value, count=count, norm=norm,
                      grade=grade(value, norm, parameter.kind, bands[parameter.kind], parameter.lower_is_better))

    def group_figures(group: _Group) -> list[Figure]:
        values = group.values()
        return [figure(p, *values[p.id]) for p in GROUPED]

    values = {
        "answered_within_20s": (_share(front.within_20s, front.offered), front.offered),
        "answered_within_norm": (_share(front.within_norm, front.offered), front.offered),
        "average_speed_of_answer": (_mean(front.wait_total, front.answered), front.answered),
        "abandoned": (_share(front.abandoned, front.offered), front.offered),
        "first_contact_resolution": (resolved.share, resolved.count),
        **whole.values(),
    }
    figures = [figure(p, *values[p.id]) for p in PARAMETERS]
    grades = [f.grade for f in figures if f.grade is not None]
    names_of = _target_names(config)
    weekday_names = WEEKDAYS_NL if config.language == "nl" else WEEKDAYS_EN
    department_names = {d.id: d.name for d in config.departments}
    menu_options = config.menu.options if config.menu else []
    return Report(
        municipality=config.municipality, front_office=front_name, language=config.language,
        start=request.start, end=request.end, answer_seconds=norm_seconds, calls=calls, inside_calls=inside,
        cut_off_calls=cut_off,
        figures=figures,
        average_grade=round(sum(grades) / len(grades), 1) if grades else None,
        by_hour=[q.bucket(f"{h:02d}:00") for h, q in enumerate(hours) if q.offered],
        by_weekday=[q.bucket(weekday_names[d]) for d, q in enumerate(weekdays) if q.offered],
        by_agent=[
            AgentFigures(agent=name, answered=a.answered, within_20s=a.within_20s,
                         average_speed_of_answer=_mean(a.wait_total, a.answered),
                         average_talk_seconds=_mean(a.talk_total, a.talked), transfers=a.transfers,
                         average_transfer_seconds=_mean(a.transfer_total, a.transfers))
            for name, a in sorted(agents.items())
        ],
        by_target=[
            TargetFigures(target=number, name=names_of.get(number, ""), calls=hit.count,
                          direct_reachability=hit.share, fallback_share=fell.share)
            for number, (hit, fell) in sorted(targets.items())
        ],
        grade_bands=bands,
        menu_stages=[MenuStage(stage=stage, hung_up=left_in[stage], share=_share(left_in[stage], front_calls))
                     for stage in _menu_stages(config)],
        by_department=[GroupFigures(id=d.id, name=d.name, attempts=departments[d.id].attempts,
                                    figures=group_figures(departments[d.id])) for d in config.departments],
        by_person=[GroupFigures(id=extension, name=names_of.get(extension, extension),
                                department=department_names.get(_department_of(config, extension), ""),
                                attempts=group.attempts, figures=group_figures(group))
                   for extension, group in _people_in_order(config, people)],
        by_option=[_option(o.key, o.topic, options.get(o.topic, _Queue()), chosen[o.topic], routed_front)
                   if not o.outside else
                   _outside_option(o, put_through[o.forward_to],
                                   returned.get(o.forward_to, _Queue()), routed_front)
                   for o in menu_options],
        by_number=[NumberFigures(number=number, name=names_of.get(number, front_name if number == config.number
                                                                   else ""),
                                 calls=c["calls"], refused=c["refused"], reached=c["reached"],
                                 fell_back=c["fell_back"], hung_up_in_menu=c["left_in"])
                   for number, c in sorted(numbers.items(), key=lambda item: -item[1]["calls"])],
        contact=ContactCounts(**{c.value: n for c, n in contacts.items()}),
        reachability=reach.people({p.extension: p.name for p in config.people},
                                  {p.extension: department_names.get(_department_of(config, p.extension), "")
                                   for p in config.people}, config.language),
        trend=list(trend),
    )


def _share(hits: int, count: int) -> float | None:
    return round(hits / count, 4) if count else None


def _option(key: str, topic: str, queue: _Queue, chosen: int, routed: int) -> OptionFigures:
    return OptionFigures(key=key, topic=topic, chosen=chosen, share=_share(chosen, routed), answered=queue.answered,
                         within_20s=queue.within_20s, abandoned=queue.abandoned,
                         average_speed_of_answer=_mean(queue.wait_total, queue.answered))


def _outside_option(option, put_through: int, returned: _Queue, routed: int) -> OptionFigures:
    """An option that puts callers through to an outside organisation: chosen by those put through and those
    who came back to the front office (not answered, busy); the queue's figures are of the latter."""
    chosen = put_through + returned.offered
    return OptionFigures(key=option.key, topic="", organisation=option.organisation, chosen=chosen,
                         share=_share(chosen, routed), put_through=put_through, answered=returned.answered,
                         within_20s=returned.within_20s, abandoned=returned.abandoned,
                         average_speed_of_answer=_mean(returned.wait_total, returned.answered))


def _people_in_order(config: Config, people: dict[str, _Group]) -> Iterator[tuple[str, _Group]]:
    """The YAML's people, then anyone else calls were meant for (an agent transferred to), by extension."""
    known = [p.extension for p in config.people]
    yield from ((extension, people[extension]) for extension in known)
    yield from sorted((e, g) for e, g in people.items() if e not in known)


def _note_groups(note: CallbackOutcome, config: Config, whole: _Group, departments: dict[str, _Group],
                 people: dict[str, _Group]) -> list[_Group]:
    found = [whole]
    person = next((p.extension for p in config.people if note.for_person in (p.name, p.extension)), "")
    department = note.team if note.team in departments else _department_of(config, person)
    if department:
        found.append(departments[department])
    if person:
        found.append(people[person])
    return found


def _menu_stages(config: Config) -> list[str]:
    return [*(["municipality"] if config.shared_number else []), *(["menu"] if config.menu else [])]


def trend_month(report: Report) -> TrendMonth:
    return TrendMonth(start=report.start, end=report.end, calls=report.calls,
                      values={f.id: f.value for f in report.figures}, grades={f.id: f.grade for f in report.figures})


def from_store(store: CallStore, config: Config, request: ReportRequest,
               callback_store: CallbackStore | None = None, now: dt.datetime | None = None,
               server: str | None = None, months_before: int = 3) -> Report:
    """`server`: only the calls of that one of pbx.servers (their ids carry its name); None: all servers.
    `months_before`: how many earlier months the trend shows beside this period."""
    now = now or dt.datetime.now(config.zone)

    def counted(period: ReportRequest, trend: Iterable[TrendMonth] = ()) -> Report:
        start, end = period.bounds(config.zone)
        notes: list[Note] = []
        if callback_store is not None:
            at = lambda moment: dt.datetime.fromtimestamp(moment, config.zone)
            due = callback_store.due_between(at(start), at(end))
            taken = callback_store.created_between(at(start - 86400), at(end + 86400))
            notes = list({note.key: note for note in [*due, *taken]}.values())
        mine = lambda rows: (row for row in rows if server is None or servers.of_server(server, row.call_id))
        earlier = mine(store.calls(start - REPEAT_DAYS * 86400, start))
        return compute(mine(store.calls(start, end)), config, period, callback_outcomes(notes, now, (start, end)),
                       earlier, trend)

    trend = [trend_month(counted(month)) for month in request.months_before(months_before)]
    report = counted(request, trend)
    return report.model_copy(update={"server": server}) if server is not None else report
