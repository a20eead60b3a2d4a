"""The figures in the admin API: JSON for the dashboard and machines, CSV for spreadsheets.

- ``GET /api/admin/figures?from=YYYY-MM-DD&to=YYYY-MM-DD&unit=CODE&grid=CODE&category=PREFIX``:
  every figure (numerator, denominator, rate, target, met), the breakdowns and the daily series,
  and 无效件数 (``invalid``: cases closed as 不予受理 in the period, by reason and per unit).
  The period is ``[from, to)`` in Shanghai days; without it, the last 30 days up to today.
  A whole closed month (from the 1st to the 1st, no grid or category) is answered from its
  stored snapshot (``source: snapshot``, ``snapshot``: when, by whom, with which definitions'
  version); any other period is computed live (``source: live``).
  ``knowledge``: the knowledge base's counts and shares of the period, district-wide and by
  channel (always live, whatever the unit, grid or category filter; definitions and lists in
  ``GET /api/admin/knowledge/figures``).
- ``GET /api/admin/figures.csv`` with the same filters: one row per unit and a 合计 row
  (then 无效件数 and 集中诉求: reports merged into an open case, reported beside 重复率), from
  the snapshot for a whole closed month as the JSON;
  ``&by=day`` gives one row per day instead. UTF-8 with a BOM so that Excel reads the Chinese.
  Each export is an audit event (``figures.export``).
- ``GET /api/admin/hot`` with the same filters and ``limit``, ``min_residents``: hot issues.

What each figure counts is written in ``handlers/figures/compute.py``. A unit's account (and a
supervisor bound to a unit) sees only its own unit: the unit filter is forced.

Beside the case figures, for the whole district (no unit, grid or category filter) and for those
who may read them (``suggestions.figures``), ``suggestions`` holds the period's suggestion
figures in total (``handlers/suggestions/figures.py``; always live, never frozen).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from aiohttp import web

from bot.api.admin_knowledge_figures_contract import KnowledgeSummary, summary_out
from bot.api.openapi import (
    BOOLEAN,
    DATE,
    DATETIME,
    INTEGER,
    NUMBER,
    STAFF_AUTH,
    STRING,
    Component,
    Operation,
    Param,
    Response,
    array,
    error,
    nullable,
    obj,
    one_of_values,
)
from bot.api.staff_auth import StaffContext, error_json, require_staff
from bot.api.suggestion_contract import SuggestionFigureRow
from bot.keys import CLOCK
from config import figures as config
from handlers.digits import whole_number
from handlers.figures.compute import compute_figures
from handlers.figures.filters import (
    FigureFilterError,
    FigureFilters,
    default_period,
    resolve_filters,
)
from handlers.figures.results import DayFigures, Figures, Rate
from handlers.figures.snapshots import figures_of, snapshot_note, stored
from handlers.figures.stored import figures_for
from handlers.hot.ranking import hot_issues
from handlers.knowledge.figures import knowledge_figures
from handlers.staff.audit import audit
from handlers.staff.permissions import can, sees_every_case
from handlers.suggestions.figures import suggestion_figures
from models import Grid, Unit

MAX_HOT_LIMIT = 100
# The days a period may start or end on: wide enough for any real question, narrow enough that
# the default span and Shanghai's midnight never leave the calendar (year 1 or 9999).
FIRST_DAY = date(1970, 1, 1)
LAST_DAY = date(2999, 12, 31)


def bad_request(code: str, message: str) -> web.HTTPException:
    return error_json(web.HTTPBadRequest, code, message)


def _day_param(request: web.Request, name: str) -> date | None:
    value = request.query.get(name, "").strip()
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise bad_request(
            "invalid_date", f"参数 {name} 须为 YYYY-MM-DD 格式的日期，收到：{value[:32]}"
        ) from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise bad_request(
            "invalid_date", f"参数 {name} 须在 {FIRST_DAY} 到 {LAST_DAY} 之间，收到：{value[:32]}"
        )
    return day


def _int_param(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    value = request.query.get(name, "").strip()
    if not value:
        return default
    number = whole_number(value, 9)  # ASCII digits only: int() also takes "１" and "1_0"
    if number is None or not low <= number <= high:
        raise bad_request("invalid_parameter", f"参数 {name} 须为 {low} 到 {high} 之间的整数")
    return number


def forced_unit(staff: StaffContext) -> int | None:
    """The unit a staff member is confined to, or None when they may see the whole district."""
    user = staff.user
    if sees_every_case(user):
        return None
    if user.unit_id is None:
        raise error_json(web.HTTPForbidden, "forbidden", "账号未关联承办单位，无法查看考核指标")
    return user.unit_id


async def filters_of(request: web.Request, staff: StaffContext) -> FigureFilters:
    """The period and filters asked for, with a unit account's own unit forced."""
    now = request.app[CLOCK].now()
    first, end = _day_param(request, "from"), _day_param(request, "to")
    default_first, default_end = default_period(now)
    span = default_end - default_first
    if end is None:
        # Up to today; from a day after today, the default span from that day.
        end = default_end if first is None or first < default_end else first + span
    if first is None:
        first = end - span
    codes = {name: request.query.get(name, "") for name in ("unit", "grid", "category")}
    if any("\x00" in value for value in codes.values()):
        raise bad_request("invalid_filter", "参数 unit、grid、category 不能含有 NUL 字符")
    try:
        filters = await resolve_filters(
            first,
            end,
            unit_code=request.query.get("unit", "").strip() or None,
            grid_code=request.query.get("grid", "").strip() or None,
            category_prefix=request.query.get("category"),
        )
    except FigureFilterError as exc:
        raise bad_request("invalid_filter", str(exc)) from None
    own = forced_unit(staff)
    if own is not None:
        if filters.unit_id is not None and filters.unit_id != own:
            raise error_json(web.HTTPForbidden, "forbidden", "只能查看本单位的考核指标")
        filters = filters.with_unit(own)
    return filters


