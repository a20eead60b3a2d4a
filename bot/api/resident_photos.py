"""The resident API's photos: ``POST /api/resident/uploads`` takes one (``bot.api.media`` serves).

An upload is one multipart/form-data field ``file``, a JPEG, PNG or WebP photo (the type read
from its bytes, ``handlers.residents.media_store``), limited in size, in pixels and in number an
hour; its key then goes with a case or an addition. What is kept is the photo decoded and encoded
again (``handlers.residents.images``): no metadata (EXIF GPS included), nothing riding on it. A
photo is served only to those who may see it (``bot.api.media``). The route is registered by
``bot.api.resident.add_resident_routes``; the worker API's upload reuses the reading and keeping.

The body is read as a whole multipart document before anything is kept: up to
:data:`MAX_PARTS` parts, each with a name, one ``file`` and a few small other fields (what
wx.uploadFile's ``formData`` adds), ending with the closing boundary. A body that breaks off,
repeats ``file``, nests a multipart or that the parser refuses in any way is a 400
``invalid_upload`` with the reason, never a 500.
"""

from __future__ import annotations

import logging

from aiohttp import BodyPartReader, MultipartReader, web

from bot.api.json_api import ApiError
from bot.api.resident_auth import Limit, Signed, now_of
from bot.keys import CLOCK, MEDIA_STORE, SETTINGS
from config import resident_api as texts
from handlers.clock import format_local
from handlers.intake.rate_limits import upload_limit
from handlers.residents.images import TooManyPixels, UnreadableImage
from handlers.residents.media_store import UnsupportedType, media_url, store_photo
from models import MediaFile

logger = logging.getLogger(__name__)

READ_CHUNK = 64 * 1024
MAX_PARTS = 8  # the file and a few fields beside it
MAX_FIELD_BYTES = 4096  # one field that is not the file


def _malformed(message: str = texts.UPLOAD_MALFORMED) -> ApiError:
    return ApiError(400, "invalid_upload", message)


async def _read_part(part: BodyPartReader, limit: int, too_big: ApiError) -> bytes:
    data = bytearray()
    while chunk := await part.read_chunk(READ_CHUNK):
        data.extend(chunk)
        if len(data) > limit:
            raise too_big
    return bytes(data)


async def _the_file(reader: MultipartReader, limit: int, too_big: ApiError) -> bytes:
    """Every part to the closing boundary; the one named ``file`` is the answer."""
    found: bytes | None = None
    parts = 0
    while (part := await reader.next()) is not None:  # None: the closing boundary was read
        parts += 1
        if parts > MAX_PARTS:
            raise _malformed(texts.UPLOAD_TOO_MANY_FIELDS)
        if not isinstance(part, BodyPartReader) or not part.name:
            raise _malformed(texts.UPLOAD_BROKEN)  # a multipart inside, or a part without a name
        if part.name != "file":
            await _read_part(part, MAX_FIELD_BYTES, _malformed(texts.UPLOAD_TOO_MANY_FIELDS))
            continue
        if found is not None:
            raise _malformed(texts.UPLOAD_ONE_FILE)
        found = await _read_part(part, limit, too_big)
    if found is None:
        raise _malformed()
    if not found:
        raise _malformed(texts.UPLOAD_EMPTY)
    return found


async def read_multipart_file(request: web.Request, limit: int) -> bytes:
    """The bytes of the multipart field ``file``, refusing them past ``limit`` (nothing kept)."""
    if request.content_type != "multipart/form-data":
        raise _malformed()
    too_big = ApiError(
        413, "too_large", texts.UPLOAD_TOO_LARGE.format(limit=f"{limit / 1024 / 1024:.1f} MB")
    )
    if request.content_length is not None and (
        request.content_length > limit + texts.UPLOAD_OVERHEAD_BYTES
    ):
        raise too_big
    try:
        return await _the_file(await request.multipart(), limit, too_big)
    except ApiError:
        raise
    except Exception as problem:  # the parser's refusal of hostile bytes, whatever its class
        logger.info("malformed upload: %s", type(problem).__name__)
        raise _malformed(texts.UPLOAD_BROKEN) from None


async def keep_photo(
    request: web.Request, data: bytes, owner_type: str, owner_id: int
) -> MediaFile:
    """Store an upload's bytes (``store_photo``), every refusal as its :class:`ApiError`."""
    settings = request.app[SETTINGS]
    try:
        return await store_photo(
            request.app[MEDIA_STORE],
            data,
            owner_type=owner_type,
            owner_id=owner_id,
            now=request.app[CLOCK].now(),
            settings=settings,
        )
    except UnsupportedType:
        types = "、".join(t.removeprefix("image/").upper() for t in settings.upload_types)
        raise ApiError(
            415, "unsupported_type", texts.UPLOAD_WRONG_TYPE.format(types=types)
        ) from None
    except TooManyPixels:
        limit = max(1, settings.upload_max_pixels // 10_000)  # 万像素
        raise ApiError(413, "too_large", texts.UPLOAD_TOO_MANY_PIXELS.format(limit=limit)) from None
    except UnreadableImage:
        raise ApiError(400, "invalid_upload", texts.UPLOAD_UNREADABLE) from None


def uploaded(request: web.Request, row: MediaFile) -> web.Response:
    """The 201 answer to an upload: the key and where the photo is served."""
    return web.json_response(
        {
            "key": row.key,
            "url": media_url(request.app[SETTINGS], row.key),
            "content_type": row.content_type,
            "size": row.size,
        },
        status=201,
    )


async def upload(request: web.Request, signed: Signed) -> web.Response:
    settings = request.app[SETTINGS]
    now = now_of(request)
    resident = signed.resident
    limited = await upload_limit("resident", resident.id, now, texts.UPLOADS_PER_HOUR)
    if limited is not None:
        raise Limit(limited, now, texts.TOO_MANY_UPLOADS.format(until=format_local(limited.until)))
    data = await read_multipart_file(request, settings.upload_max_bytes)
    return uploaded(request, await keep_photo(request, data, "resident", resident.id))
