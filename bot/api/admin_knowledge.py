"""The staff API for the knowledge base (知识库, issue 19).

- ``GET /api/admin/knowledge``: entries, newest change first, 50 a page; ``q`` searches the
  code, question and answer, ``status``, ``unit`` (a unit code) and ``category`` (a prefix)
  filter. ``knowledge.read``.
- ``GET /api/admin/knowledge/{id}``: one entry with every version (who, when, what changed).
- ``POST /api/admin/knowledge``: a new draft (201); ``PUT /api/admin/knowledge/{id}``: change
  it (``version``: the version the change was made on; another's save in between is 409).
  ``knowledge.edit``: a unit's accounts only their own unit's entries (403 otherwise); an edit
  by a unit sends a published entry back to draft.
- ``POST /api/admin/knowledge/{id}/publish`` and ``/retire``: ``knowledge.publish``.
- ``POST /api/admin/knowledge/import``: a CSV or XLSX file (``filename``, ``content_base64``)
  previewed (``apply`` false: what each row would do, and the file's ``digest``) or applied
  (``apply`` true, with the preview's ``digest``: a different file is 409). Idempotent.
  ``knowledge.import``.
- ``GET /api/admin/knowledge.csv`` and ``.xlsx``: every entry, in the import's columns.
- ``GET /api/admin/knowledge/match``: what a question would be answered with (``q``, and the
  resident's ``street`` and ``compound``), for trying entries out. ``knowledge.read``.
- ``GET /api/admin/knowledge/figures`` and ``/gaps``: the figures and the gaps list
  (``bot.api.admin_knowledge_figures``).

Every change is audited (``knowledge.*``) and reloads the in-memory index (``KNOWLEDGE``). The
contract of these routes is ``bot.api.admin_knowledge_contract``.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from datetime import date
from typing import Any

from aiohttp import web
from pydantic import Field
from tortoise.expressions import Q

from bot.api.admin_knowledge_figures import add_knowledge_figures_routes
from bot.api.json_api import NO_NUL, ApiError, Payload, error_response, page_of, read_payload
from bot.api.staff_auth import require_staff
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
from handlers.knowledge.files import XLSX, apply_import, digest, export_file, plan_import
from handlers.knowledge.files import read_entries as read_file_entries
from handlers.knowledge.records import (
    MAX_ANSWER,
    MAX_CATEGORY,
    MAX_POLICY,
    MAX_QUESTION,
    MAX_SHORT,
    MAX_VARIANTS,
    STATUS_LABELS,
    EntryIn,
    KnowledgeProblem,
)
from handlers.staff.audit import audit
from models import EntryStatus, KnowledgeEntry, KnowledgeVersion

PAGE_SIZE = 50
MAX_PAGE = 10_000
MAX_IMPORT_BASE64 = 1_400_000  # within the JSON body limit: about 1 MB of file


class LinkBody(Payload):
    title: str = Field(default="", max_length=MAX_SHORT, pattern=NO_NUL)
    url: str = Field(max_length=500, pattern=r"^https?://\S+$")


class EntryBody(Payload):
    question: str = Field(min_length=1, max_length=MAX_QUESTION, pattern=NO_NUL)
    answer: str = Field(min_length=1, max_length=MAX_ANSWER, pattern=NO_NUL)
    variants: list[str] = Field(default_factory=list, max_length=MAX_VARIANTS)
    links: list[LinkBody] = Field(default_factory=list, max_length=10)
    mini_page: str = Field(default="", max_length=255, pattern=NO_NUL)
    unit: str = Field(default="", max_length=32, pattern=NO_NUL)
    policy: str = Field(default="", max_length=MAX_POLICY, pattern=NO_NUL)
    valid_from: date | None = Field(default=None, strict=False)
    valid_until: date | None = Field(default=None, strict=False)
    category: str = Field(default="", max_length=MAX_CATEGORY, pattern=NO_NUL)
    scope: str = Field(default="district", max_length=16)
    street: str = Field(default="", max_length=MAX_SHORT, pattern=NO_NUL)
    compound: str = Field(default="", max_length=MAX_SHORT, pattern=NO_NUL)
    code: str = Field(default="", max_length=32, pattern=r"^[A-Za-z0-9_.-]*$")
    version: int | None = Field(default=None, ge=1, le=2_000_000_000)


class StatusBody(Payload):
    version: int | None = Field(default=None, ge=1, le=2_000_000_000)


class ImportBody(Payload):
    filename: str = Field(
        min_length=5, max_length=128, pattern=r"^[^\x00/\\]+\.(csv|xlsx|CSV|XLSX)$"
    )
    content_base64: str = Field(min_length=1, max_length=MAX_IMPORT_BASE64)
    apply: bool = False
    digest: str = Field(default="", max_length=64, pattern=r"^[0-9a-f]*$")


def _given(body: EntryBody) -> EntryIn:
    return EntryIn(
        question=body.question,
        answer=body.answer,
        variants=tuple(v.strip() for v in body.variants if v.strip()),
        links=tuple((link.title or link.url, link.url) for link in body.links),
        mini_page=body.mini_page,
        unit=body.unit,
        policy=body.policy,
        valid_from=body.valid_from,
        valid_until=body.valid_until,
        category=body.category,
        scope=body.scope,
        street=body.street,
        compound=body.compound,
        code=body.code,
    )


def entry_json(entry: KnowledgeEntry, codes: dict[int, str]) -> dict[str, Any]:
    return {
        "id": entry.id,
        "code": entry.code,
        "question": entry.question,
        "variants": list(entry.variants),
        "answer": entry.answer,
        "links": [
            {"title": link.get("title", ""), "url": link.get("url", "")} for link in entry.links
        ],
        "mini_page": entry.mini_page,
        "unit": codes.get(entry.unit_id or 0, ""),
        "policy": entry.policy,
        "valid_from": entry.valid_from.isoformat() if entry.valid_from else None,
        "valid_until": entry.valid_until.isoformat() if entry.valid_until else None,
        "category": entry.category,
        "scope": str(entry.scope),
        "street": entry.street,
        "compound": entry.compound,
        "status": EntryStatus(entry.status).value,
        "version": entry.version,
        "created_at": entry.created_at.isoformat(),
        "updated_at": entry.updated_at.isoformat(),
        "updated_by": entry.updated_by,
        "published_at": entry.published_at.isoformat() if entry.published_at else None,
        "published_by": entry.published_by,
    }


def version_json(version: KnowledgeVersion) -> dict[str, Any]:
    return {
        "version": version.version,
        "action": version.action,
        "at": version.at.isoformat(),
        "by": version.by,
        "changes": version.changes,
        "snapshot": version.snapshot,
    }


def _refused(error: Exception) -> ApiError:
    if isinstance(error, KnowledgeProblem):
        problems = [{"field": "", "problem": p} for p in error.problems]
        return ApiError(400, "rejected", str(error), problems=problems)
    if isinstance(error, NotAllowed):
        return ApiError(403, "forbidden", str(error))
    if isinstance(error, EntryConflict):
        return ApiError(409, "conflict", "条目刚被别人修改，请刷新后重试")
    return ApiError(404, "not_found", "没有这个知识条目")


def _entry_id(request: web.Request) -> int:
    found = whole_number(request.match_info["id"], 18)
    if found is None:
        raise ApiError(404, "not_found", "没有这个知识条目")
    return found


async def entry_response(request: web.Request, entry_id: int, status: int = 200) -> web.Response:
    """The entry with every version, as ``GET /api/admin/knowledge/{id}`` answers it."""
    entry = await KnowledgeEntry.get_or_none(id=entry_id)
    if entry is None:
        raise ApiError(404, "not_found", "没有这个知识条目")
    versions = [version_json(v) for v in await versions_of(entry_id)]
    body = {"entry": entry_json(entry, await unit_codes()), "versions": versions}
    return web.json_response(body, status=status)


async def list_entries(request: web.Request) -> web.Response:
    await require_staff(request, "knowledge.read")
    try:
        page = page_of(request, MAX_PAGE)
        query = KnowledgeEntry.all()
        status = request.query.get("status", "")
        if status:
            if status not in STATUS_LABELS:
                raise ApiError(400, "invalid_request", "status 须为 draft、published 或 retired")
            query = query.filter(status=status)
        codes = await unit_codes()
        unit = request.query.get("unit", "").strip()
        if unit:
            ids = [unit_id for unit_id, code in codes.items() if code == unit]
            query = query.filter(unit_id__in=ids or [0])
        category = request.query.get("category", "").strip()
        if category:
            query = query.filter(category__startswith=category[:MAX_CATEGORY])
        words = request.query.get("q", "").strip().replace("\x00", "")[:100]
        if words:
            query = query.filter(
                Q(code__icontains=words) | Q(question__icontains=words) | Q(answer__icontains=words)
            )
    except ApiError as refused:
        return error_response(refused.status, refused.code, refused.message, **refused.extra)
    total = await query.count()
    rows = (
        await query.order_by("-updated_at", "-id").offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)
    )
    return web.json_response(
        {"entries": [entry_json(e, codes) for e in rows], "total": total, "page": page}
    )


async def get_entry(request: web.Request) -> web.Response:
    await require_staff(request, "knowledge.read")
    try:
        return await entry_response(request, _entry_id(request))
    except ApiError as refused:
        return error_response(refused.status, refused.code, refused.message, **refused.extra)


async def post_entry(request: web.Request) -> web.Response:
    staff = await require_staff(request, "knowledge.edit")
    try:
        body = await read_payload(request, EntryBody)
        try:
            entry = await create_entry(_given(body), staff.user, staff.actor, _now(request))
        except (KnowledgeProblem, NotAllowed) as problem:
            raise _refused(problem) from None
        request.app[KNOWLEDGE].invalidate()
        return await entry_response(request, entry.id, 201)
    except ApiError as refused:
        return error_response(refused.status, refused.code, refused.message, **refused.extra)


async def put_entry(request: web.Request) -> web.Response:
    staff = await require_staff(request, "knowledge.edit")
    try:
        entry_id = _entry_id(request)
        body = await read_payload(request, EntryBody)
        try:
            await edit_entry(
                entry_id,
                _given(body),
                staff.user,
                staff.actor,
                _now(request),
                expected_version=body.version,
            )
        except (KnowledgeProblem, NotAllowed, EntryConflict, EntryMissing) as problem:
            raise _refused(problem) from None
        request.app[KNOWLEDGE].invalidate()
        return await entry_response(request, entry_id)
    except ApiError as refused:
        return error_response(refused.status, refused.code, refused.message, **refused.extra)


async def _status(request: web.Request, status: EntryStatus) -> web.Response:
    staff = await require_staff(request, "knowledge.publish")
    try:
        entry_id = _entry_id(request)
        body = await read_payload(request, StatusBody)
        try:
            await set_status(
                entry_id,
                status,
                staff.user,
                staff.actor,
                _now(request),
                expected_version=body.version,
            )
        except (NotAllowed, EntryConflict, EntryMissing) as problem:
            raise _refused(problem) from None
        request.app[KNOWLEDGE].invalidate()
        return await entry_response(request, entry_id)
    except ApiError as refused:
        return error_response(refused.status, refused.code, refused.message, **refused.extra)


async def publish(request: web.Request) -> web.Response:
    return await _status(request, EntryStatus.PUBLISHED)


async def retire(request: web.Request) -> web.Response:
    return await _status(request, EntryStatus.RETIRED)


def _now(request: web.Request) -> Any:
    return request.app[CLOCK].now()


async def import_entries(request: web.Request) -> web.Response:
    staff = await require_staff(request, "knowledge.import")
    try:
        body = await read_payload(request, ImportBody)
        try:
            data = base64.b64decode(body.content_base64, validate=True)
        except (binascii.Error, ValueError):
            raise ApiError(400, "invalid_payload", "content_base64 不是有效的 base64") from None
        seen = digest(body.filename, data)
        try:
            plan = await plan_import(read_file_entries(body.filename, data), staff.user)
            if body.apply:
                if not secrets.compare_digest(body.digest, seen):
                    raise ApiError(409, "conflict", "文件与预览时不同，未导入：请重新预览")
                counts = await apply_import(plan, staff.user, staff.actor, _now(request))
                request.app[KNOWLEDGE].invalidate()
                return web.json_response({"applied": True, "counts": counts, "digest": seen})
        except (KnowledgeProblem, NotAllowed, EntryConflict, EntryMissing) as problem:
            raise _refused(problem) from None
    except ApiError as refused:
        return error_response(refused.status, refused.code, refused.message, **refused.extra)
    rows = [
        {
            "where": row.given.where,
            "code": row.given.code,
            "question": row.given.question,
            "action": row.action,
            "fields": {name: [str(a), str(b)] for name, (a, b) in row.fields.items()},
        }
        for row in plan.rows
    ]
    return web.json_response(
        {"applied": False, "counts": plan.counts(), "digest": seen, "rows": rows}
    )


async def _export(request: web.Request, kind: str) -> web.Response:
    staff = await require_staff(request, "knowledge.read")
    now = _now(request)
    data = await export_file(kind)
    await audit(
        staff.actor, "knowledge.export", now, target_type="knowledge", detail={"format": kind}
    )
    name = f"knowledge-{local(now):%Y%m%d}.{kind}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if kind == "csv":
        return web.Response(body=data, content_type="text/csv", charset="utf-8", headers=headers)
    return web.Response(body=data, content_type=XLSX, headers=headers)


async def export_csv(request: web.Request) -> web.Response:
    return await _export(request, "csv")


async def export_xlsx(request: web.Request) -> web.Response:
    return await _export(request, "xlsx")


async def try_match(request: web.Request) -> web.Response:
    await require_staff(request, "knowledge.read")
    text = request.query.get("q", "").replace("\x00", "").strip()[:500]
    if not text:
        return error_response(400, "invalid_request", "q 不能为空")
    street = request.query.get("street", "").strip()[:MAX_SHORT] or None
    compound = request.query.get("compound", "").strip()[:MAX_SHORT] or None
    knowledge = request.app[KNOWLEDGE]
    loaded = await knowledge.cache.get()
    match, _ = match_in(
        loaded,
        text,
        street=street,
        compound=compound,
        today=local(_now(request)).date(),
        rule=knowledge.rule,
    )
    offered = [
        {"id": o.entry_id, "code": o.code, "question": o.question, "score": o.score}
        for o in (match.offered if match else ())
    ]
    return web.json_response(
        {
            "confident": bool(match and match.confident),
            "entry": entry_json(match.entry, await unit_codes()) if match else None,
            "score": round(match.score, 4) if match else 0.0,
            "offered": offered,
        }
    )


def add_admin_knowledge_routes(app: web.Application) -> None:
    router = app.router
    router.add_get("/api/admin/knowledge", list_entries)
    router.add_post("/api/admin/knowledge", post_entry)
    router.add_get("/api/admin/knowledge.csv", export_csv)
    router.add_get("/api/admin/knowledge.xlsx", export_xlsx)
    router.add_post("/api/admin/knowledge/import", import_entries)
    router.add_get("/api/admin/knowledge/match", try_match)
    add_knowledge_figures_routes(app)  # before {id}
    router.add_get("/api/admin/knowledge/{id}", get_entry)
    router.add_put("/api/admin/knowledge/{id}", put_entry)
    router.add_post("/api/admin/knowledge/{id}/publish", publish)
    router.add_post("/api/admin/knowledge/{id}/retire", retire)
