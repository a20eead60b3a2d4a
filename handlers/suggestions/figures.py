"""The figures of 人民建议征集: what came in, how fast it was screened, what was adopted, sent
to the city, instructed (批示) and carried out (落地), over a period of Shanghai days, in total
and by street, station or themed call; and the year's table as the source documents report it
(收到 420 / 采纳 25 / 报送市级 11 / 获批示 4).

Each figure is defined once, below: its docstring is its definition, shown to staff (the API's
``definitions``, the dashboard). A counted figure places a suggestion in the period by one of
its times (``column``), in ``[since, until)``; the two state figures (待甄别, 甄别超期) look at
the end of the period (or now, if earlier). Everything is counted in the database (grouped
``COUNT``), on SQLite and PostgreSQL alike. Suggestions turned into a complaint case (已转为诉求)
were never suggestions and count nowhere. Unlike the case figures nothing is frozen: a month's
suggestion figures change when a late step is recorded for it.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from tortoise.expressions import F, Q
from tortoise.queryset import QuerySet

from handlers.figures.filters import FigureFilters
from handlers.figures.sql import counted, local_day_sql
from handlers.suggestions.records import OPEN_STATUSES
from models import Station, Suggestion, SuggestionCall, SuggestionStatus

S = SuggestionStatus
GROUPS = ("street", "station", "call")
GROUP_COLUMNS = {"street": "street", "station": "station_id", "call": "call_id"}
NO_STREET = "未识别街道"
NO_STATION = "未经联系点（直接提交）"
NO_CALL = "日常征集（不属主题征集活动）"


@dataclass(frozen=True)
class Counted:
    """A figure that counts suggestions whose ``column`` falls in the period and that meet
    ``condition``; ``doc`` is its definition for staff."""

    key: str
    label: str
    column: str
    condition: Q
    doc: str


def counted_figure(key: str, label: str, column: str) -> Callable[[Callable[[], Q]], Counted]:
    """Define a counted figure: the decorated function gives its condition, its docstring its
    definition."""

    def define(condition: Callable[[], Q]) -> Counted:
        doc = inspect.getdoc(condition) or ""
        return Counted(key, label, column, ~Q(status=S.CONVERTED) & condition(), doc)

    return define


@counted_figure("received", "收到", "created_at")
def received() -> Q:
    """收到: suggestions recorded in the period (chat, mini-program, Open311, staff entry,
    stations), whatever came of them, merged ones included."""
    return Q()


@counted_figure("screened", "已甄别", "screened_at")
def screened() -> Q:
    """已甄别: suggestions the office first decided on in the period (asked for more, declined,
    merged, adopted or forwarded; the first decision counts)."""
    return Q()


@counted_figure("screened_in_time", "按时甄别", "screened_at")
def screened_in_time() -> Q:
    """按时甄别: of those screened in the period, the ones first decided on by their screening
    deadline (screened_at ≤ screen_due_at; one without a deadline counts as in time)."""
    return Q(screen_due_at__isnull=True) | Q(screened_at__lte=F("screen_due_at"))


@counted_figure("adopted_of_screened", "甄别后采纳", "screened_at")
def adopted_of_screened() -> Q:
    """甄别后采纳: of those screened in the period, the ones adopted (now or later): the
    numerator of the adoption rate."""
    return Q(adopted_at__isnull=False)


@counted_figure("adopted", "采纳", "adopted_at")
def adopted() -> Q:
    """采纳: suggestions adopted in the period (passed to one or more departments), by the day
    they were adopted."""
    return Q()


@counted_figure("forwarded", "报送市级", "forwarded_at")
def forwarded() -> Q:
    """报送市级: suggestions sent on to the city level in the period (the export recorded)."""
    return Q()


@counted_figure("instructed", "获批示", "instructed_at")
def instructed() -> Q:
    """获批示: suggestions for which a leader's instruction (批示) was recorded in the period."""
    return Q()


@counted_figure("implemented", "落地", "implemented_at")
def implemented() -> Q:
    """落地: suggestions whose result in practice (转化落地) was recorded in the period."""
    return Q()


