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

Every deadline change is a ``DeadlineChange`` row (which deadline, old, new, when, the actor,
the action that caused it, why, the spell that owes it, the event), written in the same
transaction as the change: ``handlers.timeline.apply_action`` records each due column it
changes (派单, 改派, 重办, an approved 延期, the LLM's re-grading, 不予受理 and 恢复受理, 并案
and 拆分), and :func:`open_spell` makes the deadlines a spell opens with name that spell
(recording those the case row already had). The case page and the admin API show them on the
timeline; the closed-month figures read them for the deadline in force at the month's end.
The event that moved the case also keeps ``deadlines`` in its ``data`` (:func:`deadline_data`),
and an approved 延期 an event of its own with the action ``deadline``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from handlers.clock import format_local
from handlers.context import HandlerContext
from handlers.timeline import DUE_COLUMNS, Actor, record_event
from handlers.workflow.deadlines import Deadlines, deadlines_for
from models import (
    Case,
    CaseAction,
    CaseEvent,
    DeadlineChange,
    ExtensionRequest,
    ExtensionStatus,
    ReturnRequest,
    UnitSpell,
)


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
    spell = await UnitSpell.create(
        case_id=case.id,
        unit_id=unit_id,
        started_at=ctx.now,
        sign_due_at=None if reopened else deadlines.sign,
        first_contact_due_at=None if reopened else deadlines.first_contact,
        completion_due_at=deadlines.completion,
    )
    await _record_opening(case, spell, ctx.now, fresh=previous_end is None)
    return spell


async def _record_opening(case: Case, spell: UnitSpell, now: datetime, *, fresh: bool) -> None:
    """The deadlines ``spell`` opens with are deadline changes of the spell, by the event that
    moved the case: those ``apply_action`` recorded for that event (the case's due columns
    changed) now name the new spell; the others (unchanged on the case, or set when the case
    was made) are recorded here, from none to the spell's. A case just made (``fresh``, the
    intake's hot path) has no change recorded yet: its opening deadlines are the intake's
    (system, 派单), written in one insert without reading its events back."""
    moving = (
        None if fresh else await CaseEvent.filter(case_id=case.id, at=now).order_by("-id").first()
    )
    recorded: dict[int, str] = {}
    if moving is not None:
        rows = await DeadlineChange.filter(event_id=moving.id).values_list("id", "deadline")
        recorded = {int(row_id): str(name) for row_id, name in rows}
    if recorded:
        await DeadlineChange.filter(id__in=list(recorded)).update(spell_id=spell.id)
    actor = Actor(moving.actor_type, moving.actor_id) if moving else Actor.system()
    opening = [
        DeadlineChange(
            case_id=case.id,
            spell_id=spell.id,
            event_id=moving.id if moving else None,
            deadline=name,
            old_at=None,
            new_at=getattr(spell, column),
            at=now,
            actor_type=actor.type,
            actor_id=actor.id,
            cause=moving.action if moving else CaseAction.DISPATCH.value,
            reason=moving.note if moving else "",
        )
        for column, name in DUE_COLUMNS.items()
        if getattr(spell, column) is not None and name not in recorded.values()
    ]
    if opening:
        await DeadlineChange.bulk_create(opening)


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
