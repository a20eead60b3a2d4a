"""人民建议征集 on the dashboard: the office's queue, a suggestion's page with its timeline and
the office's forms, and a department's page of what was adopted for it, with the answer form.

- ``/dashboard/suggestions?tab=``: 待甄别 (screening, deadline first: the overdue on top),
  待部门答复 (answering), 已采纳 (adopted, answered, carried out), 全部 (all). A department's
  accounts see only what was adopted for their unit (``handlers.suggestions.access``).
- ``/dashboard/suggestions/department?unit=``: a department's adopted suggestions, the answers
  owed first (overdue on top), each with its answer form; a unit's accounts get their own unit,
  the office chooses one.
- ``/dashboard/suggestions/{number}``: the suggestion, its adoptions and timeline; the office's
  forms (``bot.dashboard.suggestion_forms``) for what may be done from where it stands.

The forms post to ``bot.dashboard.suggestion_forms`` (CSRF checked like every dashboard form).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web

from bot.api.staff_auth import StaffContext
from bot.dashboard import suggestion_forms
from bot.dashboard.case_photos import photos_of
from bot.dashboard.suggestion_publication import publication_panel
from bot.dashboard.web import PREFIX, page, refuse, render
from bot.keys import CLOCK
from config import suggestion_office as texts
from handlers.digits import whole_number
from handlers.staff.permissions import can, may_answer_suggestion
from handlers.suggestions.access import SuggestionHidden, visible_suggestion, visible_suggestions
from handlers.suggestions.office import FORWARD_AS_FLAG, INSTRUCTABLE
from handlers.suggestions.queue import (
    ADOPTED,
    ANSWERING,
    SCREENING,
    BadFilter,
    Filters,
    screening_overdue,
    search,
)
from handlers.suggestions.records import OPEN_STATUSES, TRANSITIONS
from models import (
    AdoptionStatus,
    Case,
    StaffRole,
    Suggestion,
    SuggestionAdoption,
    SuggestionEvent,
    SuggestionStatus,
    Unit,
)

S = SuggestionStatus
TABS = (
    (SCREENING, "待甄别"),
    (ANSWERING, "待部门答复"),
    (ADOPTED, "已采纳"),
    ("", "全部"),
)
DEPARTMENT_LIMIT = 200


def _row(s: Suggestion, now: datetime) -> dict[str, Any]:
    status = S(s.status)
    return {
        "suggestion": s,
        "status": status.value,
        "status_label": status.label,
        "overdue": screening_overdue(s, now),
    }


@page("suggestions.read")
async def queue_page(request: web.Request, staff: StaffContext) -> web.StreamResponse:
    now = request.app[CLOCK].now()
    department = (
        StaffRole(staff.user.role) in (StaffRole.UNIT, StaffRole.SUPERVISOR)
        and staff.user.unit_id is not None
    )
    first = ANSWERING if department else SCREENING  # a department screens nothing
    tab = request.query.get("tab", first)
    if tab not in {code for code, _ in TABS}:
        tab = first
    page_number = whole_number(request.query.get("page", "1") or "1", 6) or 1
    overdue = request.query.get("overdue", "") == "1"
    words = request.query.get("q", "")[:100]
    try:
        found = await search(
            staff.user, Filters(status=tab, overdue=overdue, q=words, page=page_number), now
        )
    except BadFilter as problem:
        return refuse(request, staff, 400, str(problem))
    late = {
        a.suggestion_id
        for a in await SuggestionAdoption.filter(
            suggestion_id__in=[s.id for s in found.suggestions],
            status=AdoptionStatus.PENDING,
            due_at__lt=now,
        )
    }
    rows = [_row(s, now) | {"answer_late": s.id in late} for s in found.suggestions]
    return render(
        request,
        staff,
        "suggestions.html",
        {
            "title": "人民建议",
            "tabs": TABS,
            "tab": tab,
            "rows": rows,
            "found": found,
            "overdue": overdue,
            "q": words,
            "department": department,
        },
    )


async def _units() -> list[Unit]:
    return list(await Unit.filter(active=True).exclude(kind="center").order_by("kind", "code"))


@page("suggestions.answer")
async def department_page(request: web.Request, staff: StaffContext) -> web.StreamResponse:
    now = request.app[CLOCK].now()
    units = await _units()
    own = staff.user.unit_id
    if StaffRole(staff.user.role) in (StaffRole.ADMIN, StaffRole.SUGGESTIONS):
        code = request.query.get("unit", "")
        unit = next((u for u in units if u.code == code), None)
    else:
        unit = next((u for u in units if u.id == own), None)
        if unit is None:
            return refuse(request, staff, 403, texts.NOT_YOUR_UNIT)
    adoptions: list[SuggestionAdoption] = []
    suggestions: dict[int, Suggestion] = {}
    if unit is not None:
        adoptions = list(
            await SuggestionAdoption.filter(unit_id=unit.id)
            .order_by("status", "due_at", "-id")
            .limit(DEPARTMENT_LIMIT)
        )
        shown = visible_suggestions(staff.user).filter(id__in=[a.suggestion_id for a in adoptions])
        suggestions = {s.id: s for s in await shown}
    items = [
        {
            "adoption": a,
            "suggestion": suggestions[a.suggestion_id],
            "pending": a.status == AdoptionStatus.PENDING,
            "overdue": a.status == AdoptionStatus.PENDING
            and a.due_at is not None
            and a.due_at < now,
            "may_answer": unit is not None and may_answer_suggestion(staff.user, unit.id),
        }
        for a in adoptions
        if a.suggestion_id in suggestions
    ]
    items.sort(key=lambda item: (not item["overdue"], not item["pending"]))
    return render(
        request,
        staff,
        "suggestion_department.html",
        {
            "title": f"部门答复 · {unit.name}" if unit else "部门答复",
            "unit": unit,
            "units": units,
            "choose": StaffRole(staff.user.role) in (StaffRole.ADMIN, StaffRole.SUGGESTIONS),
            "items": items,
            "answer_kinds": texts.ANSWER_KINDS,
            "saved": suggestion_forms.DONE.get(request.query.get("done", ""), ""),
        },
    )


def _actions(staff: StaffContext, s: Suggestion) -> dict[str, bool]:
    user, status = staff.user, S(s.status)
    screen = can(user, "suggestions.screen")
    allowed = TRANSITIONS[status]
    return {
        "ask": screen and S.MORE_INFO in allowed,
        "merge": screen and S.MERGED in allowed,
        "decline": screen and S.DECLINED in allowed,
        "reconsider": screen and status is S.DECLINED,
        "adopt": screen and (S.ADOPTED in allowed or status is S.ADOPTED),
        "forward": screen
        and s.forwarded_at is None
        and (status in OPEN_STATUSES or status in FORWARD_AS_FLAG),
        "instruction": screen and status in INSTRUCTABLE,
        "implemented": screen and S.IMPLEMENTED in allowed,
        "convert": can(user, "suggestions.convert") and status in OPEN_STATUSES,
    }


async def suggestion_context(staff: StaffContext, s: Suggestion, now: datetime) -> dict[str, Any]:
    adoptions = list(await SuggestionAdoption.filter(suggestion_id=s.id).order_by("id"))
    units = {u.id: u for u in await Unit.filter(id__in={a.unit_id for a in adoptions})}
    events = await SuggestionEvent.filter(suggestion_id=s.id).order_by("at", "id")
    merged = await Suggestion.get_or_none(id=s.merged_into_id) if s.merged_into_id else None
    case = await Case.get_or_none(id=s.case_id) if s.case_id else None
    origin = await Case.get_or_none(id=s.from_case_id) if s.from_case_id else None
    actions = _actions(staff, s)
    return {
        "title": f"建议 {s.number}",
        "s": s,
        "row": _row(s, now),
        "adoptions": [
            {
                "adoption": a,
                "unit": units.get(a.unit_id),
                "pending": a.status == AdoptionStatus.PENDING,
                "overdue": a.status == AdoptionStatus.PENDING
                and a.due_at is not None
                and a.due_at < now,
                "may_answer": may_answer_suggestion(staff.user, a.unit_id),
            }
            for a in adoptions
        ],
        "events": events,
        "photos": photos_of(s.attachments),
        "action_labels": texts.ACTION_LABELS,
        "answer_kinds": texts.ANSWER_KINDS,
        "merged": merged,
        "case": case,
        "origin": origin,
        "actions": actions,
        "any_action": any(actions.values()),
        "units": await _units(),
        "publication": await publication_panel(staff.user, s),
    }


async def show(
    request: web.Request, staff: StaffContext, error: str = "", status: int = 200
) -> web.StreamResponse:
    try:
        suggestion = await visible_suggestion(staff.user, request.match_info["number"])
    except SuggestionHidden:
        return refuse(request, staff, 404, texts.NOT_FOUND)
    context = await suggestion_context(staff, suggestion, request.app[CLOCK].now())
    context["error"] = error
    context["saved"] = suggestion_forms.DONE.get(request.query.get("done", ""), "")
    return render(request, staff, "suggestion.html", context, status=status)


@page("suggestions.read")
async def suggestion_page(request: web.Request, staff: StaffContext) -> web.StreamResponse:
    return await show(request, staff)


def add_routes(app: web.Application) -> None:
    app.router.add_get(f"{PREFIX}/suggestions", queue_page)
    app.router.add_get(f"{PREFIX}/suggestions/department", department_page)
    app.router.add_get(f"{PREFIX}/suggestions/{{number}}", suggestion_page)
    suggestion_forms.add_routes(app, show)
