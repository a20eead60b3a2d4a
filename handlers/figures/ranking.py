"""The monthly unit ranking (月度考核排名): the four rates, volumes, 不合理退单, late 延期 requests,
重办率, a composite score and the rank.

The score's formula and weights are ``config/figures.py`` (``RANKING_*``) and README, "Figures";
the rates are those of ``handlers/figures/compute.py`` for the whole month, district-wide. A
closed month's ranking is stored with its snapshot (``handlers/figures/snapshots.py``) and read
from there.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from tortoise.functions import Count

from config import figures as config
from handlers.figures.asof import AsOf
from handlers.figures.filters import FigureFilterError, FigureFilters
from handlers.figures.reopen import reopen_by_unit
from handlers.figures.results import REOPEN, Figures, Rate
from handlers.figures.sql import grouped
from models import Case, ExtensionRequest, ExtensionStatus, ReturnRequest

# Rates that score full points with nothing to count; the others score nothing.
_FULL_WHEN_EMPTY = (config.FIRST_CONTACT, config.ON_TIME, config.SATISFACTION)
MONTH = re.compile(r"[0-9]{4}-[0-9]{2}")


def month_days(period: str) -> tuple[date, date]:
    """``YYYY-MM`` (ASCII digits, 1970-01 to 2999-12) as Shanghai days ``[first, end)``."""
    if not MONTH.fullmatch(period):
        raise FigureFilterError(f"月份须为 YYYY-MM 格式，收到：{period[:16]}")
    year, month = int(period[:4]), int(period[5:])
    if not (1970 <= year <= 2999 and 1 <= month <= 12):
        raise FigureFilterError(f"月份须为 YYYY-MM 格式（1970-01 到 2999-12），收到：{period[:16]}")
    first = date(year, month, 1)
    end = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return first, end


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def previous_month(day: date) -> str:
    return month_of(
        date(day.year - 1, 12, 1) if day.month == 1 else date(day.year, day.month - 1, 1)
    )


def month_filters(period: str) -> FigureFilters:
    first, end = month_days(period)
    return FigureFilters(first, end)


@dataclass(frozen=True)
class RankRow:
    unit_id: int | None
    code: str
    name: str
    cases: int
    rates: Mapping[str, Rate]
    reopen: Rate
    refused_returns: int
    late_extensions: int
    points: Mapping[str, float]  # each part of the score
    score: float | None  # None: no case in the month, not ranked
    rank: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "cases": self.cases,
            "rates": {key: rate.as_dict() for key, rate in self.rates.items()},
            "reopen": self.reopen.as_dict(),
            "refused_returns": self.refused_returns,
            "late_extensions": self.late_extensions,
            "points": dict(self.points),
            "score": self.score,
            "rank": self.rank,
        }


def _value(rate: Rate) -> float:
    if rate.rate is not None:
        return rate.rate
    return 1.0 if rate.key in _FULL_WHEN_EMPTY else 0.0


def score_points(
    rates: Mapping[str, Rate], reopen: Rate, refused: int, late: int
) -> dict[str, float]:
    """The parts of the score (config/figures.py); their sum is the score."""
    weights = config.RANKING_WEIGHTS
    points = {
        key: weights[key] * _value(rates[key])
        for key in (config.FIRST_CONTACT, config.ON_TIME, config.SATISFACTION)
    }
    repeat = _value(rates[config.REPEAT])
    points[config.REPEAT] = weights[config.REPEAT] * max(
        0.0, 1.0 - repeat / config.RANKING_REPEAT_ZERO_AT
    )
    points["refused_returns"] = -config.RANKING_REFUSED_RETURN_PENALTY * refused
    points["late_extensions"] = -config.RANKING_LATE_EXTENSION_PENALTY * late
    points[REOPEN] = -config.RANKING_REOPEN_PENALTY * _value(reopen)
    return {key: round(value, 4) + 0.0 for key, value in points.items()}  # + 0.0: no -0.0


async def _extras(figures: Figures) -> tuple[dict[Any, Rate], dict[Any, int], dict[Any, int]]:
    """Per unit: 重办率, refused returns and late extension requests of the period (for a
    closed month, as they stood at its end)."""
    filters = figures.filters
    created = Case.filter(created_at__gte=filters.since, created_at__lt=filters.until)
    reopen = await reopen_by_unit(created, AsOf(figures.as_of))
    refused = await grouped(
        ReturnRequest.filter(
            status=ExtensionStatus.REFUSED,
            decided_at__gte=filters.since,
            decided_at__lt=filters.until,
        ),
        "unit_id",
        {"n": Count("id")},
    )
    late = await grouped(
        ExtensionRequest.filter(
            late=True, created_at__gte=filters.since, created_at__lt=filters.until
        ),
        "unit_id",
        {"n": Count("id")},
    )
    return (
        reopen,
        {unit: c["n"] for unit, c in refused.items()},
        {unit: c["n"] for unit, c in late.items()},
    )


async def rank_units(figures: Figures) -> list[RankRow]:
    """The ranking of the units in district-wide ``figures`` (the dispatcher queue left out)."""
    reopen, refused, late = await _extras(figures)
    rows: list[RankRow] = []
    for unit in figures.units:
        if unit.unit_id is None:
            continue
        unit_reopen = reopen.get(unit.unit_id) or Rate(
            REOPEN, 0, 0, {"completed": 0, "reopened": 0}
        )
        n_refused, n_late = refused.get(unit.unit_id, 0), late.get(unit.unit_id, 0)
        points = score_points(unit.rates, unit_reopen, n_refused, n_late)
        score = round(sum(points.values()), 2) if unit.cases else None
        rows.append(
            RankRow(
                unit.unit_id,
                unit.code,
                unit.name,
                unit.cases,
                unit.rates,
                unit_reopen,
                n_refused,
                n_late,
                points,
                score,
            )
        )
    ranked = sorted(
        (r for r in rows if r.score is not None), key=lambda r: (-(r.score or 0), r.code)
    )
    result: list[RankRow] = []
    for position, row in enumerate(ranked, start=1):
        tied = result and result[-1].score == row.score
        rank = result[-1].rank if tied else position
        result.append(RankRow(**{**row.__dict__, "rank": rank}))
    unranked = sorted((r for r in rows if r.score is None), key=lambda r: r.code)
    return result + unranked


def ranking_dict(period: str, rows: list[RankRow], now: datetime) -> dict[str, Any]:
    first, end = month_days(period)
    return {
        "period": period,
        "from": first.isoformat(),
        "to": end.isoformat(),
        "computed_at": now.isoformat(),
        "definitions_version": config.DEFINITIONS_VERSION,
        "formula": formula(),
        "rows": [row.as_dict() for row in rows],
    }


def formula() -> dict[str, Any]:
    w = config.RANKING_WEIGHTS
    return {
        "weights": dict(config.RANKING_WEIGHTS),
        "repeat_zero_at": config.RANKING_REPEAT_ZERO_AT,
        "refused_return_penalty": config.RANKING_REFUSED_RETURN_PENALTY,
        "late_extension_penalty": config.RANKING_LATE_EXTENSION_PENALTY,
        "reopen_penalty": config.RANKING_REOPEN_PENALTY,
        "text": (
            f"score = {w[config.FIRST_CONTACT]:g}×先行联系率 + {w[config.ON_TIME]:g}×按时办结率"
            f" + {w[config.SATISFACTION]:g}×满意率"
            f" + {w[config.REPEAT]:g}×max(0, 1−重复率/{config.RANKING_REPEAT_ZERO_AT:.0%})"
            f" − {config.RANKING_REFUSED_RETURN_PENALTY:g}×不合理退单"
            f" − {config.RANKING_LATE_EXTENSION_PENALTY:g}×逾期延期申请"
            f" − {config.RANKING_REOPEN_PENALTY:g}×重办率"
        ),
    }
