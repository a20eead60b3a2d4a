"""重办率 per unit: cases reopened at least once / cases completed at least once (the definition is
in ``handlers/figures/compute.py``), read at ``now`` or, for a closed month, at its end."""

from __future__ import annotations

from typing import Any

from tortoise.expressions import RawSQL
from tortoise.queryset import QuerySet

from handlers.figures.asof import CASES, AsOf
from handlers.figures.results import REOPEN, Rate
from handlers.figures.sql import counted
from models import Case


def reopen_rate(completed: int, reopened: int) -> Rate:
    return Rate(REOPEN, reopened, completed, {"completed": completed, "reopened": reopened})


async def reopen_by_unit(cases: QuerySet[Case], asof: AsOf) -> dict[Any, Rate]:
    """Per unit holding them, of ``cases`` (created in the period)."""
    reopened = asof.reopened()
    done = asof.completion(CASES, f'{CASES}."id"')
    completed = f"CASE WHEN ({done}) IS NOT NULL OR ({reopened}) = 1 THEN 1 ELSE 0 END"
    query = cases.annotate(_completed=RawSQL(completed)).filter(_completed=1)
    counts: dict[Any, list[int]] = {}
    for (unit, again), n in await counted(query, unit=RawSQL(asof.unit()), again=RawSQL(reopened)):
        pair = counts.setdefault(unit, [0, 0])
        pair[0] += n
        pair[1] += n if int(again or 0) else 0
    return {unit: reopen_rate(done_, again) for unit, (done_, again) in counts.items()}
