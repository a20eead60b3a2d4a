"""A case's deadline changes as the timeline shows them (``models.DeadlineChange``).

Each change is attached to the event that made it (派单, 改派, 重办, an approved 延期, a
re-grading ...): the case page lists them under that event, the admin API's case detail gives
them in the event's ``deadlines``. Why they are recorded is ``handlers.workflow.spells``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tortoise.expressions import Q

from handlers.case_pages import CaseView, fold_note
from handlers.clock import format_local, iso
from models import CaseEvent, DeadlineChange

DEADLINE_LABELS = {"sign": "签收期限", "first_contact": "先行联系期限", "completion": "办结期限"}


async def deadlines_by_event(events: Iterable[CaseEvent]) -> dict[int, list[DeadlineChange]]:
    """The deadline changes each of ``events`` made, in the order they were written.

    The opening deadlines of a case just made are written on intake's hot path without the id
    of the 派单 event (its events go in one INSERT whose ids are not read back): they belong to
    the event of their case with their cause at their moment."""
    events = list(events)
    ids = [event.id for event in events]
    found: dict[int, list[DeadlineChange]] = {}
    if not ids:
        return found
    cases = {event.case_id for event in events}
    rows = await DeadlineChange.filter(
        Q(event_id__in=ids) | Q(case_id__in=list(cases), event_id__isnull=True)
    ).order_by("id")
    for row in rows:
        owner = row.event_id if row.event_id is not None else _owner(events, row)
        if owner is not None:
            found.setdefault(owner, []).append(row)
    return found


def _owner(events: list[CaseEvent], change: DeadlineChange) -> int | None:
    """The event that made ``change`` when its id was not recorded: same case, moment, cause."""
    for event in events:
        if (
            event.case_id == change.case_id
            and event.at == change.at
            and event.action == change.cause
        ):
            return event.id
    return None


def change_json(change: DeadlineChange) -> dict[str, Any]:
    return {
        "deadline": change.deadline,
        "old": iso(change.old_at),
        "new": iso(change.new_at),
        "at": iso(change.at),
        "actor_type": change.actor_type,
        "actor_id": change.actor_id if change.actor_type in ("staff", "worker") else "",
        "cause": change.cause,
        "reason": change.reason,
        "spell_id": change.spell_id,
    }


def change_text(change: DeadlineChange) -> str:
    """``办结期限 03-31 17:30 → 04-10 17:30`` (``未设`` for none)."""
    label = DEADLINE_LABELS.get(change.deadline, change.deadline)
    old = format_local(change.old_at) if change.old_at else "未设"
    new = format_local(change.new_at) if change.new_at else "取消"
    return f"{label} {old} → {new}"


async def timeline_json(events: list[CaseEvent], view: CaseView) -> list[dict[str, Any]]:
    """The admin API's timeline: each event with the deadline changes it made."""
    moved = await deadlines_by_event(events)
    return [
        {
            "at": iso(e.at),
            "action": e.action,
            "actor_type": e.actor_type,
            "actor_id": e.actor_id if e.actor_type in ("staff", "worker") else "",
            "from_status": e.from_status,
            "to_status": e.to_status,
            "note": (note := fold_note(e.note, view)).text,
            "note_folded": note.folded,
            "deadlines": [change_json(d) for d in moved.get(e.id, [])],
        }
        for e in events
    ]
