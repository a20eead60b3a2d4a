"""A suggestion's photos for staff: whoever may read the suggestion may open its photos.

A resident's photo sent with a suggestion (the mini-program's form, an addition the office asked
for) belongs to no case, so the case rule of ``handlers.media.access`` does not reach it. Staff
with ``suggestions.read`` who may see a suggestion of that resident (``access.visible_suggestions``:
the office every one, a department those adopted for it) whose attachments name the photo, by
its ``media_key`` or its ``/media/<key>`` link, may open it.
"""

from __future__ import annotations

from typing import Any

from handlers.suggestions.access import visible_suggestions
from models import MediaFile, StaffUser

MEDIA_PATH = "/media/"


def names_photo(items: list[dict[str, Any]] | None, key: str) -> bool:
    """Whether the attachments ``items`` name the stored photo ``key``."""
    for item in items or []:
        if not isinstance(item, dict):
            continue
        if item.get("media_key") == key or str(item.get("url") or "").endswith(MEDIA_PATH + key):
            return True
    return False


async def may_see_photo(user: StaffUser, row: MediaFile) -> bool:
    """Whether ``user`` may open the resident's photo ``row`` as a suggestion's photo."""
    if row.owner_type != "resident":
        return False
    theirs = visible_suggestions(user).filter(resident_id=row.owner_id)
    for attachments in await theirs.values_list("attachments", flat=True):
        if names_photo(attachments, row.key):  # type: ignore[arg-type]
            return True
    return False
