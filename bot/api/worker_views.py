"""What workers read: which cases a worker sees and the JSON their cases, events and extension
requests are shown as, apart from the endpoints of ``bot.api.worker`` that answer with them.

A case's detail stays bounded however long the case grew (``handlers.case_pages``): long words
folded, the timeline 50 events a page with the latest first; ``full=1`` and ``timeline_page``
(:func:`view_of`) ask for more."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, time, timedelta
from typing import Any

from tortoise.expressions import Q

from bot.api.json_api import ApiError
from handlers.case_pages import (
    BadView,
    CaseView,
    content_fields,
    fold_note,
    timeline_page,
)
from handlers.clock import LOCAL_TZ, iso, local
from handlers.workflow.actions import HANDLING, may_handle
from handlers.workflow.search import case_basics, is_overdue, related_names
from models import (
    Case,
    CaseAction,
    CaseEvent,
    CaseStatus,
    ExtensionRequest,
    ExtensionStatus,
    Grid,
    ReturnRequest,
    Unit,
    Worker,
    WorkerRole,
)
from models.case_status import OPEN_STATUSES, allowed_actions
from nlu import mask_phone

# What a worker may do to a case (asking for an extension aside).
WORKER_ACTIONS = (
    CaseAction.SIGN,
    CaseAction.CONTACT,
    CaseAction.PROGRESS,
    CaseAction.FINISH,
    CaseAction.RETURN,
)
# Event data shown to workers; anything else (e.g. what an LLM changed) stays inside.
SHOWN_EVENT_DATA = frozenset(
    {"attachments", "method", "first", "reason", "result", "hours", "old", "new", "kind", "unit"}
)


def next_deadline(case: Case) -> tuple[str, datetime] | None:
    """The deadline the case is working towards now: sign, first contact or completion."""
    status = CaseStatus(case.status)
    if status not in OPEN_STATUSES:
        return None
    if status in (CaseStatus.ACCEPTED, CaseStatus.DISPATCHED) and case.sign_due_at is not None:
        return "sign", case.sign_due_at
    if case.first_contact_at is None and case.first_contact_due_at is not None:
        return "first_contact", case.first_contact_due_at
    if case.completion_due_at is not None:
        return "completion", case.completion_due_at
    return None


def local_day(now: datetime) -> tuple[datetime, datetime]:
    day = local(now).date()
    start = datetime.combine(day, time(0), tzinfo=LOCAL_TZ)
    return start, start + timedelta(days=1)


def overdue_filter(now: datetime) -> Q:
    return _deadline_filter({"lt": now})


def due_today_filter(now: datetime) -> Q:
    start, end = local_day(now)
    return _deadline_filter({"gte": start, "lt": end})


def _deadline_filter(bounds: dict[str, datetime]) -> Q:
    """Open cases with a deadline they have not met yet within ``bounds``."""

    def within(column: str) -> dict[str, Any]:
        return {f"{column}__{op}": value for op, value in bounds.items()}

    unsigned = [CaseStatus.ACCEPTED.value, CaseStatus.DISPATCHED.value]
    open_values = [s.value for s in OPEN_STATUSES]
    return (
        Q(status__in=unsigned, **within("sign_due_at"))
        | Q(status__in=open_values, first_contact_at__isnull=True, **within("first_contact_due_at"))
        | Q(status__in=open_values, **within("completion_due_at"))
    )


def scope_filter(worker: Worker) -> Q | None:
    """The cases ``worker`` may see, as a query (None: every case); mirrors ``may_see``."""
    if worker.role == WorkerRole.DISPATCHER:
        return None
    scope = Q(worker_id=worker.id)
    if worker.unit_id is not None:
        scope |= Q(unit_id=worker.unit_id)
    if worker.role == WorkerRole.GRID_WORKER and worker.grid_id is not None:
        scope |= Q(grid_id=worker.grid_id)
    return scope


def case_summary(
    case: Case,
    now: datetime,
    units: dict[int, Unit],
    grids: dict[int, Grid],
    workers: dict[int, Worker],
) -> dict[str, Any]:
    upcoming = next_deadline(case)
    return {
        **case_basics(case, units, grids, workers),
        "returned_count": case.returned_count,
        "created_at": iso(case.created_at),
        "sign_due_at": iso(case.sign_due_at),
        "first_contact_due_at": iso(case.first_contact_due_at),
        "completion_due_at": iso(case.completion_due_at),
        "next_deadline": {"kind": upcoming[0], "at": iso(upcoming[1])} if upcoming else None,
        "overdue": is_overdue(case, now),
    }


def shows_contact(worker: Worker, case: Case) -> bool:
    """The resident's phone: only once the case is signed, and only to whoever handles it."""
    if case.signed_at is None:
        return False
    return worker.role == WorkerRole.DISPATCHER or may_handle(worker, case)


