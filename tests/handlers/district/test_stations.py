"""The suggestion stations (人民建议征集联系点) in the district's files: stations.csv imported,
checked, exported and imported again unchanged; the demo district has a few."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from handlers.district.applying import apply_plan
from handlers.district.files import export_files, read_files
from handlers.district.planning import plan_district
from handlers.district.records import DistrictProblem
from handlers.district.setup import load_demo_district
from handlers.staff.audit import StaffActor
from models import AuditEvent, Station, Unit

NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
ADMIN = StaffActor(1, "admin", "admin", "127.0.0.1", "", "cli")
STATIONS = (
    "code,name,kind,street,unit_code,contact\n"
    "JYZ-T1,桃溪街道联系点,street,桃溪街道,ST-WJC,街道信访办\n"
    "JYZ-T2,梧桐苑联系点,station,桃溪街道,,居委会 王老师\n"
)


async def test_stations_are_imported_with_their_unit_and_exported_back(db: str) -> None:
    await load_demo_district()
    demo = await Station.filter(active=True).count()
    assert demo >= 5 and await Station.filter(kind="partner").exists()
    plan = await plan_district(read_files({"stations.csv": STATIONS.encode()}))
    assert plan.summary()["station"] == {"add": 2, "change": 0, "same": 0}
    await apply_plan(plan, ADMIN, NOW)
    first = await Station.get(code="JYZ-T1")
    assert first.unit_id == (await Unit.get(code="ST-WJC")).id and first.kind == "street"
    assert first.contact == "街道信访办" and first.created_at == NOW
    entry = await AuditEvent.get(action="district.import")
    assert entry.detail["summary"]["station"]["add"] == 2

    exported = await export_files()
    lines = exported["stations.csv"].decode().splitlines()
    assert lines[0] == "code,name,kind,street,unit,contact,active"
    assert "JYZ-T1,桃溪街道联系点,street,桃溪街道,ST-WJC,街道信访办,1" in lines
    again = await plan_district(read_files(exported))
    assert again.counts()["add"] == 0 and again.counts()["change"] == 0

    # Closing a station deactivates it; its row stays.
    closed = "code,name,kind,street,contact,active\nJYZ-T2,梧桐苑联系点,station,桃溪街道,,0\n"
    plan = await plan_district(read_files({"stations.csv": closed.encode()}))
    assert [c.key for c in plan.of("station", "change")] == ["JYZ-T2"]
    await apply_plan(plan, ADMIN, NOW)
    assert not (await Station.get(code="JYZ-T2")).active


@pytest.mark.parametrize(
    ("csv", "problem"),
    [
        ("code,name,kind\nA,甲,planet\n", "联系点类型"),
        ("code,name,unit\nA,甲,NOPE\n", "没有单位 NOPE"),
        ("code,name\nA,甲\nA,乙\n", "联系点编号 A 出现了不止一次"),
        ("name\n甲\n", "缺少列 code"),
        ("code,name\nA/B,甲\n", "编号不能含有 /"),
        ("code,name\nA,\n", "缺少联系点名称"),
    ],
)
async def test_a_bad_stations_file_is_refused_whole(db: str, csv: str, problem: str) -> None:
    with pytest.raises(DistrictProblem) as refused:
        await plan_district(read_files({"stations.csv": csv.encode()}))
    assert any(problem in p for p in refused.value.problems), refused.value.problems
    assert not await Station.exists()
