"""The knowledge base's staff API: a unit writes, a reviewer publishes, another unit may not,
versions and audit, import (preview, apply, idempotent), export, and trying a question."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

from aiohttp.test_utils import TestClient

from handlers.staff.accounts import issue_api_token
from models import AuditEvent, KnowledgeEntry, StaffUser, Unit
from tests.bot.conftest import ClientFactory

START = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
ENTRY = {
    "question": "高龄津贴怎么申请",
    "variants": ["八十岁以上老人补贴去哪里申领"],
    "answer": "年满80周岁的本区户籍老人到社区事务受理中心申请。",
    "links": [{"title": "办事指南", "url": "https://example.gov.cn/a"}],
    "policy": "高龄老人营养补贴办法",
    "category": "民政/养老",
    "valid_from": "2026-01-01",
    "valid_until": "2027-12-31",
}
CSV = (
    "code,question,answer,unit,scope,street,status\n"
    "KB-9,大件垃圾怎么预约上门清运,每周二、周五上门收运。,ST-WJC,street,五角场街道,published\n"
)


async def bearer(name: str, role: str, unit: str | None = None) -> dict[str, str]:
    unit_id = (await Unit.get(code=unit)).id if unit else None
    user = await StaffUser.create(username=name, role=role, unit_id=unit_id, created_at=START)
    return {"Authorization": f"Bearer {await issue_api_token(user, START, 'test')}"}


async def call(
    client: TestClient, method: str, path: str, headers: dict[str, str], body: Any = None
) -> tuple[int, Any]:
    response = await client.request(method, path, headers=headers, json=body)
    return response.status, await response.json()


async def test_a_unit_writes_a_reviewer_publishes_and_residents_would_be_answered(
    make_client: ClientFactory,
) -> None:
    client = await make_client()
    civil = await bearer("civil", "unit", "CIVIL")
    housing = await bearer("housing", "unit", "HOUSING")
    dispatcher = await bearer("disp", "dispatcher")

    status, body = await call(client, "POST", "/api/admin/knowledge", civil, ENTRY)
    assert status == 201, body
    entry = body["entry"]
    assert entry["status"] == "draft" and entry["unit"] == "CIVIL" and entry["version"] == 1
    assert [v["action"] for v in body["versions"]] == ["create"]
    path = f"/api/admin/knowledge/{entry['id']}"

    status, body = await call(client, "GET", "/api/admin/knowledge/match?q=高龄津贴怎么申请", civil)
    assert status == 200 and body["entry"] is None  # a draft answers nobody

    status, body = await call(client, "POST", f"{path}/publish", civil)
    assert status == 403 and body["error"]["code"] == "forbidden"
    status, body = await call(client, "PUT", path, housing, {**ENTRY, "answer": "别人的"})
    assert status == 403, body
    status, body = await call(client, "POST", f"{path}/publish", dispatcher, {"version": 1})
    assert status == 200 and body["entry"]["status"] == "published", body

    status, body = await call(
        client, "GET", "/api/admin/knowledge/match?q=我爸八十了高龄补贴去哪儿申请", civil
    )
    assert status == 200 and body["confident"] and body["entry"]["code"] == entry["code"], body
    assert body["offered"][0]["code"] == entry["code"]

    # The unit's change goes back to review; an old version is a conflict.
    changed = {**ENTRY, "answer": "也可在随申办申请。", "version": 2}
    status, body = await call(client, "PUT", path, civil, changed)
    assert status == 200 and body["entry"]["status"] == "draft" and body["entry"]["version"] == 3
    status, body = await call(client, "PUT", path, civil, {**changed, "answer": "旧版上改的"})
    assert status == 409 and body["error"]["code"] == "conflict"
    status, body = await call(client, "GET", path, civil)
    assert [v["action"] for v in body["versions"]] == ["edit", "publish", "create"]
    assert body["versions"][0]["changes"]["answer"][1] == "也可在随申办申请。"
    status, body = await call(client, "POST", f"{path}/retire", dispatcher)
    assert status == 200 and body["entry"]["status"] == "retired"
    actions = set(await AuditEvent.filter(via="api").values_list("action", flat=True))
    assert {
        "knowledge.create",
        "knowledge.publish",
        "knowledge.edit",
        "knowledge.retire",
    } <= actions

    status, body = await call(client, "GET", "/api/admin/knowledge?status=retired&q=高龄", civil)
    assert status == 200 and body["total"] == 1 and body["entries"][0]["id"] == entry["id"]
    status, body = await call(client, "GET", "/api/admin/knowledge?status=nope", civil)
    assert status == 400
    status, body = await call(client, "GET", "/api/admin/knowledge/999999", civil)
    assert status == 404


async def test_import_preview_apply_and_export(make_client: ClientFactory) -> None:
    client = await make_client()
    dispatcher = await bearer("disp", "dispatcher")
    unit = await bearer("civil", "unit", "CIVIL")
    upload = {"filename": "kb.csv", "content_base64": base64.b64encode(CSV.encode()).decode()}

    status, body = await call(client, "POST", "/api/admin/knowledge/import", unit, upload)
    assert status == 403  # knowledge.import is the reviewers'
    status, body = await call(client, "POST", "/api/admin/knowledge/import", dispatcher, upload)
    assert status == 200 and not body["applied"] and body["counts"]["add"] == 1, body
    assert not await KnowledgeEntry.exists()
    wrong = {**upload, "apply": True, "digest": "0" * 64}
    status, body = await call(client, "POST", "/api/admin/knowledge/import", dispatcher, wrong)
    assert status == 409
    apply = {**upload, "apply": True, "digest": body.get("digest", "") or ""}
    status, preview = await call(client, "POST", "/api/admin/knowledge/import", dispatcher, upload)
    apply["digest"] = preview["digest"]
    status, body = await call(client, "POST", "/api/admin/knowledge/import", dispatcher, apply)
    assert status == 200 and body["applied"] and body["counts"]["add"] == 1, body
    status, body = await call(client, "POST", "/api/admin/knowledge/import", dispatcher, apply)
    assert status == 200 and body["counts"] == {"add": 0, "change": 0, "same": 1}

    status, body = await call(
        client,
        "GET",
        "/api/admin/knowledge/match?q=旧沙发怎么预约上门清运&street=五角场街道",
        dispatcher,
    )
    assert body["confident"] and body["entry"]["code"] == "KB-9", body
    status, body = await call(
        client,
        "GET",
        "/api/admin/knowledge/match?q=旧沙发怎么预约上门清运&street=殷行街道",
        dispatcher,
    )
    assert not body["confident"] and (body["entry"] is None or body["entry"]["code"] != "KB-9")

    bad = {"filename": "kb.csv", "content_base64": base64.b64encode(b"question\nx\n").decode()}
    status, body = await call(client, "POST", "/api/admin/knowledge/import", dispatcher, bad)
    assert status == 400 and "缺少列 answer" in body["error"]["message"]

    response = await client.get("/api/admin/knowledge.csv", headers=unit)
    assert response.status == 200 and response.content_type == "text/csv"
    assert "KB-9,大件垃圾怎么预约上门清运" in await response.text()
    response = await client.get("/api/admin/knowledge.xlsx", headers=unit)
    assert response.status == 200 and (await response.read())[:2] == b"PK"
    assert await AuditEvent.filter(action="knowledge.export").count() == 2
