"""The admin API for a resident's personal data (个人信息保护法), for a staff session (with
``X-CSRF-Token``) or a bearer token holding ``residents.personal_data`` (admins).

- ``POST /api/admin/residents/personal-data/export`` ``{"openid": "..."}``: everything stored
  about the resident as JSON (``handlers.residents.personal_data``); 404 if nothing is.
- ``POST /api/admin/residents/personal-data/erase`` ``{"openid": "...", "reason": "..."}``:
  erase it; cases stay, anonymised. Erasing an openid nothing is stored about answers
  ``found: false`` and changes nothing, so a repeated request is harmless.

The openid travels in the body, never in the URL, so it stays out of access logs. Both are
audited (``resident.export``, ``resident.erase``) with the resident's id, not the openid.
"""

from __future__ import annotations

from aiohttp import web
from pydantic import Field

from bot.api.json_api import ApiError, Payload, error_response, read_payload
from bot.api.openapi import (
    BOOLEAN,
    INTEGER,
    STAFF_AUTH,
    Operation,
    Response,
    error,
    nullable,
    obj,
    too_large,
    unauthorized,
)
from bot.api.staff_auth import require_staff
from bot.keys import CLOCK, MEDIA_STORE
from handlers.residents.personal_data import NoSuchResident, erase_resident, export_resident

PREFIX = "/api/admin/residents/personal-data"
CAPABILITY = "residents.personal_data"
OPENID = r"^[A-Za-z0-9_-]{1,64}$"


class ExportIn(Payload):
    openid: str = Field(min_length=1, max_length=64, pattern=OPENID)


class EraseIn(Payload):
    openid: str = Field(min_length=1, max_length=64, pattern=OPENID)
    reason: str = Field(min_length=1, max_length=500, description="why (the request, its date)")


async def export(request: web.Request) -> web.Response:
    staff = await require_staff(request, CAPABILITY)
    try:
        body = await read_payload(request, ExportIn)
        data = await export_resident(body.openid, staff.actor, request.app[CLOCK].now())
    except ApiError as refused:
        return error_response(refused.status, refused.code, refused.message, **refused.extra)
    except NoSuchResident:
        return error_response(404, "not_found", "没有这位居民的信息")
    return web.json_response(data, headers={"Cache-Control": "no-store"})


async def erase(request: web.Request) -> web.Response:
    staff = await require_staff(request, CAPABILITY)
    try:
        body = await read_payload(request, EraseIn)
    except ApiError as refused:
        return error_response(refused.status, refused.code, refused.message, **refused.extra)
    store = request.app.get(MEDIA_STORE)
    done = await erase_resident(
        body.openid, body.reason, staff.actor, request.app[CLOCK].now(), store
    )
    return web.json_response(done.as_dict())


def add_personal_data_routes(app: web.Application) -> None:
    app.router.add_post(f"{PREFIX}/export", export)
    app.router.add_post(f"{PREFIX}/erase", erase)


_TAG = "admin"
_COMMON = {
    400: error("invalid_json or invalid_payload (an openid has 1-64 letters, digits, _ or -)"),
    401: unauthorized("nobody signed in, or an unknown or revoked token"),
    403: error("forbidden (not an admin) or csrf (a session without X-CSRF-Token)"),
    413: too_large(),
}

OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "POST",
        f"{PREFIX}/export",
        "Everything stored about one resident, as JSON (audited)",
        _TAG,
        {
            200: Response("the resident's data", {"type": "object"}),
            404: error("not_found: nothing is stored about this openid"),
            **_COMMON,
        },
        auth=STAFF_AUTH,
        body=ExportIn,
    ),
    Operation(
        "POST",
        f"{PREFIX}/erase",
        "Erase a resident's personal data; their cases stay, anonymised (audited, idempotent)",
        _TAG,
        {
            200: Response(
                "done (found: false when nothing was stored)",
                obj(
                    {
                        "found": BOOLEAN,
                        "resident_id": nullable(INTEGER),
                        "cases": INTEGER,
                        "photos": INTEGER,
                        "messages": INTEGER,
                    }
                ),
            ),
            **_COMMON,
        },
        auth=STAFF_AUTH,
        body=EraseIn,
    ),
)
