"""One step of a suggestion taken by staff, a resident or the system: checked, recorded, told.

:func:`take_step` is ``records.move`` with the refusals staff read: a step the status machine
does not allow is 409 ``illegal_transition`` naming the status, and a suggestion somebody else
moved between reading and writing is 409 ``concurrent_change`` (two staff deciding at once:
one wins, the other is told to look again). Call inside a transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from config import suggestion_office as texts
from handlers.staff.audit import StaffActor, audit
from handlers.suggestions.access import SuggestionRefused
from handlers.suggestions.records import ChangedMeanwhile, IllegalStep, move
from handlers.timeline import Actor
from models import Suggestion, SuggestionEvent, SuggestionStatus


def staff_actor(actor: StaffActor) -> Actor:
    """How a staff member appears on a suggestion's timeline."""
    return Actor("staff", actor.label)


def illegal(suggestion: Suggestion, action: str) -> SuggestionRefused:
    status = SuggestionStatus(suggestion.status)
    label = texts.ACTION_LABELS.get(action, action)
    return SuggestionRefused(
        texts.ILLEGAL_STEP.format(status=status.label, action=label), 409, "illegal_transition"
    )


def concurrent() -> SuggestionRefused:
    return SuggestionRefused(texts.CHANGED_MEANWHILE, 409, "concurrent_change")


def screened(suggestion: Suggestion, now: datetime) -> dict[str, Any]:
    """``screened_at`` for the office's first decision on the suggestion (kept afterwards)."""
    return {"screened_at": now} if suggestion.screened_at is None else {}


async def take_step(
    suggestion: Suggestion,
    to: SuggestionStatus,
    action: str,
    who: Actor,
    now: datetime,
    *,
    note: str = "",
    data: dict[str, Any] | None = None,
    columns: dict[str, Any] | None = None,
) -> SuggestionEvent:
    try:
        return await move(suggestion, to, action, who, now, note=note, data=data, columns=columns)
    except IllegalStep:
        raise illegal(suggestion, action) from None
    except ChangedMeanwhile:
        raise concurrent() from None


async def audited(
    actor: StaffActor,
    action: str,
    suggestion: Suggestion,
    now: datetime,
    detail: dict[str, Any] | None = None,
) -> None:
    """The audit row of a staff step, in the step's transaction."""
    await audit(
        actor,
        f"suggestion.{action}",
        now,
        target_type="suggestion",
        target_id=suggestion.number,
        detail=detail or {},
    )