async def _codes(filters: FigureFilters) -> dict[str, Any]:
    """The filters as people gave them: codes, not ids."""
    unit = await Unit.get_or_none(id=filters.unit_id) if filters.unit_id is not None else None
    grid = await Grid.get_or_none(id=filters.grid_id) if filters.grid_id is not None else None
    return {
        "from": filters.first_day.isoformat(),
        "to": filters.end_day.isoformat(),
        "unit": unit.code if unit else None,
        "grid": grid.code if grid else None,
        "category": filters.category_prefix or None,
    }


async def figures_json(request: web.Request) -> web.Response:
    staff = await require_staff(request, "figures.read")
    filters = await filters_of(request, staff)
    row = await stored(filters)
    if row is None:
        body = (await compute_figures(filters, request.app[CLOCK].now())).as_dict()
        body |= {"source": "live", "snapshot": None}
        body["definitions_version"] = config.DEFINITIONS_VERSION
    else:  # a closed month: the figures as they stood when it was closed
        body = figures_of(row) | {"source": "snapshot", "snapshot": snapshot_note(row)}
        body["definitions_version"] = row.definitions_version
    body["filters"] = await _codes(filters)
    body["scope"] = "unit" if forced_unit(staff) is not None else "district"
    knowledge = await knowledge_figures(
        filters.since, filters.until, request.app[CLOCK].now(), with_lists=False
    )
    body["knowledge"] = summary_out(knowledge).model_dump(mode="json")
    district = filters.unit_id is None and filters.grid_id is None and not filters.category_prefix
    if district and can(staff.user, "suggestions.figures"):
        found = await suggestion_figures(filters, request.app[CLOCK].now())
        body["suggestions"] = found.total.as_dict()
    return web.json_response(body)


# CSV: the four rates with their counts, per unit or per day.

RATE_COLUMNS: dict[str, tuple[str, str]] = {
    config.FIRST_CONTACT: ("按时先行联系", "应先行联系"),
    config.ON_TIME: ("按时办结", "应办结"),
    config.REPEAT: ("重复件", "诉求件（不含撤销、不予受理）"),
    config.SATISFACTION: ("满意+0.9×基本满意", "有效评价"),
}


def _rate_header() -> list[str]:
    header: list[str] = []
    for key in config.RATE_KEYS:
        numerator, denominator = RATE_COLUMNS[key]
        header += [config.RATE_LABELS[key], numerator, denominator]
    return header


def percent(rate: float | None) -> str:
    """``95.5%``: spreadsheets read it as a number shown as a percentage; empty = nothing due."""
    return "" if rate is None else f"{rate * 100:.1f}%"


