"""The resident API's photos: ``POST /api/resident/uploads`` takes one, ``/media/{key}`` serves it.

An upload is one multipart field ``file``, a JPEG, PNG or WebP photo (the type read from its
bytes, ``handlers.residents.media_store``), limited in size and in number an hour; its key then
goes with a case or an addition. A photo is served to whoever has its key: the key is the
capability. The routes are registered by ``bot.api.resident.add_resident_routes``.
"""

from __future__ import annotations

import logging

from aiohttp import BodyPartReader, web

from bot.api.json_api import ApiError, error_response
from bot.api.resident_auth import Limit, Signed, now_of
from bot.keys import MEDIA_STORE, SETTINGS
from config import resident_api as texts
from handlers.clock import format_local
from handlers.intake.rate_limits import upload_limit
from handlers.residents.media_store import KEY_PATTERN, UnsupportedType, media_url, store_photo
from models import MediaFile

logger = logging.getLogger(__name__)

READ_CHUNK = 64 * 1024


async def _read_file(request: web.Request, limit: int) -> bytes:
    """The bytes of the multipart field ``file``, refusing them past ``limit`` (nothing kept)."""
    if not request.content_type.startswith("multipart/"):
        raise ApiError(400, "invalid_upload", texts.UPLOAD_MALFORMED)
    too_big = ApiError(
        413, "too_large", texts.UPLOAD_TOO_LARGE.format(limit=f"{limit / 1024 / 1024:.1f} MB")
    )
    if request.content_length is not None and (
        request.content_length > limit + texts.UPLOAD_OVERHEAD_BYTES
    ):
        raise too_big
    try:
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader) or part.name != "file":
                await part.release()
                continue
            data = bytearray()
            while chunk := await part.read_chunk(READ_CHUNK):
                data.extend(chunk)
                if len(data) > limit:
                    raise too_big
            if not data:
                raise ApiError(400, "invalid_upload", texts.UPLOAD_EMPTY)
            return bytes(data)
    except ApiError:
        raise
    except (ValueError, RuntimeError, AssertionError, LookupError, UnicodeError) as exc:
        logger.info("malformed upload: %s", type(exc).__name__)
        raise ApiError(400, "invalid_upload", texts.UPLOAD_MALFORMED) from None
    raise ApiError(400, "invalid_upload", texts.UPLOAD_MALFORMED)


async def upload(request: web.Request, signed: Signed) -> web.Response:
    settings = request.app[SETTINGS]
    now = now_of(request)
    resident = signed.resident
    limited = await upload_limit("resident", resident.id, now, texts.UPLOADS_PER_HOUR)
    if limited is not None:
        raise Limit(limited, now, texts.TOO_MANY_UPLOADS.format(until=format_local(limited.until)))
    data = await _read_file(request, settings.upload_max_bytes)
    try:
        row = await store_photo(
            request.app[MEDIA_STORE],
            data,
            owner_type="resident",
            owner_id=resident.id,
            now=now,
            settings=settings,
        )
    except UnsupportedType:
        types = "、".join(t.removeprefix("image/").upper() for t in settings.upload_types)
        raise ApiError(
            415, "unsupported_type", texts.UPLOAD_WRONG_TYPE.format(types=types)
        ) from None
    return web.json_response(
        {
            "key": row.key,
            "url": media_url(settings, row.key),
            "content_type": row.content_type,
            "size": row.size,
        },
        status=201,
    )


async def media(request: web.Request) -> web.Response:
    """A photo by its key: the key is the capability, so nothing else is asked."""
    key = request.match_info["key"]
    row = await MediaFile.get_or_none(key=key) if KEY_PATTERN.match(key) else None
    store = request.app[MEDIA_STORE]
    data = await store.read(row.path) if row is not None and row.storage == store.name else None
    if row is None or data is None:
        return error_response(404, "not_found", texts.MEDIA_NOT_FOUND)
    return web.Response(
        body=data,
        content_type=row.content_type,
        headers={
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, max-age=86400",
            "Content-Disposition": "inline",
        },
    )
