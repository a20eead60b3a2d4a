"""The suggestion figures through the admin API: JSON by group with definitions, the CSV
(audited), the year's table, the section in the general figures, refusals of bad input."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

from aiohttp.test_utils import TestClient

from handlers.staff.accounts import create_user, issue_api_token
from models import AuditEvent, Unit
from tests.bot.conftest import ClientFactory
from tests.handlers.suggestions.test_figures import april

PASSWORD = "correct horse battery"
APRIL = "from=2026-04-01&to=2026-05-01"


async def bearer(role: str, name: str) -> dict[str, str]:
    now = datetime.now(UTC)
    unit = await Unit.get(code="ST-WJC") if role == "unit" else None
    user = await create_user(name, role, PASSWORD, now, unit_id=unit.id if unit else None)
    return {"Authorization": f"Bearer {await issue_api_token(user, now, 'test')}"}


async def get(client: TestClient, path: str, headers: dict[str, str]) -> tuple[int, Any]:
    response = await client.get(path, headers=headers)
    return response.status, await response.json()


async def test_figures_by_group_csv_and_year(make_client: ClientFactory) -> None:
    client = await make_client()
    await april()
    office = await bearer("suggestions", "office")
    status, body = await get(client, f"/api/admin/suggestions/figures?{APRIL}&by=street", office)
    assert status == 200, body
    assert body["period"] == {"from": "2026-04-01", "to": "2026-05-01", "timezone": "Asia/Shanghai"}
    assert (
        body["total"]["received"] == 5 and body["total"]["rates"]["adoption_rate"]["rate"] == 0.75
    )
    streets = {row["key"]: row for row in body["rows"]}
    assert streets["控江路街道"]["screened"] == 2 and streets[""]["label"] == "未识别街道"
    assert "screened_at ≤ screen_due_at" in body["definitions"]["screened_in_time"]
    assert body["labels"]["forwarded"] == "报送市级"

    response = await client.get(
        f"/api/admin/suggestions/figures.csv?{APRIL}&by=station", headers=office
    )
    assert response.status == 200 and response.content_type == "text/csv"
    data = await response.read()
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["联系点", "收到", "已甄别"] and rows[-1][0] == "合计"
    assert rows[-1][1] == "5" and "75.0%" in rows[-1]
    entry = await AuditEvent.get(action="suggestions.figures_export")
    assert entry.detail == {"from": "2026-04-01", "to": "2026-05-01", "by": "station"}

    status, body = await get(client, "/api/admin/suggestions/year/2026", office)
    assert status == 200 and body["line"] == "收到 6 / 采纳 3 / 报送市级 1 / 获批示 1 / 落地 1"
    assert len(body["months"]) == 12 and body["months"][3]["received"] == 5


async def test_who_may_and_bad_input(make_client: ClientFactory) -> None:
    client = await make_client()
    await april()
    unit = await bearer("unit", "unit-staff")
    status, _ = await get(client, "/api/admin/suggestions/figures", unit)
    assert status == 403
    dispatcher = await bearer("dispatcher", "disp")
    status, body = await get(client, "/api/admin/suggestions/figures", dispatcher)
    assert status == 200 and body["by"] is None and body["rows"] == []
    for query, code in (
        ("from=2026-13-01", "invalid_date"),
        ("from=2026-05-01&to=2026-04-01", "invalid_date"),
        ("from=2020-01-01&to=2026-01-01", "invalid_date"),  # longer than 400 days
        ("from=0001-01-01", "invalid_date"),
        ("from=%00", "invalid_date"),
        ("by=unit", "invalid_parameter"),
        ("by=<script>", "invalid_parameter"),
    ):
        status, body = await get(client, f"/api/admin/suggestions/figures?{query}", dispatcher)
        assert (status, body["error"]["code"]) == (400, code), (query, body)
    for year in ("20x6", "1969", "2999", "０２６"):
        status, body = await get(client, f"/api/admin/suggestions/year/{year}", dispatcher)
        assert status == 400, year


async def test_the_general_figures_carry_the_suggestions(make_client: ClientFactory) -> None:
    client = await make_client()
    await april()
    admin = await bearer("admin", "admin-f")
    status, body = await get(client, f"/api/admin/figures?{APRIL}", admin)
    assert status == 200 and body["suggestions"]["received"] == 5
    status, body = await get(client, f"/api/admin/figures?{APRIL}&unit=ST-WJC", admin)
    assert status == 200 and "suggestions" not in body  # not per unit
    unit = await bearer("unit", "unit-f")
    status, body = await get(client, f"/api/admin/figures?{APRIL}", unit)
    assert status == 200 and "suggestions" not in body
