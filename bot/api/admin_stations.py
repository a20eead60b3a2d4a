"""The staff API for the suggestion stations and partners (人民建议征集联系点).

- ``GET /api/admin/stations``: every station, inactive ones too, with how many suggestions came
  through it. ``suggestions.read``.
- ``POST /api/admin/stations``: add one (201; a code already taken is 409).
  ``PUT /api/admin/stations/{code}``: replace one (the whole row: fields left out take their
  defaults; 404 for a code that does not exist). ``POST /api/admin/stations/{code}/deactivate``:
  the station closes (its suggestions keep counting for it; again changes nothing).
  ``stations.edit``.

Every change goes through the district import's checks and plan (``handlers.district``, the
``stations.csv`` file's) and is written with its audit event (``station.create``,
``station.save``, ``station.deactivate``); a refusal (unknown kind or unit) is 400 ``rejected``
with ``problems`` and changes nothing.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import Field

from bot.api.json_api import NO_NUL, ApiError, Payload, error_response, read_payload
from bot.api.openapi import (
    BOOLEAN,
    INTEGER,
    STAFF_AUTH,
    STRING,
    Component,
    Operation,
    Param,
    Response,
    array,
    error,
    obj,
    one_of_values,
    too_large,
    unauthorized,
)
from bot.api.staff_auth import StaffContext, require_staff
from bot.keys import CLOCK
from handlers.district.applying import DistrictConflict, save_district
from handlers.district.records import (
    MAX_CODE,
    MAX_NAME,
    STATION_KINDS,
    DistrictData,
    DistrictProblem,
    StationIn,
)
from handlers.district.stations import MAX_CONTACT, current_stations, station_in, station_list

READ = "suggestions.read"
EDIT = "stations.edit"
CODE_PATTERN = r"^[^\x00/]{1,32}$"
NOT_FOUND = "没有这个联系点"


class StationBody(Payload):
    name: str = Field(min_length=1, max_length=MAX_NAME, pattern=NO_NUL)
    kind: str = Field(default="station", max_length=16, pattern=NO_NUL)
    street: str = Field(default="", max_length=MAX_NAME, pattern=NO_NUL)
    unit: str = Field(default="", max_length=MAX_CODE, pattern=NO_NUL)
    contact: str = Field(default="", max_length=MAX_CONTACT, pattern=NO_NUL)
    active: bool = True


class NewStationBody(StationBody):
    code: str = Field(min_length=1, max_length=MAX_CODE, pattern=CODE_PATTERN)


async def _save(request: web.Request, staff: StaffContext, station: StationIn, action: str) -> None:
    now = request.app[CLOCK].now()
    try:
        await save_district(DistrictData(stations=[station]), staff.actor, now, action=action)
    except DistrictConflict:
        raise ApiError(409, "conflict", "联系点刚被别人修改，请刷新后重试") from None
    except DistrictProblem as problem:
        problems = [{"field": "", "problem": p} for p in problem.problems]
        raise ApiError(400, "rejected", str(problem), problems=problems) from None


def _code(request: web.Request) -> str:
    code = request.match_info["code"].strip()
    if not code or len(code) > MAX_CODE or "\x00" in code:
        raise ApiError(404, "not_found", NOT_FOUND)
    return code


async def _one(code: str, status: int = 200) -> web.Response:
    found = next((s for s in await station_list() if s["code"] == code), None)
    if found is None:
        raise ApiError(404, "not_found", NOT_FOUND)
    return web.json_response({"station": found}, status=status)


def _given(code: str, body: StationBody) -> StationIn:
    fields = body.model_dump(exclude={"code"})
    return StationIn(code=code, **fields)


async def list_stations(request: web.Request) -> web.Response:
    await require_staff(request, READ)
    return web.json_response({"stations": await station_list()})


async def post_station(request: web.Request) -> web.Response:
    staff = await require_staff(request, EDIT)
    try:
        body = await read_payload(request, NewStationBody)
        if body.code in await current_stations():
            raise ApiError(409, "conflict", f"联系点编号 {body.code} 已被使用，请换一个编号")
        await _save(request, staff, _given(body.code, body), "station.create")
        return await _one(body.code, 201)
    except ApiError as refused:
        return error_response(refused.status, refused.code, refused.message, **refused.extra)


async def put_station(request: web.Request) -> web.Response:
    staff = await require_staff(request, EDIT)
    try:
        code = _code(request)
        body = await read_payload(request, StationBody)
        if code not in await current_stations():
            raise ApiError(404, "not_found", NOT_FOUND + "（新增请用 POST /api/admin/stations）")
        await _save(request, staff, _given(code, body), "station.save")
        return await _one(code)
    except ApiError as refused:
        return error_response(refused.status, refused.code, refused.message, **refused.extra)


async def deactivate_station(request: web.Request) -> web.Response:
    staff = await require_staff(request, EDIT)
    try:
        code = _code(request)
        view: dict[str, Any] | None = (await current_stations()).get(code)
        if view is None:
            raise ApiError(404, "not_found", NOT_FOUND)
        if view["active"]:
            await _save(request, staff, station_in(code, view, active=False), "station.deactivate")
        return await _one(code)
    except ApiError as refused:
        return error_response(refused.status, refused.code, refused.message, **refused.extra)


# The contract (bot.api.openapi)

_TAG = "suggestions"
_401 = unauthorized("nobody signed in, or an unknown or revoked token")
_403 = error("forbidden (the role lacks the capability) or csrf (a session without X-CSRF-Token)")
_400 = error("invalid_json, invalid_payload or rejected (problems: what is wrong); nothing changed")
_404 = error("not_found: no station has that code")
STATION = Component(
    "SuggestionStation",
    obj(
        {
            "code": STRING,
            "name": STRING,
            "kind": one_of_values(STATION_KINDS),
            "kind_label": STRING,
            "street": STRING,
            "unit": STRING,
            "contact": STRING,
            "active": BOOLEAN,
            "suggestions": INTEGER,
        }
    ),
)
_ONE = obj({"station": STATION})
_CODE = Param("code", "path", {"type": "string", "pattern": CODE_PATTERN})
OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "GET",
        "/api/admin/stations",
        "Every suggestion station and partner (人民建议征集联系点), inactive ones too",
        _TAG,
        {200: Response("every station", obj({"stations": array(STATION)})), 401: _401, 403: _403},
        auth=STAFF_AUTH,
    ),
    Operation(
        "POST",
        "/api/admin/stations",
        "Add a suggestion station",
        _TAG,
        {
            201: Response("added", _ONE),
            400: _400,
            401: _401,
            403: _403,
            409: error("conflict: the code is taken, or the district changed at the same moment"),
            413: too_large(),
        },
        auth=STAFF_AUTH,
        body=NewStationBody,
    ),
    Operation(
        "PUT",
        "/api/admin/stations/{code}",
        "Replace a suggestion station (the whole row)",
        _TAG,
        {
            200: Response("saved", _ONE),
            400: _400,
            401: _401,
            403: _403,
            404: _404,
            409: error("conflict: the district changed at the same moment; try again"),
            413: too_large(),
        },
        auth=STAFF_AUTH,
        params=(_CODE,),
        body=StationBody,
    ),
    Operation(
        "POST",
        "/api/admin/stations/{code}/deactivate",
        "Close a suggestion station: it stays, with its suggestions, as inactive",
        _TAG,
        {
            200: Response("inactive (already so: unchanged)", _ONE),
            401: _401,
            403: _403,
            404: _404,
            409: error("conflict: the district changed at the same moment; try again"),
        },
        auth=STAFF_AUTH,
        params=(_CODE,),
    ),
)


def add_admin_station_routes(app: web.Application) -> None:
    router = app.router
    router.add_get("/api/admin/stations", list_stations)
    router.add_post("/api/admin/stations", post_station)
    router.add_put("/api/admin/stations/{code}", put_station)
    router.add_post("/api/admin/stations/{code}/deactivate", deactivate_station)
