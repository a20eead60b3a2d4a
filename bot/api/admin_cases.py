"""The admin API for cases, under ``/api/admin/cases``: what the dashboard's case pages do, as
JSON, for a staff session (with ``X-CSRF-Token`` on unsafe requests) or a bearer token.

- ``GET cases?status=&unit=&grid=&category=&kind=&urgency=&overdue=1&supervised=1&review=1&q=``
  ``&page=``: 20 a page, newest first, the same filters and search as the dashboard
  (``handlers.workflow.search``); ``status`` is a status, ``open`` or empty for all; ``urgency``
  急, 一般 or 难; ``review=1`` the results waiting for 办结审核; ``q`` words, a case number or a
  phone's digits.
- ``GET cases/{number}?full=&timeline_page=``: the case, its timeline, its unit spells and the
  unit's 延期 and 退单 requests with the centre's decisions (``bot.api.admin_case_history``).
  Long words are folded (``text_folded``, each event's ``note_folded``) and the timeline comes
  50 events a page, the latest first (``timeline_total``, ``timeline_pages``): ``full=1`` unfolds
  them, ``timeline_page=2`` is the page before (``handlers.case_pages``). Actions answer the
  case as the first page shows it.
- ``POST cases/{number}/recategorise`` ``{"category": "城乡建设/物业管理", "reason": ""}``
- ``POST cases/{number}/reassign`` ``{"unit": "ST-WJC", "worker_id": null, "reason": ""}``
- ``POST cases/{number}/supervise`` ``{"reason": ""}``
- ``POST cases/{number}/extensions/{id}/decide`` ``{"approve": true, "note": ""}``: the centre
  decides a unit's 延期 (``requests.decide``); 退单 and the queue: ``bot.api.admin_requests``.
- ``POST cases/{number}/invalidate`` ``{"reason": "no_content", "note": ""}``: 不予受理 with a
  reason code from ``config/invalid.py`` (``other`` needs a note); the resident is told.
- ``POST cases/{number}/restore`` ``{"note": "..."}``: an admin undoes 不予受理 (reason required).

Errors are ``{"error": {"code", "message"}}``: 400 ``invalid_json`` / ``invalid_payload`` /
``invalid_request``, 401 ``unauthorized``, 403 ``forbidden`` / ``csrf``, 404 ``not_found`` (no
such case, or one the account may not see: the two are not told apart), 409 ``conflict`` /
``illegal_transition`` / ``concurrent_change`` / ``unchanged``. Phones are masked. Every
action is an audit event written with the action (``handlers.workflow.staff_actions``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

from aiohttp import web
from pydantic import Field

from bot.api.admin_case_history import HISTORY_SCHEMA, history_fields
from bot.api.json_api import ApiError, Payload
from bot.api.json_api import read_payload as read_json_payload
from bot.api.openapi import (
    BOOLEAN,
    CASE_BASICS,
    CASE_VIEW_PARAMS,
    DATETIME,
    DEADLINE_CHANGE,
    INTEGER,
    NUMBER,
    NUMBER_PARAM,
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
    too_large,
)
from bot.api.staff_auth import StaffContext, error_json, require_staff
from bot.keys import CLOCK, INTAKE
from config.invalid import INVALID_REASONS
from config.invalid import MAX_NOTE as MAX_INVALID_NOTE
from handlers.case_deliveries import case_deliveries
from handlers.case_pages import (
    BadView,
    CaseView,
    content_fields,
    timeline_page,
)
from handlers.clock import iso
from handlers.deadline_history import timeline_json
from handlers.digits import finite_or_none
from handlers.intake.repeats import describe_links
from handlers.workflow.actions import MAX_TEXT
from handlers.workflow.invalid import invalidate_case, restore_case
from handlers.workflow.search import (
    MAX_PAGE,
    URGENCY_CHOICES,
    BadFilter,
    case_basics,
    filters_from_query,
    is_overdue,
    related_names,
    search_cases,
)
from handlers.workflow.staff_actions import (
    STAFF_ERRORS,
    CaseHidden,
    decide_case_extension,
    reassign_case,
    recategorise_case,
    refusal_of,
    supervise_case,
)
from handlers.workflow.staff_actions import visible_case as visible_to
from models import (
    Case,
    CaseEvent,
    CaseStatus,
    Grid,
    LinkKind,
    OutboxStatus,
    StaffUser,
    Unit,
    Worker,
)
from nlu import mask_phone, mask_phones_in_text

PREFIX = "/api/admin/cases"
NOT_FOUND = "没有这个编号的诉求，或不在您的账号可查看的范围内"
MAX_ID = 10**18 - 1  # ids are BIGINT: anything longer is no id of ours


class RecategoriseIn(Payload):
    category: str = Field(min_length=1, max_length=128)
    reason: str = Field(default="", max_length=MAX_TEXT)


class ReassignIn(Payload):
    unit: str = Field(min_length=1, max_length=32)
    worker_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    reason: str = Field(default="", max_length=MAX_TEXT)


class SuperviseIn(Payload):
    reason: str = Field(default="", max_length=MAX_TEXT)


class DecideIn(Payload):
    approve: bool
    note: str = Field(default="", max_length=MAX_TEXT)


class InvalidateIn(Payload):
    reason: str = Field(
        min_length=1,
        max_length=32,
        description="one of: " + ", ".join(f"{r.code} ({r.label})" for r in INVALID_REASONS),
    )
    note: str = Field(default="", max_length=MAX_INVALID_NOTE)


class RestoreIn(Payload):
    note: str = Field(min_length=1, max_length=MAX_INVALID_NOTE)


P = TypeVar("P", bound=Payload)


async def read_payload(request: web.Request, model: type[P]) -> P:
    """bot.api.json_api's reading, refused the way this module refuses (an HTTP exception)."""
    try:
        return await read_json_payload(request, model)
    except ApiError as error:
        fields = ", ".join(p["field"] for p in error.extra.get("problems", []))
        message = f"{error.message}：{fields}" if fields else error.message
        raise error_json(web.HTTPBadRequest, error.code, message) from None


