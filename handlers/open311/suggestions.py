"""Open311 requests to the suggestion service (``service_code=suggestion``): suggestions for the
suggestion office (人民建议征集, issue 18), not cases.

Filing: the description is the suggestion's words, read as a chat message's are (the place it
names, else the request's ``address_string``); the reporter is the same Open311 resident a
case request would have (``handlers.open311.requests``), held to the same limits; a blocked
reporter's request is held like any other. The answer's ``service_request_id`` is the
suggestion's number (``JY…``). Its token starts with that number, so ``tokens/{token}`` names it
without a column of its own. A blocked reporter's request is held with a number reserved (its
token starts with it too) and becomes the suggestion of that number when a dispatcher releases
it (``handlers.intake.held_messages``); until then ``tokens/{token}`` names no request.

Reading (``GET requests``): a suggestion is ``open`` while the office screens it or the
departments it was adopted for owe their answer (已收到, 待补充, 已采纳, 已报送市级), ``closed``
once it is settled (不予采纳, 已合并, 部门已答复, 已落地, 已转为诉求); ``status_notes`` is its
status in words (the result once carried out, the suggestion it was merged into, the case it
became), ``expected_datetime`` the screening deadline while it waits for screening. As for
cases, the words are shown only for suggestions filed through Open311.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Any

from config import open311 as spec
from handlers.clock import format_local
from handlers.context import HandlerContext
from handlers.open311.common import CHANNEL
from handlers.open311.public import (
    RequestQuery,
    find_requests,
    number_of,
    one_request,
    public_text,
    w3c,
)
from handlers.suggestions.intake import take
from handlers.suggestions.records import NUMBER_PREFIX, OPEN_STATUSES, is_suggestion_number
from models import Resident, Suggestion, SuggestionStatus
from nlu.understanding import understand

S = SuggestionStatus
OPEN = frozenset({S.RECEIVED, S.MORE_INFO, S.ADOPTED, S.FORWARDED})


def token_for(number: str) -> str:
    return f"{number}-{secrets.token_hex(12)}"


async def file_suggestion(
    resident: Resident,
    description: str,
    ctx: HandlerContext,
    *,
    location: tuple[float, float] | None = None,
    place: str | None = None,
    media_url: str | None = None,
    number: str | None = None,
) -> Suggestion:
    """The suggestion a request files (inside the caller's transaction); ``number``: the one
    reserved when a blocked reporter's request was held (its token starts with it)."""
    reading = understand(description, location=location, gazetteer=ctx.gazetteer, model=ctx.model)
    columns: dict[str, Any] = {"number": number} if number else {}
    if place and not reading.place.found:
        columns["place_text"] = place[:128]
    made = await take(
        resident,
        description,
        reading,
        ctx,
        channel=CHANNEL,
        attachments=[{"type": "image", "url": media_url}] if media_url else [],
        columns=columns,
    )
    return made.suggestion


def status_notes(suggestion: Suggestion, related: str | None) -> str:
    status = S(suggestion.status)
    if status is S.MERGED and related:
        return spec.SUGGESTION_NOTE_MERGED.format(original=related)
    if status is S.CONVERTED and related:
        return spec.SUGGESTION_NOTE_CONVERTED.format(case=related)
    if status is S.IMPLEMENTED and suggestion.result:
        return public_text(suggestion.result) or status.label
    return status.label


def _media_url(suggestion: Suggestion) -> str | None:
    if suggestion.channel != CHANNEL:
        return None
    for item in suggestion.attachments or []:
        url = item.get("url") if isinstance(item, dict) else None
        if isinstance(url, str) and url.lower().startswith(("http://", "https://")):
            return url
    return None


def suggestion_json(suggestion: Suggestion, related: str | None = None) -> dict[str, Any]:
    """A suggestion as GeoReport's request; ``related``: the suggestion it was merged into, or
    the case it became."""
    status = S(suggestion.status)
    screening = status in OPEN_STATUSES and suggestion.screen_due_at is not None
    notice = None
    if screening:
        assert suggestion.screen_due_at is not None
        deadline = format_local(suggestion.screen_due_at, with_year=True)
        notice = spec.SUGGESTION_NOTICE.format(deadline=deadline)
    return {
        "service_request_id": suggestion.number,
        "status": "open" if status in OPEN else "closed",
        "status_notes": status_notes(suggestion, related),
        "service_name": spec.SUGGESTION_SERVICE["service_name"],
        "service_code": spec.SUGGESTION_SERVICE_CODE,
        "description": public_text(suggestion.text) if suggestion.channel == CHANNEL else None,
        "agency_responsible": spec.SUGGESTION_AGENCY,
        "service_notice": notice,
        "requested_datetime": w3c(suggestion.created_at),
        "updated_datetime": w3c(suggestion.updated_at),
        "expected_datetime": w3c(suggestion.screen_due_at) if screening else None,
        "address": suggestion.place_text or suggestion.street or None,
        "address_id": None,
        "zipcode": None,
        "lat": None,
        "long": None,
        "media_url": _media_url(suggestion),
    }


async def _related(suggestion: Suggestion) -> str | None:
    if suggestion.merged_into_id is not None:
        found = await Suggestion.filter(id=suggestion.merged_into_id).values_list(
            "number", flat=True
        )
        return str(found[0]) if found else None
    if suggestion.case_id is not None:
        return await number_of(suggestion.case_id)
    return None


async def suggestions_json(suggestions: Iterable[Suggestion]) -> list[dict[str, Any]]:
    return [suggestion_json(s, await _related(s)) for s in suggestions]


async def find_suggestions(query: RequestQuery) -> list[dict[str, Any]]:
    if query.numbers:
        numbers = [n for n in query.numbers if is_suggestion_number(n)]
        if not numbers:
            return []
        found = Suggestion.filter(number__in=numbers)
    elif not query.suggestions:
        return []
    else:
        found = Suggestion.filter(created_at__gte=query.start, created_at__lte=query.end)
        if query.statuses == {"open"}:
            found = found.filter(status__in=sorted(OPEN))
        elif query.statuses == {"closed"}:
            found = found.exclude(status__in=sorted(OPEN))
    rows = await found.order_by("-created_at", "-id").limit(spec.QUERY_LIMIT)
    return await suggestions_json(rows)


async def find_all(query: RequestQuery) -> list[dict[str, Any]]:
    """GET requests: cases and suggestions, newest first, at most the spec's 1000."""
    both = [*await find_requests(query), *await find_suggestions(query)]
    both.sort(key=lambda r: str(r["requested_datetime"] or ""), reverse=True)
    return both[: spec.QUERY_LIMIT]


async def one_request_or_suggestion(number: str) -> list[dict[str, Any]]:
    """GET requests/{id}: a suggestion's number answers the suggestion."""
    if number.upper().startswith(NUMBER_PREFIX) and is_suggestion_number(number):
        suggestion = await Suggestion.get_or_none(number=number)
        if suggestion is not None:
            return await suggestions_json([suggestion])
    return await one_request(number)
