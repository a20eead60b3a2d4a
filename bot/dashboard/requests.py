"""The centre's queue of units' requests (退单延期审核): what units asked and wait for.

Each row links to the case page, where the dispatcher approves or refuses (a 退单 approved may
go straight to another unit: 改派). Who sees the page: ``requests.decide`` (admins and
dispatchers). ``?status=`` pending (default), approved, refused or all; ``?kind=`` return,
extension or all. Late extension requests (asked after the deadline, refused at once) are listed
under refused, marked 超期.
"""

from __future__ import annotations

from aiohttp import web

from bot.api.staff_auth import StaffContext
from bot.dashboard.web import PREFIX, page, refuse, render
from handlers.workflow.request_queue import BadQueueFilter, queued_requests

PATH = f"{PREFIX}/requests"
STATUS_LABELS = {"pending": "待审核", "approved": "已同意", "refused": "已驳回", "all": "全部"}
KIND_LABELS = {"all": "全部", "return": "退单", "extension": "延期"}


@page("requests.decide")
async def request_queue(request: web.Request, staff: StaffContext) -> web.StreamResponse:
    status = request.query.get("status", "pending") or "pending"
    kind = request.query.get("kind", "all") or "all"
    try:
        rows = await queued_requests(status, kind)
    except BadQueueFilter as problem:
        return refuse(request, staff, 400, str(problem))
    context = {
        "title": "退单延期审核",
        "rows": rows,
        "status": status,
        "kind": kind,
        "statuses": STATUS_LABELS,
        "kinds": KIND_LABELS,
    }
    return render(request, staff, "requests.html", context)


def add_routes(app: web.Application) -> None:
    app.router.add_get(PATH, request_queue)
