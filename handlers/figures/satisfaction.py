"""满意率 and the shares of the finished survey rounds (defined in ``handlers/figures/compute.py``).

A round counts by the time it was due to be asked; how it stood (answered, 未评价, unreachable,
or still open) is read at ``now`` for a live period and at the end for a closed month
(``handlers/figures/asof.py``): an answer recorded after the end leaves the round open there.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from tortoise.expressions import RawSQL
from tortoise.queryset import QuerySet

from config import figures as config
from handlers.figures.asof import AsOf
from handlers.figures.channels import answers_by_channel
from handlers.figures.filters import FigureFilters
from handlers.figures.results import Rate, SurveyShares
from handlers.figures.sql import as_day, counted, local_day_sql
from models import CaseStatus, Survey, SurveyAnswer

NAMES = ("finished", "satisfied", "basically", "unsatisfied", "unrated", "unreachable", "late")
_ANSWERS = {
    SurveyAnswer.SATISFIED.value: "satisfied",
    SurveyAnswer.BASICALLY.value: "basically",
    SurveyAnswer.UNSATISFIED.value: "unsatisfied",
}
_CASE_ID = '"surveys"."case_id"'


def _case_column(column: str) -> str:
    return f'(SELECT c."{column}" FROM "cases" c WHERE c."id" = {_CASE_ID})'


def _rounds(filters: FigureFilters, asof: AsOf) -> QuerySet[Survey]:
    """The rounds due in the period on cases of the filters that stood finished, with the
    round's state (``_k_state``), whether it was a late answer and the unit they count for."""
    conditions: dict[str, Any] = {"due_at__gte": filters.since, "due_at__lt": filters.until}
    if filters.grid_id is not None:
        conditions["case__grid_id"] = filters.grid_id
    if filters.category_prefix:
        conditions["case__category__startswith"] = filters.category_prefix
    rounds = Survey.filter(**conditions)
    status = asof.status(_CASE_ID, _case_column("status"))
    unit = asof.unit(_CASE_ID, _case_column("unit_id"))
    invalid = f"CASE WHEN {status} = '{CaseStatus.INVALID.value}' THEN 1 ELSE 0 END"
    rounds = rounds.annotate(
        _state=RawSQL(asof.round_state()), _invalid=RawSQL(invalid), _unit=RawSQL(unit)
    ).filter(_state__not_isnull=True, _invalid=0)
    if filters.unit_id is not None:
        rounds = rounds.filter(_unit=filters.unit_id)
    return rounds


async def satisfaction(
    filters: FigureFilters, asof: AsOf
) -> tuple[dict[int | None, Rate], dict[date, Rate], SurveyShares]:
    rounds = _rounds(filters, asof)
    keys: dict[str, str | RawSQL] = {
        "state": RawSQL(asof.round_state()),
        "answer": "answer",
        "late": RawSQL(asof.round_late()),
    }
    unit_sql = RawSQL(asof.unit(_CASE_ID, _case_column("unit_id")))
    by_unit = _tally(await counted(rounds, unit=unit_sql, **keys))
    by_day = _tally(await counted(rounds, day=local_day_sql("surveys", "due_at"), **keys))

    def rate(counts: Mapping[str, int]) -> Rate:
        parts = {name: counts[name] for name in ("satisfied", "basically", "unsatisfied")}
        valid = sum(parts.values())
        score = counts["satisfied"] + config.BASICALLY_WEIGHT * counts["basically"]
        return Rate(config.SATISFACTION, score, valid, parts)

    totals = {name: sum(counts[name] for counts in by_unit.values()) for name in NAMES}
    shares = SurveyShares(
        finished=totals["finished"],
        answered=totals["satisfied"] + totals["basically"] + totals["unsatisfied"],
        unrated=totals["unrated"],
        unreachable=totals["unreachable"],
        late_answers=totals["late"],
        by_channel=await answers_by_channel(rounds.filter(_state="answered")),
    )
    return (
        {unit: rate(counts) for unit, counts in by_unit.items()},
        {as_day(day): rate(counts) for day, counts in by_day.items()},
        shares,
    )


def _tally(rows: list[tuple[tuple[Any, ...], int]]) -> dict[Any, dict[str, int]]:
    result: dict[Any, dict[str, int]] = {}
    for (key, state, answer, late), n in rows:
        counts = result.setdefault(key, dict.fromkeys(NAMES, 0))
        counts["finished"] += n
        if state == "answered":
            name = _ANSWERS.get(str(answer))
            if name:
                counts[name] += n
        elif state == "unrated":
            counts["unrated"] += n
            counts["late"] += n if int(late or 0) else 0
        elif state == "unreachable":
            counts["unreachable"] += n
    return result
