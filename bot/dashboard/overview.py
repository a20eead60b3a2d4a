"""The overview: are we keeping our promises? The four rates against their targets with their
trends, the volume by day, what is open and overdue now, and how each unit does.

The figures are ``handlers.figures.compute.compute_figures`` (definitions there), or for a whole
closed month its stored snapshot (``handlers.figures.stored``), said on the page; the counts of
what is open now are the case search's own queries. A unit account (and a supervisor of a unit) sees
its unit's figures only, whatever the form asks for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from aiohttp import web

from bot.api.staff_auth import StaffContext
from bot.dashboard.charts import Bar, Point, bar_chart, hbar_chart, line_chart, percent, sparkline
from bot.dashboard.web import PREFIX, landing_of, page, render
from bot.keys import CLOCK, SETTINGS
from config import figures as targets
from config.taxonomy import first_level_names
from handlers.clock import local
from handlers.district.readiness import SetupStep, setup_checklist
from handlers.figures.filters import FigureFilterError, default_period, resolve_filters
from handlers.figures.results import DayFigures, Figures, Rate, empty_rate
from handlers.figures.stored import figures_for
from handlers.staff.permissions import can, sees_every_case
from handlers.workflow.calendar import coverage
from handlers.workflow.search import overdue_q, review_pending_q, scope_of
from models import Case, ExtensionRequest, ExtensionStatus, Grid, StaffUser, Unit
from models.case_status import OPEN_STATUSES

WEEKLY_AFTER_DAYS = 45  # longer periods draw their trends by week: a day's rate is too noisy


@dataclass(frozen=True)
class Period:
    first_day: date
    end_day: date  # exclusive

    @property
    def last_day(self) -> date:
        return self.end_day - timedelta(days=1)


def _period(query: Any, now: datetime) -> tuple[Period, str]:
    first, end = default_period(now)
    error = ""
    try:
        if query.get("from"):
            first = date.fromisoformat(query["from"])
        if query.get("to"):
            end = date.fromisoformat(query["to"]) + timedelta(
                days=1
            )  # the form's "to" is inclusive
    except ValueError:
        first, end = default_period(now)
        error = "日期格式应为 YYYY-MM-DD，已改为最近30天"
    return Period(first, end), error


def _own_unit(user: StaffUser) -> int | None:
    """The unit an account's figures are limited to (None: any)."""
    return None if sees_every_case(user) else user.unit_id


def trend_points(days: tuple[DayFigures, ...], key: str) -> list[Point]:
    """Daily, or by week for long periods (rates summed over the week, not averaged)."""
    if len(days) <= WEEKLY_AFTER_DAYS:
        return [
            Point(
                day.day.strftime("%m-%d"),
                day.rates[key].rate,
                f"{_num(day.rates[key].numerator)}/{day.rates[key].denominator}",
            )
            for day in days
        ]
    points = []
    for start in range(0, len(days), 7):
        week = days[start : start + 7]
        total: Rate = empty_rate(key)
        for day in week:
            total = total + day.rates[key]
        points.append(
            Point(
                f"{week[0].day.strftime('%m-%d')}起",
                total.rate,
                f"{_num(total.numerator)}/{total.denominator}",
            )
        )
    return points


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def rate_cards(figures: Figures) -> list[dict[str, Any]]:
    cards = []
    for key in targets.RATE_KEYS:
        rate = figures.rates[key]
        target = rate.target
        points = trend_points(figures.days, key)
        cards.append(
            {
                "key": key,
                "label": rate.label,
                "value": percent(rate.rate),
                "met": rate.met,
                "target": target.label if target else "",
                "fraction": f"{_num(rate.numerator)} / {rate.denominator}",
                "parts": dict(rate.parts),
                "spark": sparkline(
                    [p.value for p in points],
                    label=f"{rate.label}走势",
                    target=target.value if target else None,
                ),
                "chart": line_chart(
                    points,
                    label=f"{rate.label}走势（目标{target.label if target else ''}）",
                    target=target.value if target else None,
                ),
            }
        )
    return cards


