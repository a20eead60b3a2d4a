"""Themed calls (征集活动, 金点子) on the dashboard: the list, the new-call form, and the call page
(its form, open and close, the notice that announces it, and what it gathered: counts by day
and street, and the replies grouped into similar ideas) - all through ``handlers.suggestions``.

Every page needs ``suggestions.calls`` (admins and the suggestion office); every form carries
the session's CSRF token (``bot.dashboard.web.page``). Times in the forms are the district's
local time (``datetime-local``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web

from bot.api.staff_auth import StaffContext
from bot.dashboard.charts import Bar, bar_chart, hbar_chart
from bot.dashboard.web import PREFIX, form_of, page, redirect, refuse, render
from bot.keys import CLOCK
from config import broadcasts as notice_texts
from config import suggestion_calls as texts
from handlers.broadcasts.rules import NoticeError
from handlers.clock import LOCAL_TZ, local
from handlers.digits import whole_number
from handlers.suggestions.call_results import call_results
from handlers.suggestions.calls import (
    CallIn,
    CallNotFound,
    CallProblem,
    CallStateError,
    announcement,
    close_call,
    close_expired,
    create_call,
    get_call,
    open_call,
    update_call,
)
from models import Notice, SuggestionCall

HERE = f"{PREFIX}/suggestion-calls"
LOCAL_FORMAT = "%Y-%m-%dT%H:%M"
AUDIENCE_KINDS = {
    "": "不发通知",
    "all": "全部关注者",
    "tag": "微信标签",
    "residents": "按街道的居民",
}
DONE = {
    "created": "征集已保存为草稿",
    "saved": "已保存",
    "opened": "征集已开始；如有受众，征集通知已生成草稿，请预览并提交审批",
    "closed": "征集已结束",
}
ERRORS = (CallProblem, CallStateError, NoticeError)


def _when(value: str, name: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise CallProblem(f"{name}须为日期和时间") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=LOCAL_TZ)


def _names(value: str) -> list[str]:
    parts = value.replace("，", ",").replace("\n", ",").split(",")
    return [p.strip() for p in parts if p.strip()]


def _audience(form: dict[str, str]) -> dict[str, Any]:
    kind = form.get("audience_kind", "")
    if kind == "all":
        return {"kind": "all"}
    if kind == "tag":
        tag = whole_number(form.get("tag_id", ""), 10)
        if tag is None:
            raise CallProblem("按微信标签发送须填写标签编号")
        return {"kind": "tag", "tag_id": tag}
    if kind == "residents":
        return {"kind": "residents", "streets": _names(form.get("streets", ""))}
    return {}


async def _given(request: web.Request) -> tuple[CallIn, dict[str, str]]:
    form = await form_of(request)
    channels = tuple(str(v) for v in (await request.post()).getall("channels", []))
    form["channels"] = ",".join(channels)
    given = CallIn(
        title=form.get("title", ""),
        question=form.get("question", ""),
        starts_at=_when(form.get("starts_at", ""), "开始时间"),
        ends_at=_when(form.get("ends_at", ""), "截止时间"),
        keyword=form.get("keyword", ""),
        audience=_audience(form),
        channels=channels,
        code=form.get("code", ""),
    )
    return given, form


def _values(call: SuggestionCall) -> dict[str, str]:
    audience = dict(call.audience or {})
    return {
        "code": call.code,
        "title": call.title,
        "question": call.question,
        "keyword": call.keyword,
        "starts_at": local(call.starts_at).strftime(LOCAL_FORMAT),
        "ends_at": local(call.ends_at).strftime(LOCAL_FORMAT),
        "audience_kind": str(audience.get("kind", "")),
        "tag_id": str(audience.get("tag_id", "")),
        "streets": "，".join(audience.get("streets", [])),
        "channels": ",".join(call.channels),
    }


@page("suggestions.calls")
async def calls_page(request: web.Request, staff: StaffContext) -> web.StreamResponse:
    await close_expired(request.app[CLOCK].now())
    calls = await SuggestionCall.all().order_by("-created_at", "-id").limit(200)
    return render(
        request,
        staff,
        "suggestion_calls.html",
        {"title": "建议征集活动", "calls": calls, "status_labels": texts.STATUS_LABELS},
    )


async def _call_page(
    request: web.Request,
    staff: StaffContext,
    call: SuggestionCall | None,
    values: dict[str, str],
    *,
    error: str = "",
    status: int = 200,
) -> web.Response:
    notice = await Notice.get_or_none(id=call.notice_id) if call and call.notice_id else None
    results = await call_results(call) if call is not None else None
    day_chart = street_chart = None
    if results is not None and results.replies:
        days = [Bar(day.strftime("%m-%d"), count) for day, count in results.by_day]
        streets = [Bar(street, count) for street, count in results.by_street[:20]]
        day_chart = bar_chart(days, label="每日收到的建议")
        street_chart = hbar_chart(streets, label="按街道的建议")
    return render(
        request,
        staff,
        "suggestion_call.html",
        {
            "title": call.title if call else "新建征集活动",
            "call": call,
            "values": values,
            "notice": notice,
            "notice_label": notice_texts.STATUS_LABELS.get(str(notice.status), "")
            if notice
            else "",
            "announcement": announcement(call) if call else "",
            "results": results,
            "day_chart": day_chart,
            "street_chart": street_chart,
            "status_labels": texts.STATUS_LABELS,
            "channel_labels": texts.CHANNEL_LABELS,
            "audience_kinds": AUDIENCE_KINDS,
            "editable": call is None or call.status != "closed",
            "saved": DONE.get(request.query.get("saved", ""), ""),
            "error": error,
        },
        status=status,
    )


@page("suggestions.calls")
async def new_form(request: web.Request, staff: StaffContext) -> web.StreamResponse:
    return await _call_page(request, staff, None, {"channels": ",".join(texts.CHANNELS)})


@page("suggestions.calls")
async def create(request: web.Request, staff: StaffContext) -> web.StreamResponse:
    form: dict[str, str] = {}
    try:
        given, form = await _given(request)
        call = await create_call(given, staff.actor, request.app[CLOCK].now())
    except ERRORS as problem:
        return await _call_page(request, staff, None, form, error=str(problem), status=400)
    raise redirect(f"{HERE}/{call.code}", saved="created")


async def _call(request: web.Request) -> SuggestionCall | None:
    await close_expired(request.app[CLOCK].now())
    try:
        return await get_call(request.match_info["code"])
    except CallNotFound:
        return None


@page("suggestions.calls")
async def call_page(request: web.Request, staff: StaffContext) -> web.StreamResponse:
    call = await _call(request)
    if call is None:
        return refuse(request, staff, 404, texts.NOT_FOUND)
    return await _call_page(request, staff, call, _values(call))


@page("suggestions.calls")
async def save(request: web.Request, staff: StaffContext) -> web.StreamResponse:
    call = await _call(request)
    if call is None:
        return refuse(request, staff, 404, texts.NOT_FOUND)
    form: dict[str, str] = {}
    try:
        given, form = await _given(request)
        await update_call(call.code, given, staff.actor, request.app[CLOCK].now())
    except ERRORS as problem:
        status = 409 if isinstance(problem, CallStateError) else 400
        return await _call_page(request, staff, call, form, error=str(problem), status=status)
    raise redirect(f"{HERE}/{call.code}", saved="saved")


async def _step(request: web.Request, staff: StaffContext, opening: bool) -> web.StreamResponse:
    call = await _call(request)
    if call is None:
        return refuse(request, staff, 404, texts.NOT_FOUND)
    step = open_call if opening else close_call
    try:
        await step(call.code, staff.actor, request.app[CLOCK].now())
    except ERRORS as problem:
        status = 409 if isinstance(problem, CallStateError) else 400
        return await _call_page(
            request, staff, call, _values(call), error=str(problem), status=status
        )
    raise redirect(f"{HERE}/{call.code}", saved="opened" if opening else "closed")


@page("suggestions.calls")
async def open_page(request: web.Request, staff: StaffContext) -> web.StreamResponse:
    return await _step(request, staff, opening=True)


@page("suggestions.calls")
async def close_page(request: web.Request, staff: StaffContext) -> web.StreamResponse:
    return await _step(request, staff, opening=False)


def add_routes(app: web.Application) -> None:
    app.router.add_get(HERE, calls_page)
    app.router.add_post(HERE, create)
    app.router.add_get(f"{HERE}/new", new_form)
    app.router.add_get(f"{HERE}/{{code}}", call_page)
    app.router.add_post(f"{HERE}/{{code}}", save)
    app.router.add_post(f"{HERE}/{{code}}/open", open_page)
    app.router.add_post(f"{HERE}/{{code}}/close", close_page)
