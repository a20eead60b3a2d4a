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
extension``, and for supervisors and unit heads ``GET extensions?status=pending`` and
``POST extensions/{id}/decide``. Photos are references (``{"type": "image", "url": ...}`` or
``"media_id"``), at most 9.

Deadlines are judged against the app's clock, and "today" is the day in Asia/Shanghai.
The resident's phone, and phone numbers in their words, are masked until the case is signed
(签收) and then shown only to those who may handle the case.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, time, timedelta
from typing import Any, Literal

from aiohttp import web
from pydantic import ConfigDict, Field, model_validator
from tortoise.expressions import Q

from bot.api.json_api import ApiError, Payload, error_response, page_of, read_payload
from bot.api.openapi import (
    BOOLEAN,
    CASE_BASICS,
    DATETIME,
    INTEGER,
    NAMED,
    NUMBER,
    NUMBER_PARAM,
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
    unauthorized,
)
from bot.keys import CLOCK, INTAKE
from handlers.clock import LOCAL_TZ, iso, local
from handlers.context import HandlerContext
from handlers.timeline import ConcurrentChange
from handlers.workflow.actions import (
    DECIDERS,
    HANDLING,
    MAX_ATTACHMENTS,
    MAX_EXTENSION_HOURS,
    MAX_TEXT,
    InvalidRequest,
    NotAllowed,
    WorkflowConflict,
    add_progress,
    decide_extension,
    finish_case,
    may_decide,
    may_handle,
    may_see,
    record_contact,
    request_extension,
    return_case,
    sign_case,
    worker_for_token,
)
from handlers.workflow.search import case_basics, is_overdue, related_names
from models import (
    Case,
    CaseAction,
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
from nlu import mask_phone, mask_phones_in_text

logger = logging.getLogger(__name__)

PREFIX = "/api/worker"
PAGE_SIZE = 20
MAX_PAGE = 10_000
FORBIDDEN_MESSAGE = "您无权查看或办理此诉求"
WORKER_ACTIONS = (
    CaseAction.SIGN,
    CaseAction.CONTACT,
    CaseAction.PROGRESS,
    CaseAction.FINISH,
    CaseAction.RETURN,
)
# Event data shown to workers; anything else (e.g. what an LLM changed) stays inside.
SHOWN_EVENT_DATA = frozenset(
    {"attachments", "method", "first", "reason", "result", "hours", "old", "new", "kind", "unit"}
)


# Payloads


class Attachment(Payload):
    # The contract says what the validator below checks: a url or a media_id.
    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [
                {"required": ["url"], "properties": {"url": {"type": "string"}}},
                {"required": ["media_id"], "properties": {"media_id": {"type": "string"}}},
            ]
        }
    )

    type: Literal["image"] = "image"
    url: str | None = Field(default=None, max_length=1024, pattern=r"^https?://\S+$")
    media_id: str | None = Field(default=None, min_length=1, max_length=256)

    @model_validator(mode="after")
    def _one_reference(self) -> Attachment:
        if not self.url and not self.media_id:
            raise ValueError("an attachment needs a url or a media_id")
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


class ExtensionIn(Payload):
    hours: int = Field(ge=1, le=MAX_EXTENSION_HOURS)
    reason: str = Field(min_length=1, max_length=MAX_TEXT)


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


# What workers read


def next_deadline(case: Case) -> tuple[str, datetime] | None:
    """The deadline the case is working towards now: sign, first contact or completion."""
    status = CaseStatus(case.status)
    if status not in OPEN_STATUSES:
        return None
    if status in (CaseStatus.ACCEPTED, CaseStatus.DISPATCHED) and case.sign_due_at is not None:
        return "sign", case.sign_due_at
    if case.first_contact_at is None and case.first_contact_due_at is not None:
        return "first_contact", case.first_contact_due_at
    if case.completion_due_at is not None:
        return "completion", case.completion_due_at
    return None


def local_day(now: datetime) -> tuple[datetime, datetime]:
    day = local(now).date()
    start = datetime.combine(day, time(0), tzinfo=LOCAL_TZ)
    return start, start + timedelta(days=1)


def overdue_filter(now: datetime) -> Q:
    return _deadline_filter({"lt": now})


def due_today_filter(now: datetime) -> Q:
    start, end = local_day(now)
    return _deadline_filter({"gte": start, "lt": end})


def _deadline_filter(bounds: dict[str, datetime]) -> Q:
    """Open cases with a deadline they have not met yet within ``bounds``."""

    def within(column: str) -> dict[str, Any]:
        return {f"{column}__{op}": value for op, value in bounds.items()}

    unsigned = [CaseStatus.ACCEPTED.value, CaseStatus.DISPATCHED.value]
    open_values = [s.value for s in OPEN_STATUSES]
    return (
        Q(status__in=unsigned, **within("sign_due_at"))
        | Q(status__in=open_values, first_contact_at__isnull=True, **within("first_contact_due_at"))
        | Q(status__in=open_values, **within("completion_due_at"))
    )


