"""What a worker does with a case: sign, contact the resident, report progress, finish, return,
ask for more time, and what a supervisor does with that request.

Every change goes through :func:`handlers.timeline.apply_action`, so the status machine refuses
illegal moves (IllegalTransition), two people acting at once cannot both win (ConcurrentChange)
and each change is a timeline event with its actor and time. Each action runs in a transaction
of its own (a savepoint when the caller already holds one), so the event, the case and any
message to the resident are written together or not at all.

Who may do what:

- seeing a case (:func:`may_see`): dispatchers see every case, a grid worker the cases of their
  grid, anyone the cases of their unit and the cases assigned to them.
- acting on a case (:func:`may_handle`): the case's unit and the worker it is assigned to.
  首接负责: the unit that signs owns the case until it is closed or formally returned (退单)
  after which it waits in the dispatcher queue and is never routed again automatically.
- deciding an extension: a supervisor or unit head of the case's unit, or a staff account
  allowed to (``handlers.workflow.staff_actions``).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import datetime, timedelta
from typing import Any

from tortoise.transactions import in_transaction

from config import replies
from config.settings import Settings
from handlers.context import HandlerContext
from handlers.followup.schedule import schedule_survey
from handlers.media.worker_photos import NotYourPhoto, claim_photos, own_photos
from handlers.notify import CaseUpdate, notify_resident
from handlers.timeline import Actor, apply_action
from handlers.workflow.deadlines import deadlines_for
from models import (
    Case,
    CaseAction,
    CaseEvent,
    CaseStatus,
    ExtensionRequest,
    ExtensionStatus,
    Resident,
    Unit,
    Worker,
    WorkerRole,
    WorkerToken,
)

logger = logging.getLogger(__name__)

TOKEN_TOUCH_INTERVAL = timedelta(minutes=5)

CONTACT_METHODS = ("phone", "visit", "message")
ATTACHMENT_TYPES = frozenset({"image"})
MAX_ATTACHMENTS = 9
MAX_TEXT = 2000
MAX_EXTENSION_HOURS = 24 * 30
# Statuses in which a case is being handled by its unit: progress, extensions.
HANDLING = frozenset({CaseStatus.SIGNED, CaseStatus.CONTACTED, CaseStatus.IN_PROGRESS})
DECIDERS = frozenset({WorkerRole.SUPERVISOR, WorkerRole.UNIT_HEAD})


class WorkflowError(Exception):
    """A worker's request refused by the rules of the workflow (not by the status machine)."""


class NotAllowed(WorkflowError):
    """The worker may not see or act on this case. Says nothing about the case itself."""


class InvalidRequest(WorkflowError, ValueError):
    """The request itself is wrong (an empty result, an unknown contact method ...)."""


class WorkflowConflict(WorkflowError):
    """The request does not fit the case's present state (a pending extension, a decided one)."""


def worker_actor(worker: Worker) -> Actor:
    return Actor("worker", str(worker.id))


def may_see(worker: Worker, case: Case) -> bool:
    """Whether ``worker`` may read ``case``: their grid, their unit, their own, or a dispatcher."""
    if not worker.active:
        return False
    if worker.role == WorkerRole.DISPATCHER:
        return True
    if case.worker_id is not None and case.worker_id == worker.id:
        return True
    if worker.unit_id is not None and case.unit_id == worker.unit_id:
        return True
    return (
        worker.role == WorkerRole.GRID_WORKER
        and worker.grid_id is not None
        and case.grid_id == worker.grid_id
    )


def may_handle(worker: Worker, case: Case) -> bool:
    """Whether ``worker`` may act on ``case``: a member of its unit or the worker assigned."""
    if not worker.active or worker.role == WorkerRole.DISPATCHER:
        return False
    if case.worker_id is not None and case.worker_id == worker.id:
        return True
    return worker.unit_id is not None and case.unit_id == worker.unit_id


def may_decide(worker: Worker, case: Case) -> bool:
    return (
        worker.active
        and worker.role in DECIDERS
        and worker.unit_id is not None
        and case.unit_id == worker.unit_id
    )


