"""The monthly unit ranking and the figures' definitions in the admin API.

- ``GET /api/admin/ranking?month=YYYY-MM`` (default: the previous month): per unit the four
  rates (numerator, denominator, parts), 诉求量, 重办率, 不合理退单, 逾期延期申请, each part of
  the composite score, the score and the rank; the formula and the definitions' version. A
  closed month is answered from its snapshot (``source: snapshot``), any other live.
- ``GET /api/admin/ranking.csv`` and ``GET /api/admin/ranking.xlsx``: the same table for
  spreadsheets; each export is an audit event (``figures.export``).
- ``GET /api/admin/figures/definitions``: what each figure counts, the targets, the weights.
- ``POST /api/admin/figures/close-month`` ``{"month": "YYYY-MM", "recompute": false}`` (an
  admin's, ``figures.close``): freeze a month that is over, as ``jiesu figures close-month``;
  409 when it is closed already (``recompute: true`` replaces it) or not over; audited.

A unit's account sees its own row only (with its rank). The score is ``config/figures.py``.
"""

from __future__ import annotations

import io
from typing import Any

from aiohttp import web
from openpyxl import Workbook
from pydantic import Field

from bot.api.figures import RATE, bad_request, csv_bytes, forced_unit, percent
from bot.api.json_api import ApiError, Payload, error_response, read_payload
from bot.api.openapi import (
    BOOLEAN,
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
    too_large,
)
from bot.api.staff_auth import StaffContext, require_staff
from bot.keys import CLOCK
from config import figures as config
from handlers.clock import local
from handlers.figures.compute import compute_figures
from handlers.figures.filters import FigureFilterError
from handlers.figures.ranking import (
    formula,
    month_days,
    month_filters,
    previous_month,
    rank_units,
    ranking_dict,
)
from handlers.figures.snapshots import SnapshotError, close_month, stored_ranking
from handlers.staff.audit import audit
from models import Unit

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def ranking_for(period: str, staff: StaffContext, now: Any) -> dict[str, Any]:
    """The month's ranking (stored when closed), cut to a unit account's own row."""
    body = await stored_ranking(period)
    if body is None:
        figures = await compute_figures(month_filters(period), now)
        body = ranking_dict(period, await rank_units(figures), now) | {"snapshot": None}
        body["source"] = "live"
    else:
        body["source"] = "snapshot"
    own = forced_unit(staff)
    if own is not None:
        unit = await Unit.get_or_none(id=own)
        code = unit.code if unit else None
        body["rows"] = [row for row in body["rows"] if row["code"] == code]
    body["scope"] = "unit" if own is not None else "district"
    return body


def _month(request: web.Request) -> str:
    value = request.query.get("month", "").strip()
    if not value:
        return previous_month(local(request.app[CLOCK].now()).date())
    try:
        month_days(value)
    except FigureFilterError as exc:
        raise bad_request("invalid_parameter", str(exc)) from None
    return value


async def ranking_json(request: web.Request) -> web.Response:
    staff = await require_staff(request, "figures.read")
    period = _month(request)
    return web.json_response(await ranking_for(period, staff, request.app[CLOCK].now()))


HEADER = [
    "排名", "单位代码", "单位名称", "诉求量",
    "先行联系率", "按时先行联系", "应先行联系",
    "按时办结率", "按时办结", "应办结",
    "重复率", "重复件", "诉求件",
    "满意率", "满意+0.9×基本满意", "有效评价",
    "重办率", "不合理退单", "逾期延期申请", "综合得分",
]  # fmt: skip


def table(body: dict[str, Any]) -> list[list[Any]]:
    """The ranking as rows of cells: numbers stay numbers (XLSX), rates as ``95.5%``."""
    rows: list[list[Any]] = [list(HEADER)]
    for row in body["rows"]:
        cells: list[Any] = [row["rank"] or "", row["code"], row["name"], row["cases"]]
        for key in config.RATE_KEYS:
            rate = row["rates"][key]
            cells += [percent(rate["rate"]), rate["numerator"], rate["denominator"]]
        cells += [
            percent(row["reopen"]["rate"]),
            row["refused_returns"],
            row["late_extensions"],
            "" if row["score"] is None else row["score"],
        ]
        rows.append(cells)
    return rows


async def _export(request: web.Request, kind: str) -> tuple[str, list[list[Any]]]:
    staff = await require_staff(request, "figures.read")
    period = _month(request)
    now = request.app[CLOCK].now()
    body = await ranking_for(period, staff, now)
    detail = {"ranking": period, "format": kind, "source": body["source"]}
    await audit(staff.actor, "figures.export", now, target_type="figures", detail=detail)
    return f"ranking-{period}.{kind}", table(body)


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"'}


async def ranking_csv(request: web.Request) -> web.Response:
    name, rows = await _export(request, "csv")
    text_rows = [[str(cell) for cell in row] for row in rows]
    return web.Response(
        body=csv_bytes(text_rows),
        content_type="text/csv",
        charset="utf-8",
        headers=_attachment(name),
    )


def xlsx_bytes(rows: list[list[Any]], title: str) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def ranking_xlsx(request: web.Request) -> web.Response:
    name, rows = await _export(request, "xlsx")
    return web.Response(
        body=xlsx_bytes(rows, "月度排名"), content_type=XLSX, headers=_attachment(name)
    )


