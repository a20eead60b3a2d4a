"""``POST /api/worker/uploads``: a worker's photo of their progress or result, kept in the store.

The body is either multipart/form-data with the photo in the field ``file`` (what
``wx.uploadFile`` sends, read as the resident API reads it) or the photo's bytes themselves with
``Content-Type: image/jpeg``, ``image/png`` or ``image/webp``. Either way the type is read from
the bytes, never from the header; anything else (SVG, HTML, a polyglot that does not decode) is
refused, a photo claiming more pixels than ``JIESU_UPLOAD_MAX_PIXELS`` (a decompression bomb)
too, and what is kept is the photo encoded again, without EXIF (``handlers.residents.images``).
The answer names it by key and ``/media/<key>`` URL; progress and finish then take it as
``{"media_key": key}`` or ``{"url": "/media/<key>"}``, for the worker's own uploads only
(``handlers.media.worker_photos``). Registered by ``bot.api.worker.add_worker_routes``.
"""

from __future__ import annotations

from aiohttp import web

from bot.api.json_api import ApiError
from bot.api.resident_photos import keep_photo, read_multipart_file, uploaded
from bot.keys import CLOCK, SETTINGS
from config import resident_api as texts
from handlers.clock import format_local
from handlers.intake.rate_limits import upload_limit
from models import Worker

READ_CHUNK = 64 * 1024
UPLOADS_PER_HOUR = 120  # a worker photographs many cases a day, never hundreds an hour
RAW_TYPES = ("image/jpeg", "image/png", "image/webp")
WRONG_BODY = (
    "请用 multipart/form-data（照片放在 file 字段）或 image/jpeg、image/png、image/webp 上传"
)
TOO_MANY = "上传照片太频繁，请于 {until} 后再试"


def _too_big(limit: int) -> ApiError:
    return ApiError(
        413, "too_large", texts.UPLOAD_TOO_LARGE.format(limit=f"{limit / 1024 / 1024:.1f} MB")
    )


async def _read_raw(request: web.Request, limit: int) -> bytes:
    """The body as the photo's bytes, refused past ``limit`` before it is all read."""
    if request.content_length is not None and request.content_length > limit:
        raise _too_big(limit)
    data = bytearray()
    while chunk := await request.content.read(READ_CHUNK):
        data.extend(chunk)
        if len(data) > limit:
            raise _too_big(limit)
    if not data:
        raise ApiError(400, "invalid_upload", texts.UPLOAD_EMPTY)
    return bytes(data)


async def upload(request: web.Request, worker: Worker) -> web.Response:
    settings = request.app[SETTINGS]
    now = request.app[CLOCK].now()
    limited = await upload_limit("worker", worker.id, now, UPLOADS_PER_HOUR)
    if limited is not None:
        raise ApiError(429, "rate_limited", TOO_MANY.format(until=format_local(limited.until)))
    if request.content_type == "multipart/form-data":
        data = await read_multipart_file(request, settings.upload_max_bytes)
    elif request.content_type in RAW_TYPES:
        data = await _read_raw(request, settings.upload_max_bytes)
    else:
        raise ApiError(415, "unsupported_type", WRONG_BODY)
    return uploaded(request, await keep_photo(request, data, "worker", worker.id))
