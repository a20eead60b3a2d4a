"""The field visit (四不两直) on 不满意: a task with a deadline, its outcome recorded by staff.

- The first 不满意 of a case (:func:`order_field_visit`, from ``handlers.followup.answers``)
  creates a task for the unit's head (``WorkerRole.UNIT_HEAD``), else for the centre, due
  ``field_visit_working_days`` working days later (整改时限); the unit's supervisors (else its
  head) are told. A second 不满意 adds 督办: the open task is flagged ``supervised`` (or, when the
  first was already reported, a new task is made, flagged), and the case is put under 督办.
- Staff record the outcome (:func:`record_field_visit`): 已整改 or 无法整改, words, photos as
  ``/media`` keys. It closes the task once: a second report, or two at once, is refused with
  409. Capability ``field_visits.record``; audited; on the timeline.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tortoise.transactions import in_transaction

from config import surveys as texts
from handlers.clock import format_local, iso
from handlers.context import HandlerContext
from handlers.residents.media_store import KEY_PATTERN
from handlers.staff.audit import StaffActor, audit
from handlers.staff.permissions import can, may_see_case
from handlers.timeline import Actor, annotate
from handlers.workflow.actions import MAX_TEXT
from handlers.workflow.deadlines import add_working_days
from handlers.workflow.staff_actions import CaseHidden, StaffRefused, staff_actor
from handlers.workflow.tasks import notify_worker
from models import (
    Case,
    FieldVisit,
    FieldVisitOutcome,
    FieldVisitStatus,
    StaffUser,
    Survey,
    Unit,
    Worker,
    WorkerRole,
)

CENTRE = "区城市运行管理中心"  # when the district has no unit of kind "center"
CENTRE_KIND = "center"
MAX_PHOTOS = 9
OUTCOME_LABELS: dict[str, str] = {
    FieldVisitOutcome.RECTIFIED.value: "已整改",
    FieldVisitOutcome.UNRECTIFIABLE.value: "无法整改",
}


@dataclass(frozen=True)
class Ordered:
    visit: FieldVisit
    told: int  # staff told of it
    supervised: bool  # this 不满意 added 督办


async def _people(unit_id: int | None, roles: Sequence[WorkerRole]) -> list[Worker]:
    if unit_id is None:
        return []
    return await Worker.filter(unit_id=unit_id, role__in=list(roles), active=True).order_by("id")


async def centre_name() -> str:
    """The district's own centre (the first unit of kind ``center``), else the usual name."""
    centre = await Unit.filter(kind=CENTRE_KIND).order_by("id").first()
    return centre.name if centre is not None else CENTRE


def title_of(visit: FieldVisit) -> str:
    """The task's name, as lists and notices show it; 督办 named when flagged."""
    return ("【督办】" if visit.supervised else "") + "实地核查（四不两直）"


async def order_field_visit(
    case: Case, survey: Survey, unsatisfied: int, comment: str, ctx: HandlerContext
) -> Ordered:
    """The task a 不满意 answer makes (the first) or flags 督办 (a second). In its transaction."""
    now = ctx.now
    supervised = unsatisfied >= 2
    visit = (
        await FieldVisit.filter(case_id=case.id, status=FieldVisitStatus.OPEN)
        .order_by("-id")
        .first()
    )
    if visit is not None and supervised and not visit.supervised:
        await FieldVisit.filter(id=visit.id).update(supervised=True, supervised_at=now)
        visit.supervised, visit.supervised_at = True, now
    elif visit is None:
        heads = await _people(case.unit_id, [WorkerRole.UNIT_HEAD])
        head = heads[0] if heads else None
        unit = await Unit.get_or_none(id=case.unit_id) if case.unit_id is not None else None
        visit = await FieldVisit.create(
            case_id=case.id,
            survey_id=survey.id,
            unit_id=case.unit_id,
            assignee_id=head.id if head else None,
            assignee_label=(
                f"{unit.name if unit else ''}{head.name}" if head else await centre_name()
            )[:64],
            due_at=add_working_days(now, ctx.settings.field_visit_working_days),
            supervised=supervised,
            supervised_at=now if supervised else None,
            created_at=now,
        )
    inspectors = await _people(case.unit_id, [WorkerRole.SUPERVISOR]) or await _people(
        case.unit_id, [WorkerRole.UNIT_HEAD]
    )
    notice = texts.FIELD_VISIT_TASK.format(
        task=title_of(visit),
        number=case.number,
        title=" ".join((case.title or "").split())[:20],
        times=unsatisfied,
        comment=comment or texts.NO_COMMENT,
        who=visit.assignee_label,
        due=format_local(visit.due_at),
    )
    told = 0
    for worker in inspectors:
        await notify_worker(
            worker,
            notice,
            ctx,
            purpose="field_visit",
            case_id=case.id,
            dedup_key=f"fieldvisit:{case.id}:{survey.round}:{worker.id}",
        )
        told += 1
    await annotate(
        case,
        Actor.system(),
        now,
        f"第{unsatisfied}次评价不满意，{title_of(visit)}：{visit.assignee_label}，"
        f"整改时限 {format_local(visit.due_at)}",
        {
            "kind": "field_visit",
            "visit": visit.id,
            "survey": survey.id,
            "unsatisfied": unsatisfied,
            "supervised": visit.supervised,
            "due_at": iso(visit.due_at),
            "to": [w.id for w in inspectors],
        },
    )
    return Ordered(visit, told, supervised)


