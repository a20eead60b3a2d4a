"""A proposer adds to a suggestion the office asked about (待补充 → 已收到).

What they add (words, and photos or files up to the case limit) goes onto the suggestion's text,
marked with the moment (``【补充 03月10日 10:00】…``), and the suggestion goes back to the office's
queue with a fresh screening deadline: the office waited for the proposer, the proposer's answer
starts its screening time again. The chat (``handlers.suggestions.chat``) and the mini-program
call :func:`add_info`; the resident is answered at once, so the step counts as told.
"""

from __future__ import annotations

from typing import Any

from config import suggestion_office as texts
from handlers.clock import format_local
from handlers.context import HandlerContext
from handlers.suggestions.access import bad_input, clean_text
from handlers.suggestions.steps import take_step
from handlers.timeline import Actor
from handlers.workflow.deadlines import deadlines_for
from models import Resident, Suggestion, SuggestionEvent, SuggestionStatus

KIND = "suggestion"


async def add_info(
    suggestion: Suggestion,
    resident: Resident,
    text: str,
    ctx: HandlerContext,
    attachments: list[dict[str, Any]] | None = None,
) -> SuggestionEvent:
    """Add the proposer's words to ``suggestion`` (theirs, waiting for more). Call inside a
    transaction; raises ``SuggestionRefused`` (400 nothing given, 409 not waiting)."""
    if suggestion.resident_id != resident.id:
        raise bad_input(texts.NOT_FOUND)
    words = clean_text(text, "补充内容", texts.MAX_ADDED)
    room = max(0, ctx.settings.case_attachments_max - len(suggestion.attachments or []))
    added = list(attachments or [])[:room]
    if not words and not added:
        raise bad_input(texts.NEED_ADDITION)
    stamp = f"【补充 {format_local(ctx.now)}】"
    columns: dict[str, Any] = {
        "text": f"{suggestion.text}\n{stamp}{words}" if words else suggestion.text,
        "attachments": [*(suggestion.attachments or []), *added],
        "screen_due_at": deadlines_for(KIND, "一般", False, ctx.now, ctx.sla).first_contact,
        "decision_reason": "",
    }
    event = await take_step(
        suggestion,
        SuggestionStatus.RECEIVED,
        "add_info",
        Actor("resident", resident.openid),
        ctx.now,
        note=words,
        data={"attachments": len(added), "asked": suggestion.decision_reason},
        columns=columns,
    )
    await SuggestionEvent.filter(id=event.id).update(told=True)  # answered at once
    event.told = True
    return event


def added_reply(suggestion: Suggestion) -> str:
    return texts.MORE_ADDED.format(number=suggestion.number)