def _number(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _rate_cells(rates: Mapping[str, Rate]) -> list[str]:
    cells: list[str] = []
    for key in config.RATE_KEYS:
        rate = rates[key]
        cells += [percent(rate.rate), _number(rate.numerator), str(rate.denominator)]
    return cells


def _concentrated(rates: Mapping[str, Rate]) -> str:
    """集中诉求: reports merged into an open case, reported beside 重复率, not in it."""
    return str(rates[config.REPEAT].parts.get("concentrated", 0))


def unit_rows(figures: Figures) -> list[list[str]]:
    rows = [["单位代码", "单位名称", "诉求量", *_rate_header(), "无效件数", "集中诉求"]]
    for unit in figures.units:
        cells = _rate_cells(unit.rates)
        rows.append(
            [
                unit.code,
                unit.name,
                str(unit.cases),
                *cells,
                str(unit.invalid),
                _concentrated(unit.rates),
            ]
        )
    total = [
        str(figures.volume.total),
        *_rate_cells(figures.rates),
        str(figures.invalid.total),
        _concentrated(figures.rates),
    ]
    rows.append(["", "合计", *total])
    return rows


def day_rows(days: Iterable[DayFigures]) -> list[list[str]]:
    rows = [["日期", "诉求量", *_rate_header()]]
    for day in days:
        rows.append([day.day.isoformat(), str(day.cases), *_rate_cells(day.rates)])
    return rows


def csv_bytes(rows: Sequence[Sequence[str]]) -> bytes:
    """UTF-8 with a byte-order mark (Excel needs it to read Chinese) and CRLF lines."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerows(rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


async def figures_csv(request: web.Request) -> web.Response:
    staff = await require_staff(request, "figures.read")
    by = request.query.get("by", "unit").strip() or "unit"
    if by not in ("unit", "day"):
        raise bad_request("invalid_parameter", "参数 by 只能是 unit（按单位）或 day（按日）")
    filters = await filters_of(request, staff)
    now = request.app[CLOCK].now()
    figures, snapshot = await figures_for(filters, now)
    rows = unit_rows(figures) if by == "unit" else day_rows(figures.days)
    detail = {**await _codes(filters), "by": by, "source": "snapshot" if snapshot else "live"}
    await audit(staff.actor, "figures.export", now, target_type="figures", detail=detail)
    name = f"figures-{by}-{filters.first_day.isoformat()}_{filters.end_day.isoformat()}.csv"
    return web.Response(
        body=csv_bytes(rows),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


async def hot_json(request: web.Request) -> web.Response:
    staff = await require_staff(request, "hot.read")
    filters = await filters_of(request, staff)
    limit = _int_param(request, "limit", 10, 1, MAX_HOT_LIMIT)
    min_residents = _int_param(request, "min_residents", 2, 1, 1000)
    issues = await hot_issues(
        filters.since,
        filters.until,
        limit=limit,
        min_residents=min_residents,
        unit_id=filters.unit_id,
        grid_id=filters.grid_id,
        category_prefix=filters.category_prefix or None,
    )
    return web.json_response(
        {"filters": await _codes(filters), "issues": [issue.as_dict() for issue in issues]}
    )


# The contract (bot.api.openapi)

RATE = Component(
    "Rate",
    obj(
        {
            "label": STRING,
            "numerator": NUMBER,
            "denominator": INTEGER,
            "rate": nullable(NUMBER),
            "target": nullable(NUMBER),
            "target_op": nullable(one_of_values([">=", ">", "<"])),
            "target_label": nullable(STRING),
            "met": nullable(BOOLEAN),
            "parts": {"type": "object", "additionalProperties": INTEGER},
        }
    ),
)
FOUR_RATES = {
    "type": "object",
    "required": list(config.RATE_KEYS),
    "additionalProperties": RATE,
}
FILTERS = obj(
    {
        "from": DATE,
        "to": DATE,
        "unit": nullable(STRING),
        "grid": nullable(STRING),
        "category": nullable(STRING),
    }
)
SNAPSHOT_NOTE = obj(
    {
        "period": STRING,
        "definitions_version": STRING,
        "computed_at": DATETIME,
        "computed_by": STRING,
    }
)
_BUCKETS = array(obj({"key": STRING, "label": STRING, "count": INTEGER}))
FIGURES = Component(
    "Figures",
    obj(
        {
            "period": obj({"from": DATE, "to": DATE, "timezone": STRING}),
            "computed_at": DATETIME,
            "rates": FOUR_RATES,
            "survey": obj(
                {
                    "finished": INTEGER,
                    "answered": INTEGER,
                    "unrated": INTEGER,
                    "unreachable": INTEGER,
                    "late_answers": INTEGER,
                    "by_channel": {"type": "object", "additionalProperties": INTEGER},
                    "unrated_share": nullable(NUMBER),
                    "unreachable_share": nullable(NUMBER),
                }
            ),
            "reopen": RATE,
            "medians": {
                "type": "object",
                "additionalProperties": obj(
                    {"cases": INTEGER, "seconds": nullable(NUMBER), "hours": nullable(NUMBER)}
                ),
            },
            "volume": obj(
                {
                    "total": INTEGER,
                    "by_kind": _BUCKETS,
                    "by_category": _BUCKETS,
                    "by_grid": _BUCKETS,
                    "by_unit": _BUCKETS,
                    "by_status": _BUCKETS,
                }
            ),
            "units": array(
                obj(
                    {
                        "code": STRING,
                        "name": STRING,
                        "cases": INTEGER,
                        "invalid": INTEGER,
                        "rates": FOUR_RATES,
                    }
                )
            ),
            "daily": array(
                obj(
                    {
                        "day": DATE,
                        "cases": INTEGER,
                        "rates": {
                            "type": "object",
                            "additionalProperties": obj(
                                {
                                    "numerator": NUMBER,
                                    "denominator": INTEGER,
                                    "rate": nullable(NUMBER),
                                }
                            ),
                        },
                    }
                )
            ),
            "invalid": obj({"total": INTEGER, "by_reason": _BUCKETS}),
            "filters": FILTERS,
            "scope": one_of_values(["unit", "district"]),
            "source": one_of_values(["live", "snapshot"]),
            "snapshot": nullable(SNAPSHOT_NOTE),
            "definitions_version": STRING,
            "knowledge": KnowledgeSummary,
        },
        # A closed month: the instant its rows were read at (its end); live: null. Months
        # closed before it was stored have none. The suggestion figures: see the module.
        {"as_of": nullable(DATETIME), "suggestions": SuggestionFigureRow},
    ),
)
HEAT_FACTORS = obj(
    {
        "residents": INTEGER,
        "previous_residents": INTEGER,
        "growth": NUMBER,
        "repeats": INTEGER,
        "surveyed": INTEGER,
        "dissatisfied": INTEGER,
        "dissatisfaction_rate": nullable(NUMBER),
        "reopened": INTEGER,
        "closed": INTEGER,
        "reopen_rate": nullable(NUMBER),
        "votes_up": INTEGER,
        "votes_down": INTEGER,
        # What each factor adds to the heat (config/hot.py documents the formula).
        "contributions": {"type": "object", "additionalProperties": NUMBER},
    }
)
HOT_ISSUE = obj(
    {
        "key": STRING,
        "title": STRING,
        "category": STRING,
        "topic_words": array(STRING),
        "place_key": STRING,
        "place": STRING,
        "places": array(STRING),
        "cases": INTEGER,
        "residents": INTEGER,
        "open_cases": INTEGER,
        "first_at": DATETIME,
        "last_at": DATETIME,
        "numbers": array(STRING),
        "samples": array(
            obj({"number": STRING, "title": STRING, "excerpt": STRING, "at": DATETIME})
        ),
        "heat": NUMBER,
        "factors": HEAT_FACTORS,
        "items": array(STRING),
    }
)
_TAG = "figures"
_DAY_NOTE = f"YYYY-MM-DD, {FIRST_DAY} to {LAST_DAY}; the period is [from, to) in Shanghai days"
FILTER_PARAMS = (
    Param("from", "query", DATE, description=_DAY_NOTE),
    Param("to", "query", DATE, description=_DAY_NOTE),
    Param("unit", "query", STRING, description="unit code (a unit's account: its own only)"),
    Param("grid", "query", STRING, description="grid code"),
    Param("category", "query", STRING, description="a category path prefix"),
)
_400 = error("invalid_date, invalid_filter or invalid_parameter; the message says which")
_401 = error("unauthorized: not signed in, and no valid API token")
_403 = error("forbidden: the role may not read this, or a unit account asked for another unit")
OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "GET",
        "/api/admin/figures",
        "Every figure, the breakdowns and the daily series (default: the last 30 days)",
        _TAG,
        {200: Response("the figures", FIGURES), 400: _400, 401: _401, 403: _403},
        auth=STAFF_AUTH,
        params=FILTER_PARAMS,
    ),
    Operation(
        "GET",
        "/api/admin/figures.csv",
        "The four rates with their counts as CSV, per unit (and a 合计 row) or per day",
        _TAG,
        {
            200: Response(
                "UTF-8 CSV with a byte-order mark, CRLF lines",
                STRING,
                "text/csv",
                headers={"Content-Disposition": STRING},
            ),
            400: _400,
            401: _401,
            403: _403,
        },
        auth=STAFF_AUTH,
        params=(*FILTER_PARAMS, Param("by", "query", {"type": "string", "enum": ["unit", "day"]})),
        description="Each export is an audit event (figures.export).",
    ),
    Operation(
        "GET",
        "/api/admin/hot",
        "Hot issues: cases about one problem (and place), ranked by heat",
        _TAG,
        {
            200: Response(
                "the hot issues, hottest first, each with its heat factors",
                obj({"filters": FILTERS, "issues": array(HOT_ISSUE)}),
            ),
            400: _400,
            401: _401,
            403: _403,
        },
        auth=STAFF_AUTH,
        params=(
            *FILTER_PARAMS,
            Param("limit", "query", {"type": "integer", "minimum": 1, "maximum": MAX_HOT_LIMIT}),
            Param("min_residents", "query", {"type": "integer", "minimum": 1, "maximum": 1000}),
        ),
    ),
)


def add_figures_routes(app: web.Application) -> None:
    app.router.add_get("/api/admin/figures", figures_json)
    app.router.add_get("/api/admin/figures.csv", figures_csv)
    app.router.add_get("/api/admin/hot", hot_json)
