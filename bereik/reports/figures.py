"""The report's figures, counted in one pass over a period's call rows.

Pure and streaming: rows go in one at a time, so a month of a million calls
needs the memory of a few hundred counters, not of a million calls.
"""
from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass

from bereik.callbacks.store import CallbackStore, Note
from bereik.config.model import Config
from bereik.records import servers
from bereik.records.store import CallStore
from bereik.records.summary import DIRECT, CallRow, transfers_of
from bereik.reports.schema import (
    PARAMETERS,
    WEEKDAYS_EN,
    WEEKDAYS_NL,
    AgentFigures,
    Bucket,
    Figure,
    MenuStage,
    Report,
    ReportRequest,
    TargetFigures,
)


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
    total: float = 0.0  # for averages


def _mean(total: float, count: int) -> float | None:
    return round(total / count, 1) if count else None


def grade(value: float | None, norm: float | None, kind: str, bands: list[tuple[float, int]]) -> int | None:
    """The rapportcijfer: the ratio result/norm (shares) or norm/result (times), looked up in the bands."""
    if value is None or norm is None:
        return None
    if kind == "share":
        ratio = value / norm if norm else math.inf
    else:
        ratio = norm / value if value else math.inf
    return next(g for lowest, g in bands if ratio >= lowest)


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


def compute(rows: Iterable[CallRow], config: Config, request: ReportRequest,
            callbacks_kept: Iterable[bool] = ()) -> Report:
    """`callbacks_kept`: for each call-back note due in the period, whether it was kept on time."""
    reports = config.reports
    norm_seconds = reports.answer_seconds
    front = _Queue()
    hours = [_Queue() for _ in range(24)]
    weekdays = [_Queue() for _ in range(7)]
    agents: dict[str, _Agent] = {}
    direct, fallback, transfers, wait_after, callbacks = _Ratio(), _Ratio(), _Ratio(), _Ratio(), _Ratio()
    transfer_time = _Ratio()
    targets: dict[str, _Ratio] = {}  # dialled number -> direct answered (hits), fell back (total)
    calls = inside = front_calls = 0
    left_in: dict[str, int] = {}
    for row in rows:
        if row.inside:
            inside += 1
            continue
        calls += 1
        if row.kind != DIRECT:
            front_calls += 1
            if row.left_in:
                left_in[row.left_in] = left_in.get(row.left_in, 0) + 1
        # Every caller in the queue counts for the front office, direct calls that fell back too.
        if row.queued_at is not None and (row.ended_at is not None or row.agent):
            front.add(row, norm_seconds)
            hours[row.hour].add(row, norm_seconds)
            weekdays[row.weekday].add(row, norm_seconds)
        if row.kind == DIRECT:
            direct.count += 1
            direct.hits += row.direct_answered
            fallback.count += 1
            fallback.hits += row.fallback
            target = targets.setdefault(row.dialled, _Ratio())
            target.count += 1
            target.hits += row.direct_answered
            target.total += row.fallback
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
            transfers.count += 1
            transfers.hits += transfer.answered
            if transfer.search_seconds is not None:
                transfer_time.count += 1
                transfer_time.total += transfer.search_seconds
                if row.agent:
                    agents[row.agent].transfers += 1
                    agents[row.agent].transfer_total += transfer.search_seconds
            if transfer.wait_seconds is not None:
                wait_after.count += 1
                wait_after.total += transfer.wait_seconds
        if row.callback_on_time is not None:
            callbacks.count += 1
            callbacks.hits += row.callback_on_time

    for kept in callbacks_kept:
        callbacks.count += 1
        callbacks.hits += kept

    def share(hits: int, count: int) -> float | None:
        return round(hits / count, 4) if count else None

    values = {
        "answered_within_20s": (share(front.within_20s, front.offered), front.offered),
        "answered_within_norm": (share(front.within_norm, front.offered), front.offered),
        "average_speed_of_answer": (_mean(front.wait_total, front.answered), front.answered),
        "abandoned": (share(front.abandoned, front.offered), front.offered),
        "direct_reachability": (share(direct.hits, direct.count), direct.count),
        "fallback_share": (share(fallback.hits, fallback.count), fallback.count),
        "indirect_reachability": (share(transfers.hits, transfers.count), transfers.count),
        "transfer_seconds": (_mean(transfer_time.total, transfer_time.count), transfer_time.count),
        "wait_after_transfer_seconds": (_mean(wait_after.total, wait_after.count), wait_after.count),
        "callbacks_on_time": (share(callbacks.hits, callbacks.count), callbacks.count),
    }
    bands = {"share": [tuple(b) for b in reports.grade_bands.share],
             "seconds": [tuple(b) for b in reports.grade_bands.time]}
    figures = []
    for parameter in PARAMETERS:
        value, count = values[parameter.id]
        norm = getattr(reports.norms, parameter.id)
        figures.append(Figure(
            id=parameter.id, section=parameter.section, kind=parameter.kind,
            label=parameter.nl if config.language == "nl" else parameter.en,
            value=value, count=count, norm=norm, grade=grade(value, norm, parameter.kind, bands[parameter.kind]),
        ))
    grades = [f.grade for f in figures if f.grade is not None]
    names_of = _target_names(config)
    names = WEEKDAYS_NL if config.language == "nl" else WEEKDAYS_EN
    return Report(
        municipality=config.municipality, language=config.language, start=request.start, end=request.end,
        answer_seconds=norm_seconds, calls=calls, inside_calls=inside, figures=figures,
        average_grade=round(sum(grades) / len(grades), 1) if grades else None,
        by_hour=[q.bucket(f"{h:02d}:00") for h, q in enumerate(hours) if q.offered],
        by_weekday=[q.bucket(names[d]) for d, q in enumerate(weekdays) if q.offered],
        by_agent=[
            AgentFigures(agent=name, answered=a.answered, within_20s=a.within_20s,
                         average_speed_of_answer=_mean(a.wait_total, a.answered),
                         average_talk_seconds=_mean(a.talk_total, a.talked), transfers=a.transfers,
                         average_transfer_seconds=_mean(a.transfer_total, a.transfers))
            for name, a in sorted(agents.items())
        ],
        by_target=[
            TargetFigures(target=number, name=names_of.get(number, ""), calls=t.count,
                          direct_reachability=share(t.hits, t.count), fallback_share=share(int(t.total), t.count))
            for number, t in sorted(targets.items())
        ],
        grade_bands=bands,
        menu_stages=[MenuStage(stage=stage, hung_up=left_in.get(stage, 0), share=share(left_in.get(stage, 0), front_calls))
                     for stage in _menu_stages(config)],
    )


