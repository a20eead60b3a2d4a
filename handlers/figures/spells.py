"""先行联系率 and 按时办结率 charged to the unit's own spells (``UnitSpell``, issue 16).

A spell is the time a case spent with one unit, with the deadlines that unit owed. Each spell
is judged against its own deadline, by the Shanghai day of that deadline (the definitions are
in ``handlers/figures/compute.py``):

- *due*: the deadline lies in the period and its outcome is known at ``now``: the spell
  recorded the milestone (made or late), or the deadline passed while the case was still with
  the unit (the spell had not ended, or ended after the deadline): a miss.
- a spell that ended (退单 approved, 改派, 并案) before its deadline without the milestone is
  not due: the unit was not given the time it was owed. With the milestone recorded before it
  ended it counts as made.
- a spell closed by 重办 is left out of 按时办结率: its result did not hold. The spell 重办 opens
  for the same unit is judged by its fresh completion deadline instead.

Cases that have no spell at all (history from before spells were written) are counted from the
case's own fields the same way. With an :class:`AsOf` instant (a closed month) every deadline,
time and status is read as it stood then (``handlers/figures/asof.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

from tortoise.expressions import RawSQL, Subquery
from tortoise.queryset import QuerySet

from handlers.figures.asof import CASES, SPELLS, AsOf, literal
from handlers.figures.filters import FigureFilters
from handlers.figures.results import Rate
from handlers.figures.sql import as_day, counted, local_day_of, where
from models import Case, CaseStatus, UnitSpell

# Cases that leave the rates' denominators: withdrawn (已撤销) and invalid (不予受理).
SET_ASIDE = [CaseStatus.CANCELLED.value, CaseStatus.INVALID.value]
# The deadline each due column is (``DeadlineChange.deadline``).
DEADLINES = {"first_contact_due_at": "first_contact", "completion_due_at": "completion"}

Counts = dict[Any, dict[str, int]]


def with_spells(asof: AsOf) -> Subquery:
    """The ids of cases that have at least one spell (they are counted by their spells)."""
    spells = UnitSpell.all() if asof.live else UnitSpell.filter(started_at__lte=asof.at)
    return Subquery(spells.distinct().values("case_id"))


def _not_aside(query: QuerySet[Any], asof: AsOf, case_id: str, status: str) -> QuerySet[Any]:
    if asof.live:
        return query
    return query.annotate(_aside=RawSQL(asof.set_aside(case_id, status))).filter(_aside=0)


def _spells(filters: FigureFilters, asof: AsOf) -> QuerySet[UnitSpell]:
    """The spells of the unit (if any) on cases of the grid and category, withdrawn and invalid
    cases left out. The case conditions are a subquery: a join would make the spell's deadline
    columns ambiguous in the comparisons."""
    conditions: dict[str, Any] = {}
    if filters.grid_id is not None:
        conditions["grid_id"] = filters.grid_id
    if filters.category_prefix:
        conditions["category__startswith"] = filters.category_prefix
    cases = Case.filter(**conditions)
    if asof.live:
        cases = cases.exclude(status__in=SET_ASIDE)
    else:
        cases = _not_aside(cases, asof, f'{CASES}."id"', f'{CASES}."status"')
    query = UnitSpell.filter(case_id__in=Subquery(cases.values("id")))
    if not asof.live:
        query = query.filter(started_at__lte=asof.at)
    return query if filters.unit_id is None else query.filter(unit_id=filters.unit_id)


def _take_and_outcome(
    filters: FigureFilters, now: datetime, due: str, done: str, ended: str | None, miss: str
) -> tuple[RawSQL, RawSQL]:
    """Whether a record is due in the period with its outcome known at ``now`` (1/0), and the
    outcome: ``met``, ``late`` or ``miss``."""
    held = f"(({ended}) IS NULL OR ({ended}) > ({due}))" if ended else "1 = 1"
    known = f"(({done}) IS NOT NULL OR (({due}) < {literal(now)} AND {held}))"
    take = (
        f"CASE WHEN ({due}) >= {literal(filters.since)} AND ({due}) < {literal(filters.until)} "
        f"AND {known} THEN 1 ELSE 0 END"
    )
    outcome = (
        f"CASE WHEN ({done}) IS NULL THEN '{miss}' "
        f"WHEN ({done}) <= ({due}) THEN 'met' ELSE 'late' END"
    )
    return RawSQL(take), RawSQL(outcome)


async def _tally(
    query: QuerySet[Any], unit: str | RawSQL, due: str, outcome: RawSQL, miss: str
) -> tuple[Counts, Counts]:
    """``due``, ``met``, ``late`` and ``miss`` counts by unit and by the deadline's day."""

    def add(into: Counts, key: Any, name: str, n: int) -> None:
        counts = into.setdefault(key, {"due": 0, "met": 0, "late": 0, miss: 0})
        counts[name] += n
        counts["due"] += n

    by_unit: Counts = {}
    by_day: Counts = {}
    for (key, name), n in await counted(query, unit=unit, outcome=outcome):
        add(by_unit, key, str(name), n)
    for (key, name), n in await counted(query, day=local_day_of(due), outcome=outcome):
        add(by_day, as_day(key), str(name), n)
    return by_unit, by_day


