"""The centre decides what a unit asked (``handlers.workflow.actions``): 退单 and 延期.

Whoever decides (a staff account on the dashboard or the admin API, a dispatcher pressing the
WeCom card) comes here once the caller has checked ``requests.decide`` in the role table; the
unit that asked never decides its own request.

- a 退单 approved: the case leaves the unit (its spell ends ``returned``, a pending 延期 lapses)
  and waits in the dispatcher queue, or goes straight to the unit the centre chose (改派,
  deadlines counted from now); the resident is told which.
- a 退单 refused (with a reason): nothing changes for the case; the request stays ``refused``,
  a 不合理退单 counted against the unit.
- a 延期 approved: the completion deadline becomes the date asked (the case's and the open
  spell's), a ``deadline`` event says who and why, and the resident is told the new date.
- a 延期 refused (with a reason): nothing changes.

The worker who asked is told the decision either way (``notify_worker``: WeCom, else their
template message).

A request is decided once: the conditional update from ``pending`` lets one of two deciders at
once win, and the other gets :class:`WorkflowConflict`. A request whose case moved on (another
unit holds it, it was finished, returned or closed) cannot be decided either way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from tortoise.transactions import in_transaction

from config import replies
from handlers.clock import format_local
from handlers.context import HandlerContext
from handlers.timeline import Actor, apply_action
from handlers.workflow.actions import (
    HANDLING,
    MAX_TEXT,
    InvalidRequest,
    WorkflowConflict,
    tell_resident,
)
from handlers.workflow.assign import Target, assign
from handlers.workflow.spells import close_spell, move_completion
from handlers.workflow.tasks import notify_worker
from models import (
    Case,
    CaseAction,
    CaseEvent,
    CaseStatus,
    ExtensionRequest,
    ExtensionStatus,
    ReturnRequest,
    Unit,
    Worker,
)

# Where a 退单 may be asked and approved: the unit holds it and has not begun handling it.
RETURNABLE = frozenset({CaseStatus.DISPATCHED, CaseStatus.SIGNED})


@dataclass(frozen=True)
class Decider:
    """Who decides: the timeline's actor and the name kept on the request."""

    actor: Actor
    name: str  # a staff username, or "worker:<id>" for a dispatcher on WeCom


def _note(note: str, approve: bool, what: str) -> str:
    note = (note or "").strip()
    if not approve and not note:
        raise InvalidRequest(f"请填写不同意{what}的理由")
    if len(note) > MAX_TEXT:
        raise InvalidRequest(f"审核意见不能超过{MAX_TEXT}字")
    return note


async def _tell_asker(
    request: ReturnRequest | ExtensionRequest, case: Case, text: str, ctx: HandlerContext
) -> None:
    """The worker who asked hears the decision (WeCom text, else their template, else kept)."""
    asker = await Worker.get_or_none(id=request.worker_id) if request.worker_id else None
    if asker is None or not asker.active:
        return
    kind = "return" if isinstance(request, ReturnRequest) else "extension"
    await notify_worker(
        asker,
        f"诉求 {case.number}：{text}",
        ctx,
        purpose="request_decided",
        case_id=case.id,
        dedup_key=f"decided:{kind}:{request.id}",
    )


def _still_pending(request: ReturnRequest | ExtensionRequest, what: str) -> None:
    if ExtensionStatus(request.status) is not ExtensionStatus.PENDING:
        raise WorkflowConflict(f"这份{what}申请已经审核过了")