def case_json(
    case: Case,
    now: datetime,
    units: dict[int, Unit],
    grids: dict[int, Grid],
    workers: dict[int, Worker],
) -> dict[str, Any]:
    return {
        **case_basics(case, units, grids, workers),
        "overdue": is_overdue(case, now),
        "contact_phone": mask_phone(case.contact_phone) if case.contact_phone else None,
        "created_at": iso(case.created_at),
        "sign_due_at": iso(case.sign_due_at),
        "first_contact_due_at": iso(case.first_contact_due_at),
        "completion_due_at": iso(case.completion_due_at),
    }


async def case_detail(case: Case, now: datetime, view: CaseView | None = None) -> dict[str, Any]:
    view = view or CaseView()
    units, grids, workers = await related_names([case])
    page = await timeline_page(CaseEvent.filter(case_id=case.id), view)
    body = case_json(case, now, units, grids, workers)
    body.update(
        {
            **content_fields(case.text, case.attachments, view),
            "street": case.street,
            "compound": case.compound,
            "address": case.address,
            "lng": finite_or_none(case.lng),  # a row from before the checks may hold NaN
            "lat": finite_or_none(case.lat),
            "signed_at": iso(case.signed_at),
            "first_contact_at": iso(case.first_contact_at),
            "completed_at": iso(case.completed_at),
            "result": mask_phones_in_text(case.result),
            "result_attachments": case.result_attachments,
            "invalid_reason": case.invalid_reason,  # 不予受理: a code of config/invalid.py
            "duplicate_of": await merged_into(case),
            "review_state": case.review_state,  # 办结审核: pending | passed | sent_back
            "review_requested_at": iso(case.review_requested_at),
            "links": await describe_links(case),  # 重复诉求 and hand merges, either end
            "timeline": await timeline_json(page.events, view),
            **page.fields(),
            **await history_fields(case),  # spells, extensions, returns
            **await deliveries_fields(case),  # 消息送达
        }
    )
    return body


