"""A resident withdraws a case that nobody has signed for yet (撤销)."""

from __future__ import annotations

from datetime import datetime

from config import replies
from handlers.timeline import Actor, apply_action
from handlers.workflow.spells import close_spell
from models import Case, CaseAction, CaseStatus, Resident
from models.case_status import RESIDENT_CANCELLABLE


async def cancellable_cases(resident: Resident) -> list[Case]:
    return await Case.filter(
        resident_id=resident.id, status__in=[s.value for s in RESIDENT_CANCELLABLE]
    ).order_by("-created_at")


async def cancel_case(resident: Resident, number: str | None, now: datetime) -> str:
    if number is None:
        cases = await cancellable_cases(resident)
        if not cases:
            return replies.NOTHING_TO_CANCEL
        lines = "\n".join(f"{c.number}｜{c.title}" for c in cases[:5])
        return replies.CANCEL_WHICH.format(lines=lines)
    case = await Case.get_or_none(number=number, resident_id=resident.id)
    if case is None:
        return replies.CASE_NOT_FOUND.format(number=number)
    status = CaseStatus(case.status)
    if status is CaseStatus.CANCELLED:
        return replies.CANCELLED.format(number=number)
    if status not in RESIDENT_CANCELLABLE:
        return replies.CANNOT_CANCEL.format(number=number, status=status.label)
    await apply_action(
        case,
        CaseAction.CANCEL,
        Actor("resident", resident.openid),
        now,
        note="居民撤销",
        changes={"closed_at": now},
    )
    await close_spell(case.id, now, "cancelled")
    return replies.CANCELLED.format(number=number)