def scope_filter(worker: Worker) -> Q | None:
    """The cases ``worker`` may see, as a query (None: every case); mirrors ``may_see``."""
    if worker.role == WorkerRole.DISPATCHER:
        return None
    scope = Q(worker_id=worker.id)
    if worker.unit_id is not None:
        scope |= Q(unit_id=worker.unit_id)
    if worker.role == WorkerRole.GRID_WORKER and worker.grid_id is not None:
        scope |= Q(grid_id=worker.grid_id)
    return scope


def case_summary(
    case: Case,
    now: datetime,
    units: dict[int, Unit],
    grids: dict[int, Grid],
    workers: dict[int, Worker],
) -> dict[str, Any]:
    upcoming = next_deadline(case)
    return {
        **case_basics(case, units, grids, workers),
        "returned_count": case.returned_count,
        "created_at": iso(case.created_at),
        "sign_due_at": iso(case.sign_due_at),
        "first_contact_due_at": iso(case.first_contact_due_at),
        "completion_due_at": iso(case.completion_due_at),
        "next_deadline": {"kind": upcoming[0], "at": iso(upcoming[1])} if upcoming else None,
        "overdue": is_overdue(case, now),
    }


def shows_contact(worker: Worker, case: Case) -> bool:
    """The resident's phone: only once the case is signed, and only to whoever handles it."""
    if case.signed_at is None:
        return False
    return worker.role == WorkerRole.DISPATCHER or may_handle(worker, case)


def event_json(event: CaseEvent, reveal: bool, workers: dict[int, Worker]) -> dict[str, Any]:
    data = {k: v for k, v in (event.data or {}).items() if k in SHOWN_EVENT_DATA}
    actor = event.actor_type
    if event.actor_type == "worker" and event.actor_id.isdigit():
        person = workers.get(int(event.actor_id))
        actor = person.name if person else "工作人员"
    elif event.actor_type == "resident":
        actor = "居民"
    elif event.actor_type == "system":
        actor = "系统"
    try:
        label = CaseAction(event.action).label
    except ValueError:
        label = event.action
    return {
        "id": event.id,
        "at": iso(event.at),
        "action": event.action,
        "action_label": label,
        "actor_type": event.actor_type,
        "actor": actor,
        "from_status": event.from_status,
        "to_status": event.to_status,
        "note": event.note if reveal else mask_phones_in_text(event.note),
        "data": data,
    }


def actions_for(worker: Worker, case: Case) -> list[str]:
    if not may_handle(worker, case):
        return []
    status = CaseStatus(case.status)
    actions = [a.value for a in allowed_actions(status) if a in WORKER_ACTIONS]
    if status in HANDLING:
        actions.append("extension")
    return actions


async def case_detail(case: Case, worker: Worker, now: datetime) -> dict[str, Any]:
    events = await CaseEvent.filter(case_id=case.id).order_by("at", "id")
    actor_ids = {
        int(e.actor_id) for e in events if e.actor_type == "worker" and e.actor_id.isdigit()
    }
    units, grids, workers = await related_names([case])
    for person in await Worker.filter(id__in=actor_ids) if actor_ids else []:
        workers[person.id] = person
    reveal = shows_contact(worker, case)
    phone = case.contact_phone
    pending = await ExtensionRequest.get_or_none(case_id=case.id, status=ExtensionStatus.PENDING)
    detail = case_summary(case, now, units, grids, workers)
    detail.update(
        {
            "text": case.text if reveal else mask_phones_in_text(case.text),
            "attachments": case.attachments,
            "contact_phone": (phone if reveal else mask_phone(phone)) if phone else None,
            "contact_phone_masked": bool(phone) and not reveal,
            "address": case.address,
            "street": case.street,
            "compound": case.compound,
            "lng": case.lng,
            "lat": case.lat,
            "dispatched_at": iso(case.dispatched_at),
            "signed_at": iso(case.signed_at),
            "first_contact_at": iso(case.first_contact_at),
            "completed_at": iso(case.completed_at),
            "result": case.result,
            "result_attachments": case.result_attachments,
            "pending_extension": extension_json(pending) if pending else None,
            "actions": actions_for(worker, case),
            "timeline": [event_json(e, reveal, workers) for e in events],
        }
    )
    return detail


