"""The figures in the admin API: JSON, CSV for spreadsheets, hot issues, who may see what."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.app import create_app
from handlers.clock import ManualClock
from handlers.staff.accounts import create_user, issue_api_token
from models import AuditEvent
from tests.conftest import make_settings
from tests.handlers.figures.test_compute import NOW, District, build

PASSWORD = "correct horse battery"
PERIOD = {"from": "2026-03-01", "to": "2026-03-08"}


@pytest.fixture
async def api(db_url: str, aiohttp_client: Any) -> TestClient:
    client: TestClient = await aiohttp_client(create_app(make_settings(db_url), ManualClock(NOW)))
    return client


async def token(role: str, unit_id: int | None = None, name: str | None = None) -> dict[str, str]:
    user = await create_user(name or role, role, PASSWORD, NOW, unit_id=unit_id)
    return {"Authorization": f"Bearer {await issue_api_token(user, NOW, 'test')}"}


def pair(body: dict[str, Any], key: str) -> tuple[float, int]:
    rate = body["rates"][key]
    return rate["numerator"], rate["denominator"]


async def test_figures_as_json_for_the_district_and_for_a_unit(api: TestClient) -> None:
    district: District = await build()
    admin = await token("admin")
    response = await api.get("/api/admin/figures", params=PERIOD, headers=admin)
    assert response.status == 200, await response.text()
    body = await response.json()
    assert body["scope"] == "district"
    assert body["filters"] == {
        "from": "2026-03-01",
        "to": "2026-03-08",
        "unit": None,
        "grid": None,
        "category": None,
    }
    assert pair(body, "first_contact") == (4, 7)
    assert pair(body, "on_time") == (1, 4)
    assert pair(body, "repeat") == (1, 7)
    assert pair(body, "satisfaction") == (1.9, 3)
    assert body["rates"]["satisfaction"]["target"] == 0.8
    assert body["rates"]["satisfaction"]["met"] is False
    assert body["rates"]["on_time"]["parts"] == {"met": 1, "late": 1, "overdue": 2}
    assert body["survey"]["unreachable"] == 1 and body["reopen"]["denominator"] == 3
    assert body["medians"]["finish"]["hours"] == 48
    assert body["volume"]["total"] == 8
    assert body["daily"][0]["day"] == "2026-03-01" and len(body["daily"]) == 7
    assert {unit["code"] for unit in body["units"]} == {"U-A", "U-B", ""}

    filtered = await api.get(
        "/api/admin/figures",
        params={**PERIOD, "unit": "U-B", "grid": "G2", "category": "交通运输"},
        headers=admin,
    )
    narrow = await filtered.json()
    assert narrow["filters"]["unit"] == "U-B" and narrow["filters"]["category"] == "交通运输"
    assert pair(narrow, "repeat") == (0, 2)
    assert narrow["rates"]["repeat"]["parts"]["concentrated"] == 1

    # A unit's account gets its own unit, asked for or not, and nothing of another unit.
    unit_a = await token("unit", district.a.id, "unit-a")
    own = await (await api.get("/api/admin/figures", params=PERIOD, headers=unit_a)).json()
    assert own["scope"] == "unit" and own["filters"]["unit"] == "U-A"
    assert pair(own, "first_contact") == (3, 5) and pair(own, "repeat") == (1, 4)
    assert [unit["code"] for unit in own["units"]] == ["U-A"]
    other = await api.get("/api/admin/figures", params={**PERIOD, "unit": "U-B"}, headers=unit_a)
    assert other.status == 403 and (await other.json())["error"]["code"] == "forbidden"
    # So does a supervisor bound to a unit; one without a unit sees the district.
    bound = await token("supervisor", district.b.id, "boss-b")
    theirs = await (await api.get("/api/admin/figures", params=PERIOD, headers=bound)).json()
    assert theirs["filters"]["unit"] == "U-B" and pair(theirs, "repeat") == (0, 2)


async def test_default_period_is_the_last_thirty_days(api: TestClient) -> None:
    admin = await token("admin")
    body = await (await api.get("/api/admin/figures", headers=admin)).json()
    assert body["period"] == {"from": "2026-02-09", "to": "2026-03-11", "timezone": "Asia/Shanghai"}
    assert len(body["daily"]) == 30
    since = await (await api.get("/api/admin/figures?from=2026-03-01", headers=admin)).json()
    assert since["period"]["to"] == "2026-03-11"


async def test_csv_per_unit_and_per_day_opens_in_a_spreadsheet(api: TestClient) -> None:
    await build()
    admin = await token("admin")
    response = await api.get("/api/admin/figures.csv", params=PERIOD, headers=admin)
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert "figures-unit-2026-03-01_2026-03-08.csv" in response.headers["Content-Disposition"]
    raw = await response.read()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    header = rows[0]
    assert header[:4] == ["单位代码", "单位名称", "诉求量", "先行联系率"]
    assert {"按时办结率", "重复率", "满意率", "有效评价"} <= set(header)
    table = {row[1]: dict(zip(header, row, strict=True)) for row in rows[1:]}
    assert set(table) == {"甲街道", "乙局", "未派单（调度队列）", "合计"}
    total = table["合计"]
    assert total["诉求量"] == "8"
    assert (total["先行联系率"], total["按时先行联系"], total["应先行联系"]) == ("57.1%", "4", "7")
    assert (total["满意率"], total["满意+0.9×基本满意"], total["有效评价"]) == ("63.3%", "1.9", "3")
    assert table["乙局"]["满意率"] == ""  # nothing to rate
    assert (
        table["甲街道"]["单位代码"] == "U-A" and table["甲街道"]["重复率"] == "25.0%"
    )  # c8 came back
    assert table["乙局"]["重复率"] == "0.0%"  # the report merged into c4 is 集中诉求
    assert header[-2:] == ["无效件数", "集中诉求"]
    assert table["乙局"]["集中诉求"] == "1" and table["合计"]["集中诉求"] == "1"

    by_day = await api.get("/api/admin/figures.csv", params={**PERIOD, "by": "day"}, headers=admin)
    days = list(csv.reader(io.StringIO((await by_day.read()).decode("utf-8-sig"))))
    assert days[0][:2] == ["日期", "诉求量"] and len(days) == 8
    assert days[1][:2] == ["2026-03-01", "2"]

    exports = await AuditEvent.filter(action="figures.export").order_by("id")
    assert [e.detail["by"] for e in exports] == ["unit", "day"]
    assert exports[0].detail["from"] == "2026-03-01" and exports[0].username == "admin"
    assert exports[0].via == "api"


async def test_hot_issues(api: TestClient) -> None:
    await build()
    admin = await token("admin")
    response = await api.get("/api/admin/hot", params=PERIOD, headers=admin)
    assert response.status == 200
    # c5 joined c4: a group of two.
    assert [issue["numbers"] for issue in (await response.json())["issues"]] == [["c4", "c5"]]
    # Without a place the others stand alone; with one resident enough, they are listed too.
    loose = await api.get(
        "/api/admin/hot", params={**PERIOD, "min_residents": "1", "limit": "3"}, headers=admin
    )
    issues = (await loose.json())["issues"]
    assert len(issues) == 3 and {"title", "cases", "residents", "numbers"} <= set(issues[0])


async def test_who_may_ask_and_what_is_refused(api: TestClient) -> None:
    district = await build()
    nobody = await api.get("/api/admin/figures", params=PERIOD)
    assert nobody.status == 401 and (await nobody.json())["error"]["code"] == "unauthorized"
    assert (await api.get("/api/admin/figures.csv", params=PERIOD)).status == 401
    assert (await api.get("/api/admin/hot")).status == 401
    unit_a = await token("unit", district.a.id, "unit-a")
    assert (await api.get("/api/admin/hot", headers=unit_a)).status == 403  # not theirs

    admin = await token("admin")
    bad = {
        "from=2026-13-01": "invalid_date",
        "from=2026-03-08&to=2026-03-01": "invalid_filter",
        "from=2025-01-01&to=2026-03-01": "invalid_filter",
        "unit=NOPE": "invalid_filter",
        "grid=NOPE": "invalid_filter",
    }
    for query, code in bad.items():
        response = await api.get(f"/api/admin/figures?{query}", headers=admin)
        assert response.status == 400, query
        error = (await response.json())["error"]
        assert error["code"] == code and error["message"], query
    week = await api.get("/api/admin/figures.csv?by=week", headers=admin)
    assert week.status == 400 and "by" in (await week.json())["error"]["message"]
    for query in ("limit=0", "limit=x", "min_residents=-1"):
        assert (await api.get(f"/api/admin/hot?{query}", headers=admin)).status == 400
    assert await AuditEvent.filter(action="figures.export").count() == 0
