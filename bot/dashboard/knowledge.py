"""The knowledge base (知识库) on the dashboard: the list with filters and a 试一试 box, the
entry page (its form, publish and retire, its versions), new entries, and the import of a
spreadsheet (upload, preview, confirm) - all through ``handlers.knowledge``. The figures and
the gaps list are ``bot.dashboard.knowledge_figures``.

Reading needs ``knowledge.read``; a unit's accounts write their own unit's entries as drafts,
dispatchers and admins publish and retire (``handlers.staff.permissions``). Every change
reloads the in-memory knowledge base at once. The export links are the admin API's
(``/api/admin/knowledge.csv``, ``.xlsx``), which take the dashboard's session too.
"""

from __future__ import annotations

import base64
import secrets
from datetime import date
from typing import Any

from aiohttp import web

from bot.api.staff_auth import CSRF_FIELD, StaffContext, staff_for
from bot.dashboard import knowledge_figures
from bot.dashboard.district import UploadRefused, read_upload
from bot.dashboard.web import LOGIN_PATH, PREFIX, form_of, page, redirect, refuse, render
from bot.keys import CLOCK, KNOWLEDGE
from handlers.clock import local
from handlers.digits import whole_number
from handlers.knowledge.answering import match_in
from handlers.knowledge.editing import (
    EntryConflict,
    EntryMissing,
    NotAllowed,
    create_entry,
    edit_entry,
    set_status,
    unit_codes,
    versions_of,
)
from handlers.knowledge.files import COLUMNS, apply_import, digest, plan_import, read_entries
from handlers.knowledge.records import (
    MAX_QUESTION,
    SCOPE_LABELS,
    STATUS_LABELS,
    EntryIn,
    KnowledgeProblem,
    join_links,
    split_links,
    split_list,
)
from handlers.staff.permissions import can, may_edit_entry
from models import EntryStatus, KnowledgeEntry, Unit

PAGE_SIZE = 100
DONE = {
    "created": "已保存为草稿，提交审核后发布",
    "saved": "已保存",
    "unchanged": "内容没有变化",
    "published": "已发布，即时生效",
    "retired": "已下线，不再自动答复",
    "imported": "已导入",
    "from_case": "已由诉求的答复转为知识条目（草稿），审核发布后自动答复居民",
    "from_case_variant": "已把居民的问法加入该条目",
}


def _reload(request: web.Request) -> None:
    request.app[KNOWLEDGE].invalidate()


async def _units() -> list[Unit]:
    return list(await Unit.filter(active=True).order_by("code"))


@page("knowledge.read")
async def knowledge_page(request: web.Request, staff: StaffContext) -> web.StreamResponse:
    query = request.query
    rows = KnowledgeEntry.all()
    status = query.get("status", "")
    if status in STATUS_LABELS:
        rows = rows.filter(status=status)
    unit = query.get("unit", "")
    codes = await unit_codes()
    if unit:
        rows = rows.filter(unit_id__in=[i for i, c in codes.items() if c == unit] or [0])
    words = query.get("q", "").strip()[:100]
    if words:
        rows = rows.filter(question__icontains=words)
    category = query.get("category", "").strip()[:128]
    if category:
        rows = rows.filter(category__startswith=category)
    entries = await rows.order_by("-updated_at", "-id").limit(PAGE_SIZE)
    tried = None
    try_text = query.get("try", "").strip()[:500]
    if try_text:
        knowledge = request.app[KNOWLEDGE]
        match, _ = match_in(
            await knowledge.cache.get(),
            try_text,
            street=query.get("try_street", "").strip() or None,
            compound=query.get("try_compound", "").strip() or None,
            today=local(request.app[CLOCK].now()).date(),
            rule=knowledge.rule,
        )
        tried = {"match": match}
    return render(
        request,
        staff,
        "knowledge.html",
        {
            "title": "知识库",
            "entries": entries,
            "codes": codes,
            "units": await _units(),
            "filters": {k: query.get(k, "") for k in ("status", "unit", "q", "category")},
            "status_labels": STATUS_LABELS,
            "scope_labels": SCOPE_LABELS,
            "try_text": try_text,
            "try_street": query.get("try_street", "")[:64],
            "try_compound": query.get("try_compound", "")[:64],
            "tried": tried,
            "saved": DONE.get(query.get("saved", ""), ""),
        },
    )


