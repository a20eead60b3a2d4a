"""The suggestion office's screening (甄别) and what it records afterwards.

Every function checks the account (``suggestions.screen``), takes the step in one transaction
with its audit row (``suggestion.<action>``) and its event, and tells the proposer where they
should hear of it (``records.tell``: once per event, through the case channels). Refusals are
``SuggestionRefused``: 400 bad input (nothing changed), 403 the role may not, 409 not from
where the suggestion stands or somebody else decided first (``steps.take_step``).

- :func:`ask`: 待补充 with the question; the proposer's next chat message (or the mini-program)
  adds to it and it comes back (``additions``, ``chat``).
- :func:`merge`: 已合并 into a similar suggestion; the proposer is told the number it joined,
  the target's timeline notes it.
- :func:`decline` (不予采纳, with the reason told) and :func:`reconsider` (back to screening).
- :func:`adopt` for one or more departments: ``handlers.suggestions.adoption``.
- :func:`forward` to the city: 已报送市级 from screening; after adoption only ``forwarded_at``
  (see ``records.TRANSITIONS``). The export is ``handlers.suggestions.export``.
- :func:`instruct` (批示: ``instructed_at`` on the first, an event each) and :func:`implemented`
  (落地, with the result told).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tortoise.transactions import in_transaction

from config import suggestion_office as texts
from handlers.clock import format_local
from handlers.context import HandlerContext
from handlers.staff.audit import StaffActor
from handlers.suggestions.access import SuggestionRefused, bad_input, clean_text, require
from handlers.suggestions.chat import expect_more
from handlers.suggestions.records import record, tell
from handlers.suggestions.steps import (
    audited,
    concurrent,
    illegal,
    screened,
    staff_actor,
    take_step,
)
from handlers.workflow.deadlines import deadlines_for
from models import StaffUser, Suggestion, SuggestionEvent, SuggestionStatus

S = SuggestionStatus
KIND = "suggestion"
# Forwarding after adoption keeps the status and sets forwarded_at only.
FORWARD_AS_FLAG = frozenset({S.ADOPTED, S.ANSWERED, S.IMPLEMENTED})
# 批示 is recorded on what went on from the office: adopted, forwarded, answered, carried out.
INSTRUCTABLE = frozenset({S.ADOPTED, S.FORWARDED, S.ANSWERED, S.IMPLEMENTED})


async def _told_step(
    suggestion: Suggestion,
    to: SuggestionStatus,
    action: str,
    actor: StaffActor,
    ctx: HandlerContext,
    *,
    told: str,
    note: str = "",
    data: dict[str, Any] | None = None,
    columns: dict[str, Any] | None = None,
    detail: dict[str, Any] | None = None,
) -> SuggestionEvent:
    """One step with its audit row, the proposer told ``told``, in one transaction."""
    async with in_transaction():
        event = await take_step(
            suggestion,
            to,
            action,
            staff_actor(actor),
            ctx.now,
            note=note,
            data=data,
            columns=columns,
        )
        await audited(actor, action, suggestion, ctx.now, detail)
        await tell(suggestion, event, told, ctx.now, ctx.settings)
    return event


SCREEN = "suggestions.screen"


async def ask(
    suggestion: Suggestion, question: str, user: StaffUser, actor: StaffActor, ctx: HandlerContext
) -> SuggestionEvent:
    require(user, SCREEN)
    question = clean_text(question, "补充要求", texts.MAX_REASON, required=texts.NEED_QUESTION)
    async with in_transaction():
        event = await take_step(
            suggestion,
            S.MORE_INFO,
            "ask",
            staff_actor(actor),
            ctx.now,
            note=question,
            columns={"decision_reason": question, **screened(suggestion, ctx.now)},
        )
        await audited(actor, "ask", suggestion, ctx.now, {"question": question})
        told = texts.ASKED.format(number=suggestion.number, question=question)
        await tell(suggestion, event, told, ctx.now, ctx.settings)
        await expect_more(suggestion, ctx.now)
    return event


async def merge(
    suggestion: Suggestion,
    target_number: str,
    note: str,
    user: StaffUser,
    actor: StaffActor,
    ctx: HandlerContext,
) -> SuggestionEvent:
    require(user, SCREEN)
    note = clean_text(note, "合并说明", texts.MAX_REASON)
    wanted = (target_number or "").strip().upper()[:32]
    if wanted == suggestion.number:
        raise bad_input(texts.MERGE_SELF)
    target = await Suggestion.get_or_none(number=wanted) if wanted else None
    if target is None:
        raise bad_input(texts.MERGE_TARGET_GONE.format(target=wanted or "（空）"))
    status = S(target.status)
    if status in (S.MERGED, S.CONVERTED, S.DECLINED):
        raise SuggestionRefused(
            texts.MERGE_TARGET_CLOSED.format(target=target.number, status=status.label),
            409,
            "conflict",
        )
    who = staff_actor(actor)
    async with in_transaction():
        event = await take_step(
            suggestion,
            S.MERGED,
            "merge",
            who,
            ctx.now,
            note=f"并入建议 {target.number}" + (f"：{note}" if note else ""),
            data={"into": target.number},
            columns={"merged_into_id": target.id, **screened(suggestion, ctx.now)},
        )
        await record(
            target,
            "merged_in",
            who,
            ctx.now,
            note=f"建议 {suggestion.number} 并入本建议",
            data={"from": suggestion.number},
        )
        await audited(actor, "merge", suggestion, ctx.now, {"into": target.number, "note": note})
        told = texts.MERGED.format(number=suggestion.number, target=target.number)
        await tell(suggestion, event, told, ctx.now, ctx.settings)
    return event


async def decline(
    suggestion: Suggestion, reason: str, user: StaffUser, actor: StaffActor, ctx: HandlerContext
) -> SuggestionEvent:
    require(user, SCREEN)
    reason = clean_text(reason, "不予采纳的原因", texts.MAX_REASON, required=texts.NEED_REASON)
    return await _told_step(
        suggestion,
        S.DECLINED,
        "decline",
        actor,
        ctx,
        told=texts.DECLINED.format(number=suggestion.number, reason=reason),
        note=reason,
        columns={"decision_reason": reason, **screened(suggestion, ctx.now)},
        detail={"reason": reason},
    )


async def reconsider(
    suggestion: Suggestion, note: str, user: StaffUser, actor: StaffActor, ctx: HandlerContext
) -> SuggestionEvent:
    """不予采纳 undone: back to screening with a fresh screening deadline."""
    require(user, SCREEN)
    note = clean_text(note, "说明", texts.MAX_REASON)
    due = deadlines_for(KIND, "一般", False, ctx.now, ctx.sla).first_contact
    return await _told_step(
        suggestion,
        S.RECEIVED,
        "reconsider",
        actor,
        ctx,
        told=texts.RECONSIDERED.format(number=suggestion.number),
        note=note,
        data={"was": suggestion.decision_reason},
        columns={"decision_reason": "", "screen_due_at": due},
        detail={"note": note},
    )


async def forward(
    suggestion: Suggestion,
    reference: str,
    note: str,
    user: StaffUser,
    actor: StaffActor,
    ctx: HandlerContext,
) -> SuggestionEvent:
    """报送市级. ``reference``: the city's reference (报送文号), else the suggestion's number."""
    require(user, SCREEN)
    reference = clean_text(reference, "报送文号", texts.MAX_REFERENCE) or suggestion.number
    note = clean_text(note, "说明", texts.MAX_REASON)
    if suggestion.forwarded_at is not None:
        at = format_local(suggestion.forwarded_at, with_year=True)
        raise SuggestionRefused(texts.ALREADY_FORWARDED.format(at=at), 409, "unchanged")
    status = S(suggestion.status)
    columns = {"forwarded_at": ctx.now, "forward_reference": reference}
    data = {"reference": reference, "status_kept": status in FORWARD_AS_FLAG}
    who = staff_actor(actor)
    async with in_transaction():
        if status in FORWARD_AS_FLAG:
            changed = await Suggestion.filter(
                id=suggestion.id, status=status, forwarded_at__isnull=True
            ).update(updated_at=ctx.now, **columns)
            if not changed:
                raise concurrent()
            suggestion.forwarded_at, suggestion.forward_reference = ctx.now, reference
            event = await record(suggestion, "forward", who, ctx.now, note=note, data=data)
        else:
            columns.update(screened(suggestion, ctx.now))
            event = await take_step(
                suggestion,
                S.FORWARDED,
                "forward",
                who,
                ctx.now,
                note=note,
                data=data,
                columns=columns,
            )
        await audited(actor, "forward", suggestion, ctx.now, {"reference": reference})
        await tell(
            suggestion,
            event,
            texts.FORWARDED.format(number=suggestion.number),
            ctx.now,
            ctx.settings,
        )
    return event


async def instruct(
    suggestion: Suggestion,
    text: str,
    user: StaffUser,
    actor: StaffActor,
    ctx: HandlerContext,
    *,
    at: datetime | None = None,
) -> SuggestionEvent:
    """批示 recorded (``at``: when it was given, default now). The proposer hears of the first
    one, without its words (a leader's instruction is for the departments)."""
    require(user, SCREEN)
    text = clean_text(text, "批示内容", texts.MAX_ANSWER, required=texts.NEED_INSTRUCTION)
    status = S(suggestion.status)
    if status not in INSTRUCTABLE:
        raise illegal(suggestion, "instruct")
    given = at or ctx.now
    first = suggestion.instructed_at is None
    async with in_transaction():
        query = Suggestion.filter(id=suggestion.id, status=status)
        if first:
            query = query.filter(instructed_at__isnull=True)
            changed = await query.update(instructed_at=given, updated_at=ctx.now)
        else:
            changed = await query.update(updated_at=ctx.now)
        if not changed:
            raise concurrent()
        if first:
            suggestion.instructed_at = given
        event = await record(
            suggestion,
            "instruct",
            staff_actor(actor),
            ctx.now,
            note=text,
            data={"given_at": given.isoformat(), "first": first},
        )
        await audited(actor, "instruct", suggestion, ctx.now, {"first": first})
        if first:
            told = texts.INSTRUCTED.format(number=suggestion.number)
            await tell(suggestion, event, told, ctx.now, ctx.settings)
    return event


async def implemented(
    suggestion: Suggestion, result: str, user: StaffUser, actor: StaffActor, ctx: HandlerContext
) -> SuggestionEvent:
    """落地: the result in practice, told to the proposer (and, later, published)."""
    require(user, SCREEN)
    result = clean_text(result, "落地情况", texts.MAX_ANSWER, required=texts.NEED_RESULT)
    return await _told_step(
        suggestion,
        S.IMPLEMENTED,
        "implement",
        actor,
        ctx,
        told=texts.IMPLEMENTED.format(number=suggestion.number, result=result),
        note=result,
        columns={"implemented_at": ctx.now, "result": result},
        detail={"result": result[:200]},
    )
