"""The staff API for linking people to their accounts, for ``accounts.link`` (admins).

- ``POST /api/admin/workers/{id}/link`` and ``POST /api/admin/users/{username}/link`` (an empty
  body): a one-time link for a worker or a staff account (``handlers.accounts.links``): its chat
  code ("绑定 ABCD2345") and, when WeChat is called, the parametric QR code's image URL. Shown
  once (only hashes are kept); a newer link revokes the older unused ones. 201.
- ``GET /api/admin/wecom/matches``: the WeCom address book read now and matched against the
  workers without a userid (``handlers.accounts.wecom_match``): ``proposed`` (one match by
  phone or name, nothing against it), ``ambiguous`` (for a person to decide, with the
  candidates and why), ``unmatched``. Reads only.
- ``POST /api/admin/wecom/matches`` ``{"matches": [{"worker_id", "userid"}]}``: apply the pairs
  a person chose, all or none, each audited. The address book is read again and every pair
  checked (409 ``refused`` names the first that cannot be applied, nothing is changed).

Errors: 400 ``invalid_json`` / ``invalid_payload``, 401, 403 ``forbidden`` / ``csrf``, 404
``not_found``, 409 ``not_configured`` (no WeCom app) or ``refused``, 502 ``wecom_error``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from pydantic import Field

from bot.api.json_api import ApiError, Payload, error_response, read_payload
from bot.api.openapi import (
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
    too_large,
    unauthorized,
)
from bot.api.staff_auth import StaffContext, require_staff
from bot.keys import CLOCK, MP_CLIENT, SETTINGS, WECOM_CLIENT
from bot.wechat.client import WeChatApiError
from bot.wechat.link_qr import LinkOffer, offer_link
from handlers.accounts.wecom_match import MatchRefused, apply_matches, match_members
from handlers.digits import whole_number
from handlers.staff.accounts import AccountError, clean_username
from models import StaffUser, Worker

CAPABILITY = "accounts.link"
MAX_MATCHES = 500
USERID = r"^[A-Za-z0-9_.@-]{1,64}$"


class EmptyIn(Payload):
    pass


class ChosenMatch(Payload):
    worker_id: int = Field(ge=1, le=2**53)
    userid: str = Field(pattern=USERID)


class ApplyIn(Payload):
    matches: list[ChosenMatch] = Field(min_length=1, max_length=MAX_MATCHES)


Handler = Callable[[web.Request, StaffContext], Awaitable[web.Response]]


def endpoint(handler: Handler) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def run(request: web.Request) -> web.Response:
        staff = await require_staff(request, CAPABILITY)
        try:
            return await handler(request, staff)
        except ApiError as refused:
            return error_response(refused.status, refused.code, refused.message, **refused.extra)

    return run


async def make_offer(request: web.Request, staff: StaffContext, person: Any) -> LinkOffer:
    return await offer_link(
        person,
        staff.actor,
        request.app[CLOCK].now(),
        request.app.get(MP_CLIENT),
        request.app[SETTINGS],
    )


async def link_worker(request: web.Request, staff: StaffContext) -> web.Response:
    await read_payload(request, EmptyIn)
    worker_id = whole_number(request.match_info["id"])
    worker = await Worker.get_or_none(id=worker_id) if worker_id is not None else None
    if worker is None or not worker.active:
        raise ApiError(404, "not_found", "没有这名工作人员（或已停用）")
    offer = await make_offer(request, staff, worker)
    return web.json_response({"link": offer.as_json()}, status=201)


async def link_user(request: web.Request, staff: StaffContext) -> web.Response:
    await read_payload(request, EmptyIn)
    try:
        username = clean_username(request.match_info["username"])
    except AccountError:
        username = ""
    user = await StaffUser.get_or_none(username=username) if username else None
    if user is None or not user.active:
        raise ApiError(404, "not_found", "没有这个后台账号（或已停用）")
    offer = await make_offer(request, staff, user)
    return web.json_response({"link": offer.as_json()}, status=201)


async def read_directory(request: web.Request) -> list[dict[str, Any]]:
    client = request.app.get(WECOM_CLIENT)
    if client is None:
        raise ApiError(409, "not_configured", "未配置企业微信应用（JIESU_WORK_*），无法读取通讯录")
    try:
        return await client.members()
    except WeChatApiError as problem:
        raise ApiError(502, "wecom_error", f"读取企业微信通讯录失败：{problem}") from None


async def list_matches(request: web.Request, staff: StaffContext) -> web.Response:
    directory = await read_directory(request)
    report = match_members(await Worker.all().order_by("id"), directory)
    return web.json_response(report.as_json())


async def apply(request: web.Request, staff: StaffContext) -> web.Response:
    body = await read_payload(request, ApplyIn)
    directory = await read_directory(request)
    pairs = [(m.worker_id, m.userid) for m in body.matches]
    try:
        done = await apply_matches(pairs, directory, staff.actor, request.app[CLOCK].now())
    except MatchRefused as refused:
        raise ApiError(409, "refused", str(refused)) from None
    return web.json_response(
        {"applied": [{"worker_id": w.id, "name": w.name, "userid": w.wecom_userid} for w in done]}
    )


def add_admin_link_routes(app: web.Application) -> None:
    router = app.router
    router.add_post("/api/admin/workers/{id}/link", endpoint(link_worker))
    router.add_post("/api/admin/users/{username}/link", endpoint(link_user))
    router.add_get("/api/admin/wecom/matches", endpoint(list_matches))
    router.add_post("/api/admin/wecom/matches", endpoint(apply))


# The contract (bot.api.openapi)

_TAG = "admin"
_401 = unauthorized("nobody signed in, or an unknown or revoked token")
_403 = error("forbidden (not accounts.link) or csrf (a session without X-CSRF-Token)")
LINK = Component(
    "AccountLinkOffer",
    obj(
        {
            "link_id": INTEGER,
            "target": {"enum": ["worker", "staff"]},
            "person_id": INTEGER,
            "name": STRING,
            "code": STRING,
            "chat_text": STRING,
            "expires_at": DATETIME,
            "qr_image_url": nullable(STRING),
            "qr_url": nullable(STRING),
            "how_to": STRING,
            "note": STRING,
        }
    ),
)
_CANDIDATE = obj({"userid": STRING, "name": STRING, "phone": STRING, "why": STRING})
_MATCH = obj(
    {
        "worker_id": INTEGER,
        "worker_name": STRING,
        "worker_phone": STRING,
        "candidates": array(_CANDIDATE),
        "problem": STRING,
    }
)


def _link_operation(path: str, summary: str, param: Param, missing: str) -> Operation:
    return Operation(
        "POST",
        path,
        summary,
        _TAG,
        {
            201: Response("the link, shown once", obj({"link": LINK})),
            400: error("invalid_json or invalid_payload: the body must be empty or {}"),
            401: _401,
            403: _403,
            404: error(f"not_found: {missing}"),
            413: too_large(),
        },
        auth=STAFF_AUTH,
        params=(param,),
        body=EmptyIn,
        body_required=False,
    )


_NOT_CONFIGURED = error("not_configured: no WeCom app is configured (JIESU_WORK_*)")
_WECOM_ERROR = error("wecom_error: WeCom refused or did not answer; the message says why")
OPERATIONS: tuple[Operation, ...] = (
    _link_operation(
        "/api/admin/workers/{id}/link",
        "A one-time link (QR code and chat code) for a worker's WeChat",
        Param("id", "path", {"type": "string", "pattern": "^[0-9]{1,18}$"}),
        "no such active worker",
    ),
    _link_operation(
        "/api/admin/users/{username}/link",
        "A one-time link (QR code and chat code) for a staff account's WeChat",
        Param("username", "path", {"type": "string", "pattern": "^[a-z0-9._-]{2,64}$"}),
        "no such active staff account",
    ),
    Operation(
        "GET",
        "/api/admin/wecom/matches",
        "Workers without a WeCom userid matched to the WeCom address book (nothing applied)",
        _TAG,
        {
            200: Response(
                "proposals, the ambiguous ones and the unmatched",
                obj(
                    {
                        "proposed": array(_MATCH),
                        "ambiguous": array(_MATCH),
                        "unmatched": array(_MATCH),
                        "members": INTEGER,
                    }
                ),
            ),
            401: _401,
            403: _403,
            409: _NOT_CONFIGURED,
            502: _WECOM_ERROR,
        },
        auth=STAFF_AUTH,
    ),
    Operation(
        "POST",
        "/api/admin/wecom/matches",
        "Apply the matches a person chose: all or none, each audited",
        _TAG,
        {
            200: Response(
                "applied",
                obj(
                    {
                        "applied": array(
                            obj({"worker_id": INTEGER, "name": STRING, "userid": STRING})
                        )
                    }
                ),
            ),
            400: error("invalid_json or invalid_payload (with problems)"),
            401: _401,
            403: _403,
            409: error(
                "not_configured (no WeCom app) or refused (names the pair, nothing changed)"
            ),
            413: too_large(),
            502: _WECOM_ERROR,
        },
        auth=STAFF_AUTH,
        body=ApplyIn,
    ),
)
