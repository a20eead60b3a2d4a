"""A dispatcher sends a case to a unit by hand (派单), or moves it before anyone signed (改派).

Routing rules dispatch most cases on their own; what they cannot place waits in the dispatcher
queue (受理). 首接负责: once a unit has signed for a case it owns it until it is closed or
formally returned (退单), so a signed case cannot be reassigned here. Every move is an event
with its reason, and the new handler gets the task card. The deadlines are the new unit's own,
counted from the moment it receives the case (``handlers.workflow.spells``).
"""

from __future__ import annotations

from dataclasses import dataclass

from config import replies
from handlers.context import HandlerContext
from handlers.timeline import Actor, apply_action
from handlers.workflow.actions import tell_resident
from handlers.workflow.spells import deadline_data, due_columns, open_spell, unit_deadlines
from handlers.workflow.tasks import push_task
from models import Case, CaseAction, CaseEvent, CaseStatus, Unit, Worker


class CannotAssign(ValueError):
    """The case cannot go to that unit or worker now; the message says why."""


@dataclass(frozen=True)
class Target:
    unit: Unit
    worker: Worker | None


async def find_target(unit_code: str, worker_name: str | None = None) -> Target:
    """The unit by code and, optionally, one of its active workers by name."""
    unit = await Unit.get_or_none(code=unit_code, active=True)
    if unit is None:
        raise CannotAssign(f"no active unit with code {unit_code!r}")
    worker = None
    if worker_name:
        worker = await Worker.get_or_none(name=worker_name, unit_id=unit.id, active=True)
        if worker is None:
            raise CannotAssign(f"{unit.name} has no active worker named {worker_name!r}")
    return Target(unit, worker)


async def assign(
    case: Case,
    target: Target,
    actor: Actor,
    reason: str,
    ctx: HandlerContext,
    *,
    previous_end: str = "reassigned",
) -> CaseEvent:
    """派单 a queued case, or 改派 a dispatched one; ``reason`` is required for a reassignment.

    The unit's deadlines count from now (``handlers.workflow.spells``); the previous unit's
    spell, if one is still open, ends with ``previous_end``.
    """
    status = CaseStatus(case.status)
    reason = reason.strip()
    if status is CaseStatus.DISPATCHED:
        if not reason:
            raise CannotAssign("a reassignment needs a reason")
        if case.unit_id == target.unit.id and case.worker_id == (
            target.worker.id if target.worker else None
        ):
            raise CannotAssign(f"case {case.number} is already with {target.unit.name}")
        action = CaseAction.REASSIGN
    elif status is CaseStatus.ACCEPTED:
        action = CaseAction.DISPATCH
    elif status.is_open:
        raise CannotAssign(
            f"case {case.number} was signed for by its unit, which owns it until it is closed "
            "or returned (首接负责): the unit returns it (退单) first"
        )
    else:
        raise CannotAssign(f"case {case.number} is {status.label}, not open for dispatch")
    deadlines = unit_deadlines(case, ctx)
    who = target.unit.name + (f"，{target.worker.name}" if target.worker else "")
    verb = "改派" if action is CaseAction.REASSIGN else "派往"
    event = await apply_action(
        case,
        action,
        actor,
        ctx.now,
        note=f"{verb}{who}" + (f"：{reason}" if reason else ""),
        data={
            "from_unit": case.unit_id,
            "unit": target.unit.code,
            "worker": target.worker.id if target.worker else None,
            "reason": reason,
            "by_hand": True,
            "deadlines": deadline_data(deadlines),
        },
        changes={
            "unit_id": target.unit.id,
            "worker_id": target.worker.id if target.worker else None,
            "dispatched_at": ctx.now,
            **due_columns(deadlines),
        },
    )
    await open_spell(case, target.unit.id, ctx, previous_end=previous_end, deadlines=deadlines)
    if action is CaseAction.REASSIGN:
        told = replies.REASSIGNED.format(number=case.number, unit=target.unit.name)
        await tell_resident(case, told, "reassigned", ctx, once=f"v{case.version}")
    await push_task(case, ctx)
    return event
