"""Closed months (冻结): a month's figures stored as they stood when it was closed.

``close_month`` computes the month's figures district-wide and per unit, and the ranking, with
the definitions of ``handlers/figures/compute.py``, from the rows as they stood at the month's
end (00:00 Asia/Shanghai of the 1st of the next month) whatever day it runs, and stores them
(``FigureSnapshot``). Closing a month twice is refused; ``recompute=True`` (an admin's
``jiesu figures close-month --recompute``) replaces the stored figures, audited. The figures API
and the dashboard answer a whole closed month from its snapshot, any other period live.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from config import figures as config
from handlers.figures.compute import compute_figures
from handlers.figures.filters import FigureFilterError, FigureFilters, local_midnight
from handlers.figures.ranking import month_days, month_filters, month_of, rank_units, ranking_dict
from handlers.staff.audit import StaffActor, audit
from models import FigureSnapshot

DISTRICT = "district"


class SnapshotError(ValueError):
    """A month that cannot be closed (not over yet, already closed); the message says why."""


def snapshot_key(period: str, unit_id: int | None) -> str:
    return f"{period}:{DISTRICT if unit_id is None else unit_id}"


@dataclass(frozen=True)
class Closed:
    period: str
    units: int  # unit snapshots stored beside the district's
    recomputed: bool


def month_of_filters(filters: FigureFilters) -> str | None:
    """The month a filter asks for when it is exactly one whole month with no grid or
    category (the only shape stored); else None."""
    first, end = filters.first_day, filters.end_day
    if first.day != 1 or filters.grid_id is not None or filters.category_prefix:
        return None
    period = month_of(first)
    try:
        return period if month_days(period)[1] == end else None
    except FigureFilterError:  # a year no month is ever closed in
        return None


async def stored(filters: FigureFilters) -> FigureSnapshot | None:
    period = month_of_filters(filters)
    if period is None:
        return None
    return await FigureSnapshot.get_or_none(key=snapshot_key(period, filters.unit_id))


def snapshot_note(row: FigureSnapshot) -> dict[str, Any]:
    """How an answer says it comes from a closed month."""
    return {
        "period": row.period,
        "definitions_version": row.definitions_version,
        "computed_at": row.computed_at.isoformat(),
        "computed_by": row.computed_by,
    }


async def close_month(
    period: str, now: datetime, actor: StaffActor, *, recompute: bool = False
) -> Closed:
    """Store ``period``'s figures (district-wide, per unit, and the ranking)."""
    end = month_days(period)[1]
    if local_midnight(end) > now:
        raise SnapshotError(f"{period} 尚未结束，不能结账（{end.isoformat()} 起可结账）")
    existing = await FigureSnapshot.filter(period=period).exists()
    if existing and not recompute:
        raise SnapshotError(f"{period} 已结账；如需重算请由管理员使用 --recompute")
    # As of the month's end, whatever day the close runs: what was recorded after it (an
    # extension, a reopening, a late contact or survey answer) belongs to a later period.
    cut = local_midnight(end)
    district = await compute_figures(month_filters(period), now, as_of=cut)
    ranking = ranking_dict(period, await rank_units(district), now)
    rows: list[tuple[int | None, dict[str, Any]]] = [
        (None, {**district.as_dict(), "ranking": ranking})
    ]
    for unit in district.units:
        if unit.unit_id is not None:
            figures = await compute_figures(
                month_filters(period).with_unit(unit.unit_id), now, as_of=cut
            )
            rows.append((unit.unit_id, figures.as_dict()))
    try:
        async with in_transaction():
            if recompute:
                await FigureSnapshot.filter(period=period).delete()
            for unit_id, body in rows:
                await FigureSnapshot.create(
                    key=snapshot_key(period, unit_id),
                    period=period,
                    unit_id=unit_id,
                    figures=body,
                    definitions_version=config.DEFINITIONS_VERSION,
                    computed_at=now,
                    computed_by=actor.username[:64],
                )
            await audit(
                actor,
                "figures.recompute_month" if existing else "figures.close_month",
                now,
                target_type="figures",
                target_id=period,
                detail={"units": len(rows) - 1, "version": config.DEFINITIONS_VERSION},
            )
    except IntegrityError:
        raise SnapshotError(f"{period} 已由另一进程结账") from None
    return Closed(period, len(rows) - 1, existing)


async def stored_ranking(period: str) -> dict[str, Any] | None:
    row = await FigureSnapshot.get_or_none(key=snapshot_key(period, None))
    if row is None:
        return None
    ranking: dict[str, Any] = dict(row.figures.get("ranking") or {})
    return ranking | {"snapshot": snapshot_note(row)}


def figures_of(row: FigureSnapshot) -> dict[str, Any]:
    """The stored figures without the ranking (answered by its own endpoint)."""
    body = {key: value for key, value in dict(row.figures).items() if key != "ranking"}
    return body
