"""The public pages of published suggestions: the list (20 a page, newest publication first),
one suggestion with the departments' answers and the result, and the year's credited
proposers (those who agreed and gave a name, whose suggestion is published).

A number not published answers 404 exactly like one that does not exist; a bad page or year
is said on a 400 page. Successful pages may be cached for a minute; every page forbids scripts,
frames and other sites' resources.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import aiohttp_jinja2
from aiohttp import web

from bot.api.json_api import ApiError, page_of
from bot.api.suggestion_publication import year_of
from bot.keys import CLOCK, PUBLIC_JINJA
from config import suggestion_publication as texts
from handlers.clock import local
from handlers.suggestions.credit import chinese_date, credits_of_year
from handlers.suggestions.public import MAX_PAGE, published_one, published_page

PER_PAGE = 20
PUBLIC_CACHE = "public, max-age=60"
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)


def render(
    request: web.Request, template: str, context: Mapping[str, Any], *, status: int = 200
) -> web.Response:
    frame = {"site_title": texts.PUBLIC_TITLE, "office": texts.OFFICE, "day": chinese_date}
    response = aiohttp_jinja2.render_template(
        template, request, {**frame, **context}, app_key=PUBLIC_JINJA, status=status
    )
    response.headers["Cache-Control"] = PUBLIC_CACHE if status == 200 else "no-store"
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    return response


def _refused(request: web.Request, status: int, message: str) -> web.Response:
    title = "没有找到" if status == 404 else "无法显示"
    return render(request, "message.html", {"title": title, "message": message}, status=status)


async def list_page(request: web.Request) -> web.Response:
    try:
        page = page_of(request, MAX_PAGE)
    except ApiError as refused:
        return _refused(request, 400, refused.message)
    views, total = await published_page(page, PER_PAGE)
    pages = max(1, (total + PER_PAGE - 1) // PER_PAGE)
    context = {
        "title": texts.PUBLIC_TITLE,
        "suggestions": views,
        "page": page,
        "pages": pages,
        "total": total,
        "year": local(request.app[CLOCK].now()).year,
    }
    return render(request, "suggestions.html", context)


async def detail_page(request: web.Request) -> web.Response:
    number = request.match_info["number"].strip()
    found = None if "\x00" in number else await published_one(number)
    if found is None:
        return _refused(request, 404, "没有这条公开的建议：可能编号有误，或已不再公开。")
    return render(request, "suggestion.html", {"title": found.title, "s": found})


async def credits_page(request: web.Request) -> web.Response:
    try:
        year = year_of(request.query.get("year", ""), request.app[CLOCK].now())
    except ApiError as refused:
        return _refused(request, 400, refused.message)
    credits = await credits_of_year(year, public_only=True)
    context = {"title": f"{year} 年建议人致谢名单", "year": year, "credits": credits}
    return render(request, "credits.html", context)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/public/suggestions", list_page)
    app.router.add_get("/public/suggestions/credits", credits_page)
    app.router.add_get("/public/suggestions/{number}", detail_page)
