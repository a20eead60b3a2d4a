"""The case list (filters, search, pages) and the case page (timeline, photos, map point, and
the staff actions: 改类, 派单/改派, 督办, and the centre's decisions on a unit's 退单 and 延期).

The case page stays small however long the case grew (``handlers.case_pages``): its words and
each note folded to a preview, the timeline 50 events a page with the latest first;
``?full=1`` unfolds them, ``?timeline_page=2`` shows the page before. The resident's own
messages behind the case, whole, are ``bot.dashboard.case_messages``.

An account sees only the cases ``handlers.staff.permissions.may_see_case`` allows; any other number
gets the same 404 as a number that does not exist. Phones are masked everywhere here.
Actions post a form with the session's CSRF token, run ``handlers.workflow.staff_actions`` (which
audits in the action's transaction) and redirect back to the case page with what happened.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from bot.api.staff_auth import StaffContext
from bot.dashboard.case_knowledge import add_routes as add_knowledge_routes
from bot.dashboard.case_knowledge import knowledge_context
from bot.dashboard.case_messages import add_routes as add_message_routes
from bot.dashboard.case_messages import messages_link
from bot.dashboard.case_photos import photos_of
from bot.dashboard.charts import Area, map_point
from bot.dashboard.followup import add_routes as add_followup_routes
from bot.dashboard.followup import followup_context
from bot.dashboard.web import (
    PREFIX,
    form_of,
    int_or_none,
    page,
    redirect,
    refuse,
    render,
)
from bot.keys import CLOCK, INTAKE
from config.invalid import ALL_REASONS_BY_CODE, INVALID_REASONS
from config.lexicon import KIND_LABELS
from config.taxonomy import TAXONOMY, first_level_names
from handlers.case_deliveries import case_deliveries
from handlers.case_pages import (
    BadView,
    CaseView,
    TimelinePage,
    fold_note,
    fold_text,
    shown_attachments,
    timeline_page,
)
from handlers.deadline_history import change_text, deadlines_by_event
from handlers.district.geometry import outer_rings
from handlers.places import place_summary
from handlers.staff.permissions import can, may_see_case
from handlers.workflow.case_links import merge_by_hand, split_by_hand
from handlers.workflow.invalid import invalidate_case, restore_case
from handlers.workflow.review import PENDING as REVIEW_PENDING
from handlers.workflow.review import pass_result, send_back_result
from handlers.workflow.search import (
    URGENCY_CHOICES,
    BadFilter,
    CaseFilters,
    filters_from_query,
    is_overdue,
    related_names,
    search_cases,
)
from handlers.workflow.staff_actions import (
    STAFF_ERRORS,
    CaseHidden,
    StaffRefused,
    decide_case_extension,
    decide_case_return,
    reassign_case,
    recategorise_case,
    refusal_of,
    supervise_case,
    visible_case,
)
from models import (
    Case,
    CaseEvent,
    CaseStatus,
    ExtensionRequest,
    ExtensionStatus,
    Grid,
    ReturnRequest,
    StaffUser,
    Unit,
    Worker,
)
from models.case_status import OPEN_STATUSES
from nlu import mask_phones_in_text

NOT_FOUND = "没有找到这条诉求：编号不存在，或不在您的账号可查看的范围内"


def category_groups() -> list[tuple[str, list[str]]]:
    groups: dict[str, list[str]] = {name: [] for name in first_level_names()}
    for category in TAXONOMY:
        groups[category.parent].append(category.path)
    return list(groups.items())


def case_row(
    case: Case,
    now: Any,
    units: dict[int, Unit],
    grids: dict[int, Grid],
    workers: dict[int, Worker],
) -> dict[str, Any]:
    unit = units.get(case.unit_id) if case.unit_id is not None else None
    grid = grids.get(case.grid_id) if case.grid_id is not None else None
    worker = workers.get(case.worker_id) if case.worker_id is not None else None
    status = CaseStatus(case.status)
    return {
        "number": case.number,
        "title": mask_phones_in_text(case.title) or "（无标题）",
        "category": case.category,
        "kind": case.kind,
        "urgency": case.urgency,
        "difficult": case.difficult,
        "status": status.value,
        "status_label": status.label,
        "open": status in OPEN_STATUSES,
        "place": place_summary(case),
        "unit": unit.name if unit else "",
        "grid": grid.name if grid else "",
        "worker": worker.name if worker else "",
        "supervised": case.supervised,
        "overdue": is_overdue(case, now),
        "created_at": case.created_at,
        "completion_due_at": case.completion_due_at,
    }


async def filter_choices(user: StaffUser) -> dict[str, Any]:
    units = await Unit.filter(active=True).order_by("kind", "code")
    grids = await Grid.filter(active=True).order_by("code")
    if user.unit_id is not None and user.role in ("unit", "supervisor"):
        units = [u for u in units if u.id == user.unit_id]
    return {
        "units": units,
        "grids": grids,
        "statuses": [(s.value, s.label) for s in CaseStatus],
        "kinds": list(KIND_LABELS.items()),
        "urgencies": URGENCY_CHOICES,
        "first_levels": first_level_names(),
        "category_groups": category_groups(),
    }


@page("cases.read")
async def case_list(request: web.Request, staff: StaffContext) -> web.StreamResponse:
    now = request.app[CLOCK].now()
    error = ""
    try:
        filters = filters_from_query(request.query)
    except BadFilter as problem:
        filters, error = CaseFilters(), str(problem)
    found = await search_cases(staff.user, filters, now)
    units, grids, workers = await related_names(found.cases)
    rows = [case_row(c, now, units, grids, workers) for c in found.cases]

    def link(**changes: Any) -> str:
        items = filters.query_items(**changes)
        return f"{PREFIX}/cases" + (f"?{urlencode(items)}" if items else "")

    return render(
        request,
        staff,
        "cases.html",
        {
            "title": "诉求",
            "filters": filters,
            "rows": rows,
            "found": found,
            "error": error,
            "previous_link": link(page=found.page - 1) if found.page > 1 else "",
            "next_link": link(page=found.page + 1) if found.page < found.pages else "",
            **await filter_choices(staff.user),
        },
    )


def actor_name(event: CaseEvent, workers: dict[int, Worker]) -> str:
    if event.actor_type == "worker" and event.actor_id.isdigit():
        person = workers.get(int(event.actor_id))
        return person.name if person else "工作人员"
    return {
        "resident": "居民",
        "system": "系统",
        "staff": f"{event.actor_id}（后台）",
    }.get(event.actor_type, event.actor_type)


def view_links(case: Case, view: CaseView, page: TimelinePage) -> dict[str, str]:
    """Links to the rest of a folded, paged case: its whole words, older and newer events."""
    path = f"{PREFIX}/cases/{case.number}"

    def link(**query: Any) -> str:
        items = {k: v for k, v in query.items() if v not in (None, 1, False)}
        return path + (f"?{urlencode(items)}" if items else "")

    full = "1" if view.full else None
    return {
        "full_link": link(full="1", timeline_page=view.timeline_page),
        "folded_link": link(timeline_page=view.timeline_page),
        "older_link": link(full=full, timeline_page=page.page + 1) if page.has_older else "",
        "newer_link": link(full=full, timeline_page=page.page - 1) if page.has_newer else "",
        "messages_link": messages_link(case),
    }


async def deliveries_context(case: Case) -> dict[str, Any]:
    """The 消息送达 card (templates/_deliveries.html): ``handlers.case_deliveries``."""
    found, more = await case_deliveries(case)
    to_call = sum(1 for d in found if d.needs_a_call)
    return {"deliveries": found, "deliveries_more": more, "deliveries_to_call": to_call}


async def case_context(
    case: Case, staff: StaffContext, now: Any, view: CaseView | None = None
) -> dict[str, Any]:
    view = view or CaseView()
    page = await timeline_page(CaseEvent.filter(case_id=case.id), view)
    events = page.events
    units, grids, workers = await related_names([case])
    actor_ids = {
        int(e.actor_id) for e in events if e.actor_type == "worker" and e.actor_id.isdigit()
    }
    for person in await Worker.filter(id__in=actor_ids) if actor_ids else []:
        workers[person.id] = person
    moved = await deadlines_by_event(events)
    timeline = [
        {
            "at": e.at,
            "action": e.action,
            "actor": actor_name(e, workers),
            "note": (note := fold_note(e.note, view)).text,
            "note_folded": note.folded,
            "to_status": e.to_status,
            "photos": photos_of((e.data or {}).get("attachments")),
            "warning": (e.data or {}).get("kind") == "deadline_warning",
            "deadlines": [
                {"text": change_text(d), "reason": d.reason} for d in moved.get(e.id, [])
            ],
        }
        for e in events
    ]
    extensions = list(await ExtensionRequest.filter(case_id=case.id).order_by("-created_at"))
    returns = list(await ReturnRequest.filter(case_id=case.id).order_by("-created_at"))
    asked_by = {x.worker_id for x in extensions} | {r.worker_id for r in returns if r.worker_id}
    requesters = {w.id: w for w in await Worker.filter(id__in=asked_by)}
    all_grids = await Grid.filter(active=True).order_by("code")
    point = (case.lng, case.lat) if case.lng is not None and case.lat is not None else None
    areas = [
        Area(g.name, ring, highlight=g.id == case.grid_id)
        for g in all_grids
        for ring in outer_rings(g.boundary)
    ]
    label = "诉求位置" + (f"（{case.lat:.5f}, {case.lng:.5f}）" if point else "")
    active_units = await Unit.filter(active=True).order_by("kind", "code")
    active_workers = await Worker.filter(active=True).order_by("unit_id", "name")
    row = case_row(case, now, units, grids, workers)
    user = staff.user
    status = CaseStatus(case.status)
    actions = {
        "recategorise": can(user, "cases.recategorise")
        and status not in (CaseStatus.ARCHIVED, CaseStatus.CANCELLED, CaseStatus.MERGED),
        "reassign": can(user, "cases.reassign")
        and status in (CaseStatus.ACCEPTED, CaseStatus.DISPATCHED),
        "supervise": can(user, "cases.supervise") and row["open"] and not case.supervised,
        "invalidate": can(user, "cases.invalidate") and status.is_open,
        "restore": can(user, "cases.restore") and status is CaseStatus.INVALID,
        "merge": can(user, "cases.merge") and status.is_open and status is not CaseStatus.COMPLETED,
        "split": can(user, "cases.merge") and status is CaseStatus.MERGED,
        "to_suggestion": can(user, "suggestions.convert") and status.is_open,
        "review": can(user, "cases.review")
        and status is CaseStatus.COMPLETED
        and case.review_state == REVIEW_PENDING,
    }
    original = await Case.get_or_none(id=case.duplicate_of_id) if case.duplicate_of_id else None
    text = fold_text(case.text, view)
    return {
        "actions": actions,
        "any_action": any(actions.values()),
        "original": original if original and may_see_case(user, original) else None,
        "case": case,
        "row": row,
        "text": text.text,
        "text_length": text.length,
        "text_folded": text.folded,
        "view": view,
        "timeline": timeline,
        "timeline_page": page,
        **view_links(case, view, page),
        "photos": photos_of(shown_attachments(case.attachments, view)),
        "photos_total": len(case.attachments or []),
        "result_photos": photos_of(case.result_attachments),
        "extensions": [
            {
                "request": x,
                "pending": x.status == ExtensionStatus.PENDING,
                "worker": requesters[x.worker_id].name if x.worker_id in requesters else "",
            }
            for x in extensions
        ],
        "returns": [
            {
                "request": r,
                "pending": r.status == ExtensionStatus.PENDING,
                "worker": requesters[r.worker_id].name if r.worker_id in requesters else "",
                "suggested": next((u for u in active_units if u.id == r.suggested_unit_id), None),
            }
            for r in returns
        ],
        "map": map_point(areas, point, label=label) if (point or case.grid_id) else "",
        "point": point,
        "category_groups": category_groups(),
        "units": active_units,
        "workers": active_workers,
        "grid_name": row["grid"],
        "invalid_reasons": INVALID_REASONS,
        "invalid_reason": ALL_REASONS_BY_CODE.get(case.invalid_reason or ""),
        **await followup_context(case, user, now),
        **await deliveries_context(case),
        **await knowledge_context(case, user),
    }


@page("cases.read")
async def case_page(request: web.Request, staff: StaffContext) -> web.StreamResponse:
    return await _show_case(request, staff)


async def _show_case(
    request: web.Request, staff: StaffContext, error: str = "", status: int = 200
) -> web.StreamResponse:
    try:
        case = await visible_case(staff.user, request.match_info["number"])
    except CaseHidden:
        return refuse(request, staff, 404, NOT_FOUND)
    try:
        view = CaseView.of(request.query)
    except BadView as problem:
        return refuse(request, staff, 400, str(problem))
    now = request.app[CLOCK].now()
    context = await case_context(case, staff, now, view)
    context.update(title=f"诉求 {case.number}", error=error)
    return render(request, staff, "case.html", context, status=status)


async def _act(request: web.Request, staff: StaffContext, done: str, action: Any) -> Any:
    """Run a case action; on success back to the case page, else the page with the reason."""
    number = request.match_info["number"]
    try:
        case = await visible_case(staff.user, number)
    except CaseHidden:
        return refuse(request, staff, 404, NOT_FOUND)
    form = await form_of(request)
    ctx = await request.app[INTAKE].context()
    try:
        await action(case, form, ctx)
    except STAFF_ERRORS as error:
        refused = refusal_of(error)
        return await _show_case(request, staff, refused.message, refused.status)
    except CaseHidden:
        return refuse(request, staff, 404, NOT_FOUND)
    raise redirect(f"{PREFIX}/cases/{case.number}", ok=done)


@page("cases.recategorise")
async def recategorise(request: web.Request, staff: StaffContext) -> web.StreamResponse:
    async def run(case: Case, form: dict[str, str], ctx: Any) -> None:
        await recategorise_case(
            case, form.get("category", ""), staff.user, staff.actor, ctx, form.get("reason", "")
        )

    return await _act(request, staff, "recategorised", run)


@page("cases.reassign")
async def reassign(request: web.Request, staff: StaffContext) -> web.StreamResponse:
    async def run(case: Case, form: dict[str, str], ctx: Any) -> None:
        await reassign_case(
            case,
            form.get("unit", ""),
            int_or_none(form.get("worker", "")),
            staff.user,
            staff.actor,
            ctx,
            form.get("reason", ""),
        )

    return await _act(request, staff, "reassigned", run)


@page("cases.invalidate")
async def invalidate(request: web.Request, staff: StaffContext) -> web.StreamResponse:
    async def run(case: Case, form: dict[str, str], ctx: Any) -> None:
        reason, note = form.get("reason", ""), form.get("note", "")
        await invalidate_case(case, reason, note, staff.user, staff.actor, ctx)

    return await _act(request, staff, "invalidated", run)


@page("cases.restore")
async def restore(request: web.Request, staff: StaffContext) -> web.StreamResponse:
    async def run(case: Case, form: dict[str, str], ctx: Any) -> None:
        await restore_case(case, form.get("note", ""), staff.user, staff.actor, ctx)

    return await _act(request, staff, "restored", run)


@page("cases.merge")
async def merge(request: web.Request, staff: StaffContext) -> web.StreamResponse:
    async def run(case: Case, form: dict[str, str], ctx: Any) -> None:
        target, reason = form.get("target", ""), form.get("reason", "")
        await merge_by_hand(case, target, staff.user, staff.actor, ctx, reason)

    return await _act(request, staff, "merged", run)


@page("cases.merge")
async def split(request: web.Request, staff: StaffContext) -> web.StreamResponse:
    async def run(case: Case, form: dict[str, str], ctx: Any) -> None:
        await split_by_hand(case, staff.user, staff.actor, ctx, form.get("reason", ""))

    return await _act(request, staff, "split", run)


@page("cases.review")
async def review(request: web.Request, staff: StaffContext) -> web.StreamResponse:
    async def run(case: Case, form: dict[str, str], ctx: Any) -> None:
        note = form.get("note", "")
        if form.get("decision") == "pass":
            await pass_result(case, staff.user, staff.actor, ctx, note)
        elif form.get("decision") == "send_back":
            await send_back_result(case, staff.user, staff.actor, ctx, note)
        else:
            raise StaffRefused("请选择审核通过或退回", 400, "invalid_request")

    return await _act(request, staff, "reviewed", run)


@page("cases.supervise")
async def supervise(request: web.Request, staff: StaffContext) -> web.StreamResponse:
    async def run(case: Case, form: dict[str, str], ctx: Any) -> None:
        await supervise_case(case, staff.user, staff.actor, ctx, form.get("reason", ""))

    return await _act(request, staff, "supervised", run)


@page("requests.decide")
async def decide(request: web.Request, staff: StaffContext) -> web.StreamResponse:
    request_id = int_or_none(request.match_info["request_id"])
    if request_id is None:
        return refuse(request, staff, 404, "没有这份延期申请")
    form = await form_of(request)
    approve = form.get("decision") == "approve"

    async def run(case: Case, form: dict[str, str], ctx: Any) -> None:
        await decide_case_extension(
            case, request_id, approve, staff.user, staff.actor, ctx, form.get("note", "")
        )

    return await _act(request, staff, "extension_approved" if approve else "extension_refused", run)


@page("requests.decide")
async def decide_return(request: web.Request, staff: StaffContext) -> web.StreamResponse:
    """退单审核: approve to the queue, approve to a unit (改派), or refuse with a reason."""
    request_id = int_or_none(request.match_info["request_id"])
    if request_id is None:
        return refuse(request, staff, 404, "没有这份退单申请")
    form = await form_of(request)
    approve = form.get("decision") == "approve"

    async def run(case: Case, form: dict[str, str], ctx: Any) -> None:
        await decide_case_return(
            case,
            request_id,
            approve,
            staff.user,
            staff.actor,
            ctx,
            form.get("note", ""),
            unit_code=form.get("unit", "") if approve else "",
        )

    return await _act(request, staff, "return_approved" if approve else "return_refused", run)


def add_routes(app: web.Application) -> None:
    app.router.add_get(f"{PREFIX}/cases", case_list)
    app.router.add_get(f"{PREFIX}/cases/{{number}}", case_page)
    app.router.add_post(f"{PREFIX}/cases/{{number}}/recategorise", recategorise)
    app.router.add_post(f"{PREFIX}/cases/{{number}}/reassign", reassign)
    app.router.add_post(f"{PREFIX}/cases/{{number}}/supervise", supervise)
    app.router.add_post(f"{PREFIX}/cases/{{number}}/invalidate", invalidate)
    app.router.add_post(f"{PREFIX}/cases/{{number}}/restore", restore)
    app.router.add_post(f"{PREFIX}/cases/{{number}}/merge", merge)
    app.router.add_post(f"{PREFIX}/cases/{{number}}/split", split)
    app.router.add_post(f"{PREFIX}/cases/{{number}}/review", review)
    app.router.add_post(f"{PREFIX}/cases/{{number}}/extensions/{{request_id}}/decide", decide)
    app.router.add_post(f"{PREFIX}/cases/{{number}}/returns/{{request_id}}/decide", decide_return)
    add_message_routes(app)
    add_followup_routes(app, _show_case)
    add_knowledge_routes(app, _show_case)
