"""Published suggestions as JSON: for anyone, and for the mini-program.

- ``GET /api/public/suggestions?page=&per_page=``: published suggestions, newest publication
  first (``per_page`` 1 to 50, default 20); ``GET /api/public/suggestions/{number}``: one (a
  number not published answers 404 exactly as one that does not exist). No credentials: only
  what the office published with the proposer's consent (``handlers.suggestions.public``).
  Answers are cached for a minute (``Cache-Control: public, max-age=60``); refusals are not.
- ``GET /api/resident/public-suggestions`` and ``/{number}``: the same for the mini-program's
  signed-in resident, with ``mine`` marking the resident's own (never cached).

The contract is ``bot.api.suggestion_contract``.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.api.json_api import ApiError, error_response, page_of
from bot.api.resident_auth import Signed, endpoint
from bot.api.suggestion_contract import (
    MiniSuggestionOne,
    MiniSuggestionPage,
    PublicSuggestionOne,
    PublicSuggestionPage,
)
from handlers.digits import whole_number
from handlers.suggestions.public import (
    MAX_PAGE,
    MAX_PER_PAGE,
    PublicSuggestion,
    published_one,
    published_page,
)

PUBLIC_CACHE = "public, max-age=60"
DEFAULT_PER_PAGE = 20
NOT_FOUND = "没有这条公开的建议"


def per_page_of(request: web.Request) -> int:
    """The ``per_page`` query parameter (default 20), 1 to 50; else :class:`ApiError` 400."""
    given = request.query.get("per_page", "").strip()
    if not given:
        return DEFAULT_PER_PAGE
    number = whole_number(given, 4)
    if number is None or not 1 <= number <= MAX_PER_PAGE:
        raise ApiError(400, "invalid_request", f"per_page 须为 1 到 {MAX_PER_PAGE} 的整数")
    return number


async def page_json(request: web.Request) -> tuple[list[PublicSuggestion], dict[str, int]]:
    page = page_of(request, MAX_PAGE)
    per_page = per_page_of(request)
    views, total = await published_page(page, per_page)
    return views, {"page": page, "per_page": per_page, "total": total}


async def one_of(request: web.Request) -> PublicSuggestion:
    number = request.match_info["number"].strip()
    found = None if "\x00" in number else await published_one(number)
    if found is None:
        raise ApiError(404, "not_found", NOT_FOUND)
    return found


def _json(body: dict[str, Any], *, cached: bool) -> web.Response:
    headers = {"Cache-Control": PUBLIC_CACHE} if cached else None
    return web.json_response(body, headers=headers)


async def public_list(request: web.Request) -> web.Response:
    try:
        views, paging = await page_json(request)
    except ApiError as refused:
        return error_response(refused.status, refused.code, refused.message)
    body = PublicSuggestionPage.model_validate(
        {"suggestions": [view.as_dict() for view in views], **paging}
    )
    return _json(body.model_dump(mode="json"), cached=True)


async def public_one(request: web.Request) -> web.Response:
    try:
        view = await one_of(request)
    except ApiError as refused:
        return error_response(refused.status, refused.code, refused.message)
    body = PublicSuggestionOne.model_validate({"suggestion": view.as_dict()})
    return _json(body.model_dump(mode="json"), cached=True)


def _mine(view: PublicSuggestion, signed: Signed) -> dict[str, Any]:
    return {**view.as_dict(), "mine": view.resident_id == signed.resident.id}


@endpoint
async def mini_list(request: web.Request, signed: Signed) -> web.Response:
    views, paging = await page_json(request)
    body = MiniSuggestionPage.model_validate(
        {"suggestions": [_mine(view, signed) for view in views], **paging}
    )
    return _json(body.model_dump(mode="json"), cached=False)


@endpoint
async def mini_one(request: web.Request, signed: Signed) -> web.Response:
    view = await one_of(request)
    body = MiniSuggestionOne.model_validate({"suggestion": _mine(view, signed)})
    return _json(body.model_dump(mode="json"), cached=False)


def add_public_suggestion_routes(app: web.Application) -> None:
    router = app.router
    router.add_get("/api/public/suggestions", public_list)
    router.add_get("/api/public/suggestions/{number}", public_one)
    router.add_get("/api/resident/public-suggestions", mini_list)
    router.add_get("/api/resident/public-suggestions/{number}", mini_one)
