"""The held messages page (待处理留言): what residents sent that was kept but not routed.

A message is held when its sender is blocked, when WeChat's content check flagged its words, or
when the resident had reached the per-resident limit on new cases (an urgent report is never held
for that). Without this page nobody would see them: the resident was told the message was kept,
so a dispatcher must look. The queue is oldest first, but words that read as urgent
(``nlu.urgency``) go to the top and stand out: a blocked resident can still report a gas leak.

Release and discard post a form with the session's CSRF token and call the same handlers as the
staff API (``handlers.intake.held_messages``), so a release makes a case exactly as an unheld
message would, tells the resident, and is audited; the page then names the case it made.
Discard needs a note (why it is no case). Phones are masked everywhere here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from bot.api.admin_residents import (
    DECIDE,
    MAX_NOTE,
    PAGE_SIZE,
    BadHeldFilter,
    held_query,
)
from bot.api.staff_auth import StaffContext
from bot.dashboard.web import PREFIX, form_of, int_or_none, page, redirect, refuse, render
from bot.keys import INTAKE, SETTINGS
from config.open311 import SUGGESTION_SERVICE_CODE
from config.settings import Settings
from handlers.digits import whole_number
from handlers.intake import held_messages
from handlers.residents.additions import CaseClosed
from handlers.residents.media_store import media_url
from handlers.residents.photos import PhotoProblem
from models import Case, HeldMessage, HeldReason, HeldStatus, Resident
from nlu import mask_phone, mask_phones_in_text
from nlu.urgency import urgency_reasons

PATH = f"{PREFIX}/held"
MAX_PAGE = 10_000
# The queue is sorted urgent-first in Python: urgency is read from the words (nlu.urgency, up to
# tens of ms for a long text), not stored on the row. So only this many of the oldest waiting
# messages are read for it and later ones follow by time; the page says so when it happens.
# Storing the reading when a message is held would let the database sort all of them.
QUEUE_SCAN = 200
SHOWN_CHARS = 2000  # a longer text is cut here on the page; release keeps all of it

REASONS: dict[str, tuple[str, str]] = {
    HeldReason.BLOCKED: (
        "被拉黑的居民",
        "管理员已屏蔽这位居民，其发来的消息一律先保留、不派单，由派单员决定是否受理。",
    ),
    HeldReason.CONTENT_CHECK: (
        "内容安全检测",
        "微信内容安全检测认为文字可能有风险，需要人工看过再决定是否受理。",
    ),
    HeldReason.RATE_LIMITED: (
        "超过提交次数限制",
        "这位居民短时间内提交的诉求超过了每人次数限制，消息已保留未立案；属实的请放行。",
    ),
}
STATUS_LABELS = {"held": "待处理", "released": "已放行", "discarded": "已丢弃", "all": "全部"}
CHANNEL_LABELS = {"mp": "公众号", "miniprogram": "小程序", "open311": "Open311"}
CHECK_SUGGESTIONS = {"risky": "有风险", "review": "建议人工复核"}
KIND_LABELS = {
    "chat": "聊天消息",
    "case": "新诉求",
    "info": "补充材料",
    "open311": "新诉求",
    "suggestion": "人民建议",
}


@dataclass(frozen=True)
class HeldFilters:
    status: str = "held"
    reason: str = ""
    page: int = 1

    @classmethod
    def of(cls, query: Mapping[str, str], prefix: str = "") -> HeldFilters:
        """From the page's query (or a form's ``back_`` fields); unknown values are refused."""
        status = query.get(f"{prefix}status", "").strip() or "held"
        reason = query.get(f"{prefix}reason", "").strip()
        held_query(status, reason)  # raises BadHeldFilter
        number = whole_number(query.get(f"{prefix}page", "").strip() or "1", 6)
        if number is None or not 1 <= number <= MAX_PAGE:
            raise BadHeldFilter(f"页码须为 1 到 {MAX_PAGE} 的整数")
        return cls(status, reason, number)

    def items(self, **changes: Any) -> dict[str, str]:
        values = {"status": self.status, "reason": self.reason, "page": self.page, **changes}
        default = {"status": "held", "reason": "", "page": 1}
        return {k: str(v) for k, v in values.items() if v != default[k]}

    def link(self, **changes: Any) -> str:
        items = self.items(**changes)
        return PATH + (f"?{urlencode(items)}" if items else "")


async def _page_rows(filters: HeldFilters) -> tuple[list[HeldMessage], int]:
    """One page of the list: the queue urgent first then oldest, decided ones newest first."""
    query = held_query(filters.status, filters.reason)
    total = await query.count()
    start = (filters.page - 1) * PAGE_SIZE
    if filters.status != "held":
        rows = await query.order_by("-created_at", "-id").offset(start).limit(PAGE_SIZE)
        return list(rows), total
    if start >= QUEUE_SCAN:
        rows = await query.order_by("created_at", "id").offset(start).limit(PAGE_SIZE)
        return list(rows), total
    scanned = await query.order_by("created_at", "id").limit(QUEUE_SCAN).values_list("id", "text")
    ordered = sorted(scanned, key=lambda pair: not urgency_reasons(str(pair[1])))
    ids = [int(pair[0]) for pair in ordered[start : start + PAGE_SIZE]]
    found = {h.id: h for h in await HeldMessage.filter(id__in=ids)} if ids else {}
    rows = [found[i] for i in ids if i in found]
    if len(scanned) == QUEUE_SCAN and len(ids) < PAGE_SIZE:  # the page runs past the scan
        later = query.order_by("created_at", "id").offset(QUEUE_SCAN)
        rows.extend(await later.limit(PAGE_SIZE - len(ids)))
    return rows, total


def _photo(url: str) -> dict[str, str]:
    """A photo link only when it is ours (``/media/``) or plain http(s); else a reference."""
    safe = url.startswith(("https://", "http://", "/media/"))
    return {"url": url if safe else "", "media_id": "" if safe else url[:64]}


def _attachments(held: HeldMessage, settings: Settings) -> dict[str, Any]:
    """Photos, place and contact from what was sent, whatever the channel."""
    payload = held.payload or {}
    if payload.get("kind") == "chat":
        message = payload.get("message") or {}
        photos = []
        if message.get("msg_type") in ("image", "video", "shortvideo"):
            url = str(message.get("picture_url") or "")
            media_id = str(message.get("media_id") or "")
            photos.append(_photo(url) if url else {"url": "", "media_id": media_id})
        point = (message.get("lng"), message.get("lat"))
        return {
            "photos": [p for p in photos if p.get("url") or p.get("media_id")],
            "place": str(message.get("label") or ""),
            "point": point if None not in point else None,
            "contact": "",
        }
    body = payload.get("addition") or payload.get("submission") or {}
    photos = [_photo(media_url(settings, str(key))) for key in body.get("photos") or ()]
    if body.get("media_url"):
        photos.append(_photo(str(body["media_url"])))
    location = body.get("location") or {}
    point = (location.get("lng"), location.get("lat"))
    contact = body.get("contact") or {}
    phone = str(contact.get("phone") or "")
    return {
        "photos": photos,
        "place": mask_phones_in_text(str(location.get("address") or "")),
        "point": point if None not in point else None,
        "contact": " ".join(p for p in (str(contact.get("name") or ""), mask_phone(phone)) if p),
    }


def _check_note(result: Mapping[str, Any]) -> str:
    """WeChat's answer in words: its suggestion and the label (a number WeChat defines)."""
    suggest = str(result.get("suggest") or "")
    if not suggest:
        return ""
    label = result.get("label")
    words = CHECK_SUGGESTIONS.get(suggest, suggest)
    return f"{words}（标签 {label}）" if label not in (None, "") else words


