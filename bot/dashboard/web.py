"""What every dashboard page shares: the template environment, sign-in and permission checks,
the page frame (navigation, the CSRF token for forms) and the pages that say no.

A page handler is wrapped by :func:`page`: nobody signed in → the sign-in page (coming back
here afterwards); an unsafe request without the session's CSRF token → 403; a role without
the page's capability → 403. Each says so in words, as a page, not JSON.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import aiohttp_jinja2
import jinja2
from aiohttp import web

from bot.api.staff_auth import CSRF_FIELD, NotSignedIn, StaffContext, csrf_token_of, require_staff
from bot.keys import CLOCK, DASHBOARD_JINJA
from config.lexicon import KIND_LABELS
from handlers.clock import local
from handlers.digits import whole_number
from handlers.staff.permissions import can
from models import CaseAction, CaseStatus, StaffRole, StaffUser
from nlu import mask_phone, mask_phones_in_text

PREFIX = "/dashboard"
LOGIN_PATH = f"{PREFIX}/login"
HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"

ROLE_LABELS = {
    StaffRole.ADMIN: "管理员",
    StaffRole.DISPATCHER: "派单员",
    StaffRole.SUPERVISOR: "督办",
    StaffRole.UNIT: "承办单位",
    StaffRole.WORKER: "工作人员",
    StaffRole.SUGGESTIONS: "人民建议办",
}


@dataclass(frozen=True)
class NavItem:
    path: str
    label: str
    capability: str


NAV = (
    NavItem(f"{PREFIX}/", "概览", "figures.read"),
    NavItem(f"{PREFIX}/cases", "诉求", "cases.read"),
    NavItem(f"{PREFIX}/hot", "热点", "hot.read"),
    NavItem(f"{PREFIX}/hot/items", "热点事项", "hot.items.read"),
    NavItem(f"{PREFIX}/field-visits", "实地核查", "field_visits.record"),
    NavItem(f"{PREFIX}/ranking", "月度排名", "figures.read"),
    NavItem(f"{PREFIX}/held", "待处理留言", "held.decide"),
    NavItem(f"{PREFIX}/requests", "退单延期审核", "requests.decide"),
    NavItem(f"{PREFIX}/notices", "群发通知", "notices.compose"),
    NavItem(f"{PREFIX}/routing", "派单规则", "routing.edit"),
    NavItem(f"{PREFIX}/sla", "时限规则", "sla.edit"),
    NavItem(f"{PREFIX}/accounts", "账号绑定", "accounts.link"),
    NavItem(f"{PREFIX}/district", "组织架构", "district.read"),
    NavItem(f"{PREFIX}/knowledge", "知识库", "knowledge.read"),
    NavItem(f"{PREFIX}/suggestions", "人民建议", "suggestions.read"),
    NavItem(f"{PREFIX}/suggestion-calls", "征集活动", "suggestions.calls"),
    NavItem(f"{PREFIX}/suggestions/figures", "建议指标", "suggestions.figures"),
    NavItem(f"{PREFIX}/stations", "建议联系点", "suggestions.read"),
)

# ?ok=<key> after a successful form (post, redirect, get): what to tell the person.
DONE_MESSAGES = {
    "wecom_matched": "已按所选绑定企业微信账号",
    "recategorised": "已改类，并记入分类模型的训练样本",
    "reassigned": "已派单",
    "supervised": "已列入督办",
    "invalidated": "已不予受理，已告知居民",
    "restored": "已恢复受理，诉求回到派单队列",
    "merged": "已并案，已告知居民",
    "split": "已拆分，诉求将单独办理",
    "reviewed": "已审核",
    "extension_approved": "已同意延期，新的办结期限已生效，已告知居民",
    "extension_refused": "已驳回延期申请",
    "return_approved": "已同意退单，已告知居民",
    "return_refused": "已驳回退单申请（计为不合理退单）",
    "survey_recorded": "已记录回访评价",
    "field_visit_recorded": "已记录实地核查结果",
    "rule_saved": "派单规则已保存，即时生效",
    "rule_deleted": "派单规则已删除，即时生效",
    "sla_saved": "时限规则已保存，新诉求即按新时限计算",
    "sla_reset": "已恢复默认时限",
    "notice_created": "通知已保存为草稿",
    "notice_submitted": "已提交审批，需另一位管理员批准后发送",
    "notice_approved": "已批准，按计划发送",
    "notice_rejected": "已驳回",
    "notice_cancelled": "已取消发送",
    "preview_sent": "预览已发给你自己",
    "from_suggestion": "已由人民建议转为诉求，已告知居民",
}


def local_time(value: datetime | None, fmt: str = "%m-%d %H:%M") -> str:
    return local(value).strftime(fmt) if value is not None else "–"


def status_label(value: str) -> str:
    try:
        return CaseStatus(value).label
    except ValueError:
        return value


def action_label(value: str) -> str:
    try:
        return CaseAction(value).label
    except ValueError:
        return value


def masked_phone(value: str | None) -> str:
    return mask_phone(value) if value else "–"


def _asset_version() -> str:
    digest = hashlib.sha256()
    for path in sorted(STATIC_DIR.iterdir()):
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def setup_templates(app: web.Application) -> jinja2.Environment:
    env = aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(str(HERE / "templates")),
        app_key=DASHBOARD_JINJA,
        autoescape=jinja2.select_autoescape(default=True),
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
        default_helpers=False,
    )
    env.filters.update(
        local_time=local_time,
        status_label=status_label,
        action_label=action_label,
        kind_label=lambda code: KIND_LABELS.get(code or "", code or "全部类型"),
        masked_phone=masked_phone,
        mask_phones=mask_phones_in_text,
    )
    env.globals.update(
        CSRF_FIELD=CSRF_FIELD,
        PREFIX=PREFIX,
        ASSET_VERSION=_asset_version(),
        KIND_LABELS=KIND_LABELS,
    )
    return env


def render(
    request: web.Request,
    staff: StaffContext | None,
    template: str,
    context: Mapping[str, Any],
    *,
    status: int = 200,
) -> web.Response:
    user = staff.user if staff is not None else None
    frame: dict[str, Any] = {
        "staff": staff,
        "user": user,
        "role_label": ROLE_LABELS.get(StaffRole(user.role), "") if user else "",
        "home": landing_of(user) if user else f"{PREFIX}/",
        "csrf_token": csrf_token_of(staff),
        "nav": [
            {"path": item.path, "label": item.label, "active": _active(request.path, item.path)}
            for item in NAV
            if user is not None and can(user, item.capability)
        ],
        "can": (lambda capability: user is not None and can(user, capability)),
        "done": DONE_MESSAGES.get(request.query.get("ok", ""), ""),
        "error": "",
        "now": request.app[CLOCK].now(),
    }
    frame.update(context)
    response = aiohttp_jinja2.render_template(
        template, request, frame, app_key=DASHBOARD_JINJA, status=status
    )
    protect(response)
    return response


def protect(response: web.StreamResponse) -> None:
    """Pages carry people's cases: not cached, not framed, scripts and styles only our own."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' https: http: data:; style-src 'self'; "
        "script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )


