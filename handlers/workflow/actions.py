"""What a worker does with a case: sign, contact the resident, report progress, finish, ask the
centre to take it back (退单) or for more time (延期).

Every change goes through :func:`handlers.timeline.apply_action`, so the status machine refuses
illegal moves (IllegalTransition), two people acting at once cannot both win (ConcurrentChange)
and each change is a timeline event with its actor and time. Each action runs in a transaction
of its own (a savepoint when the caller already holds one), so the event, the case and any
message to the resident are written together or not at all.

Who may do what:

- seeing a case (:func:`may_see`): dispatchers see every case, a grid worker the cases of their
  grid, anyone the cases of their unit and the cases assigned to them.
- acting on a case (:func:`may_handle`): the case's unit and the worker it is assigned to.
  首接负责: the unit that signs owns the case until it is closed or a 退单 is approved by the
  centre, after which it waits in the dispatcher queue (or goes to the unit the centre chose)
  and is never routed again automatically.
- asking: a unit asks the centre for a 退单 (:func:`return_case`) or a 延期
  (:func:`request_extension`); nothing changes until a dispatcher of the centre decides
  (``handlers.workflow.centre_requests``; who may is ``requests.decide`` in the role table).
"""

from __future__ import annotations

import hashlib
import logging
import math
import secrets
from datetime import datetime, timedelta
from typing import Any

from tortoise.transactions import in_transaction

from config import replies
from config.settings import Settings
from handlers.clock import format_local
from handlers.context import HandlerContext
from handlers.followup.schedule import schedule_survey
from handlers.media.worker_photos import NotYourPhoto, claim_photos, own_photos
from handlers.notify import CaseUpdate, notify_resident
from handlers.timeline import Actor, annotate, apply_action
from handlers.workflow.request_cards import send_request_card
from handlers.workflow.spells import (
    deadline_data,
    lapse_requests,
    open_spell,
    spell_completed,
    spell_contacted,
    unit_deadlines,
)
from models import (
    Case,
    CaseAction,
    CaseEvent,
    CaseStatus,
    ExtensionRequest,
    ExtensionStatus,
    Resident,
    ReturnRequest,
    Unit,
    Worker,
    WorkerRole,
    WorkerToken,
    next_status,
)

logger = logging.getLogger(__name__)

TOKEN_TOUCH_INTERVAL = timedelta(minutes=5)

CONTACT_METHODS = ("phone", "visit", "message")
ATTACHMENT_TYPES = frozenset({"image"})
MAX_ATTACHMENTS = 9
MAX_TEXT = 2000
# The note of a progress report that had photos and no words.
PHOTOS_ONLY_NOTE = "上传现场照片"
MAX_EXTENSION_HOURS = 24 * 30
MAX_EXTENSION = timedelta(hours=MAX_EXTENSION_HOURS)  # the furthest new date past the deadline
LATE_NOTE = "已超过办结期限，延期申请不予受理"
# Statuses in which a case is being handled by its unit: progress, extensions.
HANDLING = frozenset({CaseStatus.SIGNED, CaseStatus.CONTACTED, CaseStatus.IN_PROGRESS})


class WorkflowError(Exception):
    """A worker's request refused by the rules of the workflow (not by the status machine)."""


class NotAllowed(WorkflowError):
    """The worker may not see or act on this case. Says nothing about the case itself."""


class InvalidRequest(WorkflowError, ValueError):
    """The request itself is wrong (an empty result, an unknown contact method ...)."""


class WorkflowConflict(WorkflowError):
    """The request does not fit the case's present state (a pending extension, a decided one)."""


class LateExtension(WorkflowConflict):
    """延期 asked after the completion deadline: refused at once, yet kept (and counted)."""

    def __init__(self, request: ExtensionRequest) -> None:
        super().__init__(LATE_NOTE)
        self.request = request


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


async def tell_resident(
    case: Case, text: str, milestone: str, ctx: HandlerContext, *, once: str = ""
) -> None:
    """Tell the case's resident about a milestone once per handling round (重办 starts another);
    ``once`` tells a milestone that can come often (改派, 延期) once per that key instead."""
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
        dedup_key=f"case:{case.id}:{milestone}:{once or case.reopened_count}",
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


