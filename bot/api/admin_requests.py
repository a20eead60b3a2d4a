"""The centre's decisions on units' requests in the admin API (``requests.decide``: admins and
dispatchers; the unit that asked never decides its own).

- ``GET /api/admin/requests?status=pending&kind=all``: the queue, oldest first (``status``
  pending, approved, refused or all; ``kind`` return, extension or all).
- ``POST /api/admin/cases/{number}/returns/{id}/decide``
  ``{"approve": true, "note": "", "unit": "", "worker_id": null}``: 退单审核. Approved without
  ``unit`` the case goes to the dispatch queue; with a unit code it goes straight there (改派,
  its deadlines counted from now). Refused needs ``note``, and changes nothing for the case.
- ``POST /api/admin/cases/{number}/extensions/{id}/decide`` (``bot.api.admin_cases``) decides a
  延期: approved, the completion deadline becomes the date asked.

Both answer the case as ``GET /api/admin/cases/{number}`` does, or an error: 404 for a request
that is not the case's, 409 ``conflict`` for one already decided or whose case moved on, 400
for a refusal without a reason or a unit that cannot take it. Each decision is audited.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import Field

from bot.api.admin_cases import ACTION_RESPONSES, MAX_ID, PREFIX, case_action, read_payload
from bot.api.json_api import Payload
from bot.api.openapi import (
    BOOLEAN,
    DATETIME,
    INTEGER,
    NUMBER_PARAM,
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
)
from bot.api.staff_auth import StaffContext, error_json, require_staff
from bot.keys import INTAKE
from handlers.clock import iso
from handlers.workflow.actions import MAX_TEXT
from handlers.workflow.request_queue import (
    KINDS,
    STATUSES,
    BadQueueFilter,
    QueuedRequest,
    queued_requests,
)
from handlers.workflow.staff_actions import decide_case_return
from models import Case

QUEUE = "/api/admin/requests"


class ReturnDecideIn(Payload):
    approve: bool
    note: str = Field(default="", max_length=MAX_TEXT)
    unit: str = Field(default="", max_length=32, description="改派: the unit's code")
    worker_id: int | None = Field(default=None, ge=1, le=MAX_ID)


def queued_json(row: QueuedRequest) -> dict[str, Any]:
    return {
        "kind": row.kind,
        "id": row.id,
        "case": row.case_number,
        "title": row.case_title,
        "unit": row.unit,
        "reason": row.reason,
        "status": row.status,
        "created_at": iso(row.created_at),
        "completion_due_at": iso(row.completion_due_at),
        "new_due_at": iso(row.new_due_at),
        "suggested_unit": row.suggested_unit,
        "late": row.late,
        "note": row.note,
    }


async def list_requests(request: web.Request) -> web.Response:
    await require_staff(request, "requests.decide")
    try:
        rows = await queued_requests(
            request.query.get("status", "pending"), request.query.get("kind", "all")
        )
    except BadQueueFilter as problem:
        raise error_json(web.HTTPBadRequest, "invalid_request", str(problem)) from None
    return web.json_response({"requests": [queued_json(r) for r in rows]})


async def _decide_return(request: web.Request, staff: StaffContext, case: Case) -> None:
    raw_id = request.match_info["request_id"]
    if not (raw_id.isascii() and raw_id.isdigit() and len(raw_id) <= 18):
        raise error_json(web.HTTPNotFound, "not_found", "没有这份退单申请")
    body = await read_payload(request, ReturnDecideIn)
    ctx = await request.app[INTAKE].context()
    await decide_case_return(
        case,
        int(raw_id),
        body.approve,
        staff.user,
        staff.actor,
        ctx,
        body.note,
        unit_code=body.unit,
        worker_id=body.worker_id,
    )


QUEUED = obj(
    {
        "kind": one_of_values(KINDS),
        "id": INTEGER,
        "case": STRING,
        "title": STRING,
        "unit": STRING,
        "reason": STRING,
        "status": one_of_values(s for s in STATUSES if s != "all"),
        "created_at": DATETIME,
        "completion_due_at": nullable(DATETIME),
        "new_due_at": nullable(DATETIME),
        "suggested_unit": STRING,
        "late": BOOLEAN,
        "note": STRING,
    }
)

OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "GET",
        QUEUE,
        "The centre's queue of units' 退单 and 延期 requests, oldest first",
        "admin cases",
        {
            200: Response("the requests", obj({"requests": array(QUEUED)})),
            400: error("invalid_request: an unknown status or kind"),
            401: error("unauthorized: not signed in, and no valid API token"),
            403: error("forbidden: the role may not decide requests"),
        },
        auth=STAFF_AUTH,
        params=(
            Param("status", "query", one_of_values(STATUSES), description="default: pending"),
            Param("kind", "query", one_of_values([*KINDS, "all"]), description="default: all"),
        ),
    ),
    Operation(
        "POST",
        f"{PREFIX}/{{number}}/returns/{{request_id}}/decide",
        "退单审核: approve (to the queue, or 改派 to a unit) or refuse a unit's return request",
        "admin cases",
        ACTION_RESPONSES,
        auth=STAFF_AUTH,
        params=(NUMBER_PARAM, Param("request_id", "path", {"type": "integer", "minimum": 1})),
        body=ReturnDecideIn,
        body_required=True,
    ),
)


def add_admin_request_routes(app: web.Application) -> None:
    app.router.add_get(QUEUE, list_requests)
    app.router.add_post(
        f"{PREFIX}/{{number}}/returns/{{request_id}}/decide",
        case_action("requests.decide", _decide_return),
    )