def extension_json(request: ExtensionRequest, number: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": request.id,
        "hours": request.hours,
        "reason": request.reason,
        "status": ExtensionStatus(request.status).value,
        "worker_id": request.worker_id,
        "created_at": iso(request.created_at),
        "decided_by": request.decided_by_id,
        "decided_at": iso(request.decided_at),
        "note": request.note,
    }
    if number is not None:
        body["case"] = number
    return body


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
    case = await visible_case(request, worker)
    return web.json_response(await case_detail(case, worker, now_of(request)))


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
    body = await read_payload(request, ReturnIn)
    case = await visible_case(request, worker)
    ctx = await context(request)
    event = await return_case(case, worker, body.reason, ctx)
    # After a return the case belongs to the dispatcher queue: the worker may no longer see it.
    return await _acted(case, worker, event, ctx.now)


async def extension(request: web.Request, worker: Worker) -> web.Response:
    body = await read_payload(request, ExtensionIn)
    case = await visible_case(request, worker)
    ctx = await context(request)
    asked = await request_extension(case, worker, body.hours, body.reason, ctx)
    return web.json_response({"extension": extension_json(asked, case.number)}, status=201)


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
    if worker.role in DECIDERS and worker.unit_id is not None:
        query = query.filter(case__unit_id=worker.unit_id)
    elif worker.role != WorkerRole.DISPATCHER:
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
    if asked is None or case is None or not may_decide(worker, case):
        raise ApiError(403, "forbidden", "您无权审批这份延期申请")
    ctx = await context(request)
    event = await decide_extension(asked, worker, body.approve, body.note, ctx)
    await asked.refresh_from_db()
    await case.refresh_from_db()
    return web.json_response(
        {
            "event": {"id": event.id, "action": event.action},
            "extension": extension_json(asked, case.number),
            "completion_due_at": iso(case.completion_due_at),
        }
    )


# The contract (bot.api.openapi)

WORKER_CASE = Component(
    "WorkerCase",
    obj(
        {
            **CASE_BASICS,
            "returned_count": INTEGER,
            "created_at": DATETIME,
            "sign_due_at": nullable(DATETIME),
            "first_contact_due_at": nullable(DATETIME),
            "completion_due_at": nullable(DATETIME),
            "next_deadline": nullable(
                obj(
                    {"kind": one_of_values(["sign", "first_contact", "completion"]), "at": DATETIME}
                )
            ),
            "overdue": BOOLEAN,
        }
    ),
)
EXTENSION = Component(
    "WorkerExtension",
    obj(
        {
            "id": INTEGER,
            "hours": INTEGER,
            "reason": STRING,
            "status": one_of_values(s.value for s in ExtensionStatus),
            "worker_id": INTEGER,
            "created_at": DATETIME,
            "decided_by": nullable(INTEGER),
            "decided_at": nullable(DATETIME),
            "note": STRING,
        },
        {"case": STRING},
    ),
)
TIMELINE_EVENT = obj(
    {
        "id": INTEGER,
        "at": DATETIME,
        "action": STRING,
        "action_label": STRING,
        "actor_type": STRING,
        "actor": STRING,
        "from_status": nullable(STRING),
        "to_status": nullable(STRING),
        "note": STRING,
        "data": {"type": "object"},
    }
)
WORKER_CASE_DETAIL = Component(
    "WorkerCaseDetail",
    {
        "allOf": [
            WORKER_CASE,
            obj(
                {
                    "text": STRING,
                    "attachments": array({"type": "object"}),
                    "contact_phone": nullable(STRING),
                    "contact_phone_masked": BOOLEAN,
                    "address": nullable(STRING),
                    "street": nullable(STRING),
                    "compound": nullable(STRING),
                    "lng": nullable(NUMBER),
                    "lat": nullable(NUMBER),
                    "dispatched_at": nullable(DATETIME),
                    "signed_at": nullable(DATETIME),
                    "first_contact_at": nullable(DATETIME),
                    "completed_at": nullable(DATETIME),
                    "result": STRING,
                    "result_attachments": array({"type": "object"}),
                    "pending_extension": nullable(EXTENSION),
                    "actions": array(
                        one_of_values([*(a.value for a in WORKER_ACTIONS), "extension"])
                    ),
                    "timeline": array(TIMELINE_EVENT),
                }
            ),
        ]
    },
)
ACTED = obj(
    {
        "event": obj({"id": INTEGER, "action": STRING}),
        "case": nullable(WORKER_CASE_DETAIL),
    }
)
_AUTH = ("workerToken",)
_TAG = "worker"
_401 = unauthorized("no token, an unknown or revoked one, or an inactive worker")
_403 = error("the worker may not see or do this; an unknown case number gets the same answer")
_404 = error("dispatchers only: no case has this number")
_BAD_BODY = error("invalid_json, invalid_payload (with problems) or invalid_request")
_409 = error(
    "illegal_transition (the message says what is possible now), concurrent_change, conflict"
)
_ACTION_RESPONSES = {
    200: Response(
        "the event recorded, and the case as the worker now sees it (null: no more)", ACTED
    ),
    400: _BAD_BODY,
    401: _401,
    403: _403,
    404: _404,
    409: _409,
    413: too_large(),
}


