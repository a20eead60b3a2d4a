"""What a request for figures selects: the period in Shanghai days, and the codes people type."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from config import figures as config
from handlers.clock import LOCAL_TZ
from handlers.figures.filters import (
    FigureFilterError,
    FigureFilters,
    default_period,
    local_midnight,
    resolve_filters,
)
from models import Grid, Unit

FIRST, END = date(2026, 3, 1), date(2026, 3, 8)


def test_the_period_runs_from_shanghai_midnight_to_shanghai_midnight() -> None:
    assert local_midnight(FIRST) == datetime(2026, 2, 28, 16, 0, tzinfo=UTC)
    filters = FigureFilters(FIRST, END, grid_id=3, category_prefix="城乡建设")
    assert (filters.since, filters.until) == (local_midnight(FIRST), local_midnight(END))
    assert filters.days == [date(2026, 3, n) for n in range(1, 8)]
    mine = filters.with_unit(7)
    assert (mine.unit_id, mine.grid_id, mine.category_prefix) == (7, 3, "城乡建设")
    assert (mine.first_day, mine.end_day) == (FIRST, END)


def test_the_default_period_ends_with_today_in_shanghai() -> None:
    # 07:30 on 10 March in Shanghai is still 9 March in UTC.
    now = datetime(2026, 3, 10, 7, 30, tzinfo=LOCAL_TZ).astimezone(UTC)
    first, end = default_period(now)
    assert end == date(2026, 3, 11)
    assert first == end - timedelta(days=config.DEFAULT_PERIOD_DAYS)


def test_impossible_periods() -> None:
    with pytest.raises(FigureFilterError, match="晚于"):
        FigureFilters(END, FIRST)
    with pytest.raises(FigureFilterError, match="晚于"):
        FigureFilters(FIRST, FIRST)
    with pytest.raises(FigureFilterError, match="最长"):
        FigureFilters(FIRST, FIRST + timedelta(days=401))
    FigureFilters(FIRST, FIRST + timedelta(days=config.MAX_PERIOD_DAYS))


async def test_filters_from_the_codes_people_type(db: str) -> None:
    a = await Unit.create(code="U-A", name="甲街道")
    g1 = await Grid.create(code="G1", name="一网格", street="甲街道", unit=a)
    resolved = await resolve_filters(
        FIRST, END, unit_code="U-A", grid_code="G1", category_prefix=" 城乡建设/ "
    )
    assert (resolved.unit_id, resolved.grid_id, resolved.category_prefix) == (
        a.id,
        g1.id,
        "城乡建设",
    )
    everything = await resolve_filters(FIRST, END)
    assert (everything.unit_id, everything.grid_id, everything.category_prefix) == (None, None, "")
    with pytest.raises(FigureFilterError, match="NOPE"):
        await resolve_filters(FIRST, END, unit_code="NOPE")
    with pytest.raises(FigureFilterError, match="网格"):
        await resolve_filters(FIRST, END, grid_code="NOPE")
