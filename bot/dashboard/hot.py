"""Hot issues (热点): groups of cases about one place and problem, ranked by residents.

The grouping is ``handlers.figures.hot_issues``; a supervisor of a unit sees the issues among their
unit's cases only.
"""

from __future__ import annotations

from datetime import timedelta

from aiohttp import web

from bot.api.staff_auth import StaffContext
from bot.dashboard.charts import Bar, hbar_chart
from bot.dashboard.web import PREFIX, page, render
from bot.keys import CLOCK
from config.taxonomy import first_level_names
from handlers.digits import whole_number
from handlers.figures.hot_issues import hot_issues
from handlers.staff.permissions import sees_every_case
from nlu import mask_phones_in_text

PERIODS = (7, 30, 90, 365)


def _choice(raw: str, allowed: tuple[int, ...], default: int) -> int:
    number = whole_number(raw, 4)
    return number if number in allowed else default


@page("hot.read")
async def hot_page(request: web.Request, staff: StaffContext) -> web.StreamResponse:
    now = request.app[CLOCK].now()
    days = _choice(request.query.get("days", ""), PERIODS, 30)
    least = _choice(request.query.get("min_residents", ""), (2, 3, 5, 10), 2)
    category = request.query.get("category", "").strip()
    if category not in first_level_names():
        category = ""
    unit_id = None if sees_every_case(staff.user) else staff.user.unit_id
    issues = await hot_issues(
        now - timedelta(days=days),
        now,
        limit=20,
        min_residents=least,
        unit_id=unit_id,
        category_prefix=category or None,
    )
    chart = hbar_chart(
        [
            Bar(f"{i.place} {mask_phones_in_text(i.title)}", i.residents, note=f"{i.cases}件")
            for i in issues[:10]
        ],
        label="热点问题：反映的居民人数",
    )
    return render(
        request,
        staff,
        "hot.html",
        {
            "title": "热点问题",
            "issues": issues,
            "chart": chart,
            "days": days,
            "periods": PERIODS,
            "least": least,
            "category": category,
            "first_levels": first_level_names(),
        },
    )


def add_routes(app: web.Application) -> None:
    app.router.add_get(f"{PREFIX}/hot", hot_page)
