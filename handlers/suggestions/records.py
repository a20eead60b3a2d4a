"""A suggestion's life: its number, the status machine, its events, and telling the proposer.

Every change goes through :func:`move`: the transition is checked against :data:`TRANSITIONS`,
the row is changed only if it still has the status it was read with (two office staff pressing
at once change it once), and the step becomes a :class:`models.SuggestionEvent`. Steps the
proposer should hear of are sent through ``handlers.notify`` (the case channels: customer
service within 48 hours, else template or subscription message, else recorded as not sent).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from config.settings import Settings
from handlers.case_numbers import next_case_number
from handlers.notify import CaseUpdate, notify_resident
from handlers.timeline import Actor
from models import Resident, Suggestion, SuggestionEvent, SuggestionStatus

S = SuggestionStatus
NUMBER_PREFIX = "JY"

# status -> the statuses the office (or the system) may move it to.
#
# Forwarding to the city is a status only for a suggestion the office sends on instead of
# adopting it (from screening); a suggestion adopted for departments and then forwarded as well
# keeps its status and gets ``forwarded_at`` (handlers.suggestions.office.forward), so its
# departments' answers still move it to ANSWERED. A forwarded one may yet be adopted here too.
# ANSWERED comes only from ADOPTED: it means every department it went to has answered.
TRANSITIONS: dict[SuggestionStatus, frozenset[SuggestionStatus]] = {
    S.RECEIVED: frozenset({S.MORE_INFO, S.DECLINED, S.MERGED, S.ADOPTED, S.FORWARDED, S.CONVERTED}),
    S.MORE_INFO: frozenset({S.RECEIVED, S.DECLINED, S.MERGED, S.ADOPTED, S.FORWARDED, S.CONVERTED}),
    S.DECLINED: frozenset({S.RECEIVED}),  # reconsidered
    S.MERGED: frozenset(),
    S.ADOPTED: frozenset({S.ANSWERED}),
    S.FORWARDED: frozenset({S.ADOPTED, S.IMPLEMENTED}),
    S.ANSWERED: frozenset({S.IMPLEMENTED, S.ADOPTED}),  # adopted again for another department
    S.IMPLEMENTED: frozenset(),
    S.CONVERTED: frozenset(),
}

OPEN_STATUSES = frozenset({S.RECEIVED, S.MORE_INFO})  # waiting for the office's screening


class IllegalStep(ValueError):
    """The suggestion cannot take that step from where it stands."""


class ChangedMeanwhile(RuntimeError):
    """Somebody else moved the suggestion between reading and writing it; read it again."""


def is_suggestion_number(text: str) -> bool:
    return text.upper().startswith(NUMBER_PREFIX) and text[len(NUMBER_PREFIX) :].isdigit()


async def next_number(now: datetime) -> str:
    """``JY`` and a number of the case numbers' sequence: unique across cases and suggestions."""
    return NUMBER_PREFIX + await next_case_number(now)


async def record(
    suggestion: Suggestion,
    action: str,
    actor: Actor,
    now: datetime,
    *,
    note: str = "",
    data: dict[str, Any] | None = None,
    from_status: SuggestionStatus | None = None,
    to_status: SuggestionStatus | None = None,
    told: bool = False,
) -> SuggestionEvent:
    return await SuggestionEvent.create(
        suggestion_id=suggestion.id,
        at=now,
        action=action,
        actor_type=actor.type,
        actor_id=actor.id,
        from_status=from_status.value if from_status else None,
        to_status=to_status.value if to_status else None,
        note=note,
        data=data or {},
        told=told,
    )


async def move(
    suggestion: Suggestion,
    to: SuggestionStatus,
    action: str,
    actor: Actor,
    now: datetime,
    *,
    note: str = "",
    data: dict[str, Any] | None = None,
    columns: dict[str, Any] | None = None,
) -> SuggestionEvent:
    """Move ``suggestion`` to ``to`` (checked), with ``columns`` set in the same update, and
    record the step. Call inside a transaction; raises IllegalStep or ChangedMeanwhile."""
    before = SuggestionStatus(suggestion.status)
    if to not in TRANSITIONS[before]:
        raise IllegalStep(f"a suggestion {before.label} cannot become {to.label}")
    values = {"status": to, "updated_at": now, **(columns or {})}
    changed = await Suggestion.filter(id=suggestion.id, status=before).update(**values)
    if not changed:
        raise ChangedMeanwhile(f"suggestion {suggestion.number} changed meanwhile")
    for name, value in values.items():
        setattr(suggestion, name, value)
    return await record(
        suggestion, action, actor, now, note=note, data=data, from_status=before, to_status=to
    )


async def tell(
    suggestion: Suggestion,
    event: SuggestionEvent,
    text: str,
    now: datetime,
    settings: Settings | None,
) -> bool:
    """Send the proposer ``text`` about this step (once per event); whether there was anyone
    to tell (a suggestion entered by staff for nobody has no proposer)."""
    if suggestion.resident_id is None:
        return False
    resident = await Resident.get_or_none(id=suggestion.resident_id)
    if resident is None:
        return False
    await notify_resident(
        resident,
        text,
        now,
        purpose="suggestion",
        dedup_key=f"suggestion-event:{event.id}",
        settings=settings,
        update=CaseUpdate(suggestion.number, SuggestionStatus(suggestion.status).label, now),
    )
    await SuggestionEvent.filter(id=event.id).update(told=True)
    event.told = True
    return True