def _action(name: str, summary: str, body: type[Payload], required: bool = True) -> Operation:
    return Operation(
        "POST",
        f"{PREFIX}/cases/{{number}}/{name}",
        summary,
        _TAG,
        _ACTION_RESPONSES,
        auth=_AUTH,
        params=(NUMBER_PARAM,),
        body=body,
        body_required=required,
    )


_FLAG = {"type": "string", "enum": ["0", "1", "true", "false", "yes", "no"]}
OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "GET",
        f"{PREFIX}/me",
        "Who the token belongs to",
        _TAG,
        {
            200: Response(
                "the worker",
                obj(
                    {
                        "id": INTEGER,
                        "name": STRING,
                        "role": one_of_values(r.value for r in WorkerRole),
                        "unit": NAMED,
                        "grid": NAMED,
                    }
                ),
            ),
            401: _401,
        },
        auth=_AUTH,
    ),
    Operation(
        "GET",
        f"{PREFIX}/tasks",
        "The cases the worker may see, by completion deadline, 20 a page",
        _TAG,
        {
            200: Response(
                "one page of tasks",
                obj(
                    {
                        "tasks": array(WORKER_CASE),
                        "page": INTEGER,
                        "page_size": INTEGER,
                        "total": INTEGER,
                        "has_more": BOOLEAN,
                    }
                ),
            ),
            400: error("invalid_request: an unknown status, a bad flag or page"),
            401: _401,
        },
        auth=_AUTH,
        params=(
            Param(
                "status",
                "query",
                STRING,
                description="comma list of statuses, `open` or `all`; default: theirs to work on",
            ),
            Param(
                "overdue", "query", _FLAG, description="only cases with an unmet deadline passed"
            ),
            Param("due_today", "query", _FLAG, description="only cases with a deadline today"),
            Param("page", "query", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}),
        ),
    ),
    Operation(
        "GET",
        f"{PREFIX}/cases/{{number}}",
        "A case with its timeline and the actions the worker may take now",
        _TAG,
        {200: Response("the case", WORKER_CASE_DETAIL), 401: _401, 403: _403, 404: _404},
        auth=_AUTH,
        params=(NUMBER_PARAM,),
    ),
    _action("sign", "签收: take the case on", EmptyIn, required=False),
    _action("contact", "先行联系: the first contact with the resident", ContactIn),
    _action("progress", "A progress note, with photos", ProgressIn),
    _action("finish", "办结: the result, with photos", FinishIn),
    _action("return", "退单: a wrongly routed case goes back to the dispatcher", ReturnIn),
    Operation(
        "POST",
        f"{PREFIX}/cases/{{number}}/extension",
        "延期申请: ask for more time",
        _TAG,
        {
            201: Response("the request, pending", obj({"extension": EXTENSION})),
            400: _BAD_BODY,
            401: _401,
            403: _403,
            404: _404,
            409: _409,
            413: too_large(),
        },
        auth=_AUTH,
        params=(NUMBER_PARAM,),
        body=ExtensionIn,
    ),
    Operation(
        "GET",
        f"{PREFIX}/extensions",
        "Extension requests: a unit's for its deciders, one's own for the others",
        _TAG,
        {
            200: Response("at most 200, oldest first", obj({"extensions": array(EXTENSION)})),
            400: error("invalid_request: an unknown status"),
            401: _401,
        },
        auth=_AUTH,
        params=(
            Param(
                "status",
                "query",
                {"type": "string", "enum": [*(s.value for s in ExtensionStatus), "all"]},
                description="default: pending",
            ),
        ),
    ),
    Operation(
        "POST",
        f"{PREFIX}/extensions/{{id}}/decide",
        "Approve or refuse an extension request (supervisors and unit heads)",
        _TAG,
        {
            200: Response(
                "the decision and the case's completion deadline now",
                obj(
                    {
                        "event": obj({"id": INTEGER, "action": STRING}),
                        "extension": EXTENSION,
                        "completion_due_at": nullable(DATETIME),
                    }
                ),
            ),
            400: _BAD_BODY,
            401: _401,
            403: error("not the worker's to decide; an unknown id gets the same answer"),
            409: _409,
            413: too_large(),
        },
        auth=_AUTH,
        params=(Param("id", "path", {"type": "integer", "minimum": 1}),),
        body=DecideIn,
    ),
)


def add_worker_routes(app: web.Application) -> None:
    router = app.router
    router.add_get(f"{PREFIX}/me", endpoint(me))
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
