"""The staff API for 人民建议征集 (issue 18): the office's queue and steps, the departments'
answers, conversion both ways and the city export. A staff session (``X-CSRF-Token`` on unsafe
requests) or a bearer token.

- ``GET /api/admin/suggestions?status=&overdue=&unit=&call=&station=&q=&page=``: 20 a page;
  ``status`` a status, ``screening`` (已收到 and 待补充, deadline first), ``answering`` (a
  department's answer owed) or ``adopted``; ``overdue=1`` screening or an answer past its
  deadline; ``unit`` adopted for that unit, ``call``/``station`` by code; ``q`` the number or
  words. ``suggestions.read``: a department's accounts see only what was adopted for their unit.
- ``GET /api/admin/suggestions/{number}``: with its adoptions and timeline (phones masked).
- ``POST …/{number}/ask`` ``{"question"}``, ``/merge`` ``{"target", "note"}``, ``/decline``
  ``{"reason"}``, ``/reconsider`` ``{"note"}``, ``/adopt`` ``{"units": [codes], "note"}``,
  ``/forward`` ``{"reference", "note"}``, ``/instruction`` ``{"text"}``, ``/implemented``
  ``{"result"}``: the office (``suggestions.screen``); ``/convert`` ``{"note"}`` makes a case of
  it (``suggestions.convert``), answered with the case's number.
- ``POST …/{number}/adoptions/{unit_code}/answer`` ``{"kind", "answer", "date", "attachments"}``:
  the department (its own unit's accounts, or the office).
- ``POST /api/admin/cases/{number}/to-suggestion`` ``{"note"}``: a case becomes a suggestion and
  is closed as 不予受理 (转为人民建议); 201 with the suggestion.
- ``GET /api/admin/suggestions/forwarded.json`` and ``.csv`` ``?from=YYYY-MM-DD&to=``: the city
  export of what was forwarded in the period (default: this year so far), fields in
  ``handlers.suggestions.export``; each export is audited. ``suggestions.screen``.

The contract is ``bot.api.admin_suggestions_contract``.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from aiohttp import web

from bot.api.admin_suggestion_actions import (
    ANSWER_PATH,
    ANSWER_STEP,
    STEPS,
    not_found,
    suggestion_step,
    to_suggestion,
)
from bot.api.json_api import error_response
from bot.api.staff_auth import require_staff
from bot.keys import CLOCK
from config import replies
from config import suggestion_office as texts
from handlers.clock import iso, local
from handlers.digits import whole_number
from handlers.staff.audit import audit
from handlers.suggestions.access import SuggestionHidden, visible_suggestion
from handlers.suggestions.export import MAX_DAYS, csv_bytes, forwarded_records
from handlers.suggestions.queue import BadFilter, Filters, screening_overdue, search
from models import (
    AdoptionStatus,
    Case,
    Station,
    Suggestion,
    SuggestionAdoption,
    SuggestionCall,
    SuggestionEvent,
    SuggestionStatus,
    Unit,
)
from nlu import mask_phone, mask_phones_in_text

PREFIX = "/api/admin/suggestions"
FLAGS = {"": False, "0": False, "false": False, "no": False, "1": True, "true": True, "yes": True}


async def _codes(rows: list[Suggestion]) -> tuple[dict[int, str], dict[int, str]]:
    stations = dict(
        await Station.filter(id__in={s.station_id for s in rows if s.station_id}).values_list(
            "id", "code"
        )
    )
    calls = dict(
        await SuggestionCall.filter(id__in={s.call_id for s in rows if s.call_id}).values_list(
            "id", "code"
        )
    )
    return stations, calls


def suggestion_json(
    s: Suggestion, now: datetime, stations: dict[int, str], calls: dict[int, str]
) -> dict[str, Any]:
    status = SuggestionStatus(s.status)
    return {
        "number": s.number,
        "title": mask_phones_in_text(s.title),
        "status": status.value,
        "status_label": status.label,
        "category": s.category,
        "street": s.street,
        "channel": s.channel,
        "station": stations.get(s.station_id or 0),
        "call": calls.get(s.call_id or 0),
        "created_at": iso(s.created_at),
        "screen_due_at": iso(s.screen_due_at),
        "screened_at": iso(s.screened_at),
        "overdue": screening_overdue(s, now),
        "adopted_at": iso(s.adopted_at),
        "forwarded_at": iso(s.forwarded_at),
        "forward_reference": s.forward_reference,
        "instructed_at": iso(s.instructed_at),
        "implemented_at": iso(s.implemented_at),
    }


def adoption_json(a: SuggestionAdoption, units: dict[int, Unit], now: datetime) -> dict[str, Any]:
    unit = units.get(a.unit_id)
    pending = a.status == AdoptionStatus.PENDING
    return {
        "unit": {"code": unit.code, "name": unit.name} if unit else None,
        "status": AdoptionStatus(a.status).value,
        "assigned_at": iso(a.assigned_at),
        "due_at": iso(a.due_at),
        "overdue": pending and a.due_at is not None and a.due_at < now,
        "answer_kind": a.answer_kind,
        "answer_kind_label": texts.ANSWER_KINDS.get(a.answer_kind, ""),
        "answer": mask_phones_in_text(a.answer),
        "answer_date": a.answer_date.isoformat() if a.answer_date else None,
        "attachments": list(a.attachments or []),
        "answered_at": iso(a.answered_at),
        "answered_by": a.answered_by,
    }


def event_json(e: SuggestionEvent) -> dict[str, Any]:
    return {
        "at": iso(e.at),
        "action": e.action,
        "action_label": texts.ACTION_LABELS.get(e.action, e.action),
        "actor_type": e.actor_type,
        "actor_id": e.actor_id,
        "from_status": e.from_status,
        "to_status": e.to_status,
        "note": mask_phones_in_text(e.note),
        "told": e.told,
    }


async def _number_of(model: type[Suggestion] | type[Case], row_id: int | None) -> str | None:
    if row_id is None:
        return None
    found = await model.get_or_none(id=row_id)
    return found.number if found is not None else None


async def suggestion_detail(request: web.Request, s: Suggestion) -> dict[str, Any]:
    now = request.app[CLOCK].now()
    stations, calls = await _codes([s])
    adoptions = await SuggestionAdoption.filter(suggestion_id=s.id).order_by("id")
    units = {u.id: u for u in await Unit.filter(id__in={a.unit_id for a in adoptions})}
    events = await SuggestionEvent.filter(suggestion_id=s.id).order_by("at", "id")
    body = suggestion_json(s, now, stations, calls)
    body.update(
        {
            "text": mask_phones_in_text(s.text),
            "place": s.place_text,
            "attachments": list(s.attachments or []),
            "contact_phone": mask_phone(s.contact_phone) if s.contact_phone else None,
            "decision_reason": s.decision_reason,
            "result": s.result,
            "consent_publish": s.consent_publish,
            "credit_name": s.credit_name,
            "merged_into": await _number_of(Suggestion, s.merged_into_id),
            "case": await _number_of(Case, s.case_id),
            "from_case": await _number_of(Case, s.from_case_id),
            "adoptions": [adoption_json(a, units, now) for a in adoptions],
            "timeline": [event_json(e) for e in events],
        }
    )
    return body


def _filters(query: Any) -> Filters:
    overdue = str(query.get("overdue", "")).strip().lower()
    if overdue not in FLAGS:
        raise BadFilter("overdue 只能是 1 或 0")
    page = whole_number(str(query.get("page", "1")).strip() or "1", 6)
    if page is None:
        raise BadFilter("page 须为正整数")
    return Filters(
        status=str(query.get("status", "")).strip(),
        overdue=FLAGS[overdue],
        unit=str(query.get("unit", "")).strip()[:32],
        call=str(query.get("call", "")).strip()[:32],
        station=str(query.get("station", "")).strip()[:32],
        q=str(query.get("q", "")),
        page=page,
    )


async def list_suggestions(request: web.Request) -> web.Response:
    staff = await require_staff(request, "suggestions.read")
    now = request.app[CLOCK].now()
    try:
        found = await search(staff.user, _filters(request.query), now)
    except BadFilter as problem:
        return error_response(400, "invalid_request", str(problem))
    stations, calls = await _codes(found.suggestions)
    return web.json_response(
        {
            "suggestions": [suggestion_json(s, now, stations, calls) for s in found.suggestions],
            "total": found.total,
            "page": found.page,
            "pages": found.pages,
            "page_size": found.page_size,
        }
    )


async def get_suggestion(request: web.Request) -> web.Response:
    staff = await require_staff(request, "suggestions.read")
    try:
        suggestion = await visible_suggestion(staff.user, request.match_info["number"])
    except SuggestionHidden:
        return not_found()
    return web.json_response({"suggestion": await suggestion_detail(request, suggestion)})


def _period(query: Any, today: date) -> tuple[date, date]:
    try:
        first = date.fromisoformat(query.get("from", "") or f"{today.year}-01-01")
        last = date.fromisoformat(query.get("to", "") or today.isoformat())
    except ValueError:
        raise BadFilter("from 和 to 须为 YYYY-MM-DD 格式的日期") from None
    if first > last or last - first > timedelta(days=MAX_DAYS):
        raise BadFilter(f"from 须不晚于 to，且期间不超过 {MAX_DAYS} 天")
    return first, last


async def _forwarded(request: web.Request, kind: str) -> web.Response:
    staff = await require_staff(request, "suggestions.screen")
    now = request.app[CLOCK].now()
    try:
        first, last = _period(request.query, local(now).date())
    except BadFilter as problem:
        return error_response(400, "invalid_request", str(problem))
    records = await forwarded_records(first, last)
    await audit(
        staff.actor,
        "suggestion.export",
        now,
        target_type="suggestion",
        detail={"format": kind, "from": first.isoformat(), "to": last.isoformat()},
    )
    name = f"suggestions-forwarded-{first.isoformat()}_{last.isoformat()}.{kind}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if kind == "csv":
        return web.Response(
            body=csv_bytes(records), content_type="text/csv", charset="utf-8", headers=headers
        )
    body = {
        "source": replies.SERVICE_NAME,
        "from": first.isoformat(),
        "to": last.isoformat(),
        "generated_at": local(now).isoformat(),
        "count": len(records),
        "suggestions": records,
    }
    return web.json_response(body, headers=headers)


async def forwarded_json(request: web.Request) -> web.Response:
    return await _forwarded(request, "json")


async def forwarded_csv(request: web.Request) -> web.Response:
    return await _forwarded(request, "csv")


def add_admin_suggestion_routes(app: web.Application) -> None:
    router = app.router
    router.add_get(PREFIX, list_suggestions)
    router.add_get(f"{PREFIX}/forwarded.json", forwarded_json)
    router.add_get(f"{PREFIX}/forwarded.csv", forwarded_csv)
    router.add_get(f"{PREFIX}/{{number}}", get_suggestion)
    for path, capability, step, _, _ in STEPS:
        router.add_post(
            f"{PREFIX}/{{number}}/{path}", suggestion_step(capability, step, suggestion_detail)
        )
    router.add_post(
        f"{PREFIX}/{{number}}/{ANSWER_PATH}",
        suggestion_step("suggestions.answer", ANSWER_STEP, suggestion_detail),
    )
    router.add_post("/api/admin/cases/{number}/to-suggestion", to_suggestion(suggestion_detail))