def _active(path: str, item: str) -> bool:
    if item == f"{PREFIX}/":
        return path in (PREFIX, f"{PREFIX}/")
    return path == item or path.startswith(item + "/")


# Where a role lands after signing in when no page was asked for; the rest land on the overview
# if they read the figures, else on the cases. Each landing is a page the role may open.
ROLE_LANDINGS = {StaffRole.SUGGESTIONS: f"{PREFIX}/suggestions"}


def landing_of(user: StaffUser) -> str:
    """The page ``user`` starts on: the suggestion office its queue, who reads the figures the
    overview, everybody else the cases."""
    landing = ROLE_LANDINGS.get(StaffRole(user.role))
    if landing is not None:
        return landing
    return f"{PREFIX}/" if can(user, "figures.read") else f"{PREFIX}/cases"


def safe_next(target: str) -> str:
    """Where to go after signing in: only a dashboard path of this site."""
    if target.startswith(f"{PREFIX}/") and not target.startswith("//") and "\\" not in target:
        return target
    return f"{PREFIX}/"


def redirect(location: str, **query: str) -> web.HTTPSeeOther:
    if query:
        location += ("&" if "?" in location else "?") + urlencode(query)
    return web.HTTPSeeOther(location)


def refuse(
    request: web.Request, staff: StaffContext | None, status: int, message: str
) -> web.Response:
    return render(
        request,
        staff,
        "refused.html",
        {"title": "无法打开" if status != 404 else "没有找到", "message": message},
        status=status,
    )


PageHandler = Callable[[web.Request, StaffContext], Awaitable[web.StreamResponse]]


def page(
    capability: str = "cases.read",
) -> Callable[[PageHandler], Callable[[web.Request], Awaitable[web.StreamResponse]]]:
    """Wrap a page: signed in, CSRF checked for unsafe methods, the capability held."""

    def wrap(handler: PageHandler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def run(request: web.Request) -> web.StreamResponse:
            try:
                staff = await require_staff(request)
            except NotSignedIn:
                back = request.path_qs if request.method == "GET" else PREFIX + "/"
                raise web.HTTPSeeOther(f"{LOGIN_PATH}?next={quote(back, safe='/')}") from None
            except web.HTTPForbidden as refused:
                return refuse(request, None, 403, _message_of(refused))
            if not can(staff.user, capability):
                return refuse(request, staff, 403, "您的账号没有此项权限")
            return await handler(request, staff)

        run.__name__ = handler.__name__
        return run

    return wrap


def _message_of(error: web.HTTPException) -> str:
    try:
        return str(json.loads(error.text or "{}")["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return "请求被拒绝"


async def form_of(request: web.Request) -> dict[str, str]:
    """The posted form's text fields (files ignored), stripped."""
    data = await request.post()
    return {key: value.strip() for key, value in data.items() if isinstance(value, str)}


def int_or_none(value: str) -> int | None:
    return whole_number(value.strip())
