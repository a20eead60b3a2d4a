"""The figures units are judged by (考核指标): what each one counts, and the queries that count it.

Everything is aggregated in the database (grouped counts, conditional counts, medians by
offset), never by loading cases, so a year of a district's cases costs a few dozen indexed
queries. SQLite and PostgreSQL give the same answers.

**The period** is ``[from, to)`` in Shanghai days: from 00:00 Asia/Shanghai of ``from`` to 00:00
of ``to``. ``now`` is injected; a figure only counts what is decided at ``now``.

**Which cases, which unit.** A case counts for the unit that has it now (after 退单 and 改派, the
unit it went to; a case waiting in the dispatcher queue counts for the district and for no
unit). A case merged into another (已并案) counts for the unit of the case it joined. The grid is
the case's own; the category filter is a prefix of the case's category path (``城乡建设`` or
``城乡建设/市容环卫``). Withdrawn cases (已撤销) count in the volume and nowhere else.

**先行联系率 (first-contact rate)** = contacted in time / due for first contact.

- *due*: the case's first-contact deadline (``first_contact_due_at``) lies in the period and its
  outcome is known at ``now``: the deadline has passed, or the first contact is recorded. So a
  case contacted early counts as met at once, a case not yet contacted whose deadline is still
  ahead is not counted yet, and an open case whose deadline passed without contact is a miss.
- *in time*: ``first_contact_at <= first_contact_due_at``.
- misses are ``late`` (contacted after the deadline) or ``missing`` (deadline passed, no contact).
- Counted by the deadline's day, not the case's: once a period and its deadlines are over its
  figure never changes.

**按时办结率 (on-time completion rate)** = completed in time / due for completion, the same way
with ``completion_due_at`` and ``completed_at``: open cases already overdue are misses
(``overdue``), cases finished after the deadline too (``late``). An approved extension (延期)
moves the deadline. A reopened case (重办) is judged by its latest completion against its fresh
deadline: the earlier result did not hold, so it does not count.

**重复率 (repeat rate)** = repeats / cases.

- *cases*: created in the period, withdrawn ones excepted.
- *repeats*: those that joined an earlier open case about the same problem (并案,
  ``duplicate_of`` set; the detection is ``handlers/intake/duplicates.py``). A merge undone
  (拆分) is not a repeat. Only a repeat of a case still open is detected: a resident who writes
  again after their case was closed makes a new case, not counted here.
- For a unit, a repeat counts against the unit of the case it repeated.

**满意率 (satisfaction rate)** = (满意 + 0.9 × 基本满意) / valid answers.

- Survey rounds (回访) count by the time they were due to be asked (``Survey.due_at``); a case
  reopened and finished again has a round per completion, and each counts.
- *valid answers*: rounds answered while open (``answered``). An answer that came after its
  round had closed (``late``) is kept on the case but not counted: the round had closed as
  未评价, and a late 不满意 no longer reopens the case. Rounds still open and skipped rounds (no
  survey due: withdrawn, merged, opted out) count nowhere.
- Beside it, of the *finished* rounds (answered, 未评价, unreachable): the share 未评价
  (``unrated_share``, late answers included) and the share that could not be delivered
  (``unreachable_share``).

**Volume**: every case created in the period (withdrawn and merged ones included), by kind,
first-level category, grid, unit, status and Shanghai day.

**Median times** from ``created_at``, over cases created in the period that reached the
milestone: to sign (签收; after a 退单, the later signing), to first contact, to finish (办结;
the latest completion - a reopened case still open has none).

**重办率 (reopen rate)** = cases reopened at least once / cases completed at least once, over cases
created in the period.

**Daily series**: each figure by the Shanghai day of its own time: volume and repeats by
creation, first contact and completion by deadline, satisfaction by the survey's due time.

Targets (``config/figures.py``): first contact and on time 100%, repeats under 3%,
satisfaction over 80%.

To use it (the admin API, the dashboard): ``FigureFilters(first_day, end_day, unit_id=...)``, or
:func:`resolve_filters` from the codes people type, then ``await compute_figures(filters, now)``;
``Figures.as_dict()`` is what ``GET /api/admin/figures`` answers. A unit's staff must only be
given ``filters.with_unit(their unit)`` (``bot/api/figures.py`` forces it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, cast

from tortoise.expressions import F, Q, RawSQL, Subquery
from tortoise.functions import Count
from tortoise.queryset import QuerySet

from config import figures as config
from config.lexicon import KIND_LABELS
from handlers.clock import LOCAL_TZ, local
from models import Case, CaseStatus, Grid, Survey, SurveyAnswer, SurveyStatus, Unit

NO_UNIT_LABEL = "未派单（调度队列）"
NO_GRID_LABEL = "未定网格"
NO_CATEGORY_LABEL = "未分类"
_QUEUE = ("", NO_UNIT_LABEL, False)
FINISHED_ROUNDS = (SurveyStatus.ANSWERED, SurveyStatus.UNRATED, SurveyStatus.UNREACHABLE)
MEDIAN_MILESTONES = {
    "sign": "signed_at",
    "first_contact": "first_contact_at",
    "finish": "completed_at",
}


class FigureFilterError(ValueError):
    """A period or filter that cannot be computed; the message says what to change."""


@dataclass(frozen=True)
class FigureFilters:
    """What to count: Shanghai days ``[first_day, end_day)`` and optional unit, grid, category."""

    first_day: date
    end_day: date  # exclusive
    unit_id: int | None = None
    grid_id: int | None = None
    category_prefix: str = ""

    def __post_init__(self) -> None:
        if self.end_day <= self.first_day:
            raise FigureFilterError("结束日期须晚于开始日期（统计区间为 [from, to)，不含 to 当天）")
        if (self.end_day - self.first_day).days > config.MAX_PERIOD_DAYS:
            raise FigureFilterError(f"统计区间最长 {config.MAX_PERIOD_DAYS} 天，请缩短区间")

    @property
    def since(self) -> datetime:
        return local_midnight(self.first_day)

    @property
    def until(self) -> datetime:
        return local_midnight(self.end_day)

    @property
    def days(self) -> list[date]:
        span = (self.end_day - self.first_day).days
        return [self.first_day + timedelta(days=n) for n in range(span)]

    def with_unit(self, unit_id: int | None) -> FigureFilters:
        return FigureFilters(
            self.first_day, self.end_day, unit_id, self.grid_id, self.category_prefix
        )


def local_midnight(day: date) -> datetime:
    """00:00 Asia/Shanghai of ``day``, in UTC as stored."""
    return datetime.combine(day, time(0), tzinfo=LOCAL_TZ).astimezone(UTC)


def default_period(now: datetime) -> tuple[date, date]:
    """The last :data:`config.DEFAULT_PERIOD_DAYS` Shanghai days, today included."""
    end = local(now).date() + timedelta(days=1)
    return end - timedelta(days=config.DEFAULT_PERIOD_DAYS), end


async def resolve_filters(
    first_day: date,
    end_day: date,
    *,
    unit_code: str | None = None,
    grid_code: str | None = None,
    category_prefix: str | None = None,
) -> FigureFilters:
    """Filters from what people type: unit and grid codes, a category prefix."""
    unit_id = grid_id = None
    if unit_code:
        unit = await Unit.get_or_none(code=unit_code)
        if unit is None:
            raise FigureFilterError(f"没有代码为 {unit_code} 的承办单位")
        unit_id = unit.id
    if grid_code:
        grid = await Grid.get_or_none(code=grid_code)
        if grid is None:
            raise FigureFilterError(f"没有代码为 {grid_code} 的网格")
        grid_id = grid.id
    prefix = (category_prefix or "").strip().strip("/")
    return FigureFilters(first_day, end_day, unit_id, grid_id, prefix)


@dataclass(frozen=True)
class Rate:
    """A figure as numerator / denominator, with the parts it is made of."""

    key: str
    numerator: float
    denominator: int
    parts: Mapping[str, int] = field(default_factory=dict)

    @property
    def rate(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None

    @property
    def label(self) -> str:
        return config.RATE_LABELS.get(self.key, REOPEN_LABEL if self.key == REOPEN else self.key)

    @property
    def target(self) -> config.Target | None:
        return config.TARGETS.get(self.key)

    @property
    def met(self) -> bool | None:
        """Whether the target is met; None without a target or without anything to count."""
        rate, target = self.rate, self.target
        if rate is None or target is None:
            return None
        if target.op == ">=":
            return rate >= target.value - 1e-12
        if target.op == ">":
            return rate > target.value
        return rate < target.value

    def __add__(self, other: Rate) -> Rate:
        parts = dict(self.parts)
        for name, value in other.parts.items():
            parts[name] = parts.get(name, 0) + value
        return Rate(
            self.key, self.numerator + other.numerator, self.denominator + other.denominator, parts
        )

    def as_dict(self) -> dict[str, Any]:
        target = self.target
        return {
            "label": self.label,
            "numerator": round(self.numerator, 4),
            "denominator": self.denominator,
            "rate": None if self.rate is None else round(self.rate, 6),
            "target": None if target is None else target.value,
            "target_op": None if target is None else target.op,
            "target_label": None if target is None else target.label,
            "met": self.met,
            "parts": dict(self.parts),
        }


REOPEN = "reopen"
REOPEN_LABEL = "重办率"


def empty_rate(key: str) -> Rate:
    return Rate(key, 0, 0, {name: 0 for name in _PARTS[key]})


_PARTS: dict[str, tuple[str, ...]] = {
    config.FIRST_CONTACT: ("met", "late", "missing"),
    config.ON_TIME: ("met", "late", "overdue"),
    config.REPEAT: ("cases", "repeats"),
    config.SATISFACTION: ("satisfied", "basically", "unsatisfied"),
    REOPEN: ("completed", "reopened"),
}


@dataclass(frozen=True)
class SurveyShares:
    """Finished survey rounds of the period, and what became of them."""

    finished: int
    answered: int
    unrated: int  # 未评价 (late answers included)
    unreachable: int
    late_answers: int  # kept, not counted in 满意率

    @property
    def unrated_share(self) -> float | None:
        return self.unrated / self.finished if self.finished else None

    @property
    def unreachable_share(self) -> float | None:
        return self.unreachable / self.finished if self.finished else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "finished": self.finished,
            "answered": self.answered,
            "unrated": self.unrated,
            "unreachable": self.unreachable,
            "late_answers": self.late_answers,
            "unrated_share": _round(self.unrated_share),
            "unreachable_share": _round(self.unreachable_share),
        }


@dataclass(frozen=True)
class Median:
    cases: int  # how many reached the milestone
    seconds: float | None

    def as_dict(self) -> dict[str, Any]:
        hours = None if self.seconds is None else round(self.seconds / 3600, 2)
        return {"cases": self.cases, "seconds": _round(self.seconds, 1), "hours": hours}


@dataclass(frozen=True)
class Bucket:
    """One line of a breakdown: a key (code), what people read, how many."""

    key: str
    label: str
    count: int

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "label": self.label, "count": self.count}


@dataclass(frozen=True)
class Volume:
    total: int
    by_kind: tuple[Bucket, ...]
    by_category: tuple[Bucket, ...]  # first level
    by_grid: tuple[Bucket, ...]
    by_unit: tuple[Bucket, ...]
    by_status: tuple[Bucket, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            **{
                name: [bucket.as_dict() for bucket in getattr(self, name)]
                for name in ("by_kind", "by_category", "by_grid", "by_unit", "by_status")
            },
        }


@dataclass(frozen=True)
class UnitFigures:
    """The four rates of one unit (``unit_id`` None: the dispatcher queue)."""

    unit_id: int | None
    code: str
    name: str
    cases: int
    rates: Mapping[str, Rate]

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "cases": self.cases,
            "rates": {key: rate.as_dict() for key, rate in self.rates.items()},
        }


@dataclass(frozen=True)
class DayFigures:
    day: date
    cases: int
    rates: Mapping[str, Rate]

    def as_dict(self) -> dict[str, Any]:
        return {
            "day": self.day.isoformat(),
            "cases": self.cases,
            "rates": {
                key: {
                    "numerator": round(rate.numerator, 4),
                    "denominator": rate.denominator,
                    "rate": _round(rate.rate),
                }
                for key, rate in self.rates.items()
            },
        }


@dataclass(frozen=True)
class Figures:
    filters: FigureFilters
    now: datetime
    rates: Mapping[str, Rate]  # the four, in config.RATE_KEYS order
    survey: SurveyShares
    reopen: Rate
    medians: Mapping[str, Median]  # sign, first_contact, finish
    volume: Volume
    units: tuple[UnitFigures, ...]
    days: tuple[DayFigures, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "period": {
                "from": self.filters.first_day.isoformat(),
                "to": self.filters.end_day.isoformat(),
                "timezone": str(LOCAL_TZ),
            },
            "computed_at": self.now.isoformat(),
            "rates": {key: rate.as_dict() for key, rate in self.rates.items()},
            "survey": self.survey.as_dict(),
            "reopen": self.reopen.as_dict(),
            "medians": {key: median.as_dict() for key, median in self.medians.items()},
            "volume": self.volume.as_dict(),
            "units": [unit.as_dict() for unit in self.units],
            "daily": [day.as_dict() for day in self.days],
        }


def _round(value: float | None, digits: int = 6) -> float | None:
    return None if value is None else round(value, digits)


# SQL pieces that differ between the backends.


def _dialect() -> str:
    dialect: str = Case._meta.db.capabilities.dialect
    if dialect not in ("sqlite", "postgres"):
        raise RuntimeError(f"figures support SQLite and PostgreSQL, not {dialect}")
    return dialect


def _local_day_sql(table: str, column: str) -> RawSQL:
    """The Shanghai day ('YYYY-MM-DD') of a stored UTC time."""
    if _dialect() == "sqlite":
        # Asia/Shanghai has kept UTC+8 without summer time since 1991.
        offset = LOCAL_TZ.utcoffset(datetime(2000, 1, 1))
        hours = int(offset.total_seconds() // 3600) if offset else 0
        return RawSQL(f'date("{table}"."{column}", \'{hours:+d} hours\')')
    return RawSQL(f"to_char(\"{table}\".\"{column}\" AT TIME ZONE '{LOCAL_TZ}', 'YYYY-MM-DD')")


def _seconds_between_sql(start: str, end: str) -> str:
    if _dialect() == "sqlite":
        return f'(julianday("cases"."{end}") - julianday("cases"."{start}")) * 86400.0'
    return f'EXTRACT(EPOCH FROM ("cases"."{end}" - "cases"."{start}"))'


# The cases and rounds a filter selects.


def _case_filter(filters: FigureFilters, prefix: str = "") -> Q:
    """The unit, grid and category conditions, on cases (or, with ``prefix="case__"``, on the
    case of a survey round). A merged case belongs to the unit of the case it joined."""
    conditions: dict[str, Any] = {}
    if filters.grid_id is not None:
        conditions[f"{prefix}grid_id"] = filters.grid_id
    if filters.category_prefix:
        conditions[f"{prefix}category__startswith"] = filters.category_prefix
    q = Q(**conditions)
    if filters.unit_id is not None:
        if prefix:
            q &= _where(f"{prefix}unit_id", filters.unit_id)
        else:
            of_unit = Case.filter(unit_id=filters.unit_id).values("id")
            q &= Q(duplicate_of_id__isnull=True, unit_id=filters.unit_id) | Q(
                duplicate_of_id__in=Subquery(of_unit)
            )
    return q


def _where(condition: str, value: Any) -> Q:
    """``Q`` of one condition whose name is built at run time."""
    conditions: dict[str, Any] = {condition: value}
    return Q(**conditions)


def _cases(filters: FigureFilters) -> QuerySet[Case]:
    return Case.filter(_case_filter(filters))


def _created_in(filters: FigureFilters) -> QuerySet[Case]:
    return _cases(filters).filter(created_at__gte=filters.since, created_at__lt=filters.until)


async def _grouped(
    query: QuerySet[Any], key: str | RawSQL, aggregates: Mapping[str, Count]
) -> dict[Any, dict[str, int]]:
    """``{group: {aggregate: value}}``, grouped by a column or by a SQL expression."""
    if isinstance(key, RawSQL):
        query = query.annotate(_group=key)
        key = "_group"
    # Aliased: an annotation named like a column ("late") would capture filters on the column.
    aliased = {f"_n_{name}": aggregate for name, aggregate in aggregates.items()}
    rows = await query.annotate(**aliased).group_by(key).values(key, *aliased)
    return {row[key]: {name: int(row[f"_n_{name}"] or 0) for name in aggregates} for row in rows}


def _day(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


# Each figure, grouped by unit (the total is their sum) and by day.


async def _deadline_figure(
    filters: FigureFilters, now: datetime, key: str, due: str, done: str, miss: str
) -> tuple[dict[int | None, Rate], dict[date, Rate]]:
    """Met / due for a deadline column ``due`` and the time ``done`` it is met by."""
    query = _cases(filters).filter(
        _where(f"{due}__gte", filters.since),
        _where(f"{due}__lt", filters.until),
        _where(f"{due}__lt", now) | _where(f"{done}__isnull", False),
    )
    # A withdrawn case keeps its deadlines, but nobody owed it anything after it was withdrawn.
    # (A merged case has none: it is handled with the case it joined.)
    query = query.exclude(status=CaseStatus.CANCELLED)
    aggregates = {
        "due": Count("id"),
        "met": Count("id", _filter=_where(f"{done}__lte", F(due))),
        "late": Count("id", _filter=_where(f"{done}__gt", F(due))),
        miss: Count("id", _filter=_where(f"{done}__isnull", True)),
    }

    def rate(counts: Mapping[str, int]) -> Rate:
        parts = {name: counts[name] for name in ("met", "late", miss)}
        return Rate(key, counts["met"], counts["due"], parts)

    by_unit = await _grouped(query, "unit_id", aggregates)
    by_day = await _grouped(query, _local_day_sql("cases", due), aggregates)
    return (
        {unit: rate(counts) for unit, counts in by_unit.items()},
        {_day(day): rate(counts) for day, counts in by_day.items()},
    )


@dataclass(frozen=True)
class _Repeats:
    by_unit: dict[int | None, Rate]
    by_day: dict[date, Rate]
    volume_by_unit: dict[int | None, int]  # withdrawn cases included
    volume_by_day: dict[date, int]


async def _repeats(filters: FigureFilters) -> _Repeats:
    """Repeat rates by unit and by day, and the volumes that come with the same queries."""
    period = _created_in(filters)
    cancelled = Q(status=CaseStatus.CANCELLED)
    own = await _grouped(
        period.filter(duplicate_of_id__isnull=True),
        "unit_id",
        {"cases": Count("id"), "cancelled": Count("id", _filter=cancelled)},
    )
    joined = await _grouped(
        period.filter(duplicate_of_id__isnull=False),
        "duplicate_of__unit_id",
        {"repeats": Count("id")},
    )
    result = _Repeats({}, {}, {}, {})
    for unit in own.keys() | joined.keys():
        counts = own.get(unit, {"cases": 0, "cancelled": 0})
        repeats = joined.get(unit, {"repeats": 0})["repeats"]
        cases = counts["cases"] - counts["cancelled"] + repeats
        result.by_unit[unit] = _repeat_rate(repeats, cases)
        result.volume_by_unit[unit] = counts["cases"] + repeats
    days = await _grouped(
        period,
        _local_day_sql("cases", "created_at"),
        {
            "all": Count("id"),
            "cancelled": Count("id", _filter=cancelled),
            "repeats": Count("id", _filter=Q(duplicate_of_id__isnull=False)),
        },
    )
    for key, counts in days.items():
        day = _day(key)
        result.by_day[day] = _repeat_rate(counts["repeats"], counts["all"] - counts["cancelled"])
        result.volume_by_day[day] = counts["all"]
    return result


def _repeat_rate(repeats: int, cases: int) -> Rate:
    return Rate(config.REPEAT, repeats, cases, {"cases": cases, "repeats": repeats})


async def _satisfaction(
    filters: FigureFilters,
) -> tuple[dict[int | None, Rate], dict[date, Rate], SurveyShares]:
    rounds = Survey.filter(
        _case_filter(filters, "case__"),
        due_at__gte=filters.since,
        due_at__lt=filters.until,
        status__in=list(FINISHED_ROUNDS),
    )
    answered = Q(status=SurveyStatus.ANSWERED)
    aggregates = {
        "finished": Count("id"),
        "satisfied": Count("id", _filter=answered & Q(answer=SurveyAnswer.SATISFIED)),
        "basically": Count("id", _filter=answered & Q(answer=SurveyAnswer.BASICALLY)),
        "unsatisfied": Count("id", _filter=answered & Q(answer=SurveyAnswer.UNSATISFIED)),
        "unrated": Count("id", _filter=Q(status=SurveyStatus.UNRATED)),
        "unreachable": Count("id", _filter=Q(status=SurveyStatus.UNREACHABLE)),
        "late": Count("id", _filter=Q(status=SurveyStatus.UNRATED, late=True)),
    }

    def rate(counts: Mapping[str, int]) -> Rate:
        parts = {name: counts[name] for name in ("satisfied", "basically", "unsatisfied")}
        valid = sum(parts.values())
        score = counts["satisfied"] + config.BASICALLY_WEIGHT * counts["basically"]
        return Rate(config.SATISFACTION, score, valid, parts)

    by_unit = await _grouped(rounds, "case__unit_id", aggregates)
    by_day = await _grouped(rounds, _local_day_sql("surveys", "due_at"), aggregates)
    totals = {name: sum(counts[name] for counts in by_unit.values()) for name in aggregates}
    shares = SurveyShares(
        finished=totals["finished"],
        answered=totals["satisfied"] + totals["basically"] + totals["unsatisfied"],
        unrated=totals["unrated"],
        unreachable=totals["unreachable"],
        late_answers=totals["late"],
    )
    return (
        {unit: rate(counts) for unit, counts in by_unit.items()},
        {_day(day): rate(counts) for day, counts in by_day.items()},
        shares,
    )


async def _reopen(filters: FigureFilters) -> Rate:
    completed = Q(completed_at__isnull=False) | Q(reopened_count__gt=0)
    rows = await _grouped(
        _created_in(filters).filter(completed),
        "unit_id",
        {"completed": Count("id"), "reopened": Count("id", _filter=Q(reopened_count__gt=0))},
    )
    done = sum(counts["completed"] for counts in rows.values())
    again = sum(counts["reopened"] for counts in rows.values())
    return Rate(REOPEN, again, done, {"completed": done, "reopened": again})


async def _median(filters: FigureFilters, column: str) -> Median:
    """The median of ``column - created_at`` (of the two middle ones, their mean).

    PostgreSQL has ``percentile_cont``; SQLite counts, then reads the middle rows in order.
    """
    reached = _created_in(filters).filter(_where(f"{column}__isnull", False))
    seconds = _seconds_between_sql("created_at", column)
    if _dialect() == "postgres":
        # No join in ``reached`` (the unit filter is a subquery), so this stays one row.
        median = RawSQL(f"percentile_cont(0.5) WITHIN GROUP (ORDER BY {seconds})")
        [row] = await reached.annotate(_n=Count("id"), _median=median).values("_n", "_median")
        count, value = int(row["_n"]), row["_median"]
        return Median(count, None if value is None else max(0.0, float(value)))
    count = await reached.count()
    if not count:
        return Median(0, None)
    middle = (
        await reached.annotate(_seconds=RawSQL(seconds))
        .order_by("_seconds", "id")
        .offset((count - 1) // 2)
        .limit(1 if count % 2 else 2)
        .values_list("_seconds", flat=True)
    )
    values = [float(value) for value in cast(list[Any], middle)]
    return Median(count, max(0.0, sum(values) / len(values)))


async def _breakdown(filters: FigureFilters, column: str) -> dict[Any, int]:
    rows = await _grouped(_created_in(filters), column, {"n": Count("id")})
    return {key: counts["n"] for key, counts in rows.items()}


def _buckets(
    counts: Mapping[Any, int], labels: Mapping[Any, tuple[str, str]]
) -> tuple[Bucket, ...]:
    """Largest first, then by key."""
    buckets = [
        Bucket(*labels.get(key, (str(key or ""), str(key or ""))), count)
        for key, count in counts.items()
        if count
    ]
    return tuple(sorted(buckets, key=lambda b: (-b.count, b.key)))


Names = dict[int, tuple[str, str, bool]]  # id -> (code, name, active)


async def _names(model: type[Unit] | type[Grid]) -> Names:
    rows = await model.all().values("id", "code", "name", "active")
    return {row["id"]: (row["code"], row["name"], row["active"]) for row in rows}


async def _volume(
    filters: FigureFilters, by_unit: Mapping[int | None, int], units: Names
) -> Volume:
    grids = await _names(Grid)
    kinds = await _breakdown(filters, "kind")
    categories: dict[str, int] = {}
    for category, count in (await _breakdown(filters, "category")).items():
        first = str(category or "").split("/", 1)[0]
        categories[first] = categories.get(first, 0) + count
    statuses = await _breakdown(filters, "status")
    grid_counts = await _breakdown(filters, "grid_id")
    return Volume(
        total=sum(statuses.values()),
        by_kind=_buckets(kinds, {code: (code, label) for code, label in KIND_LABELS.items()}),
        by_category=_buckets(categories, {"": ("", NO_CATEGORY_LABEL)}),
        by_grid=_buckets(
            grid_counts,
            {None: ("", NO_GRID_LABEL)} | {i: (c, n) for i, (c, n, _) in grids.items()},
        ),
        by_unit=_buckets(
            by_unit,
            {None: ("", NO_UNIT_LABEL)} | {i: (c, n) for i, (c, n, _) in units.items()},
        ),
        by_status=_buckets(
            {CaseStatus(status).value: n for status, n in statuses.items()},
            {status.value: (status.value, status.label) for status in CaseStatus},
        ),
    )


def _sum(key: str, rates: Iterable[Rate]) -> Rate:
    total = empty_rate(key)
    for rate in rates:
        total = total + rate
    return total


async def compute_figures(filters: FigureFilters, now: datetime) -> Figures:
    """Every figure for ``filters`` as decided at ``now``."""
    fc_units, fc_days = await _deadline_figure(
        filters, now, config.FIRST_CONTACT, "first_contact_due_at", "first_contact_at", "missing"
    )
    ot_units, ot_days = await _deadline_figure(
        filters, now, config.ON_TIME, "completion_due_at", "completed_at", "overdue"
    )
    repeats = await _repeats(filters)
    sa_units, sa_days, shares = await _satisfaction(filters)
    per_unit = {
        config.FIRST_CONTACT: fc_units,
        config.ON_TIME: ot_units,
        config.REPEAT: repeats.by_unit,
        config.SATISFACTION: sa_units,
    }
    per_day = {
        config.FIRST_CONTACT: fc_days,
        config.ON_TIME: ot_days,
        config.REPEAT: repeats.by_day,
        config.SATISFACTION: sa_days,
    }
    rates = {key: _sum(key, per_unit[key].values()) for key in config.RATE_KEYS}
    names = await _names(Unit)
    volume = await _volume(filters, repeats.volume_by_unit, names)
    units = _unit_rows(filters, per_unit, repeats.volume_by_unit, names)
    days = tuple(
        DayFigures(
            day=day,
            cases=repeats.volume_by_day.get(day, 0),
            rates={key: per_day[key].get(day) or empty_rate(key) for key in config.RATE_KEYS},
        )
        for day in filters.days
    )
    return Figures(
        filters=filters,
        now=now,
        rates=rates,
        survey=shares,
        reopen=await _reopen(filters),
        medians={
            name: await _median(filters, column) for name, column in MEDIAN_MILESTONES.items()
        },
        volume=volume,
        units=units,
        days=days,
    )


def _unit_rows(
    filters: FigureFilters,
    per_unit: Mapping[str, Mapping[int | None, Rate]],
    volume: Mapping[int | None, int],
    names: Names,
) -> tuple[UnitFigures, ...]:
    """One row per unit: every active unit (none left out for having no cases), every other
    unit with something counted, and the dispatcher queue when it has something."""
    wanted: set[int | None] = set(volume)
    for rates in per_unit.values():
        wanted |= set(rates)
    if filters.unit_id is not None:
        wanted = {filters.unit_id}
    else:
        wanted |= {unit_id for unit_id, (_, _, active) in names.items() if active}
    rows = []
    for unit_id in wanted:
        code, name, _ = names.get(unit_id, ("", NO_UNIT_LABEL, False)) if unit_id else _QUEUE
        rows.append(
            UnitFigures(
                unit_id=unit_id,
                code=code,
                name=name,
                cases=volume.get(unit_id, 0),
                rates={
                    key: per_unit[key].get(unit_id) or empty_rate(key) for key in config.RATE_KEYS
                },
            )
        )
    rows.sort(key=lambda row: (row.unit_id is None, row.code))
    return tuple(rows)
