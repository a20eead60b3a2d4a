"""The suggestion stations and partners (人民建议征集联系点): the list, with how many suggestions
came through each, and for the office (``stations.edit``) a form to add or change one by code
and a button to close one. Every change goes through the district's checks and plan, as the
``stations.csv`` file and the admin API do, and is audited."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.api.staff_auth import StaffContext
from bot.dashboard.web import PREFIX, form_of, page, redirect, render
from bot.keys import CLOCK
from handlers.district.applying import DistrictConflict, save_district
from handlers.district.records import STATION_KINDS, DistrictData, DistrictProblem, StationIn
from handlers.district.stations import current_stations, station_in, station_list
from handlers.staff.permissions import can

DONE = {"saved": "联系点已保存", "closed": "联系点已停用，其建议仍计入统计"}


async def _page(
    request: web.Request,
    staff: StaffContext,
    *,
    values: dict[str, str] | None = None,
    error: str = "",
    status: int = 200,
) -> web.Response:
    stations = await station_list()
    wanted = request.query.get("code", "")
    if values is None:
        found = next((s for s in stations if s["code"] == wanted), None)
        values = _texts(found) if found else {}
    return render(
        request,
        staff,
        "stations.html",
        {
            "title": "建议联系点",
            "stations": stations,
            "kinds": STATION_KINDS,
            "values": values,
            "error": error,
            "editable": can(staff.user, "stations.edit"),
            "done": DONE.get(request.query.get("saved", ""), ""),
        },
        status=status,
    )


def _texts(view: dict[str, Any]) -> dict[str, str]:
    return {k: ("1" if v else "") if isinstance(v, bool) else str(v) for k, v in view.items()}


@page("suggestions.read")
async def stations_page(request: web.Request, staff: StaffContext) -> web.StreamResponse:
    return await _page(request, staff)


async def _save(
    request: web.Request, staff: StaffContext, station: StationIn, action: str, form: dict[str, str]
) -> web.StreamResponse:
    data = DistrictData(stations=[station])
    try:
        await save_district(data, staff.actor, request.app[CLOCK].now(), action=action)
    except DistrictProblem as problem:
        return await _page(request, staff, values=form, error=str(problem), status=400)
    except DistrictConflict:
        error = "联系点刚被别人修改，请重试"
        return await _page(request, staff, values=form, error=error, status=409)
    done = "closed" if action == "station.deactivate" else "saved"
    raise redirect(f"{PREFIX}/stations", saved=done)


@page("stations.edit")
async def save_station(request: web.Request, staff: StaffContext) -> web.StreamResponse:
    form = await form_of(request)
    station = StationIn(
        code=form.get("code", ""),
        name=form.get("name", ""),
        kind=form.get("kind", "station"),
        street=form.get("street", ""),
        unit=form.get("unit", ""),
        contact=form.get("contact", ""),
        active=form.get("active") == "1",
    )
    return await _save(request, staff, station, "station.save", form)


@page("stations.edit")
async def close_station(request: web.Request, staff: StaffContext) -> web.StreamResponse:
    code = request.match_info["code"]
    view = (await current_stations()).get(code)
    if view is None:
        return await _page(request, staff, error="没有这个联系点", status=404)
    if not view["active"]:
        raise redirect(f"{PREFIX}/stations", saved="closed")
    closed = station_in(code, view, active=False)
    return await _save(request, staff, closed, "station.deactivate", {})


def add_routes(app: web.Application) -> None:
    app.router.add_get(f"{PREFIX}/stations", stations_page)
    app.router.add_post(f"{PREFIX}/stations", save_station)
    app.router.add_post(f"{PREFIX}/stations/{{code}}/deactivate", close_station)
