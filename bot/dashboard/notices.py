"""The broadcast composer (群发通知): compose, see who it reaches, preview to oneself, submit,
a second admin approves, and the delivery's live progress.

Every step is ``handlers.broadcasts.notices`` (which checks the notice, keeps its state machine and
writes the audit event with the step); these pages turn forms into its calls and its refusals
into words on the page. The progress box asks ``progress`` (JSON) every two seconds while the
notice is being sent, and the page works without script too (reload to refresh).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from bot.api.staff_auth import StaffContext
from bot.dashboard.web import PREFIX, int_or_none, page, protect, redirect, refuse, render
from bot.keys import CLOCK, SETTINGS
from config import broadcasts as texts
from config.deliveries import CHANNEL_LABELS
from handlers.broadcasts import notices as broadcasts
from handlers.broadcasts.rules import (
    CHANNELS,
    CHANNELS_FOR,
    KINDS,
    KINDS_FOR,
    NoticeError,
)
from handlers.broadcasts.rules import KIND_LABELS as NOTICE_KIND_LABELS
from handlers.clock import LOCAL_TZ, local
from handlers.digits import whole_number
from handlers.staff.permissions import can
from models import Grid, Notice, NoticeStatus, Unit

COMPOSE = "notices.compose"
APPROVE = "notices.approve"
AUDIENCE_LABELS = {
    "residents": "居民（按街道、小区或网格，写过信的居民）",
    "workers": "工作人员（按单位或网格，经企业微信）",
    "all": "全部关注者",
    "tag": "一个微信标签",
    "item": "热点事项的居民（事项关联诉求的居民，每人一次）",
}
FINISHED = frozenset({NoticeStatus.DONE, NoticeStatus.CANCELLED})


def _any(user: Any, *capabilities: str) -> bool:
    return any(can(user, c) for c in capabilities)


def _names(form: MultiDictProxy[Any], key: str) -> list[str]:
    return [str(v).strip() for v in form.getall(key, []) if isinstance(v, str) and v.strip()]


def _split(value: str) -> list[str]:
    return [part for part in value.replace("，", " ").replace(",", " ").split() if part]


def audience_of(form: MultiDictProxy[Any]) -> dict[str, Any]:
    kind = str(form.get("audience_kind", "residents"))
    if kind == "all":
        return {"kind": "all"}
    if kind == "tag":
        raw = str(form.get("tag_id", "")).strip()
        number = whole_number(raw)  # ASCII digits only: "²" is a digit to str.isdigit
        tag: dict[str, Any] = {"kind": "tag", "tag_id": raw if number is None else number}
        name = str(form.get("tag_name", "")).strip()
        if name:
            tag["tag_name"] = name
        return tag
    if kind == "item":
        return {"kind": "item", "item": str(form.get("item", "")).strip()}
    if kind == "workers":
        return {
            "kind": "workers",
            "units": _names(form, "units"),
            "grids": _names(form, "worker_grids"),
        }
    return {
        "kind": kind,
        "streets": _names(form, "streets"),
        "grids": _names(form, "grids"),
        "compounds": _split(str(form.get("compounds", ""))),
    }


def _template_data(lines: str) -> dict[str, str]:
    data: dict[str, str] = {}
    for line in lines.splitlines():
        name, sep, value = line.partition("=")
        if not sep:
            name, sep, value = line.partition("：")
        if sep and name.strip():
            data[name.strip()] = value.strip()
    return data


def content_of(form: MultiDictProxy[Any]) -> dict[str, Any]:
    kind = str(form.get("kind", "text"))
    channel = str(form.get("channel", ""))

    def text(key: str) -> str:
        return str(form.get(key, "")).strip()

    if kind == "text":
        return {"text": text("text")}
    if kind == "news":
        if channel == "mp_mass":
            return {"media_id": text("media_id")}
        return {
            "title": text("news_title"),
            "description": text("news_description"),
            "url": text("news_url"),
            "picurl": text("news_picurl"),
        }
    content: dict[str, Any] = {
        "template_id": text("template_id"),
        "data": _template_data(str(form.get("template_data", ""))),
    }
    if text("template_url"):
        content["url"] = text("template_url")
    if text("template_page"):
        content["page"] = text("template_page")
    return content


def schedule_of(form: MultiDictProxy[Any]) -> datetime | None:
    raw = str(form.get("scheduled_at", "")).strip()
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise NoticeError("定时发送时间格式不正确") from None
    return moment.replace(tzinfo=LOCAL_TZ) if moment.tzinfo is None else moment


def form_values(notice: Notice | None, form: MultiDictProxy[Any] | None = None) -> dict[str, Any]:
    """What the compose form shows: the posted form again, or the saved notice."""
    if form is not None:
        values: dict[str, Any] = {k: str(v) for k, v in form.items() if isinstance(v, str)}
        for many in ("streets", "grids", "units", "worker_grids"):
            values[many] = _names(form, many)
        return values
    if notice is None:
        return {"audience_kind": "residents", "channel": "mp_mass", "kind": "text"}
    audience = dict(notice.audience or {})
    content = dict(notice.content or {})
    kind = str(audience.get("kind", "residents"))
    values = {
        "title": notice.title,
        "kind": notice.kind,
        "channel": notice.channel,
        "audience_kind": kind,
        "streets": audience.get("streets", []),
        "grids": audience.get("grids", []) if kind == "residents" else [],
        "worker_grids": audience.get("grids", []) if kind == "workers" else [],
        "units": audience.get("units", []),
        "compounds": " ".join(audience.get("compounds", [])),
        "tag_id": str(audience.get("tag_id", "")),
        "tag_name": str(audience.get("tag_name", "")),
        "item": str(audience.get("item", "")),
        "text": content.get("text", ""),
        "media_id": content.get("media_id", ""),
        "news_title": content.get("title", ""),
        "news_description": content.get("description", ""),
        "news_url": content.get("url", "") if notice.kind == "news" else "",
        "news_picurl": content.get("picurl", ""),
        "template_id": content.get("template_id", ""),
        "template_data": "\n".join(f"{k}={v}" for k, v in (content.get("data") or {}).items()),
        "template_url": content.get("url", "") if notice.kind == "template" else "",
        "template_page": content.get("page", ""),
        "scheduled_at": local(notice.scheduled_at).strftime("%Y-%m-%dT%H:%M")
        if notice.scheduled_at
        else "",
    }
    return values


async def _choices() -> dict[str, Any]:
    grids = await Grid.filter(active=True).order_by("code")
    return {
        "grids": grids,
        "streets": sorted({g.street for g in grids}),
        "units": await Unit.filter(active=True).order_by("kind", "code"),
        "channels": [
            (c, CHANNEL_LABELS[c], " ".join(a for a, cs in CHANNELS_FOR.items() if c in cs))
            for c in CHANNELS
        ],
        "kinds": [
            (k, NOTICE_KIND_LABELS[k], " ".join(c for c, ks in KINDS_FOR.items() if k in ks))
            for k in KINDS
        ],
        "audience_kinds": list(AUDIENCE_LABELS.items()),
    }


def status_label(notice: Notice) -> str:
    status = str(notice.status)
    return texts.STATUS_LABELS.get(status, status)


@page(COMPOSE)
async def notice_list(request: web.Request, staff: StaffContext) -> web.StreamResponse:
    notices = await broadcasts.list_notices(limit=50)
    rows = []
    for notice in notices:
        progress = await broadcasts.notice_progress(notice)
        rows.append(
            {
                "notice": notice,
                "status_label": status_label(notice),
                "channel_label": CHANNEL_LABELS.get(notice.channel, notice.channel),
                "progress": progress.as_json(),
            }
        )
    return render(request, staff, "notices.html", {"title": "群发通知", "rows": rows})


async def _compose_page(
    request: web.Request,
    staff: StaffContext,
    notice: Notice | None,
    form: MultiDictProxy[Any] | None = None,
    *,
    error: str = "",
    audience: dict[str, Any] | None = None,
    status: int = 200,
) -> web.Response:
    return render(
        request,
        staff,
        "notice_form.html",
        {
            "title": "编辑通知" if notice else "新建通知",
            "notice": notice,
            "values": form_values(notice, form),
            "error": error,
            "audience": audience,
            "audience_labels": AUDIENCE_LABELS,
            **await _choices(),
        },
        status=status,
    )


@page(COMPOSE)
async def notice_new(request: web.Request, staff: StaffContext) -> web.StreamResponse:
    return await _compose_page(request, staff, None)


async def _notice(request: web.Request) -> Notice | None:
    notice_id = int_or_none(request.match_info["notice_id"])
    return await Notice.get_or_none(id=notice_id) if notice_id is not None else None


async def _save(request: web.Request, staff: StaffContext) -> web.StreamResponse:
    """Create (no id) or change a notice from the compose form; or only count its audience."""
    notice = await _notice(request) if "notice_id" in request.match_info else None
    if "notice_id" in request.match_info and notice is None:
        return refuse(request, staff, 404, texts.NOT_FOUND)
    form = await request.post()
    now = request.app[CLOCK].now()
    kind, channel = str(form.get("kind", "")), str(form.get("channel", ""))
    try:
        audience, content, when = audience_of(form), content_of(form), schedule_of(form)
        if form.get("action") == "audience":
            preview = await broadcasts.audience_preview(
                audience,
                channel,
                kind,
                content,
                when if when and when > now else now,
                request.app[SETTINGS],
            )
            return await _compose_page(request, staff, notice, form, audience=preview.as_json())
        title = str(form.get("title", ""))
        if notice is None:
            notice = await broadcasts.create_notice(
                staff.actor,
                now,
                title=title,
                kind=kind,
                channel=channel,
                audience=audience,
                content=content,
                scheduled_at=when,
            )
            done = "notice_created"
        else:
            notice = await broadcasts.update_notice(
                notice.id,
                staff.actor,
                now,
                title=title,
                kind=kind,
                channel=channel,
                audience=audience,
                content=content,
                scheduled_at=when,
                clear_schedule=when is None,
            )
            done = "notice_created"
    except NoticeError as problem:
        return await _compose_page(
            request, staff, notice, form, error=str(problem), status=problem.status
        )
    raise redirect(f"{PREFIX}/notices/{notice.id}", ok=done)


@page(COMPOSE)
async def notice_create(request: web.Request, staff: StaffContext) -> web.StreamResponse:
    return await _save(request, staff)


@page(COMPOSE)
async def notice_edit(request: web.Request, staff: StaffContext) -> web.StreamResponse:
    notice = await _notice(request)
    if notice is None:
        return refuse(request, staff, 404, texts.NOT_FOUND)
    return await _compose_page(request, staff, notice)


@page(COMPOSE)
async def notice_update(request: web.Request, staff: StaffContext) -> web.StreamResponse:
    return await _save(request, staff)


def progress_json(notice: Notice, progress: broadcasts.NoticeProgress) -> dict[str, Any]:
    """The progress box's figures, flat, with what the page shows as they are."""
    data = progress.as_json()
    counts = data["counts"]
    return {
        "status": data["status"],
        "status_label": status_label(notice),
        "total": data["deliveries"],
        "done": data["settled"],
        "percent": f"{data['percent']:g}%",
        "sent": counts.get("sent", 0),
        "failed": counts.get("failed", 0),
        "skipped": counts.get("skipped", 0),
        "cancelled": counts.get("cancelled", 0),
        "waiting": counts.get("pending", 0) + counts.get("sending", 0),
        "finished": notice.status in FINISHED,
        "failed_reasons": data["failed_reasons"],
        "skipped_reasons": data["skipped_reasons"],
    }


