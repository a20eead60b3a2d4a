"""Stored photos, served at ``GET /media/{key}`` and their thumbnails at ``/media/{key}/thumbnail``.

A photo is served only to who may see it (``handlers.media.access``): staff by dashboard
session cookie or API token, a worker by their token, a resident by their session token, each
as ``Authorization: Bearer ...`` (the dashboard's cookie goes by itself). Without credentials
the answer is 401 whatever the key; with credentials that may not see the photo, the very 404 a
key that does not exist gets, so a key tells nobody whether it is real. The mini-program fetches
a photo with ``wx.downloadFile`` and the header, then shows the file it saved.

What is served was decoded and encoded again on upload (no EXIF); a thumbnail is a JPEG at most
320 pixels on a side, made on first request and kept in the store (``handlers.media.thumbnails``).
Both are ``Cache-Control: private``: a shared cache must never keep them.
"""

from __future__ import annotations

import logging

from aiohttp import web

from bot.api.json_api import error_response
from bot.api.openapi import STAFF_AUTH, Operation, Param, Response, error, unauthorized
from bot.api.staff_auth import staff_for
from bot.keys import CLOCK, MEDIA_STORE, SETTINGS
from config import resident_api as texts
from handlers.media.access import Viewer, may_fetch
from handlers.media.thumbnails import THUMBNAIL_TYPE, thumbnail_of
from handlers.residents.media_store import KEY_PATTERN, LocalMediaStore
from handlers.residents.sessions import session_for
from handlers.workflow.actions import worker_for_token
from models import MediaFile

logger = logging.getLogger(__name__)

MEDIA_PATH = "/media/{key}"
THUMBNAIL_PATH = "/media/{key}/thumbnail"
NO_CREDENTIALS = "请先登录：照片只对可查看该诉求的人员和居民本人开放"
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "private, max-age=3600",
    "Content-Disposition": "inline",
    "Content-Security-Policy": "default-src 'none'; sandbox",
}


async def viewer_of(request: web.Request) -> Viewer | None:
    """Whoever the request's credentials name: staff, a worker or a resident (or nobody)."""
    staff = await staff_for(request)  # a dashboard cookie, or a jsa_ bearer token
    if staff is not None:
        return staff.user
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    now = request.app[CLOCK].now()
    worker = await worker_for_token(token, now)
    if worker is not None:
        return worker
    found = await session_for(token, now, request.app[SETTINGS])
    return found[1] if found is not None else None


async def _visible(request: web.Request) -> MediaFile | web.Response:
    viewer = await viewer_of(request)
    if viewer is None:
        return error_response(401, "unauthorized", NO_CREDENTIALS)
    key = request.match_info["key"]
    row = await MediaFile.get_or_none(key=key) if KEY_PATTERN.match(key) else None
    store = request.app[MEDIA_STORE]
    if row is None or row.storage != store.name or not await may_fetch(row, viewer):
        return error_response(404, "not_found", texts.MEDIA_NOT_FOUND)
    return row


async def media(request: web.Request) -> web.Response:
    row = await _visible(request)
    if isinstance(row, web.Response):
        return row
    data = await request.app[MEDIA_STORE].read(row.path)
    if data is None:
        return error_response(404, "not_found", texts.MEDIA_NOT_FOUND)
    return web.Response(body=data, content_type=row.content_type, headers=HEADERS)


async def thumbnail(request: web.Request) -> web.Response:
    row = await _visible(request)
    if isinstance(row, web.Response):
        return row
    data = await thumbnail_of(request.app[MEDIA_STORE], row)
    if data is None:
        return error_response(404, "not_found", texts.MEDIA_NOT_FOUND)
    return web.Response(body=data, content_type=THUMBNAIL_TYPE, headers=HEADERS)


def add_media_routes(app: web.Application) -> None:
    app[MEDIA_STORE] = LocalMediaStore(app[SETTINGS].upload_dir)
    app.router.add_get(MEDIA_PATH, media)
    app.router.add_get(THUMBNAIL_PATH, thumbnail)


_AUTH = (*STAFF_AUTH, "workerToken", "residentToken")
_KEY = (Param("key", "path", {"type": "string", "minLength": 1}),)
_REFUSED = {
    401: unauthorized("no credentials, or ones that are unknown or revoked"),
    404: error("not_found: no photo has this key, or the caller may not see it (the same answer)"),
}

OPERATIONS = (
    Operation(
        "GET",
        MEDIA_PATH,
        "A photo, to staff who may see its case, a worker who may see it or uploaded it, and "
        "the resident who uploaded it or whose case it is the result of",
        "media",
        {
            200: Response("the photo", {"type": "string", "format": "binary"}, "image/*"),
            **_REFUSED,
        },
        auth=_AUTH,
        params=_KEY,
    ),
    Operation(
        "GET",
        THUMBNAIL_PATH,
        "The photo's thumbnail (JPEG, at most 320 pixels a side, no metadata), to the same people",
        "media",
        {
            200: Response("the thumbnail", {"type": "string", "format": "binary"}, "image/jpeg"),
            **_REFUSED,
        },
        auth=_AUTH,
        params=_KEY,
    ),
)
