"""The staff API for residents: held messages and blocking, for a staff session (with
``X-CSRF-Token`` on unsafe requests) or a bearer token.

- ``GET /api/admin/held?status=held&reason=&page=``: held messages (``held``: the queue, oldest
  first; ``released``, ``discarded`` or ``all``: newest first), 20 a page; ``reason``
  (``blocked``, ``content_check``, ``rate_limited``) narrows them to one cause. Each says whether
  its words read as urgent (``urgent``, ``urgency_reasons``, from ``nlu.urgency``): a limit never
  holds an urgent report, but a blocked resident's may be, and it should be looked at first.
  Needs ``held.decide``. The dashboard's page of the same list is ``bot.dashboard.held``.
- ``POST /api/admin/held/{id}/release`` ``{"note": ""}``: the message goes through the same
  path as an unheld one and becomes a case (or joins the case it was added to); the resident is
  told, with the case number. ``held.decide``.
- ``POST /api/admin/held/{id}/discard`` ``{"note": "..."}``: kept, not routed. ``held.decide``.
- ``POST /api/admin/residents/{id}/block`` ``{"reason": "..."}`` and ``.../unblock``: what a
  blocked resident sends (chat and mini-program alike) is held from now on. ``residents.block``.

Errors are ``{"error": {"code", "message"}}``: 400 ``invalid_json`` / ``invalid_payload``, 401
``unauthorized``, 403 ``forbidden`` / ``csrf``, 404 ``not_found``, 409 ``decided`` (somebody
decided first) / ``unchanged`` / ``conflict``. Every decision is an audit event written with it
(``handlers.intake.held_messages``). Phones are masked.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from pydantic import Field
from tortoise.queryset import QuerySet

from bot.api.admin_personal_data import OPERATIONS as PERSONAL_DATA_OPERATIONS
from bot.api.admin_personal_data import add_personal_data_routes
from bot.api.json_api import NO_NUL, ApiError, Payload, error_response, page_of, read_payload
from bot.api.openapi import (
    BOOLEAN,
    DATETIME,
    INTEGER,
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
    unauthorized,
)
from bot.api.staff_auth import StaffContext, require_staff
from bot.keys import INTAKE
from handlers.clock import iso
from handlers.digits import whole_number
from handlers.intake import held_messages
from handlers.residents.additions import CaseClosed
from handlers.residents.photos import PhotoProblem
from handlers.residents.view import case_summary
from models import Case, HeldMessage, HeldReason, HeldStatus, Resident, ResidentApp
from nlu import mask_phone, mask_phones_in_text
from nlu.urgency import urgency_reasons

HELD_PREFIX = "/api/admin/held"
RESIDENTS_PREFIX = "/api/admin/residents"
PAGE_SIZE = 20
MAX_PAGE = 10_000
MAX_NOTE = 2000
DECIDE = "held.decide"
BLOCK = "residents.block"
STATUS_CHOICES = ("held", "released", "discarded", "all")


class BadHeldFilter(ValueError):
    """A status or reason the list does not know; the message says which values it takes."""


def held_query(status: str, reason: str) -> QuerySet[HeldMessage]:
    """Held messages with ``status`` (or ``all``) and ``reason`` ("" for any reason)."""
    query = HeldMessage.all()
    if status not in STATUS_CHOICES:
        raise BadHeldFilter("status 只能是 held, released, discarded 或 all")
    if status != "all":
        query = query.filter(status=HeldStatus(status))
    if reason:
        try:
            query = query.filter(reason=HeldReason(reason))
        except ValueError:
            choices = ", ".join(r.value for r in HeldReason)
            raise BadHeldFilter(f"reason 只能是 {choices}") from None
    return query


class NoteIn(Payload):
    note: str = Field(default="", max_length=MAX_NOTE, pattern=NO_NUL)


class DiscardIn(Payload):
    note: str = Field(min_length=1, max_length=MAX_NOTE, pattern=NO_NUL)


class BlockIn(Payload):
    reason: str = Field(min_length=1, max_length=held_messages.MAX_REASON, pattern=NO_NUL)


class EmptyIn(Payload):
    pass


def resident_json(resident: Resident) -> dict[str, Any]:
    return {
        "id": resident.id,
        "app": ResidentApp(resident.app).value,
        "nickname": resident.nickname,
        "phone": mask_phone(resident.phone) if resident.phone else None,
        "blocked": resident.blocked,
        "blocked_at": iso(resident.blocked_at),
        "blocked_reason": resident.blocked_reason,
        "created_at": iso(resident.created_at),
    }


def masked(value: Any) -> Any:
    """``value`` with every phone number in its strings masked (a held submission's contact,
    a chat message's words): the list shows what was sent, not whom to call."""
    if isinstance(value, str):
        return mask_phones_in_text(value)
    if isinstance(value, dict):
        return {key: masked(item) for key, item in value.items()}
    if isinstance(value, list):
        return [masked(item) for item in value]
    return value


def held_json(
    held: HeldMessage, resident: Resident | None, case_number: str | None
) -> dict[str, Any]:
    payload = held.payload or {}
    urgent_words = urgency_reasons(held.text)
    return {
        "id": held.id,
        "channel": held.channel,
        "reason": HeldReason(held.reason).value,
        "status": HeldStatus(held.status).value,
        "kind": str(payload.get("kind", "")),
        "text": mask_phones_in_text(held.text),
        "urgent": bool(urgent_words),
        "urgency_reasons": list(urgent_words),
        "payload": masked(payload),
        "check_result": held.check_result or {},
        "resident": resident_json(resident) if resident else None,
        "case": case_number,
        "suggestion": str(payload.get("suggestion") or "") or None,
        "created_at": iso(held.created_at),
        "decided_at": iso(held.decided_at),
        "decided_by": held.decided_by,
        "note": held.note,
    }


def _id(request: web.Request) -> int | None:
    raw = request.match_info["id"]
    return whole_number(raw)


async def _held(request: web.Request) -> HeldMessage:
    held_id = _id(request)
    held = await HeldMessage.get_or_none(id=held_id) if held_id is not None else None
    if held is None:
        raise ApiError(404, "not_found", "没有这条留言")
    return held


async def _resident(request: web.Request) -> Resident:
    resident_id = _id(request)
    resident = await Resident.get_or_none(id=resident_id) if resident_id is not None else None
    if resident is None:
        raise ApiError(404, "not_found", "没有这位居民")
    return resident


Handler = Callable[[web.Request, StaffContext], Awaitable[web.Response]]


def endpoint(capability: str, handler: Handler) -> Callable[[web.Request], Awaitable[web.Response]]:
    """Sign-in and capability first (their refusals are require_staff's), then the handler."""

    async def run(request: web.Request) -> web.Response:
        staff = await require_staff(request, capability)
        try:
            return await handler(request, staff)
        except ApiError as refused:
            return error_response(refused.status, refused.code, refused.message, **refused.extra)
        except held_messages.AlreadyDecided as decided:
            status = HeldStatus(decided.held.status)
            return error_response(409, "decided", f"这条留言已被处理（{status.value}）")

    return run


async def list_held(request: web.Request, staff: StaffContext) -> web.Response:
    raw = request.query.get("status", "").strip() or "held"
    try:
        query = held_query(raw, request.query.get("reason", "").strip())
    except BadHeldFilter as problem:
        raise ApiError(400, "invalid_request", str(problem)) from None
    page = page_of(request, MAX_PAGE)
    total = await query.count()
    order = ("created_at", "id") if raw == "held" else ("-created_at", "-id")
    rows = await query.order_by(*order).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)
    resident_ids = {r.resident_id for r in rows}
    residents = (
        {r.id: r for r in await Resident.filter(id__in=resident_ids)} if resident_ids else {}
    )
    case_ids = {r.case_id for r in rows if r.case_id is not None}
    numbers = {c.id: c.number for c in await Case.filter(id__in=case_ids)} if case_ids else {}
    return web.json_response(
        {
            "held": [
                held_json(
                    r,
                    residents.get(r.resident_id),
                    numbers.get(r.case_id) if r.case_id is not None else None,
                )
                for r in rows
            ],
            "page": page,
            "page_size": PAGE_SIZE,
            "total": total,
            "has_more": page * PAGE_SIZE < total,
        }
    )