@page(COMPOSE)
async def notice_page(request: web.Request, staff: StaffContext) -> web.StreamResponse:
    return await _show(request, staff)


async def _show(
    request: web.Request, staff: StaffContext, error: str = "", status: int = 200
) -> web.Response:
    notice = await _notice(request)
    if notice is None:
        return refuse(request, staff, 404, texts.NOT_FOUND)
    now = request.app[CLOCK].now()
    progress = progress_json(notice, await broadcasts.notice_progress(notice))
    audience = None
    if notice.status in (NoticeStatus.DRAFT, NoticeStatus.REJECTED, NoticeStatus.AWAITING_APPROVAL):
        try:
            preview = await broadcasts.notice_audience_preview(notice, now, request.app[SETTINGS])
            audience = preview.as_json()
        except NoticeError as problem:
            error = error or str(problem)
    mine = notice.created_by == staff.user.username
    state = NoticeStatus(notice.status)
    editable = state in (NoticeStatus.DRAFT, NoticeStatus.REJECTED)
    user = staff.user
    return render(
        request,
        staff,
        "notice.html",
        {
            "title": f"通知：{notice.title}",
            "notice": notice,
            "status_label": status_label(notice),
            "channel_label": CHANNEL_LABELS.get(notice.channel, notice.channel),
            "kind_label": NOTICE_KIND_LABELS.get(notice.kind, notice.kind),
            "audience_label": AUDIENCE_LABELS.get(str(notice.audience.get("kind")), ""),
            "audience": audience,
            "progress": progress,
            "show_progress": state in (NoticeStatus.APPROVED, NoticeStatus.SENDING)
            or state in FINISHED,
            "error": error,
            "may": {
                "edit": mine and editable and can(user, COMPOSE),
                "preview": can(user, COMPOSE)
                and ((mine and editable) or state is NoticeStatus.AWAITING_APPROVAL),
                "submit": mine and editable and can(user, COMPOSE),
                "decide": (not mine)
                and state is NoticeStatus.AWAITING_APPROVAL
                and can(user, APPROVE),
                "cancel": state in broadcasts.CANCELLABLE and _any(user, COMPOSE, APPROVE),
            },
            "own_approval": mine and state is NoticeStatus.AWAITING_APPROVAL,
        },
        status=status,
    )