class ClosePayload(Payload):
    month: str = Field(min_length=7, max_length=7, pattern=r"^[0-9]{4}-[0-9]{2}$")
    recompute: bool = False


async def close_month_json(request: web.Request) -> web.Response:
    staff = await require_staff(request, "figures.close")
    try:
        payload = await read_payload(request, ClosePayload)
    except ApiError as error:
        return error_response(error.status, error.code, error.message, **error.extra)
    try:
        month_days(payload.month)
    except FigureFilterError as exc:
        raise bad_request("invalid_parameter", str(exc)) from None
    now = request.app[CLOCK].now()
    try:
        closed = await close_month(payload.month, now, staff.actor, recompute=payload.recompute)
    except SnapshotError as exc:
        return error_response(409, "conflict", str(exc))
    return web.json_response(
        {"period": closed.period, "units": closed.units, "recomputed": closed.recomputed}
    )


def definitions() -> dict[str, Any]:
    return {
        "version": config.DEFINITIONS_VERSION,
        "definitions": dict(config.DEFINITION_TEXTS),
        "labels": dict(config.RATE_LABELS),
        "targets": {key: {"value": t.value, "op": t.op} for key, t in config.TARGETS.items()},
        "basically_weight": config.BASICALLY_WEIGHT,
        "ranking": formula(),
    }


async def definitions_json(request: web.Request) -> web.Response:
    await require_staff(request, "figures.read")
    return web.json_response(definitions())


# The contract (bot.api.openapi)

_FORMULA = obj(
    {
        "weights": {"type": "object", "additionalProperties": NUMBER},
        "repeat_zero_at": NUMBER,
        "refused_return_penalty": NUMBER,
        "late_extension_penalty": NUMBER,
        "reopen_penalty": NUMBER,
        "text": STRING,
    }
)
_ROW = obj(
    {
        "code": STRING,
        "name": STRING,
        "cases": INTEGER,
        "rates": {"type": "object", "additionalProperties": RATE},
        "reopen": RATE,
        "refused_returns": INTEGER,
        "late_extensions": INTEGER,
        "points": {"type": "object", "additionalProperties": NUMBER},
        "score": nullable(NUMBER),
        "rank": nullable(INTEGER),
    }
)
RANKING = obj(
    {
        "period": STRING,
        "from": STRING,
        "to": STRING,
        "computed_at": STRING,
        "definitions_version": STRING,
        "formula": _FORMULA,
        "rows": array(_ROW),
        "source": one_of_values(["live", "snapshot"]),
        "snapshot": nullable({"type": "object"}),
        "scope": one_of_values(["unit", "district"]),
    }
)
_MONTH = (Param("month", "query", STRING, description="YYYY-MM (default: the previous month)"),)
_400 = error("invalid_parameter: month is not YYYY-MM")
_401 = error("unauthorized: not signed in, and no valid API token")
_403 = error("forbidden: the role may not read figures")
_TAG = "figures"


def _file(kind: str, media: str) -> Operation:
    return Operation(
        "GET",
        f"/api/admin/ranking.{kind}",
        f"The monthly unit ranking as {kind.upper()}",
        _TAG,
        {
            200: Response(f"the ranking table ({kind})", STRING, media, headers={
                "Content-Disposition": STRING
            }),
            400: _400,
            401: _401,
            403: _403,
        },
        auth=STAFF_AUTH,
        params=_MONTH,
        description="Each export is an audit event (figures.export).",
    )  # fmt: skip


OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "GET",
        "/api/admin/ranking",
        "The monthly unit ranking: rates, counts, composite score and rank",
        _TAG,
        {200: Response("the ranking", RANKING), 400: _400, 401: _401, 403: _403},
        auth=STAFF_AUTH,
        params=_MONTH,
    ),
    _file("csv", "text/csv"),
    _file("xlsx", XLSX),
    Operation(
        "GET",
        "/api/admin/figures/definitions",
        "What each figure counts, the targets and the ranking formula, with their version",
        _TAG,
        {
            200: Response("the definitions", {"type": "object"}),
            401: _401,
            403: _403,
        },
        auth=STAFF_AUTH,
    ),
    Operation(
        "POST",
        "/api/admin/figures/close-month",
        "Close a month: store its figures and ranking as they stand (an admin's)",
        _TAG,
        {
            200: Response(
                "closed", obj({"period": STRING, "units": INTEGER, "recomputed": BOOLEAN})
            ),
            400: error("invalid_json, invalid_payload or invalid_parameter"),
            401: _401,
            403: error("forbidden: only an admin may close a month"),
            409: error("conflict: the month is closed already (recompute: true) or not over"),
            413: too_large(),
        },
        auth=STAFF_AUTH,
        body=ClosePayload,
        description="Audited (figures.close_month, figures.recompute_month).",
    ),
)


def add_ranking_routes(app: web.Application) -> None:
    app.router.add_get("/api/admin/ranking", ranking_json)
    app.router.add_get("/api/admin/ranking.csv", ranking_csv)
    app.router.add_get("/api/admin/ranking.xlsx", ranking_xlsx)
    app.router.add_get("/api/admin/figures/definitions", definitions_json)
    app.router.add_post("/api/admin/figures/close-month", close_month_json)
