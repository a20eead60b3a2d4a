"""Who is asking: a staff member by dashboard session cookie or by API bearer token.

- Dashboard: the ``jiesu_session`` cookie (HttpOnly, SameSite=Lax, Secure behind https) holds a
  session token. Every unsafe request (POST, PUT, PATCH, DELETE) made with the cookie must also
  carry the session's CSRF token, in the ``X-CSRF-Token`` header or the ``csrf_token`` form
  field; a page gets it from :func:`csrf_token_of`.
- Machines: ``Authorization: Bearer jsa_...`` (``jiesu users token``); no cookie, no CSRF.

:func:`require_staff` answers 401 when nobody is signed in and 403 when the role lacks the
capability (``handlers.staff.permissions``), both as ``{"error": {"code", "message"}}`` JSON; pages
catch :class:`NotSignedIn` to send people to the sign-in page instead.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass

from aiohttp import web

from bot.keys import CLOCK
from handlers.staff.accounts import session_for, user_for_api_token
from handlers.staff.audit import StaffActor
from handlers.staff.permissions import can
from models import StaffSession, StaffUser

SESSION_COOKIE = "jiesu_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class StaffContext:
    user: StaffUser
    via: str  # dashboard | api
    session: StaffSession | None
    ip: str
    user_agent: str

    @property
    def actor(self) -> StaffActor:
        return StaffActor.of(self.user, ip=self.ip, user_agent=self.user_agent, via=self.via)

    @property
    def csrf_token(self) -> str | None:
        return self.session.csrf_token if self.session is not None else None


class NotSignedIn(web.HTTPUnauthorized):
    pass


STAFF_CONTEXT = web.RequestKey("staff_context", StaffContext)


def error_json(status: type[web.HTTPException], code: str, message: str) -> web.HTTPException:
    body = json.dumps({"error": {"code": code, "message": message}}, ensure_ascii=False)
    return status(text=body, content_type="application/json")


def client_ip(request: web.Request) -> str:
    """The caller's address: the first X-Forwarded-For hop behind a proxy, else the peer."""
    forwarded = request.headers.get("X-Forwarded-For", "")
    if forwarded:
        return forwarded.split(",", 1)[0].strip()[:64]
    return (request.remote or "")[:64]


async def staff_for(request: web.Request) -> StaffContext | None:
    """The staff member behind this request, or None. Checks CSRF for cookie sessions."""
    cached = request.get(STAFF_CONTEXT)
    if cached is not None:
        return cached
    now = request.app[CLOCK].now()
    ip = client_ip(request)
    agent = request.headers.get("User-Agent", "")[:255]
    header = request.headers.get("Authorization", "")
    context: StaffContext | None = None
    if header.startswith("Bearer "):
        user = await user_for_api_token(header.removeprefix("Bearer ").strip(), now)
        if user is not None:
            context = StaffContext(user, "api", None, ip, agent)
    else:
        found = await session_for(request.cookies.get(SESSION_COOKIE, ""), now)
        if found is not None:
            user, session = found
            context = StaffContext(user, "dashboard", session, ip, agent)
    if context is not None:
        request[STAFF_CONTEXT] = context
    return context


async def csrf_ok(request: web.Request, context: StaffContext) -> bool:
    if context.session is None or request.method not in UNSAFE_METHODS:
        return True
    given = request.headers.get(CSRF_HEADER, "")
    if not given and request.content_type in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        form = await request.post()
        value = form.get(CSRF_FIELD, "")
        given = value if isinstance(value, str) else ""
    return bool(given) and secrets.compare_digest(given, context.session.csrf_token)


async def require_staff(request: web.Request, capability: str | None = None) -> StaffContext:
    context = await staff_for(request)
    if context is None:
        raise error_json(NotSignedIn, "unauthorized", "请先登录，或提供有效的 API 令牌")
    if not await csrf_ok(request, context):
        raise error_json(web.HTTPForbidden, "csrf", "页面已过期，请刷新后重试（CSRF 校验失败）")
    if capability is not None and not can(context.user, capability):
        raise error_json(web.HTTPForbidden, "forbidden", "您的账号没有此项权限")
    return context


def csrf_token_of(context: StaffContext | None) -> str:
    return (context.csrf_token or "") if context is not None else ""
