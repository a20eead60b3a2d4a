"""不予受理: staff close an open case as no case, and an admin may undo it (恢复受理).

Closing (``cases.invalidate``: admins, dispatchers, supervisors for the cases of their unit) takes
a reason from ``config/invalid.py`` (``其他`` needs a note). In one transaction the case becomes
``invalid``, its deadlines are cleared (the escalation sweeps run only on open cases and the
survey sweep only on completed ones, so nothing is chased or asked), the timeline and the audit
trail record it, and the resident is told in neutral words through the outbox (and the case's
handler, if it had one, that it need not be handled).

Undoing (``cases.restore``: admins) needs a reason; the case goes back to 受理 without a unit,
with fresh deadlines from the moment of the undo (as a split case does), so the dispatcher
sends it on afresh. The resident is told it is handled after all.

Figures: an invalid case leaves the denominators of the rates and is counted apart
(``handlers/figures/compute.py``).
"""

from __future__ import annotations

from tortoise.transactions import in_transaction

from config import invalid as texts
from handlers.context import HandlerContext
from handlers.staff.audit import StaffActor, audit
from handlers.staff.permissions import can, may_see_case
from handlers.timeline import apply_action
from handlers.workflow.actions import tell_resident
from handlers.workflow.deadlines import deadlines_for
from handlers.workflow.spells import close_spell
from handlers.workflow.staff_actions import NO_PERMISSION, CaseHidden, StaffRefused, staff_actor
from handlers.workflow.tasks import notify_worker
from models import Case, CaseAction, CaseEvent, CaseStatus, StaffUser, Worker

DEADLINES_CLEARED = {
    "sign_due_at": None,
    "first_contact_due_at": None,
    "completion_due_at": None,
    "survey_due_at": None,
}


def _require(user: StaffUser, capability: str, case: Case) -> None:
    if not may_see_case(user, case):
        raise CaseHidden(case.number)
    if not can(user, capability):
        raise StaffRefused(NO_PERMISSION, 403, "forbidden")


def checked_reason(code: str, note: str) -> tuple[texts.InvalidReason, str]:
    """The reason and the cleaned note, or :class:`StaffRefused` (400) saying what to fix."""
    reason = texts.REASONS_BY_CODE.get((code or "").strip())
    if reason is None:
        raise StaffRefused(texts.UNKNOWN_REASON, 400, "invalid_request")
    note = (note or "").strip()
    if reason.needs_note and not note:
        raise StaffRefused(texts.NOTE_REQUIRED, 400, "invalid_request")
    if len(note) > texts.MAX_NOTE:
        raise StaffRefused(texts.NOTE_TOO_LONG, 400, "invalid_request")
    return reason, note


async def invalidate_case(
    case: Case,
    code: str,
    note: str,
    user: StaffUser,
    actor: StaffActor,
    ctx: HandlerContext,
) -> CaseEvent:
    """不予受理 with a reason from the list; see the module's note for what it does."""
    _require(user, "cases.invalidate", case)
    reason, note = checked_reason(code, note)
    status = CaseStatus(case.status)
    if status is CaseStatus.INVALID:
        raise StaffRefused("这条诉求已是不予受理", 409, "unchanged")
    if not status.is_open:
        raise StaffRefused(f"诉求当前为{status.label}，不能不予受理", 409, "illegal_transition")
    async with in_transaction():
        return await close_as_invalid(case, reason, note, actor, ctx, from_status=status)


async def close_as_invalid(
    case: Case,
    reason: texts.InvalidReason,
    note: str,
    actor: StaffActor,
    ctx: HandlerContext,
    *,
    from_status: CaseStatus,
    told: str | None = None,
) -> CaseEvent:
    """Close an open case as invalid (checked by the caller), inside the caller's transaction.

    ``told``: what the resident reads instead of the neutral notice (a case turned into a
    suggestion is told its new number in the same message: ``handlers.suggestions.conversion``).
    """
    event = await apply_action(
        case,
        CaseAction.INVALIDATE,
        staff_actor(actor),
        ctx.now,
        note=f"不予受理：{reason.label}" + (f"（{note}）" if note else ""),
        data={"reason": reason.code, "label": reason.label, "note": note},
        changes={**DEADLINES_CLEARED, "invalid_reason": reason.code, "closed_at": ctx.now},
    )
    await close_spell(case.id, ctx.now, "invalid")
    await audit(
        actor,
        "case.invalidate",
        ctx.now,
        target_type="case",
        target_id=case.number,
        detail={"reason": reason.code, "note": note, "from": from_status.value},
    )
    if told is None:
        told = texts.RESIDENT_NOTICE.format(number=case.number, reason=reason.told)
    await tell_resident(case, told, f"invalid{case.version}", ctx)
    worker = await Worker.get_or_none(id=case.worker_id) if case.worker_id else None
    if worker is not None:  # the handler stops working on it
        await notify_worker(
            worker,
            texts.WORKER_NOTICE.format(number=case.number, reason=reason.label),
            ctx,
            purpose="task_invalid",
            case_id=case.id,
            dedup_key=f"case:{case.id}:invalid{case.version}:worker",
        )
    return event


async def restore_case(
    case: Case, note: str, user: StaffUser, actor: StaffActor, ctx: HandlerContext
) -> CaseEvent:
    """恢复受理: an admin undoes 不予受理; the case waits in the dispatch queue again."""
    _require(user, "cases.restore", case)
    note = (note or "").strip()
    if not note:
        raise StaffRefused(texts.RESTORE_REASON_REQUIRED, 400, "invalid_request")
    if len(note) > texts.MAX_NOTE:
        raise StaffRefused(texts.NOTE_TOO_LONG, 400, "invalid_request")
    if case.status != CaseStatus.INVALID:
        label = CaseStatus(case.status).label
        raise StaffRefused(f"诉求当前为{label}，不是不予受理", 409, "illegal_transition")
    previous = case.invalid_reason
    deadlines = deadlines_for(case.kind, case.urgency, case.difficult, ctx.now, ctx.sla)
    async with in_transaction():
        event = await apply_action(
            case,
            CaseAction.RESTORE,
            staff_actor(actor),
            ctx.now,
            note=f"恢复受理：{note}",
            data={"reason": note, "was": previous},
            changes={
                "invalid_reason": None,
                "closed_at": None,
                "unit_id": None,
                "worker_id": None,
                "escalation_level": 0,
                "sign_due_at": deadlines.sign,
                "first_contact_due_at": deadlines.first_contact,
                "completion_due_at": deadlines.completion,
            },
        )
        await audit(
            actor,
            "case.restore",
            ctx.now,
            target_type="case",
            target_id=case.number,
            detail={"reason": note, "was": previous},
        )
        told = texts.RESTORED_NOTICE.format(number=case.number)
        await tell_resident(case, told, f"restored{case.version}", ctx)
    return event