def _menu_stages(config: Config) -> list[str]:
    return [*(["municipality"] if config.shared_number else []), *(["menu"] if config.menu else [])]


def callbacks_kept(notes: Iterable[Note], now: dt.datetime) -> list[bool]:
    """Kept on time or not, for every note whose deadline has passed; a note still in time is not judged yet."""
    return [note.on_time if note.done_at is not None else False for note in notes
            if note.done_at is not None or note.due_at < now]


def from_store(store: CallStore, config: Config, request: ReportRequest,
               callback_store: CallbackStore | None = None, now: dt.datetime | None = None,
               server: str | None = None) -> Report:
    """`server`: only the calls of that one of pbx.servers (their ids carry its name); None: all servers."""
    notes: list[Note] = []
    if callback_store is not None:
        start, end = request.bounds(config.zone)
        notes = callback_store.due_between(dt.datetime.fromtimestamp(start, config.zone),
                                           dt.datetime.fromtimestamp(end, config.zone))
    kept = callbacks_kept(notes, now or dt.datetime.now(config.zone))
    rows = store.calls(*request.bounds(config.zone))
    if server is None:
        return compute(rows, config, request, kept)
    report = compute((row for row in rows if servers.of_server(server, row.call_id)), config, request, kept)
    return report.model_copy(update={"server": server})