def _values(entry: KnowledgeEntry, codes: dict[int, str]) -> dict[str, str]:
    return {
        "question": entry.question,
        "variants": "\n".join(entry.variants),
        "answer": entry.answer,
        "links": join_links(entry.links),
        "mini_page": entry.mini_page,
        "unit": codes.get(entry.unit_id or 0, ""),
        "policy": entry.policy,
        "valid_from": entry.valid_from.isoformat() if entry.valid_from else "",
        "valid_until": entry.valid_until.isoformat() if entry.valid_until else "",
        "category": entry.category,
        "scope": str(entry.scope),
        "street": entry.street,
        "compound": entry.compound,
        "version": str(entry.version),
    }


async def _form_page(
    request: web.Request,
    staff: StaffContext,
    entry: KnowledgeEntry | None,
    values: dict[str, str],
    *,
    error: str = "",
    status: int = 200,
) -> web.Response:
    codes = await unit_codes()
    versions = await versions_of(entry.id) if entry is not None else []
    editable = may_edit_entry(staff.user, entry.unit_id if entry else staff.user.unit_id)
    return render(
        request,
        staff,
        "knowledge_form.html",
        {
            "title": entry.question if entry else "新增知识条目",
            "entry": entry,
            "values": values,
            "versions": versions,
            "units": await _units(),
            "unit_code": codes.get(entry.unit_id or 0, "") if entry else "",
            "status_labels": STATUS_LABELS,
            "scope_labels": SCOPE_LABELS,
            "editable": editable,
            "reviewer": can(staff.user, "knowledge.publish"),
            "error": error,
            "saved": DONE.get(request.query.get("saved", ""), ""),
        },
        status=status,
    )


@page("knowledge.edit")
async def new_form(request: web.Request, staff: StaffContext) -> web.StreamResponse:
    unit = ""
    if staff.user.unit_id is not None:
        unit = (await unit_codes()).get(staff.user.unit_id, "")
    # From the gaps list's 写条目: the residents' own words as the question to start from.
    question = request.query.get("question", "").replace("\x00", "").strip()[:MAX_QUESTION]
    values = {"scope": "district", "unit": unit, "question": question}
    return await _form_page(request, staff, None, values)


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        raise KnowledgeProblem([f"日期须为 YYYY-MM-DD：{value}"]) from None


def _given(form: dict[str, str]) -> EntryIn:
    return EntryIn(
        question=form.get("question", ""),
        answer=form.get("answer", ""),
        variants=split_list(form.get("variants", "")),
        links=split_links(form.get("links", "")),
        mini_page=form.get("mini_page", ""),
        unit=form.get("unit", ""),
        policy=form.get("policy", ""),
        valid_from=_date(form.get("valid_from", "")),
        valid_until=_date(form.get("valid_until", "")),
        category=form.get("category", ""),
        scope=form.get("scope", "district"),
        street=form.get("street", ""),
        compound=form.get("compound", ""),
    )


@page("knowledge.edit")
async def create(request: web.Request, staff: StaffContext) -> web.StreamResponse:
    form = await form_of(request)
    try:
        entry = await create_entry(_given(form), staff.user, staff.actor, request.app[CLOCK].now())
    except (KnowledgeProblem, NotAllowed) as problem:
        return await _form_page(request, staff, None, form, error=str(problem), status=400)
    _reload(request)
    raise redirect(f"{PREFIX}/knowledge/{entry.id}", saved="created")


async def _entry(request: web.Request) -> KnowledgeEntry | None:
    entry_id = whole_number(request.match_info["entry_id"], 18)
    return await KnowledgeEntry.get_or_none(id=entry_id) if entry_id is not None else None


@page("knowledge.read")
async def entry_page(request: web.Request, staff: StaffContext) -> web.StreamResponse:
    entry = await _entry(request)
    if entry is None:
        return refuse(request, staff, 404, "没有这个知识条目")
    return await _form_page(request, staff, entry, _values(entry, await unit_codes()))


@page("knowledge.edit")
async def save(request: web.Request, staff: StaffContext) -> web.StreamResponse:
    entry = await _entry(request)
    if entry is None:
        return refuse(request, staff, 404, "没有这个知识条目")
    form = await form_of(request)
    try:
        saved = await edit_entry(
            entry.id,
            _given(form),
            staff.user,
            staff.actor,
            request.app[CLOCK].now(),
            expected_version=whole_number(form.get("version", "")),
        )
    except (KnowledgeProblem, NotAllowed) as problem:
        status = 403 if isinstance(problem, NotAllowed) else 400
        return await _form_page(request, staff, entry, form, error=str(problem), status=status)
    except EntryConflict:
        error = "条目刚被别人修改，请刷新后重试（你的修改未保存）"
        return await _form_page(request, staff, entry, form, error=error, status=409)
    except EntryMissing:
        return refuse(request, staff, 404, "没有这个知识条目")
    _reload(request)
    raise redirect(
        f"{PREFIX}/knowledge/{entry.id}", saved="saved" if saved.changed else "unchanged"
    )


