"""The organisation and map (组织架构) on the dashboard: units, grids and workers, one form each,
and the import of a district's files (upload, preview, confirm).

Reading needs ``district.read``, changing ``district.edit``. Every change goes through
``handlers.district`` (checked, planned and written with its audit event in one transaction).

The upload is read as a stream, at most :data:`MAX_UPLOAD_BYTES` (a district's GeoJSON is larger
than the JSON APIs' body limit), with the CSRF token checked from the form itself. The preview
page carries the files it showed (base64, hidden) and their digest; its confirm button sends them
back, and a digest that no longer matches the files is refused: what is written is what was
previewed.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from typing import Any

from aiohttp import BodyPartReader, web

from bot.api.staff_auth import CSRF_FIELD, StaffContext, staff_for
from bot.dashboard.web import LOGIN_PATH, PREFIX, form_of, page, redirect, refuse, render
from bot.keys import CLOCK, INTAKE
from handlers.digits import whole_number
from handlers.district.applying import DistrictConflict, apply_plan, save_district
from handlers.district.files import KNOWN_FILES, digest, read_files
from handlers.district.geometry import boundary_to_geojson
from handlers.district.planning import current_grids, current_units, current_workers, plan_district
from handlers.district.records import (
    UNIT_KINDS,
    DistrictData,
    DistrictProblem,
    GridIn,
    UnitIn,
    WorkerIn,
    names,
)
from handlers.staff.permissions import can
from models import WorkerRole

MAX_UPLOAD_BYTES = 8 * 1024 * 1024
WORKER_ROLES = {
    "grid_worker": "网格员",
    "unit_staff": "承办人",
    "supervisor": "督办/分管",
    "unit_head": "单位负责人",
    "dispatcher": "派单员",
}
DONE = {
    "unit": "单位已保存",
    "grid": "网格已保存",
    "worker": "人员已保存",
    "imported": "已导入",
}


async def _page(
    request: web.Request,
    staff: StaffContext,
    *,
    values: dict[str, dict[str, str]] | None = None,
    error: str = "",
    status: int = 200,
) -> web.Response:
    units = await current_units()
    grids = await current_grids()
    workers = await current_workers()
    values = values or {}
    query = request.query
    if "unit" in query and query["unit"] in units and "unit" not in values:
        view = units[query["unit"]]
        values["unit"] = {**_texts(view), "code": query["unit"]}
    if "grid" in query and query["grid"] in grids and "grid" not in values:
        view = grids[query["grid"]]
        shape = boundary_to_geojson(view["boundary"])
        values["grid"] = {
            **_texts(view),
            "code": query["grid"],
            "boundary": json.dumps(shape, ensure_ascii=False) if shape else "",
        }
    wanted = whole_number(query.get("worker", ""))
    found = next((w for w in workers if w["id"] == wanted), None)
    if found is not None and "worker" not in values:
        values["worker"] = {**_texts(found), "id": str(found["id"])}
    return render(
        request,
        staff,
        "district.html",
        {
            "title": "组织架构",
            "units": sorted(units.items()),
            "grids": sorted(grids.items()),
            "workers": workers,
            "values": values,
            "error": error,
            "unit_kinds": UNIT_KINDS,
            "worker_roles": WORKER_ROLES,
            "editable": can(staff.user, "district.edit"),
            "done": DONE.get(request.query.get("saved", ""), ""),
        },
        status=status,
    )


def _texts(view: dict[str, Any]) -> dict[str, str]:
    """A stored row as form values: lists joined with |, booleans as "1" or ""."""
    out = {}
    for key, value in view.items():
        if isinstance(value, bool):
            out[key] = "1" if value else ""
        elif isinstance(value, list):
            out[key] = "|".join(str(v) for v in value)
        elif key != "boundary":
            out[key] = str(value)
    return out


@page("district.read")
async def district_page(request: web.Request, staff: StaffContext) -> web.StreamResponse:
    return await _page(request, staff)


async def _save(
    request: web.Request, staff: StaffContext, kind: str, data: DistrictData, form: dict[str, str]
) -> web.StreamResponse:
    try:
        await save_district(data, staff.actor, request.app[CLOCK].now(), action=f"{kind}.save")
    except DistrictProblem as problem:
        return await _page(request, staff, values={kind: form}, error=str(problem), status=400)
    except DistrictConflict:
        error = "组织架构刚被别人修改，请重试"
        return await _page(request, staff, values={kind: form}, error=error, status=409)
    _changed(request)
    raise redirect(f"{PREFIX}/district", saved=kind)


def _changed(request: web.Request) -> None:
    intake = request.app[INTAKE]
    intake.routing.invalidate()
    intake.gazetteer.invalidate()


@page("district.edit")
async def save_unit(request: web.Request, staff: StaffContext) -> web.StreamResponse:
    form = await form_of(request)
    unit = UnitIn(
        code=form.get("code", ""),
        name=form.get("name", ""),
        kind=form.get("kind", "department"),
        parent=form.get("parent", ""),
        head=form.get("head", ""),
        supervisors=names(form.get("supervisors", "")),
        phone=form.get("phone", ""),
        street=form.get("street", ""),
        active=form.get("active") == "1",
    )
    return await _save(request, staff, "unit", DistrictData(units=[unit]), form)


@page("district.edit")
async def save_grid(request: web.Request, staff: StaffContext) -> web.StreamResponse:
    form = await form_of(request)
    boundary: Any = None
    if form.get("boundary", ""):
        try:
            boundary = json.loads(form["boundary"])
        except (ValueError, RecursionError):
            error = "边界须为 GeoJSON（Polygon 或 MultiPolygon 的 geometry）"
            return await _page(request, staff, values={"grid": form}, error=error, status=400)
    grid = GridIn(
        code=form.get("code", ""),
        name=form.get("name", ""),
        street=form.get("street", ""),
        unit=form.get("unit", ""),
        compounds=names(form.get("compounds", "")),
        aliases=names(form.get("aliases", "")),
        boundary=boundary,
        active=form.get("active") == "1",
    )
    return await _save(request, staff, "grid", DistrictData(grids=[grid]), form)


@page("district.edit")
async def save_worker(request: web.Request, staff: StaffContext) -> web.StreamResponse:
    form = await form_of(request)
    worker_id = whole_number(form.get("id", "")) if form.get("id") else None
    worker = WorkerIn(
        id=worker_id,
        new=worker_id is None,
        name=form.get("name", ""),
        role=form.get("role", WorkerRole.UNIT_STAFF.value),
        unit=form.get("unit", ""),
        grids=names(form.get("grids", "")),
        phone=form.get("phone", ""),
        wecom_userid=form.get("wecom_userid", ""),
        openid=form.get("openid", ""),
        active=form.get("active") == "1",
    )
    return await _save(request, staff, "worker", DistrictData(workers=[worker]), form)


@page("district.edit")
async def import_form(request: web.Request, staff: StaffContext) -> web.StreamResponse:
    return render(
        request,
        staff,
        "district_import.html",
        {"title": "导入区划", "known_files": KNOWN_FILES, "plan": None, "max_mb": 8},
    )


class UploadRefused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


async def read_upload(request: web.Request) -> tuple[dict[str, str], dict[str, bytes]]:
    """The form's text fields and its files (uploaded, or sent back by the confirm button)."""
    if request.content_type != "multipart/form-data":
        raise UploadRefused(400, "请用页面上的表单上传文件")
    fields: dict[str, str] = {}
    files: dict[str, bytes] = {}
    total = 0
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader):
            raise UploadRefused(400, "表单格式不正确")
        chunks = []
        while chunk := await part.read_chunk():
            total += len(chunk)
            if total > MAX_UPLOAD_BYTES:
                raise UploadRefused(413, f"文件太大：合计不能超过 {MAX_UPLOAD_BYTES // 2**20} MB")
            chunks.append(chunk)
        content = b"".join(chunks)
        if part.filename:
            if content:
                files[part.filename.rsplit("/", 1)[-1].lower()] = content
        elif part.name and part.name.startswith("file:"):
            try:
                files[part.name.removeprefix("file:")] = base64.b64decode(content, validate=True)
            except (binascii.Error, ValueError):
                raise UploadRefused(400, "表单内容不正确，请重新上传") from None
        elif part.name:
            fields[part.name] = content.decode("utf-8", "replace")
    return fields, files


