"""The worker API: JSON over HTTP for the mini-program's worker pages, under ``/api/worker/``.

A worker is known by a bearer token (``Authorization: Bearer <token>``, issued with
``jiesu workers token``). Every answer is JSON; an error is
``{"error": {"code": ..., "message": ...}}`` with

- 400 ``invalid_json`` / ``invalid_payload`` / ``invalid_request``: the body is wrong,
- 401 ``unauthorized``: no token, an unknown or revoked one, or an inactive worker,
- 403 ``forbidden``: the worker may not see or do this. A case number that does not exist gets
  the very same 403 as a case of another grid or unit, so the API never tells a worker whether
  a number they may not see exists (numbers are sequential and easy to guess). Dispatchers see
  every case, so for them an unknown number is a plain 404 ``not_found``.
- 409 ``illegal_transition`` / ``concurrent_change`` / ``conflict``: the case's state does not
  allow it (the message says what is allowed from here), somebody changed it meanwhile, or a
  rule of the workflow (one pending extension at a time) refuses it.

Endpoints: ``GET me``, ``GET tasks?status=&overdue=1&due_today=1&page=`` (20 a page, the
cases the worker may see, by completion deadline. Without ``status``: the open cases that are
theirs to work on, a dispatcher's queue included for dispatchers. ``status`` takes a comma
list of statuses, ``open`` or ``all``. ``overdue``: an unmet deadline has passed. ``due_today``:
an unmet deadline falls today), ``GET cases/{number}`` (detail and timeline, with ``actions``
the worker may take now), ``POST cases/{number}/sign | contact | progress | finish | return |
extension``, ``GET extensions?status=pending`` (the unit's own requests; every unit's for the
centre's dispatchers) and, for whom the role table allows ``requests.decide`` (the centre's
dispatchers), ``POST extensions/{id}/decide``. ``return`` (退单, with ``suggested_unit``) and
``extension`` (延期, with ``new_due_at``) are requests to the centre: answered 201 with
"已提交，待中心审核", nothing changes until a dispatcher decides; an extension asked after the
completion deadline is refused at once (409 ``late_request``) and kept, counted.
Photos are references (``{"type": "image", "url": ...}``,
``"media_id"``, or ``"media_key"`` / ``/media/<key>`` of the worker's own upload through
``POST uploads``, ``bot.api.worker_uploads``), at most 9.

Deadlines are judged against the app's clock, and "today" is the day in Asia/Shanghai.
The resident's phone, and phone numbers in their words, are masked until the case is signed
(签收) and then shown only to those who may handle the case.

The JSON the answers are made of is built in ``bot.api.worker_views``; the API's part of the
OpenAPI contract is ``bot.api.worker_contract``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, Literal

from aiohttp import web
from pydantic import AwareDatetime, ConfigDict, Field, model_validator

from bot.api.json_api import ApiError, Payload, error_response, page_of, read_payload
from bot.api.worker_uploads import upload
from bot.api.worker_views import (
    WORKER_ACTIONS,
    case_detail,
    case_summary,
    due_today_filter,
    extension_json,
    overdue_filter,
    return_json,
    scope_filter,
    view_of,
)
from bot.keys import CLOCK, INTAKE
from handlers.clock import iso
from handlers.context import HandlerContext
from handlers.residents.media_store import KEY_PATTERN
from handlers.staff.permissions import worker_can
from handlers.timeline import Actor, ConcurrentChange
from handlers.workflow.actions import (
    MAX_ATTACHMENTS,
    MAX_EXTENSION_HOURS,
    MAX_TEXT,
    InvalidRequest,
    LateExtension,
    NotAllowed,
    WorkflowConflict,
    add_progress,
    finish_case,
    may_see,
    record_contact,
    request_extension,
    return_case,
    sign_case,
    worker_for_token,
)
from handlers.workflow.centre_requests import Decider, decide_extension
from handlers.workflow.search import related_names
from models import (
    Case,
    CaseEvent,
    CaseStatus,
    ExtensionRequest,
    ExtensionStatus,
    Grid,
    IllegalTransition,
    Unit,
    Worker,
    WorkerRole,
)
from models.case_status import OPEN_STATUSES, allowed_actions

logger = logging.getLogger(__name__)

PREFIX = "/api/worker"
PAGE_SIZE = 20
MAX_PAGE = 10_000
FORBIDDEN_MESSAGE = "您无权查看或办理此诉求"
SUBMITTED = "已提交，待中心审核"


# Payloads


class Attachment(Payload):
    # The contract says what the validator below checks: a url, a media_id or a media_key.
    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [
                {"required": ["url"], "properties": {"url": {"type": "string"}}},
                {"required": ["media_id"], "properties": {"media_id": {"type": "string"}}},
                {"required": ["media_key"], "properties": {"media_key": {"type": "string"}}},
            ]
        }
    )

    type: Literal["image"] = "image"
    # http(s) links, or /media/<key> of the worker's own upload (POST /api/worker/uploads).
    url: str | None = Field(default=None, max_length=1024, pattern=r"^(https?://|/media/)\S+$")
    media_id: str | None = Field(default=None, min_length=1, max_length=256)
    media_key: str | None = Field(default=None, pattern=KEY_PATTERN.pattern)

    @model_validator(mode="after")
    def _one_reference(self) -> Attachment:
        if not self.url and not self.media_id and not self.media_key:
            raise ValueError("an attachment needs a url, a media_id or a media_key")
        return self


class ContactIn(Payload):
    method: Literal["phone", "visit", "message"]
    note: str = Field(default="", max_length=MAX_TEXT)


class ProgressIn(Payload):
    text: str = Field(default="", max_length=MAX_TEXT)
    attachments: list[Attachment] = Field(default_factory=list, max_length=MAX_ATTACHMENTS)


class FinishIn(Payload):
    result: str = Field(min_length=1, max_length=MAX_TEXT)
    attachments: list[Attachment] = Field(default_factory=list, max_length=MAX_ATTACHMENTS)


class ReturnIn(Payload):
    reason: str = Field(min_length=1, max_length=MAX_TEXT)
    suggested_unit: str = Field(default="", max_length=32, description="a unit code")


class ExtensionIn(Payload):
    # The new completion date (with its offset); ``hours`` past the present deadline is the
    # older form and still understood. One of the two.
    new_due_at: AwareDatetime | None = Field(default=None, strict=False)
    hours: int | None = Field(default=None, ge=1, le=MAX_EXTENSION_HOURS)
    reason: str = Field(min_length=1, max_length=MAX_TEXT)

    @model_validator(mode="after")
    def _one_date(self) -> ExtensionIn:
        if (self.new_due_at is None) == (self.hours is None):
            raise ValueError("give new_due_at (or hours), one of the two")
        return self


class DecideIn(Payload):
    approve: bool
    note: str = Field(default="", max_length=MAX_TEXT)


class EmptyIn(Payload):
    pass


def attachment_dicts(items: list[Attachment]) -> list[dict[str, Any]]:
    return [item.model_dump(exclude_none=True) for item in items]


# Authentication and context


async def authenticate(request: web.Request) -> Worker:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "unauthorized", "缺少令牌：请在 Authorization 头中提供 Bearer 令牌")
    worker = await worker_for_token(token.strip(), request.app[CLOCK].now())
    if worker is None:
        raise ApiError(401, "unauthorized", "令牌无效或已停用，请重新获取")
    return worker


async def context(request: web.Request) -> HandlerContext:
    return await request.app[INTAKE].context()


def now_of(request: web.Request) -> datetime:
    return request.app[CLOCK].now()


def may_exist(number: str) -> bool:
    """Whether ``number`` can be a case number at all (the column holds 16 characters, and no
    database text holds a NUL): anything else is unknown without asking the database."""
    return 0 < len(number) <= 16 and "\x00" not in number


async def visible_case(request: web.Request, worker: Worker) -> Case:
    number = request.match_info["number"]
    case = await Case.get_or_none(number=number) if may_exist(number) else None
    if case is None:
        if worker.role == WorkerRole.DISPATCHER:
            raise ApiError(404, "not_found", "没有这个编号的诉求")
        raise ApiError(403, "forbidden", FORBIDDEN_MESSAGE)
    if not may_see(worker, case):
        raise ApiError(403, "forbidden", FORBIDDEN_MESSAGE)
    return case


Handler = Callable[[web.Request, Worker], Awaitable[web.Response]]


def endpoint(handler: Handler) -> Callable[[web.Request], Awaitable[web.Response]]:
    """Authenticate, run, and turn every refusal into its JSON error."""

    async def run(request: web.Request) -> web.Response:
        try:
            worker = await authenticate(request)
            return await handler(request, worker)
        except ApiError as error:
            return error_response(error.status, error.code, error.message, **error.extra)
        except NotAllowed as error:
            return error_response(403, "forbidden", str(error) or FORBIDDEN_MESSAGE)
        except InvalidRequest as error:
            return error_response(400, "invalid_request", str(error))
        except IllegalTransition as error:
            allowed = [a.label for a in allowed_actions(error.status) if a in WORKER_ACTIONS]
            message = f"诉求当前为{error.status.label}，不能{error.action.label}。" + (
                f"现在可以：{'、'.join(allowed)}" if allowed else ""
            )
            return error_response(409, "illegal_transition", message, detail=str(error))
        except ConcurrentChange:
            return error_response(409, "concurrent_change", "诉求刚被他人更新，请刷新后重试")
        except WorkflowConflict as error:
            return error_response(409, "conflict", str(error))

    return run


# Endpoints


async def me(request: web.Request, worker: Worker) -> web.Response:
    unit = await Unit.get_or_none(id=worker.unit_id) if worker.unit_id else None
    grid = await Grid.get_or_none(id=worker.grid_id) if worker.grid_id else None
    return web.json_response(
        {
            "id": worker.id,
            "name": worker.name,
            "role": WorkerRole(worker.role).value,
            "unit": {"code": unit.code, "name": unit.name} if unit else None,
            "grid": {"code": grid.code, "name": grid.name} if grid else None,
        }
    )


def _flag(request: web.Request, name: str) -> bool:
    value = request.query.get(name, "").strip().lower()
    if value in ("", "0", "false", "no"):
        return False
    if value in ("1", "true", "yes"):
        return True
    raise ApiError(400, "invalid_request", f"{name} 只能是 1 或 0")


def _statuses(request: web.Request, worker: Worker) -> list[str] | None:
    """``status=signed,contacted``, ``open`` or ``all``.

    Without it: for a dispatcher every open case (the queue included), for anyone else the
    cases that are theirs to work on, i.e. open but not waiting in the dispatcher queue.
    """
    raw = request.query.get("status", "").strip()
    if not raw:
        if worker.role == WorkerRole.DISPATCHER:
            return sorted(s.value for s in OPEN_STATUSES)
        return sorted(s.value for s in OPEN_STATUSES if s is not CaseStatus.ACCEPTED)
    if raw == "all":
        return None
    chosen: set[str] = set()
    for part in raw.split(","):
        part = part.strip()
        if part == "open":
            chosen.update(s.value for s in OPEN_STATUSES)
            continue
        try:
            chosen.add(CaseStatus(part).value)
        except ValueError:
            known = ", ".join(s.value for s in CaseStatus)
            raise ApiError(
                400, "invalid_request", f"未知的状态 {part}；可用：open, all, {known}"
            ) from None
    return sorted(chosen)


async def tasks(request: web.Request, worker: Worker) -> web.Response:
    now = now_of(request)
    statuses = _statuses(request, worker)
    page = page_of(request, MAX_PAGE)
    query = Case.all()
    scope = scope_filter(worker)
    if scope is not None:
        query = query.filter(scope)
    if statuses is not None:
        query = query.filter(status__in=statuses)
    if _flag(request, "overdue"):
        query = query.filter(overdue_filter(now))
    if _flag(request, "due_today"):
        query = query.filter(due_today_filter(now))
    total = await query.count()
    cases = (
        await query.order_by("completion_due_at", "id")
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    )
    units, grids, workers = await related_names(cases)
    return web.json_response(
        {
            "tasks": [case_summary(c, now, units, grids, workers) for c in cases],
            "page": page,
            "page_size": PAGE_SIZE,
            "total": total,
            "has_more": page * PAGE_SIZE < total,
        }
    )


async def detail(request: web.Request, worker: Worker) -> web.Response:
    view = view_of(request.query)
    case = await visible_case(request, worker)
    return web.json_response(await case_detail(case, worker, now_of(request), view))


async def _acted(case: Case, worker: Worker, event: CaseEvent, now: datetime) -> web.Response:
    await case.refresh_from_db()
    body = await case_detail(case, worker, now) if may_see(worker, case) else None
    return web.json_response({"event": {"id": event.id, "action": event.action}, "case": body})


async def sign(request: web.Request, worker: Worker) -> web.Response:
    await read_payload(request, EmptyIn)
    case = await visible_case(request, worker)
    ctx = await context(request)
    event = await sign_case(case, worker, ctx)
    return await _acted(case, worker, event, ctx.now)


async def contact(request: web.Request, worker: Worker) -> web.Response:
    body = await read_payload(request, ContactIn)
    case = await visible_case(request, worker)
    ctx = await context(request)
    event = await record_contact(case, worker, body.method, body.note, ctx)
    return await _acted(case, worker, event, ctx.now)


async def progress(request: web.Request, worker: Worker) -> web.Response:
    body = await read_payload(request, ProgressIn)
    case = await visible_case(request, worker)
    ctx = await context(request)
    event = await add_progress(case, worker, body.text, attachment_dicts(body.attachments), ctx)
    return await _acted(case, worker, event, ctx.now)


async def finish(request: web.Request, worker: Worker) -> web.Response:
    body = await read_payload(request, FinishIn)
    case = await visible_case(request, worker)
    ctx = await context(request)
    event = await finish_case(case, worker, body.result, attachment_dicts(body.attachments), ctx)
    return await _acted(case, worker, event, ctx.now)


async def give_back(request: web.Request, worker: Worker) -> web.Response:
    """退单申请: the centre decides; until then the case stays with the unit."""
    body = await read_payload(request, ReturnIn)
    case = await visible_case(request, worker)
    ctx = await context(request)
    asked = await return_case(case, worker, body.reason, ctx, body.suggested_unit)
    await case.refresh_from_db()
    return web.json_response(
        {
            "message": SUBMITTED,
            "return_request": return_json(asked, case.number),
            "case": await case_detail(case, worker, ctx.now),
        },
        status=201,
    )


async def extension(request: web.Request, worker: Worker) -> web.Response:
    """延期申请 with a new date, before the deadline only (after it: 409 ``late_request``)."""
    body = await read_payload(request, ExtensionIn)
    case = await visible_case(request, worker)
    ctx = await context(request)
    if body.new_due_at is not None:
        new_due_at = body.new_due_at
    else:
        start = case.completion_due_at or ctx.now
        new_due_at = start + timedelta(hours=body.hours or 0)
    try:
        asked = await request_extension(case, worker, new_due_at, body.reason, ctx)
    except LateExtension as late:
        raise ApiError(
            409, "late_request", str(late), extension=extension_json(late.request, case.number)
        ) from None
    return web.json_response(
        {"message": SUBMITTED, "extension": extension_json(asked, case.number)}, status=201
    )


async def extensions(request: web.Request, worker: Worker) -> web.Response:
    """Supervisors and unit heads: requests on their unit's cases. Others: their own requests."""
    raw = request.query.get("status", "").strip() or "pending"
    query = ExtensionRequest.all()
    if raw != "all":
        try:
            query = query.filter(status=ExtensionStatus(raw))
        except ValueError:
            raise ApiError(
                400, "invalid_request", "status 只能是 pending, approved, refused 或 all"
            ) from None
    if worker_can(worker, "requests.decide"):
        pass  # the centre's dispatchers: every unit's requests
    elif worker.unit_id is not None and worker.role != WorkerRole.GRID_WORKER:
        query = query.filter(unit_id=worker.unit_id)
    else:
        query = query.filter(worker_id=worker.id)
    rows = await query.order_by("created_at", "id").limit(200)
    cases = {c.id: c for c in await Case.filter(id__in={r.case_id for r in rows})} if rows else {}
    return web.json_response(
        {
            "extensions": [
                extension_json(r, cases[r.case_id].number)
                for r in rows
                if r.case_id in cases and may_see(worker, cases[r.case_id])
            ]
        }
    )


