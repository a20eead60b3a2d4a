"""知识库指标 on the dashboard (``/dashboard/knowledge/figures``): the knowledge base's figures
of a period with their definitions, the entries used, the stale entries, the questions no entry
answered (most asked first, each with its cases and a 写条目 link that starts an entry with its
words) and the entries whose answers were said 没解决.

The figures are ``handlers.knowledge.figures`` (definitions there), the lists
``handlers.knowledge.usage`` and ``handlers.knowledge.gaps``; the same as
``GET /api/admin/knowledge/figures`` and ``/gaps``. Reading needs ``knowledge.read``; a unit's
account sees the numbers of its own unit's cases only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from aiohttp import web

from bot.api.staff_auth import StaffContext
from bot.dashboard.charts import percent
from bot.dashboard.web import PREFIX, page, render
from bot.keys import CLOCK
from handlers.figures.filters import FigureFilterError, FigureFilters, default_period
from handlers.knowledge.figures import (
    CHANNELS,
    COUNTS,
    ENTRIES_USED,
    SHARES,
    STALE,
    knowledge_figures,
)
from handlers.knowledge.gaps import gaps, unsolved_by_entry
from handlers.knowledge.usage import STALE_REASONS
from handlers.workflow.search import scope_of


@dataclass(frozen=True)
class Shown:
    """The period on the form: its days (``to`` inclusive, as people read it) and any problem."""

    period: FigureFilters
    error: str = ""

    @property
    def last_day(self) -> date:
        return self.period.end_day - timedelta(days=1)


def shown_period(query: Any, now: datetime) -> Shown:
    """The form's ``from`` and ``to`` (both inclusive); the last 30 days when missing or wrong."""
    first, end = default_period(now)
    try:
        if query.get("from"):
            first = date.fromisoformat(query["from"])
        if query.get("to"):
            end = date.fromisoformat(query["to"]) + timedelta(days=1)
        return Shown(FigureFilters(first, end))
    except ValueError as problem:  # FigureFilterError is one
        error = str(problem) if isinstance(problem, FigureFilterError) else ""
        first, end = default_period(now)
        return Shown(FigureFilters(first, end), error or "日期格式应为 YYYY-MM-DD，已改为最近30天")


@page("knowledge.read")
async def figures_page(request: web.Request, staff: StaffContext) -> web.StreamResponse:
    now = request.app[CLOCK].now()
    shown = shown_period(request.query, now)
    since, until = shown.period.since, shown.period.until
    visible = scope_of(staff.user)
    figures = await knowledge_figures(since, until, now)
    return render(
        request,
        staff,
        "knowledge_figures.html",
        {
            "title": "知识库指标",
            "error": shown.error,
            "shown": shown,
            "now": now,
            "figures": figures,
            "counts": COUNTS,
            "shares": SHARES,
            "channels": CHANNELS,
            "used_definition": ENTRIES_USED,
            "stale_definition": STALE,
            "gaps": await gaps(since, until, case_scope=visible),
            "unsolved": await unsolved_by_entry(since, until, case_scope=visible),
            "stale_reasons": STALE_REASONS,
            "percent": percent,
        },
    )


def add_routes(app: web.Application) -> None:
    """Called by ``bot.dashboard.knowledge`` before ``/knowledge/{entry_id}``."""
    app.router.add_get(f"{PREFIX}/knowledge/figures", figures_page)
