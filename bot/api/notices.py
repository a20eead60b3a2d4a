"""The admin API for broadcast notices (群发通知), under ``/api/admin/notices``.

Staff sign in as for the rest of the admin API (dashboard cookie with CSRF, or a bearer token).
Composing takes ``notices.compose`` (admins, dispatchers), approving ``notices.approve``
(admins; never one's own notice); reading and cancelling take either.

==========================================  ===================================================
``GET    /api/admin/notices?status=&page=``  the newest first, 20 a page
``POST   /api/admin/notices``                a draft: title, kind, channel, audience, content,
                                             scheduled_at (ISO 8601 with offset; empty = as
                                             soon as approved)
``POST   /api/admin/notices/audience``       before saving: who would get it, who is skipped
                                             and why, the quota warning
``GET    /api/admin/notices/{id}``           the notice with its live progress
``PATCH  /api/admin/notices/{id}``           change a draft (the author's preview is needed
                                             again)
``GET    /api/admin/notices/{id}/audience``  the audience preview of a saved notice
``POST   /api/admin/notices/{id}/preview``   to the author's own openid or WeCom userid
``POST   /api/admin/notices/{id}/submit``    for approval
``POST   /api/admin/notices/{id}/approve``   ``{"note"}``, by a second admin
``POST   /api/admin/notices/{id}/reject``    ``{"reason"}``
``POST   /api/admin/notices/{id}/cancel``    stops what has not gone out
==========================================  ===================================================

Errors are ``{"error": {"code", "message"}}``: 400 ``invalid_json`` / ``invalid_payload`` (with
``problems``) / ``invalid_notice``, 401, 403 ``forbidden``, 404 ``not_found``, 409
``illegal_state``. Every action is an audit event, written with the action itself.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any, Literal

from aiohttp import web
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, WithJsonSchema

from bot.api.json_api import ApiError, error_response, read_payload
from bot.api.openapi import (
    BOOLEAN,
    DATETIME,
    INTEGER,
    NUMBER,
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
)
from bot.api.staff_auth import StaffContext, error_json, require_staff
from bot.keys import CLOCK, SETTINGS
from config import broadcasts as texts
from handlers.broadcasts import notices as broadcasts
from handlers.broadcasts import rules
from handlers.broadcasts.rules import NoticeError, NoticeNotFound
from handlers.clock import local
from handlers.digits import whole_number
from handlers.staff.permissions import can
from models import Notice, NoticeStatus

PREFIX = "/api/admin/notices"
PAGE_SIZE = 20
MAX_PAGE = 10_000
MAX_ID_DIGITS = 18  # ids are BIGINT: a longer number is no notice of ours
COMPOSE = "notices.compose"
APPROVE = "notices.approve"

Kind = Literal["text", "news", "template"]
Channel = Literal["mp_mass", "mp_template", "mp_subscribe", "work_app"]


class Payload(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# The audience and the content are checked by handlers.broadcasts.rules (the dashboard's forms
# go the same way); their schemas publish the same limits, so that clients and schemathesis see
# them.


def _text(limit: int) -> dict[str, Any]:
    return {"type": "string", "maxLength": limit}


def _names(limit: int) -> dict[str, Any]:
    return {"type": "array", "maxItems": rules.MAX_PLACES, "items": _text(limit)}


AUDIENCE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "all: every follower; tag: one WeChat tag; residents: people who reported "
    "a case in the streets, compounds or grids (codes); workers: of the units or grids (codes); "
    "item: the residents of a governance item's cases (its number), each once",
    "required": ["kind"],
    "properties": {
        "kind": {"type": "string", "enum": list(rules.AUDIENCE_KINDS)},
        "tag_id": {"type": "integer", "minimum": 0, "maximum": rules.MAX_TAG_ID},
        "tag_name": _text(rules.TAG_NAME_LIMIT),
        "streets": _names(rules.PLACE_NAME_LIMIT),
        "compounds": _names(rules.PLACE_NAME_LIMIT),
        "grids": _names(rules.CODE_LIMIT),
        "units": _names(rules.CODE_LIMIT),
        "item": {"type": "string", "pattern": rules.ITEM_NUMBER.pattern},
    },
}
CONTENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "text: {text}; news: {media_id} (mp_mass) or {title, description, url, "
    "picurl}; template: {template_id, data, url (mp_template) or page (mp_subscribe)}",
    "properties": {
        "text": _text(texts.TEXT_LIMIT),
        "media_id": _text(rules.MEDIA_ID_LIMIT),
        "title": _text(rules.NEWS_TITLE_LIMIT),
        "description": _text(rules.NEWS_DESCRIPTION_LIMIT),
        "url": _text(rules.URL_LIMIT),
        "picurl": _text(rules.URL_LIMIT),
        "template_id": _text(rules.TEMPLATE_ID_LIMIT),
        "page": _text(rules.PAGE_LIMIT),
        "data": {
            "type": "object",
            "maxProperties": rules.MAX_TEMPLATE_FIELDS,
            "propertyNames": {"maxLength": rules.TEMPLATE_NAME_LIMIT},
            "additionalProperties": _text(texts.TEMPLATE_FIELD_LIMIT),
        },
    },
}
AudienceBody = Annotated[dict[str, Any], WithJsonSchema(AUDIENCE_SCHEMA)]
ContentBody = Annotated[dict[str, Any], WithJsonSchema(CONTENT_SCHEMA)]


class NoticeIn(Payload):
    title: str = Field(min_length=1, max_length=texts.TITLE_LIMIT)
    kind: Kind
    channel: Channel
    audience: AudienceBody
    content: ContentBody
    scheduled_at: AwareDatetime | None = None


class NoticeChange(Payload):
    title: str | None = Field(default=None, min_length=1, max_length=texts.TITLE_LIMIT)
    kind: Kind | None = None
    channel: Channel | None = None
    audience: AudienceBody | None = None
    content: ContentBody | None = None
    scheduled_at: AwareDatetime | None = None
    clear_schedule: bool = False


class AudienceIn(Payload):
    kind: Kind
    channel: Channel
    audience: AudienceBody
    content: ContentBody = Field(default_factory=dict)
    scheduled_at: AwareDatetime | None = None


class ApproveIn(Payload):
    note: str = Field(default="", max_length=texts.NOTE_LIMIT)


class RejectIn(Payload):
    reason: str = Field(min_length=1, max_length=texts.NOTE_LIMIT)


class EmptyIn(Payload):
    pass


async def staff_with(request: web.Request, *capabilities: str) -> StaffContext:
    """The signed-in staff member, if they hold any one of ``capabilities``."""
    staff = await require_staff(request)
    if not any(can(staff.user, c) for c in capabilities):
        raise error_json(web.HTTPForbidden, "forbidden", "您的账号没有此项权限")
    return staff


def iso(value: datetime | None) -> str | None:
    return local(value).isoformat() if value is not None else None


def notice_json(notice: Notice) -> dict[str, Any]:
    status = str(notice.status)
    return {
        "id": notice.id,
        "title": notice.title,
        "kind": notice.kind,
        "channel": notice.channel,
        "audience": notice.audience,
        "content": notice.content,
        "status": status,
        "status_label": texts.STATUS_LABELS.get(status, status),
        "created_by": notice.created_by,
        "created_at": iso(notice.created_at),
        "scheduled_at": iso(notice.scheduled_at),
        "preview_sent_at": iso(notice.preview_sent_at),
        "submitted_at": iso(notice.submitted_at),
        "approved_by": notice.approved_by,
        "approved_at": iso(notice.approved_at),
        "decision_note": notice.decision_note,
        "started_at": iso(notice.started_at),
        "finished_at": iso(notice.finished_at),
        "cancelled_at": iso(notice.cancelled_at),
        "cancelled_by": notice.cancelled_by,
        "recipients_total": notice.recipients_total,
        "fanned_out": notice.fanned_out,
        "quota_warning": notice.quota_warning,
        "wechat_msg_id": notice.wechat_msg_id,
        "wechat_result": notice.wechat_result,
        "version": notice.version,
    }


def notice_id(request: web.Request) -> int:
    """The id in the path; anything but ASCII digits (up to BIGINT) is no notice of ours, and
    gets the same JSON 404 as an id nobody uses."""
    raw = request.match_info["id"]
    if not (raw.isascii() and raw.isdigit() and len(raw) <= MAX_ID_DIGITS):
        raise NoticeNotFound(texts.NOT_FOUND)
    return int(raw)


Handler = Callable[[web.Request], Awaitable[web.Response]]


def endpoint(handler: Handler) -> Handler:
    """Turn refusals of the notice handlers into their JSON errors."""

    async def run(request: web.Request) -> web.Response:
        try:
            return await handler(request)
        except ApiError as error:
            return error_response(error.status, error.code, error.message, **error.extra)
        except NoticeError as error:
            return error_response(error.status, error.code, str(error))

    return run


async def list_notices(request: web.Request) -> web.Response:
    await staff_with(request, COMPOSE, APPROVE)
    wanted = [s for s in request.query.get("status", "").split(",") if s]
    try:
        statuses = [NoticeStatus(s) for s in wanted]
        page = whole_number(request.query.get("page", "1"), 6)  # ASCII digits only ("１" is not)
        if page is None or not 1 <= page <= MAX_PAGE:
            raise ValueError(page)
    except ValueError:
        known = ", ".join(s.value for s in NoticeStatus)
        return error_response(
            400, "invalid_request", f"status 应为 {known}，page 应为 1 到 {MAX_PAGE} 的整数"
        )
    notices = await broadcasts.list_notices(
        statuses, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
    )
    return web.json_response({"notices": [notice_json(n) for n in notices], "page": page})


async def create(request: web.Request) -> web.Response:
    staff = await staff_with(request, COMPOSE)
    body = await read_payload(request, NoticeIn)
    notice = await broadcasts.create_notice(
        staff.actor,
        request.app[CLOCK].now(),
        title=body.title,
        kind=body.kind,
        channel=body.channel,
        audience=body.audience,
        content=body.content,
        scheduled_at=body.scheduled_at,
    )
    return web.json_response({"notice": notice_json(notice)}, status=201)


async def show(request: web.Request) -> web.Response:
    await staff_with(request, COMPOSE, APPROVE)
    notice = await broadcasts.get_notice(notice_id(request))
    progress = await broadcasts.notice_progress(notice)
    return web.json_response({"notice": notice_json(notice), "progress": progress.as_json()})


async def change(request: web.Request) -> web.Response:
    staff = await staff_with(request, COMPOSE)
    body = await read_payload(request, NoticeChange)
    notice = await broadcasts.update_notice(
        notice_id(request),
        staff.actor,
        request.app[CLOCK].now(),
        title=body.title,
        kind=body.kind,
        channel=body.channel,
        audience=body.audience,
        content=body.content,
        scheduled_at=body.scheduled_at,
        clear_schedule=body.clear_schedule,
    )
    return web.json_response({"notice": notice_json(notice)})


async def audience_draft(request: web.Request) -> web.Response:
    await staff_with(request, COMPOSE, APPROVE)
    body = await read_payload(request, AudienceIn)
    now = request.app[CLOCK].now()
    at = body.scheduled_at if body.scheduled_at and body.scheduled_at > now else now
    preview = await broadcasts.audience_preview(
        body.audience, body.channel, body.kind, body.content, at, request.app[SETTINGS]
    )
    return web.json_response({"audience": preview.as_json()})


async def audience_saved(request: web.Request) -> web.Response:
    await staff_with(request, COMPOSE, APPROVE)
    notice = await broadcasts.get_notice(notice_id(request))
    preview = await broadcasts.notice_audience_preview(
        notice, request.app[CLOCK].now(), request.app[SETTINGS]
    )
    return web.json_response({"audience": preview.as_json()})


async def preview(request: web.Request) -> web.Response:
    staff = await staff_with(request, COMPOSE)
    await read_payload(request, EmptyIn)
    row = await broadcasts.preview_notice(notice_id(request), staff.actor, request.app[CLOCK].now())
    notice = await broadcasts.get_notice(notice_id(request))
    return web.json_response(
        {"notice": notice_json(notice), "preview": {"channel": row.channel, "outbox_id": row.id}}
    )


async def submit(request: web.Request) -> web.Response:
    staff = await staff_with(request, COMPOSE)
    await read_payload(request, EmptyIn)
    notice, audience = await broadcasts.submit_notice(
        notice_id(request), staff.actor, request.app[CLOCK].now(), request.app[SETTINGS]
    )
    return web.json_response({"notice": notice_json(notice), "audience": audience.as_json()})


async def approve(request: web.Request) -> web.Response:
    staff = await staff_with(request, APPROVE)
    body = await read_payload(request, ApproveIn)
    notice, audience = await broadcasts.approve_notice(
        notice_id(request),
        staff.actor,
        request.app[CLOCK].now(),
        request.app[SETTINGS],
        note=body.note,
    )
    return web.json_response({"notice": notice_json(notice), "audience": audience.as_json()})


async def reject(request: web.Request) -> web.Response:
    staff = await staff_with(request, APPROVE)
    body = await read_payload(request, RejectIn)
    notice = await broadcasts.reject_notice(
        notice_id(request), staff.actor, request.app[CLOCK].now(), body.reason
    )
    return web.json_response({"notice": notice_json(notice)})


async def cancel(request: web.Request) -> web.Response:
    staff = await staff_with(request, COMPOSE, APPROVE)
    await read_payload(request, EmptyIn)
    notice = await broadcasts.cancel_notice(
        notice_id(request), staff.actor, request.app[CLOCK].now()
    )
    progress = await broadcasts.notice_progress(notice)
    return web.json_response({"notice": notice_json(notice), "progress": progress.as_json()})


# The contract (bot.api.openapi)

NOTICE = Component(
    "Notice",
    obj(
        {
            "id": INTEGER,
            "title": STRING,
            "kind": STRING,
            "channel": STRING,
            "audience": {"type": "object"},
            "content": {"type": "object"},
            "status": one_of_values(s.value for s in NoticeStatus),
            "status_label": STRING,
            "created_by": STRING,
            "created_at": DATETIME,
            "scheduled_at": nullable(DATETIME),
            "preview_sent_at": nullable(DATETIME),
            "submitted_at": nullable(DATETIME),
            "approved_by": nullable(STRING),
            "approved_at": nullable(DATETIME),
            "decision_note": STRING,
            "started_at": nullable(DATETIME),
            "finished_at": nullable(DATETIME),
            "cancelled_at": nullable(DATETIME),
            "cancelled_by": nullable(STRING),
            "recipients_total": INTEGER,
            "fanned_out": BOOLEAN,
            "quota_warning": STRING,
            "wechat_msg_id": nullable(STRING),
            "wechat_result": {"type": "object"},
            "version": INTEGER,
        }
    ),
)
_COUNTS = {"type": "object", "additionalProperties": INTEGER}
_REASONS = array(obj({"reason": STRING, "count": INTEGER}))
PROGRESS = Component(
    "NoticeProgress",
    obj(
        {
            "status": STRING,
            "recipients_total": INTEGER,
            "fanned_out": BOOLEAN,
            "deliveries": INTEGER,
            "counts": _COUNTS,
            "settled": INTEGER,
            "percent": NUMBER,
            "failed_reasons": _REASONS,
            "skipped_reasons": _REASONS,
            "reports": _COUNTS,
            "wechat_result": {"type": "object"},
        }
    ),
)
AUDIENCE = Component(
    "AudiencePreview",
    obj(
        {
            "audience": STRING,
            "channel": STRING,
            "month": STRING,
            "total": nullable(INTEGER),
            "to_send": nullable(INTEGER),
            "skipped": _COUNTS,
            "skipped_total": INTEGER,
            "skipped_sample": array({"type": "object", "additionalProperties": STRING}),
            "over_quota": INTEGER,
            "quota_warning": STRING,
            "notes": array(STRING),
        }
    ),
)
_TAG = "notices"
_ID = (Param("id", "path", {"type": "integer", "minimum": 0, "maximum": 10**MAX_ID_DIGITS - 1}),)
_400 = error("invalid_json, invalid_payload (with problems) or invalid_notice")
_401 = error("unauthorized: not signed in, and no valid API token")
_403 = error("forbidden: the role may not, or not on this notice; csrf: no X-CSRF-Token")
_404 = error("not_found: no notice with this id")
_409 = error("illegal_state: the notice's status does not allow it, or it changed meanwhile")


def _on_one(
    method: str,
    path: str,
    summary: str,
    ok: Response,
    body: type[Payload] | None = None,
    *,
    required: bool = True,
    refusals: tuple[int, ...] = (400, 401, 403, 404, 409, 413),
) -> Operation:
    known = {400: _400, 401: _401, 403: _403, 404: _404, 409: _409, 413: too_large()}
    return Operation(
        method,
        f"{PREFIX}/{{id}}{path}",
        summary,
        _TAG,
        {200: ok, **{status: known[status] for status in refusals}},
        auth=STAFF_AUTH,
        params=_ID,
        body=body,
        body_required=required,
    )


_WITH_PROGRESS = Response(
    "the notice and its progress", obj({"notice": NOTICE, "progress": PROGRESS})
)
_WITH_AUDIENCE = Response(
    "the notice and its audience", obj({"notice": NOTICE, "audience": AUDIENCE})
)
_NOTICE = Response("the notice", obj({"notice": NOTICE}))
OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "GET",
        PREFIX,
        "Notices, newest first, 20 a page",
        _TAG,
        {
            200: Response("one page", obj({"notices": array(NOTICE), "page": INTEGER})),
            400: error("invalid_request: an unknown status, or a page out of range"),
            401: _401,
            403: _403,
        },
        auth=STAFF_AUTH,
        params=(
            Param("status", "query", STRING, description="comma list of statuses"),
            Param("page", "query", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}),
        ),
    ),
    Operation(
        "POST",
        PREFIX,
        "Save a draft",
        _TAG,
        {201: _NOTICE, 400: _400, 401: _401, 403: _403, 413: too_large()},
        auth=STAFF_AUTH,
        body=NoticeIn,
    ),
    Operation(
        "POST",
        f"{PREFIX}/audience",
        "Before saving: who would get it, who is skipped and why, the quota warning",
        _TAG,
        {
            200: Response("the preview", obj({"audience": AUDIENCE})),
            400: _400,
            401: _401,
            403: _403,
            413: too_large(),
        },
        auth=STAFF_AUTH,
        body=AudienceIn,
    ),
    _on_one(
        "GET", "", "The notice with its live progress", _WITH_PROGRESS, refusals=(401, 403, 404)
    ),
    _on_one("PATCH", "", "Change a draft", _NOTICE, NoticeChange, required=False),
    _on_one(
        "GET",
        "/audience",
        "The audience of a saved notice",
        Response("the preview", obj({"audience": AUDIENCE})),
        refusals=(400, 401, 403, 404),
    ),
    _on_one(
        "POST",
        "/preview",
        "Send it to the author's own openid or WeCom userid",
        Response(
            "the notice and the preview queued",
            obj({"notice": NOTICE, "preview": obj({"channel": STRING, "outbox_id": INTEGER})}),
        ),
        EmptyIn,
        required=False,
    ),
    _on_one("POST", "/submit", "Submit for approval", _WITH_AUDIENCE, EmptyIn, required=False),
    _on_one(
        "POST", "/approve", "Approve (a second admin)", _WITH_AUDIENCE, ApproveIn, required=False
    ),
    _on_one("POST", "/reject", "Send it back with a reason", _NOTICE, RejectIn),
    _on_one(
        "POST", "/cancel", "Stop what has not gone out", _WITH_PROGRESS, EmptyIn, required=False
    ),
)


def add_notice_routes(app: web.Application) -> None:
    # Any segment, not {id:\d+}: a path that is no id gets our JSON 404, not the router's text.
    one = PREFIX + "/{id}"
    app.router.add_get(PREFIX, endpoint(list_notices))
    app.router.add_post(PREFIX, endpoint(create))
    app.router.add_post(PREFIX + "/audience", endpoint(audience_draft))
    app.router.add_get(one, endpoint(show))
    app.router.add_patch(one, endpoint(change))
    app.router.add_get(one + "/audience", endpoint(audience_saved))
    app.router.add_post(one + "/preview", endpoint(preview))
    app.router.add_post(one + "/submit", endpoint(submit))
    app.router.add_post(one + "/approve", endpoint(approve))
    app.router.add_post(one + "/reject", endpoint(reject))
    app.router.add_post(one + "/cancel", endpoint(cancel))