async def decide(request: web.Request, worker: Worker) -> web.Response:
    body = await read_payload(request, DecideIn)
    raw = request.match_info["id"]
    # ASCII digits only ("²" is a digit to str.isdigit, not to int); beyond 18 digits it is no
    # id of ours (BIGINT).
    known = raw.isascii() and raw.isdigit() and len(raw) <= 18
    asked = await ExtensionRequest.get_or_none(id=int(raw)) if known else None
    case = await Case.get_or_none(id=asked.case_id) if asked is not None else None
    if asked is None or case is None or not worker_can(worker, "requests.decide"):
        raise ApiError(403, "forbidden", "您无权审批这份延期申请")
    ctx = await context(request)
    decider = Decider(Actor("worker", str(worker.id)), f"worker:{worker.id}")
    event = await decide_extension(asked, body.approve, body.note, decider, ctx, decided_by=worker)
    await asked.refresh_from_db()
    await case.refresh_from_db()
    return web.json_response(
        {
            "event": {"id": event.id, "action": event.action},
            "extension": extension_json(asked, case.number),
            "completion_due_at": iso(case.completion_due_at),
        }
    )


def add_worker_routes(app: web.Application) -> None:
    router = app.router
    router.add_get(f"{PREFIX}/me", endpoint(me))
    router.add_post(f"{PREFIX}/uploads", endpoint(upload))
    router.add_get(f"{PREFIX}/tasks", endpoint(tasks))
    router.add_get(f"{PREFIX}/cases/{{number}}", endpoint(detail))
    router.add_post(f"{PREFIX}/cases/{{number}}/sign", endpoint(sign))
    router.add_post(f"{PREFIX}/cases/{{number}}/contact", endpoint(contact))
    router.add_post(f"{PREFIX}/cases/{{number}}/progress", endpoint(progress))
    router.add_post(f"{PREFIX}/cases/{{number}}/finish", endpoint(finish))
    router.add_post(f"{PREFIX}/cases/{{number}}/return", endpoint(give_back))
    router.add_post(f"{PREFIX}/cases/{{number}}/extension", endpoint(extension))
    router.add_get(f"{PREFIX}/extensions", endpoint(extensions))
    router.add_post(f"{PREFIX}/extensions/{{id}}/decide", endpoint(decide))