async def decide_return(
    request: ReturnRequest,
    approve: bool,
    note: str,
    decider: Decider,
    ctx: HandlerContext,
    *,
    new_unit: Unit | None = None,
    new_worker: Worker | None = None,
    case: Case | None = None,
) -> CaseEvent:
    """Approve (to the queue, or to ``new_unit``: 改派) or refuse a unit's 退单."""
    note = _note(note, approve, "退单")
    _still_pending(request, "退单")
    if case is None or case.id != request.case_id:
        case = await Case.get(id=request.case_id)
    if case.unit_id != request.unit_id or CaseStatus(case.status) not in RETURNABLE:
        raise WorkflowConflict("诉求已不在申请退单的单位或已开始办理，这份申请不能再审核")
    if new_unit is not None and new_unit.id == request.unit_id:
        raise InvalidRequest("不能改派回申请退单的单位")
    if not approve and new_unit is not None:
        raise InvalidRequest("不同意退单时不能改派")
    decision = ExtensionStatus.APPROVED if approve else ExtensionStatus.REFUSED
    unit = await Unit.get_or_none(id=request.unit_id) if request.unit_id else None
    unit_name = unit.name if unit else "承办单位"
    async with in_transaction():
        decided = await ReturnRequest.filter(id=request.id, status=ExtensionStatus.PENDING).update(
            status=decision,
            decided_by_staff=decider.name[:64],
            decided_at=ctx.now,
            note=note,
            new_unit_id=new_unit.id if new_unit else None,
        )
        if not decided:
            raise WorkflowConflict("这份退单申请已经审核过了")
        request.status = decision
        request.decided_by_staff = decider.name[:64]
        request.decided_at = ctx.now
        request.note = note
        request.new_unit_id = new_unit.id if new_unit else None
        data: dict[str, Any] = {
            "request": request.id,
            "reason": request.reason,
            "unit": unit.code if unit else None,
            "decided_by": decider.name,
            "note": note,
        }
        if not approve:
            await _tell_asker(request, case, f"区中心不同意退单：{note}，请继续办理", ctx)
            return await apply_action(
                case,
                CaseAction.ANNOTATE,
                decider.actor,
                ctx.now,
                note=f"区中心不同意{unit_name}退单：{note}",
                data={"kind": "return_refused", **data},
            )
        event = await apply_action(
            case,
            CaseAction.RETURN,
            decider.actor,
            ctx.now,
            note=f"区中心同意{unit_name}退单：{request.reason}" + (f"（{note}）" if note else ""),
            data={"kind": "return_approved", **data},
            changes={
                "unit_id": None,
                "worker_id": None,
                "signed_at": None,
                "dispatched_at": None,
                "returned_count": case.returned_count + 1,
            },
        )
        await close_spell(case.id, ctx.now, "returned")
        await ExtensionRequest.filter(case_id=case.id, status=ExtensionStatus.PENDING).update(
            status=ExtensionStatus.REFUSED, decided_at=ctx.now, note="已退单，申请作废"
        )
        if new_unit is None:
            text = replies.RETURN_APPROVED_QUEUE.format(number=case.number)
        else:
            await assign(
                case,
                Target(new_unit, new_worker),
                decider.actor,
                f"{unit_name}退单，区中心改派",
                ctx,
                previous_end="returned",
            )
            text = replies.RETURN_APPROVED_TO.format(number=case.number, unit=new_unit.name)
        await tell_resident(case, text, "returned", ctx, once=f"r{request.id}")
        await _tell_asker(request, case, "区中心已同意退单", ctx)
        return event


async def decide_extension(
    request: ExtensionRequest,
    approve: bool,
    note: str,
    decider: Decider,
    ctx: HandlerContext,
    *,
    decided_by: Worker | None = None,
    case: Case | None = None,
) -> CaseEvent:
    """Approve (the completion deadline becomes the date asked) or refuse a unit's 延期."""
    note = _note(note, approve, "延期")
    _still_pending(request, "延期")
    if case is None or case.id != request.case_id:
        case = await Case.get(id=request.case_id)
    moved = request.unit_id is not None and case.unit_id != request.unit_id
    if moved or CaseStatus(case.status) not in HANDLING:
        raise WorkflowConflict("诉求已不在申请延期的单位或已不在办理中，这份申请不能再审核")
    decision = ExtensionStatus.APPROVED if approve else ExtensionStatus.REFUSED
    old = case.completion_due_at
    new = request.new_due_at
    if new is None:  # asked before dates were asked for: by hours
        new = (old or ctx.now) + timedelta(hours=request.hours)
    async with in_transaction():
        decided = await ExtensionRequest.filter(
            id=request.id, status=ExtensionStatus.PENDING
        ).update(
            status=decision,
            decided_by_id=decided_by.id if decided_by else None,
            decided_by_staff=decider.name[:64],
            decided_at=ctx.now,
            note=note,
        )
        if not decided:
            raise WorkflowConflict("这份延期申请已经审核过了")
        request.status = decision
        request.decided_by_staff = decider.name[:64]
        request.decided_at = ctx.now
        request.note = note
        data: dict[str, Any] = {
            "kind": f"extension_{decision.value}",
            "request": request.id,
            "hours": request.hours,
            "decided_by": decider.name,
        }
        if not approve:
            data["reason"] = note
            await _tell_asker(request, case, f"区中心不同意延期：{note}，请按期办结", ctx)
            return await apply_action(
                case,
                CaseAction.ANNOTATE,
                decider.actor,
                ctx.now,
                note=f"区中心不同意延期：{note}",
                data=data,
            )
        data.update(old=old.isoformat() if old else None, new=new.isoformat())
        event = await apply_action(
            case,
            CaseAction.ANNOTATE,
            decider.actor,
            ctx.now,
            note=f"区中心同意延期至{format_local(new)}" + (f"：{note}" if note else ""),
            data=data,
            changes={"completion_due_at": new},
            deadline_why=f"延期获批（{request.reason}）" + (f"：{note}" if note else ""),
        )
        await move_completion(
            case,
            old,
            new,
            decider.actor,
            ctx,
            why=f"延期获批（{request.reason}）",
            data={"request": request.id, "decided_by": decider.name},
        )
        text = replies.EXTENDED.format(
            number=case.number, deadline=format_local(new), reason=request.reason
        )
        await tell_resident(case, text, "extended", ctx, once=f"x{request.id}")
        await _tell_asker(request, case, f"区中心同意延期，办结期限为{format_local(new)}", ctx)
        return event
