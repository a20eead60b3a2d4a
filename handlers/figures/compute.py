"""The figures units are judged by (考核指标): what each one counts, and the queries that count it.

Everything is aggregated in the database (grouped counts, conditional counts, medians by
offset), never by loading cases, so a year of a district's cases costs a few dozen indexed
queries. SQLite and PostgreSQL give the same answers.

**The period** is ``[from, to)`` in Shanghai days: from 00:00 Asia/Shanghai of ``from`` to 00:00
of ``to``. ``now`` is injected; a figure only counts what is decided at ``now`` (for a closed
month, at its end: "What is frozen" below).

**Which cases, which unit.** A case counts for the unit that has it now (for a closed month: at
its end, see "What is frozen"; after 退单 and 改派, the unit it went to; a case waiting in the
dispatcher queue counts for the district and for no unit), except in 先行联系率 and 按时办结率,
which count each unit's own spells (below). A case merged into another (已并案) counts for the
unit of the case it joined. The grid is
the case's own; the category filter is a prefix of the case's category path (``城乡建设`` or
``城乡建设/市容环卫``). Withdrawn cases (已撤销) count in the volume and nowhere else.

**Invalid cases (不予受理)** count in the volume and in 无效件数, and leave every rate: they are
out of the denominators of 先行联系率 and 按时办结率 (nobody owed them a contact or a result),
of 重复率 (neither a case nor a repeat) and of 满意率 (a round answered before the case was
found invalid is not counted). 无效件数 counts the cases closed as invalid in the period (by
the day they were closed, ``closed_at``), by unit and by reason (``handlers/figures/invalid.py``);
a case whose invalid close was undone (恢复受理) is not counted.

**先行联系率 (first-contact rate)** = contacted in time / due for first contact, counted over
*deadline records*: the unit spells (``UnitSpell``, ``handlers/figures/spells.py``) of every case
that has at least one, and the case itself for a case without any spell (history from before
spells were written).

- A *spell* is the time a case spent with one unit, from 派单 or 改派 until it left (退单
  approved, 改派, 并案) or was finished there, with the deadlines that unit owed
  (``first_contact_due_at``) and what it did by them (``first_contact_at``). It counts for
  *its* unit (``UnitSpell.unit``), not for the unit that has the case now: time spent with a
  unit that returned the case is charged to that unit, never to the next one, which is judged
  by its own, fresh deadlines.
- *due*: the record's deadline lies in the period (by the deadline's Shanghai day) and its
  outcome is known at ``now``: the contact is recorded, or the deadline has passed while the
  unit held the case (for a spell: it has not ended, or ended after the deadline; for a case
  without spells: the deadline has passed). So a record contacted early counts as made at
  once, one not yet contacted whose deadline is still ahead is not counted yet, and one whose
  deadline passed without contact is a miss.
- A spell that ended (the case returned or moved) *before* its deadline without a contact is
  not due: the unit was not given the time it was owed, and nothing is charged to it. With the
  contact recorded before it ended it is due and counts as made.
- *in time* (``met``): ``first_contact_at <= first_contact_due_at``; misses are ``late``
  (contacted after the deadline) or ``missing`` (deadline passed, no contact).
- Withdrawn (已撤销) and invalid (不予受理) cases are left out, with all their spells.

**按时办结率 (on-time completion rate)** = completed in time / due for completion, the same way
with ``completion_due_at`` and ``completed_at`` (of the spell, or of a case without spells):
records already overdue are misses (``overdue``), ones finished after the deadline too
(``late``). An approved extension (延期) moves the deadline of the record it was granted in
(every such move is a ``DeadlineChange`` with who and why, ``handlers/workflow/spells.py``). A
reopened case (重办) is judged by its latest completion against its fresh deadline: the
earlier result did not hold, so it does not count.

**What is frozen.** A live computation (``compute_figures(filters, now)``) counts the rows as
they are at ``now``, so an extension, a reopening or a correction made later can still change a
past period's live figures. A closed month does not change: ``jiesu figures close-month`` (or
the sweep on the first working day of the next month) stores the month's figures, district-wide
and per unit, and the ranking (``FigureSnapshot``, ``handlers/figures/snapshots.py``, with the
version of these definitions, ``config.figures.DEFINITIONS_VERSION``), computed **as of the
month's end** ``C`` (00:00 Asia/Shanghai of the 1st of the next month), whatever day the close
runs: ``compute_figures(filters, now, as_of=C)``. Every rule above and below is then applied to
the rows as they stood at ``C`` (``handlers/figures/asof.py``, in the database):

- *deadlines*: the one in force at ``C``: a deadline moved after ``C`` (an approved 延期, the
  LLM's re-grading) is read from its first ``DeadlineChange`` after ``C`` (``old_at``); a spell
  opened after ``C`` (改派, 重办, 退单 approved to a unit) did not exist, and one ended after ``C``
  had not ended. "The deadline has passed" means before ``C``.
- *what was done*: a first contact, a completion (办结), a signing after ``C`` had not happened;
  a completion undone after ``C`` (审核退回, 重办) still stood: it is the latest 办结 event by
  ``C`` not undone by ``C``.
- *statuses*: a case withdrawn (撤销), closed as invalid (不予受理) or restored after ``C`` has the
  status it had at ``C`` (from its first status-changing event after ``C``), for every rate.
- *units*: a case counts (volume, 重复率, 满意率, 重办率, and the unit filter of those) for the
  unit that held it at ``C``: its latest spell started by ``C`` (the dispatcher queue when that
  spell had been returned by ``C``, or when no spell had started yet); a case merged after
  ``C`` counts as its own case, for its own unit, not as 集中诉求.
- *重办率*: reopenings after ``C`` did not happen (``reopened_count`` less the 重办 events after
  ``C``).
- *满意率*: a round counts only as it stood at ``C``: answered if the answer was *recorded* by
  ``C`` (``Survey.recorded_at``; ``answered_at`` for rows from before it was kept, so a phone
  answer written down after ``C`` with an earlier ``answered_at`` does not count), 未评价 if it
  closed by ``C``, unreachable if asked by ``C``. **A round due in the month but answered after
  its end was still open at ``C``: it counts nowhere in the closed month** (not in 满意率, not in
  the finished shares), and since rounds count by their due day, it shows only in a live
  computation of that month, never in the next one. A late answer counts as late only if
  recorded by ``C``.
- *where a later change shows*: by each figure's own day: an extension approved on the 1st moves
  the deadline into the period of its new day (a miss of the closed month stays a miss there,
  and the new deadline is judged in its own month); a reopening opens a spell whose deadline is
  judged in its month; a late contact or answer belongs to its deadline's or round's month and
  shows only in a live computation of it; 重复诉求 are dated by the link (always inside).
- *not rolled back* (the row as it is at the close): the kind, category and grid of a case (a
  改类 after ``C`` moves a case between categories of the closed month's volume and filters);
  a merge undone (拆分) after ``C`` (the case counts as its own case: the merge's target is not
  kept on the row); 无效件数 of a case restored (恢复受理) after ``C`` (the restore clears its
  invalid close; the rates still leave it out as invalid at ``C``); a signing after ``C`` that
  replaced an earlier one (after a 退单) hides the earlier one from the median time to sign;
  a survey round that was unreachable at ``C`` and answered later counts nowhere; a case without
  any spell (history from before spells) counts for the unit it has now; deadline changes made
  before deadline records were kept (migration 0020) cannot be rolled back: the spell's
  deadline now is taken as in force.

The admin API and the dashboard answer a whole closed month (1st to 1st, no grid or category
filter) from the snapshot and say so; its JSON has ``as_of`` (the month's end) beside
``computed_at`` (when the close ran). With ``as_of=now`` the as-of reading is the live one.

**重复率 (repeat rate)** = 重复诉求 / cases.

- *cases*: created in the period, withdrawn and invalid ones excepted; reports merged into an
  open case count as cases of the unit of the case they joined.
- *重复诉求* (repeats): a problem that came back after 办结: a report about a case closed within
  ``repeat_window_days`` (30), linked to it (``CaseLink`` of kind ``repeat``,
  ``handlers/intake/repeats.py``), whether it reopened the original or opened a linked case.
  Counted by the day the repeat came (``CaseLink.at``) against the unit the original had then,
  so a closed period's count never changes afterwards.
- *集中诉求* (``concentrated`` in the rate's parts): reports merged into an open case about the
  same problem (并案, ``duplicate_of``; ``handlers/intake/duplicates.py``): many residents, one
  problem. Reported beside the rate, not in it. A merge undone (拆分) is not counted.
- The grid and category filters apply to the case repeated.

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

**Per unit, for the ranking** (``handlers/figures/ranking.py``): 不合理退单 = the unit's 退单
requests refused by the centre (``ReturnRequest`` status refused) decided in the period; 逾期延期
申请 = its 延期 requests made after the deadline (``ExtensionRequest.late``) created in the
period; 重办率 as above, over the unit's cases.

**Daily series**: each figure by the Shanghai day of its own time: volume and repeats by
creation, first contact and completion by deadline, satisfaction by the survey's due time.

Targets (``config/figures.py``): first contact and on time 100%, repeats under 3%,
satisfaction over 80%.

To use it (the admin API, the dashboard): ``FigureFilters(first_day, end_day, unit_id=...)``, or
:func:`resolve_filters` from the codes people type (both ``handlers/figures/filters.py``), then
``await compute_figures(filters, now)`` (a closed month: ``as_of=`` its end);
``Figures.as_dict()`` (``handlers/figures/results.py``, with ``Rate`` and the other values) is
what ``GET /api/admin/figures`` answers. A unit's staff
must only be given ``filters.with_unit(their unit)`` (``bot/api/figures.py`` forces it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

from tortoise.expressions import Q, RawSQL, Subquery
from tortoise.functions import Count
from tortoise.queryset import QuerySet

from config import figures as config
from config.lexicon import KIND_LABELS
from handlers.figures.asof import CASES, AsOf
from handlers.figures.filters import FigureFilters
from handlers.figures.invalid import count_invalid
from handlers.figures.reopen import reopen_by_unit, reopen_rate
from handlers.figures.results import (
    Bucket,
    DayFigures,
    Figures,
    Median,
    Rate,
    UnitFigures,
    Volume,
    empty_rate,
)
from handlers.figures.satisfaction import satisfaction
from handlers.figures.spells import deadline_figure
from handlers.figures.sql import (
    as_day,
    counted,
    dialect,
    grouped,
    local_day_sql,
    seconds_between_sql,
    where,
)
from models import (
    Case,
    CaseLink,
    CaseStatus,
    Grid,
    LinkKind,
    SurveyStatus,
    Unit,
)

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


# The cases and rounds a filter selects.


def _case_filter(filters: FigureFilters) -> Q:
    """The unit, grid and category conditions on cases. A merged case belongs to the unit of
    the case it joined."""
    conditions: dict[str, Any] = {}
    if filters.grid_id is not None:
        conditions["grid_id"] = filters.grid_id
    if filters.category_prefix:
        conditions["category__startswith"] = filters.category_prefix
    q = Q(**conditions)
    if filters.unit_id is not None:
        of_unit = Case.filter(unit_id=filters.unit_id).values("id")
        q &= Q(duplicate_of_id__isnull=True, unit_id=filters.unit_id) | Q(
            duplicate_of_id__in=Subquery(of_unit)
        )
    return q


def _cases(filters: FigureFilters) -> QuerySet[Case]:
    return Case.filter(_case_filter(filters))


def _unit_of(asof: AsOf) -> RawSQL:
    """The unit a case counts for in the volume and in 重复率: the one holding it, or for a
    merged case the one holding the case it joined."""
    return RawSQL(f"CASE WHEN {asof.merged()} = 1 THEN {asof.merged_unit()} ELSE {asof.unit()} END")


def _created_in(filters: FigureFilters, asof: AsOf) -> QuerySet[Case]:
    period = {"created_at__gte": filters.since, "created_at__lt": filters.until}
    if asof.live:
        return _cases(filters).filter(**period)
    query = Case.filter(_case_filter(filters.with_unit(None)), **period)
    if filters.unit_id is None:
        return query
    return query.annotate(_counted_for=_unit_of(asof)).filter(_counted_for=filters.unit_id)


# Each figure, grouped by unit (the total is their sum) and by day.


@dataclass(frozen=True)
class _Repeats:
    by_unit: dict[int | None, Rate]
    by_day: dict[date, Rate]
    volume_by_unit: dict[int | None, int]  # withdrawn cases included
    volume_by_day: dict[date, int]


def _repeat_links(filters: FigureFilters) -> QuerySet[CaseLink]:
    """重复诉求 that came in the period, filtered by the case they repeat (its grid and
    category) and by the unit it had when the repeat came."""
    conditions: dict[str, Any] = {
        "kind": LinkKind.REPEAT,
        "at__gte": filters.since,
        "at__lt": filters.until,
    }
    if filters.grid_id is not None:
        conditions["case__grid_id"] = filters.grid_id
    if filters.category_prefix:
        conditions["case__category__startswith"] = filters.category_prefix
    if filters.unit_id is not None:
        conditions["unit_id"] = filters.unit_id
    return CaseLink.filter(**conditions)


async def _repeats(filters: FigureFilters, asof: AsOf) -> _Repeats:
    """Repeat rates by unit and by day, and the volumes that come with the same queries."""
    period = _created_in(filters, asof)
    # Withdrawn or invalid: not cases of the rate. Merged (并案): 集中诉求, counted for the unit
    # of the case they joined.
    aside, merged = RawSQL(asof.set_aside()), RawSQL(asof.merged())
    unit = RawSQL(f"CASE WHEN {asof.merged()} = 1 THEN {asof.merged_unit()} ELSE {asof.unit()} END")
    units: dict[Any, dict[str, int]] = {}
    for (key, is_aside, is_merged), n in await counted(
        period, unit=unit, aside=aside, merged=merged
    ):
        counts = units.setdefault(key, {"cases": 0, "cancelled": 0, "merged": 0})
        if int(is_merged):
            counts["merged"] += n
        else:
            counts["cases"] += n
            counts["cancelled"] += n if int(is_aside) else 0
    # 重复诉求: problems that came back after 办结, for the unit the original had then.
    links = _repeat_links(filters)
    repeated = await grouped(links, "unit_id", {"repeats": Count("id")})
    result = _Repeats({}, {}, {}, {})
    empty = {"cases": 0, "cancelled": 0, "merged": 0}
    for key in units.keys() | repeated.keys():
        counts = units.get(key, empty)
        repeats = repeated.get(key, {"repeats": 0})["repeats"]
        cases = counts["cases"] - counts["cancelled"] + counts["merged"]
        result.by_unit[key] = _repeat_rate(repeats, cases, counts["merged"])
        result.volume_by_unit[key] = counts["cases"] + counts["merged"]
    days: dict[Any, dict[str, int]] = {}
    day = local_day_sql("cases", "created_at")
    for (key, is_aside, is_merged), n in await counted(period, day=day, aside=aside, merged=merged):
        counts = days.setdefault(key, {"all": 0, "cancelled": 0, "merged": 0})
        counts["all"] += n
        counts["cancelled"] += n if int(is_aside) else 0
        counts["merged"] += n if int(is_merged) else 0
    repeat_days = await grouped(links, local_day_sql("case_links", "at"), {"repeats": Count("id")})
    for key in days.keys() | repeat_days.keys():
        counts = days.get(key, {"all": 0, "cancelled": 0, "merged": 0})
        repeats = repeat_days.get(key, {"repeats": 0})["repeats"]
        cases = counts["all"] - counts["cancelled"]
        result.by_day[as_day(key)] = _repeat_rate(repeats, cases, counts["merged"])
        result.volume_by_day[as_day(key)] = counts["all"]
    return result


def _repeat_rate(repeats: int, cases: int, merged: int) -> Rate:
    parts = {"cases": cases, "repeats": repeats, "concentrated": merged}
    return Rate(config.REPEAT, repeats, cases, parts)


async def _reopen(filters: FigureFilters, asof: AsOf) -> Rate:
    rates = (await reopen_by_unit(_created_in(filters, asof), asof)).values()
    return reopen_rate(sum(r.denominator for r in rates), int(sum(r.numerator for r in rates)))


def _milestone(column: str, asof: AsOf) -> str:
    if column == "completed_at":
        return asof.completion(CASES, f'{CASES}."id"')
    return asof.milestone(CASES, column)


async def _median(filters: FigureFilters, column: str, asof: AsOf) -> Median:
    """The median of ``column - created_at`` (of the two middle ones, their mean).

    PostgreSQL has ``percentile_cont``; SQLite counts, then reads the middle rows in order.
    """
    reached = _created_in(filters, asof)
    if asof.live:
        reached = reached.filter(where(f"{column}__isnull", False))
        seconds = seconds_between_sql("created_at", column)
    else:
        value = _milestone(column, asof)
        reached = reached.annotate(_reached=RawSQL(value)).filter(_reached__not_isnull=True)
        seconds = seconds_between_sql(f'{CASES}."created_at"', f"({value})")
    if dialect() == "postgres":
        # No join in ``reached`` (the unit filter is a subquery), so this stays one row.
        median = RawSQL(f"percentile_cont(0.5) WITHIN GROUP (ORDER BY {seconds})")
        [row] = await reached.annotate(_n=Count("id"), _median=median).values("_n", "_median")
        count, value_ = int(row["_n"]), row["_median"]
        return Median(count, None if value_ is None else max(0.0, float(value_)))
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


async def _breakdown(filters: FigureFilters, column: str, asof: AsOf) -> dict[Any, int]:
    key: str | RawSQL = column
    if column == "status" and not asof.live:
        key = RawSQL(asof.status())
    rows = await grouped(_created_in(filters, asof), key, {"n": Count("id")})
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
    filters: FigureFilters, by_unit: Mapping[int | None, int], units: Names, asof: AsOf
) -> Volume:
    grids = await _names(Grid)
    kinds = await _breakdown(filters, "kind", asof)
    categories: dict[str, int] = {}
    for category, count in (await _breakdown(filters, "category", asof)).items():
        first = str(category or "").split("/", 1)[0]
        categories[first] = categories.get(first, 0) + count
    statuses = await _breakdown(filters, "status", asof)
    grid_counts = await _breakdown(filters, "grid_id", asof)
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


async def compute_figures(
    filters: FigureFilters, now: datetime, *, as_of: datetime | None = None
) -> Figures:
    """Every figure for ``filters`` as decided at ``now`` (live), or, with ``as_of`` (a closed
    month's end), from the rows as they stood at ``as_of``: what was recorded later is ignored.
    """
    asof = AsOf(as_of)
    decided = as_of or now
    cases = _cases(filters)
    fc_units, fc_days = await deadline_figure(
        cases, filters, decided, asof,
        config.FIRST_CONTACT, "first_contact_due_at", "first_contact_at", "missing",
    )  # fmt: skip
    ot_units, ot_days = await deadline_figure(
        cases, filters, decided, asof,
        config.ON_TIME, "completion_due_at", "completed_at", "overdue",
    )  # fmt: skip
    repeats = await _repeats(filters, asof)
    sa_units, sa_days, shares = await satisfaction(filters, asof)
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
    volume = await _volume(filters, repeats.volume_by_unit, names, asof)
    invalid = await count_invalid(cases, filters, asof)
    units = _unit_rows(filters, per_unit, repeats.volume_by_unit, names, invalid.by_unit)
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
        reopen=await _reopen(filters, asof),
        medians={
            name: await _median(filters, column, asof) for name, column in MEDIAN_MILESTONES.items()
        },
        volume=volume,
        units=units,
        days=days,
        invalid=invalid,
        as_of=as_of,
    )


def _unit_rows(
    filters: FigureFilters,
    per_unit: Mapping[str, Mapping[int | None, Rate]],
    volume: Mapping[int | None, int],
    names: Names,
    invalid: Mapping[int | None, int],
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
                invalid=invalid.get(unit_id, 0),
                rates={
                    key: per_unit[key].get(unit_id) or empty_rate(key) for key in config.RATE_KEYS
                },
            )
        )
    rows.sort(key=lambda row: (row.unit_id is None, row.code))
    return tuple(rows)