async def deliveries_fields(case: Case) -> dict[str, Any]:
    """What was sent about the case, newest first (``handlers.case_deliveries``)."""
    found, more = await case_deliveries(case)
    return {
        "deliveries": [
            {
                "at": d.at.isoformat(),
                "to": d.to,
                "channel": d.channel,
                "channel_label": d.channel_label,
                "purpose": d.purpose,
                "purpose_label": d.purpose_label,
                "preview": d.preview,
                "status": d.status,
                "status_label": d.status_label,
                "needs_a_call": d.needs_a_call,
                "hint": d.hint,
            }
            for d in found
        ],
        "deliveries_more": more,
    }


async def merged_into(case: Case) -> str | None:
    """The number of the case this one is merged into (并案), if any."""
    if case.duplicate_of_id is None:
        return None
    original = await Case.get_or_none(id=case.duplicate_of_id)
    return original.number if original is not None else None


async def visible_case(user: StaffUser, number: str) -> Case:
    """The case ``user`` may see; a number no database text can hold (NUL) is unknown too."""
    if "\x00" in number:
        raise CaseHidden(number)
    return await visible_to(user, number)


Action = Callable[[web.Request, StaffContext, Case], Awaitable[None]]
Answer = Callable[[Case, datetime], Awaitable[Any]]


def case_action(
    capability: str, action: Action, answer: Answer | None = None
) -> Callable[[web.Request], Awaitable[web.Response]]:
    """Check the account, find the case it may see, run the action, answer the case (``answer``)."""

    async def run(request: web.Request) -> web.Response:
        staff = await require_staff(request, capability)
        try:
            case = await visible_case(staff.user, request.match_info["number"])
            await action(request, staff, case)
        except CaseHidden:
            raise error_json(web.HTTPNotFound, "not_found", NOT_FOUND) from None
        except STAFF_ERRORS as error:
            refused = refusal_of(error)
            body = {"error": {"code": refused.code, "message": refused.message}}
            return web.json_response(body, status=refused.status)
        now = request.app[CLOCK].now()
        body = await answer(case, now) if answer else {"case": await case_detail(case, now)}
        return web.json_response(body)

    return run


async def list_cases(request: web.Request) -> web.Response:
    staff = await require_staff(request, "cases.read")
    try:
        filters = filters_from_query(request.query)
    except BadFilter as problem:
        raise error_json(web.HTTPBadRequest, "invalid_request", str(problem)) from None
    now = request.app[CLOCK].now()
    found = await search_cases(staff.user, filters, now)
    units, grids, workers = await related_names(found.cases)
    return web.json_response(
        {
            "cases": [case_json(c, now, units, grids, workers) for c in found.cases],
            "total": found.total,
            "page": found.page,
            "pages": found.pages,
            "page_size": found.page_size,
        }
    )


async def get_case(request: web.Request) -> web.Response:
    staff = await require_staff(request, "cases.read")
    try:
        view = CaseView.of(request.query)
    except BadView as problem:
        raise error_json(web.HTTPBadRequest, "invalid_request", str(problem)) from None
    try:
        case = await visible_case(staff.user, request.match_info["number"])
    except CaseHidden:
        raise error_json(web.HTTPNotFound, "not_found", NOT_FOUND) from None
    return web.json_response({"case": await case_detail(case, request.app[CLOCK].now(), view)})


async def _recategorise(request: web.Request, staff: StaffContext, case: Case) -> None:
    body = await read_payload(request, RecategoriseIn)
    ctx = await request.app[INTAKE].context()
    await recategorise_case(case, body.category, staff.user, staff.actor, ctx, body.reason)


async def _reassign(request: web.Request, staff: StaffContext, case: Case) -> None:
    body = await read_payload(request, ReassignIn)
    ctx = await request.app[INTAKE].context()
    await reassign_case(case, body.unit, body.worker_id, staff.user, staff.actor, ctx, body.reason)


async def _supervise(request: web.Request, staff: StaffContext, case: Case) -> None:
    body = await read_payload(request, SuperviseIn)
    ctx = await request.app[INTAKE].context()
    await supervise_case(case, staff.user, staff.actor, ctx, body.reason)


async def _invalidate(request: web.Request, staff: StaffContext, case: Case) -> None:
    body = await read_payload(request, InvalidateIn)
    ctx = await request.app[INTAKE].context()
    await invalidate_case(case, body.reason, body.note, staff.user, staff.actor, ctx)