def _kind(payload: Mapping[str, Any]) -> str:
    kind = str(payload.get("kind", ""))
    return "suggestion" if payload.get("service_code") == SUGGESTION_SERVICE_CODE else kind


def held_item(
    held: HeldMessage, resident: Resident | None, case_number: str | None, settings: Settings
) -> dict[str, Any]:
    text = mask_phones_in_text(held.text)
    reason = HeldReason(held.reason)
    label, why = REASONS[reason]
    payload = held.payload or {}
    return {
        "held": held,
        "status": HeldStatus(held.status).value,
        "status_label": STATUS_LABELS[HeldStatus(held.status).value],
        "reason": reason.value,
        "reason_label": label,
        "reason_why": why,
        "check_note": _check_note(held.check_result or {}),
        "channel": CHANNEL_LABELS.get(held.channel, held.channel),
        "kind": KIND_LABELS.get(_kind(payload), "消息"),
        "adds_to": str(payload.get("case") or "") if payload.get("kind") == "info" else "",
        "text": text[:SHOWN_CHARS],
        "text_cut": len(text) > SHOWN_CHARS,
        "text_length": len(text),
        "urgency_reasons": urgency_reasons(held.text),
        "resident": resident,
        "resident_phone": mask_phone(resident.phone) if resident and resident.phone else "",
        "case": case_number,
        "suggestion": str(payload.get("suggestion") or ""),
        **_attachments(held, settings),
    }


async def _counts() -> dict[str, int]:
    waiting = HeldMessage.filter(status=HeldStatus.HELD)
    return {r.value: await waiting.filter(reason=r).count() for r in HeldReason}


