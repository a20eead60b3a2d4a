"""The admin API for cases: the same filters as the dashboard, actions with audit, errors."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from aiohttp.test_utils import TestClient

from handlers.staff.accounts import create_user, issue_api_token
from models import AuditEvent, Case, CategoryCorrection, Unit
from tests.bot.conftest import ClientFactory, Resident

PASSWORD = "correct horse battery"
NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)


async def report(client: TestClient, openid: str, text: str) -> Case:
    reply = await Resident(client, openid).say(text)
    number = re.search(r"\d{10}", reply)
    assert number, reply
    return await Case.get(number=number.group(0))


async def token_for(role: str, **columns: Any) -> dict[str, str]:
    user = await create_user(f"{role}1", role, PASSWORD, NOW, **columns)
    return {"Authorization": f"Bearer {await issue_api_token(user, NOW, 'test')}"}


async def test_list_search_and_read_cases(make_client: ClientFactory) -> None:
    client = await make_client()
    lamp = await report(client, "o-1", "政通路路灯坏了，电话13812345678")
    water = await report(client, "o-2", "市光一村停水了，已经两天")
    headers = await token_for("dispatcher")
    response = await client.get("/api/admin/cases", headers=headers)
    assert response.status == 200
    body = await response.json()
    assert body["total"] == 2 and {c["number"] for c in body["cases"]} == {
        lamp.number,
        water.number,
    }
    response = await client.get("/api/admin/cases", params={"q": "5678"}, headers=headers)
    found = (await response.json())["cases"]
    assert [c["number"] for c in found] == [lamp.number]
    assert found[0]["contact_phone"] == "138****5678"
    response = await client.get("/api/admin/cases", params={"urgency": "很急"}, headers=headers)
    assert response.status == 400 and (await response.json())["error"]["code"] == "invalid_request"
    response = await client.get(f"/api/admin/cases/{lamp.number}", headers=headers)
    detail = (await response.json())["case"]
    assert detail["timeline"][0]["action"] == "accept" and "13812345678" not in str(detail)
    assert (await client.get("/api/admin/cases")).status == 401


async def test_actions_through_the_api(make_client: ClientFactory) -> None:
    client = await make_client()
    case = await report(client, "o-1", "政通路路灯坏了")
    headers = await token_for("admin")
    path = f"/api/admin/cases/{case.number}"
    response = await client.post(
        f"{path}/recategorise", json={"category": "城乡建设/物业管理"}, headers=headers
    )
    assert response.status == 200, await response.text()
    assert (await response.json())["case"]["category"] == "城乡建设/物业管理"
    assert await CategoryCorrection.filter(case_id=case.id).count() == 1
    entry = await AuditEvent.get(action="case.recategorise")
    assert entry.via == "api" and entry.username == "admin1"
    again = await client.post(
        f"{path}/recategorise", json={"category": "城乡建设/物业管理"}, headers=headers
    )
    assert again.status == 409 and (await again.json())["error"]["code"] == "unchanged"
    unknown = await client.post(f"{path}/recategorise", json={"category": "x/y"}, headers=headers)
    assert unknown.status == 400
    extra = await client.post(f"{path}/supervise", json={"why": "x"}, headers=headers)
    assert extra.status == 400 and (await extra.json())["error"]["code"] == "invalid_payload"
    response = await client.post(f"{path}/supervise", json={"reason": "督办"}, headers=headers)
    assert response.status == 200 and (await response.json())["case"]["supervised"]
    response = await client.post(
        f"{path}/reassign", json={"unit": "HOUSING", "reason": "属房管"}, headers=headers
    )
    assert response.status == 200
    assert (await Case.get(id=case.id)).unit_id == (await Unit.get(code="HOUSING")).id
    missing = await client.post(
        f"{path}/extensions/999/decide", json={"approve": True}, headers=headers
    )
    assert missing.status == 404


async def test_a_unit_token_sees_only_its_unit(make_client: ClientFactory) -> None:
    client = await make_client()
    lamp = await report(client, "o-1", "政通路路灯坏了")
    water = await report(client, "o-2", "市光一村停水了，已经两天")
    headers = await token_for("unit", unit_id=lamp.unit_id)
    body = await (await client.get("/api/admin/cases", headers=headers)).json()
    assert [c["number"] for c in body["cases"]] == [lamp.number]
    hidden = await client.get(f"/api/admin/cases/{water.number}", headers=headers)
    nothing = await client.get("/api/admin/cases/2699999999", headers=headers)
    assert hidden.status == nothing.status == 404
    assert await hidden.json() == await nothing.json()
    refused = await client.post(
        f"/api/admin/cases/{lamp.number}/supervise", json={}, headers=headers
    )
    assert refused.status == 403


async def test_a_session_needs_the_csrf_header(make_client: ClientFactory) -> None:
    client = await make_client()
    case = await report(client, "o-1", "政通路路灯坏了")
    await create_user("admin", "admin", PASSWORD, NOW)
    signed = await client.post(
        "/api/admin/session", json={"username": "admin", "password": PASSWORD}
    )
    csrf = (await signed.json())["csrf_token"]
    path = f"/api/admin/cases/{case.number}/supervise"
    refused = await client.post(path, json={})
    assert refused.status == 403 and (await refused.json())["error"]["code"] == "csrf"
    done = await client.post(path, json={}, headers={"X-CSRF-Token": csrf})
    assert done.status == 200
