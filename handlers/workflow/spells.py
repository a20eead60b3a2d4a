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

Every new spell and every moved deadline is a ``CaseEvent`` with the action ``deadline``
(``models.CaseAction.DEADLINE``): its actor is who caused it and ``data`` says why, with the
deadlines as ISO strings.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from handlers.clock import format_local
from handlers.context import HandlerContext
from handlers.timeline import Actor, record_event
from handlers.workflow.deadlines import Deadlines, deadlines_for
from models import Case, CaseAction, UnitSpell


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


async def close_spell(case_id: int, now: datetime, reason: str) -> int:
    """End the case's open spell (if any) with ``reason``; how many were closed."""
    return await UnitSpell.filter(case_id=case_id, ended_at__isnull=True).update(
        ended_at=now, end_reason=reason
    )


async def open_spell(
    case: Case,
    unit_id: int,
    actor: Actor,
    ctx: HandlerContext,
    *,
    why: str,
    previous_end: str = "reassigned",
    deadlines: Deadlines | None = None,
    reopened: bool = False,
) -> UnitSpell:
    """The case reached ``unit_id`` now: close the previous spell, open this one, say so.

    ``deadlines`` are what the caller set on the case (``unit_deadlines`` when None). Call
    inside the caller's transaction, after the case was moved.
    """
    deadlines = deadlines or unit_deadlines(case, ctx)
    await close_spell(case.id, ctx.now, previous_end)
    spell = await UnitSpell.create(
        case_id=case.id,
        unit_id=unit_id,
        started_at=ctx.now,
        sign_due_at=None if reopened else deadlines.sign,
        first_contact_due_at=None if reopened else deadlines.first_contact,
        completion_due_at=deadlines.completion,
    )
    data: dict[str, Any] = {
        "kind": "spell",
        "why": why,
        "spell": spell.id,
        "unit": unit_id,
        "sign": _iso(spell.sign_due_at),
        "first_contact": _iso(spell.first_contact_due_at),
        "completion": _iso(spell.completion_due_at),
    }
    await record_event(
        case,
        CaseAction.DEADLINE,
        actor,
        ctx.now,
        from_status=None,
        to_status=None,
        note=f"{why}：办理期限自{format_local(ctx.now)}起算",
        data=data,
    )
    return spell


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


async def spell_contacted(case_id: int, now: datetime) -> None:
    """The first contact of the open spell (later contacts leave it alone)."""
    await UnitSpell.filter(
        case_id=case_id, ended_at__isnull=True, first_contact_at__isnull=True
    ).update(first_contact_at=now)


async def spell_completed(case_id: int, now: datetime) -> None:
    await UnitSpell.filter(case_id=case_id, ended_at__isnull=True).update(completed_at=now)
