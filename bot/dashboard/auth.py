"""Signing in to and out of the dashboard.

The sign-in form itself is protected against login CSRF (a foreign page signing the browser
in as someone else) by a double-submit token: a random value in a short-lived cookie and the
same value in the form's hidden ``csrf_token`` field. After sign-in every form carries the
session's own CSRF token (``bot.api.staff_auth``). Every sign-in, failed sign-in and sign-out is
an audit event, as on the admin API.
"""

from __future__ import annotations

import secrets

from aiohttp import web

from bot.api.admin import set_session_cookie
from bot.api.staff_auth import (
    CSRF_FIELD,
    SESSION_COOKIE,
    NotSignedIn,
    client_ip,
    require_staff,
    staff_for,
)
from bot.dashboard.web import LOGIN_PATH, PREFIX, protect, redirect, refuse, render, safe_next
from bot.keys import CLOCK, SETTINGS
from handlers.staff.accounts import LoginFailed, authenticate, end_session, start_session
from handlers.staff.audit import StaffActor, audit

LOGIN_CSRF_COOKIE = "jiesu_login_csrf"


def _login_page(request: web.Request, error: str = "", username: str = "") -> web.Response:
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)
    response = render(
        request,
        None,
        "login.html",
        {
            "title": "登录",
            "login_token": token,
            "next": safe_next(request.query.get("next", "")),
            "error": error,
            "username": username,
        },
        status=401 if error else 200,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="Strict",
        secure=request.app[SETTINGS].public_url.startswith("https://"),
        path=LOGIN_PATH,
        max_age=3600,
    )
    return response


async def login_form(request: web.Request) -> web.StreamResponse:
    if await staff_for(request) is not None:
        raise redirect(safe_next(request.query.get("next", "")))
    return _login_page(request)


async def login(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    username = str(form.get("username", "")).strip()
    password = str(form.get("password", ""))
    given = str(form.get(CSRF_FIELD, ""))
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not secrets.compare_digest(given, expected):
        return _login_page(request, "页面已过期，请重新输入后登录", username)
    now = request.app[CLOCK].now()
    ip, agent = client_ip(request), request.headers.get("User-Agent", "")
    try:
        user = await authenticate(username, password, now)
    except LoginFailed:
        who = StaffActor(None, username[:64], "", ip, agent[:255], "dashboard")
        await audit(who, "session.failed", now, target_type="user", target_id=username[:64])
        return _login_page(request, "用户名或密码不正确（连续输错5次将锁定15分钟）", username)
    new = await start_session(user, now, ip=ip, user_agent=agent)
    await audit(StaffActor.of(user, ip=ip, user_agent=agent, via="dashboard"), "session.start", now)
    target = safe_next(str(form.get("next", "")))
    response = web.HTTPSeeOther(target)
    set_session_cookie(request, response, new.token)
    response.del_cookie(LOGIN_CSRF_COOKIE, path=LOGIN_PATH)
    protect(response)
    raise response


async def logout(request: web.Request) -> web.StreamResponse:
    try:
        staff = await require_staff(request)
    except NotSignedIn:
        raise redirect(LOGIN_PATH) from None
    except web.HTTPForbidden:
        return refuse(request, None, 403, "页面已过期，请刷新后再退出")
    now = request.app[CLOCK].now()
    if staff.session is not None:
        await end_session(staff.session, now)
        await audit(staff.actor, "session.end", now)
    response = web.HTTPSeeOther(LOGIN_PATH)
    response.del_cookie(SESSION_COOKIE, path="/")
    raise response


def add_routes(app: web.Application) -> None:
    app.router.add_get(LOGIN_PATH, login_form)
    app.router.add_post(LOGIN_PATH, login)
    app.router.add_post(f"{PREFIX}/logout", logout)
