"""A district's files: parsed, checked, previewed, applied in one transaction, idempotent."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from openpyxl import Workbook

from handlers.district import applying
from handlers.district.applying import apply_plan
from handlers.district.files import export_files, read_files
from handlers.district.gazetteer import load_gazetteer
from handlers.district.planning import plan_district
from handlers.district.records import DistrictProblem
from handlers.district.setup import load_demo_district
from handlers.staff.audit import StaffActor
from models import AuditEvent, Grid, Place, Unit, UnitSupervisor, Worker, WorkerGrid

NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
ADMIN = StaffActor(1, "admin", "admin", "127.0.0.1", "", "cli")


def ring(west: float, south: float, east: float, north: float) -> list[list[float]]:
    return [[west, south], [east, south], [east, north], [west, north], [west, south]]


def feature(code: str, geometry: Any, **props: Any) -> dict[str, Any]:
    properties = {"code": code, "name": f"{code}网格", "street": "新江街道", "unit": "ST-XJ"}
    return {"type": "Feature", "properties": {**properties, **props}, "geometry": geometry}


def geojson(*features: dict[str, Any]) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": list(features)}).encode()


UNITS = (
    "code,name,kind,parent,head,supervisors,phone,street\n"
    "JW-1,新江一居委,station,ST-XJ,,,,\n"  # its parent comes further down
    "ST-XJ,新江街道办事处,street,,lihua,o-chenlei,021-1,新江街道\n"
    "CITY,区城运中心,center,,,,,\n"
)
WORKERS = (
    "name,role,unit,grids,phone,wecom_userid,openid\n"
    "李华,grid_worker,ST-XJ,XJ-01|XJ-02,13900000001,lihua,\n"
    "陈磊,supervisor,ST-XJ,,13900000002,,o-chenlei\n"
)
PLACES = (
    "name,kind,street,grid,aliases\n"
    "新江街道,street,新江街道,,新江镇|老新江\n"
    "滨江花园,compound,新江街道,XJ-02,滨江小区\n"
)


def district_files() -> dict[str, bytes]:
    second = {"type": "MultiPolygon", "coordinates": [[ring(0, 0, 1, 1)], [ring(5, 5, 6, 6)]]}
    return {
        "grids.geojson": geojson(
            feature("XJ-01", {"type": "Polygon", "coordinates": [ring(2, 2, 3, 3)]}),
            feature("XJ-02", second, compounds=["江景苑"], aliases=["二网格"]),
        ),
        "units.csv": UNITS.encode(),
        "workers.csv": WORKERS.encode(),
        "places.csv": PLACES.encode(),
    }


async def test_a_district_is_previewed_applied_and_the_same_files_change_nothing(db: str) -> None:
    plan = await plan_district(read_files(district_files()))
    assert plan.counts() == {"add": 9, "change": 0, "same": 0}
    assert not await Unit.exists()  # a preview writes nothing
    await apply_plan(plan, ADMIN, NOW)

    unit = await Unit.get(code="JW-1")
    street = await Unit.get(code="ST-XJ")
    assert unit.parent_id == street.id and unit.kind == "station"
    lihua = await Worker.get(wecom_userid="lihua")
    chen = await Worker.get(openid="o-chenlei")
    assert street.head_id == lihua.id
    assert [s.worker_id for s in await UnitSupervisor.filter(unit_id=street.id)] == [chen.id]
    grids = {g.id: g.code for g in await Grid.all()}
    links = await WorkerGrid.filter(worker_id=lihua.id).order_by("position")
    assert [grids[link.grid_id] for link in links] == ["XJ-01", "XJ-02"]
    assert lihua.grid_id is not None and grids[lihua.grid_id] == "XJ-01"
    one = await Grid.get(code="XJ-01")
    assert one.boundary == ring(2, 2, 3, 3)[:-1]  # the stored form the gazetteer always read
    audit = await AuditEvent.get(action="district.import")
    assert audit.detail["summary"]["unit"]["add"] == 3 and audit.via == "cli"

    again = await plan_district(read_files(district_files()))
    assert again.counts() == {"add": 0, "change": 0, "same": 9}
    await apply_plan(again, ADMIN, NOW)
    assert await AuditEvent.filter(action="district.import").count() == 1  # nothing to audit

    gazetteer = await load_gazetteer()
    entry = gazetteer.match_point(5.5, 5.5)  # inside the MultiPolygon's second piece
    assert entry is not None and entry.grid_code == "XJ-02"
    assert "滨江小区" in entry.names and "滨江花园" in entry.names and "江景苑" in entry.names
    hits = gazetteer.find_names("老新江这边路灯坏了")
    assert any(hit.street == "新江街道" for hit in hits)


async def test_a_changed_row_shows_before_and_after(db: str) -> None:
    await apply_plan(await plan_district(read_files(district_files())), ADMIN, NOW)
    files = district_files()
    files["workers.csv"] = WORKERS.replace("13900000002", "13900000009").encode()
    plan = await plan_district(read_files(files))
    assert plan.counts() == {"add": 0, "change": 1, "same": 8}
    changed = plan.of("worker", "change")[0]
    assert changed.key == "o-chenlei"
    assert changed.fields == {"phone": ("13900000002", "13900000009")}


async def test_export_then_import_is_a_no_op(db: str) -> None:
    await load_demo_district()
    await apply_plan(await plan_district(read_files(district_files())), ADMIN, NOW)
    exported = await export_files()
    assert set(exported) == {
        "grids.geojson",
        "units.csv",
        "workers.csv",
        "places.csv",
        "stations.csv",
    }
    plan = await plan_district(read_files(exported))
    assert plan.counts()["add"] == 0 and plan.counts()["change"] == 0


async def test_the_demo_district_loads_through_the_import_and_twice_is_once(db: str) -> None:
    await load_demo_district()
    await load_demo_district()
    assert await Unit.filter(code="ST-WJC").count() == 1
    wang = await Worker.get(wecom_userid="wangfang")
    grid = await Grid.get(code="WJC-01")
    assert wang.grid_id == grid.id and wang.phone == "13800000101"
    assert grid.boundary == [
        [121.5, 31.295],
        [121.512, 31.295],
        [121.512, 31.305],
        [121.5, 31.305],
    ]
    assert await Place.filter(kind="street").count() == 4
    assert not await AuditEvent.exists()  # nobody did it


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("units.csv", "code,name,parent\nA,甲,NOPE\n", "没有上级单位 NOPE"),
        ("units.csv", "code,name,parent\nA,甲,B\nB,乙,A\n", "循环"),
        ("units.csv", "code,name\nA,甲\nA,乙\n", "单位编号 A 出现了不止一次"),
        ("units.csv", "code,name,kind\nA,甲,planet\n", "单位类型"),
        ("units.csv", "name\n甲\n", "缺少列 code"),
        ("workers.csv", "name,wecom_userid\n甲,u1\n乙,u1\n", "企业微信账号 u1 出现了不止一次"),
        ("workers.csv", "name,unit\n甲,NOPE\n", "没有单位 NOPE"),
        ("workers.csv", "name,role\n甲,boss\n", "角色"),
        ("places.csv", "name,kind\n某小区,compound\n", "须写明所在网格"),
        ("units.csv", b"\xff\xfe\x00".decode("latin-1"), "UTF-8"),
    ],
)
async def test_bad_rows_are_refused_naming_the_row(
    db: str, name: str, content: str, message: str
) -> None:
    raw = content.encode("latin-1") if "UTF-8" in message else content.encode()
    with pytest.raises(DistrictProblem, match=message) as refused:
        await plan_district(read_files({name: raw}))
    if "UTF-8" not in message and "缺少列" not in message:
        assert any(
            f"{name} 第" in p or "出现了不止一次" in p or "循环" in p
            for p in refused.value.problems
        )


@pytest.mark.parametrize(
    ("geometry", "message"),
    [
        ({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [0, 0]]]}, "至少要有 4 个坐标"),
        ({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]}, "没有闭合"),
        ({"type": "Polygon", "coordinates": [ring(0, 0, 200, 1)]}, "经度"),
        ({"type": "Polygon", "coordinates": [[[0, 0], [1, "x"], [1, 1], [0, 0]]]}, "数字"),
        ({"type": "Point", "coordinates": [0, 0]}, "Polygon 或 MultiPolygon"),
        ({"type": "MultiPolygon", "coordinates": []}, "至少一个多边形"),
    ],
)
async def test_a_bad_polygon_names_the_feature_index_and_code(
    db: str, geometry: Any, message: str
) -> None:
    files = {
        "units.csv": b"code,name\nST-XJ,x\n",
        "grids.geojson": geojson(
            feature("OK-1", {"type": "Polygon", "coordinates": [ring(0, 0, 1, 1)]}),
            feature("BAD-2", geometry),
        ),
    }
    with pytest.raises(DistrictProblem, match=message) as refused:
        await plan_district(read_files(files))
    assert any("第 1 个要素（code BAD-2）" in p for p in refused.value.problems)
    assert not await Grid.exists() and not await Unit.exists()


async def test_a_userid_another_worker_has_is_refused(db: str) -> None:
    await load_demo_district()
    files = {"workers.csv": "name,wecom_userid,phone\n新人,wangfang,13999999999\n".encode()}
    plan = await plan_district(read_files(files))  # same userid: it *is* wangfang, renamed
    assert plan.counts()["change"] == 1
    with pytest.raises(DistrictProblem, match="已属于 王芳"):
        from handlers.district.records import DistrictData, WorkerIn

        await plan_district(
            DistrictData(workers=[WorkerIn(name="新人", wecom_userid="wangfang", new=True)])
        )


async def test_a_failure_in_the_middle_writes_nothing(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = await plan_district(read_files(district_files()))

    async def broken(*_: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(applying, "_write_workers", broken)  # after units and grids are written
    with pytest.raises(RuntimeError, match="disk full"):
        await apply_plan(plan, ADMIN, NOW)
    assert not await Unit.exists() and not await Grid.exists() and not await AuditEvent.exists()


async def test_xlsx_files_are_read_like_csv(db: str) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["code", "name", "kind", "phone"])
    sheet.append(["ST-XJ", "新江街道办事处", "street", 2165430000])  # a number, as Excel keeps it
    out = io.BytesIO()
    book.save(out)
    plan = await plan_district(read_files({"units.xlsx": out.getvalue()}))
    assert plan.counts()["add"] == 1 and plan.changes[0].after["phone"] == "2165430000"
    with pytest.raises(DistrictProblem, match="不是有效的 XLSX"):
        read_files({"workers.xlsx": b"not a workbook"})


async def test_a_grid_worker_covering_a_second_grid_is_routed_its_cases(db: str) -> None:
    from handlers.workflow.routing import load_routing_table

    await apply_plan(await plan_district(read_files(district_files())), ADMIN, NOW)
    table = await load_routing_table()
    second = table.grid("XJ-02")
    assert second is not None
    worker = table.grid_workers.get(second.id)
    assert worker is not None and worker.wecom_userid == "lihua"
