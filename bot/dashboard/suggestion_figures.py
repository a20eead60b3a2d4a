"""The suggestion figures page (建议征集指标): a period's figures in total and by street, station
or themed call, each with its definition (the docstrings of ``handlers/suggestions/figures.py``),
a link to the CSV, and the year's table as the source documents report it, month by month.

A bad date, group or year is said on the page and the defaults shown (this year, no group).
"""

from __future__ import annotations

from datetime import date, timedelta

from aiohttp import web

from bot.api.json_api import ApiError
from bot.api.staff_auth import StaffContext
from bot.api.suggestion_figures import GROUP_LABELS, group_of, period_of
from bot.api.suggestion_publication import year_of
from bot.dashboard.charts import percent
from bot.dashboard.web import PREFIX, page, render
from bot.keys import CLOCK
from handlers.clock import local
from handlers.figures.filters import FigureFilters
from handlers.suggestions.figures import (
    COUNTED,
    RATES,
    STATE_LABELS,
    YEAR_KEYS,
    definitions,
    labels,
    suggestion_figures,
    year_table,
)


@page("suggestions.figures")
async def figures_page(request: web.Request, staff: StaffContext) -> web.StreamResponse:
    now = request.app[CLOCK].now()
    problems = []
    try:
        period = period_of(request)
    except ApiError as refused:
        problems.append(refused.message)
        today = local(now).date()
        period = FigureFilters(date(today.year, 1, 1), today + timedelta(days=1))
    try:
        by = group_of(request)
    except ApiError as refused:
        problems.append(refused.message)
        by = None
    try:
        year = year_of(request.query.get("year", ""), now)
    except ApiError as refused:
        problems.append(refused.message)
        year = local(now).year
    figures = await suggestion_figures(period, now, by)
    table = await year_table(year)
    return render(
        request,
        staff,
        "suggestion_figures.html",
        {
            "title": "建议征集指标",
            "error": "；".join(problems),
            "figures": figures,
            "table": table,
            "year": year,
            "by": by or "",
            "groups": GROUP_LABELS,
            "counted": COUNTED,
            "rates": RATES,
            "states": STATE_LABELS,
            "year_keys": YEAR_KEYS,
            "labels": labels(),
            "definitions": definitions(),
            "percent": percent,
        },
    )


def add_routes(app: web.Application) -> None:
    app.router.add_get(f"{PREFIX}/suggestions/figures", figures_page)
