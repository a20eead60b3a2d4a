"""Small copies of stored photos for the case page, made on first request and kept in the store.

A thumbnail is made from the stored photo, which is already a clean copy
(``handlers.residents.images``), and is itself written from pixels alone: no EXIF (a phone's
GPS position), no comments, no ICC profile. Always a JPEG, at most :data:`THUMBNAIL_EDGE` pixels
on its longer side. The path is remembered on the ``MediaFile`` row, so the work is done once
per photo; two requests racing make the same picture twice and one of them is kept.
"""

from __future__ import annotations

import asyncio
import io
import logging

from PIL import Image

from handlers.residents.media_store import MediaStore
from models import MediaFile

logger = logging.getLogger(__name__)

THUMBNAIL_EDGE = 320
THUMBNAIL_TYPE = "image/jpeg"
THUMBNAIL_SUFFIX = "-thumb"
MAX_SOURCE_PIXELS = 100_000_000  # stored photos were checked on upload; this only guards legacy


class ThumbnailFailed(ValueError):
    """The stored photo could not be read as an image."""


def make_thumbnail(data: bytes, *, edge: int = THUMBNAIL_EDGE) -> bytes:
    """``data`` shrunk to fit ``edge`` x ``edge``, as a JPEG that holds only pixels."""
    try:
        with Image.open(io.BytesIO(data), formats=["JPEG", "PNG", "WEBP"]) as image:
            if image.width * image.height > MAX_SOURCE_PIXELS:
                raise ThumbnailFailed("too many pixels")
            image.draft("RGB", (edge, edge))  # JPEG: decode at a smaller scale, much faster
            image.thumbnail((edge, edge))
            pixels = image.convert("RGB")
            pixels.info = {}
            out = io.BytesIO()
            pixels.save(out, "JPEG", quality=80)
    except ThumbnailFailed:
        raise
    except Exception as problem:  # whatever the decoder refuses
        raise ThumbnailFailed(type(problem).__name__) from None
    return out.getvalue()


async def thumbnail_of(store: MediaStore, row: MediaFile) -> bytes | None:
    """The photo's thumbnail, made and kept on first request; None if the photo is gone."""
    if row.thumbnail_path:
        kept = await store.read(row.thumbnail_path)
        if kept is not None:
            return kept
    original = await store.read(row.path)
    if original is None:
        return None
    loop = asyncio.get_running_loop()
    try:
        small = await loop.run_in_executor(None, make_thumbnail, original)
    except ThumbnailFailed as problem:
        logger.warning("no thumbnail for media %s: %s", row.id, problem)
        return None
    path = await store.save(f"{row.key}{THUMBNAIL_SUFFIX}", small, THUMBNAIL_TYPE)
    await MediaFile.filter(id=row.id).update(thumbnail_path=path)
    row.thumbnail_path = path
    return small
