"""并案 and 拆分 by hand: a dispatcher joins one open case to another, or undoes a merge.

Intake merges a new report into an open case about the same problem by itself
(:mod:`handlers.intake.duplicates`); only its resident could undo that ("不是同一件事"). Here
staff do both, with ``cases.merge`` in the role table:

- merge (:func:`merge_by_hand`): ``case`` (open, any stage) joins ``target`` (open, not merged
  itself). Refused: the case itself, a target that is closed or merged into a third case, a
  case that others are merged into (split those first: merges never chain, so never circle).
  The case's deadlines stop (the target's run); its resident is told which case it joined.
- split (:func:`split_by_hand`): a merged case goes back to 受理 with fresh deadlines and is
  routed again; its resident is told.

Both timelines say so; each is an audit event, and a merge a :class:`models.CaseLink` of kind
``merge`` (``ended_at`` once split) so the figures can follow it: a case merged by hand is
counted under 集中诉求 (``duplicate_of``) like an automatic merge.
"""

from __future__ import annotations

from tortoise.transactions import in_transaction

from config import replies
from handlers.context import HandlerContext
from handlers.intake.duplicates import split_case
from handlers.intake.report import dispatch_if_possible
from handlers.staff.audit import StaffActor, audit
from handlers.timeline import apply_action
from handlers.workflow.actions import tell_resident
from handlers.workflow.spells import close_spell
from handlers.workflow.staff_actions import StaffRefused, staff_actor
from handlers.workflow.staff_actions import _reason as reason_text
from handlers.workflow.staff_actions import _require as require
from models import Case, CaseAction, CaseEvent, CaseLink, CaseStatus, LinkKind, StaffUser
from models.case_status import OPEN_STATUSES


async def merge_by_hand(
    case: Case,
    target_number: str,
    user: StaffUser,
    actor: StaffActor,
    ctx: HandlerContext,
    reason: str = "",
) -> CaseEvent:
    """并案: ``case`` joins the open case numbered ``target_number``."""
    require(user, "cases.merge", case)
    reason = reason_text(reason, "并案原因")
    number = target_number.strip()
    if number == case.number:
        raise StaffRefused("不能把诉求并入它自己", 400, "invalid_request")
    ok = bool(number) and "\x00" not in number
    target = await Case.get_or_none(number=number[:16]) if ok else None
    if target is None:
        raise StaffRefused("没有这个编号的目标诉求", 400, "invalid_request")
    require(user, "cases.merge", target)
    if CaseStatus(case.status) not in OPEN_STATUSES:
        raise StaffRefused(
            f"诉求当前为{CaseStatus(case.status).label}，不能并案", 409, "illegal_transition"
        )
    if CaseStatus(target.status) not in OPEN_STATUSES or target.duplicate_of_id is not None:
        label = CaseStatus(target.status).label
        raise StaffRefused(f"目标诉求当前为{label}，只能并入办理中的诉求", 409, "conflict")
    if await Case.exists(duplicate_of_id=case.id, status=CaseStatus.MERGED):
        raise StaffRefused("已有诉求并入这条诉求，请先拆分它们", 409, "conflict")
    async with in_transaction():
        # Both rows change under their version, the lower id first: two opposite merges at
        # once cannot both win (one gets ConcurrentChange), and never deadlock.
        if target.id < case.id:
            await _note_target(target, case, actor, reason, ctx)
        event = await apply_action(
            case,
            CaseAction.MERGE,
            staff_actor(actor),
            ctx.now,
            note=f"与诉求 {target.number} 为同一问题，并案办理" + (f"：{reason}" if reason else ""),
            data={"original": target.number, "by_hand": True, "reason": reason},
            changes={
                "duplicate_of_id": target.id,
                "sign_due_at": None,
                "first_contact_due_at": None,
                "completion_due_at": None,
            },
        )
        # The unit that had it is judged no further on it (a spell ended before its deadlines
        # is not due), as for a merge made by intake (handlers.intake.duplicates).
        await close_spell(case.id, ctx.now, "merged")
        if target.id > case.id:
            await _note_target(target, case, actor, reason, ctx)
        await CaseLink.create(
            kind=LinkKind.MERGE,
            case_id=target.id,
            other_id=case.id,
            unit_id=target.unit_id,
            same_resident=case.resident_id is not None and case.resident_id == target.resident_id,
            actor=f"staff:{actor.username}"[:80],
            at=ctx.now,
        )
        text = replies.STAFF_MERGED.format(
            number=case.number, original=target.number, title=target.title
        )
        await tell_resident(case, text, f"merged-{event.id}", ctx)
        await audit(
            actor,
            "case.merge",
            ctx.now,
            target_type="case",
            target_id=case.number,
            detail={"into": target.number, "reason": reason},
        )
    return event


async def _note_target(
    target: Case, case: Case, actor: StaffActor, reason: str, ctx: HandlerContext
) -> None:
    await apply_action(
        target,
        CaseAction.ANNOTATE,
        staff_actor(actor),
        ctx.now,
        note=f"诉求 {case.number} 并入本诉求办理",
        data={"kind": "merged_by_hand", "case": case.number, "reason": reason},
    )


async def split_by_hand(
    case: Case, user: StaffUser, actor: StaffActor, ctx: HandlerContext, reason: str = ""
) -> CaseEvent:
    """拆分: a merged case is handled on its own again, routed afresh."""
    require(user, "cases.merge", case)
    reason = reason_text(reason, "拆分原因")
    if case.status != CaseStatus.MERGED:
        label = CaseStatus(case.status).label
        raise StaffRefused(f"诉求当前为{label}，没有并案，无需拆分", 409, "conflict")
    original = await Case.get_or_none(id=case.duplicate_of_id) if case.duplicate_of_id else None
    async with in_transaction():
        await split_case(case, staff_actor(actor), ctx, reason or "经核实不是同一问题，单独办理")
        await CaseLink.filter(kind=LinkKind.MERGE, other_id=case.id, ended_at=None).update(
            ended_at=ctx.now
        )
        await dispatch_if_possible(case, ctx.routing.grid_by_id(case.grid_id), ctx)
        event = (
            await CaseEvent.filter(case_id=case.id, action=CaseAction.SPLIT.value)
            .order_by("-id")
            .first()
        )
        assert event is not None
        text = replies.STAFF_SPLIT.format(
            number=case.number, original=original.number if original else "原诉求"
        )
        await tell_resident(case, text, f"split-{event.id}", ctx)
        await audit(
            actor,
            "case.split",
            ctx.now,
            target_type="case",
            target_id=case.number,
            detail={"from": original.number if original else None, "reason": reason},
        )
    return event
