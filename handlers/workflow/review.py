"""办结审核: a dispatcher checks a finished result before the resident is surveyed.

Which results wait for review is the setting ``review_results`` (default: 难 cases and cases
reopened at least once; ``all``; ``off``), read by
:func:`handlers.workflow.actions.needs_review` at 办结. Such a case is 已办结 with
``review_state = "pending"``: its completion is the unit's (``completed_at`` is the time the unit
finished, so review time never counts against it, and the deadline sweep does not look at
finished cases); no survey round exists yet and the resident has not been told.

- pass (:func:`pass_result`): the resident (and those of merged cases) are told the result and
  the survey round is scheduled as after any 办结.
- send back (:func:`send_back_result`, reason required): 审核退回, the case returns to the unit
  as 处理中 with its completion deadline unchanged; the handler and the unit's supervisors are
  told the reason, the resident is told in neutral words that handling goes on.

Who may: ``cases.review`` in the role table. Each decision is claimed by a conditional update
on ``review_state`` (two dispatchers at once: one wins, the other gets 409) and audited.
"""

from __future__ import annotations

from tortoise.transactions import in_transaction

from config import replies
from handlers.clock import format_local
from handlers.context import HandlerContext
from handlers.followup.schedule import schedule_survey
from handlers.staff.audit import StaffActor, audit
from handlers.timeline import annotate, apply_action
from handlers.workflow.actions import tell_merged, tell_resident
from handlers.workflow.staff_actions import StaffRefused, staff_actor
from handlers.workflow.staff_actions import _reason as reason_text
from handlers.workflow.staff_actions import _require as require
from handlers.workflow.tasks import notify_worker
from models import (
    Case,
    CaseAction,
    CaseEvent,
    CaseStatus,
    StaffUser,
    Unit,
    UnitSpell,
    Worker,
    WorkerRole,
)

PENDING = "pending"
PASSED = "passed"
SENT_BACK = "sent_back"


def _check_pending(case: Case) -> None:
    if case.status != CaseStatus.COMPLETED or case.review_state != PENDING:
        raise StaffRefused("这条诉求没有待审核的办理结果", 409, "conflict")


async def _claim(case: Case, state: str) -> None:
    claimed = await Case.filter(id=case.id, review_state=PENDING).update(review_state=state)
    if not claimed:
        raise StaffRefused("办理结果刚被他人审核，请刷新后查看", 409, "conflict")
    case.review_state = state


async def pass_result(
    case: Case, user: StaffUser, actor: StaffActor, ctx: HandlerContext, note: str = ""
) -> CaseEvent:
    """审核通过: the result goes to the resident and the survey is scheduled."""
    require(user, "cases.review", case)
    note = reason_text(note, "审核意见")
    _check_pending(case)
    async with in_transaction():
        await _claim(case, PASSED)
        event = await annotate(
            case,
            staff_actor(actor),
            ctx.now,
            "办结审核通过" + (f"：{note}" if note else ""),
            {"kind": "review_passed", "note": note},
        )
        text = replies.FINISHED.format(number=case.number, result=case.result)
        await tell_resident(case, text, "finished", ctx)
        await tell_merged(case, case.result, ctx)
        await schedule_survey(case, ctx)
        await audit(
            actor,
            "case.review_pass",
            ctx.now,
            target_type="case",
            target_id=case.number,
            detail={"note": note},
        )
    return event


async def send_back_result(
    case: Case, user: StaffUser, actor: StaffActor, ctx: HandlerContext, reason: str
) -> CaseEvent:
    """审核退回: back to the unit, in progress, deadline unchanged; unit and resident told."""
    require(user, "cases.review", case)
    reason = reason_text(reason, "退回原因", required=True)
    _check_pending(case)
    async with in_transaction():
        await _claim(case, SENT_BACK)
        event = await apply_action(
            case,
            CaseAction.SEND_BACK,
            staff_actor(actor),
            ctx.now,
            note=f"办结审核退回：{reason}",
            data={"kind": "review_sent_back", "reason": reason, "previous_result": case.result},
            changes={"completed_at": None, "review_requested_at": None},
        )
        # The unit's spell is not completed either: its completion is judged by the next result.
        await UnitSpell.filter(case_id=case.id, ended_at__isnull=True).update(completed_at=None)
        deadline = format_local(case.completion_due_at) if case.completion_due_at else "近期"
        await _tell_unit(case, reason, deadline, ctx)
        unit = await Unit.get_or_none(id=case.unit_id) if case.unit_id is not None else None
        text = replies.REVIEW_SENT_BACK.format(
            number=case.number, unit=unit.name if unit else "承办单位", deadline=deadline
        )
        await tell_resident(case, text, f"sent-back-{event.id}", ctx)
        await audit(
            actor,
            "case.review_send_back",
            ctx.now,
            target_type="case",
            target_id=case.number,
            detail={"reason": reason},
        )
    return event


async def _tell_unit(case: Case, reason: str, deadline: str, ctx: HandlerContext) -> None:
    notice = replies.REVIEW_SENT_BACK_NOTICE.format(
        number=case.number, title=case.title, reason=reason, deadline=deadline
    )
    people: list[Worker] = []
    if case.worker_id is not None:
        handler = await Worker.get_or_none(id=case.worker_id, active=True)
        people += [handler] if handler is not None else []
    if case.unit_id is not None:
        people += await Worker.filter(
            unit_id=case.unit_id, role=WorkerRole.SUPERVISOR, active=True
        ).order_by("id")
    seen: set[int] = set()
    for worker in people:
        if worker.id in seen:
            continue
        seen.add(worker.id)
        key = f"review-back:{case.id}:{case.version}:{worker.id}"
        await notify_worker(worker, notice, ctx, purpose="review", case_id=case.id, dedup_key=key)