async def _restore(request: web.Request, staff: StaffContext, case: Case) -> None:
    body = await read_payload(request, RestoreIn)
    ctx = await request.app[INTAKE].context()
    await restore_case(case, body.note, staff.user, staff.actor, ctx)


async def _decide(request: web.Request, staff: StaffContext, case: Case) -> None:
    raw_id = request.match_info["request_id"]
    if not (raw_id.isascii() and raw_id.isdigit() and len(raw_id) <= 18):
        raise error_json(web.HTTPNotFound, "not_found", "没有这份延期申请")
    body = await read_payload(request, DecideIn)
    ctx = await request.app[INTAKE].context()
    await decide_case_extension(
        case, int(raw_id), body.approve, staff.user, staff.actor, ctx, body.note
    )


# The contract (bot.api.openapi)

ADMIN_CASE = Component(
    "AdminCase",
    obj(
        {
            **CASE_BASICS,
            "overdue": BOOLEAN,
            "contact_phone": nullable(STRING),
            "created_at": DATETIME,
            "sign_due_at": nullable(DATETIME),
            "first_contact_due_at": nullable(DATETIME),
            "completion_due_at": nullable(DATETIME),
        }
    ),
)
DELIVERY = obj(
    {
        "at": DATETIME,
        "to": STRING,
        "channel": STRING,
        "channel_label": STRING,
        "purpose": STRING,
        "purpose_label": STRING,
        "preview": STRING,
        "status": one_of_values(s.value for s in OutboxStatus),
        "status_label": STRING,
        "needs_a_call": BOOLEAN,
        "hint": STRING,
    }
)
ADMIN_CASE_DETAIL = Component(
    "AdminCaseDetail",
    {
        "allOf": [
            ADMIN_CASE,
            obj(
                {
                    "text": STRING,
                    "text_length": INTEGER,
                    "text_folded": BOOLEAN,
                    "attachments": array({"type": "object"}),
                    "attachments_total": INTEGER,
                    "street": nullable(STRING),
                    "compound": nullable(STRING),
                    "address": nullable(STRING),
                    "lng": nullable(NUMBER),
                    "lat": nullable(NUMBER),
                    "signed_at": nullable(DATETIME),
                    "first_contact_at": nullable(DATETIME),
                    "completed_at": nullable(DATETIME),
                    "result": STRING,
                    "result_attachments": array({"type": "object"}),
                    "invalid_reason": nullable(STRING),
                    "duplicate_of": nullable(STRING),
                    "review_state": nullable(one_of_values(("pending", "passed", "sent_back"))),
                    "review_requested_at": nullable(DATETIME),
                    "links": array(
                        obj(
                            {
                                "kind": one_of_values(x.value for x in LinkKind),
                                "role": one_of_values(("earlier", "later")),
                                "case": nullable(STRING),
                                "same_resident": BOOLEAN,
                                "reopened": BOOLEAN,
                                "at": DATETIME,
                                "ended_at": nullable(DATETIME),
                            }
                        )
                    ),
                    "timeline": array(
                        obj(
                            {
                                "at": DATETIME,
                                "action": STRING,
                                "actor_type": STRING,
                                "actor_id": STRING,
                                "from_status": nullable(STRING),
                                "to_status": nullable(STRING),
                                "note": STRING,
                                "note_folded": BOOLEAN,
                                "deadlines": array(DEADLINE_CHANGE),
                            }
                        )
                    ),
                    "timeline_total": INTEGER,
                    "timeline_page": INTEGER,
                    "timeline_pages": INTEGER,
                    **HISTORY_SCHEMA,  # spells, extensions and returns
                    "deliveries": array(DELIVERY),
                    "deliveries_more": BOOLEAN,
                }
            ),
        ]
    },
)
_TAG = "admin cases"
_ONE_CASE = Response("the case after the action", obj({"case": ADMIN_CASE_DETAIL}))
_401 = error("unauthorized: not signed in, and no valid API token")
_404 = error("not_found: no such case, or one the account may not see (not told apart)")
ACTION_RESPONSES = {
    200: _ONE_CASE,
    400: error("invalid_json, invalid_payload or invalid_request (e.g. an unknown category)"),
    401: _401,
    403: error("forbidden: the role may not do this; csrf: a session without X-CSRF-Token"),
    404: _404,
    409: error("conflict, illegal_transition, concurrent_change or unchanged"),
    413: too_large(),
}
_FLAG = {"type": "string", "enum": ["", "0", "1", "true", "false", "yes", "no", "on", "off"]}


