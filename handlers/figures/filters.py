"""What a request for figures selects, checked once so that every query can trust it.

A period of Shanghai days ``[first_day, end_day)`` (from 00:00 Asia/Shanghai of the first day to
00:00 of the end day) and an optional unit, grid and category prefix, built from ids or from the
codes people type. What each figure counts within it is ``handlers/figures/compute.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from config import figures as config
from handlers.clock import LOCAL_TZ, local
from models import Grid, Unit


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