def require_capability(user: StaffUser, capability: str, case: Case) -> None:
    """The account may see ``case`` (else CaseHidden) and holds ``capability`` (else 403)."""
    if not may_see_case(user, case):
        raise CaseHidden(case.number)
    if not can(user, capability):
        raise StaffRefused("您的账号没有此项权限", 403, "forbidden")


def _photos(keys: Sequence[str]) -> list[str]:
    found: list[str] = []
    for key in keys:
        key = key.strip().removeprefix("/media/")
        if not key:
            continue
        if not KEY_PATTERN.match(key):
            raise StaffRefused(f"照片编号无效：{key[:40]}", 400, "invalid_request")
        if key not in found:
            found.append(key)
    if len(found) > MAX_PHOTOS:
        raise StaffRefused(f"最多{MAX_PHOTOS}张照片", 400, "invalid_request")
    return found


async def record_field_visit(
    case: Case,
    visit_id: int,
    outcome: str,
    text: str,
    photos: Sequence[str],
    user: StaffUser,
    actor: StaffActor,
    ctx: HandlerContext,
) -> FieldVisit:
    """The outcome of a field visit: closes the task (once), on the timeline, audited."""
    require_capability(user, "field_visits.record", case)
    if outcome not in OUTCOME_LABELS:
        raise StaffRefused("请选择核查结果：已整改或无法整改", 400, "invalid_request")
    words = " ".join((text or "").split())
    if not words:
        raise StaffRefused("请填写核查情况", 400, "invalid_request")
    if "\x00" in words:  # PostgreSQL text holds no NUL
        raise StaffRefused("核查情况含有无效字符", 400, "invalid_request")
    if len(words) > MAX_TEXT:
        raise StaffRefused(f"核查情况不能超过{MAX_TEXT}字", 400, "invalid_request")
    keys = _photos(photos)
    visit = await FieldVisit.get_or_none(id=visit_id, case_id=case.id)
    if visit is None:
        raise StaffRefused("没有这项实地核查", 404, "not_found")
    now = ctx.now
    label = OUTCOME_LABELS[outcome]
    async with in_transaction():
        claimed = await FieldVisit.filter(id=visit.id, status=FieldVisitStatus.OPEN).update(
            status=FieldVisitStatus.DONE,
            outcome=outcome,
            outcome_text=words,
            photos=keys,
            recorded_by=actor.username,
            recorded_at=now,
        )
        if not claimed:
            raise StaffRefused("这项实地核查已记录结果", 409, "conflict")
        await annotate(
            case,
            staff_actor(actor),
            now,
            f"{title_of(visit)}结果：{label}：{words}",
            {
                "kind": "field_visit_outcome",
                "visit": visit.id,
                "outcome": outcome,
                "text": words,
                "late": now > visit.due_at,
                "attachments": [{"type": "image", "media_key": k} for k in keys],
            },
        )
        await audit(
            actor,
            "field_visit.record",
            now,
            target_type="case",
            target_id=case.number,
            detail={"visit": visit.id, "outcome": outcome, "photos": len(keys)},
        )
    return await FieldVisit.get(id=visit.id)
