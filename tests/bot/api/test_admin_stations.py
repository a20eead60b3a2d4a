"""The staff API for the suggestion stations (人民建议征集联系点): who may, what is refused (and
left unchanged), the audit trail, deactivating, and the count of suggestions through each."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiohttp.test_utils import TestClient

from handlers.staff.accounts import create_user, issue_api_token
from models import AuditEvent, Station, Suggestion, Unit
from tests.bot.conftest import ClientFactory

START = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"
NEW = {
    "code": "JYZ-GQ",
    "name": "国权路联系点",
    "kind": "station",
    "street": "五角场街道",
    "unit": "ST-WJC",
    "contact": "居委会 <b>王老师</b>",
}


async def bearer(role: str, name: str = "") -> dict[str, str]:
    unit = await Unit.get(code="ST-WJC") if role == "unit" else None
    user = await create_user(
        name or f"{role}-s", role, PASSWORD, START, unit_id=unit.id if unit else None
    )
    return {"Authorization": f"Bearer {await issue_api_token(user, START, 'test')}"}


async def call(
    client: TestClient, method: str, path: str, headers: dict[str, str], body: Any = None
) -> tuple[int, Any]:
    response = await client.request(method, path, headers=headers, json=body)
    return response.status, await response.json()


async def test_the_office_adds_changes_and_closes_a_station(make_client: ClientFactory) -> None:
    client = await make_client()
    office = await bearer("suggestions")
    status, body = await call(client, "POST", "/api/admin/stations", office, NEW)
    assert status == 201, body
    station = body["station"]
    assert station["code"] == "JYZ-GQ" and station["unit"] == "ST-WJC" and station["active"]
    assert station["kind_label"] == "基层联系点" and station["suggestions"] == 0
    assert station["contact"] == "居委会 <b>王老师</b>"  # stored as given; pages escape it
    row = await Station.get(code="JYZ-GQ")
    assert row.street == "五角场街道" and row.kind == "station"
    entry = await AuditEvent.get(action="station.create")
    assert entry.target_type == "station" and entry.target_id == "JYZ-GQ" and entry.via == "api"

    # The same code again is a conflict; nothing changes.
    status, body = await call(client, "POST", "/api/admin/stations", office, NEW)
    assert status == 409 and "JYZ-GQ" in body["error"]["message"], body

    changed = {k: v for k, v in NEW.items() if k != "code"} | {"kind": "partner", "unit": ""}
    status, body = await call(client, "PUT", "/api/admin/stations/JYZ-GQ", office, changed)
    assert status == 200 and body["station"]["kind"] == "partner", body
    assert (await Station.get(code="JYZ-GQ")).unit_id is None

    # A suggestion came through it: counted.
    await Suggestion.create(
        number="JY2603100001",
        channel="station",
        station_id=row.id,
        title="增设公交站",
        text="在控江路增设公交站",
        created_at=START,
        updated_at=START,
    )
    status, body = await call(client, "POST", "/api/admin/stations/JYZ-GQ/deactivate", office)
    assert status == 200 and body["station"]["active"] is False, body
    assert body["station"]["suggestions"] == 1
    status, body = await call(client, "POST", "/api/admin/stations/JYZ-GQ/deactivate", office)
    assert status == 200 and await AuditEvent.filter(action="station.deactivate").count() == 1

    reader = await bearer("unit")
    status, body = await call(client, "GET", "/api/admin/stations", reader)
    assert status == 200
    listed = {s["code"]: s for s in body["stations"]}
    assert listed["JYZ-GQ"]["active"] is False and "JYZ-QU" in listed  # the demo's stations


async def test_refusals_change_nothing(make_client: ClientFactory) -> None:
    client = await make_client()
    office = await bearer("suggestions")
    unit = await bearer("unit")
    before = await Station.all().count()
    status, body = await call(client, "POST", "/api/admin/stations", unit, NEW)
    assert status == 403 and body["error"]["code"] == "forbidden"
    bad = [
        ({**NEW, "kind": "planet"}, 400, "rejected"),
        ({**NEW, "unit": "NOPE"}, 400, "rejected"),
        ({**NEW, "code": "A/B"}, 400, "invalid_payload"),
        ({**NEW, "name": ""}, 400, "invalid_payload"),
        ({**NEW, "name": "x" * 65}, 400, "invalid_payload"),
        ({**NEW, "extra": 1}, 400, "invalid_payload"),
        ({**NEW, "active": "yes"}, 400, "invalid_payload"),
    ]
    for given, expected, code in bad:
        status, body = await call(client, "POST", "/api/admin/stations", office, given)
        assert (status, body["error"]["code"]) == (expected, code), (given, body)
    status, body = await call(client, "PUT", "/api/admin/stations/NOPE", office, {"name": "不存在"})
    assert status == 404 and body["error"]["code"] == "not_found"
    status, body = await call(client, "POST", "/api/admin/stations/NOPE/deactivate", office)
    assert status == 404
    assert await Station.all().count() == before
    assert not await AuditEvent.filter(action__startswith="station.").exists()
