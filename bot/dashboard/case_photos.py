"""A case's photos as the case page shows them: a thumbnail that opens the full image.

Photos come three ways: a resident's or worker's upload in our store (``media_key``, served at
``/media/<key>`` and ``/media/<key>/thumbnail`` to staff who may see the case, ``bot.api.media``);
an official account's image message with WeChat's ``PicUrl`` (an https link, shown as it is); and
a WeChat ``media_id`` with no link, which only the official account platform can show (listed as
such). Any other link (``javascript:``, ``data:``) is never put in the page.
"""

from __future__ import annotations

from typing import Any

from handlers.residents.media_store import KEY_PATTERN

MEDIA_PREFIX = "/media/"


def stored_key(item: dict[str, Any]) -> str | None:
    """The key of a photo in our store, by its ``media_key`` or its ``/media/<key>`` link."""
    key = item.get("media_key")
    if not isinstance(key, str):
        url = str(item.get("url") or "")
        where = url.find(MEDIA_PREFIX)
        key = url[where + len(MEDIA_PREFIX) :] if where >= 0 else None
        if key is not None and not (url.startswith(MEDIA_PREFIX) or url.startswith("http")):
            key = None
    return key if key is not None and KEY_PATTERN.match(key) else None


def photo_of(item: dict[str, Any]) -> dict[str, str]:
    key = stored_key(item)
    url = str(item.get("url") or "")
    shown = {"type": str(item.get("type") or "image"), "media_id": str(item.get("media_id") or "")}
    if key is not None:
        return {**shown, "url": f"{MEDIA_PREFIX}{key}", "thumb": f"{MEDIA_PREFIX}{key}/thumbnail"}
    if url.startswith(("https://", "http://")):
        return {**shown, "url": url, "thumb": url}
    return {**shown, "url": "", "thumb": ""}


def photos_of(items: list[dict[str, Any]] | None) -> list[dict[str, str]]:
    """What the page shows of ``items`` (a case's or an event's attachments)."""
    return [photo_of(item) for item in items or [] if isinstance(item, dict)]