# Every counted figure, in the order shown.
COUNTED: tuple[Counted, ...] = (
    received,
    screened,
    screened_in_time,
    adopted_of_screened,
    adopted,
    forwarded,
    instructed,
    implemented,
)


def awaiting(at: datetime) -> Q:
    """待甄别: suggestions received before the end of the period (or now, if earlier) that the
    office had not decided on by then and that still wait for it (received, or asked for more
    and not yet first decided)."""
    return (
        Q(created_at__lt=at)
        & (Q(screened_at__isnull=True) | Q(screened_at__gte=at))
        & Q(status__in=list(OPEN_STATUSES))
    )


def overdue(at: datetime) -> Q:
    """甄别超期: of those waiting at the end of the period, the ones past their screening
    deadline then."""
    return awaiting(at) & Q(screen_due_at__lt=at)


RATES = {
    "screened_in_time_rate": ("按时甄别率", "screened_in_time", "screened"),
    "adoption_rate": ("采纳率", "adopted_of_screened", "screened"),
}
RATE_DOCS = {
    "screened_in_time_rate": "按时甄别率 = 按时甄别 / 已甄别 (empty when nothing was screened).",
    "adoption_rate": "采纳率 = 甄别后采纳 / 已甄别: the share of the period's screened "
    "suggestions that were adopted (empty when nothing was screened).",
}
STATE_LABELS = {"open": "待甄别", "overdue": "甄别超期"}
# The year table, as the source documents put it: 收到 420 / 采纳 25 / 报送市级 11 / 获批示 4.
YEAR_KEYS = ("received", "adopted", "forwarded", "instructed", "implemented")


def definitions() -> dict[str, str]:
    """Each figure's definition, as staff read it (the docstrings above)."""
    found = {figure.key: figure.doc for figure in COUNTED}
    found |= RATE_DOCS
    found["open"] = inspect.getdoc(awaiting) or ""
    found["overdue"] = inspect.getdoc(overdue) or ""
    return found


def labels() -> dict[str, str]:
    found = {figure.key: figure.label for figure in COUNTED}
    found |= {key: label for key, (label, _, _) in RATES.items()}
    return found | STATE_LABELS


@dataclass
class Row:
    """The figures of one group (or of the whole district: ``key`` None)."""

    key: str | None
    label: str
    counts: dict[str, int] = field(default_factory=dict)

    def rate(self, key: str) -> dict[str, Any]:
        _, numerator, denominator = RATES[key]
        top, bottom = self.counts.get(numerator, 0), self.counts.get(denominator, 0)
        return {"numerator": top, "denominator": bottom, "rate": top / bottom if bottom else None}

    def as_dict(self) -> dict[str, Any]:
        counts = {figure.key: self.counts.get(figure.key, 0) for figure in COUNTED}
        states = {key: self.counts.get(key, 0) for key in STATE_LABELS}
        rates = {key: self.rate(key) for key in RATES}
        return {"key": self.key, "label": self.label, **counts, **states, "rates": rates}


def _in(figure: Counted, filters: FigureFilters) -> QuerySet[Suggestion]:
    window = {f"{figure.column}__gte": filters.since, f"{figure.column}__lt": filters.until}
    return Suggestion.filter(figure.condition, **window)


async def _grouped(query: QuerySet[Suggestion], by: str | None) -> dict[Any, int]:
    if by is None:
        return {None: await query.count()}
    return {keys[0]: rows for keys, rows in await counted(query, group=GROUP_COLUMNS[by])}


async def _labels(by: str, keys: set[Any]) -> dict[Any, str]:
    if by == "street":
        return {key: key or NO_STREET for key in keys}
    ids = [key for key in keys if key is not None]
    if by == "station":
        names = {s.id: f"{s.code} {s.name}" for s in await Station.filter(id__in=ids)}
        return {key: names.get(key, str(key)) if key is not None else NO_STATION for key in keys}
    titles = {c.id: f"{c.code} {c.title}" for c in await SuggestionCall.filter(id__in=ids)}
    return {key: titles.get(key, str(key)) if key is not None else NO_CALL for key in keys}


