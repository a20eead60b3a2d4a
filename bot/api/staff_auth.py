"""Who is asking: a staff member by dashboard session cookie or by API bearer token.

- Dashboard: the ``jiesu_session`` cookie (HttpOnly, SameSite=Lax, Secure unless
  ``JIESU_INSECURE_HTTP``) holds a session token. Every unsafe request (POST, PUT, PATCH, DELETE)
  made with the cookie must also carry the session's CSRF token, in the ``X-CSRF-Token`` header or
  the ``csrf_token`` form field; a page gets it from :func:`csrf_token_of`.
- Machines: ``Authorization: Bearer jsa_...`` (``jiesu users token``); no cookie, no CSRF.
- Every unsafe request under ``/api/admin/`` and ``/dashboard/`` whose ``Origin`` (or, without
  one, ``Referer``) names another site than this service is refused with 403 before anything
  reads it (:func:`same_origin`), signing in included: a foreign page can neither act for a
  signed-in browser nor sign it in as someone else. Bodies of unsafe requests under
  ``/api/admin/`` must be ``Content-Type: application/json`` (else 415): a form or ``text/plain``,
  which a foreign page can send without asking the browser first, is never read as JSON.
- The client address (audit rows, sign-in limits) is the peer's, unless the peer is one of
  ``JIESU_TRUSTED_PROXIES``: then the nearest ``X-Forwarded-For`` hop that is not one
  (:func:`client_ip`).

:func:`require_staff` answers 401 when nobody is signed in and 403 when the role lacks the
capability (``handlers.staff.permissions``), both as ``{"error": {"code", "message"}}`` JSON; pages
catch :class:`NotSignedIn` to send people to the sign-in page instead.
"""

from __future__ import annotations

import ipaddress
import json
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

from aiohttp import web
from yarl import URL

from bot.keys import CLOCK, SETTINGS, SIGN_IN_GUARD
from config.settings import Settings
from handlers.staff.accounts import session_for, user_for_api_token
from handlers.staff.audit import StaffActor
from handlers.staff.passwords import PasswordWork
from handlers.staff.permissions import can
from handlers.staff.sign_in import SignInGuard
from models import StaffSession, StaffUser

SESSION_COOKIE = "jiesu_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
SAME_ORIGIN_PREFIXES = ("/api/admin/", "/dashboard/")
CROSS_ORIGIN_MESSAGE = "请求来自其他网站，已拒绝；请在本系统的页面上操作"
JSON_ONLY_MESSAGE = "请求体须为 JSON（Content-Type: application/json）"


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


IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(trusted: str) -> tuple[IPNetwork, ...]:
    return tuple(ipaddress.ip_network(n, strict=False) for n in trusted.split(",") if n.strip())


def _is_trusted(address: str, networks: tuple[IPNetwork, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip in network for network in networks)


def client_ip(request: web.Request) -> str:
    """The caller's address: the peer; behind a trusted proxy (``JIESU_TRUSTED_PROXIES``) the
    nearest ``X-Forwarded-For`` hop that is not itself a trusted proxy. A client can write any
    X-Forwarded-For it likes, so the header is read only when a trusted proxy sent it, and from
    the right, where our own proxies appended what they saw."""
    peer = request.remote or ""
    networks = _networks(request.app[SETTINGS].trusted_proxies)
    if not networks or not _is_trusted(peer, networks):
        return peer[:64]
    hops = [
        hop.strip()
        for header in request.headers.getall("X-Forwarded-For", [])
        for hop in header.split(",")
        if hop.strip()
    ]
    for hop in reversed(hops):
        if not _is_trusted(hop, networks):
            return hop[:64]
    return (hops[0] if hops else peer)[:64]


Origin = tuple[str, str, int]  # scheme, host, port


def _origin_of(url: str) -> Origin | None:
    try:
        parsed = URL(url.strip())
    except (ValueError, TypeError):
        return None
    if parsed.scheme not in ("http", "https") or not parsed.host or parsed.port is None:
        return None
    return parsed.scheme, parsed.host.lower(), parsed.port


def same_origin(request: web.Request) -> bool:
    """Whether the request's ``Origin`` (or, without one, ``Referer``) is this service: the
    origin of ``JIESU_PUBLIC_URL``, or the host the request was sent to. A request naming
    neither (no browser sends an unsafe cross-site request without Origin) passes; ``null`` and
    anything unreadable do not."""
    claimed = request.headers.get("Origin") or request.headers.get("Referer")
    if not claimed:
        return True
    origin = _origin_of(claimed)
    if origin is None:
        return False
    public = request.app[SETTINGS].public_url.strip()
    if public and _origin_of(public) == origin:
        return True
    scheme, host, port = origin
    try:
        target = URL(f"{scheme}://{request.host}")
    except (ValueError, TypeError):
        return False
    return (target.host or "").lower() == host and target.port == port


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def same_origin_only(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Before anything reads an unsafe request to the admin API or the dashboard: 403 when it
    comes from another site; under ``/api/admin/``, 415 when its body is not JSON."""
    if request.method not in UNSAFE_METHODS or not request.path.startswith(SAME_ORIGIN_PREFIXES):
        return await handler(request)
    api = request.path.startswith("/api/")
    if not same_origin(request):
        if api:
            raise error_json(web.HTTPForbidden, "cross_origin", CROSS_ORIGIN_MESSAGE)
        raise web.HTTPForbidden(text=CROSS_ORIGIN_MESSAGE, headers={"Cache-Control": "no-store"})
    if api and request.body_exists and request.content_type != "application/json":
        raise error_json(web.HTTPUnsupportedMediaType, "unsupported_media_type", JSON_ONLY_MESSAGE)
    return await handler(request)


def cookie_is_secure(settings: Settings) -> bool:
    """Session cookies are Secure unless plain HTTP was allowed for development."""
    return not settings.insecure_http


def install_sign_in(app: web.Application) -> None:
    """What signing in needs, once per app (both the admin API and the dashboard call this):
    the :class:`SignInGuard` under ``SIGN_IN_GUARD`` and the same-origin rule."""
    if SIGN_IN_GUARD in app:
        return
    settings = app[SETTINGS]
    guard = SignInGuard(
        PasswordWork(settings.sign_in_hash_concurrency, settings.sign_in_queue),
        failures_per_address=settings.sign_in_failures_per_address,
        window=timedelta(minutes=settings.sign_in_window_minutes),
        max_sessions=settings.staff_max_sessions,
    )
    app[SIGN_IN_GUARD] = guard
    app.middlewares.append(same_origin_only)

    async def close(_: web.Application) -> None:
        guard.close()

    app.on_cleanup.append(close)


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
