"""Field visits past their 整改时限: the people who owe the outcome are told once.

The survey sweep calls :func:`sweep_overdue_field_visits`. An open field visit
(``handlers.followup.field_visits``) whose ``due_at`` has passed is claimed by a conditional
update of ``overdue_notified_at`` (any number of processes may sweep; one wins), and in the same
transaction its assignee (the unit's head), the unit's supervisors and the centre's dispatchers
are told (``config.surveys.FIELD_VISIT_OVERDUE``) and the case's timeline says so. A visit whose
outcome is recorded is never reminded; the lists already mark open visits past due as overdue.
"""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.transactions import in_transaction

from config import surveys as texts
from handlers.clock import format_local, iso
from handlers.context import HandlerContext
from handlers.followup.field_visits import title_of
from handlers.timeline import Actor, annotate
from handlers.workflow.tasks import notify_worker
from models import Case, FieldVisit, FieldVisitStatus, Worker, WorkerRole


@dataclass
class OverdueResult:
    reminded: int = 0  # visits newly past due and reported
    told: int = 0  # people told
    more: bool = False  # stopped at the batch; more wait


async def _recipients(visit: FieldVisit) -> list[Worker]:
    """The assignee, the unit's supervisors, the centre's dispatchers: active, each once."""
    found: dict[int, Worker] = {}
    if visit.assignee_id is not None:
        assignee = await Worker.get_or_none(id=visit.assignee_id, active=True)
        if assignee is not None:
            found[assignee.id] = assignee
    if visit.unit_id is not None:
        for worker in await Worker.filter(
            unit_id=visit.unit_id, role=WorkerRole.SUPERVISOR, active=True
        ).order_by("id"):
            found.setdefault(worker.id, worker)
    for worker in await Worker.filter(role=WorkerRole.DISPATCHER, active=True).order_by("id"):
        found.setdefault(worker.id, worker)
    return list(found.values())


async def sweep_overdue_field_visits(ctx: HandlerContext, *, batch: int = 200) -> OverdueResult:
    now = ctx.now
    result = OverdueResult()
    due = (
        await FieldVisit.filter(
            status=FieldVisitStatus.OPEN, due_at__lt=now, overdue_notified_at__isnull=True
        )
        .order_by("due_at", "id")
        .limit(batch + 1)
    )
    result.more = len(due) > batch
    for visit in due[:batch]:
        async with in_transaction():
            claimed = await FieldVisit.filter(
                id=visit.id, status=FieldVisitStatus.OPEN, overdue_notified_at__isnull=True
            ).update(overdue_notified_at=now)
            if not claimed:
                continue  # recorded meanwhile, or another process reminded it
            case = await Case.get(id=visit.case_id)
            notice = texts.FIELD_VISIT_OVERDUE.format(
                task=title_of(visit),
                number=case.number,
                title=" ".join((case.title or "").split())[:20],
                who=visit.assignee_label,
                due=format_local(visit.due_at),
            )
            people = await _recipients(visit)
            for worker in people:
                await notify_worker(
                    worker,
                    notice,
                    ctx,
                    purpose="field_visit_overdue",
                    case_id=case.id,
                    dedup_key=f"fieldvisit-overdue:{visit.id}:{worker.id}",
                )
            await annotate(
                case,
                Actor.system(),
                now,
                f"{title_of(visit)}已超过整改时限（{format_local(visit.due_at)}），未记录核查结果",
                {
                    "kind": "field_visit_overdue",
                    "visit": visit.id,
                    "due_at": iso(visit.due_at),
                    "to": [w.id for w in people],
                },
            )
        result.reminded += 1
        result.told += len(people)
    return result
