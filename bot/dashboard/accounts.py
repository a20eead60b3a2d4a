"""Account links on the dashboard, for ``accounts.link`` (admins).

- ``/dashboard/accounts``: workers and staff accounts, whether their WeChat (and WeCom) is
  linked, and a button that makes a one-time link. The answer to that button is the link page:
  the QR code to scan and the chat code to send, shown this once (only hashes are stored).
- ``/dashboard/accounts/wecom``: the WeCom address book matched to the workers without a userid.
  Proposals come ticked, ambiguous ones offer their candidates; nothing is applied until the
  admin sends the form (``handlers.accounts.wecom_match``).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.api.staff_auth import StaffContext
from bot.dashboard.web import PREFIX, form_of, int_or_none, page, redirect, refuse, render
from bot.keys import CLOCK, MP_CLIENT, SETTINGS, WECOM_CLIENT
from bot.wechat.client import WeChatApiError
from bot.wechat.link_qr import offer_link
from handlers.accounts.wecom_match import MatchRefused, apply_matches, match_members
from models import StaffRole, StaffUser, Unit, Worker

CAPABILITY = "accounts.link"
ROLE_WORDS = {
    StaffRole.ADMIN: "管理员",
    StaffRole.DISPATCHER: "派单员",
    StaffRole.SUPERVISOR: "督办",
    StaffRole.UNIT: "承办单位",
    StaffRole.WORKER: "工作人员",
}


@page(CAPABILITY)
async def accounts_page(request: web.Request, staff: StaffContext) -> web.StreamResponse:
    units = {u.id: u.name for u in await Unit.all()}
    workers = await Worker.filter(active=True).order_by("unit_id", "id")
    users = await StaffUser.filter(active=True).order_by("id")
    return render(
        request,
        staff,
        "accounts.html",
        {
            "title": "账号绑定",
            "workers": [(w, units.get(w.unit_id or 0, "")) for w in workers],
            "users": [(u, ROLE_WORDS.get(StaffRole(u.role), "")) for u in users],
            "wecom": WECOM_CLIENT in request.app,
        },
    )


async def _offer(request: web.Request, staff: StaffContext, person: Any) -> web.StreamResponse:
    offer = await offer_link(
        person,
        staff.actor,
        request.app[CLOCK].now(),
        request.app.get(MP_CLIENT),
        request.app[SETTINGS],
    )
    return render(request, staff, "account_link.html", {"title": "绑定微信", "offer": offer})


@page(CAPABILITY)
async def link_worker(request: web.Request, staff: StaffContext) -> web.StreamResponse:
    worker_id = int_or_none(request.match_info["id"])
    worker = await Worker.get_or_none(id=worker_id) if worker_id is not None else None
    if worker is None or not worker.active:
        return refuse(request, staff, 404, "没有这名工作人员（或已停用）")
    return await _offer(request, staff, worker)


@page(CAPABILITY)
async def link_user(request: web.Request, staff: StaffContext) -> web.StreamResponse:
    user_id = int_or_none(request.match_info["id"])
    user = await StaffUser.get_or_none(id=user_id) if user_id is not None else None
    if user is None or not user.active:
        return refuse(request, staff, 404, "没有这个后台账号（或已停用）")
    return await _offer(request, staff, user)


async def _directory(request: web.Request) -> list[dict[str, Any]]:
    client = request.app.get(WECOM_CLIENT)
    if client is None:
        raise MatchRefused("未配置企业微信应用（JIESU_WORK_*），无法读取通讯录")
    try:
        return await client.members()
    except WeChatApiError as problem:
        raise MatchRefused(f"读取企业微信通讯录失败：{problem}") from None


async def _match_page(
    request: web.Request, staff: StaffContext, error: str = "", status: int = 200
) -> web.StreamResponse:
    report = None
    try:
        report = match_members(await Worker.all().order_by("id"), await _directory(request))
    except MatchRefused as refused:
        error, status = error or str(refused), status if error else 409
    context = {"title": "企业微信匹配", "report": report, "error": error}
    return render(request, staff, "wecom_match.html", context, status=status)


@page(CAPABILITY)
async def wecom_page(request: web.Request, staff: StaffContext) -> web.StreamResponse:
    return await _match_page(request, staff)


@page(CAPABILITY)
async def wecom_apply(request: web.Request, staff: StaffContext) -> web.StreamResponse:
    form = await form_of(request)
    pairs: list[tuple[int, str]] = []
    for key, value in form.items():
        worker_id = int_or_none(key.removeprefix("worker_")) if key.startswith("worker_") else None
        if worker_id is not None and value:
            pairs.append((worker_id, value[:64]))
    if not pairs:
        return await _match_page(request, staff, "没有选择任何匹配", 400)
    try:
        done = await apply_matches(
            pairs, await _directory(request), staff.actor, request.app[CLOCK].now()
        )
    except MatchRefused as refused:
        return await _match_page(request, staff, f"未作更改：{refused}", 409)
    del done
    raise redirect(f"{PREFIX}/accounts", ok="wecom_matched")


def add_routes(app: web.Application) -> None:
    app.router.add_get(f"{PREFIX}/accounts", accounts_page)
    app.router.add_post(f"{PREFIX}/accounts/workers/{{id}}/link", link_worker)
    app.router.add_post(f"{PREFIX}/accounts/users/{{id}}/link", link_user)
    app.router.add_get(f"{PREFIX}/accounts/wecom", wecom_page)
    app.router.add_post(f"{PREFIX}/accounts/wecom", wecom_apply)
