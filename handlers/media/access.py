"""Who may fetch a stored photo: the people who may see the case it belongs to, and its uploader.

- staff: a photo of a case :func:`handlers.staff.permissions.may_see_case` lets them see (with
  ``cases.read``); a resident's photo not (yet) with any case, such as one in a message held
  back from routing, only with ``held.decide``, the capability that decides on those messages;
  a resident's photo with a suggestion (人民建议) to those who may read that suggestion
  (``handlers.suggestions.photos``);
- a worker: their own uploads, and the photos of a case ``handlers.workflow.actions.may_see``
  lets them see;
- a resident: their own uploads, and the result photos (办理结果) of their own case.

Everybody else is refused, and the caller answers a refusal exactly like a key that does not
exist, so a key found in a log or a shared link tells a stranger nothing.
"""

from __future__ import annotations

from typing import Any

from handlers.staff.permissions import can, may_see_case
from handlers.suggestions.photos import may_see_photo
from handlers.workflow.actions import may_see
from models import Case, MediaFile, Resident, StaffUser, Worker

Viewer = StaffUser | Worker | Resident


def _keys_in(items: list[dict[str, Any]] | None) -> set[str]:
    return {str(i.get("media_key")) for i in items or [] if isinstance(i, dict)}


async def _case_of(row: MediaFile) -> Case | None:
    return await Case.get_or_none(id=row.case_id) if row.case_id is not None else None


async def may_fetch(row: MediaFile, viewer: Viewer) -> bool:
    """Whether ``viewer`` may see the photo ``row``."""
    if isinstance(viewer, StaffUser):
        if not viewer.active:
            return False
        case = await _case_of(row)
        if case is not None and can(viewer, "cases.read") and may_see_case(viewer, case):
            return True
        if await may_see_photo(viewer, row):  # a suggestion's photo, for who may read it
            return True
        return case is None and row.owner_type == "resident" and can(viewer, "held.decide")
    if isinstance(viewer, Worker):
        if not viewer.active:
            return False
        if row.owner_type == "worker" and row.owner_id == viewer.id:
            return True
        case = await _case_of(row)
        return case is not None and may_see(viewer, case)
    if row.owner_type == "resident" and row.owner_id == viewer.id:
        return True
    case = await _case_of(row)
    return (
        case is not None
        and case.resident_id == viewer.id
        and row.key in _keys_in(case.result_attachments)
    )
