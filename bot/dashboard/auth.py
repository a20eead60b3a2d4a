"""Signing in to and out of the dashboard.

The sign-in form itself is protected against login CSRF (a foreign page signing the browser
in as someone else) by a double-submit token: a random value in a short-lived cookie and the
same value in the form's hidden ``csrf_token`` field, and by the same-origin rule of every
unsafe request (``bot.api.staff_auth``). After sign-in every form carries the session's own CSRF
token. Signing in goes through the same guard as the admin API (``handlers.staff.sign_in``):
too many failures from one address get the page with 429 and ``Retry-After``, a full queue 503.
Every sign-in, failed sign-in and sign-out is an audit event, as on the admin API.
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
    cookie_is_secure,
    install_sign_in,
    require_staff,
    staff_for,
)
from bot.dashboard.web import (
    LOGIN_PATH,
    PREFIX,
    landing_of,
    protect,
    redirect,
    refuse,
    render,
    safe_next,
)
from bot.keys import CLOCK, SETTINGS, SIGN_IN_GUARD
from handlers.staff.accounts import LoginFailed, end_session, start_session
from handlers.staff.audit import StaffActor, audit
from handlers.staff.passwords import PasswordWorkBusy
from handlers.staff.sign_in import SignInRefused

LOGIN_CSRF_COOKIE = "jiesu_login_csrf"


def _login_page(
    request: web.Request,
    error: str = "",
    username: str = "",
    *,
    status: int = 401,
    retry_after: int | None = None,
) -> web.Response:
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
        status=status if error else 200,
    )
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="Strict",
        secure=cookie_is_secure(request.app[SETTINGS]),
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
    guard = request.app[SIGN_IN_GUARD]
    try:
        user = await guard.sign_in(username, password, ip, now)
    except SignInRefused as limited:
        minutes = -(-limited.retry_after // 60)
        message = f"登录尝试过于频繁，请{minutes}分钟后再试"
        return _login_page(request, message, username, status=429, retry_after=limited.retry_after)
    except PasswordWorkBusy:
        message = "登录的人较多，请稍后再试"
        return _login_page(request, message, username, status=503, retry_after=1)
    except LoginFailed:
        who = StaffActor(None, username[:64], "", ip, agent[:255], "dashboard")
        await audit(who, "session.failed", now, target_type="user", target_id=username[:64])
        return _login_page(request, "用户名或密码不正确（连续输错5次将锁定15分钟）", username)
    new = await start_session(user, now, ip=ip, user_agent=agent, max_sessions=guard.max_sessions)
    await audit(StaffActor.of(user, ip=ip, user_agent=agent, via="dashboard"), "session.start", now)
    target = safe_next(str(form.get("next", "")))
    if target == f"{PREFIX}/":  # no page asked for: the role's own start page
        target = landing_of(user)
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
    install_sign_in(app)
    app.router.add_get(LOGIN_PATH, login_form)
    app.router.add_post(LOGIN_PATH, login)
    app.router.add_post(f"{PREFIX}/logout", logout)
