"""Photos a worker uploaded going with their progress or result: only their own, named by key.

The worker API's upload answers ``/media/<key>``; progress and finish then name the photo by
``{"media_key": key}`` or by that URL (relative, or under ``JIESU_PUBLIC_URL``). A key that is
not the worker's own upload, or that already went with another case, is refused, whatever
else the worker may see: a key found in a case page is no licence to re-use it elsewhere.
A URL on another host that merely ends in ``/media/...`` stays what it is, a link.
"""

from __future__ import annotations

from typing import Any

from tortoise.expressions import Q

from config.settings import Settings
from handlers.residents.media_store import KEY_PATTERN, media_url
from models import Case, MediaFile, Worker

MEDIA_PREFIX = "/media/"


class NotYourPhoto(ValueError):
    """A media key that is not one of the worker's own uploads for this case."""

    def __init__(self, key: str) -> None:
        super().__init__(f"照片 {key[:12]}… 不是您本人上传的，或已用于其他诉求，请重新上传")
        self.key = key


def key_in_url(url: str, settings: Settings) -> str | None:
    """The media key ``url`` names when it points at our own store, else None."""
    base = settings.public_url.strip().rstrip("/")
    for prefix in (MEDIA_PREFIX, f"{base}{MEDIA_PREFIX}" if base else ""):
        if prefix and url.startswith(prefix):
            key = url.removeprefix(prefix)
            return key if KEY_PATTERN.match(key) else ""
    return None


def photo_entry(key: str, settings: Settings) -> dict[str, Any]:
    """An attachment naming a stored photo, as cases keep them."""
    return {"type": "image", "media_key": key, "url": media_url(settings, key)}


async def own_photos(
    worker: Worker, case: Case, items: list[dict[str, Any]], settings: Settings
) -> tuple[list[dict[str, Any]], list[int]]:
    """``items`` with every reference to our store checked and written as :func:`photo_entry`;
    the ids of those files, to be marked as the case's. Raises :class:`NotYourPhoto`."""
    keys: list[str] = []
    for item in items:
        key = item.get("media_key")
        if key is None and isinstance(item.get("url"), str):
            key = key_in_url(item["url"], settings)
        if key is not None:
            if not isinstance(key, str) or not KEY_PATTERN.match(key):
                raise NotYourPhoto(str(key))
            keys.append(key)
    if not keys:
        return items, []
    found = {
        f.key: f
        for f in await MediaFile.filter(key__in=keys, owner_type="worker", owner_id=worker.id)
        if f.case_id in (None, case.id)
    }
    for key in keys:
        if key not in found:
            raise NotYourPhoto(key)
    resolved: list[dict[str, Any]] = []
    at = iter(keys)
    for item in items:
        named = item.get("media_key") is not None or (
            isinstance(item.get("url"), str) and key_in_url(item["url"], settings) is not None
        )
        resolved.append(photo_entry(next(at), settings) if named else item)
    return resolved, [found[k].id for k in keys]


async def claim_photos(ids: list[int], case: Case) -> None:
    """Mark the files as the case's, in the action's transaction: if another action took one
    for another case meanwhile, :class:`NotYourPhoto` rolls this one back."""
    if not ids:
        return
    free = Q(case_id=None) | Q(case_id=case.id)
    claimed = await MediaFile.filter(free, id__in=ids).update(case_id=case.id)
    if claimed != len(set(ids)):
        raise NotYourPhoto("")
