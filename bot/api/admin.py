"""The admin API's front door, under ``/api/admin/``: who am I, sign in, sign out.

Sign-in (``POST session`` with ``{"username", "password"}`` as ``application/json``) sets the
dashboard's session cookie and answers the CSRF token that every later unsafe request with that
cookie must send (``X-CSRF-Token``). Machines skip all this and send
``Authorization: Bearer jsa_...``. Every sign-in, failed sign-in and sign-out is an audit event.

Sign-in is guarded (``handlers.staff.sign_in``): the password is hashed off the event loop, a few
at a time (503 ``busy`` with ``Retry-After: 1`` beyond the queue), failures are limited per client
address (429 ``too_many_attempts`` with ``Retry-After``) and per account (the lockout, which
answers exactly as a wrong password does). A request from another site's page is refused (403
``cross_origin``, ``bot.api.staff_auth``).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import Field

from bot.api.json_api import ApiError, Payload, error_response, read_payload
from bot.api.openapi import (
    INTEGER,
    STAFF_AUTH,
    STRING,
    Operation,
    Response,
    array,
    error,
    nullable,
    obj,
    one_of_values,
    too_large,
)
from bot.api.staff_auth import (
    SESSION_COOKIE,
    client_ip,
    cookie_is_secure,
    error_json,
    install_sign_in,
    require_staff,
)
from bot.keys import CLOCK, SETTINGS, SIGN_IN_GUARD
from handlers.staff.accounts import SESSION_LIFETIME, LoginFailed, end_session, start_session
from handlers.staff.audit import StaffActor, audit
from handlers.staff.passwords import PasswordWorkBusy
from handlers.staff.permissions import CAPABILITIES, can
from handlers.staff.sign_in import SignInRefused
from models import StaffRole, StaffUser


class SignInIn(Payload):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(max_length=1024)


def user_json(user: StaffUser) -> dict[str, Any]:
    return {
        "username": user.username,
        "name": user.display_name,
        "role": str(user.role),
        "unit_id": user.unit_id,
        "capabilities": sorted(c for c in CAPABILITIES if can(user, c)),
    }


async def me(request: web.Request) -> web.Response:
    staff = await require_staff(request)
    return web.json_response(
        {"user": user_json(staff.user), "via": staff.via, "csrf_token": staff.csrf_token}
    )


TOO_MANY = "登录尝试过于频繁，请稍后再试"
BUSY = "登录的人较多，请稍后再试"


async def sign_in(request: web.Request) -> web.Response:
    now = request.app[CLOCK].now()
    try:
        body = await read_payload(request, SignInIn)
    except ApiError as refused:
        return error_response(refused.status, refused.code, refused.message, **refused.extra)
    username, password = body.username, body.password
    ip, agent = client_ip(request), request.headers.get("User-Agent", "")
    guard = request.app[SIGN_IN_GUARD]
    try:
        user = await guard.sign_in(username, password, ip, now)
    except SignInRefused as limited:
        headers = {"Retry-After": str(limited.retry_after)}
        return error_response(429, "too_many_attempts", TOO_MANY, headers=headers)
    except PasswordWorkBusy:
        return error_response(503, "busy", BUSY, headers={"Retry-After": "1"})
    except LoginFailed:
        who = StaffActor(None, username[:64], "", ip, agent[:255], "api")
        await audit(who, "session.failed", now, target_type="user", target_id=username[:64])
        raise error_json(web.HTTPUnauthorized, "login_failed", "用户名或密码不正确") from None
    new = await start_session(user, now, ip=ip, user_agent=agent, max_sessions=guard.max_sessions)
    await audit(StaffActor.of(user, ip=ip, user_agent=agent, via="dashboard"), "session.start", now)
    response = web.json_response({"user": user_json(user), "csrf_token": new.csrf_token})
    set_session_cookie(request, response, new.token)
    return response


def set_session_cookie(request: web.Request, response: web.StreamResponse, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="Lax",
        secure=cookie_is_secure(request.app[SETTINGS]),
        path="/",
        max_age=int(SESSION_LIFETIME.total_seconds()),
    )


async def sign_out(request: web.Request) -> web.Response:
    staff = await require_staff(request)
    now = request.app[CLOCK].now()
    if staff.session is not None:
        await end_session(staff.session, now)
        await audit(staff.actor, "session.end", now)
    response = web.json_response({"ok": True})
    response.del_cookie(SESSION_COOKIE, path="/")
    return response


USER = obj(
    {
        "username": STRING,
        "name": STRING,
        "role": one_of_values(r.value for r in StaffRole),
        "unit_id": nullable({"type": "integer"}),
        "capabilities": array(one_of_values(CAPABILITIES)),
    }
)
_TAG = "admin"
_401 = error("unauthorized: not signed in, and no valid API token")
OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "GET",
        "/api/admin/me",
        "Who is signed in, and the session's CSRF token",
        _TAG,
        {
            200: Response(
                "the account; csrf_token is null for API tokens",
                obj(
                    {
                        "user": USER,
                        "via": one_of_values(["api", "dashboard"]),
                        "csrf_token": nullable(STRING),
                    }
                ),
            ),
            401: _401,
        },
        auth=STAFF_AUTH,
    ),
    Operation(
        "POST",
        "/api/admin/session",
        "Sign in: sets the session cookie and answers its CSRF token",
        _TAG,
        {
            200: Response(
                "signed in",
                obj({"user": USER, "csrf_token": STRING}),
                headers={"Set-Cookie": STRING},
            ),
            400: error("invalid_json or invalid_payload: username and password are needed"),
            401: error("login_failed: wrong name or password, or a locked account (one message)"),
            403: error("cross_origin: sent from another site's page (Origin or Referer)"),
            413: too_large(),
            415: error("unsupported_media_type: the body is not application/json"),
            429: Response(
                "too_many_attempts: too many failed sign-ins from this address; no password "
                "was checked",
                {"$ref": "#/components/schemas/Error"},
                headers={"Retry-After": INTEGER},
            ),
            503: Response(
                "busy: as many sign-ins as the service takes at once are being checked",
                {"$ref": "#/components/schemas/Error"},
                headers={"Retry-After": INTEGER},
            ),
        },
        body=SignInIn,
    ),
    Operation(
        "DELETE",
        "/api/admin/session",
        "Sign out (an API token has no session: nothing to end)",
        _TAG,
        {
            200: Response("signed out", obj({"ok": {"type": "boolean", "const": True}})),
            401: _401,
            403: error("csrf: a cookie session without its X-CSRF-Token"),
        },
        auth=STAFF_AUTH,
    ),
)


def add_admin_routes(app: web.Application) -> None:
    install_sign_in(app)
    app.router.add_get("/api/admin/me", me)
    app.router.add_post("/api/admin/session", sign_in)
    app.router.add_delete("/api/admin/session", sign_out)
