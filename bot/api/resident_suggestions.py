"""The mini-program's suggestions (人民建议征集) and themed calls, under ``/api/resident/``.

- ``POST suggestions {"request_id", "text", "photos"?, "call"?, "consent_publish"?,
  "credit_name"?}``: the suggestion form. Taken exactly as ``POST cases`` is (the same token,
  validation, size limits, content check, per-resident limits and exactly-once ``request_id``:
  ``handlers.residents.cases.submit`` with ``kind="suggestion"``), then made a suggestion by
  ``handlers.suggestions.submissions``: under the call ``call`` names while it takes replies, an
  ordinary suggestion otherwise (the reply says the call is over). Words naming something
  urgent or a danger to life make a case instead (``case`` in the answer, ``suggestion`` null).
  A ``call`` that names no call ever opened is a 400.
- ``GET suggestions?page=`` (20 a page, newest first) and ``GET suggestions/{number}`` (the
  words, photos and the steps the proposer was told of); another resident's number answers
  exactly like a number nobody has (404).
- ``GET calls``: the themed calls taking replies through the mini-program now; public, so the
  app can show them before signing in.
"""

from __future__ import annotations

from aiohttp import web

from bot.api.json_api import ApiError, page_of
from bot.api.resident import SuggestionIn, may_exist, read_words, take_submission
from bot.api.resident_auth import Signed, endpoint, now_of
from config import resident_api as texts
from config import suggestion_calls as call_texts
from handlers.clock import iso
from handlers.suggestions.calls import open_calls
from handlers.suggestions.resident_view import suggestion_detail, suggestion_summaries
from handlers.suggestions.submissions import KIND, known_call
from models import Suggestion, SuggestionCall

PREFIX = "/api/resident"
NOT_FOUND = "没有找到这个编号的建议"


async def submit_suggestion(request: web.Request, signed: Signed) -> web.Response:
    body = await read_words(request, SuggestionIn)
    if body.call is not None and await known_call(body.call) is None:
        problem = {"field": "call", "problem": "no themed call has this code"}
        raise ApiError(400, "invalid_request", call_texts.NOT_FOUND, problems=[problem])
    data = body.model_dump(exclude_none=True, exclude={"request_id"})
    return await take_submission(request, signed, body.request_id, data, KIND)


async def my_suggestions(request: web.Request, signed: Signed) -> web.Response:
    page = page_of(request, texts.MAX_PAGE)
    query = Suggestion.filter(resident_id=signed.resident.id)
    total = await query.count()
    size = texts.PAGE_SIZE
    rows = await query.order_by("-created_at", "-id").offset((page - 1) * size).limit(size)
    return web.json_response(
        {
            "suggestions": await suggestion_summaries(list(rows)),
            "page": page,
            "page_size": size,
            "total": total,
            "has_more": page * size < total,
        }
    )


async def one_suggestion(request: web.Request, signed: Signed) -> web.Response:
    number = request.match_info["number"]
    found = (
        await Suggestion.get_or_none(number=number, resident_id=signed.resident.id)
        if may_exist(number)
        else None
    )
    if found is None:
        raise ApiError(404, "not_found", NOT_FOUND)
    return web.json_response(await suggestion_detail(found))


def call_json(call: SuggestionCall) -> dict[str, object]:
    return {
        "code": call.code,
        "title": call.title,
        "question": call.question,
        "keyword": call.keyword,
        "starts_at": iso(call.starts_at),
        "ends_at": iso(call.ends_at),
        "channels": list(call.channels),
    }


async def calls(request: web.Request) -> web.Response:
    found = await open_calls(now_of(request), "mini")
    return web.json_response({"calls": [call_json(c) for c in found]})


def add_resident_suggestion_routes(app: web.Application) -> None:
    router = app.router
    router.add_post(f"{PREFIX}/suggestions", endpoint(submit_suggestion))
    router.add_get(f"{PREFIX}/suggestions", endpoint(my_suggestions))
    router.add_get(f"{PREFIX}/suggestions/{{number}}", endpoint(one_suggestion))
    router.add_get(f"{PREFIX}/calls", calls)