@page(COMPOSE)
async def notice_progress(request: web.Request, staff: StaffContext) -> web.StreamResponse:
    notice = await _notice(request)
    if notice is None:
        return web.json_response(
            {"error": {"code": "not_found", "message": texts.NOT_FOUND}}, status=404
        )
    response = web.json_response(progress_json(notice, await broadcasts.notice_progress(notice)))
    protect(response)
    return response


def _step(capability: str, done: str) -> Any:
    """A button on the notice page: run the step, back to the page with what happened."""

    def wrap(run: Any) -> Any:
        @page(capability)
        async def handler(request: web.Request, staff: StaffContext) -> web.StreamResponse:
            notice = await _notice(request)
            if notice is None:
                return refuse(request, staff, 404, texts.NOT_FOUND)
            form = await request.post()
            try:
                await run(request, staff, notice, form)
            except NoticeError as problem:
                return await _show(request, staff, str(problem), problem.status)
            raise redirect(f"{PREFIX}/notices/{notice.id}", ok=done)

        handler.__name__ = run.__name__
        return handler

    return wrap


@_step(COMPOSE, "preview_sent")
async def notice_preview(
    request: web.Request, staff: StaffContext, notice: Notice, form: Any
) -> None:
    await broadcasts.preview_notice(notice.id, staff.actor, request.app[CLOCK].now())


