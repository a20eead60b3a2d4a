"""The staff API for units, grids and workers: who may, what is refused (and left unchanged),
what is stored, the audit trail."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from aiohttp.test_utils import TestClient

from handlers.staff.accounts import create_user, issue_api_token
from models import AuditEvent, Grid, Unit, UnitSupervisor, Worker
from nlu import Gazetteer
from tests.bot.conftest import ClientFactory

START = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"
SQUARE = {"type": "Polygon", "coordinates": [[[1, 1], [2, 1], [2, 2], [1, 2], [1, 1]]]}


async def bearer(role: str) -> dict[str, str]:
    unit = await Unit.get(code="ST-WJC") if role == "unit" else None
    user = await create_user(f"{role}-d", role, PASSWORD, START, unit_id=unit.id if unit else None)
    return {"Authorization": f"Bearer {await issue_api_token(user, START, 'test')}"}


async def call(
    client: TestClient, method: str, path: str, headers: dict[str, str], body: Any = None
) -> tuple[int, Any]:
    response = await client.request(method, path, headers=headers, json=body)
    return response.status, await response.json()


async def test_an_admin_edits_units_grids_and_workers(make_client: ClientFactory) -> None:
    client = await make_client()
    admin = await bearer("admin")
    status, body = await call(
        client,
        "PUT",
        "/api/admin/units/JW-GQ",
        admin,
        {
            "name": "国权居委",
            "kind": "station",
            "parent": "ST-WJC",
            "head": "wangfang",
            "supervisors": ["zhoutao"],
        },
    )
    assert status == 200 and body["action"] == "add", body
    unit = await Unit.get(code="JW-GQ")
    street = await Unit.get(code="ST-WJC")
    wang = await Worker.get(wecom_userid="wangfang")
    assert unit.parent_id == street.id and unit.head_id == wang.id and unit.kind == "station"
    assert await UnitSupervisor.filter(unit_id=unit.id).count() == 1
    assert body["unit"]["supervisors"] == ["zhoutao"]
    event = await AuditEvent.get(action="unit.save")
    assert event.via == "api" and event.target_id == "JW-GQ" and event.username == "admin-d"

    status, body = await call(
        client,
        "PUT",
        "/api/admin/grids/GQ-01",
        admin,
        {"name": "国权居委网格", "street": "五角场街道", "unit": "JW-GQ", "boundary": SQUARE},
    )
    assert status == 200 and body["grid"]["boundary"] == SQUARE
    assert (await Grid.get(code="GQ-01")).boundary == [[1, 1], [2, 1], [2, 2], [1, 2]]
    pieces = {
        "type": "MultiPolygon",
        "coordinates": [SQUARE["coordinates"], [[[3, 3], [4, 3], [4, 4], [3, 4], [3, 3]]]],
    }
    grid = {"name": "两块网格", "street": "五角场街道", "boundary": pieces}
    status, body = await call(client, "PUT", "/api/admin/grids/GQ-02", admin, grid)
    assert status == 200 and body["grid"]["boundary"] == pieces
    status, body = await call(
        client, "PUT", "/api/admin/grids/GQ-02", admin, {**grid, "boundary": None}
    )
    assert status == 200 and body["grid"]["boundary"] is None and body["action"] == "change"
    # The next case is placed with the new grid at once (the gazetteer cache was dropped).
    from bot.keys import INTAKE

    gazetteer: Gazetteer = await client.app[INTAKE].gazetteer.get()
    found = gazetteer.match_point(1.5, 1.5)
    assert found is not None and found.grid_code == "GQ-01"

    status, body = await call(
        client,
        "POST",
        "/api/admin/workers",
        admin,
        {
            "name": "新网格员",
            "role": "grid_worker",
            "unit": "JW-GQ",
            "grids": ["GQ-01"],
            "openid": "o-new-worker",
        },
    )
    assert status == 201 and body["action"] == "add", body
    new_id = body["worker"]["id"]
    assert body["worker"]["grids"] == ["GQ-01"]
    # Deactivating keeps the row (and any cases): there is no way to delete a worker.
    status, body = await call(
        client,
        "PUT",
        f"/api/admin/workers/{new_id}",
        admin,
        {"name": "新网格员", "role": "grid_worker", "unit": "JW-GQ", "active": False},
    )
    assert status == 200 and body["worker"]["active"] is False and body["action"] == "change"
    assert await Worker.exists(id=new_id)
    _, listed = await call(client, "GET", "/api/admin/workers", admin)
    assert any(w["id"] == new_id and not w["active"] for w in listed["workers"])
    # The same request twice: the second changes nothing and audits nothing.
    before = await AuditEvent.filter(action="worker.save").count()
    status, body = await call(
        client,
        "PUT",
        f"/api/admin/workers/{new_id}",
        admin,
        {"name": "新网格员", "role": "grid_worker", "unit": "JW-GQ", "active": False},
    )
    assert status == 200 and body["action"] == "same"
    assert await AuditEvent.filter(action="worker.save").count() == before


async def test_bad_edits_are_refused_and_change_nothing(make_client: ClientFactory) -> None:
    client = await make_client()
    admin = await bearer("admin")
    units_before = await Unit.all().count()
    bad_requests = [
        ("PUT", "/api/admin/units/X1", {"name": "x", "parent": "NOPE"}, "没有上级单位 NOPE"),
        (
            "PUT",
            "/api/admin/units/ST-WJC",
            {"name": "x", "kind": "street", "parent": "ST-WJC"},
            "循环",
        ),
        ("PUT", "/api/admin/units/X1", {"name": "x", "kind": "planet"}, "单位类型"),
        ("PUT", "/api/admin/units/X1", {"name": "x", "head": "nobody"}, "找不到人员 nobody"),
        (
            "PUT",
            "/api/admin/grids/X1",
            {
                "name": "x",
                "street": "s",
                "boundary": {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [0, 0]]]},
            },
            "至少要有 4 个坐标",
        ),
        (
            "PUT",
            "/api/admin/grids/X1",
            {
                "name": "x",
                "street": "s",
                "boundary": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]},
            },
            "没有闭合",
        ),
        (
            "PUT",
            "/api/admin/grids/X1",
            {"name": "x", "street": "s", "unit": "NOPE"},
            "没有单位 NOPE",
        ),
        ("POST", "/api/admin/workers", {"name": "x", "wecom_userid": "wangfang"}, "已属于 王芳"),
        ("POST", "/api/admin/workers", {"name": "x", "grids": ["NOPE"]}, "没有网格 NOPE"),
    ]
    for method, path, body, message in bad_requests:
        status, answer = await call(client, method, path, admin, body)
        assert status == 400, (path, answer)
        assert answer["error"]["code"] == "rejected" and message in answer["error"]["message"]
    assert await Unit.all().count() == units_before
    assert not await Grid.exists(code="X1") and not await Worker.exists(name="x")
    assert not await AuditEvent.filter(action__endswith=".save").exists()
    # Malformed and oversized bodies.
    status, answer = await call(
        client, "PUT", "/api/admin/units/X1", admin, {"name": "x", "extra": 1}
    )
    assert status == 400 and answer["error"]["code"] == "invalid_payload"
    response = await client.put(
        "/api/admin/grids/X1", headers=admin, data=b"{" * 10, skip_auto_headers=["Content-Type"]
    )
    assert response.status in (400, 415)
    big = {"name": "x", "street": "s", "compounds": ["名" * 60] * 2000}
    response = await client.put("/api/admin/grids/X1", headers=admin, json=big)
    assert response.status in (400, 413)
    status, answer = await call(client, "PUT", "/api/admin/workers/999999", admin, {"name": "x"})
    assert status == 404


async def test_who_may_read_and_who_may_edit(make_client: ClientFactory) -> None:
    client = await make_client()
    status, _ = await call(client, "GET", "/api/admin/units", {})
    assert status == 401
    dispatcher = await bearer("dispatcher")
    status, body = await call(client, "GET", "/api/admin/grids", dispatcher)
    assert status == 200 and any(g["code"] == "WJC-01" for g in body["grids"])
    status, _ = await call(client, "PUT", "/api/admin/units/X1", dispatcher, {"name": "x"})
    assert status == 403
    unit_user = await bearer("unit")
    status, _ = await call(client, "GET", "/api/admin/workers", unit_user)
    assert status == 403
    assert not await Unit.exists(code="X1")
    # A cookie session without its CSRF token is refused.
    await create_user("admin-cookie", "admin", PASSWORD, START)
    response = await client.post(
        "/api/admin/session", json={"username": "admin-cookie", "password": PASSWORD}
    )
    assert response.status == 200
    response = await client.put("/api/admin/units/X1", json={"name": "x"})
    assert response.status == 403 and (await response.json())["error"]["code"] == "csrf"
    assert not await Unit.exists(code="X1")


async def test_the_same_new_unit_in_parallel_is_made_once(make_client: ClientFactory) -> None:
    client = await make_client()
    admin = await bearer("admin")
    body = {"name": "并发单位"}
    answers = await asyncio.gather(
        *(call(client, "PUT", "/api/admin/units/PAR-1", admin, body) for _ in range(4))
    )
    assert {status for status, _ in answers} <= {200, 409}
    assert await Unit.filter(code="PAR-1").count() == 1
