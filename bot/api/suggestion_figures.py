"""The suggestion figures in the admin API (``suggestions.figures``).

- ``GET /api/admin/suggestions/figures?from=YYYY-MM-DD&to=YYYY-MM-DD&by=street|station|call``:
  the period's figures in total and, with ``by``, per group, with each figure's definition.
  The period is ``[from, to)`` in Shanghai days; without it, this year up to and including
  today.
- ``GET /api/admin/suggestions/figures.csv`` (same parameters): a row per group and a 合计 row,
  UTF-8 with a byte-order mark; audited (``suggestions.figures_export``).
- ``GET /api/admin/suggestions/year/{year}``: the year's table as the source documents report
  it (收到 / 采纳 / 报送市级 / 获批示 / 落地), and each month's.

What each figure counts is ``handlers/suggestions/figures.py``. The contract is
``bot.api.suggestion_contract``.
"""

from __future__ import annotations

from datetime import date, timedelta

from aiohttp import web

from bot.api.figures import csv_bytes, percent
from bot.api.json_api import ApiError, error_response
from bot.api.query_days import query_day
from bot.api.staff_auth import require_staff
from bot.api.suggestion_contract import (
    FIRST_YEAR,
    LAST_YEAR,
    SuggestionFiguresOut,
    YearTableOut,
)
from bot.keys import CLOCK
from handlers.clock import local
from handlers.digits import whole_number
from handlers.figures.filters import FigureFilterError, FigureFilters
from handlers.staff.audit import audit
from handlers.suggestions.figures import (
    COUNTED,
    GROUPS,
    RATES,
    STATE_LABELS,
    SuggestionFigures,
    labels,
    suggestion_figures,
    year_table,
)

FIGURES = "suggestions.figures"
GROUP_LABELS = {"street": "街道", "station": "联系点", "call": "征集活动"}


def period_of(request: web.Request) -> FigureFilters:
    """``[from, to)``: by default from 1 January of this year (Shanghai) to tomorrow; with only
    ``to``, from 1 January of its year."""
    today = local(request.app[CLOCK].now()).date()
    first, end = query_day(request, "from"), query_day(request, "to")
    if end is None:
        end = max(today, first or today) + timedelta(days=1)
    if first is None:
        first = date((end - timedelta(days=1)).year, 1, 1)
    try:
        return FigureFilters(first, end)
    except FigureFilterError as problem:
        raise ApiError(400, "invalid_date", str(problem)) from None


def group_of(request: web.Request) -> str | None:
    by = request.query.get("by", "").strip()
    if not by:
        return None
    if by not in GROUPS:
        message = "参数 by 只能是 street（街道）、station（联系点）或 call（征集活动）"
        raise ApiError(400, "invalid_parameter", message)
    return by


async def _figures(request: web.Request) -> SuggestionFigures:
    period, by = period_of(request), group_of(request)
    return await suggestion_figures(period, request.app[CLOCK].now(), by)


async def figures_json(request: web.Request) -> web.Response:
    await require_staff(request, FIGURES)
    try:
        figures = await _figures(request)
    except ApiError as refused:
        return error_response(refused.status, refused.code, refused.message)
    body = SuggestionFiguresOut.model_validate(figures.as_dict())
    return web.json_response(body.model_dump(mode="json", by_alias=True))


def figure_rows(figures: SuggestionFigures) -> list[list[str]]:
    """The CSV: counts, then the two rates, then the state figures, per group and in total."""
    names = labels()
    group = GROUP_LABELS.get(figures.by or "", "范围")
    header = [group, *(names[f.key] for f in COUNTED), *(names[k] for k in RATES)]
    rows = [[*header, *(STATE_LABELS[k] for k in STATE_LABELS)]]
    for row in [*figures.rows, figures.total]:
        cells = [row.label, *(str(row.counts.get(f.key, 0)) for f in COUNTED)]
        cells += [percent(row.rate(key)["rate"]) for key in RATES]
        cells += [str(row.counts.get(key, 0)) for key in STATE_LABELS]
        rows.append(cells)
    return rows


async def figures_csv(request: web.Request) -> web.Response:
    staff = await require_staff(request, FIGURES)
    try:
        figures = await _figures(request)
    except ApiError as refused:
        return error_response(refused.status, refused.code, refused.message)
    now = request.app[CLOCK].now()
    first, end = figures.first_day.isoformat(), figures.end_day.isoformat()
    detail = {"from": first, "to": end, "by": figures.by}
    action = "suggestions.figures_export"
    await audit(staff.actor, action, now, target_type="figures", detail=detail)
    name = f"suggestion-figures-{figures.by or 'total'}-{first}_{end}.csv"
    return web.Response(
        body=csv_bytes(figure_rows(figures)),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


async def year_json(request: web.Request) -> web.Response:
    await require_staff(request, FIGURES)
    year = whole_number(request.match_info["year"], 4)
    if year is None or not FIRST_YEAR <= year <= LAST_YEAR:
        message = f"年份须为 {FIRST_YEAR} 到 {LAST_YEAR} 之间的四位数"
        return error_response(400, "invalid_parameter", message)
    body = YearTableOut.model_validate((await year_table(year)).as_dict())
    return web.json_response(body.model_dump(mode="json"))


def add_suggestion_figure_routes(app: web.Application) -> None:
    """Registered before any ``/api/admin/suggestions/{number}`` route, so that ``figures`` is
    not read as a number."""
    router = app.router
    router.add_get("/api/admin/suggestions/figures", figures_json)
    router.add_get("/api/admin/suggestions/figures.csv", figures_csv)
    router.add_get("/api/admin/suggestions/year/{year}", year_json)
