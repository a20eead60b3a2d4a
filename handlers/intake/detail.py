"""A resident adds to a case they just reported: more words, photos, the place."""

from __future__ import annotations

from typing import Any

from config import replies
from handlers.context import HandlerContext
from handlers.intake.case_limits import (
    addition_start,
    clip,
    note_kept_out,
    room_of,
    take_case,
    words_room,
)
from handlers.intake.report import accepted_reply, dispatch_if_possible, merge_if_duplicate
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
    """The resident's words onto the case, as far as its caps allow. Call in a transaction.

    One message keeps at most ``message_max_chars``, a case takes ``case_added_max_chars`` of
    additions; past either the words end with a mark, and a case with no room left takes none
    (the timeline's note counts them). The reply tells the resident which
    (``handlers.intake.case_limits``).
    """
    await take_case(case, ctx.now)
    settings = ctx.settings
    room = words_room(room_of(case, settings), ctx.now)
    if room == 0:
        await note_kept_out(case, ctx, chars=len(text))
        return replies.CASE_WORDS_FULL.format(number=case.number)
    limit = min(settings.message_max_chars, room)
    words = clip(text, limit)
    case.text = f"{case.text}{addition_start(ctx.now)}{words.text}" if case.text else words.text
    await Case.filter(id=case.id).update(text=case.text, updated_at=ctx.now)
    await resident_annotates(case, resident, ctx, words.text, {"kind": "detail"})
    reply = replies.DETAIL_ADDED.format(number=case.number)
    if words.cut and limit < settings.message_max_chars:
        return reply + replies.CASE_WORDS_NEARLY_FULL.format(number=case.number)
    if words.cut:
        return reply + replies.MESSAGE_CUT.format(sent=words.sent, limit=limit)
    return reply


def attachment_words(attachments: list[dict[str, Any]]) -> str:
    return "、".join(replies.ATTACHMENT_WORDS.get(a.get("type", ""), "附件") for a in attachments)


async def add_attachments(
    case: Case, resident: Resident, attachments: list[dict[str, Any]], ctx: HandlerContext
) -> str:
    """Photos, voices, videos or a location onto the case, up to ``case_attachments_max``.

    Those past the cap are counted on the timeline's note and the resident is told; the
    messages that brought them are kept whole. Call in a transaction.
    """
    await take_case(case, ctx.now)
    limit = ctx.settings.case_attachments_max
    room = room_of(case, ctx.settings).attachments
    taken, extra = attachments[:room], attachments[room:]
    if extra:
        await note_kept_out(case, ctx, attachments=len(extra))
    if not taken:
        return replies.CASE_FILES_FULL.format(
            number=case.number, limit=limit, what=attachment_words(extra)
        )
    case.attachments = [*case.attachments, *taken]
    await Case.filter(id=case.id).update(attachments=case.attachments, updated_at=ctx.now)
    await resident_annotates(
        case,
        resident,
        ctx,
        f"补充{attachment_words(taken)}",
        {"kind": "attachments", "attachments": taken},
    )
    reply = replies.DETAIL_ADDED.format(number=case.number)
    if extra:
        reply += replies.CASE_FILES_CUT.format(limit=limit, extra=len(extra))
    return reply


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
    # The same full answer as a report that named its place at once.
    return accepted_reply(case, unit)
