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

Cases that have no spell at all (history from before spells were written) are counted from the
case's own fields, in ``compute.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from tortoise.expressions import F, Q, Subquery
from tortoise.functions import Count
from tortoise.queryset import QuerySet

from handlers.figures.filters import FigureFilters
from handlers.figures.sql import grouped, local_day_sql, where
from models import Case, CaseStatus, UnitSpell

# Cases that leave the rates' denominators: withdrawn (已撤销) and invalid (不予受理).
SET_ASIDE = [CaseStatus.CANCELLED.value, CaseStatus.INVALID.value]

Counts = dict[Any, dict[str, int]]


def with_spells() -> Subquery:
    """The ids of cases that have at least one spell (they are counted by their spells)."""
    return Subquery(UnitSpell.all().distinct().values("case_id"))


def _spells(filters: FigureFilters) -> QuerySet[UnitSpell]:
    """The spells of the unit (if any) on cases of the grid and category, withdrawn and invalid
    cases left out. The case conditions are a subquery: a join would make the spell's deadline
    columns ambiguous in the comparisons of ``F``."""
    conditions: dict[str, Any] = {}
    if filters.grid_id is not None:
        conditions["grid_id"] = filters.grid_id
    if filters.category_prefix:
        conditions["category__startswith"] = filters.category_prefix
    cases = Case.filter(**conditions).exclude(status__in=SET_ASIDE).values("id")
    query = UnitSpell.filter(case_id__in=Subquery(cases))
    return query if filters.unit_id is None else query.filter(unit_id=filters.unit_id)


async def spell_deadlines(
    filters: FigureFilters, now: datetime, due: str, done: str, miss: str
) -> tuple[Counts, dict[date, dict[str, int]]]:
    """``met``, ``late``, ``miss`` and ``due`` counts of spells, by unit and by deadline day."""
    passed_while_held = where(f"{due}__lt", now) & (
        Q(ended_at__isnull=True) | Q(ended_at__gt=F(due))
    )
    query = _spells(filters).filter(
        where(f"{due}__gte", filters.since),
        where(f"{due}__lt", filters.until),
        where(f"{done}__isnull", False) | passed_while_held,
    )
    aggregates: Mapping[str, Count] = {
        "due": Count("id"),
        "met": Count("id", _filter=where(f"{done}__lte", F(due))),
        "late": Count("id", _filter=where(f"{done}__gt", F(due))),
        miss: Count("id", _filter=where(f"{done}__isnull", True)),
    }
    by_unit = await grouped(query, "unit_id", aggregates)
    by_day = await grouped(query, local_day_sql("case_unit_spells", due), aggregates)
    return by_unit, by_day
