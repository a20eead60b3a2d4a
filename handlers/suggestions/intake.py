"""A message read as 建议 becomes a suggestion for the suggestion office, not a case.

``handlers.intake.report.report_case(..., suggestions=True)`` calls :func:`take` when the
understanding reads the words as a suggestion: the suggestion gets its number (``JY…``), the
office's screening deadline (the SLA table's ``suggestion`` kind: its first-contact limit is the
screening limit, its completion limit a department's answer limit), and the resident is told
the number, that it goes to the suggestion office, and the typical time to an answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from config import suggestions as texts
from handlers.context import HandlerContext
from handlers.suggestions.records import next_number, record
from handlers.timeline import Actor
from handlers.workflow.deadlines import deadlines_for, policy_for
from models import Resident, Suggestion, SuggestionStatus
from nlu.understanding import Understanding

KIND = "suggestion"


@dataclass(frozen=True)
class Suggested:
    """What intake made of words read as a suggestion, and the reply to the resident."""

    suggestion: Suggestion
    reply: str


def screening_days(ctx: HandlerContext) -> int:
    """The working days the office has to screen a suggestion (for the reply)."""
    limit = policy_for(KIND, "一般", False, ctx.sla).first_contact
    return limit.working_days or max(1, round(limit.hours / 24))


async def take(
    resident: Resident | None,
    text: str,
    understanding: Understanding,
    ctx: HandlerContext,
    *,
    channel: str,
    attachments: list[dict[str, Any]] | None = None,
    call_id: int | None = None,
    station_id: int | None = None,
    actor: Actor | None = None,
    columns: dict[str, Any] | None = None,
    note: str = "",
    data: dict[str, Any] | None = None,
) -> Suggested:
    """Record the resident's suggestion (call inside the caller's transaction).

    Without a resident (one entered by staff from a phone call, a letter or a station) the
    ``actor`` is who entered it; ``columns`` set what the channel knows beyond the words
    (the proposer's phone, consent to publish, how they wish to be credited, a number reserved
    when the message was held); ``note`` and
    ``data`` go on the receiving event (how it came, who brought it).
    """
    place = understanding.place
    due = deadlines_for(KIND, "一般", False, ctx.now, ctx.sla)
    phone = understanding.phones[0] if understanding.phones else None
    if phone is None and resident is not None:
        phone = resident.phone
    reserved = (columns or {}).get("number")  # kept when the message was held (Open311)
    values: dict[str, Any] = dict(
        number=reserved or await next_number(ctx.now),
        resident_id=resident.id if resident is not None else None,
        channel=channel,
        station_id=station_id,
        call_id=call_id,
        title=understanding.title[:64],
        text=text,
        category=understanding.category,
        keywords=list(understanding.keywords),
        street=place.street or "",
        place_text=(place.text or "")[:128],
        contact_phone=phone,
        attachments=list(attachments or []),
        status=SuggestionStatus.RECEIVED,
        screen_due_at=due.first_contact,
        created_at=ctx.now,
        updated_at=ctx.now,
    )
    suggestion = await Suggestion.create(**{**values, **(columns or {})})
    if actor is None:
        actor = Actor("resident", resident.openid) if resident is not None else Actor.system()
    await record(
        suggestion,
        "receive",
        actor,
        ctx.now,
        to_status=SuggestionStatus.RECEIVED,
        note=note,
        data={
            "channel": channel,
            "kind_confidence": understanding.kind_confidence,
            **(data or {}),
        },
        told=resident is not None,  # the reply tells the number
    )
    reply = texts.RECEIVED.format(
        number=suggestion.number, days=screening_days(ctx), to_case=texts.TO_CASE_WORD
    )
    return Suggested(suggestion, reply)
