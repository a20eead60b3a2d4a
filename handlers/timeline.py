"""Every change to a case goes through :func:`apply_action`: the status machine is checked, the
case row is updated only if nobody changed it meanwhile, and the timeline gets its event.

A change of a due column (``sign_due_at``, ``first_contact_due_at``, ``completion_due_at``) is
also a :class:`models.DeadlineChange` per deadline, with the event's who and why, written in the
same transaction: every deadline change is an event (issue 16)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise import connections

from models import Case, CaseAction, CaseEvent, CaseStatus, DeadlineChange, UnitSpell, next_status

logger = logging.getLogger(__name__)

# The case's due columns and the deadline each one is, as DeadlineChange.deadline names it.
DUE_COLUMNS = {
    "sign_due_at": "sign",
    "first_contact_due_at": "first_contact",
    "completion_due_at": "completion",
}


class ConcurrentChange(RuntimeError):
    """Somebody else changed the case between reading and writing it; read it again."""


@dataclass(frozen=True)
class Actor:
    type: str  # resident | worker | staff | system
    id: str = ""

    @classmethod
    def system(cls) -> Actor:
        return cls("system", "jiesu")


def event_row(
    case: Case,
    action: CaseAction,
    actor: Actor,
    now: datetime,
    *,
    from_status: CaseStatus | None,
    to_status: CaseStatus | None,
    note: str = "",
    data: dict[str, Any] | None = None,
) -> CaseEvent:
    """An event not yet written: :func:`record_events` writes several in one statement."""
    return CaseEvent(
        case_id=case.id,
        at=now,
        actor_type=actor.type,
        actor_id=actor.id,
        action=action.value,
        from_status=from_status.value if from_status else None,
        to_status=to_status.value if to_status else None,
        note=note,
        data=data or {},
    )


_EVENT_COLUMNS = (
    "case_id",
    "at",
    "actor_type",
    "actor_id",
    "action",
    "from_status",
    "to_status",
    "note",
    "data",
)


async def record_events(events: list[CaseEvent]) -> None:
    """Write events made by :func:`event_row` in one multi-row INSERT (one statement on either
    backend; their ids are not read back)."""
    if not events:
        return
    conn = connections.get("default")
    mark = "$" if conn.capabilities.dialect == "postgres" else "?"
    fields = CaseEvent._meta.fields_map
    values: list[Any] = []
    rows = []
    for event in events:
        marks = []
        for column in _EVENT_COLUMNS:
            name = "case" if column == "case_id" else column
            raw = getattr(event, column)
            values.append(raw if name == "case" else fields[name].to_db_value(raw, event))
            marks.append(f"{mark}{len(values)}")
        rows.append(f"({', '.join(marks)})")
    columns = ", ".join(f'"{c}"' for c in _EVENT_COLUMNS)
    await conn.execute_query(
        f'INSERT INTO "case_events" ({columns}) VALUES {", ".join(rows)}', values
    )


async def record_event(
    case: Case,
    action: CaseAction,
    actor: Actor,
    now: datetime,
    *,
    from_status: CaseStatus | None,
    to_status: CaseStatus | None,
    note: str = "",
    data: dict[str, Any] | None = None,
) -> CaseEvent:
    event = event_row(
        case, action, actor, now, from_status=from_status, to_status=to_status, note=note, data=data
    )
    await event.save()
    return event


async def annotate(
    case: Case, actor: Actor, now: datetime, note: str, data: dict[str, Any] | None = None
) -> CaseEvent:
    """A note on the timeline that leaves the status alone (a notice sent, an answer kept)."""
    return await record_event(
        case,
        CaseAction.ANNOTATE,
        actor,
        now,
        from_status=None,
        to_status=None,
        note=note,
        data=data,
    )


async def apply_action(
    case: Case,
    action: CaseAction,
    actor: Actor,
    now: datetime,
    *,
    note: str = "",
    data: dict[str, Any] | None = None,
    changes: dict[str, Any] | None = None,
    deadline_why: str = "",
) -> CaseEvent:
    """Move ``case`` by ``action`` (raising IllegalTransition if not allowed) and record it.

    ``changes`` are further column updates written in the same conditional update. The update
    is guarded by the case's ``version`` so that two workers acting at once cannot both win.
    Due columns that change are recorded as deadline changes, with ``deadline_why`` (default:
    the note) as their reason.
    """
    before = {column: getattr(case, column) for column in DUE_COLUMNS if column in (changes or {})}
    current = CaseStatus(case.status)
    target = next_status(current, action)
    values: dict[str, Any] = dict(changes or {})
    values["status"] = target
    values["version"] = case.version + 1
    values["updated_at"] = now
    updated = await Case.filter(id=case.id, version=case.version).update(**values)
    if not updated:
        raise ConcurrentChange(f"case {case.number} changed while {action.value} was applied")
    for field, value in values.items():
        setattr(case, field, value)
    logger.info(
        "case %s: %s %s -> %s",
        case.number,
        action.value,
        current,
        target,
        extra={"case": case.number},
    )
    event = await record_event(
        case, action, actor, now, from_status=current, to_status=target, note=note, data=data
    )
    moved = {column: old for column, old in before.items() if values[column] != old}
    if moved:
        spell = await UnitSpell.filter(case_id=case.id, ended_at__isnull=True).first()
        for column, old in moved.items():
            await record_deadline(
                case,
                DUE_COLUMNS[column],
                old,
                values[column],
                actor,
                now,
                cause=action.value,
                reason=deadline_why or note,
                spell_id=spell.id if spell is not None else None,
                event_id=event.id,
            )
    return event


async def record_deadline(
    case: Case,
    deadline: str,
    old: datetime | None,
    new: datetime | None,
    actor: Actor,
    now: datetime,
    *,
    cause: str,
    reason: str,
    spell_id: int | None,
    event_id: int | None,
) -> DeadlineChange:
    """One deadline of ``case`` moved from ``old`` to ``new``: who, when, why."""
    return await DeadlineChange.create(
        case_id=case.id,
        spell_id=spell_id,
        event_id=event_id,
        deadline=deadline,
        old_at=old,
        new_at=new,
        at=now,
        actor_type=actor.type,
        actor_id=actor.id,
        cause=cause,
        reason=reason,
    )
