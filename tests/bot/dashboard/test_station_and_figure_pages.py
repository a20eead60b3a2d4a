"""The dashboard's suggestion pages without a browser: the figures page (period, groups,
definitions, the year's table; bad input said, not crashed on) and the stations page (the office
adds and closes a station, every text escaped; others read it, and only that)."""

from __future__ import annotations

from aiohttp.test_utils import TestClient

from handlers.staff.accounts import create_user
from models import AuditEvent, Station, Unit
from tests.bot.conftest import ClientFactory
from tests.bot.dashboard.test_pages import NOW, PASSWORD, Browser, sign_in
from tests.handlers.suggestions.test_figures import april


async def person(client: TestClient, name: str, role: str) -> Browser:
    unit = await Unit.get(code="ST-WJC") if role == "unit" else None
    await create_user(name, role, PASSWORD, NOW, unit_id=unit.id if unit else None)
    client.session.cookie_jar.clear()
    return await sign_in(client, name)


async def test_the_figures_page(make_client: ClientFactory) -> None:
    client = await make_client()
    await april()
    office = await person(client, "office", "suggestions")
    status, text = await office.get(
        "/dashboard/suggestions/figures?from=2026-04-01&to=2026-05-01&by=station&year=2026"
    )
    assert status == 200, text[:2000]
    assert "收到 6 / 采纳 3 / 报送市级 1 / 获批示 1 / 落地 1" in text
    assert 'data-figure="adoption_rate"' in text and "75%" in text
    assert "screened_at ≤ screen_due_at" in text  # the definitions shown
    assert 'data-group="JYZ-TEST"' in text and "未经联系点（直接提交）" in text
    assert "建议指标" in text and "建议联系点" in text  # the navigation
    status, text = await office.get(
        "/dashboard/suggestions/figures?from=2026-13-01&by=<b>x</b>&year=abc"
    )
    assert status == 200 and "YYYY-MM-DD" in text and "参数 by 只能是" in text
    assert "<b>x</b>" not in text
    unit = await person(client, "unit-s", "unit")
    status, text = await unit.get("/dashboard/suggestions/figures")
    assert status == 403


async def test_the_stations_page(make_client: ClientFactory) -> None:
    client = await make_client()
    office = await person(client, "office", "suggestions")
    status, text = await office.get("/dashboard/stations")
    assert status == 200 and 'data-station="JYZ-QU"' in text and 'id="station-form"' in text
    form = {
        "code": "JYZ-NEW",
        "name": "<script>新联系点</script>",
        "kind": "partner",
        "street": "五角场街道",
        "unit": "",
        "contact": "李经理",
        "active": "1",
    }
    status, location, _ = await office.post("/dashboard/stations", form)
    assert status == 303 and "saved=saved" in location
    status, text = await office.get("/dashboard/stations")
    assert "&lt;script&gt;新联系点&lt;/script&gt;" in text and "<script>新" not in text
    status, text, _ = await office.post("/dashboard/stations", {**form, "kind": "planet"})
    assert status == 400
    status, location, _ = await office.post("/dashboard/stations/JYZ-NEW/deactivate", {})
    assert status == 303 and not (await Station.get(code="JYZ-NEW")).active
    assert await AuditEvent.filter(action="station.deactivate", via="dashboard").count() == 1
    status, location, _ = await office.post(
        "/dashboard/stations/JYZ-NEW/deactivate", {}, csrf=False
    )
    assert status == 403

    unit = await person(client, "unit-s", "unit")
    status, text = await unit.get("/dashboard/stations")
    assert status == 200 and 'id="station-form"' not in text
    status, _, _ = await unit.post("/dashboard/stations", form)
    assert status == 403
