"""Where uploaded photos live: a small storage interface, a local folder behind it by default.

A photo is named by a random key (:func:`new_media_key`), which is also its capability: whoever
has ``/media/<key>`` may see it, and nobody can guess one. The bytes are stored under a path we
make from the key and the type we detected; nothing the client sent (file name, declared type)
ever reaches the filesystem. The type is read from the file's first bytes (JPEG, PNG and WebP
signatures), never taken from the upload's headers, and the photo is then decoded and encoded
again (``handlers.residents.images``): what is kept and served is a new file of that type holding
only pixels, never the bytes the client sent. That work runs in a small pool of its own threads,
off the event loop, two photos at a time, so that a burst of large uploads cannot take all the
memory or starve the default executor.

Another store (an object store, say) implements :class:`MediaStore` and records its own name in
``MediaFile.storage``.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import logging
import os
import re
import secrets
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Protocol

from config.settings import Settings
from handlers.residents.images import clean_image
from models import MediaFile

logger = logging.getLogger(__name__)

KEY_PATTERN = re.compile(r"^[A-Za-z0-9_-]{32,64}$")
EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp"}
SNIFF_BYTES = 12
IMAGE_THREADS = 2  # photos decoded at once, each up to JIESU_UPLOAD_MAX_PIXELS
_IMAGE_WORK = ThreadPoolExecutor(max_workers=IMAGE_THREADS, thread_name_prefix="jiesu-image")


class MediaStore(Protocol):
    """Bytes in, bytes out, by a storage-relative path the store chose itself."""

    name: str

    async def save(self, key: str, data: bytes, content_type: str) -> str:
        """Store ``data``; return the path to keep in ``MediaFile.path``."""
        ...

    async def read(self, path: str) -> bytes | None:
        """The bytes at ``path``, or None if they are gone."""
        ...

    async def delete(self, path: str) -> None: ...


class LocalMediaStore:
    """Files in a folder: ``<root>/<first two characters of the key>/<key>.<ext>``.

    Written to a temporary name and renamed, so a reader never sees half a photo. The blocking
    file calls run in the default executor, off the event loop.
    """

    name = "local"

    def __init__(self, root: Path) -> None:
        self.root = root

    def _resolve(self, path: str) -> Path:
        full = (self.root / path).resolve()
        root = self.root.resolve()
        if root not in full.parents:
            raise ValueError(f"media path {path!r} is outside the upload folder")
        return full

    async def save(self, key: str, data: bytes, content_type: str) -> str:
        if not KEY_PATTERN.match(key):
            raise ValueError("media keys are random url-safe strings")
        path = f"{key[:2]}/{key}{EXTENSIONS.get(content_type, '')}"
        target = self._resolve(path)
        await asyncio.get_running_loop().run_in_executor(None, _write, target, data)
        return path

    async def read(self, path: str) -> bytes | None:
        target = self._resolve(path)
        return await asyncio.get_running_loop().run_in_executor(None, _read, target)

    async def delete(self, path: str) -> None:
        target = self._resolve(path)
        await asyncio.get_running_loop().run_in_executor(None, _delete, target)


def _write(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(4)}.part")
    temporary.write_bytes(data)
    os.replace(temporary, target)


def _read(target: Path) -> bytes | None:
    try:
        return target.read_bytes()
    except FileNotFoundError:
        return None


def _delete(target: Path) -> None:
    target.unlink(missing_ok=True)


def sniff_image_type(head: bytes) -> str | None:
    """The image type the bytes themselves say, or None if they are none of ours."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def new_media_key() -> str:
    return secrets.token_urlsafe(24)  # 32 characters, 192 random bits


def media_url(settings: Settings, key: str) -> str:
    """Where a photo is served: under JIESU_PUBLIC_URL when it is set, else a relative path."""
    base = settings.public_url.strip().rstrip("/")
    return f"{base}/media/{key}"


class UnsupportedType(ValueError):
    """The bytes are not an image type the settings accept."""


async def store_photo(
    store: MediaStore,
    data: bytes,
    *,
    owner_type: str,
    owner_id: int,
    now: datetime,
    settings: Settings,
) -> MediaFile:
    """Check the bytes' real type, keep a clean copy under a new key and record the MediaFile.

    Raises :class:`UnsupportedType` for a type the settings do not accept, and (from
    ``handlers.residents.images``) ``TooManyPixels`` or ``UnreadableImage``: nothing is kept
    then. If the row cannot be written the stored file is removed again.
    """
    content_type = sniff_image_type(data[:SNIFF_BYTES])
    if content_type is None or content_type not in settings.upload_types:
        raise UnsupportedType(content_type or "unknown")
    sent = len(data)
    data = await asyncio.get_running_loop().run_in_executor(
        _IMAGE_WORK,
        functools.partial(clean_image, data, content_type, max_pixels=settings.upload_max_pixels),
    )
    key = new_media_key()
    path = await store.save(key, data, content_type)
    try:
        row = await MediaFile.create(
            key=key,
            owner_type=owner_type,
            owner_id=owner_id,
            content_type=content_type,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            storage=store.name,
            path=path,
            created_at=now,
        )
    except BaseException:
        await store.delete(path)
        raise
    logger.info(
        "%s %s uploaded %s (%d bytes, %d kept)", owner_type, owner_id, content_type, sent, len(data)
    )
    return row