async def _set(request: web.Request, staff: StaffContext, status: EntryStatus) -> web.Response:
    entry = await _entry(request)
    if entry is None:
        return refuse(request, staff, 404, "没有这个知识条目")
    form = await form_of(request)
    try:
        await set_status(
            entry.id,
            status,
            staff.user,
            staff.actor,
            request.app[CLOCK].now(),
            expected_version=whole_number(form.get("version", "")),
        )
    except NotAllowed as problem:
        return refuse(request, staff, 403, str(problem))
    except EntryConflict:
        return refuse(request, staff, 409, "条目刚被别人修改，请刷新后再操作")
    _reload(request)
    done = "published" if status == EntryStatus.PUBLISHED else "retired"
    raise redirect(f"{PREFIX}/knowledge/{entry.id}", saved=done)


@page("knowledge.publish")
async def publish(request: web.Request, staff: StaffContext) -> web.StreamResponse:
    return await _set(request, staff, EntryStatus.PUBLISHED)


@page("knowledge.publish")
async def retire(request: web.Request, staff: StaffContext) -> web.StreamResponse:
    return await _set(request, staff, EntryStatus.RETIRED)


def _import_context(**more: Any) -> dict[str, Any]:
    return {"title": "导入知识库", "columns": COLUMNS, "max_mb": 8, "plan": None, **more}


@page("knowledge.import")
async def import_form(request: web.Request, staff: StaffContext) -> web.StreamResponse:
    return render(request, staff, "knowledge_import.html", _import_context())


async def import_upload(request: web.Request) -> web.StreamResponse:
    """Not wrapped by ``page``: that would read the whole form before the size is known."""
    staff = await staff_for(request)
    if staff is None or staff.session is None:
        raise web.HTTPSeeOther(f"{LOGIN_PATH}?next={PREFIX}/knowledge/import")
    if not can(staff.user, "knowledge.import"):
        return refuse(request, staff, 403, "您的账号没有此项权限")
    try:
        fields, files = await read_upload(request)
    except UploadRefused as refused:
        return refuse(request, staff, refused.status, str(refused))
    given = fields.get(CSRF_FIELD, "")
    if not given or not secrets.compare_digest(given, staff.session.csrf_token):
        return refuse(request, staff, 403, "页面已过期，请刷新后重试（CSRF 校验失败）")
    if len(files) != 1:
        context = _import_context(error="请选择一个 CSV 或 XLSX 文件")
        return render(request, staff, "knowledge_import.html", context, status=400)
    name, data = next(iter(files.items()))
    try:
        plan = await plan_import(read_entries(name, data), staff.user)
    except KnowledgeProblem as problem:
        context = _import_context(error="导入被拒绝，未做任何修改", problems=problem.problems)
        return render(request, staff, "knowledge_import.html", context, status=400)
    seen = digest(name, data)
    if fields.get("confirm") == "1":
        if not secrets.compare_digest(fields.get("digest", ""), seen):
            return refuse(request, staff, 409, "文件与预览时不同，未导入。请重新上传并预览。")
        try:
            await apply_import(plan, staff.user, staff.actor, request.app[CLOCK].now())
        except (KnowledgeProblem, NotAllowed, EntryConflict) as problem:
            return refuse(request, staff, 409, f"未能全部导入：{problem or '条目刚被别人修改'}")
        _reload(request)
        raise redirect(f"{PREFIX}/knowledge", saved="imported")
    carried = {name: base64.b64encode(data).decode()}
    context = _import_context(plan=plan, digest=seen, carried=carried)
    return render(request, staff, "knowledge_import.html", context)


def add_routes(app: web.Application) -> None:
    app.router.add_get(f"{PREFIX}/knowledge", knowledge_page)
    app.router.add_post(f"{PREFIX}/knowledge", create)
    app.router.add_get(f"{PREFIX}/knowledge/new", new_form)
    app.router.add_get(f"{PREFIX}/knowledge/import", import_form)
    app.router.add_post(f"{PREFIX}/knowledge/import", import_upload)
    knowledge_figures.add_routes(app)  # before {entry_id}
    app.router.add_get(f"{PREFIX}/knowledge/{{entry_id}}", entry_page)
    app.router.add_post(f"{PREFIX}/knowledge/{{entry_id}}", save)
    app.router.add_post(f"{PREFIX}/knowledge/{{entry_id}}/publish", publish)
    app.router.add_post(f"{PREFIX}/knowledge/{{entry_id}}/retire", retire)
