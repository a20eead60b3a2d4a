"""What staff do to a case from the dashboard or the admin API: 改类, 改派/派单, 督办, and the
centre's decisions on a unit's 退单 and 延期 requests.

Each action checks the account's capability (``handlers.staff.permissions``) and that it may see the
case, runs the case handler, and writes the audit event in the same transaction, so an action
and its audit row commit together or not at all. Refusals are :class:`StaffRefused` with a
message for people (Chinese); a case the account may not see is :class:`CaseHidden`, the same
as a number that does not exist.

Requests (``handlers.workflow.centre_requests``): a staff account decides in its own name: the
timeline's actor is the staff account and the request's ``decided_by_staff`` its username.
Who may: ``requests.decide`` (admins and dispatchers of the centre, never the unit that asked).
"""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.transactions import in_transaction

from handlers.context import HandlerContext
from handlers.staff.audit import StaffActor, audit
from handlers.staff.permissions import can, may_see_case
from handlers.timeline import Actor, ConcurrentChange, apply_action
from handlers.workflow.actions import (
    MAX_TEXT,
    InvalidRequest,
    WorkflowConflict,
)
from handlers.workflow.assign import Target, assign
from handlers.workflow.centre_requests import Decider, decide_extension, decide_return
from handlers.workflow.recategorise import Recategorised, UnknownCategory, recategorise
from models import (
    Case,
    CaseAction,
    CaseEvent,
    CaseStatus,
    ExtensionRequest,
    IllegalTransition,
    ReturnRequest,
    StaffUser,
    Unit,
    Worker,
)

NO_PERMISSION = "您的账号没有此项权限"


class StaffRefused(Exception):
    """The action cannot be done as asked; ``status`` is the HTTP status that fits."""

    def __init__(self, message: str, status: int = 409, code: str = "conflict") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code


class CaseHidden(LookupError):
    """No such case, or one the account may not see: the two are not told apart."""


def staff_actor(actor: StaffActor) -> Actor:
    return Actor("staff", actor.label)


def _require(user: StaffUser, capability: str, case: Case) -> None:
    if not may_see_case(user, case):
        raise CaseHidden(case.number)
    if not can(user, capability):
        raise StaffRefused(NO_PERMISSION, 403, "forbidden")


async def visible_case(user: StaffUser, number: str) -> Case:
    case = await Case.get_or_none(number=number.strip()[:16]) if number.strip() else None
    if case is None or not may_see_case(user, case):
        raise CaseHidden(number)
    return case


def _reason(value: str, what: str, required: bool = False) -> str:
    text = (value or "").strip()
    if required and not text:
        raise StaffRefused(f"请填写{what}", 400, "invalid_request")
    if len(text) > MAX_TEXT:
        raise StaffRefused(f"{what}不能超过{MAX_TEXT}字", 400, "invalid_request")
    return text


def refusal_of(error: Exception) -> StaffRefused:
    """The people's message for what the case handlers raise (their own messages are English)."""
    if isinstance(error, StaffRefused):
        return error
    if isinstance(error, UnknownCategory):
        return StaffRefused(
            f"没有这个分类：{error.category}，请从列表中选择", 400, "invalid_request"
        )
    if isinstance(error, IllegalTransition):
        return StaffRefused(
            f"诉求当前为{error.status.label}，不能{error.action.label}", 409, "illegal_transition"
        )
    if isinstance(error, ConcurrentChange):
        return StaffRefused("诉求刚被他人更新，请刷新后重试", 409, "concurrent_change")
    if isinstance(error, InvalidRequest):
        return StaffRefused(str(error), 400, "invalid_request")
    if isinstance(error, WorkflowConflict):
        return StaffRefused(str(error), 409, "conflict")
    raise error


STAFF_ERRORS = (
    StaffRefused,
    UnknownCategory,
    IllegalTransition,
    ConcurrentChange,
    InvalidRequest,
    WorkflowConflict,
)


async def recategorise_case(
    case: Case,
    category: str,
    user: StaffUser,
    actor: StaffActor,
    ctx: HandlerContext,
    reason: str = "",
) -> Recategorised:
    """改类: kept as a training example (``CategoryCorrection``); unsigned cases route again."""
    _require(user, "cases.recategorise", case)
    reason = _reason(reason, "改类原因")
    async with in_transaction():
        result = await recategorise(case, category, staff_actor(actor), ctx, reason)
        if result.old == result.new:
            raise StaffRefused(f"诉求已经是{result.new}，无需改类", 409, "unchanged")
        await audit(
            actor,
            "case.recategorise",
            ctx.now,
            target_type="case",
            target_id=case.number,
            detail={
                "from": result.old,
                "to": result.new,
                "reason": reason,
                "rerouted_to": result.rerouted_to,
            },
        )
    return result


async def _target(unit_code: str, worker_id: int | None) -> Target:
    unit = await Unit.get_or_none(code=unit_code.strip(), active=True)
    if unit is None:
        raise StaffRefused("请选择一个在用的承办单位", 400, "invalid_request")
    worker = None
    if worker_id is not None:
        worker = await Worker.get_or_none(id=worker_id, unit_id=unit.id, active=True)
        if worker is None:
            raise StaffRefused(f"{unit.name}没有这名在岗工作人员", 400, "invalid_request")
    return Target(unit, worker)


