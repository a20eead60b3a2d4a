"""Check a district as given against itself and the database, and say what writing it would
change: each unit, grid, worker and place is added, changed (field: before -> after) or left
alone. Nothing is written here (``handlers.district.applying`` writes a plan).

Everything is checked before anything is planned, across the whole input: a unit's parent may
be defined further down the same file; a parent that exists nowhere, a cycle in the unit tree, a
code or WeCom userid given twice or already another worker's, a bad polygon: each is a problem,
and any problem refuses the whole input.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from handlers.district.geometry import BoundaryProblem, boundary_from_geojson
from handlers.district.records import (
    MAX_ACCOUNT,
    MAX_CODE,
    MAX_NAME,
    MAX_NAMES,
    MAX_PHONE,
    PLACE_KINDS,
    UNIT_KINDS,
    DistrictData,
    DistrictProblem,
    GridIn,
    UnitIn,
    WorkerIn,
)
from handlers.district.stations import check_station, current_stations, station_after
from models import Grid, Place, Unit, UnitSupervisor, Worker, WorkerGrid, WorkerRole

KINDS = ("unit", "grid", "worker", "place", "station")


@dataclass
class Change:
    """One row: ``action`` is add, change or same; ``db_id`` the row it updates."""

    kind: str  # unit | grid | worker | place | station
    key: str
    action: str
    before: dict[str, Any] | None
    after: dict[str, Any]
    db_id: int | None = None

    @property
    def fields(self) -> dict[str, tuple[Any, Any]]:
        """The fields that change, before and after."""
        before = self.before or {}
        return {
            name: (before.get(name), value)
            for name, value in self.after.items()
            if before.get(name) != value
        }


@dataclass
class Plan:
    changes: list[Change] = field(default_factory=list)

    def of(self, kind: str, action: str | None = None) -> list[Change]:
        return [
            c for c in self.changes if c.kind == kind and (action is None or c.action == action)
        ]

    def counts(self) -> dict[str, int]:
        return {
            action: sum(1 for c in self.changes if c.action == action)
            for action in ("add", "change", "same")
        }

    def summary(self) -> dict[str, dict[str, int]]:
        return {
            kind: {a: len(self.of(kind, a)) for a in ("add", "change", "same")} for kind in KINDS
        }


def worker_label(view: dict[str, Any]) -> str:
    return str(view.get("wecom_userid") or view.get("openid") or view.get("phone") or view["name"])


async def current_units() -> dict[str, dict[str, Any]]:
    units = {u.id: u for u in await Unit.all()}
    workers = {w.id: w for w in await Worker.all()}
    supervisors: dict[int, list[str]] = {}
    for link in await UnitSupervisor.all():
        worker = workers.get(link.worker_id)
        if worker is not None:
            supervisors.setdefault(link.unit_id, []).append(worker_label(_worker_row(worker)))
    views = {}
    for unit in units.values():
        parent = units.get(unit.parent_id) if unit.parent_id else None
        head = workers.get(unit.head_id) if unit.head_id else None
        views[unit.code] = {
            "id": unit.id,
            "name": unit.name,
            "kind": unit.kind,
            "parent": parent.code if parent else "",
            "head": worker_label(_worker_row(head)) if head else "",
            "supervisors": sorted(supervisors.get(unit.id, [])),
            "phone": unit.phone,
            "street": unit.street or "",
            "active": unit.active,
        }
    return views


def _worker_row(worker: Worker) -> dict[str, Any]:
    return {
        "name": worker.name,
        "wecom_userid": worker.wecom_userid or "",
        "openid": worker.openid or "",
        "phone": worker.phone,
    }


async def current_grids() -> dict[str, dict[str, Any]]:
    units = {u.id: u.code for u in await Unit.all()}
    return {
        grid.code: {
            "id": grid.id,
            "name": grid.name,
            "street": grid.street,
            "unit": units.get(grid.unit_id, "") if grid.unit_id else "",
            "compounds": list(grid.compounds),
            "aliases": list(grid.aliases),
            "boundary": grid.boundary,
            "active": grid.active,
        }
        for grid in await Grid.all().order_by("id")
    }


async def current_workers() -> list[dict[str, Any]]:
    units = {u.id: u.code for u in await Unit.all()}
    grids = {g.id: g.code for g in await Grid.all()}
    links: dict[int, list[tuple[int, str]]] = {}
    for link in await WorkerGrid.all():
        links.setdefault(link.worker_id, []).append((link.position, grids.get(link.grid_id, "")))
    views = []
    for worker in await Worker.all().order_by("id"):
        codes = [code for _, code in sorted(links.get(worker.id, []))]
        if not codes and worker.grid_id:
            codes = [grids.get(worker.grid_id, "")]
        views.append(
            {
                "id": worker.id,
                "name": worker.name,
                "role": WorkerRole(worker.role).value,
                "unit": units.get(worker.unit_id, "") if worker.unit_id else "",
                "grids": codes,
                "phone": worker.phone,
                "wecom_userid": worker.wecom_userid or "",
                "openid": worker.openid or "",
                "active": worker.active,
            }
        )
    return views


async def current_places() -> dict[str, dict[str, Any]]:
    grids = {g.id: g.code for g in await Grid.all()}
    return {
        f"{place.kind}:{place.name}": {
            "id": place.id,
            "street": place.street,
            "grid": grids.get(place.grid_id, "") if place.grid_id else "",
            "aliases": list(place.aliases),
            "active": place.active,
        }
        for place in await Place.all()
    }


def _text(problems: list[str], where: str, label: str, value: str, limit: int) -> None:
    if len(value) > limit:
        problems.append(f"{where}：{label}不能超过 {limit} 个字")
    if "\x00" in value:
        problems.append(f"{where}：{label}含有不可见字符")


def _check_unit(unit: UnitIn, problems: list[str]) -> None:
    where = unit.where or f"单位 {unit.code}"
    if not unit.code:
        problems.append(f"{where}：缺少单位编号")
    if not unit.name:
        problems.append(f"{where}：缺少单位名称")
    if unit.kind not in UNIT_KINDS:
        problems.append(f"{where}：单位类型只能是 {', '.join(UNIT_KINDS)}")
    _text(problems, where, "编号", unit.code, MAX_CODE)
    for label, value in (("名称", unit.name), ("街道", unit.street)):
        _text(problems, where, label, value, MAX_NAME)
    _text(problems, where, "电话", unit.phone, MAX_PHONE)


def _check_grid(grid: GridIn, problems: list[str]) -> Any:
    where = grid.where or f"网格 {grid.code}"
    if not grid.code:
        problems.append(f"{where}：缺少网格编号")
    if not grid.name or not grid.street:
        problems.append(f"{where}：网格须有名称和所属街道")
    _text(problems, where, "编号", grid.code, MAX_CODE)
    for label, value in (("名称", grid.name), ("街道", grid.street)):
        _text(problems, where, label, value, MAX_NAME)
    for label, values in (("小区/道路", grid.compounds), ("别名", grid.aliases)):
        if len(values) > MAX_NAMES:
            problems.append(f"{where}：{label}不能超过 {MAX_NAMES} 个")
        for value in values:
            _text(problems, where, label, value, MAX_NAME)
    try:
        return boundary_from_geojson(grid.boundary)
    except BoundaryProblem as bad:
        problems.append(f"{where}：{bad}")
        return []


def _check_worker(worker: WorkerIn, problems: list[str]) -> None:
    where = worker.where or f"人员 {worker.name or worker.id}"
    if not worker.name:
        problems.append(f"{where}：缺少姓名")
    if worker.role not in {r.value for r in WorkerRole}:
        problems.append(f"{where}：角色只能是 {', '.join(r.value for r in WorkerRole)}")
    _text(problems, where, "姓名", worker.name, MAX_NAME)
    _text(problems, where, "电话", worker.phone, MAX_PHONE)
    _text(problems, where, "企业微信账号", worker.wecom_userid, MAX_ACCOUNT)
    _text(problems, where, "openid", worker.openid, MAX_ACCOUNT)
    if len(worker.grids) > MAX_NAMES:
        problems.append(f"{where}：网格不能超过 {MAX_NAMES} 个")


def _duplicates(keys: list[str], label: str, problems: list[str]) -> None:
    seen: set[str] = set()
    for key in keys:
        if key and key in seen:
            problems.append(f"{label} {key} 出现了不止一次")
        seen.add(key)


def _cycles(parents: dict[str, str], codes: list[str], problems: list[str]) -> None:
    for code in codes:
        seen = {code}
        walk = parents.get(code, "")
        while walk:
            if walk in seen:
                problems.append(f"单位 {code} 的上级形成了循环（{walk}）")
                break
            seen.add(walk)
            walk = parents.get(walk, "")


def _change(kind: str, key: str, before: dict[str, Any] | None, after: dict[str, Any]) -> Change:
    db_id = before.pop("id", None) if before is not None else None
    if before is None:
        return Change(kind, key, "add", None, after)
    action = "same" if all(before.get(k) == v for k, v in after.items()) else "change"
    return Change(kind, key, action, before, after, db_id)


async def plan_district(data: DistrictData) -> Plan:
    """What writing ``data`` would change. Raises :class:`DistrictProblem` listing every problem."""
    problems: list[str] = []
    units_now, grids_now = await current_units(), await current_grids()
    workers_now, places_now = await current_workers(), await current_places()
    _duplicates([u.code for u in data.units], "单位编号", problems)
    _duplicates([g.code for g in data.grids], "网格编号", problems)
    _duplicates([w.wecom_userid for w in data.workers], "企业微信账号", problems)
    _duplicates([w.openid for w in data.workers], "openid", problems)
    _duplicates([f"{p.kind}:{p.name}" for p in data.places], "地名", problems)
    _duplicates([s.code for s in data.stations], "联系点编号", problems)
    for unit in data.units:
        _check_unit(unit, problems)
    unit_codes = set(units_now) | {u.code for u in data.units}
    parents = {code: view["parent"] for code, view in units_now.items()}
    for unit in data.units:
        if unit.parent and unit.parent not in unit_codes:
            problems.append(f"{unit.where or '单位 ' + unit.code}：没有上级单位 {unit.parent}")
        parents[unit.code] = unit.parent
    _cycles(parents, [u.code for u in data.units], problems)
    boundaries = [_check_grid(grid, problems) for grid in data.grids]
    for grid in data.grids:
        if grid.unit and grid.unit not in unit_codes:
            problems.append(f"{grid.where or '网格 ' + grid.code}：没有单位 {grid.unit}")
    grid_codes = set(grids_now) | {g.code for g in data.grids}
    matched = _match_workers(data.workers, workers_now, problems)
    for worker in data.workers:
        _check_worker(worker, problems)
        where = worker.where or f"人员 {worker.name}"
        if worker.unit and worker.unit not in unit_codes:
            problems.append(f"{where}：没有单位 {worker.unit}")
        for code in worker.grids:
            if code not in grid_codes:
                problems.append(f"{where}：没有网格 {code}")
    worker_views = _worker_views(data.workers, matched, workers_now)
    for unit in data.units:
        for ref in (unit.head, *unit.supervisors):
            if ref and _resolve(ref, worker_views) is None:
                problems.append(f"{unit.where or '单位 ' + unit.code}：找不到人员 {ref}")
    for place in data.places:
        where = place.where or f"地名 {place.name}"
        if not place.name or place.kind not in PLACE_KINDS:
            problems.append(f"{where}：须有名称，类型只能是 {', '.join(PLACE_KINDS)}")
        if place.grid and place.grid not in grid_codes:
            problems.append(f"{where}：没有网格 {place.grid}")
        if place.kind != "street" and not place.grid:
            problems.append(f"{where}：小区、道路和地标须写明所在网格")
        _text(problems, where, "名称", place.name, MAX_NAME)
        for alias in place.aliases:
            _text(problems, where, "别名", alias, MAX_NAME)
    for station in data.stations:
        check_station(station, unit_codes, problems)
    if problems:
        raise DistrictProblem(problems)
    plan = Plan()
    for unit in data.units:
        head = _resolve(unit.head, worker_views) if unit.head else None
        sups = sorted(
            {
                worker_label(view)
                for ref in unit.supervisors
                if (view := _resolve(ref, worker_views))
            }
        )
        after = {
            "name": unit.name,
            "kind": unit.kind,
            "parent": unit.parent,
            "head": worker_label(head) if head else "",
            "supervisors": sups,
            "phone": unit.phone,
            "street": unit.street,
            "active": unit.active,
        }
        plan.changes.append(_change("unit", unit.code, _copy(units_now.get(unit.code)), after))
    for grid, boundary in zip(data.grids, boundaries, strict=True):
        after = {
            "name": grid.name,
            "street": grid.street,
            "unit": grid.unit,
            "compounds": list(grid.compounds),
            "aliases": list(grid.aliases),
            "boundary": boundary,
            "active": grid.active,
        }
        plan.changes.append(_change("grid", grid.code, _copy(grids_now.get(grid.code)), after))
    for worker, before in zip(data.workers, matched, strict=True):
        after = _worker_after(worker)
        plan.changes.append(_change("worker", worker.ref, _copy(before), after))
    for place in data.places:
        after = {
            "street": place.street,
            "grid": place.grid,
            "aliases": list(place.aliases),
            "active": place.active,
        }
        key = f"{place.kind}:{place.name}"
        plan.changes.append(_change("place", key, _copy(places_now.get(key)), after))
    stations_now = await current_stations() if data.stations else {}
    for station in data.stations:
        before = _copy(stations_now.get(station.code))
        plan.changes.append(_change("station", station.code, before, station_after(station)))
    return plan


def _copy(view: dict[str, Any] | None) -> dict[str, Any] | None:
    return dict(view) if view is not None else None


def _worker_after(worker: WorkerIn) -> dict[str, Any]:
    return {
        "name": worker.name,
        "role": worker.role,
        "unit": worker.unit,
        "grids": list(worker.grids),
        "phone": worker.phone,
        "wecom_userid": worker.wecom_userid,
        "openid": worker.openid,
        "active": worker.active,
    }


def _match_workers(
    given: list[WorkerIn], now: list[dict[str, Any]], problems: list[str]
) -> list[dict[str, Any] | None]:
    """The stored worker each given one is: by id, WeCom userid, openid, phone, then name."""
    found: list[dict[str, Any] | None] = []
    for worker in given:
        match: dict[str, Any] | None = None
        if worker.id is not None:
            match = next((v for v in now if v["id"] == worker.id), None)
            if match is None:
                problems.append(f"没有编号为 {worker.id} 的人员")
        elif not worker.new:
            for column in ("wecom_userid", "openid", "phone", "name"):
                value = getattr(worker, column)
                same = [v for v in now if value and v[column] == value]
                if len(same) == 1:
                    match = same[0]
                    break
                if column == "wecom_userid" and worker.wecom_userid:
                    break  # a new userid is a new person, whatever their name
        found.append(match)
        if worker.wecom_userid:
            taken = next((v for v in now if v["wecom_userid"] == worker.wecom_userid), None)
            if taken is not None and (match is None or taken["id"] != match["id"]):
                where = worker.where or f"人员 {worker.name}"
                problems.append(
                    f"{where}：企业微信账号 {worker.wecom_userid} 已属于 {taken['name']}"
                )
    ids = [m["id"] for m in found if m is not None]
    if len(ids) != len(set(ids)):
        problems.append("同一个已有人员在输入中出现了不止一次")
    return found


def _worker_views(
    given: list[WorkerIn], matched: list[dict[str, Any] | None], now: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Every worker as they will be: the given ones, and the stored ones nobody gave."""
    taken = {m["id"] for m in matched if m is not None}
    views = [_worker_after(worker) for worker in given]
    return views + [view for view in now if view["id"] not in taken]


def _resolve(ref: str, views: list[dict[str, Any]]) -> dict[str, Any] | None:
    for column in ("wecom_userid", "openid", "phone", "name"):
        same = [v for v in views if v[column] == ref]
        if len(same) == 1:
            return same[0]
    return None