def _check_handler(worker: Worker, case: Case, what: str) -> None:
    if not may_see(worker, case):
        raise NotAllowed("您无权查看或办理此诉求")
    if not may_handle(worker, case):
        raise NotAllowed(f"只有承办单位或被指派的工作人员可以{what}")


def _required_text(value: str, what: str) -> str:
    text = (value or "").strip()
    if not text:
        raise InvalidRequest(f"请填写{what}")
    if len(text) > MAX_TEXT:
        raise InvalidRequest(f"{what}不能超过{MAX_TEXT}字")
    return text


def clean_attachments(attachments: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """Attachment references as stored: ``{type, url}`` or ``{type, media_id}``, images only."""
    items = list(attachments or [])
    if len(items) > MAX_ATTACHMENTS:
        raise InvalidRequest(f"最多上传{MAX_ATTACHMENTS}张照片")
    cleaned: list[dict[str, Any]] = []
    for item in items:
        kind = item.get("type", "image")
        if kind not in ATTACHMENT_TYPES:
            raise InvalidRequest("附件只能是照片（type 为 image）")
        url = str(item.get("url") or "").strip()
        media_id = str(item.get("media_id") or "").strip()
        media_key = str(item.get("media_key") or "").strip()
        if not url and not media_id and not media_key:
            raise InvalidRequest("每张照片需要 url、media_id 或 media_key")
        entry: dict[str, Any] = {"type": kind}
        if url:
            entry["url"] = url
        if media_id:
            entry["media_id"] = media_id
        if media_key:
            entry["media_key"] = media_key  # checked against the worker's uploads
        cleaned.append(entry)
    return cleaned


async def _own_photos(
    worker: Worker, case: Case, photos: list[dict[str, Any]], ctx: HandlerContext
) -> tuple[list[dict[str, Any]], list[int]]:
    """Photos from our store only as the worker's own uploads (``handlers.media.worker_photos``)."""
    try:
        return await own_photos(worker, case, photos, ctx.settings)
    except NotYourPhoto as problem:
        raise InvalidRequest(str(problem)) from None


async def _claim(uploads: list[int], case: Case) -> None:
    try:
        await claim_photos(uploads, case)
    except NotYourPhoto as problem:
        raise InvalidRequest(str(problem)) from None


async def _unit(unit_id: int | None) -> tuple[str, str | None]:
    """The unit's name as people read it, and its code for the event's data."""
    unit = await Unit.get_or_none(id=unit_id) if unit_id is not None else None
    return (unit.name, unit.code) if unit is not None else ("承办单位", None)


async def tell_resident(case: Case, text: str, milestone: str, ctx: HandlerContext) -> None:
    """Tell the case's resident about a milestone once per handling round (重办 starts another)."""
    rid = case.resident_id
    resident = await Resident.get_or_none(id=rid) if rid is not None else None
    if resident is None:
        return
    await notify_resident(
        resident,
        text,
        ctx.now,
        purpose=f"case_{milestone}",
        case_id=case.id,
        dedup_key=f"case:{case.id}:{milestone}:{case.reopened_count}",
        settings=ctx.settings,
        update=CaseUpdate(number=case.number, status=CaseStatus(case.status).label, at=ctx.now),
    )


async def sign_case(case: Case, worker: Worker, ctx: HandlerContext) -> CaseEvent:
    """签收: the case's unit takes it on (首接负责) and the signer becomes its handler."""
    _check_handler(worker, case, "签收")
    async with in_transaction():
        unit_name, unit_code = await _unit(case.unit_id)
        return await apply_action(
            case,
            CaseAction.SIGN,
            worker_actor(worker),
            ctx.now,
            note=f"{unit_name}{worker.name}签收",
            data={
                "unit": unit_code,
                "worker": worker.id,
                "worker_name": worker.name,
            },
            changes={"signed_at": ctx.now, "worker_id": worker.id, "unit_id": case.unit_id},
        )


async def return_case(case: Case, worker: Worker, reason: str, ctx: HandlerContext) -> CaseEvent:
    """退单: a wrongly routed case goes back to the dispatcher queue, with the reason.

    It is not routed again automatically: the same rule would send it to the same unit.
    A pending extension request of the returning unit lapses.
    """
    reason = _required_text(reason, "退单原因")
    _check_handler(worker, case, "退单")
    async with in_transaction():
        unit_name, unit_code = await _unit(case.unit_id)
        event = await apply_action(
            case,
            CaseAction.RETURN,
            worker_actor(worker),
            ctx.now,
            note=f"{unit_name}退单：{reason}",
            data={
                "reason": reason,
                "unit": unit_code,
                "worker": worker.id,
                "worker_name": worker.name,
            },
            changes={
                "unit_id": None,
                "worker_id": None,
                "signed_at": None,
                "dispatched_at": None,
                "returned_count": case.returned_count + 1,
            },
        )
        await ExtensionRequest.filter(case_id=case.id, status=ExtensionStatus.PENDING).update(
            status=ExtensionStatus.REFUSED, decided_at=ctx.now, note="已退单，申请作废"
        )
        return event


async def record_contact(
    case: Case, worker: Worker, method: str, note: str, ctx: HandlerContext
) -> CaseEvent:
    """先行联系: the handler reached the resident. The first contact is timed and told."""
    if method not in CONTACT_METHODS:
        raise InvalidRequest(f"联系方式只能是 {', '.join(CONTACT_METHODS)}")
    note = (note or "").strip()
    if len(note) > MAX_TEXT:
        raise InvalidRequest(f"联系情况不能超过{MAX_TEXT}字")
    _check_handler(worker, case, "记录联系")
    first = case.first_contact_at is None
    label = replies.CONTACT_METHOD_LABELS[method]
    async with in_transaction():
        event = await apply_action(
            case,
            CaseAction.CONTACT,
            worker_actor(worker),
            ctx.now,
            note=f"{label}联系居民" + (f"：{note}" if note else ""),
            data={"method": method, "first": first, "worker": worker.id},
            changes={"first_contact_at": ctx.now} if first else None,
        )
        if first:
            unit_name, _ = await _unit(case.unit_id)
            text = replies.CONTACTED.format(number=case.number, unit=unit_name, method=label)
            await tell_resident(case, text, "contacted", ctx)
        return event


async def add_progress(
    case: Case,
    worker: Worker,
    text: str,
    attachments: list[dict[str, Any]],
    ctx: HandlerContext,
) -> CaseEvent:
    """办理进展: words and photos on the timeline; the case is in progress from now."""
    photos = clean_attachments(attachments)
    text = (text or "").strip()
    if not text and not photos:
        raise InvalidRequest("请填写办理进展或上传照片")
    if len(text) > MAX_TEXT:
        raise InvalidRequest(f"办理进展不能超过{MAX_TEXT}字")
    _check_handler(worker, case, "填写办理进展")
    photos, uploads = await _own_photos(worker, case, photos, ctx)
    async with in_transaction():
        await _claim(uploads, case)
        return await apply_action(
            case,
            CaseAction.PROGRESS,
            worker_actor(worker),
            ctx.now,
            note=text or "上传现场照片",
            data={"attachments": photos, "worker": worker.id},
        )


async def tell_merged(case: Case, result: str, ctx: HandlerContext) -> None:
    """Cases merged into ``case`` (并案) are answered with it: each resident under their number."""
    merged = await Case.filter(duplicate_of_id=case.id, status=CaseStatus.MERGED).order_by("id")
    for other in merged:
        resident = await Resident.get_or_none(id=other.resident_id) if other.resident_id else None
        if resident is None:
            continue
        await notify_resident(
            resident,
            replies.FINISHED_MERGED.format(number=other.number, result=result),
            ctx.now,
            purpose="case_finished",
            case_id=other.id,
            dedup_key=f"case:{other.id}:finished-with:{case.id}:{case.reopened_count}",
            settings=ctx.settings,
            update=CaseUpdate(number=other.number, status=CaseStatus.COMPLETED.label, at=ctx.now),
        )


async def finish_case(
    case: Case,
    worker: Worker,
    result: str,
    attachments: list[dict[str, Any]],
    ctx: HandlerContext,
) -> CaseEvent:
    """办结: the result is recorded, every resident of the case (and its merged cases) told, and
    the case's survey round scheduled (``handlers.followup.surveys``); or, when the result is
    reviewed first (:func:`needs_review`), the case waits as 已办结 with ``review_state`` pending
    and nobody is told yet."""
    result = _required_text(result, "办理结果")
    photos = clean_attachments(attachments)
    _check_handler(worker, case, "办结")
    photos, uploads = await _own_photos(worker, case, photos, ctx)
    async with in_transaction():
        await _claim(uploads, case)
        review = needs_review(case, ctx.settings)
        event = await apply_action(
            case,
            CaseAction.FINISH,
            worker_actor(worker),
            ctx.now,
            note=result,
            data={"result": result, "attachments": photos, "worker": worker.id, "review": review},
            changes={
                "completed_at": ctx.now,
                "result": result,
                "result_attachments": [*(case.result_attachments or []), *photos],
                "review_state": "pending" if review else None,
                "review_requested_at": ctx.now if review else None,
            },
        )
        if review:
            # 办结审核: a dispatcher passes it on (then the resident is told and surveyed) or
            # sends it back (handlers.workflow.review).
            return event
        await tell_resident(
            case, replies.FINISHED.format(number=case.number, result=result), "finished", ctx
        )
        await tell_merged(case, result, ctx)
        # 果必复: the resident is asked, on schedule, whether the result holds.
        await schedule_survey(case, ctx)
        return event


def needs_review(case: Case, settings: Settings) -> bool:
    """Whether a result of ``case`` is reviewed before the survey (``review_results``)."""
    rule = set(settings.review_results.split(","))
    if "all" in rule:
        return True
    return ("difficult" in rule and case.difficult) or (
        "reopened" in rule and case.reopened_count > 0
    )


async def reopen_case(case: Case, actor: Actor, reason: str, ctx: HandlerContext) -> CaseEvent:
    """重办: the result did not hold (an unsatisfied resident, a supervisor's rejection).

    The case goes back to 处理中 with the unit and worker that owned it (首接负责), a fresh
    completion deadline, and a new round of notices for the resident. Callers decide who may.
    """
    reason = _required_text(reason, "重办原因")
    completion = deadlines_for(case.kind, case.urgency, case.difficult, ctx.now, ctx.sla).completion
    async with in_transaction():
        return await apply_action(
            case,
            CaseAction.REOPEN,
            actor,
            ctx.now,
            note=f"重办：{reason}",
            data={"reason": reason, "previous_result": case.result, "new": _iso(completion)},
            changes={
                "reopened_count": case.reopened_count + 1,
                "completed_at": None,
                "result": "",
                "completion_due_at": completion,
            },
        )


async def request_extension(
    case: Case, worker: Worker, hours: int, reason: str, ctx: HandlerContext
) -> ExtensionRequest:
    """延期申请: more time to complete, for a supervisor of the unit to decide. One at a time."""
    if (
        not isinstance(hours, int)
        or isinstance(hours, bool)
        or not 1 <= hours <= MAX_EXTENSION_HOURS
    ):
        raise InvalidRequest(f"延期时长须为 1 到 {MAX_EXTENSION_HOURS} 小时")
    reason = _required_text(reason, "延期原因")
    _check_handler(worker, case, "申请延期")
    status = CaseStatus(case.status)
    if status not in HANDLING:
        raise WorkflowConflict(f"诉求当前为{status.label}，只有已签收、办理中的诉求可以申请延期")
    async with in_transaction():
        if await ExtensionRequest.exists(case_id=case.id, status=ExtensionStatus.PENDING):
            raise WorkflowConflict("此诉求已有待审批的延期申请，请等待审批结果")
        request = await ExtensionRequest.create(
            case_id=case.id,
            worker_id=worker.id,
            hours=hours,
            reason=reason,
            created_at=ctx.now,
        )
        # Through apply_action so that two requests at once cannot both be pending.
        await apply_action(
            case,
            CaseAction.ANNOTATE,
            worker_actor(worker),
            ctx.now,
            note=f"申请延期{hours}小时：{reason}",
            data={"kind": "extension_requested", "request": request.id, "hours": hours},
        )
        return request


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


async def decide_extension(
    request: ExtensionRequest, supervisor: Worker, approve: bool, note: str, ctx: HandlerContext
) -> CaseEvent:
    """A supervisor approves (the completion deadline moves) or refuses (with the reason)."""
    case = await Case.get(id=request.case_id)
    if not may_decide(supervisor, case):
        raise NotAllowed("只有承办单位的督办人或负责人可以审批延期")
    return await record_extension_decision(
        request,
        case,
        worker_actor(supervisor),
        approve,
        note,
        ctx,
        decided_by=supervisor,
        data={"supervisor": supervisor.id},
    )


async def record_extension_decision(
    request: ExtensionRequest,
    case: Case,
    actor: Actor,
    approve: bool,
    note: str,
    ctx: HandlerContext,
    *,
    decided_by: Worker | None,
    data: dict[str, Any] | None = None,
) -> CaseEvent:
    """The decision itself, once the caller has checked who may decide.

    Workers come through :func:`decide_extension`; staff on the dashboard or the admin API
    through ``handlers.workflow.staff_actions`` (``decided_by`` is then the Worker their account is
    linked to, or None, and the event's actor names the staff account).
    """
    note = (note or "").strip()
    if not approve and not note:
        raise InvalidRequest("请填写不同意延期的理由")
    if len(note) > MAX_TEXT:
        raise InvalidRequest(f"审批意见不能超过{MAX_TEXT}字")
    status = CaseStatus(case.status)
    if approve and status not in HANDLING:
        raise WorkflowConflict(f"诉求当前为{status.label}，不能再延期")
    decision = ExtensionStatus.APPROVED if approve else ExtensionStatus.REFUSED
    decider_id = decided_by.id if decided_by is not None else None
    async with in_transaction():
        decided = await ExtensionRequest.filter(
            id=request.id, status=ExtensionStatus.PENDING
        ).update(status=decision, decided_by_id=decider_id, decided_at=ctx.now, note=note)
        if not decided:
            raise WorkflowConflict("这份延期申请已经审批过了")
        request.status = decision
        request.decided_by_id = decider_id
        request.decided_at = ctx.now
        request.note = note
        event_data: dict[str, Any] = {
            "kind": f"extension_{decision.value}",
            "request": request.id,
            "hours": request.hours,
            **(data or {}),
        }
        changes: dict[str, Any] | None = None
        if approve:
            old = case.completion_due_at
            new = (old or ctx.now) + timedelta(hours=request.hours)
            event_data.update(old=_iso(old), new=_iso(new))
            changes = {"completion_due_at": new}
            text = f"同意延期{request.hours}小时" + (f"：{note}" if note else "")
        else:
            event_data["reason"] = note
            text = f"不同意延期：{note}"
        return await apply_action(
            case,
            CaseAction.ANNOTATE,
            actor,
            ctx.now,
            note=text,
            data=event_data,
            changes=changes,
        )


# Tokens for the worker API: shown once when issued, kept only as their SHA-256.


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


async def issue_token(worker: Worker, now: datetime, label: str = "") -> str:
    """A new bearer token for ``worker``. Only its hash is stored: show it to them now."""
    token = secrets.token_urlsafe(32)
    await WorkerToken.create(
        worker_id=worker.id, token_hash=hash_token(token), label=label[:64], created_at=now
    )
    logger.info("issued a worker API token for worker %s (%s)", worker.id, label or "no label")
    return token


async def worker_for_token(token: str, now: datetime) -> Worker | None:
    """The active worker a live token belongs to, or None (unknown, revoked, or inactive)."""
    if not token:
        return None
    row = await WorkerToken.get_or_none(token_hash=hash_token(token), revoked_at=None)
    if row is None:
        return None
    worker = await Worker.get_or_none(id=row.worker_id, active=True)
    if worker is None:
        return None
    if row.last_used_at is None or now - row.last_used_at >= TOKEN_TOUCH_INTERVAL:
        await WorkerToken.filter(id=row.id).update(last_used_at=now)
    return worker


async def revoke_tokens(worker: Worker, now: datetime) -> int:
    """Revoke every live token of ``worker``; how many there were."""
    return await WorkerToken.filter(worker_id=worker.id, revoked_at=None).update(revoked_at=now)
