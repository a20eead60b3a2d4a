"""The staff API for themed calls (征集活动, 金点子) and suggestions entered by staff.

- ``POST /api/admin/suggestion-calls``: a new call, as a draft (201); ``GET`` lists them
  (``status``: draft, open or closed), newest first, with how many replies each gathered.
- ``GET /api/admin/suggestion-calls/{code}``, ``PUT`` (a draft freely; an open call's title,
  question and end only).
- ``POST …/{code}/open``: open it; with an audience its announcement is drafted as a broadcast
  notice in the caller's name (``notice`` in the answer), which then goes the notice's way:
  preview, submit, a second admin's approval (``/api/admin/notices``).
- ``POST …/{code}/close``: end it now (an announcement not yet sending is cancelled).
- ``GET …/{code}/results``: counts and the replies grouped into similar ideas.
- ``POST /api/admin/suggestions``: a suggestion received by phone, letter or at a station
  (``suggestions.enter``), without a resident account.

Calls need ``suggestions.calls``. Every change is audited. The contract of these routes is
``bot.api.suggestions_contract``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from aiohttp import web
from pydantic import Field
from tortoise.functions import Count
from tortoise.transactions import in_transaction

from bot.api.json_api import NO_NUL, ApiError, Payload, error_response, read_payload
from bot.api.staff_auth import require_staff
from bot.keys import CLOCK, INTAKE
from config import broadcasts as notice_texts
from config import suggestion_calls as texts
from handlers.broadcasts.rules import NoticeError
from handlers.clock import iso
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
from handlers.suggestions.entry import VIA_LABELS, Entry, EntryProblem, enter
from models import CallStatus, Notice, Suggestion, SuggestionCall

BASE = "/api/admin/suggestion-calls"
Channel = Literal["chat", "menu", "mini"]
Via = Literal["phone", "letter", "visit", "station", "other"]
MAX_LISTED = 500


def _all_channels() -> list[Channel]:
    return ["chat", "menu", "mini"]


class CallBody(Payload):
    title: str = Field(min_length=1, max_length=texts.TITLE_LIMIT, pattern=NO_NUL)
    question: str = Field(min_length=1, max_length=texts.QUESTION_LIMIT, pattern=NO_NUL)
    starts_at: datetime = Field(strict=False, description="with its time zone")
    ends_at: datetime = Field(strict=False, description="with its time zone")
    keyword: str = Field(default="", max_length=texts.KEYWORD_MAX + 1, pattern=NO_NUL)
    audience: dict[str, Any] = Field(
        default_factory=dict,
        description="a broadcast notice's audience (all, tag or residents); {}: not announced",
    )
    channels: list[Channel] = Field(default_factory=_all_channels, max_length=3)
    code: str = Field(default="", max_length=32, pattern=r"^[A-Za-z0-9_-]*$")


class EntryBody(Payload):
    text: str = Field(min_length=1, max_length=2000, pattern=NO_NUL)
    via: Via = "phone"
    station: str = Field(default="", max_length=32, pattern=NO_NUL, description="a station's code")
    name: str = Field(default="", max_length=32, pattern=NO_NUL, description="the proposer")
    phone: str = Field(default="", max_length=32, pattern=r"^(\+?[0-9][0-9 -]{4,30})?$")
    call: str = Field(default="", max_length=32, pattern=r"^[A-Za-z0-9_-]*$")
    consent_publish: bool = False
    credit_name: str = Field(default="", max_length=32, pattern=NO_NUL)


def _given(body: CallBody) -> CallIn:
    return CallIn(
        title=body.title,
        question=body.question,
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        keyword=body.keyword,
        audience=body.audience,
        channels=tuple(body.channels),
        code=body.code,
    )


def _refused(error: Exception) -> ApiError:
    if isinstance(error, CallProblem | EntryProblem):
        return ApiError(400, "rejected", str(error))
    if isinstance(error, CallNotFound):
        return ApiError(404, "not_found", texts.NOT_FOUND)
    if isinstance(error, NoticeError):
        return ApiError(error.status, error.code, str(error))
    return ApiError(409, "illegal_state", str(error))


CALL_ERRORS = (CallProblem, CallNotFound, CallStateError, NoticeError, EntryProblem)


def _now(request: web.Request) -> datetime:
    return request.app[CLOCK].now()


async def call_json(call: SuggestionCall, replies: int | None = None) -> dict[str, Any]:
    notice = await Notice.get_or_none(id=call.notice_id) if call.notice_id else None
    if replies is None:
        replies = await Suggestion.filter(call_id=call.id).count()
    status = CallStatus(call.status).value
    return {
        "code": call.code,
        "title": call.title,
        "question": call.question,
        "keyword": call.keyword,
        "starts_at": iso(call.starts_at),
        "ends_at": iso(call.ends_at),
        "audience": call.audience,
        "channels": list(call.channels),
        "status": status,
        "status_label": texts.STATUS_LABELS[status],
        "announcement": announcement(call),
        "notice": (
            {
                "id": notice.id,
                "status": str(notice.status),
                "status_label": notice_texts.STATUS_LABELS.get(str(notice.status), ""),
            }
            if notice is not None
            else None
        ),
        "replies": replies,
        "created_by": call.created_by,
        "created_at": iso(call.created_at),
    }


async def list_calls(request: web.Request) -> web.Response:
    await require_staff(request, "suggestions.calls")
    status = request.query.get("status", "")
    if status and status not in texts.STATUS_LABELS:
        return error_response(400, "invalid_request", "status 须为 draft、open 或 closed")
    await close_expired(_now(request))
    query = SuggestionCall.all()
    if status:
        query = query.filter(status=status)
    calls = await query.order_by("-created_at", "-id").limit(MAX_LISTED)
    counts = {
        int(row["call_id"]): int(row["n"])
        for row in await Suggestion.filter(call_id__in=[c.id for c in calls] or [0])
        .annotate(n=Count("id"))
        .group_by("call_id")
        .values("call_id", "n")
    }
    return web.json_response({"calls": [await call_json(c, counts.get(c.id, 0)) for c in calls]})


async def post_call(request: web.Request) -> web.Response:
    staff = await require_staff(request, "suggestions.calls")
    try:
        body = await read_payload(request, CallBody)
        try:
            call = await create_call(_given(body), staff.actor, _now(request))
        except CALL_ERRORS as error:
            raise _refused(error) from None
    except ApiError as refused:
        return error_response(refused.status, refused.code, refused.message, **refused.extra)
    return web.json_response({"call": await call_json(call, 0)}, status=201)


async def _call_of(request: web.Request) -> SuggestionCall:
    await close_expired(_now(request))
    try:
        return await get_call(request.match_info["code"])
    except CallNotFound as error:
        raise _refused(error) from None


async def get_one(request: web.Request) -> web.Response:
    await require_staff(request, "suggestions.calls")
    try:
        call = await _call_of(request)
    except ApiError as refused:
        return error_response(refused.status, refused.code, refused.message)
    return web.json_response({"call": await call_json(call)})


async def put_call(request: web.Request) -> web.Response:
    staff = await require_staff(request, "suggestions.calls")
    try:
        call = await _call_of(request)
        body = await read_payload(request, CallBody)
        try:
            call = await update_call(call.code, _given(body), staff.actor, _now(request))
        except CALL_ERRORS as error:
            raise _refused(error) from None
    except ApiError as refused:
        return error_response(refused.status, refused.code, refused.message, **refused.extra)
    return web.json_response({"call": await call_json(call)})


async def _step(request: web.Request, opening: bool) -> web.Response:
    staff = await require_staff(request, "suggestions.calls")
    try:
        call = await _call_of(request)
        await read_payload(request, EmptyBody)
        step = open_call if opening else close_call
        try:
            call = await step(call.code, staff.actor, _now(request))
        except CALL_ERRORS as error:
            raise _refused(error) from None
    except ApiError as refused:
        return error_response(refused.status, refused.code, refused.message, **refused.extra)
    return web.json_response({"call": await call_json(call)})


class EmptyBody(Payload):
    pass


async def open_one(request: web.Request) -> web.Response:
    return await _step(request, opening=True)


async def close_one(request: web.Request) -> web.Response:
    return await _step(request, opening=False)


async def results(request: web.Request) -> web.Response:
    await require_staff(request, "suggestions.calls")
    try:
        call = await _call_of(request)
    except ApiError as refused:
        return error_response(refused.status, refused.code, refused.message)
    found = await call_results(call)
    return web.json_response({"call": await call_json(call, found.replies), **found.as_dict()})


async def post_suggestion(request: web.Request) -> web.Response:
    staff = await require_staff(request, "suggestions.enter")
    try:
        body = await read_payload(request, EntryBody)
        entry = Entry(**body.model_dump())
        ctx = await request.app[INTAKE].context()
        try:
            async with in_transaction():
                suggestion = await enter(entry, staff.actor, ctx)
        except CALL_ERRORS as error:
            raise _refused(error) from None
    except ApiError as refused:
        return error_response(refused.status, refused.code, refused.message, **refused.extra)
    return web.json_response(
        {
            "suggestion": {
                "number": suggestion.number,
                "title": suggestion.title,
                "status": str(suggestion.status),
                "channel": suggestion.channel,
                "via": VIA_LABELS[entry.via],
                "screen_due_at": iso(suggestion.screen_due_at),
                "created_at": iso(suggestion.created_at),
            }
        },
        status=201,
    )


def add_admin_suggestion_call_routes(app: web.Application) -> None:
    router = app.router
    router.add_post("/api/admin/suggestions", post_suggestion)
    router.add_get(BASE, list_calls)
    router.add_post(BASE, post_call)
    router.add_get(f"{BASE}/{{code}}", get_one)
    router.add_put(f"{BASE}/{{code}}", put_call)
    router.add_post(f"{BASE}/{{code}}/open", open_one)
    router.add_post(f"{BASE}/{{code}}/close", close_one)
    router.add_get(f"{BASE}/{{code}}/results", results)
