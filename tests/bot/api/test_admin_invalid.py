"""不予受理 through the admin API: reasons, permissions, the timeline, the resident's notice,
stopped deadlines, and an admin's undo; bad input changes nothing."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp.test_utils import TestClient

from bot.app import create_app
from bot.keys import INTAKE
from handlers.clock import ManualClock
from handlers.district.setup import load_demo_district
from handlers.staff.accounts import create_user, issue_api_token
from handlers.workflow.escalation import sweep_deadlines
from models import AuditEvent, Case, CaseEvent, CaseStatus, OutboxMessage, Survey, Unit
from tests.bot.api.test_admin_cases import report
from tests.conftest import make_settings

PASSWORD = "correct horse battery"
START = datetime(2026, 3, 10, 1, 30, tzinfo=UTC)  # Tuesday 09:30 in Shanghai


async def app_with_clock(db_url: str, aiohttp_client: Any) -> tuple[TestClient, ManualClock]:
    clock = ManualClock(START)
    client: TestClient = await aiohttp_client(create_app(make_settings(db_url), clock))
    await load_demo_district()
    return client, clock


async def token_for(name: str, role: str, **columns: Any) -> dict[str, str]:
    user = await create_user(name, role, PASSWORD, START, **columns)
    return {"Authorization": f"Bearer {await issue_api_token(user, START, 'test')}"}


async def test_a_dispatcher_closes_a_case_as_invalid(db_url: str, aiohttp_client: Any) -> None:
    client, clock = await app_with_clock(db_url, aiohttp_client)
    case = await report(client, "o-inv-1", "政通路240号门口路灯坏了，晚上一片漆黑")
    assert case.first_contact_due_at is not None
    headers = await token_for("disp", "dispatcher")
    path = f"/api/admin/cases/{case.number}/invalidate"
    response = await client.post(path, json={"reason": "no_content"}, headers=headers)
    assert response.status == 200, await response.text()
    body = (await response.json())["case"]
    assert body["status"] == "invalid" and body["invalid_reason"] == "no_content"
    assert "invalidate" in [event["action"] for event in body["timeline"]]
    stored = await Case.get(id=case.id)
    assert stored.status == CaseStatus.INVALID and stored.invalid_reason == "no_content"
    assert stored.closed_at is not None
    assert stored.first_contact_due_at is None and stored.completion_due_at is None
    event = await CaseEvent.get(case_id=case.id, action="invalidate")
    assert event.actor_type == "staff" and "无实质内容" in event.note
    assert event.data["reason"] == "no_content"
    entry = await AuditEvent.get(action="case.invalidate")
    assert entry.username == "disp" and entry.target_id == case.number
    told = await OutboxMessage.get(case_id=case.id, purpose__startswith="case_invalid")
    assert case.number in str(told.payload) and "不作为诉求受理" in str(told.payload)
    assert "留言未包含需要办理的具体事项" in str(told.payload)
    # Its handler (the grid worker the demo routes it to) is told to stop.
    assert case.worker_id is not None
    worker_told = await OutboxMessage.get(case_id=case.id, purpose="task_invalid")
    assert "无需继续办理" in str(worker_told.payload) or worker_told.last_error
    # Its deadlines stop: days later the sweep chases nothing and no survey is due.
    clock.advance(timedelta(days=20))
    result = await sweep_deadlines(await client.server.app[INTAKE].context())
    assert result.warnings == result.supervised == result.escalated == 0
    assert await Survey.filter(case_id=case.id).count() == 0
    assert not (await Case.get(id=case.id)).supervised
    # The same request again changes nothing.
    again = await client.post(path, json={"reason": "no_content"}, headers=headers)
    assert again.status == 409 and (await again.json())["error"]["code"] == "unchanged"
    assert await CaseEvent.filter(case_id=case.id, action="invalidate").count() == 1


async def test_bad_requests_change_nothing(db_url: str, aiohttp_client: Any) -> None:
    client, _ = await app_with_clock(db_url, aiohttp_client)
    case = await report(client, "o-inv-2", "政通路240号门口路灯坏了，晚上一片漆黑")
    headers = await token_for("disp", "dispatcher")
    path = f"/api/admin/cases/{case.number}/invalidate"
    for body, code in (
        ({"reason": "because"}, "invalid_request"),
        ({"reason": "other"}, "invalid_request"),
        ({"reason": "other", "note": "   "}, "invalid_request"),
        ({"reason": "other", "note": "x" * 501}, "invalid_payload"),
        ({"reason": "no_content", "extra": 1}, "invalid_payload"),
        ({}, "invalid_payload"),
    ):
        response = await client.post(path, json=body, headers=headers)
        assert response.status == 400, body
        assert (await response.json())["error"]["code"] == code, body
    as_json = {**headers, "Content-Type": "application/json"}
    broken = await client.post(path, data=b"{not json", headers=as_json)
    assert broken.status == 400
    assert (await client.post(path, json={"reason": "no_content"})).status == 401
    wrong = {"Authorization": "Bearer nonsense"}
    assert (await client.post(path, json={"reason": "no_content"}, headers=wrong)).status == 401
    assert (await Case.get(id=case.id)).status != CaseStatus.INVALID
    assert await AuditEvent.filter(action="case.invalidate").count() == 0
    other = await client.post(
        path, json={"reason": "other", "note": "居民来电说明已自行解决"}, headers=headers
    )
    assert other.status == 200
    assert "居民来电说明已自行解决" in (await CaseEvent.get(action="invalidate")).note


async def test_who_may_close_and_who_may_undo(db_url: str, aiohttp_client: Any) -> None:
    client, _ = await app_with_clock(db_url, aiohttp_client)
    lamp = await report(client, "o-inv-3", "政通路240号门口路灯坏了，晚上一片漆黑")
    water = await report(client, "o-inv-4", "市光一村停水了，已经两天")
    assert lamp.unit_id != water.unit_id
    unit = await token_for("unit1", "unit", unit_id=lamp.unit_id)
    supervisor = await token_for("sup1", "supervisor", unit_id=lamp.unit_id)
    dispatcher = await token_for("disp", "dispatcher")
    admin = await token_for("adm", "admin")
    body = {"reason": "duplicate"}
    lamp_path = f"/api/admin/cases/{lamp.number}"
    assert (await client.post(f"{lamp_path}/invalidate", json=body, headers=unit)).status == 403
    hidden = await client.post(
        f"/api/admin/cases/{water.number}/invalidate", json=body, headers=supervisor
    )
    assert hidden.status == 404
    done = await client.post(f"{lamp_path}/invalidate", json=body, headers=supervisor)
    assert done.status == 200
    note = {"note": "经复核确有其事"}
    refused = await client.post(f"{lamp_path}/restore", json=note, headers=dispatcher)
    assert refused.status == 403
    empty = await client.post(f"{lamp_path}/restore", json={"note": ""}, headers=admin)
    assert empty.status == 400
    assert (await Case.get(id=lamp.id)).status == CaseStatus.INVALID
    restored = await client.post(f"{lamp_path}/restore", json=note, headers=admin)
    assert restored.status == 200, await restored.text()
    case = await Case.get(id=lamp.id)
    assert case.status == CaseStatus.ACCEPTED and case.unit_id is None
    assert case.invalid_reason is None and case.closed_at is None
    assert await AuditEvent.filter(action="case.restore", username="adm").count() == 1
    assert await CaseEvent.filter(case_id=lamp.id, action="restore").count() == 1
    assert await OutboxMessage.filter(case_id=lamp.id, purpose__startswith="case_restored").count()
    again = await client.post(f"{lamp_path}/restore", json=note, headers=admin)
    assert again.status == 409
    # Back in the dispatch queue: the dispatcher sends it on, with fresh deadlines.
    housing = await Unit.get(code="HOUSING")
    sent = await client.post(
        f"{lamp_path}/reassign", json={"unit": housing.code}, headers=dispatcher
    )
    assert sent.status == 200
    case = await Case.get(id=lamp.id)
    assert case.status == CaseStatus.DISPATCHED and case.sign_due_at is not None
    # and may be closed as invalid again, telling the resident again.
    again_closed = await client.post(f"{lamp_path}/invalidate", json=body, headers=admin)
    assert again_closed.status == 200
    assert await OutboxMessage.filter(purpose__startswith="case_invalid").count() == 2


async def test_two_closes_at_once_make_one(db_url: str, aiohttp_client: Any) -> None:
    client, _ = await app_with_clock(db_url, aiohttp_client)
    case = await report(client, "o-inv-5", "政通路240号门口路灯坏了，晚上一片漆黑")
    headers = await token_for("disp", "dispatcher")
    path = f"/api/admin/cases/{case.number}/invalidate"
    responses = await asyncio.gather(
        *(client.post(path, json={"reason": "duplicate"}, headers=headers) for _ in range(3))
    )
    assert sorted(r.status for r in responses) == [200, 409, 409]
    assert await CaseEvent.filter(case_id=case.id, action="invalidate").count() == 1
    assert await AuditEvent.filter(action="case.invalidate").count() == 1
    assert await OutboxMessage.filter(purpose__startswith="case_invalid").count() == 1
