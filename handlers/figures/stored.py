"""The figures of a period as callers show them: a closed month's from its snapshot, rebuilt as
values (``Figures``), any other period computed live.

The stored JSON is ``Figures.as_dict()`` as it was when the month was closed; this reads it
back so that the dashboard and the CSV show a closed month exactly as the JSON API does.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from config import figures as config
from handlers.figures.compute import compute_figures
from handlers.figures.filters import FigureFilters
from handlers.figures.results import (
    REOPEN,
    Bucket,
    DayFigures,
    Figures,
    InvalidCounts,
    Median,
    Rate,
    SurveyShares,
    UnitFigures,
    Volume,
)
from handlers.figures.snapshots import stored
from models import FigureSnapshot, Unit


def _rate(key: str, body: Mapping[str, Any]) -> Rate:
    parts = {name: int(value) for name, value in dict(body.get("parts") or {}).items()}
    return Rate(key, float(body["numerator"]), int(body["denominator"]), parts)


def _rates(body: Mapping[str, Any]) -> dict[str, Rate]:
    return {key: _rate(key, body[key]) for key in config.RATE_KEYS}


def _buckets(rows: list[dict[str, Any]]) -> tuple[Bucket, ...]:
    return tuple(Bucket(row["key"], row["label"], int(row["count"])) for row in rows)


def figures_from(
    body: Mapping[str, Any], filters: FigureFilters, ids: Mapping[str, int]
) -> Figures:
    """``Figures`` from their ``as_dict()``; ``ids`` maps unit codes to ids."""
    survey = body["survey"]
    volume = body["volume"]
    return Figures(
        filters=filters,
        now=datetime.fromisoformat(body["computed_at"]),
        rates=_rates(body["rates"]),
        survey=SurveyShares(
            survey["finished"],
            survey["answered"],
            survey["unrated"],
            survey["unreachable"],
            survey["late_answers"],
        ),
        reopen=_rate(REOPEN, body["reopen"]),
        medians={
            name: Median(int(m["cases"]), m["seconds"]) for name, m in body["medians"].items()
        },
        volume=Volume(
            total=int(volume["total"]),
            **{
                name: _buckets(volume[name])
                for name in ("by_kind", "by_category", "by_grid", "by_unit", "by_status")
            },
        ),
        units=tuple(
            UnitFigures(
                unit_id=ids.get(unit["code"]) if unit["code"] else None,
                code=unit["code"],
                name=unit["name"],
                cases=int(unit["cases"]),
                rates=_rates(unit["rates"]),
                invalid=int(unit.get("invalid", 0)),
            )
            for unit in body["units"]
        ),
        days=tuple(
            DayFigures(
                day=date.fromisoformat(day["day"]),
                cases=int(day["cases"]),
                rates={
                    key: Rate(key, float(r["numerator"]), int(r["denominator"]))
                    for key, r in day["rates"].items()
                },
            )
            for day in body["daily"]
        ),
        invalid=InvalidCounts(
            int(body["invalid"]["total"]), {}, _buckets(body["invalid"]["by_reason"])
        ),
    )


async def figures_for(
    filters: FigureFilters, now: datetime
) -> tuple[Figures, FigureSnapshot | None]:
    """A closed month's stored figures (and its snapshot), or the live computation."""
    row = await stored(filters)
    if row is None:
        return await compute_figures(filters, now), None
    ids = {code: unit_id for unit_id, code in await Unit.all().values_list("id", "code")}
    return figures_from(row.figures, filters, ids), row
