"""The staff API for the organisation and map: units, grids and workers.

- ``GET /api/admin/units``, ``/grids``, ``/workers``: every row, inactive ones too.
  ``district.read``.
- ``PUT /api/admin/units/{code}`` and ``PUT /api/admin/grids/{code}``: create or replace the unit
  or grid with that code (the whole row: fields left out take their defaults).
  ``POST /api/admin/workers`` adds a worker, ``PUT /api/admin/workers/{id}`` replaces one; a
  worker who leaves is deactivated (``"active": false``), never deleted. ``district.edit``.

A grid's ``boundary`` is a GeoJSON Polygon or MultiPolygon geometry (or null). A unit's ``head``
and ``supervisors`` name workers by WeCom userid, openid, phone or name. Every change goes
through the district import's checks (``handlers.district.planning``) and is written with its
audit event; a refusal (unknown parent or unit, a cycle in the unit tree, a WeCom userid that is
another worker's, a bad polygon) is 400 ``rejected`` with ``problems`` and changes nothing.
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
    nullable,
    obj,
    one_of_values,
    too_large,
    unauthorized,
)
from bot.api.staff_auth import StaffContext, require_staff
from bot.keys import CLOCK, INTAKE
from handlers.digits import whole_number
from handlers.district.applying import DistrictConflict, save_district
from handlers.district.geometry import boundary_to_geojson
from handlers.district.planning import Change, current_grids, current_units, current_workers
from handlers.district.records import (
    MAX_CODE,
    UNIT_KINDS,
    DistrictData,
    DistrictProblem,
    GridIn,
    UnitIn,
    WorkerIn,
)
from models import Worker, WorkerRole

READ = "district.read"
EDIT = "district.edit"
CODE_PATTERN = r"^[^\x00/]{1,32}$"


def _short(limit: int) -> Any:
    return Field(default="", max_length=limit, pattern=NO_NUL)


class UnitBody(Payload):
    name: str = Field(min_length=1, max_length=64, pattern=NO_NUL)
    kind: str = Field(default="department", max_length=16)
    parent: str = _short(MAX_CODE)
    head: str = _short(64)
    supervisors: list[str] = Field(default_factory=list, max_length=50)
    phone: str = _short(32)
    street: str = _short(64)
    active: bool = True


class GridBody(Payload):
    name: str = Field(min_length=1, max_length=64, pattern=NO_NUL)
    street: str = Field(min_length=1, max_length=64, pattern=NO_NUL)
    unit: str = _short(MAX_CODE)
    compounds: list[str] = Field(default_factory=list, max_length=200)
    aliases: list[str] = Field(default_factory=list, max_length=200)
    boundary: dict[str, Any] | None = None
    active: bool = True


class WorkerBody(Payload):
    name: str = Field(min_length=1, max_length=64, pattern=NO_NUL)
    role: str = Field(default="unit_staff", max_length=16)
    unit: str = _short(MAX_CODE)
    grids: list[str] = Field(default_factory=list, max_length=200)
    phone: str = _short(32)
    wecom_userid: str = _short(64)
    openid: str = _short(64)
    active: bool = True


async def _save(
    request: web.Request, staff: StaffContext, data: DistrictData, action: str
) -> Change:
    try:
        plan = await save_district(data, staff.actor, request.app[CLOCK].now(), action=action)
    except DistrictConflict:
        raise ApiError(409, "conflict", "组织架构刚被别人修改，请刷新后重试") from None
    except DistrictProblem as problem:
        problems = [{"field": "", "problem": p} for p in problem.problems]
        raise ApiError(400, "rejected", str(problem), problems=problems) from None
    intake = request.app[INTAKE]
    intake.routing.invalidate()
    intake.gazetteer.invalidate()
    return plan.changes[0]


def _code(request: web.Request) -> str:
    code = request.match_info["code"].strip()
    if not code or len(code) > MAX_CODE or "\x00" in code:
        raise ApiError(400, "invalid_request", f"编号须为 1 到 {MAX_CODE} 个字")
    return code


def grid_json(code: str, view: dict[str, Any]) -> dict[str, Any]:
    shown = {k: v for k, v in view.items() if k not in ("id", "boundary")}
    return {
        "id": view["id"],
        "code": code,
        **shown,
        "boundary": boundary_to_geojson(view["boundary"]),
    }


async def list_units(request: web.Request) -> web.Response:
    await require_staff(request, READ)
    units = await current_units()
    return web.json_response({"units": [{"code": c, **v} for c, v in sorted(units.items())]})


async def list_grids(request: web.Request) -> web.Response:
    await require_staff(request, READ)
    grids = await current_grids()
    return web.json_response({"grids": [grid_json(c, v) for c, v in sorted(grids.items())]})


async def list_workers(request: web.Request) -> web.Response:
    await require_staff(request, READ)
    return web.json_response({"workers": await current_workers()})


async def put_unit(request: web.Request) -> web.Response:
    staff = await require_staff(request, EDIT)
    try:
        code = _code(request)
        body = await read_payload(request, UnitBody)
        given = UnitIn(code=code, **{**body.model_dump(), "supervisors": tuple(body.supervisors)})
        change = await _save(request, staff, DistrictData(units=[given]), "unit.save")
    except ApiError as refused:
        return error_response(refused.status, refused.code, refused.message, **refused.extra)
    view = (await current_units())[code]
    return web.json_response({"unit": {"code": code, **view}, "action": change.action})


async def put_grid(request: web.Request) -> web.Response:
    staff = await require_staff(request, EDIT)
    try:
        code = _code(request)
        body = await read_payload(request, GridBody)
        given = GridIn(
            code=code,
            name=body.name,
            street=body.street,
            unit=body.unit,
            compounds=tuple(body.compounds),
            aliases=tuple(body.aliases),
            boundary=body.boundary,
            active=body.active,
        )
        change = await _save(request, staff, DistrictData(grids=[given]), "grid.save")
    except ApiError as refused:
        return error_response(refused.status, refused.code, refused.message, **refused.extra)
    return web.json_response(
        {"grid": grid_json(code, (await current_grids())[code]), "action": change.action}
    )


async def _save_worker(request: web.Request, worker_id: int | None) -> web.Response:
    staff = await require_staff(request, EDIT)
    try:
        body = await read_payload(request, WorkerBody)
        if worker_id is not None and not await Worker.exists(id=worker_id):
            raise ApiError(404, "not_found", "没有这位人员")
        given = WorkerIn(
            id=worker_id,
            new=worker_id is None,
            **{**body.model_dump(), "grids": tuple(body.grids)},
        )
        change = await _save(request, staff, DistrictData(workers=[given]), "worker.save")
    except ApiError as refused:
        return error_response(refused.status, refused.code, refused.message, **refused.extra)
    view = next(w for w in await current_workers() if w["id"] == change.db_id)
    status = 201 if change.action == "add" else 200
    return web.json_response({"worker": view, "action": change.action}, status=status)


async def post_worker(request: web.Request) -> web.Response:
    return await _save_worker(request, None)


async def put_worker(request: web.Request) -> web.Response:
    worker_id = whole_number(request.match_info["id"], 18)
    if worker_id is None:
        return error_response(404, "not_found", "没有这位人员")
    return await _save_worker(request, worker_id)


_TAG = "admin"
_401 = unauthorized("nobody signed in, or an unknown or revoked token")
_403 = error("forbidden (the role lacks the capability) or csrf (a session without X-CSRF-Token)")
_400 = error("invalid_json, invalid_payload or rejected (problems: what is wrong); nothing changed")
_409 = error("conflict: somebody changed the organisation at the same moment; try again")
_ACTION = one_of_values(["add", "change", "same"])
UNIT = Component(
    "DistrictUnit",
    obj(
        {
            "code": STRING,
            "id": INTEGER,
            "name": STRING,
            "kind": one_of_values(UNIT_KINDS),
            "parent": STRING,
            "head": STRING,
            "supervisors": array(STRING),
            "phone": STRING,
            "street": STRING,
            "active": BOOLEAN,
        }
    ),
)
GRID = Component(
    "DistrictGrid",
    obj(
        {
            "id": INTEGER,
            "code": STRING,
            "name": STRING,
            "street": STRING,
            "unit": STRING,
            "compounds": array(STRING),
            "aliases": array(STRING),
            "boundary": nullable({"type": "object"}),
            "active": BOOLEAN,
        }
    ),
)
WORKER = Component(
    "DistrictWorker",
    obj(
        {
            "id": INTEGER,
            "name": STRING,
            "role": one_of_values(r.value for r in WorkerRole),
            "unit": STRING,
            "grids": array(STRING),
            "phone": STRING,
            "wecom_userid": STRING,
            "openid": STRING,
            "active": BOOLEAN,
        }
    ),
)
_CODE = Param("code", "path", {"type": "string", "pattern": CODE_PATTERN})
_ID = Param("id", "path", {"type": "string", "pattern": "^[0-9]{1,18}$"})


def _list(path: str, summary: str, key: str, item: Component) -> Operation:
    return Operation(
        "GET",
        path,
        summary,
        _TAG,
        {200: Response("every row", obj({key: array(item)})), 401: _401, 403: _403},
        auth=STAFF_AUTH,
    )


def _write(
    method: str, path: str, summary: str, key: str, item: Component, body: type[Payload]
) -> Operation:
    params = (_CODE,) if "{code}" in path else (_ID,) if "{id}" in path else ()
    responses = {
        200: Response("saved (or unchanged: action same)", obj({key: item, "action": _ACTION})),
        400: _400,
        401: _401,
        403: _403,
        409: _409,
        413: too_large(),
    }
    if method == "POST":
        responses[201] = Response("added", obj({key: item, "action": _ACTION}))
    if "{id}" in path:
        responses[404] = error("not_found: no such worker")
    return Operation(
        method, path, summary, _TAG, responses, auth=STAFF_AUTH, params=params, body=body
    )


OPERATIONS: tuple[Operation, ...] = (
    _list("/api/admin/units", "Every unit, with its parent, head and supervisors", "units", UNIT),
    _write("PUT", "/api/admin/units/{code}", "Create or replace a unit", "unit", UNIT, UnitBody),
    _list("/api/admin/grids", "Every grid, with its boundary as GeoJSON", "grids", GRID),
    _write("PUT", "/api/admin/grids/{code}", "Create or replace a grid", "grid", GRID, GridBody),
    _list("/api/admin/workers", "Every worker, inactive ones too", "workers", WORKER),
    _write("POST", "/api/admin/workers", "Add a worker", "worker", WORKER, WorkerBody),
    _write(
        "PUT",
        "/api/admin/workers/{id}",
        "Replace a worker (deactivate with active false)",
        "worker",
        WORKER,
        WorkerBody,
    ),
)


def add_admin_district_routes(app: web.Application) -> None:
    router = app.router
    router.add_get("/api/admin/units", list_units)
    router.add_put("/api/admin/units/{code}", put_unit)
    router.add_get("/api/admin/grids", list_grids)
    router.add_put("/api/admin/grids/{code}", put_grid)
    router.add_get("/api/admin/workers", list_workers)
    router.add_post("/api/admin/workers", post_worker)
    router.add_put("/api/admin/workers/{id}", put_worker)