def _action(
    path: str,
    summary: str,
    body: type[Payload],
    params: tuple[Param, ...] = (),
    *,
    required: bool = True,
) -> Operation:
    return Operation(
        "POST",
        f"{PREFIX}/{{number}}/{path}",
        summary,
        _TAG,
        ACTION_RESPONSES,
        auth=STAFF_AUTH,
        params=(NUMBER_PARAM, *params),
        body=body,
        body_required=required,
    )


OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "GET",
        PREFIX,
        "Search the cases the account may see, newest first, 20 a page",
        _TAG,
        {
            200: Response(
                "one page",
                obj(
                    {
                        "cases": array(ADMIN_CASE),
                        "total": INTEGER,
                        "page": INTEGER,
                        "pages": INTEGER,
                        "page_size": INTEGER,
                    }
                ),
            ),
            400: error("invalid_request: a filter that cannot be used (the message says which)"),
            401: _401,
        },
        auth=STAFF_AUTH,
        params=(
            Param(
                "status",
                "query",
                {"type": "string", "enum": ["", "open", *(x.value for x in CaseStatus)]},
            ),
            Param("unit", "query", STRING, description="unit code"),
            Param("grid", "query", STRING, description="grid code"),
            Param("category", "query", STRING, description="a category path prefix"),
            Param("kind", "query", STRING),
            Param("urgency", "query", {"type": "string", "enum": ["", *URGENCY_CHOICES]}),
            Param("overdue", "query", _FLAG),
            Param("supervised", "query", _FLAG),
            Param("review", "query", _FLAG, description="results waiting for 办结审核"),
            Param("q", "query", STRING, description="words, a case number or a phone's digits"),
            Param("page", "query", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}),
        ),
    ),
    Operation(
        "GET",
        f"{PREFIX}/{{number}}",
        "A case with its timeline (50 events a page, the latest first) and extension requests; "
        "long words folded, phones masked",
        _TAG,
        {
            200: Response("the case", obj({"case": ADMIN_CASE_DETAIL})),
            400: error("invalid_request: full or timeline_page cannot be used"),
            401: _401,
            404: _404,
        },
        auth=STAFF_AUTH,
        params=(NUMBER_PARAM, *CASE_VIEW_PARAMS),
    ),
    _action("recategorise", "改类: correct the category", RecategoriseIn),
    _action("reassign", "改派: send the case to another unit (or worker)", ReassignIn),
    _action("supervise", "督办: put the case under supervision", SuperviseIn, required=False),
    _action("invalidate", "不予受理: close the case as no case, with a reason", InvalidateIn),
    _action("restore", "恢复受理: undo 不予受理 (admins), with a reason", RestoreIn),
    _action(
        "extensions/{request_id}/decide",
        "延期审核: approve (the deadline becomes the date asked) or refuse a unit's request",
        DecideIn,
        (Param("request_id", "path", {"type": "integer", "minimum": 1}),),
    ),
)


def add_admin_case_routes(app: web.Application) -> None:
    app.router.add_get(PREFIX, list_cases)
    app.router.add_get(f"{PREFIX}/{{number}}", get_case)
    app.router.add_post(
        f"{PREFIX}/{{number}}/recategorise", case_action("cases.recategorise", _recategorise)
    )
    app.router.add_post(f"{PREFIX}/{{number}}/reassign", case_action("cases.reassign", _reassign))
    app.router.add_post(
        f"{PREFIX}/{{number}}/supervise", case_action("cases.supervise", _supervise)
    )
    app.router.add_post(
        f"{PREFIX}/{{number}}/invalidate", case_action("cases.invalidate", _invalidate)
    )
    app.router.add_post(f"{PREFIX}/{{number}}/restore", case_action("cases.restore", _restore))
    app.router.add_post(
        f"{PREFIX}/{{number}}/extensions/{{request_id}}/decide",
        case_action("requests.decide", _decide),
    )