async def now_counts(user: StaffUser, unit_id: int | None, now: datetime) -> dict[str, int]:
    """What is open right now (not limited to the period): open, overdue, 督办, pending 延期,
    results waiting for 办结审核."""
    query = Case.filter(status__in=[s.value for s in OPEN_STATUSES])
    scope = scope_of(user)
    if scope is not None:
        query = query.filter(scope)
    if unit_id is not None:
        query = query.filter(unit_id=unit_id)
    open_ids = query.values_list("id", flat=True)
    reviews = Case.filter(review_pending_q())
    if scope is not None:
        reviews = reviews.filter(scope)
    if unit_id is not None:
        reviews = reviews.filter(unit_id=unit_id)
    return {
        "review": await reviews.count(),
        "open": await query.count(),
        "overdue": await query.filter(overdue_q(now)).count(),
        "supervised": await query.filter(supervised=True).count(),
        "queue": await query.filter(unit_id__isnull=True).count(),
        "extensions": await ExtensionRequest.filter(
            status=ExtensionStatus.PENDING, case_id__in=await open_ids
        ).count(),
    }


def calendar_warning(user: StaffUser, today: date, horizon_days: int) -> dict[str, Any] | None:
    """For an admin (who can have the deployment fixed), while the working calendar does not
    reach ``horizon_days`` ahead: until when it is known, and in how many days that is."""
    if not can(user, "sla.edit"):
        return None
    known = coverage()
    if known.warning(today, horizon_days) is None:
        return None
    return {
        "covered_until": known.covered_until.isoformat(),
        "days_left": known.days_left(today),
        "next_year": known.covered_until.year + 1,
    }


@page("cases.read")
async def overview(request: web.Request, staff: StaffContext) -> web.StreamResponse:
    if not can(staff.user, "figures.read"):
        raise web.HTTPSeeOther(landing_of(staff.user))  # the start page of roles without figures
    now = request.app[CLOCK].now()
    period, error = _period(request.query, now)
    own = _own_unit(staff.user)
    unit_code = request.query.get("unit", "").strip()
    if own is not None:
        unit = await Unit.get_or_none(id=own)
        unit_code = unit.code if unit else ""
    grid_code = request.query.get("grid", "").strip()
    category = request.query.get("category", "").strip()
    try:
        filters = await resolve_filters(
            period.first_day,
            period.end_day,
            unit_code=unit_code or None,
            grid_code=grid_code or None,
            category_prefix=category or None,
        )
    except FigureFilterError as problem:
        error = str(problem)
        first, end = default_period(now)
        period = Period(first, end)
        filters = await resolve_filters(first, end, unit_code=unit_code if own else None)
    figures, snapshot = await figures_for(filters, now)
    today = local(now).date()
    volume_bars = [
        Bar(
            day.day.strftime("%m-%d"),
            day.cases,
            note="周末" if day.day.weekday() >= 5 else "",
            highlight=day.day.weekday() >= 5,
        )
        for day in figures.days
        if day.day <= today
    ]
    categories = [Bar(b.label, b.count) for b in figures.volume.by_category[:10]]
    unit_rows = [row for row in figures.units if row.cases or own is not None][:40]
    medians = {
        name: (None if m.seconds is None else m.seconds / 3600)
        for name, m in figures.medians.items()
    }
    return render(
        request,
        staff,
        "overview.html",
        {
            "title": "概览",
            "error": error,
            "period": period,
            "unit_code": unit_code,
            "grid_code": grid_code,
            "category": category,
            "own_unit": own,
            "units": await Unit.filter(active=True).order_by("kind", "code"),
            "grids": await Grid.filter(active=True).order_by("code"),
            "first_levels": first_level_names(),
            "figures": figures,
            "snapshot": snapshot,
            "cards": rate_cards(figures),
            "counts": await now_counts(staff.user, filters.unit_id, now),
            "volume_chart": bar_chart(volume_bars, label="每日受理量"),
            "category_chart": hbar_chart(categories, label="按一级分类的受理量"),
            "unit_rows": unit_rows,
            "medians": medians,
            "reopen": percent(figures.reopen.rate),
            "percent": percent,
            "rate_keys": targets.RATE_KEYS,
            "cases_link": f"{PREFIX}/cases",
            "setup_steps": await _setup_steps(request),
            "calendar_warning": calendar_warning(
                staff.user, today, request.app[SETTINGS].calendar_horizon_days
            ),
        },
    )


async def _setup_steps(request: web.Request) -> list[SetupStep]:
    """The setup checklist while any step is left; nothing once the district is complete."""
    steps = await setup_checklist(request.app[SETTINGS])
    return [] if all(step.done for step in steps) else steps


def add_routes(app: web.Application) -> None:
    app.router.add_get(f"{PREFIX}/", overview)
