"""A resident asks about their own cases."""

from __future__ import annotations

from config import replies
from handlers.clock import format_local
from models import Case, CaseAction, CaseEvent, CaseStatus, Resident

MAX_LISTED = 5
TIMELINE_EVENTS = 8
STAFF_ONLY_NOTES = frozenset({"deadline_warning"})


async def my_cases(resident: Resident) -> str:
    cases = (
        await Case.filter(resident_id=resident.id).order_by("-created_at", "-id").limit(MAX_LISTED)
    )
    if not cases:
        return replies.NO_CASES
    lines = [replies.MY_CASES_HEADER]
    for case in cases:
        lines.append(
            replies.MY_CASES_LINE.format(
                number=case.number, status=CaseStatus(case.status).label, title=case.title
            )
        )
    lines.append(replies.MY_CASES_FOOTER)
    return "\n".join(lines)


def _event_note(event: CaseEvent) -> str:
    if event.action == CaseAction.DISPATCH.value or not event.note:
        return f"：{event.note}" if event.note else ""
    note = event.note if len(event.note) <= 40 else event.note[:39] + "…"
    return f"：{note}"


async def case_timeline(resident: Resident, number: str) -> str:
    """The case's history as the resident may see it: only their own cases, by number."""
    case = await Case.get_or_none(number=number, resident_id=resident.id)
    if case is None:
        return replies.CASE_NOT_FOUND.format(number=number)
    # Reminders to staff (deadline warnings) are not the resident's business.
    events = [
        event
        for event in await CaseEvent.filter(case_id=case.id)
        .order_by("-at", "-id")
        .limit(TIMELINE_EVENTS * 3)
        if (event.data or {}).get("kind") not in STAFF_ONLY_NOTES
    ][:TIMELINE_EVENTS]
    lines = [
        replies.TIMELINE_HEADER.format(
            number=case.number, status=CaseStatus(case.status).label, title=case.title
        )
    ]
    for event in reversed(events):
        lines.append(
            replies.TIMELINE_LINE.format(
                time=format_local(event.at),
                action=CaseAction(event.action).label,
                note=_event_note(event),
            )
        )
    return "\n".join(lines)