@_step(COMPOSE, "notice_submitted")
async def notice_submit(
    request: web.Request, staff: StaffContext, notice: Notice, form: Any
) -> None:
    await broadcasts.submit_notice(
        notice.id, staff.actor, request.app[CLOCK].now(), request.app[SETTINGS]
    )


@_step(APPROVE, "notice_approved")
async def notice_approve(
    request: web.Request, staff: StaffContext, notice: Notice, form: Any
) -> None:
    await broadcasts.approve_notice(
        notice.id,
        staff.actor,
        request.app[CLOCK].now(),
        request.app[SETTINGS],
        note=str(form.get("note", "")),
    )


@_step(APPROVE, "notice_rejected")
async def notice_reject(
    request: web.Request, staff: StaffContext, notice: Notice, form: Any
) -> None:
    await broadcasts.reject_notice(
        notice.id, staff.actor, request.app[CLOCK].now(), str(form.get("reason", ""))
    )


@_step(COMPOSE, "notice_cancelled")
async def notice_cancel(
    request: web.Request, staff: StaffContext, notice: Notice, form: Any
) -> None:
    await broadcasts.cancel_notice(notice.id, staff.actor, request.app[CLOCK].now())


def add_routes(app: web.Application) -> None:
    one = f"{PREFIX}/notices/{{notice_id:\\d+}}"
    app.router.add_get(f"{PREFIX}/notices", notice_list)
    app.router.add_get(f"{PREFIX}/notices/new", notice_new)
    app.router.add_post(f"{PREFIX}/notices", notice_create)
    app.router.add_get(one, notice_page)
    app.router.add_get(one + "/edit", notice_edit)
    app.router.add_post(one + "/edit", notice_update)
    app.router.add_get(one + "/progress", notice_progress)
    app.router.add_post(one + "/preview", notice_preview)
    app.router.add_post(one + "/submit", notice_submit)
    app.router.add_post(one + "/approve", notice_approve)
    app.router.add_post(one + "/reject", notice_reject)
    app.router.add_post(one + "/cancel", notice_cancel)
