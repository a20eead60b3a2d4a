"""The staff dashboard under ``/dashboard/``: server-rendered pages (aiohttp-jinja2), inline SVG
charts, one stylesheet and a little vanilla JavaScript, all served from the app itself.

Pages: sign-in, overview (the four rates against targets, volume, open and overdue), cases
(filters, search, the case page and its actions), hot issues and the governance items made of
them (热点事项台账), the monthly ranking, broadcast
notices, held messages (release or discard), the routing-rule and SLA editors, account links
(QR codes, WeCom), the organisation (组织架构) with the import of a district's files, the
knowledge base (知识库) with its review, versions, import, figures and gaps list, and for
人民建议征集 the suggestion office's queue, a suggestion's page, a department's answers, the
themed calls (征集活动) with their results, the stations (联系点) and the figures. Who
may open which page is ``handlers.staff.permissions``.
"""

from __future__ import annotations

from aiohttp import web

from bot.dashboard import (
    accounts,
    auth,
    cases,
    district,
    held,
    hot,
    hot_items,
    knowledge,
    notices,
    overview,
    ranking,
    requests,
    rules,
    stations,
    suggestion_calls,
    suggestion_figures,
    suggestions,
)
from bot.dashboard.web import PREFIX, STATIC_DIR, setup_templates


async def _to_overview(request: web.Request) -> web.StreamResponse:
    raise web.HTTPFound(f"{PREFIX}/")


def add_dashboard_routes(app: web.Application) -> None:
    setup_templates(app)
    app.router.add_get(PREFIX, _to_overview)
    app.router.add_static(f"{PREFIX}/static/", STATIC_DIR, name="dashboard-static")
    auth.add_routes(app)
    overview.add_routes(app)
    cases.add_routes(app)
    hot.add_routes(app)
    hot_items.add_routes(app)
    ranking.add_routes(app)
    notices.add_routes(app)
    rules.add_routes(app)
    held.add_routes(app)
    requests.add_routes(app)
    accounts.add_routes(app)
    district.add_routes(app)
    knowledge.add_routes(app)
    stations.add_routes(app)
    suggestion_figures.add_routes(app)
    suggestions.add_routes(app)
    suggestion_calls.add_routes(app)
