"""The staff API for governance items (未诉先办 / 每月一题, issue 20) and their ledger (台账).

- ``GET /api/admin/hot/items?status=&kind=&owner=&co_unit=&month=&overdue=1&q=&page=&page_size=``:
  the ledger, newest first; ``GET /api/admin/hot/items.csv`` and ``.xlsx``: the same filters as a
  file (audited, ``hot_item.export``).
- ``POST /api/admin/hot/items``: make an item, from a hot issue (its ``numbers``, ``topic_words``,
  ``place_key``, ``place_label``, ``category``, ``heat``) or by hand (201).
- ``GET /api/admin/hot/items/{number}``; ``PATCH`` (title, problem, plan, deadline with
  ``deadline_reason``, co-units).
- ``POST …/{number}/notes`` (a progress note), ``…/milestones`` (add), ``…/milestones/{id}/done``,
  ``…/cases`` (link one by hand), ``DELETE …/cases/{case}`` (unlink), ``…/close`` (outcome and
  result), ``…/withdraw`` (with the reason), ``…/notice`` (告知居民: a broadcast notice to the
  residents of its cases, drafted for preview, submitting and a second admin's approval).

Every change may carry the ``version`` the caller saw (a query parameter on DELETE): an item
changed meanwhile answers 409 and nothing changes. Who may do what:
``handlers.staff.permissions.item_role``; an item a unit may not see answers 404 as if there
were none. The contract is ``bot.api.admin_hot_items_contract``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Annotated, Any, Literal

from aiohttp import web
from pydantic import Field

from bot.api.json_api import NO_NUL, ApiError, Payload, error_response, read_payload
from bot.api.staff_auth import StaffContext, require_staff
from bot.keys import CLOCK
from config import hot_items as texts
from handlers.broadcasts.rules import NoticeError
from handlers.clock import local
from handlers.digits import whole_number
from handlers.hot.item_notice import tell_residents
from handlers.hot.item_steps import (
    ItemEdit,
    add_milestones,
    add_progress,
    close_item,
    edit_item,
    link_by_hand,
    tick_milestone,
    unlink_by_hand,
    withdraw_item,
)
from handlers.hot.item_view import item_detail, row_json
from handlers.hot.items import ItemError, ItemIn, MilestoneIn, create_item, item_for
from handlers.hot.ledger import (
    XLSX,
    LedgerFilter,
    LedgerProblem,
    csv_bytes,
    ledger_export,
    ledger_page,
    xlsx_bytes,
)
from handlers.staff.audit import audit

BASE = "/api/admin/hot/items"
CODE = r"^[^\x00]{1,32}$"
Kind = Literal["proactive", "monthly"]
Outcome = Literal["solved", "partly", "unsolved"]
UnitCode = Annotated[str, Field(min_length=1, max_length=32, pattern=CODE)]
CaseNumber = Annotated[str, Field(min_length=1, max_length=32, pattern=NO_NUL)]
Word = Annotated[str, Field(min_length=1, max_length=texts.WORD_LIMIT, pattern=NO_NUL)]
VERSION = Field(default=None, ge=0, le=2**31 - 1, description="the version the caller saw")


class MilestoneBody(Payload):
    title: str = Field(min_length=1, max_length=texts.MILESTONE_TITLE_LIMIT, pattern=NO_NUL)
    due: date = Field(strict=False, description="local date, not before today")


class ItemBody(Payload):
    title: str = Field(min_length=1, max_length=texts.TITLE_LIMIT, pattern=NO_NUL)
    kind: Kind = "proactive"
    owner_unit: str = Field(pattern=CODE, max_length=32, description="the owner unit's code")
    co_units: list[UnitCode] = Field(
        default_factory=list, max_length=texts.MAX_CO_UNITS, description="unit codes"
    )
    plan: str = Field(default="", max_length=texts.PLAN_LIMIT, pattern=NO_NUL)
    problem: str = Field(default="", max_length=texts.PROBLEM_LIMIT, pattern=NO_NUL)
    deadline: date = Field(strict=False, description="local date, not before today")
    month: str = Field(default="", max_length=7, pattern=r"^(\d{4}-\d{2})?$")
    milestones: list[MilestoneBody] = Field(default_factory=list, max_length=texts.MAX_MILESTONES)
    numbers: list[CaseNumber] = Field(
        default_factory=list, max_length=texts.MAX_CASES, description="case numbers"
    )
    topic_words: list[Word] = Field(default_factory=list, max_length=texts.MAX_TOPIC_WORDS)
    place_key: str = Field(default="", max_length=texts.PLACE_KEY_LIMIT, pattern=NO_NUL)
    place_label: str = Field(default="", max_length=texts.PLACE_LABEL_LIMIT, pattern=NO_NUL)
    category: str = Field(default="", max_length=texts.CATEGORY_LIMIT, pattern=NO_NUL)
    heat: dict[str, Any] = Field(default_factory=dict, description="the hot issue's factors")


class EditBody(Payload):
    title: str | None = Field(
        default=None, min_length=1, max_length=texts.TITLE_LIMIT, pattern=NO_NUL
    )
    problem: str | None = Field(default=None, max_length=texts.PROBLEM_LIMIT, pattern=NO_NUL)
    plan: str | None = Field(default=None, max_length=texts.PLAN_LIMIT, pattern=NO_NUL)
    deadline: date | None = Field(default=None, strict=False)
    deadline_reason: str = Field(default="", max_length=texts.REASON_LIMIT, pattern=NO_NUL)
    co_units: list[UnitCode] | None = Field(default=None, max_length=texts.MAX_CO_UNITS)
    version: int | None = VERSION


class NoteBody(Payload):
    text: str = Field(min_length=1, max_length=texts.NOTE_LIMIT, pattern=NO_NUL)
    version: int | None = VERSION


class MilestonesBody(Payload):
    milestones: list[MilestoneBody] = Field(min_length=1, max_length=texts.MAX_MILESTONES)
    version: int | None = VERSION


class DoneBody(Payload):
    note: str = Field(default="", max_length=texts.NOTE_LIMIT, pattern=NO_NUL)
    version: int | None = VERSION


class LinkBody(Payload):
    number: str = Field(min_length=1, max_length=32, pattern=NO_NUL, description="case number")
    version: int | None = VERSION


class CloseBody(Payload):
    outcome: Outcome
    result: str = Field(min_length=1, max_length=texts.RESULT_LIMIT, pattern=NO_NUL)
    version: int | None = VERSION


class WithdrawBody(Payload):
    reason: str = Field(min_length=1, max_length=texts.REASON_LIMIT, pattern=NO_NUL)
    version: int | None = VERSION


class NoticeBody(Payload):
    text: str = Field(
        default="", max_length=600, pattern=NO_NUL, description="empty: the result, prefilled"
    )
    version: int | None = VERSION


def _now(request: web.Request) -> datetime:
    return request.app[CLOCK].now()


def refusal(error: Exception) -> ApiError:
    if isinstance(error, ItemError | NoticeError):
        return ApiError(error.status, error.code, str(error))
    return ApiError(400, "invalid_request", str(error))


ERRORS = (ItemError, NoticeError, LedgerProblem)


def given_item(body: ItemBody) -> ItemIn:
    return ItemIn(
        title=body.title,
        owner_unit=body.owner_unit,
        deadline=body.deadline,
        kind=body.kind,
        co_units=tuple(c[:32] for c in body.co_units),
        plan=body.plan,
        problem=body.problem,
        month=body.month,
        milestones=tuple(MilestoneIn(m.title, m.due) for m in body.milestones),
        numbers=tuple(n[:32] for n in body.numbers),
        topic_words=tuple(body.topic_words),
        place_key=body.place_key,
        place_label=body.place_label,
        category=body.category,
        heat=body.heat,
    )


async def _detail(request: web.Request, staff: StaffContext, number: str) -> dict[str, Any]:
    item, role = await item_for(staff.user, number)
    return await item_detail(item, role, local(_now(request)).date())


async def _answer(
    request: web.Request, staff: StaffContext, number: str, status: int = 200
) -> web.Response:
    return web.json_response({"item": await _detail(request, staff, number)}, status=status)


Handler = Callable[[web.Request, StaffContext], Awaitable[web.Response]]


def _route(capability: str, handler: Handler) -> Callable[[web.Request], Awaitable[web.Response]]:
    """Sign-in and capability first (401/403), then the handler; item errors become JSON."""

    async def run(request: web.Request) -> web.Response:
        staff = await require_staff(request, capability)
        try:
            try:
                return await handler(request, staff)
            except ERRORS as error:
                raise refusal(error) from None
        except ApiError as refused:
            return error_response(refused.status, refused.code, refused.message, **refused.extra)

    run.__name__ = handler.__name__
    return run


def _filter(request: web.Request) -> LedgerFilter:
    query = request.query
    return LedgerFilter(
        status=query.get("status", "")[:16],
        kind=query.get("kind", "")[:16],
        owner=query.get("owner", "")[:32],
        co_unit=query.get("co_unit", "")[:32],
        month=query.get("month", "")[:7],
        overdue=query.get("overdue", "") in ("1", "true"),
        q=query.get("q", "")[:64],
    )


def _positive(raw: str, default: int, most: int, name: str) -> int:
    if not raw:
        return default
    value = whole_number(raw, 6)
    if value is None or not 1 <= value <= most:
        raise LedgerProblem(f"{name} 须为 1 到 {most} 的整数")
    return value


async def list_items(request: web.Request, staff: StaffContext) -> web.Response:
    page = _positive(request.query.get("page", ""), 1, 10_000, "page")
    size = _positive(
        request.query.get("page_size", ""), texts.PAGE_SIZE, texts.MAX_PAGE_SIZE, "page_size"
    )
    rows, total = await ledger_page(
        staff.user, _filter(request), local(_now(request)).date(), page, size
    )
    return web.json_response(
        {
            "items": [row_json(r) for r in rows],
            "page": page,
            "page_size": size,
            "total": total,
            "has_more": page * size < total,
        }
    )


async def _export(request: web.Request, staff: StaffContext, kind: str) -> web.Response:
    now = _now(request)
    given = _filter(request)
    rows = await ledger_export(staff.user, given, local(now).date())
    await audit(
        staff.actor,
        "hot_item.export",
        now,
        target_type="hot_item",
        detail={"format": kind, "rows": len(rows), "filter": given.__dict__},
    )
    name = f"hot-items-{local(now):%Y%m%d}.{kind}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if kind == "csv":
        return web.Response(
            body=csv_bytes(rows), content_type="text/csv", charset="utf-8", headers=headers
        )
    return web.Response(body=xlsx_bytes(rows, now), content_type=XLSX, headers=headers)


async def export_csv(request: web.Request, staff: StaffContext) -> web.Response:
    return await _export(request, staff, "csv")


async def export_xlsx(request: web.Request, staff: StaffContext) -> web.Response:
    return await _export(request, staff, "xlsx")


async def post_item(request: web.Request, staff: StaffContext) -> web.Response:
    body = await read_payload(request, ItemBody)
    item = await create_item(given_item(body), staff.actor, _now(request))
    return await _answer(request, staff, item.number, status=201)


async def get_item(request: web.Request, staff: StaffContext) -> web.Response:
    return await _answer(request, staff, request.match_info["number"])


async def patch_item(request: web.Request, staff: StaffContext) -> web.Response:
    number = request.match_info["number"]
    body = await read_payload(request, EditBody)
    edit = ItemEdit(
        title=body.title,
        problem=body.problem,
        plan=body.plan,
        deadline=body.deadline,
        deadline_reason=body.deadline_reason,
        co_units=tuple(c[:32] for c in body.co_units) if body.co_units is not None else None,
    )
    await edit_item(staff.user, staff.actor, number, edit, _now(request), body.version)
    return await _answer(request, staff, number)


async def post_note(request: web.Request, staff: StaffContext) -> web.Response:
    number = request.match_info["number"]
    body = await read_payload(request, NoteBody)
    await add_progress(staff.user, staff.actor, number, body.text, _now(request), body.version)
    return await _answer(request, staff, number, status=201)


async def post_milestones(request: web.Request, staff: StaffContext) -> web.Response:
    number = request.match_info["number"]
    body = await read_payload(request, MilestonesBody)
    given = [MilestoneIn(m.title, m.due) for m in body.milestones]
    await add_milestones(staff.user, staff.actor, number, given, _now(request), body.version)
    return await _answer(request, staff, number, status=201)


async def post_done(request: web.Request, staff: StaffContext) -> web.Response:
    number = request.match_info["number"]
    milestone = whole_number(request.match_info["id"], 18)
    body = await read_payload(request, DoneBody)
    if milestone is None:
        raise ItemError(texts.MILESTONE_UNKNOWN)
    await tick_milestone(
        staff.user, staff.actor, number, milestone, body.note, _now(request), body.version
    )
    return await _answer(request, staff, number)


async def post_case(request: web.Request, staff: StaffContext) -> web.Response:
    number = request.match_info["number"]
    body = await read_payload(request, LinkBody)
    await link_by_hand(staff.user, staff.actor, number, body.number, _now(request), body.version)
    return await _answer(request, staff, number, status=201)


async def delete_case(request: web.Request, staff: StaffContext) -> web.Response:
    number = request.match_info["number"]
    raw = request.query.get("version", "")
    version = whole_number(raw, 10) if raw else None
    if raw and version is None:
        raise LedgerProblem("version 须为整数")
    await unlink_by_hand(
        staff.user, staff.actor, number, request.match_info["case"], _now(request), version
    )
    return await _answer(request, staff, number)


async def post_close(request: web.Request, staff: StaffContext) -> web.Response:
    number = request.match_info["number"]
    body = await read_payload(request, CloseBody)
    await close_item(
        staff.user, staff.actor, number, body.outcome, body.result, _now(request), body.version
    )
    return await _answer(request, staff, number)


async def post_withdraw(request: web.Request, staff: StaffContext) -> web.Response:
    number = request.match_info["number"]
    body = await read_payload(request, WithdrawBody)
    await withdraw_item(staff.user, staff.actor, number, body.reason, _now(request), body.version)
    return await _answer(request, staff, number)


async def post_notice(request: web.Request, staff: StaffContext) -> web.Response:
    number = request.match_info["number"]
    body = await read_payload(request, NoticeBody)
    notice = await tell_residents(
        staff.user, staff.actor, number, _now(request), body.version, body.text
    )
    return web.json_response(
        {
            "item": await _detail(request, staff, number),
            "notice": {"id": notice.id, "status": str(notice.status), "title": notice.title},
        },
        status=201,
    )


def add_admin_hot_item_routes(app: web.Application) -> None:
    router = app.router
    read, manage, work = "hot.items.read", "hot.items.manage", "hot.items.work"
    router.add_get(BASE, _route(read, list_items))
    router.add_post(BASE, _route(manage, post_item))
    router.add_get(f"{BASE}.csv", _route(read, export_csv))
    router.add_get(f"{BASE}.xlsx", _route(read, export_xlsx))
    router.add_get(f"{BASE}/{{number}}", _route(read, get_item))
    router.add_patch(f"{BASE}/{{number}}", _route(manage, patch_item))
    router.add_post(f"{BASE}/{{number}}/notes", _route(work, post_note))
    router.add_post(f"{BASE}/{{number}}/milestones", _route(manage, post_milestones))
    router.add_post(f"{BASE}/{{number}}/milestones/{{id}}/done", _route(work, post_done))
    router.add_post(f"{BASE}/{{number}}/cases", _route(manage, post_case))
    router.add_delete(f"{BASE}/{{number}}/cases/{{case}}", _route(manage, delete_case))
    router.add_post(f"{BASE}/{{number}}/close", _route(work, post_close))
    router.add_post(f"{BASE}/{{number}}/withdraw", _route(manage, post_withdraw))
    router.add_post(f"{BASE}/{{number}}/notice", _route(manage, post_notice))