async def _codes(by: str, keys: set[Any]) -> dict[Any, str]:
    """What a group is called in the API: the street, the station's or call's code."""
    ids = [key for key in keys if key is not None]
    if by == "street":
        return {key: key or "" for key in keys}
    model: Any = Station if by == "station" else SuggestionCall
    codes = {row.id: row.code for row in await model.filter(id__in=ids)}
    return {key: codes.get(key, "") if key is not None else "" for key in keys}


@dataclass
class SuggestionFigures:
    first_day: date
    end_day: date
    as_of: datetime
    by: str | None
    total: Row
    rows: list[Row]

    def as_dict(self) -> dict[str, Any]:
        return {
            "period": {
                "from": self.first_day.isoformat(),
                "to": self.end_day.isoformat(),
                "timezone": "Asia/Shanghai",
            },
            "as_of": self.as_of.isoformat(),
            "by": self.by,
            "total": self.total.as_dict(),
            "rows": [row.as_dict() for row in self.rows],
            "labels": labels(),
            "definitions": definitions(),
        }


async def suggestion_figures(
    filters: FigureFilters, now: datetime, by: str | None = None
) -> SuggestionFigures:
    """The figures of ``filters``' period (its unit, grid and category are not used), in total
    and, with ``by`` (street, station, call), per group."""
    if by is not None and by not in GROUPS:
        raise ValueError(f"by must be one of {GROUPS}")
    at = min(now, filters.until)
    total = Row(None, "合计")
    groups: dict[Any, Row] = {}
    for figure in COUNTED:
        total.counts[figure.key] = await _in(figure, filters).count()
        if by is not None:
            for key, number in (await _grouped(_in(figure, filters), by)).items():
                groups.setdefault(key, Row(None, "")).counts[figure.key] = number
    for key, condition in (("open", awaiting(at)), ("overdue", overdue(at))):
        total.counts[key] = await Suggestion.filter(condition).count()
        if by is not None:
            for group, number in (await _grouped(Suggestion.filter(condition), by)).items():
                groups.setdefault(group, Row(None, "")).counts[key] = number
    rows: list[Row] = []
    if by is not None:
        names, codes = await _labels(by, set(groups)), await _codes(by, set(groups))
        for key, row in groups.items():
            row.key, row.label = codes[key], names[key]
            rows.append(row)
        rows.sort(key=lambda row: (-row.counts.get("received", 0), row.label))
    return SuggestionFigures(filters.first_day, filters.end_day, at, by, total, rows)


@dataclass(frozen=True)
class YearTable:
    year: int
    total: dict[str, int]
    months: list[tuple[str, dict[str, int]]]  # ("2026-01", counts)

    @property
    def line(self) -> str:
        """收到 420 / 采纳 25 / 报送市级 11 / 获批示 4 / 落地 2."""
        names = labels()
        return " / ".join(f"{names[key]} {self.total[key]}" for key in YEAR_KEYS)

    def as_dict(self) -> dict[str, Any]:
        return {
            "year": self.year,
            **{key: self.total[key] for key in YEAR_KEYS},
            "screened": self.total["screened"],
            "adoption_rate": Row(None, "", self.total).rate("adoption_rate"),
            "line": self.line,
            "months": [{"month": month, **counts} for month, counts in self.months],
            "labels": {key: labels()[key] for key in YEAR_KEYS},
        }


async def year_table(year: int) -> YearTable:
    """The year's table (Asia/Shanghai year): the yearly totals and each month's."""
    filters = FigureFilters(date(year, 1, 1), date(year + 1, 1, 1))
    months = {f"{year}-{month:02d}": dict.fromkeys(YEAR_KEYS, 0) for month in range(1, 13)}
    total = dict.fromkeys((*YEAR_KEYS, "screened", "adopted_of_screened"), 0)
    for figure in COUNTED:
        if figure.key not in total:
            continue
        query = _in(figure, filters)
        if figure.key not in YEAR_KEYS:
            total[figure.key] = await query.count()
            continue
        day = local_day_sql("suggestions", figure.column)
        for (value,), rows in await counted(query, day=day):
            months.setdefault(str(value)[:7], dict.fromkeys(YEAR_KEYS, 0))[figure.key] += rows
            total[figure.key] += rows
    return YearTable(year, total, sorted(months.items()))