async def release(request: web.Request, staff: StaffContext) -> web.Response:
    body = await read_payload(request, NoteIn)
    held = await _held(request)
    ctx = await request.app[INTAKE].context()
    try:
        released = await held_messages.release(held, staff.actor, ctx, body.note)
    except CaseClosed as closed:
        raise ApiError(409, "conflict", f"诉求 {closed} 已不能补充，请改为处理为丢弃") from None
    except PhotoProblem as problem:
        raise ApiError(409, "conflict", f"照片 {problem.key} 已不存在") from None
    resident = await Resident.get_or_none(id=held.resident_id)
    case = released.case
    return web.json_response(
        {
            "held": held_json(released.held, resident, case.number if case else None),
            "case": await case_summary(case) if case is not None else None,
            "suggestion": released.suggestion.number if released.suggestion else None,
            "told_resident": released.reply,
        }
    )


async def discard(request: web.Request, staff: StaffContext) -> web.Response:
    body = await read_payload(request, DiscardIn)
    held = await _held(request)
    ctx = await request.app[INTAKE].context()
    done = await held_messages.discard(held, staff.actor, ctx, body.note)
    resident = await Resident.get_or_none(id=held.resident_id)
    return web.json_response({"held": held_json(done, resident, None)})


async def block(request: web.Request, staff: StaffContext) -> web.Response:
    body = await read_payload(request, BlockIn)
    resident = await _resident(request)
    ctx = await request.app[INTAKE].context()
    try:
        await held_messages.block_resident(resident, body.reason, staff.actor, ctx)
    except held_messages.Unchanged:
        raise ApiError(409, "unchanged", "这位居民已被屏蔽") from None
    return web.json_response({"resident": resident_json(resident)})


