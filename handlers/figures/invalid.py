"""无效件数: how many cases were closed as 不予受理, by unit and by reason.

Counted by the day the case was closed as invalid (``closed_at`` in the period), over the cases
the filters select; a case restored afterwards (恢复受理) is no longer invalid and not counted.
The rule that invalid cases leave the rates is in ``handlers/figures/compute.py``.
"""

from __future__ import annotations

from tortoise.expressions import RawSQL
from tortoise.functions import Count
from tortoise.queryset import QuerySet

from config.invalid import ALL_REASONS_BY_CODE, INVALID_REASONS, REASONS_BY_CODE
from handlers.figures.asof import AsOf
from handlers.figures.filters import FigureFilters
from handlers.figures.results import Bucket, InvalidCounts
from models import Case, CaseStatus


async def count_invalid(
    cases: QuerySet[Case], filters: FigureFilters, asof: AsOf | None = None
) -> InvalidCounts:
    """``cases``: the cases the filters select (unit, grid, category), any time. For a closed
    month (``asof``), the cases invalid at its end: one closed as invalid after the end is not
    counted (its ``closed_at`` lies after the period anyway)."""
    closed = cases.filter(closed_at__gte=filters.since, closed_at__lt=filters.until)
    if asof is None or asof.live:
        closed = closed.filter(status=CaseStatus.INVALID)
    else:
        invalid = f"CASE WHEN {asof.status()} = '{CaseStatus.INVALID.value}' THEN 1 ELSE 0 END"
        closed = closed.annotate(_invalid=RawSQL(invalid)).filter(_invalid=1)
    rows = (
        await closed.annotate(n=Count("id"))
        .group_by("unit_id", "invalid_reason")
        .values("unit_id", "invalid_reason", "n")
    )
    by_unit: dict[int | None, int] = {}
    by_reason: dict[str, int] = {}
    for row in rows:
        count = int(row["n"])
        by_unit[row["unit_id"]] = by_unit.get(row["unit_id"], 0) + count
        code = str(row["invalid_reason"] or "")
        by_reason[code] = by_reason.get(code, 0) + count
    buckets = [
        Bucket(reason.code, reason.label, by_reason.get(reason.code, 0))
        for reason in INVALID_REASONS
    ]
    buckets += [
        Bucket(
            code,
            ALL_REASONS_BY_CODE[code].label if code in ALL_REASONS_BY_CODE else code or "未注明",
            n,
        )
        for code, n in by_reason.items()
        if code not in REASONS_BY_CODE
    ]
    return InvalidCounts(sum(by_reason.values()), by_unit, tuple(buckets))
