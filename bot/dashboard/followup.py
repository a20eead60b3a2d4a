"""The case page's 回访 and field visit (四不两直) parts, and the list of field visits.

- On the case page: each survey round with its answer and how it was taken; a form to record an
  answer staff took by phone or face to face (``surveys.record``, for a case 已办结 or 已回访);
  the case's field-visit tasks with their 整改时限, and a form to record one's outcome
  (``field_visits.record``). Forms carry the session's CSRF token and run
  ``handlers.followup.staff_answers`` / ``handlers.followup.field_visits`` (audited there).
- ``/dashboard/field-visits?status=open|done&page=``: the tasks of the cases the account may
  see, earliest deadline first.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from aiohttp import web

from bot.api.staff_auth import StaffContext
from bot.dashboard.web import PREFIX, form_of, int_or_none, page, redirect, refuse, render
from bot.keys import CLOCK, INTAKE
from config import surveys as texts
from handlers.clock import LOCAL_TZ, format_local
from handlers.followup.field_visits import OUTCOME_LABELS, record_field_visit
from handlers.followup.followup_views import case_followup, visible_field_visits
from handlers.followup.staff_answers import ANSWERED_STATUSES, record_staff_answer
from handlers.staff.permissions import can
from handlers.workflow.staff_actions import (
    STAFF_ERRORS,
    CaseHidden,
    StaffRefused,
    refusal_of,
    visible_case,
)
from models import Case, CaseStatus, StaffUser

NOT_FOUND = "没有这个编号的诉求，或不在您的账号可查看的范围内"
PAGE_SIZE = 50
LIST_STATUSES = {"open": "待核查", "done": "已记录结果", "": "全部"}
ShowCase = Callable[[web.Request, StaffContext, str, int], Awaitable[web.StreamResponse]]


def _shown(visits: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The tasks with their deadline in local time, as people read it."""
    return [{**v, "due_local": format_local(datetime.fromisoformat(v["due_at"]))} for v in visits]


async def followup_context(case: Case, user: StaffUser, now: datetime) -> dict[str, Any]:
    """What the case page shows of 回访 and field visits, and which forms it offers."""
    found = await case_followup(case, now)
    found["field_visits"] = _shown(found["field_visits"])
    answered = any(s["answer"] for s in found["surveys"][-1:])
    return {
        "followup": found,
        "record_answer": can(user, "surveys.record")
        and CaseStatus(case.status) in ANSWERED_STATUSES
        and not answered,
        "record_visit": can(user, "field_visits.record"),
        "answer_labels": texts.ANSWER_LABELS,
        "channel_labels": {c: texts.CHANNEL_LABELS[c] for c in texts.STAFF_CHANNELS},
        "outcome_labels": OUTCOME_LABELS,
    }


def _when(value: str) -> datetime | None:
    """The form's datetime-local field, read as Beijing time; empty: now."""
    if not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise StaffRefused("回访时间格式不对", 400, "invalid_request") from None
    return moment.replace(tzinfo=LOCAL_TZ) if moment.tzinfo is None else moment


def add_routes(app: web.Application, show_case: ShowCase) -> None:
    async def act(
        request: web.Request,
        staff: StaffContext,
        done: str,
        action: Callable[[Case, dict[str, str], Any], Awaitable[Any]],
    ) -> web.StreamResponse:
        try:
            case = await visible_case(staff.user, request.match_info["number"])
        except CaseHidden:
            return refuse(request, staff, 404, NOT_FOUND)
        form = await form_of(request)
        ctx = await request.app[INTAKE].context()
        try:
            await action(case, form, ctx)
        except STAFF_ERRORS as error:
            refused = refusal_of(error)
            return await show_case(request, staff, refused.message, refused.status)
        except CaseHidden:
            return refuse(request, staff, 404, NOT_FOUND)
        raise redirect(f"{PREFIX}/cases/{case.number}", ok=done)

    @page("surveys.record")
    async def record_answer(request: web.Request, staff: StaffContext) -> web.StreamResponse:
        async def run(case: Case, form: dict[str, str], ctx: Any) -> None:
            when = _when(form.get("answered_at", ""))
            await record_staff_answer(
                case,
                form.get("answer", ""),
                form.get("channel", ""),
                form.get("note", ""),
                when,
                staff.user,
                staff.actor,
                ctx,
            )

        return await act(request, staff, "survey_recorded", run)

    @page("field_visits.record")
    async def record_visit(request: web.Request, staff: StaffContext) -> web.StreamResponse:
        visit_id = int_or_none(request.match_info["visit_id"])
        if visit_id is None:
            return refuse(request, staff, 404, "没有这项实地核查")

        async def run(case: Case, form: dict[str, str], ctx: Any) -> None:
            photos = form.get("photos", "").replace("，", ",").replace("\n", ",").split(",")
            await record_field_visit(
                case,
                visit_id,
                form.get("outcome", ""),
                form.get("text", ""),
                photos,
                staff.user,
                staff.actor,
                ctx,
            )

        return await act(request, staff, "field_visit_recorded", run)

    @page("cases.read")
    async def visits(request: web.Request, staff: StaffContext) -> web.StreamResponse:
        status = request.query.get("status", "open")
        number = int_or_none(request.query.get("page", "1"))
        if status not in LIST_STATUSES or number is None or not 1 <= number <= 10_000:
            return refuse(request, staff, 400, "筛选条件无效")
        now = request.app[CLOCK].now()
        found = await visible_field_visits(staff.user, status, number, PAGE_SIZE, now)
        found["field_visits"] = _shown(found["field_visits"])
        context = {"title": "实地核查", "found": found, "status": status}
        context["statuses"] = LIST_STATUSES
        return render(request, staff, "field_visits.html", context)

    app.router.add_post(f"{PREFIX}/cases/{{number}}/survey-answer", record_answer)
    app.router.add_post(
        f"{PREFIX}/cases/{{number}}/field-visits/{{visit_id}}/outcome", record_visit
    )
    app.router.add_get(f"{PREFIX}/field-visits", visits)