async def unblock(request: web.Request, staff: StaffContext) -> web.Response:
    await read_payload(request, EmptyIn)
    resident = await _resident(request)
    ctx = await request.app[INTAKE].context()
    try:
        await held_messages.unblock_resident(resident, staff.actor, ctx)
    except held_messages.Unchanged:
        raise ApiError(409, "unchanged", "这位居民未被屏蔽") from None
    return web.json_response({"resident": resident_json(resident)})


def add_admin_resident_routes(app: web.Application) -> None:
    router = app.router
    router.add_get(HELD_PREFIX, endpoint(DECIDE, list_held))
    router.add_post(f"{HELD_PREFIX}/{{id}}/release", endpoint(DECIDE, release))
    router.add_post(f"{HELD_PREFIX}/{{id}}/discard", endpoint(DECIDE, discard))
    router.add_post(f"{RESIDENTS_PREFIX}/{{id}}/block", endpoint(BLOCK, block))
    router.add_post(f"{RESIDENTS_PREFIX}/{{id}}/unblock", endpoint(BLOCK, unblock))
    add_personal_data_routes(app)  # a resident's personal data: export, erase


# The contract (bot.api.openapi)

_TAG = "admin"
_401 = unauthorized("nobody signed in, or an unknown or revoked token")
_403 = error("forbidden (the role lacks the capability) or csrf (a session without X-CSRF-Token)")
_BAD_BODY = error("invalid_json or invalid_payload (with problems)")
ADMIN_RESIDENT = Component(
    "AdminResident",
    obj(
        {
            "id": INTEGER,
            "app": one_of_values(a.value for a in ResidentApp),
            "nickname": STRING,
            "phone": nullable(STRING),
            "blocked": BOOLEAN,
            "blocked_at": nullable(DATETIME),
            "blocked_reason": STRING,
            "created_at": nullable(DATETIME),
        }
    ),
)
HELD_MESSAGE = Component(
    "HeldMessage",
    obj(
        {
            "id": INTEGER,
            "channel": STRING,
            "reason": one_of_values(r.value for r in HeldReason),
            "status": one_of_values(s.value for s in HeldStatus),
            "kind": STRING,
            "text": STRING,
            "urgent": BOOLEAN,
            "urgency_reasons": array(STRING),
            "payload": {"type": "object"},
            "check_result": {"type": "object"},
            "resident": nullable(ADMIN_RESIDENT),
            "case": nullable(STRING),
            "suggestion": nullable(STRING),
            "created_at": DATETIME,
            "decided_at": nullable(DATETIME),
            "decided_by": STRING,
            "note": STRING,
        }
    ),
)
_ID = Param("id", "path", {"type": "string", "pattern": "^[0-9]{1,18}$"})


def _action(
    path: str, summary: str, body: type[Payload], ok: dict[str, Any], required: bool = True
) -> Operation:
    return Operation(
        "POST",
        path,
        summary,
        _TAG,
        {
            200: Response("done", obj(ok)),
            400: _BAD_BODY,
            401: _401,
            403: _403,
            404: error("not_found: no such held message or resident"),
            409: error("decided (somebody decided first), unchanged or conflict"),
            413: too_large(),
        },
        auth=STAFF_AUTH,
        params=(_ID,),
        body=body,
        body_required=required,
    )


OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "GET",
        HELD_PREFIX,
        "Held messages: the queue (oldest first) or the decided ones (newest first), 20 a page",
        _TAG,
        {
            200: Response(
                "one page",
                obj(
                    {
                        "held": array(HELD_MESSAGE),
                        "page": INTEGER,
                        "page_size": INTEGER,
                        "total": INTEGER,
                        "has_more": BOOLEAN,
                    }
                ),
            ),
            400: error("invalid_request: an unknown status or reason, or a bad page"),
            401: _401,
            403: _403,
        },
        auth=STAFF_AUTH,
        params=(
            Param("status", "query", one_of_values(STATUS_CHOICES)),
            Param("reason", "query", one_of_values(r.value for r in HeldReason)),
            Param("page", "query", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}),
        ),
    ),
    _action(
        f"{HELD_PREFIX}/{{id}}/release",
        "Let a held message through: it becomes a case (a suggestion's submission a suggestion)"
        " and the resident is told",
        NoteIn,
        {
            "held": HELD_MESSAGE,
            "case": nullable({"type": "object"}),
            "suggestion": nullable(STRING),
            "told_resident": STRING,
        },
        required=False,
    ),
    _action(
        f"{HELD_PREFIX}/{{id}}/discard",
        "Keep a held message without routing it",
        DiscardIn,
        {"held": HELD_MESSAGE},
    ),
    _action(
        f"{RESIDENTS_PREFIX}/{{id}}/block",
        "Block a resident: what they send is held from now on",
        BlockIn,
        {"resident": ADMIN_RESIDENT},
    ),
    _action(
        f"{RESIDENTS_PREFIX}/{{id}}/unblock",
        "Unblock a resident",
        EmptyIn,
        {"resident": ADMIN_RESIDENT},
        required=False,
    ),
    *PERSONAL_DATA_OPERATIONS,
)
