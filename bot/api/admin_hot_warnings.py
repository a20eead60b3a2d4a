"""The early warnings (预警) in the staff API.

- ``GET /api/admin/hot/warnings?from=YYYY-MM-DD&to=YYYY-MM-DD``: the warnings the sweep found in
  ``[from, to)`` (Shanghai days; by default the last 30 days, today included), newest first, at
  most :data:`MAX_ROWS` (``more`` says whether there were more): the key, what people read, the
  week, the last seven days' cases and residents against the trailing weekly average, the unit,
  the case numbers and the governance item it became, if any (``handlers.hot.warnings``).

Who reads them (``figures.read``): admins, dispatchers and supervisors without a unit see the
district's; a unit's supervisors and staff see their unit's warnings, naming only their unit's
cases. A date that is not one, or an empty or too long period, is 400 and reads nothing.
"""

from __future__ import annotations

from aiohttp import web

from bot.api.json_api import ApiError, error_response
from bot.api.openapi import (
    DATE,
    DATETIME,
    INTEGER,
    NUMBER,
    STAFF_AUTH,
    STRING,
    Operation,
    Param,
    Response,
    array,
    error,
    nullable,
    obj,
    one_of_values,
    unauthorized,
)
from bot.api.query_days import query_day
from bot.api.staff_auth import StaffContext, error_json, require_staff
from bot.keys import CLOCK
from handlers.clock import LOCAL_TZ
from handlers.figures.filters import FigureFilterError, FigureFilters, default_period
from handlers.hot.warnings import listed_warnings
from handlers.staff.permissions import sees_every_case

PATH = "/api/admin/hot/warnings"
CAPABILITY = "figures.read"
MAX_ROWS = 500


def period_of(request: web.Request) -> FigureFilters:
    """The Shanghai days asked for; without them the last 30 days, today included."""
    first, end = query_day(request, "from"), query_day(request, "to")
    default_first, default_end = default_period(request.app[CLOCK].now())
    span = default_end - default_first
    if end is None:
        end = default_end if first is None or first < default_end else first + span
    if first is None:
        first = end - span
    try:
        return FigureFilters(first, end)
    except FigureFilterError as problem:
        raise ApiError(400, "invalid_period", str(problem)) from None


def unit_of(staff: StaffContext) -> int | None:
    """The unit whose warnings the account reads, or None for the district's."""
    if sees_every_case(staff.user):
        return None
    if staff.user.unit_id is None:
        raise error_json(web.HTTPForbidden, "forbidden", "账号未关联承办单位，无法查看预警")
    return staff.user.unit_id


async def warnings_json(request: web.Request) -> web.Response:
    staff = await require_staff(request, CAPABILITY)
    unit_id = unit_of(staff)
    try:
        period = period_of(request)
    except ApiError as refused:
        return error_response(refused.status, refused.code, refused.message)
    rows, more = await listed_warnings(period.since, period.until, unit_id=unit_id, limit=MAX_ROWS)
    return web.json_response(
        {
            "from": period.first_day.isoformat(),
            "to": period.end_day.isoformat(),
            "timezone": str(LOCAL_TZ),
            "scope": "district" if unit_id is None else "unit",
            "warnings": rows,
            "more": more,
        }
    )


# The contract (bot.api.openapi)

_UNIT = obj({"id": INTEGER, "code": STRING, "name": STRING})
WARNING = obj(
    {
        "id": INTEGER,
        "key": STRING,
        "label": STRING,
        "week": DATE,
        "found_at": DATETIME,
        "count": INTEGER,
        "residents": INTEGER,
        "baseline": NUMBER,
        "unit": nullable(_UNIT),
        "numbers": array(STRING),
        "item_id": nullable(INTEGER),
    }
)
WARNINGS = obj(
    {
        "from": DATE,
        "to": DATE,
        "timezone": STRING,
        "scope": one_of_values(["district", "unit"]),
        "warnings": array(WARNING),
        "more": {"type": "boolean"},
    }
)
_DAY = "YYYY-MM-DD; the period is [from, to) in Shanghai days (default: the last 30 days)"
OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "GET",
        PATH,
        "The early warnings (预警) of a period: places and topics whose volume jumped",
        "hot",
        {
            200: Response("the warnings, newest first", WARNINGS),
            400: error("invalid_date or invalid_period; the message says which"),
            401: unauthorized("nobody signed in, or an unknown or revoked token"),
            403: error("forbidden: the role may not read figures, or the account has no unit"),
        },
        auth=STAFF_AUTH,
        params=(
            Param("from", "query", DATE, description=_DAY),
            Param("to", "query", DATE, description=_DAY),
        ),
        description=(
            "A warning: the last 7 days had at least 3 residents and at least 3 times the "
            "weekly average of the 4 weeks before (floored at 1); config/hot_warnings.py. "
            "A unit's account sees its unit's warnings and cases only."
        ),
    ),
)


def add_hot_warning_routes(app: web.Application) -> None:
    app.router.add_get(PATH, warnings_json)
