"""What staff see of a case's 回访 and field visits (the admin API and the dashboard alike)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from config import surveys as texts
from handlers.clock import iso
from handlers.followup.field_visits import OUTCOME_LABELS, title_of
from handlers.staff.permissions import sees_every_case
from models import Case, FieldVisit, FieldVisitStatus, StaffRole, StaffUser, Survey


def survey_json(survey: Survey) -> dict[str, Any]:
    """A round: its answer, and how it was taken (answers from before channels were kept, and
    every resident's own answer, came by WeChat)."""
    answer = survey.answer.value if survey.answer else None
    channel = survey.channel or ("wechat" if answer else "")
    return {
        "id": survey.id,
        "round": survey.round,
        "status": str(survey.status),
        "answer": answer,
        "answer_label": texts.ANSWER_LABELS.get(answer or "", ""),
        "comment": survey.comment,
        "channel": channel,
        "channel_label": texts.CHANNEL_LABELS.get(channel, ""),
        "source": survey.answer_source,
        "recorded_by": survey.recorded_by,
        "answered_at": iso(survey.answered_at),
        "late": survey.late,
    }


def visit_json(visit: FieldVisit, case_number: str, now: datetime) -> dict[str, Any]:
    return {
        "id": visit.id,
        "case": case_number,
        "task": title_of(visit),
        "status": str(visit.status),
        "assignee": visit.assignee_label,
        "assignee_worker_id": visit.assignee_id,
        "due_at": iso(visit.due_at),
        "overdue": visit.status == FieldVisitStatus.OPEN and visit.due_at < now,
        "supervised": visit.supervised,
        "outcome": visit.outcome,
        "outcome_label": OUTCOME_LABELS.get(visit.outcome, ""),
        "outcome_text": visit.outcome_text,
        "photos": [f"/media/{key}" for key in visit.photos or []],
        "recorded_by": visit.recorded_by,
        "recorded_at": iso(visit.recorded_at),
        "created_at": iso(visit.created_at),
    }


async def case_followup(case: Case, now: datetime) -> dict[str, Any]:
    surveys = await Survey.filter(case_id=case.id).order_by("round", "id")
    visits = await FieldVisit.filter(case_id=case.id).order_by("created_at", "id")
    return {
        "case": case.number,
        "status": str(case.status),
        "supervised": case.supervised,
        "surveys": [survey_json(s) for s in surveys],
        "field_visits": [visit_json(v, case.number, now) for v in visits],
    }


async def visible_field_visits(
    user: StaffUser, status: str, page: int, size: int, now: datetime
) -> dict[str, Any]:
    """One page of the tasks of the cases ``user`` may see, earliest deadline first."""
    query = FieldVisit.all()
    if not sees_every_case(user):
        role = StaffRole(user.role)
        if role in (StaffRole.SUPERVISOR, StaffRole.UNIT) and user.unit_id is not None:
            query = query.filter(case__unit_id=user.unit_id)
        elif user.worker_id is not None:
            query = query.filter(case__worker_id=user.worker_id)
        else:
            query = query.filter(id=-1)
    if status:
        query = query.filter(status=status)
    total = await query.count()
    rows = (
        await query.select_related("case")
        .order_by("due_at", "id")
        .offset((page - 1) * size)
        .limit(size)
    )
    return {
        "field_visits": [visit_json(v, v.case.number, now) for v in rows],
        "total": total,
        "page": page,
        "pages": max(1, -(-total // size)),
    }