async def spell_deadlines(
    filters: FigureFilters, now: datetime, due: str, done: str, miss: str, asof: AsOf
) -> tuple[Counts, Counts]:
    """``met``, ``late``, ``miss`` and ``due`` counts of spells, by unit and by deadline day."""
    due_sql = asof.deadline(SPELLS, due, "spell_id", DEADLINES[due])
    take, outcome = _take_and_outcome(
        filters, now, due_sql, asof.spell_done(done), asof.spell_ended(), miss
    )
    query = _spells(filters, asof)
    if asof.live:  # the deadline is the column: its range narrows the scan
        query = query.filter(
            where(f"{due}__gte", filters.since), where(f"{due}__lt", filters.until)
        )
    if done == "completed_at":
        # 重办: the result did not hold, so the spell it closed is not judged on completion;
        # the new spell of the same unit is, by its fresh deadline. (Its first contact stands.)
        reopened = (
            f"CASE WHEN {SPELLS}.\"end_reason\" = 'reopened' "
            f"AND ({asof.spell_ended()}) IS NOT NULL THEN 1 ELSE 0 END"
        )
        query = query.annotate(_reopened=RawSQL(reopened)).filter(_reopened=0)
    query = query.annotate(_take=take).filter(_take=1)
    return await _tally(query, "unit_id", due_sql, outcome, miss)


async def case_deadlines(
    cases: QuerySet[Case], filters: FigureFilters, now: datetime, due: str, done: str, miss: str,
    asof: AsOf,
) -> tuple[Counts, Counts]:  # fmt: skip
    """The same counts for ``cases`` (of the filters) that have no spell, from their own fields,
    for the unit that has them."""
    due_sql = asof.deadline(CASES, due, "case_id", DEADLINES[due])
    done_sql = (
        asof.completion(CASES, f'{CASES}."id"')
        if done == "completed_at"
        else asof.milestone(CASES, done)
    )
    take, outcome = _take_and_outcome(filters, now, due_sql, done_sql, None, miss)
    # A withdrawn case keeps its deadlines, but nobody owed it anything after it was withdrawn;
    # an invalid one (不予受理) was owed nothing at all. (A merged case has none: it is handled
    # with the case it joined.)
    if asof.live:
        query = cases.exclude(status__in=SET_ASIDE).filter(
            where(f"{due}__gte", filters.since), where(f"{due}__lt", filters.until)
        )
    else:
        query = _not_aside(cases, asof, f'{CASES}."id"', f'{CASES}."status"')
    query = query.filter(id__not_in=with_spells(asof)).annotate(_take=take).filter(_take=1)
    return await _tally(query, "unit_id", due_sql, outcome, miss)


async def deadline_figure(
    cases: QuerySet[Case],
    filters: FigureFilters,
    now: datetime,
    asof: AsOf,
    key: str,
    due: str,
    done: str,
    miss: str,
) -> tuple[dict[int | None, Rate], dict[date, Rate]]:
    """Met / due for a deadline column ``due`` and the time ``done`` it is met by: the spells,
    and the cases without any."""

    def rate(counts: Mapping[str, int]) -> Rate:
        parts = {name: counts[name] for name in ("met", "late", miss)}
        return Rate(key, counts["met"], counts["due"], parts)

    case_units, case_days = await case_deadlines(cases, filters, now, due, done, miss, asof)
    spell_units, spell_days = await spell_deadlines(filters, now, due, done, miss, asof)
    return merged(case_units, spell_units, rate), merged(case_days, spell_days, rate)


def merged(
    cases: Mapping[Any, Mapping[str, int]],
    spells: Mapping[Any, Mapping[str, int]],
    rate: Callable[[Mapping[str, int]], Rate],
) -> dict[Any, Rate]:
    """Counts from cases without spells and from spells, added up per key."""
    result: dict[Any, Rate] = {}
    for source in (cases, spells):
        for key, counts in source.items():
            result[key] = result[key] + rate(counts) if key in result else rate(counts)
    return result
