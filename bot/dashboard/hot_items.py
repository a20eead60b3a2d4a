"""Governance items (未诉先办 / 每月一题) on the dashboard: the ledger (台账), an item's page
with its forms, and the form that makes an item from a hot issue.

Making an item: ``POST /dashboard/hot/items`` (form-encoded, with the session's CSRF field).
The hot page renders this form for each hot issue; its fields are:

==============  ==========  =====================================================================
field           input       what
==============  ==========  =====================================================================
title           hidden/text the item's title (the issue's title); required, at most 128 characters
problem         hidden/text what the residents raised, in short (optional)
numbers         hidden      the issue's case numbers: one field per number, or several in one
                            field separated by spaces or commas
topic_words     hidden      the issue's topic words: repeated, or space/comma separated
place_key       hidden      the issue's place key ('' when it has none)
place_label     hidden      the place as people read it
category        hidden      the issue's category (its first level is used to match new cases)
heat            hidden      the issue's heat factors as JSON (``HotIssue.factors.as_dict()`` with
                            ``heat``), at most 4000 characters; '' for none
kind            select      ``proactive`` (未诉先办, the default) or ``monthly`` (每月一题)
month           month       YYYY-MM, only for ``monthly``
owner_unit      select      the owner unit's code (required)
co_units        checkboxes  co-units' codes, repeated
plan            textarea    the plan (工作方案)
deadline        date        YYYY-MM-DD, not before today (required)
milestones      textarea    one milestone a line: ``YYYY-MM-DD 节点名称``
==============  ==========  =====================================================================

Done, the browser goes to the item's page; a refusal shows the form again (``/new`` with the
same fields kept) with what to change. ``GET /dashboard/hot/items/new`` is the same form for an
item made by hand. Who may do what is ``handlers.staff.permissions.item_role``; every step goes
through ``handlers.hot``.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from bot.api.staff_auth import StaffContext
from bot.dashboard.web import PREFIX, page, redirect, refuse, render
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
from handlers.hot.items import ItemError, ItemIn, ItemProblem, MilestoneIn, create_item, item_for
from handlers.hot.ledger import LedgerFilter, LedgerProblem, ledger_page
from handlers.staff.permissions import can
from models import Unit

HERE = f"{PREFIX}/hot/items"
API = "/api/admin/hot/items"
READ = "hot.items.read"
DONE = {
    "created": "热点事项已立项",
    "edited": "已保存修改",
    "noted": "已记录进展",
    "milestones": "已新增节点",
    "ticked": "节点已完成",
    "linked": "已关联诉求",
    "unlinked": "已取消关联",
    "closed": "事项已办结",
    "withdrawn": "事项已撤销",
}
ERRORS = (ItemError, NoticeError, LedgerProblem)
FORM_FIELDS = (
    "title",
    "problem",
    "place_key",
    "place_label",
    "category",
    "heat",
    "kind",
    "month",
    "owner_unit",
    "plan",
    "deadline",
    "milestones",
)


def _many(form: MultiDictProxy[Any], key: str) -> list[str]:
    found: list[str] = []
    for value in form.getall(key, []):
        if isinstance(value, str):
            found.extend(p for p in value.replace("，", " ").replace(",", " ").split() if p)
    return found


def _date(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ItemProblem(f"{name}须为日期，例如 2026-04-30") from None


def _milestones(value: str) -> tuple[MilestoneIn, ...]:
    found = []
    for line in value.splitlines():
        line = line.strip()
        if not line:
            continue
        day, _, title = line.partition(" ")
        found.append(MilestoneIn(title.strip(), _date(day, f"节点“{line[:16]}”的日期")))
    return tuple(found)


def _heat(value: str) -> dict[str, Any]:
    if not value.strip():
        return {}
    if len(value) > texts.HEAT_LIMIT:
        raise ItemProblem(f"热度因素最多{texts.HEAT_LIMIT}个字符")
    try:
        heat = json.loads(value)
    except ValueError:
        raise ItemProblem("热度因素应为 JSON 对象") from None
    if not isinstance(heat, dict):
        raise ItemProblem("热度因素应为 JSON 对象")
    return heat


def _version(form: MultiDictProxy[Any]) -> int | None:
    return whole_number(str(form.get("version", "")).strip(), 10)


def item_in(form: MultiDictProxy[Any]) -> ItemIn:
    text = {k: str(form.get(k, "")) for k in FORM_FIELDS}
    return ItemIn(
        title=text["title"],
        owner_unit=text["owner_unit"].strip()[:32],
        deadline=_date(text["deadline"], "期限"),
        kind=text["kind"].strip() or "proactive",
        co_units=tuple(c[:32] for c in _many(form, "co_units")),
        plan=text["plan"],
        problem=text["problem"],
        month=text["month"].strip(),
        milestones=_milestones(text["milestones"]),
        numbers=tuple(n[:32] for n in _many(form, "numbers")),
        topic_words=tuple(_many(form, "topic_words")),
        place_key=text["place_key"],
        place_label=text["place_label"],
        category=text["category"],
        heat=_heat(text["heat"]),
    )


async def _units() -> list[Unit]:
    return list(await Unit.filter(active=True).order_by("kind", "code"))


def _filter(request: web.Request) -> LedgerFilter:
    query = request.query
    return LedgerFilter(
        status=query.get("status", "")[:16],
        kind=query.get("kind", "")[:16],
        owner=query.get("owner", "")[:32],
        co_unit=query.get("co_unit", "")[:32],
        month=query.get("month", "")[:7],
        overdue=query.get("overdue", "") in ("1", "true", "on"),
        q=query.get("q", "")[:64],
    )


@page(READ)
async def ledger(request: web.Request, staff: StaffContext) -> web.StreamResponse:
    given = _filter(request)
    pg = whole_number(request.query.get("page", ""), 5) or 1
    error = ""
    try:
        rows, total = await ledger_page(
            staff.user, given, local(request.app[CLOCK].now()).date(), pg, texts.PAGE_SIZE
        )
    except LedgerProblem as problem:
        rows, total, error = [], 0, str(problem)
    query = "&".join(f"{k}={v}" for k, v in request.query.items() if k != "page" and v)
    return render(
        request,
        staff,
        "hot_items.html",
        {
            "title": "热点事项台账",
            "rows": [row_json(r) for r in rows],
            "total": total,
            "page": pg,
            "has_more": pg * texts.PAGE_SIZE < total,
            "filter": given,
            "query": query,
            "units": await _units(),
            "kind_labels": texts.KIND_LABELS,
            "status_labels": texts.STATUS_LABELS,
            "api": API,
            "may_make": can(staff.user, "hot.items.manage"),
            "error": error,
        },
        status=400 if error else 200,
    )


async def _new_page(
    request: web.Request,
    staff: StaffContext,
    values: dict[str, Any],
    *,
    error: str = "",
    status: int = 200,
) -> web.Response:
    return render(
        request,
        staff,
        "hot_item_new.html",
        {
            "title": "热点事项立项",
            "values": values,
            "units": await _units(),
            "kind_labels": texts.KIND_LABELS,
            "error": error,
        },
        status=status,
    )


@page("hot.items.manage")
async def new_form(request: web.Request, staff: StaffContext) -> web.StreamResponse:
    return await _new_page(request, staff, {"kind": "proactive", "co_units": [], "numbers": ""})


@page("hot.items.manage")
async def create(request: web.Request, staff: StaffContext) -> web.StreamResponse:
    form = await request.post()
    values: dict[str, Any] = {k: str(form.get(k, "")) for k in FORM_FIELDS}
    values["co_units"] = _many(form, "co_units")
    values["numbers"] = " ".join(_many(form, "numbers"))
    values["topic_words"] = " ".join(_many(form, "topic_words"))
    try:
        item = await create_item(item_in(form), staff.actor, request.app[CLOCK].now())
    except ERRORS as problem:
        status = getattr(problem, "status", 400)
        return await _new_page(request, staff, values, error=str(problem), status=status)
    raise redirect(f"{HERE}/{item.number}", saved="created")


async def _item_page(
    request: web.Request, staff: StaffContext, number: str, *, error: str = "", status: int = 200
) -> web.Response:
    try:
        item, role = await item_for(staff.user, number)
    except ItemError as problem:
        return refuse(request, staff, problem.status, str(problem))
    detail = await item_detail(item, role, local(request.app[CLOCK].now()).date())
    return render(
        request,
        staff,
        "hot_item.html",
        {
            "title": f"{item.number} {item.title}",
            "item": detail,
            "units": await _units(),
            "outcome_labels": texts.OUTCOME_LABELS,
            "saved": DONE.get(request.query.get("saved", ""), ""),
            "error": error,
        },
        status=status,
    )


@page(READ)
async def item_page(request: web.Request, staff: StaffContext) -> web.StreamResponse:
    return await _item_page(request, staff, request.match_info["number"])


async def _step(request: web.Request, staff: StaffContext, action: str) -> web.StreamResponse:
    number = request.match_info["number"]
    form = await request.post()
    now = request.app[CLOCK].now()
    version = _version(form)
    user, actor = staff.user, staff.actor
    text = {k: str(v) for k, v in form.items() if isinstance(v, str)}
    target = f"{HERE}/{number}"
    try:
        if action == "edited":
            deadline = text.get("deadline", "").strip()
            edit = ItemEdit(
                title=text.get("title"),
                plan=text.get("plan"),
                deadline=_date(deadline, "期限") if deadline else None,
                deadline_reason=text.get("deadline_reason", ""),
                co_units=tuple(c[:32] for c in _many(form, "co_units")),
            )
            await edit_item(user, actor, number, edit, now, version)
        elif action == "noted":
            await add_progress(user, actor, number, text.get("text", ""), now, version)
        elif action == "milestones":
            given = _milestones(text.get("milestones", ""))
            await add_milestones(user, actor, number, given, now, version)
        elif action == "ticked":
            milestone = whole_number(request.match_info["id"], 18) or 0
            await tick_milestone(user, actor, number, milestone, text.get("note", ""), now, version)
        elif action == "linked":
            await link_by_hand(user, actor, number, text.get("case", ""), now, version)
        elif action == "unlinked":
            await unlink_by_hand(user, actor, number, request.match_info["case"], now, version)
        elif action == "closed":
            outcome, result = text.get("outcome", ""), text.get("result", "")
            await close_item(user, actor, number, outcome, result, now, version)
        elif action == "withdrawn":
            await withdraw_item(user, actor, number, text.get("reason", ""), now, version)
        else:
            notice = await tell_residents(user, actor, number, now, version, text.get("text", ""))
            target = f"{PREFIX}/notices/{notice.id}"
            action = "notice_created"
    except ERRORS as problem:
        status = getattr(problem, "status", 400)
        if status == 404:
            return refuse(request, staff, 404, str(problem))
        return await _item_page(request, staff, number, error=str(problem), status=status)
    if action == "notice_created":
        raise redirect(target, ok=action)
    raise redirect(target, saved=action)


def _handler(action: str) -> Any:
    @page(READ)
    async def run(request: web.Request, staff: StaffContext) -> web.StreamResponse:
        return await _step(request, staff, action)

    return run


def add_routes(app: web.Application) -> None:
    router = app.router
    router.add_get(HERE, ledger)
    router.add_post(HERE, create)
    router.add_get(f"{HERE}/new", new_form)
    router.add_get(f"{HERE}/{{number}}", item_page)
    router.add_post(f"{HERE}/{{number}}/edit", _handler("edited"))
    router.add_post(f"{HERE}/{{number}}/notes", _handler("noted"))
    router.add_post(f"{HERE}/{{number}}/milestones", _handler("milestones"))
    router.add_post(f"{HERE}/{{number}}/milestones/{{id}}/done", _handler("ticked"))
    router.add_post(f"{HERE}/{{number}}/cases", _handler("linked"))
    router.add_post(f"{HERE}/{{number}}/cases/{{case}}/unlink", _handler("unlinked"))
    router.add_post(f"{HERE}/{{number}}/close", _handler("closed"))
    router.add_post(f"{HERE}/{{number}}/withdraw", _handler("withdrawn"))
    router.add_post(f"{HERE}/{{number}}/notice", _handler("notice"))
