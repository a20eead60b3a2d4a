"""消息送达 in ``GET /api/admin/cases/{number}``: what was sent about the case, by the contract."""

from __future__ import annotations

from typing import Any

import jsonschema

from bot.api.openapi import openapi_document
from models import OutboxMessage, OutboxStatus, Unit, Worker
from tests.bot.api.test_admin_followup import finished, token_for
from tests.bot.test_survey_chat import app_with_clock


async def test_the_case_json_lists_what_was_sent_by_the_contract(
    db_url: str, aiohttp_client: Any
) -> None:
    client, clock = await app_with_clock(db_url, aiohttp_client)
    case = await finished(client, clock, openid="o-api-deliveries")
    await OutboxMessage.filter(case_id=case.id, purpose="case_finished").update(
        status=OutboxStatus.FAILED, last_error="43004: require subscribe"
    )
    response = await client.get(
        f"/api/admin/cases/{case.number}", headers=await token_for("centre1", "dispatcher")
    )
    assert response.status == 200
    body = (await response.json())["case"]
    document = openapi_document()
    jsonschema.validate(
        body, {"components": document["components"], "$ref": "#/components/schemas/AdminCaseDetail"}
    )
    by_purpose = {d["purpose"]: d for d in body["deliveries"]}
    done = by_purpose["case_finished"]
    assert done["to"] == "居民" and done["purpose_label"] == "办结告知"
    assert done["status"] == "failed" and done["status_label"] == "未送达"
    assert done["needs_a_call"] and "电话" in done["hint"] and "路灯已修复" in done["preview"]
    task = by_purpose["task"]
    assert task["to"] == (await Worker.get(id=case.worker_id)).name
    assert body["deliveries_more"] is False
    assert "o-api-deliveries" not in await response.text()  # no openid leaves the service
    assert "43004" not in await response.text()  # WeChat's words stay in the operators' logs


async def test_another_units_token_learns_nothing_of_what_was_sent(
    db_url: str, aiohttp_client: Any
) -> None:
    client, clock = await app_with_clock(db_url, aiohttp_client)
    case = await finished(client, clock, openid="o-api-deliveries-2")
    other = await Unit.exclude(id=case.unit_id).first()
    assert other is not None
    headers = await token_for("unit2", "unit", unit_id=other.id)
    response = await client.get(f"/api/admin/cases/{case.number}", headers=headers)
    assert response.status == 404
    assert "deliveries" not in await response.text()
