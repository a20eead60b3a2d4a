"""A suggestion that is a complaint after all becomes a case, and a case that is a suggestion
becomes one; both keep their history.

- Suggestion → case (:func:`to_case`): the proposer (``转为诉求`` in the chat, or a tap) or staff
  with ``suggestions.convert``. The suggestion's words and attachments go through the normal
  report path (``handlers.intake.report.report_case`` with ``suggestions=False``: routed,
  dispatched, with a case's deadlines), the suggestion becomes 已转为诉求 with ``case`` set, and
  both timelines say so. Only from screening (已收到, 待补充): once the office decided, the
  decision stands. A suggestion entered by staff for nobody has no proposer to make a case for.
- Case → suggestion (:func:`from_case`): staff only (``suggestions.convert``); a resident cannot
  turn a case back into a suggestion, a case is the stronger promise. A new suggestion with
  ``from_case`` set, its screening deadline from now; the case is closed as 不予受理 with the
  reason 转为人民建议 (``config.invalid.TO_SUGGESTION``) through ``handlers.workflow.invalid``,
  so it leaves the rates as every invalid case does and is counted apart under its own reason.
  The resident is told once, with the new number.
"""

from __future__ import annotations

from tortoise.transactions import in_transaction

from config import suggestion_office as texts
from config.invalid import TO_SUGGESTION
from handlers.context import HandlerContext
from handlers.intake.report import Report, report_case
from handlers.staff.audit import StaffActor
from handlers.staff.permissions import may_see_case
from handlers.suggestions.access import SuggestionRefused, clean_text, require
from handlers.suggestions.intake import screening_days
from handlers.suggestions.records import next_number, record, tell
from handlers.suggestions.steps import audited, illegal, screened, staff_actor, take_step
from handlers.timeline import Actor, ConcurrentChange, annotate
from handlers.workflow.deadlines import deadlines_for
from handlers.workflow.invalid import close_as_invalid
from handlers.workflow.staff_actions import CaseHidden
from models import (
    Case,
    CaseStatus,
    IllegalTransition,
    Resident,
    StaffUser,
    Suggestion,
    SuggestionEvent,
    SuggestionStatus,
)

KIND = "suggestion"
CASE_KIND = "complaint"  # what a suggestion turned into a case is: a matter to be handled


async def to_case(
    suggestion: Suggestion,
    who: Actor,
    ctx: HandlerContext,
    *,
    staff: StaffActor | None = None,
    note: str = "",
) -> Report:
    """Make a case of ``suggestion`` (checked: from screening only). Call inside a transaction.
    ``staff``: converted by staff (audited, the proposer told); else the proposer asked, and the
    reply that carries the case's number tells them."""
    if suggestion.status not in (SuggestionStatus.RECEIVED, SuggestionStatus.MORE_INFO):
        raise illegal(suggestion, "to_case")
    resident = (
        await Resident.get_or_none(id=suggestion.resident_id) if suggestion.resident_id else None
    )
    if resident is None:
        raise SuggestionRefused(texts.NO_PROPOSER, 409, "no_proposer")
    report = await report_case(
        resident,
        suggestion.text,
        ctx,
        attachments=list(suggestion.attachments or []),
        channel=suggestion.channel,
        kind=CASE_KIND,
        suggestions=False,
    )
    case = report.case
    event = await take_step(
        suggestion,
        SuggestionStatus.CONVERTED,
        "to_case",
        who,
        ctx.now,
        note=f"转为诉求 {case.number}" + (f"：{note}" if note else ""),
        data={"case": case.number, "by": who.type},
        columns={"case_id": case.id, **screened(suggestion, ctx.now)},
    )
    asked = "工作人员" if staff is not None else "居民申请"
    await annotate(
        case,
        who,
        ctx.now,
        f"由人民建议 {suggestion.number} 转为诉求（{asked}）",
        {"suggestion": suggestion.number},
    )
    if staff is None:
        await record_told(event.id)
        return report
    await audited(staff, "to_case", suggestion, ctx.now, {"case": case.number, "note": note})
    told = texts.TO_CASE.format(number=suggestion.number, case=case.number)
    await tell(suggestion, event, told, ctx.now, ctx.settings)
    return report


async def record_told(event_id: int) -> None:
    await SuggestionEvent.filter(id=event_id).update(told=True)


async def convert_to_case(
    suggestion: Suggestion, note: str, user: StaffUser, actor: StaffActor, ctx: HandlerContext
) -> Case:
    """Staff turn a suggestion into a case (``suggestions.convert``)."""
    require(user, "suggestions.convert")
    note = clean_text(note, "说明", texts.MAX_REASON)
    async with in_transaction():
        report = await to_case(suggestion, staff_actor(actor), ctx, staff=actor, note=note)
    return report.case


async def from_case(
    case: Case, note: str, user: StaffUser, actor: StaffActor, ctx: HandlerContext
) -> Suggestion:
    """Staff turn an open case into a suggestion; see the module's note for what happens."""
    if not may_see_case(user, case):
        raise CaseHidden(case.number)
    require(user, "suggestions.convert")
    note = clean_text(note, "说明", texts.MAX_REASON)
    status = CaseStatus(case.status)
    if not status.is_open:
        raise SuggestionRefused(
            texts.CASE_NOT_OPEN.format(status=status.label), 409, "illegal_transition"
        )
    try:
        return await _from_case(case, status, note, actor, ctx)
    except (ConcurrentChange, IllegalTransition):
        raise SuggestionRefused(texts.CASE_CHANGED, 409, "concurrent_change") from None


async def _from_case(
    case: Case, status: CaseStatus, note: str, actor: StaffActor, ctx: HandlerContext
) -> Suggestion:
    due = deadlines_for(KIND, "一般", False, ctx.now, ctx.sla)
    who = staff_actor(actor)
    async with in_transaction():
        suggestion = await Suggestion.create(
            number=await next_number(ctx.now),
            resident_id=case.resident_id,
            channel=case.channel,
            title=case.title[:64],
            text=case.text,
            category=case.category,
            street=case.street or "",
            place_text=(case.place_text or "")[:128],
            contact_phone=case.contact_phone,
            attachments=list(case.attachments or []),
            status=SuggestionStatus.RECEIVED,
            screen_due_at=due.first_contact,
            from_case_id=case.id,
            created_at=ctx.now,
            updated_at=ctx.now,
        )
        await record(
            suggestion,
            "from_case",
            who,
            ctx.now,
            note=f"由诉求 {case.number} 转来" + (f"：{note}" if note else ""),
            to_status=SuggestionStatus.RECEIVED,
            data={"case": case.number},
            told=case.resident_id is not None,  # the case's closing notice tells the number
        )
        told = texts.FROM_CASE.format(
            case=case.number, number=suggestion.number, days=screening_days(ctx)
        )
        await close_as_invalid(
            case,
            TO_SUGGESTION,
            f"已转为人民建议 {suggestion.number}" + (f"，{note}" if note else ""),
            actor,
            ctx,
            from_status=status,
            told=told,
        )
        await audited(actor, "from_case", suggestion, ctx.now, {"case": case.number, "note": note})
    return suggestion
