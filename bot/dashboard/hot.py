"""Hot issues (热点): groups of cases about one problem (and place), ranked by heat.

The grouping and the heat are ``handlers.hot``; a supervisor of a unit sees the issues among their
unit's cases only. Each issue shows its factors and what each adds to its heat, its key words,
places, time span and sample messages, and (for those who may) a form that takes it up as a
governance item (立项: 未诉先办 or 每月一题), posted to ``bot.dashboard.hot_items``.
"""

from __future__ import annotations

from datetime import timedelta

from aiohttp import web

from bot.api.staff_auth import StaffContext
from bot.dashboard.charts import Bar, hbar_chart
from bot.dashboard.web import PREFIX, page, render
from bot.keys import CLOCK
from config.hot import FACTOR_LABELS, PERIODS
from config.taxonomy import first_level_names
from handlers.clock import local
from handlers.digits import whole_number
from handlers.hot.ranking import hot_issues
from handlers.staff.permissions import can, sees_every_case
from models import Unit
from nlu import mask_phones_in_text


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
            Bar(
                f"{i.place_label} {mask_phones_in_text(i.title)}".strip(),
                i.heat,
                note=f"{i.residents}人",
            )
            for i in issues[:10]
        ],
        label="热点问题：热度",
    )
    may_take_up = can(staff.user, "hot.items.manage")
    units = await Unit.filter(active=True).order_by("code") if may_take_up else []
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
            "factor_labels": FACTOR_LABELS,
            "may_take_up": may_take_up,
            "units": units,
            "today": local(now).date(),
        },
    )


def add_routes(app: web.Application) -> None:
    app.router.add_get(f"{PREFIX}/hot", hot_page)
