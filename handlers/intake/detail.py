"""A resident adds to a case they just reported: more words, photos, the place."""

from __future__ import annotations

from typing import Any

from config import replies
from handlers.clock import format_local
from handlers.context import HandlerContext
from handlers.intake.report import dispatch_if_possible, merge_if_duplicate
from handlers.places import place_columns, place_summary
from handlers.timeline import Actor, record_event
from models import Case, CaseAction, CaseStatus, Resident
from nlu import understand


async def resident_annotates(
    case: Case, resident: Resident, ctx: HandlerContext, note: str, data: dict[str, Any]
) -> None:
    """The resident added to the case: a timeline note that does not change the status."""
    await record_event(
        case,
        CaseAction.ANNOTATE,
        Actor("resident", resident.openid),
        ctx.now,
        from_status=None,
        to_status=None,
        note=note,
        data=data,
    )


async def add_text(case: Case, resident: Resident, text: str, ctx: HandlerContext) -> str:
    stamp = format_local(ctx.now)
    case.text = f"{case.text}\n[{stamp} 补充] {text}" if case.text else text
    await Case.filter(id=case.id).update(text=case.text, updated_at=ctx.now)
    await resident_annotates(case, resident, ctx, text, {"kind": "detail"})
    return replies.DETAIL_ADDED.format(number=case.number)


async def add_attachments(
    case: Case, resident: Resident, attachments: list[dict[str, Any]], ctx: HandlerContext
) -> str:
    case.attachments = [*case.attachments, *attachments]
    await Case.filter(id=case.id).update(attachments=case.attachments, updated_at=ctx.now)
    words = "、".join(replies.ATTACHMENT_WORDS.get(a["type"], "附件") for a in attachments)
    await resident_annotates(
        case, resident, ctx, f"补充{words}", {"kind": "attachments", "attachments": attachments}
    )
    return replies.DETAIL_ADDED.format(number=case.number)


async def set_place(
    case: Case,
    resident: Resident,
    ctx: HandlerContext,
    *,
    text: str = "",
    location: tuple[float, float] | None = None,
    label: str | None = None,
) -> str:
    """Record where the problem is, then route the case if it is still waiting for dispatch."""
    place = understand(text or (label or ""), location=location, gazetteer=ctx.gazetteer).place
    columns = place_columns(place)
    if not place.text:
        columns["place_text"] = (text or label or "")[:128] or None
    grid = ctx.routing.grid(place.grid_code)
    columns["grid_id"] = grid.id if grid else None
    await Case.filter(id=case.id).update(updated_at=ctx.now, **columns)
    for field, value in columns.items():
        setattr(case, field, value)
    await resident_annotates(
        case,
        resident,
        ctx,
        f"补充地点：{place_summary(case)}",
        {"kind": "place", "grid": place.grid_code},
    )
    if CaseStatus(case.status) is not CaseStatus.ACCEPTED:
        return replies.PLACE_NOTED.format(place=place_summary(case))
    merged = await merge_if_duplicate(case, ctx)
    if merged is not None:
        return merged
    unit = await dispatch_if_possible(case, grid, ctx)
    if unit is None:
        return replies.PLACE_UNCLEAR.format(place=place_summary(case))
    assert case.completion_due_at is not None
    routing = replies.ROUTED.format(unit=unit.name, deadline=format_local(case.completion_due_at))
    return replies.PLACE_SET.format(place=place_summary(case), routing=routing)
