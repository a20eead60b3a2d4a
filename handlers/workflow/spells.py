"""The unit's own deadlines: a case's spell with each unit that holds it (``models.UnitSpell``).

Every time a case reaches a unit (派单 by a routing rule or by hand, 改派, a 退单 approved
straight to another unit) a spell opens with the sign, first-contact and completion deadlines
counted from THAT moment by the SLA rules (``handlers.workflow.deadlines``), and the case's own
due columns take them. The previous spell closes with why it ended:

==============  ==========================================================================
end_reason      the case left the unit because
==============  ==========================================================================
returned        the centre approved the unit's 退单
reassigned      a dispatcher or a routing rule moved it elsewhere (改派)
reopened        重办: the spell is closed and a new one opens for the same unit
merged          并案 into another case
invalid         closed as 不予受理
cancelled       the resident withdrew it
==============  ==========================================================================

The open spell (``ended_at`` empty) gets ``first_contact_at`` on the first contact and
``completed_at`` on 办结, so a unit is judged by what it did by its own deadlines; a finished
spell stays open until the case moves again (重办, merge ...). A spell reopened for 重办 owes
only the completion: it has no sign or first-contact deadline.

Every deadline change is a ``CaseEvent`` with who (its actor) and why: a new spell is recorded
by the event that moved the case (派单, 改派, 重办; its note and reason say why), whose ``data``
holds ``deadlines`` (sign, first_contact, completion as ISO strings, :func:`deadline_data`); a
deadline moved without the case moving (an approved 延期) is an event of its own with the
action ``deadline`` (``models.CaseAction.DEADLINE``), ``data`` holding why, old and new.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from handlers.clock import format_local
from handlers.context import HandlerContext
from handlers.timeline import Actor, record_event
from handlers.workflow.deadlines import Deadlines, deadlines_for
from models import Case, CaseAction, ExtensionRequest, ExtensionStatus, ReturnRequest, UnitSpell


def unit_deadlines(case: Case, ctx: HandlerContext) -> Deadlines:
    """The deadlines a unit receiving ``case`` now owes, by the case's kind and grade."""
    return deadlines_for(case.kind, case.urgency, case.difficult, ctx.now, ctx.sla)


def due_columns(deadlines: Deadlines) -> dict[str, datetime]:
    """The case's due columns for ``deadlines`` (to pass to ``apply_action`` as changes)."""
    return {
        "sign_due_at": deadlines.sign,
        "first_contact_due_at": deadlines.first_contact,
        "completion_due_at": deadlines.completion,
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


END_LABELS = {
    "returned": "退单",
    "reassigned": "改派",
    "reopened": "重办",
    "merged": "并案",
    "invalid": "不予受理",
    "cancelled": "撤销",
    "completed": "办结",
}


async def lapse_requests(case_id: int, now: datetime, reason: str) -> None:
    """What the unit asked and the centre had not decided lapses when the case moves on.

    A pending 退单 is then granted in effect (the case left the unit: ``approved``, never a
    不合理退单); a pending 延期 is void (``refused``, not ``late``, so never counted).
    """
    label = END_LABELS.get(reason, reason)
    await ReturnRequest.filter(case_id=case_id, status=ExtensionStatus.PENDING).update(
        status=ExtensionStatus.APPROVED, decided_at=now, note=f"诉求已{label}，申请了结"
    )
    await ExtensionRequest.filter(case_id=case_id, status=ExtensionStatus.PENDING).update(
        status=ExtensionStatus.REFUSED, decided_at=now, note=f"诉求已{label}，申请作废"
    )


async def close_spell(case_id: int, now: datetime, reason: str) -> int:
    """End the case's open spell (if any) with ``reason``, and let what the unit asked lapse;
    how many spells were closed."""
    await lapse_requests(case_id, now, reason)
    return await UnitSpell.filter(case_id=case_id, ended_at__isnull=True).update(
        ended_at=now, end_reason=reason
    )


def deadline_data(deadlines: Deadlines, *, reopened: bool = False) -> dict[str, str | None]:
    """The deadlines a spell opens with, for the ``deadlines`` of the event that moved the case."""
    return {
        "sign": None if reopened else _iso(deadlines.sign),
        "first_contact": None if reopened else _iso(deadlines.first_contact),
        "completion": _iso(deadlines.completion),
    }


async def open_spell(
    case: Case,
    unit_id: int,
    ctx: HandlerContext,
    *,
    previous_end: str | None = "reassigned",
    deadlines: Deadlines | None = None,
    reopened: bool = False,
) -> UnitSpell:
    """The case reached ``unit_id`` now: close the previous spell and open this one.

    ``deadlines`` are what the caller set on the case (``unit_deadlines`` when None). Call
    inside the caller's transaction, after the case was moved by an event whose ``data`` holds
    ``deadlines`` (:func:`deadline_data`): that event says who and why.
    """
    deadlines = deadlines or unit_deadlines(case, ctx)
    if previous_end is not None:  # None: a case just made has no spell before this one
        await close_spell(case.id, ctx.now, previous_end)
    return await UnitSpell.create(
        case_id=case.id,
        unit_id=unit_id,
        started_at=ctx.now,
        sign_due_at=None if reopened else deadlines.sign,
        first_contact_due_at=None if reopened else deadlines.first_contact,
        completion_due_at=deadlines.completion,
    )


async def move_completion(
    case: Case,
    old: datetime | None,
    new: datetime,
    actor: Actor,
    ctx: HandlerContext,
    *,
    why: str,
    data: dict[str, Any] | None = None,
) -> None:
    """The open spell's completion deadline moves (an approved 延期); the event says who, why."""
    await UnitSpell.filter(case_id=case.id, ended_at__isnull=True).update(completion_due_at=new)
    await record_event(
        case,
        CaseAction.DEADLINE,
        actor,
        ctx.now,
        from_status=None,
        to_status=None,
        note=f"办结期限延至{format_local(new)}：{why}",
        data={"kind": "extended", "why": why, "old": _iso(old), "new": _iso(new), **(data or {})},
    )


async def follow_case(case: Case) -> None:
    """The case's deadlines were corrected in place (the grade read again before anyone acted,
    ``handlers.intake.refine``): the open spell owes the same."""
    await UnitSpell.filter(case_id=case.id, ended_at__isnull=True).update(
        sign_due_at=case.sign_due_at,
        first_contact_due_at=case.first_contact_due_at,
        completion_due_at=case.completion_due_at,
    )


async def spell_contacted(case_id: int, now: datetime) -> None:
    """The first contact of the open spell (later contacts leave it alone)."""
    await UnitSpell.filter(
        case_id=case_id, ended_at__isnull=True, first_contact_at__isnull=True
    ).update(first_contact_at=now)


async def spell_completed(case_id: int, now: datetime) -> None:
    await UnitSpell.filter(case_id=case_id, ended_at__isnull=True).update(completed_at=now)
