"""The monthly unit ranking (月度排名): the table of ``handlers.figures.ranking`` for a month,
from its snapshot once the month is closed, with links to the CSV and XLSX exports.

A unit's account sees its own row (and rank) only, as in the admin API.
"""

from __future__ import annotations

from aiohttp import web

from bot.api.ranking import ranking_for
from bot.api.staff_auth import StaffContext
from bot.dashboard.charts import percent
from bot.dashboard.web import PREFIX, page, render
from bot.keys import CLOCK
from config import figures as config
from handlers.clock import local
from handlers.figures.filters import FigureFilterError
from handlers.figures.ranking import month_days, previous_month


@page("figures.read")
async def ranking_page(request: web.Request, staff: StaffContext) -> web.StreamResponse:
    now = request.app[CLOCK].now()
    period = request.query.get("month", "").strip()
    error = ""
    try:
        month_days(period)
    except FigureFilterError as problem:
        if period:
            error = str(problem)
        period = previous_month(local(now).date())
    body = await ranking_for(period, staff, now)
    return render(
        request,
        staff,
        "ranking.html",
        {
            "title": "月度排名",
            "error": error,
            "month": period,
            "ranking": body,
            "rate_keys": config.RATE_KEYS,
            "labels": config.RATE_LABELS,
            "percent": percent,
        },
    )


def add_routes(app: web.Application) -> None:
    app.router.add_get(f"{PREFIX}/ranking", ranking_page)
