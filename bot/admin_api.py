"""The admin API's front door, under ``/api/admin/``: who am I, sign in, sign out.

Sign-in (``POST session`` with ``{"username", "password"}``) sets the dashboard's session
cookie and answers the CSRF token that every later unsafe request with that cookie must send
(``X-CSRF-Token``). Machines skip all this and send ``Authorization: Bearer jsa_...``.
Every sign-in, failed sign-in and sign-out is an audit event.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from bot.app import CLOCK, SETTINGS
from bot.staff_auth import SESSION_COOKIE, client_ip, error_json, require_staff
from handlers.accounts import LoginFailed, authenticate, end_session, start_session
from handlers.audit import StaffActor, audit
from handlers.permissions import CAPABILITIES, can
from models import StaffUser


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


async def sign_in(request: web.Request) -> web.Response:
    now = request.app[CLOCK].now()
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise error_json(web.HTTPBadRequest, "invalid_json", "请求内容不是有效的 JSON") from None
    if not isinstance(body, dict) or not isinstance(body.get("username"), str):
        raise error_json(web.HTTPBadRequest, "invalid_payload", "需要 username 和 password")
    username, password = body["username"], body.get("password")
    ip, agent = client_ip(request), request.headers.get("User-Agent", "")
    try:
        user = await authenticate(username, password if isinstance(password, str) else "", now)
    except LoginFailed:
        who = StaffActor(None, username[:64], "", ip, agent[:255], "api")
        await audit(who, "session.failed", now, target_type="user", target_id=username[:64])
        raise error_json(web.HTTPUnauthorized, "login_failed", "用户名或密码不正确") from None
    new = await start_session(user, now, ip=ip, user_agent=agent)
    await audit(StaffActor.of(user, ip=ip, user_agent=agent, via="dashboard"), "session.start", now)
    response = web.json_response({"user": user_json(user), "csrf_token": new.csrf_token})
    set_session_cookie(request, response, new.token)
    return response


def set_session_cookie(request: web.Request, response: web.StreamResponse, token: str) -> None:
    secure = request.app[SETTINGS].public_url.startswith("https://")
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="Lax",
        secure=secure,
        path="/",
        max_age=12 * 3600,
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


def add_admin_routes(app: web.Application) -> None:
    app.router.add_get("/api/admin/me", me)
    app.router.add_post("/api/admin/session", sign_in)
    app.router.add_delete("/api/admin/session", sign_out)