async def reassign_case(
    case: Case,
    unit_code: str,
    worker_id: int | None,
    user: StaffUser,
    actor: StaffActor,
    ctx: HandlerContext,
    reason: str = "",
) -> CaseEvent:
    """派单 a queued case or 改派 an unsigned one (with a reason); signed ones stay (首接负责)."""
    _require(user, "cases.reassign", case)
    reason = _reason(reason, "改派原因")
    target = await _target(unit_code, worker_id)
    status = CaseStatus(case.status)
    if status is CaseStatus.DISPATCHED:
        if not reason:
            raise StaffRefused("改派需要填写原因", 400, "invalid_request")
        if case.unit_id == target.unit.id and case.worker_id == (
            target.worker.id if target.worker else None
        ):
            raise StaffRefused(f"诉求已在{target.unit.name}", 409, "unchanged")
    elif status.is_open and status is not CaseStatus.ACCEPTED:
        raise StaffRefused("承办单位已签收：首接负责，须由承办单位退单后才能改派", 409, "conflict")
    elif not status.is_open:
        raise StaffRefused(f"诉求当前为{status.label}，不能派单", 409, "illegal_transition")
    previous = case.unit_id
    async with in_transaction():
        event = await assign(case, target, staff_actor(actor), reason, ctx)
        await audit(
            actor,
            "case.reassign" if event.action == CaseAction.REASSIGN.value else "case.dispatch",
            ctx.now,
            target_type="case",
            target_id=case.number,
            detail={
                "from_unit": previous,
                "unit": target.unit.code,
                "worker": target.worker.id if target.worker else None,
                "reason": reason,
            },
        )
    return event


async def supervise_case(
    case: Case, user: StaffUser, actor: StaffActor, ctx: HandlerContext, reason: str = ""
) -> CaseEvent:
    """督办 by hand: the case is flagged and the timeline says who and why."""
    _require(user, "cases.supervise", case)
    reason = _reason(reason, "督办意见")
    if case.supervised:
        raise StaffRefused("这条诉求已在督办中", 409, "unchanged")
    async with in_transaction():
        event = await apply_action(
            case,
            CaseAction.SUPERVISE,
            staff_actor(actor),
            ctx.now,
            note="列入督办" + (f"：{reason}" if reason else ""),
            data={"by_hand": True, "reason": reason},
            changes={"supervised": True},
        )
        await audit(
            actor,
            "case.supervise",
            ctx.now,
            target_type="case",
            target_id=case.number,
            detail={"reason": reason},
        )
    return event


@dataclass(frozen=True)
class Decision:
    request: ExtensionRequest | ReturnRequest
    event: CaseEvent


def _decider(actor: StaffActor) -> Decider:
    return Decider(staff_actor(actor), actor.username)


async def decide_case_extension(
    case: Case,
    request_id: int,
    approve: bool,
    user: StaffUser,
    actor: StaffActor,
    ctx: HandlerContext,
    note: str = "",
) -> Decision:
    """延期审批 by the centre (``requests.decide``): the request's ``decided_by_staff`` and the
    timeline's actor name the account; ``decided_by`` is the Worker it is linked to, if any."""
    _require(user, "requests.decide", case)
    request = await ExtensionRequest.get_or_none(id=request_id, case_id=case.id)
    if request is None:
        raise StaffRefused("没有这份延期申请", 404, "not_found")
    linked = (
        await Worker.get_or_none(id=user.worker_id, active=True)
        if user.worker_id is not None
        else None
    )
    async with in_transaction():
        event = await decide_extension(
            request, approve, note, _decider(actor), ctx, decided_by=linked, case=case
        )
        await audit(
            actor,
            "extension.approve" if approve else "extension.refuse",
            ctx.now,
            target_type="case",
            target_id=case.number,
            detail={
                "request": request.id,
                "new_due_at": request.new_due_at.isoformat() if request.new_due_at else None,
                "note": request.note,
            },
        )
    return Decision(request, event)


async def decide_case_return(
    case: Case,
    request_id: int,
    approve: bool,
    user: StaffUser,
    actor: StaffActor,
    ctx: HandlerContext,
    note: str = "",
    *,
    unit_code: str = "",
    worker_id: int | None = None,
) -> Decision:
    """退单审核 by the centre (``requests.decide``); approved with ``unit_code`` it is a 改派."""
    _require(user, "requests.decide", case)
    request = await ReturnRequest.get_or_none(id=request_id, case_id=case.id)
    if request is None:
        raise StaffRefused("没有这份退单申请", 404, "not_found")
    target = await _target(unit_code, worker_id) if unit_code.strip() else None
    if target is None and worker_id is not None:
        raise StaffRefused("指定工作人员时须同时选择单位", 400, "invalid_request")
    async with in_transaction():
        event = await decide_return(
            request,
            approve,
            note,
            _decider(actor),
            ctx,
            new_unit=target.unit if target else None,
            new_worker=target.worker if target else None,
            case=case,
        )
        await audit(
            actor,
            "return.approve" if approve else "return.refuse",
            ctx.now,
            target_type="case",
            target_id=case.number,
            detail={
                "request": request.id,
                "unit": target.unit.code if target else None,
                "note": request.note,
            },
        )
    return Decision(request, event)