async def return_case(
    case: Case, worker: Worker, reason: str, ctx: HandlerContext, suggested_unit: str = ""
) -> ReturnRequest:
    """退单申请: the unit asks the centre to take the case back, with the reason and, if it
    knows, the unit that should have it (a unit code). Nothing changes until a dispatcher of the
    centre approves (``handlers.workflow.centre_requests``); one pending request at a time.
    """
    reason = _required_text(reason, "退单原因")
    _check_handler(worker, case, "申请退单")
    next_status(CaseStatus(case.status), CaseAction.RETURN)  # IllegalTransition when too late
    suggested = None
    if (suggested_unit or "").strip():
        suggested = await Unit.get_or_none(code=suggested_unit.strip()[:32], active=True)
        if suggested is None:
            raise InvalidRequest("建议的承办单位不存在或已停用，请核对单位编码")
        if suggested.id == case.unit_id:
            raise InvalidRequest("建议的承办单位就是本单位")
    async with in_transaction():
        if await ReturnRequest.exists(case_id=case.id, status=ExtensionStatus.PENDING):
            raise WorkflowConflict("此诉求已有待审核的退单申请，请等待区中心审核")
        request = await ReturnRequest.create(
            case_id=case.id,
            unit_id=case.unit_id,
            worker_id=worker.id,
            reason=reason,
            suggested_unit_id=suggested.id if suggested else None,
            created_at=ctx.now,
        )
        unit_name, unit_code = await _unit(case.unit_id)
        # Through apply_action so that two requests at once cannot both be pending.
        await apply_action(
            case,
            CaseAction.ANNOTATE,
            worker_actor(worker),
            ctx.now,
            note=f"{unit_name}申请退单：{reason}"
            + (f"（建议改派{suggested.name}）" if suggested else ""),
            data={
                "kind": "return_requested",
                "request": request.id,
                "reason": reason,
                "unit": unit_code,
                "suggested_unit": suggested.code if suggested else None,
                "worker": worker.id,
            },
        )
        await send_request_card(case, request, ctx)
        return request


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
            await spell_contacted(case.id, ctx.now)
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
            note=text or PHOTOS_ONLY_NOTE,
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
        await spell_completed(case.id, ctx.now)
        await lapse_requests(case.id, ctx.now, "completed")
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
    deadlines = unit_deadlines(case, ctx)
    completion = deadlines.completion
    async with in_transaction():
        event = await apply_action(
            case,
            CaseAction.REOPEN,
            actor,
            ctx.now,
            note=f"重办：{reason}",
            data={
                "reason": reason,
                "previous_result": case.result,
                "new": _iso(completion),
                "deadlines": deadline_data(deadlines, reopened=True),
            },
            changes={
                "reopened_count": case.reopened_count + 1,
                "completed_at": None,
                "result": "",
                "completion_due_at": completion,
            },
        )
        if case.unit_id is not None:
            await open_spell(
                case,
                case.unit_id,
                ctx,
                previous_end="reopened",
                deadlines=deadlines,
                reopened=True,
            )
        return event


async def request_extension(
    case: Case, worker: Worker, new_due_at: datetime, reason: str, ctx: HandlerContext
) -> ExtensionRequest:
    """延期申请: a new completion date and the reason, for the centre to decide. One at a time.

    Only before the completion deadline: a request after it is refused at once, kept with
    ``late=True`` (counted against the unit) and answered with :class:`LateExtension`.
    """
    reason = _required_text(reason, "延期原因")
    _check_handler(worker, case, "申请延期")
    status = CaseStatus(case.status)
    if status not in HANDLING:
        raise WorkflowConflict(f"诉求当前为{status.label}，只有已签收、办理中的诉求可以申请延期")
    if new_due_at.tzinfo is None:
        raise InvalidRequest("新的办结日期须带时区，例如 2026-03-20T17:30:00+08:00")
    due = case.completion_due_at
    if new_due_at <= ctx.now:
        raise InvalidRequest("新的办结日期已经过去，请选择以后的日期")
    if due is not None and new_due_at <= due:
        raise InvalidRequest("新的办结日期须晚于现在的办结期限")
    if new_due_at > max(due or ctx.now, ctx.now) + MAX_EXTENSION:
        raise InvalidRequest(f"延期最多{MAX_EXTENSION.days}天，请选择更早的日期")
    hours = max(1, math.ceil((new_due_at - (due or ctx.now)).total_seconds() / 3600))
    late = due is not None and ctx.now > due
    async with in_transaction():
        if not late and await ExtensionRequest.exists(
            case_id=case.id, status=ExtensionStatus.PENDING
        ):
            raise WorkflowConflict("此诉求已有待审批的延期申请，请等待区中心审批")
        request = await ExtensionRequest.create(
            case_id=case.id,
            worker_id=worker.id,
            unit_id=case.unit_id,
            hours=hours,
            new_due_at=new_due_at,
            reason=reason,
            late=late,
            status=ExtensionStatus.REFUSED if late else ExtensionStatus.PENDING,
            decided_at=ctx.now if late else None,
            note=LATE_NOTE if late else "",
            created_at=ctx.now,
        )
        note = f"申请延期至{format_local(new_due_at)}：{reason}"
        data = {"request": request.id, "hours": hours, "new": _iso(new_due_at)}
        if late:
            await annotate(
                case,
                worker_actor(worker),
                ctx.now,
                f"{note}（{LATE_NOTE}）",
                {"kind": "extension_late", **data},
            )
        else:
            # Through apply_action so that two requests at once cannot both be pending.
            await apply_action(
                case,
                CaseAction.ANNOTATE,
                worker_actor(worker),
                ctx.now,
                note=note,
                data={"kind": "extension_requested", **data},
            )
            await send_request_card(case, request, ctx)
    if late:
        raise LateExtension(request)
    return request


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


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