def view_of(query: Mapping[str, str]) -> CaseView:
    """The case view a request asks for; ApiError 400 if it cannot be used."""
    try:
        return CaseView.of(query)
    except BadView as problem:
        raise ApiError(400, "invalid_request", str(problem)) from None


def event_json(
    event: CaseEvent, reveal: bool, workers: dict[int, Worker], view: CaseView | None = None
) -> dict[str, Any]:
    data = {k: v for k, v in (event.data or {}).items() if k in SHOWN_EVENT_DATA}
    actor = event.actor_type
    if event.actor_type == "worker" and event.actor_id.isdigit():
        person = workers.get(int(event.actor_id))
        actor = person.name if person else "工作人员"
    elif event.actor_type == "resident":
        actor = "居民"
    elif event.actor_type == "system":
        actor = "系统"
    try:
        label = CaseAction(event.action).label
    except ValueError:
        label = event.action
    note = fold_note(event.note, view or CaseView(), mask=not reveal)
    return {
        "id": event.id,
        "at": iso(event.at),
        "action": event.action,
        "action_label": label,
        "actor_type": event.actor_type,
        "actor": actor,
        "from_status": event.from_status,
        "to_status": event.to_status,
        "note": note.text,
        "note_folded": note.folded,
        "data": data,
    }


def actions_for(worker: Worker, case: Case) -> list[str]:
    if not may_handle(worker, case):
        return []
    status = CaseStatus(case.status)
    actions = [a.value for a in allowed_actions(status) if a in WORKER_ACTIONS]
    if status in HANDLING:
        actions.append("extension")
    return actions


async def case_detail(
    case: Case, worker: Worker, now: datetime, view: CaseView | None = None
) -> dict[str, Any]:
    view = view or CaseView()
    page = await timeline_page(CaseEvent.filter(case_id=case.id), view)
    events = page.events
    actor_ids = {
        int(e.actor_id) for e in events if e.actor_type == "worker" and e.actor_id.isdigit()
    }
    units, grids, workers = await related_names([case])
    for person in await Worker.filter(id__in=actor_ids) if actor_ids else []:
        workers[person.id] = person
    reveal = shows_contact(worker, case)
    phone = case.contact_phone
    pending = await ExtensionRequest.get_or_none(case_id=case.id, status=ExtensionStatus.PENDING)
    asked_back = await ReturnRequest.get_or_none(case_id=case.id, status=ExtensionStatus.PENDING)
    detail = case_summary(case, now, units, grids, workers)
    detail.update(
        {
            **content_fields(case.text, case.attachments, view, mask=not reveal),
            "contact_phone": (phone if reveal else mask_phone(phone)) if phone else None,
            "contact_phone_masked": bool(phone) and not reveal,
            "address": case.address,
            "street": case.street,
            "compound": case.compound,
            "lng": case.lng,
            "lat": case.lat,
            "dispatched_at": iso(case.dispatched_at),
            "signed_at": iso(case.signed_at),
            "first_contact_at": iso(case.first_contact_at),
            "completed_at": iso(case.completed_at),
            "result": case.result,
            "result_attachments": case.result_attachments,
            "pending_extension": extension_json(pending) if pending else None,
            "pending_return": return_json(asked_back) if asked_back else None,
            "actions": actions_for(worker, case),
            "timeline": [event_json(e, reveal, workers, view) for e in events],
            **page.fields(),
        }
    )
    return detail


def extension_json(request: ExtensionRequest, number: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": request.id,
        "hours": request.hours,
        "reason": request.reason,
        "status": ExtensionStatus(request.status).value,
        "worker_id": request.worker_id,
        "created_at": iso(request.created_at),
        "decided_by": request.decided_by_id,
        "decided_at": iso(request.decided_at),
        "note": request.note,
        "new_due_at": iso(request.new_due_at),
        "late": request.late,
    }
    if number is not None:
        body["case"] = number
    return body


def return_json(request: ReturnRequest, number: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": request.id,
        "reason": request.reason,
        "status": ExtensionStatus(request.status).value,
        "worker_id": request.worker_id,
        "suggested_unit_id": request.suggested_unit_id,
        "created_at": iso(request.created_at),
        "decided_at": iso(request.decided_at),
        "note": request.note,
    }
    if number is not None:
        body["case"] = number
    return body
