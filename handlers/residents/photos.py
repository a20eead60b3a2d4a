"""A resident's uploaded photos going with what they report: only their own, named by media key.

The mini-program uploads photos first (``handlers.residents.media_store``) and names them by key
in a new case or an addition; these check the keys are the resident's own, turn them into a
case's attachments and mark them as the case's.
"""

from __future__ import annotations

from typing import Any

from handlers.context import HandlerContext
from handlers.residents.media_store import media_url
from models import Case, MediaFile, Resident


class PhotoProblem(ValueError):
    """A media key that is not one of the resident's own uploads."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


async def owned_photos(resident: Resident, keys: tuple[str, ...]) -> list[MediaFile]:
    """The resident's own uploads for ``keys``, in order; PhotoProblem names a stranger's."""
    if not keys:
        return []
    found = {
        f.key: f
        for f in await MediaFile.filter(key__in=list(keys), owner_type="resident")
        if f.owner_id == resident.id
    }
    for key in keys:
        if key not in found:
            raise PhotoProblem(key)
    return [found[key] for key in keys]


def photo_attachments(files: list[MediaFile], ctx: HandlerContext) -> list[dict[str, Any]]:
    return [
        {"type": "image", "media_key": f.key, "url": media_url(ctx.settings, f.key)} for f in files
    ]


async def attach_photos(files: list[MediaFile], case: Case) -> None:
    """Mark the photos as the case's (a photo sent with two cases stays with the first)."""
    if files:
        await MediaFile.filter(id__in=[f.id for f in files], case_id=None).update(case_id=case.id)