async def _outcome(raw: str) -> dict[str, Any] | None:
    """What the last decision did (``?done=<id>``), read back from the row itself."""
    held_id = whole_number(raw)
    held = await HeldMessage.get_or_none(id=held_id) if held_id is not None else None
    if held is None or held.status == HeldStatus.HELD:
        return None
    case = await Case.get_or_none(id=held.case_id) if held.case_id is not None else None
    suggestion = str((held.payload or {}).get("suggestion") or "")
    released = held.status == HeldStatus.RELEASED
    return {"held": held, "released": released, "case": case, "suggestion": suggestion}


async def _list_page(
    request: web.Request,
    staff: StaffContext,
    filters: HeldFilters | None = None,
    error: str = "",
    status: int = 200,
) -> web.Response:
    if filters is None:
        try:
            filters = HeldFilters.of(request.query)
        except BadHeldFilter as problem:
            filters, error = HeldFilters(), str(problem)
    rows, total = await _page_rows(filters)
    resident_ids = {r.resident_id for r in rows}
    residents = {r.id: r for r in await Resident.filter(id__in=resident_ids)} if rows else {}
    case_ids = {r.case_id for r in rows if r.case_id is not None}
    numbers = {c.id: c.number for c in await Case.filter(id__in=case_ids)} if case_ids else {}
    settings = request.app[SETTINGS]
    items = [
        held_item(
            r,
            residents.get(r.resident_id),
            numbers.get(r.case_id) if r.case_id is not None else None,
            settings,
        )
        for r in rows
    ]
    pages = max(1, -(-total // PAGE_SIZE))
    return render(
        request,
        staff,
        "held.html",
        {
            "title": "待处理留言",
            "error": error,
            "filters": filters,
            "items": items,
            "total": total,
            "pages": pages,
            "counts": await _counts(),
            "reasons": REASONS,
            "statuses": STATUS_LABELS,
            "scan_capped": filters.status == "held" and total > QUEUE_SCAN,
            "QUEUE_SCAN": QUEUE_SCAN,
            "MAX_NOTE": MAX_NOTE,
            "outcome": await _outcome(request.query.get("done", "")),
            "previous_link": filters.link(page=filters.page - 1) if filters.page > 1 else "",
            "next_link": filters.link(page=filters.page + 1) if filters.page < pages else "",
        },
        status=status,
    )


@page(DECIDE)
async def held_list(request: web.Request, staff: StaffContext) -> web.StreamResponse:
    return await _list_page(request, staff)


async def _decide(request: web.Request, staff: StaffContext, release: bool) -> web.StreamResponse:
    held_id = int_or_none(request.match_info["held_id"])
    held = await HeldMessage.get_or_none(id=held_id) if held_id is not None else None
    if held is None:
        return refuse(request, staff, 404, "没有这条留言")
    form = await form_of(request)
    try:
        back = HeldFilters.of(form, prefix="back_")
    except BadHeldFilter:
        back = HeldFilters()
    note = form.get("note", "").replace("\x00", "")
    if len(note) > MAX_NOTE:
        return await _list_page(request, staff, back, f"备注不能超过 {MAX_NOTE} 字", 400)
    if not release and not note:
        return await _list_page(request, staff, back, "丢弃须填写备注：为什么不受理", 400)
    ctx = await request.app[INTAKE].context()
    try:
        if release:
            await held_messages.release(held, staff.actor, ctx, note)
        else:
            await held_messages.discard(held, staff.actor, ctx, note)
    except held_messages.AlreadyDecided as decided:
        label = STATUS_LABELS[HeldStatus(decided.held.status).value]
        message = f"这条留言已被 {decided.held.decided_by or '他人'} 处理（{label}）"
        return await _list_page(request, staff, back, message, 409)
    except CaseClosed as closed:
        message = f"诉求 {closed} 已不能补充，请改为丢弃并另行联系居民"
        return await _list_page(request, staff, back, message, 409)
    except PhotoProblem as problem:
        return await _list_page(request, staff, back, f"照片 {problem.key} 已不存在", 409)
    raise redirect(back.link(), done=str(held.id))


@page(DECIDE)
async def release_held(request: web.Request, staff: StaffContext) -> web.StreamResponse:
    return await _decide(request, staff, release=True)


@page(DECIDE)
async def discard_held(request: web.Request, staff: StaffContext) -> web.StreamResponse:
    return await _decide(request, staff, release=False)


def add_routes(app: web.Application) -> None:
    app.router.add_get(PATH, held_list)
    app.router.add_post(f"{PATH}/{{held_id}}/release", release_held)
    app.router.add_post(f"{PATH}/{{held_id}}/discard", discard_held)