async def import_upload(request: web.Request) -> web.StreamResponse:
    """Not wrapped by ``page``: that would read the whole form before the size is known."""
    staff = await staff_for(request)
    if staff is None or staff.session is None:
        raise web.HTTPSeeOther(f"{LOGIN_PATH}?next={PREFIX}/district/import")
    if not can(staff.user, "district.edit"):
        return refuse(request, staff, 403, "您的账号没有此项权限")
    try:
        fields, files = await read_upload(request)
    except UploadRefused as refused:
        return refuse(request, staff, refused.status, str(refused))
    given = fields.get(CSRF_FIELD, "")
    if not given or not secrets.compare_digest(given, staff.session.csrf_token):
        return refuse(request, staff, 403, "页面已过期，请刷新后重试（CSRF 校验失败）")
    context: dict[str, Any] = {"title": "导入区划", "known_files": KNOWN_FILES, "max_mb": 8}
    if not files:
        context.update(plan=None, error="请选择要导入的文件")
        return render(request, staff, "district_import.html", context, status=400)
    try:
        plan = await plan_district(read_files(files))
    except DistrictProblem as problem:
        context.update(plan=None, error="导入被拒绝，未做任何修改", problems=problem.problems)
        return render(request, staff, "district_import.html", context, status=400)
    seen = digest(files)
    if fields.get("confirm") == "1":
        if not secrets.compare_digest(fields.get("digest", ""), seen):
            return refuse(request, staff, 409, "文件与预览时不同，未导入。请重新上传并预览。")
        try:
            await apply_plan(plan, staff.actor, request.app[CLOCK].now())
        except DistrictConflict:
            return refuse(request, staff, 409, "组织架构刚被别人修改，未导入。请重新预览。")
        _changed(request)
        raise redirect(f"{PREFIX}/district", saved="imported")
    context.update(
        plan=plan,
        digest=seen,
        carried={name: base64.b64encode(content).decode() for name, content in files.items()},
    )
    return render(request, staff, "district_import.html", context)


def add_routes(app: web.Application) -> None:
    app.router.add_get(f"{PREFIX}/district", district_page)
    app.router.add_post(f"{PREFIX}/district/units", save_unit)
    app.router.add_post(f"{PREFIX}/district/grids", save_grid)
    app.router.add_post(f"{PREFIX}/district/workers", save_worker)
    app.router.add_get(f"{PREFIX}/district/import", import_form)
    app.router.add_post(f"{PREFIX}/district/import", import_upload)
