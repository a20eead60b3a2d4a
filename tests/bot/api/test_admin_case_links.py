"""Merge, split and review through the admin API: permissions, bad input, what is stored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp.test_utils import TestClient

from bot.app import create_app
from bot.keys import INTAKE
from handlers.clock import ManualClock
from handlers.district.setup import load_demo_district
from handlers.staff.accounts import create_user, issue_api_token
from handlers.workflow.actions import finish_case, record_contact, sign_case
from models import (
    AuditEvent,
    Case,
    CaseLink,
    CaseStatus,
    OutboxMessage,
    Survey,
    Unit,
    UnitSpell,
    Worker,
)
from tests.bot.conftest import Resident
from tests.conftest import make_settings

START = datetime(2026, 3, 10, 1, 30, tzinfo=UTC)
PASSWORD = "correct horse battery"


async def app(db_url: str, aiohttp_client: Any, **overrides: Any) -> tuple[TestClient, ManualClock]:
    clock = ManualClock(START)
    settings = make_settings(db_url, **overrides)
    client: TestClient = await aiohttp_client(create_app(settings, clock))
    await load_demo_district()
    return client, clock


async def token_for(role: str, **columns: Any) -> dict[str, str]:
    user = await create_user(f"{role}1", role, PASSWORD, START, **columns)
    return {"Authorization": f"Bearer {await issue_api_token(user, START, 'test')}"}


async def test_merge_and_split_by_hand(db_url: str, aiohttp_client: Any) -> None:
    client, _ = await app(db_url, aiohttp_client)
    await Resident(client, "o-m1").say("政通路240号门口路灯坏了")
    await Resident(client, "o-m2").say("国权路39弄5号楼电梯坏了，老人下不了楼")
    first, second = await Case.all().order_by("id")
    headers = await token_for("dispatcher")
    path = f"/api/admin/cases/{first.number}"
    same = await client.post(f"{path}/merge", json={"into": first.number}, headers=headers)
    assert same.status == 400
    unknown = await client.post(f"{path}/merge", json={"into": "9999999999"}, headers=headers)
    assert unknown.status == 400
    bad = await client.post(f"{path}/merge", json={"into": ""}, headers=headers)
    assert bad.status == 400
    unit = await token_for("unit", unit_id=(await Unit.get(id=first.unit_id)).id)
    refused = await client.post(f"{path}/merge", json={"into": second.number}, headers=unit)
    assert refused.status in (403, 404)
    response = await client.post(
        f"{path}/merge", json={"into": second.number, "reason": "同一处"}, headers=headers
    )
    assert response.status == 200, await response.text()
    body = (await response.json())["case"]
    assert body["status"] == "merged" and body["duplicate_of"] == second.number
    assert body["links"][0]["kind"] == "merge" and body["links"][0]["role"] == "later"
    # No chains, no circles: the merged case cannot take others, the target cannot follow it.
    back = await client.post(
        f"/api/admin/cases/{second.number}/merge", json={"into": first.number}, headers=headers
    )
    assert back.status == 409
    assert await AuditEvent.filter(action="case.merge").count() == 1
    assert await OutboxMessage.filter(case_id=first.id, purpose__startswith="case_merged").exists()
    split = await client.post(f"{path}/split", json={"reason": "不是一处"}, headers=headers)
    assert split.status == 200, await split.text()
    await first.refresh_from_db()
    assert first.duplicate_of_id is None and first.status != CaseStatus.MERGED
    assert (await CaseLink.get(other_id=first.id)).ended_at is not None
    again = await client.post(f"{path}/split", json={}, headers=headers)
    assert again.status == 409
    assert await AuditEvent.filter(action="case.split").count() == 1


async def finished(client: TestClient, clock: ManualClock) -> Case:
    await Resident(client, "o-r1").say("政通路240号门口路灯坏了，晚上一片漆黑")
    case = await Case.get()
    intake = client.server.app[INTAKE]
    worker = await Worker.get(id=case.worker_id)
    await sign_case(case, worker, await intake.context())
    await record_contact(case, worker, "phone", "", await intake.context())
    clock.advance(timedelta(hours=3))
    await finish_case(case, worker, "路灯已修复", [], await intake.context())
    return case


async def test_review_send_back_then_pass(db_url: str, aiohttp_client: Any) -> None:
    client, clock = await app(db_url, aiohttp_client, review_results="all")
    case = await finished(client, clock)
    assert case.status == CaseStatus.COMPLETED and case.review_state == "pending"
    assert not await Survey.exists(case_id=case.id)
    assert not await OutboxMessage.filter(purpose="case_finished").exists()
    due = case.completion_due_at
    headers = await token_for("dispatcher")
    path = f"/api/admin/cases/{case.number}/review"
    queue = await client.get("/api/admin/cases?review=1", headers=headers)
    assert [c["number"] for c in (await queue.json())["cases"]] == [case.number]
    assert (await client.get("/api/admin/cases?review=maybe", headers=headers)).status == 400
    no_reason = await client.post(path, json={"decision": "send_back"}, headers=headers)
    assert no_reason.status == 400
    wrong = await client.post(path, json={"decision": "maybe"}, headers=headers)
    assert wrong.status == 400
    unit = await token_for("unit", unit_id=case.unit_id)
    assert (await client.post(path, json={"decision": "pass"}, headers=unit)).status == 403
    back = await client.post(
        path, json={"decision": "send_back", "note": "照片看不出修好"}, headers=headers
    )
    assert back.status == 200, await back.text()
    await case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS and case.completion_due_at == due
    assert case.review_state == "sent_back" and case.completed_at is None
    told = await OutboxMessage.filter(case_id=case.id, purpose__startswith="case_sent-back")
    assert told and "照片" not in str(told[0].payload)  # neutral words to the resident
    twice = await client.post(path, json={"decision": "pass"}, headers=headers)
    assert twice.status == 409
    intake = client.server.app[INTAKE]
    worker = await Worker.get(id=case.worker_id)
    await finish_case(case, worker, "路灯已更换", [], await intake.context())
    assert case.review_state == "pending"
    passed = await client.post(path, json={"decision": "pass"}, headers=headers)
    assert passed.status == 200, await passed.text()
    assert (await passed.json())["case"]["review_state"] == "passed"
    queue = await client.get("/api/admin/cases?review=1", headers=headers)
    assert (await queue.json())["cases"] == []
    assert await Survey.exists(case_id=case.id)
    assert await OutboxMessage.filter(purpose="case_finished", case_id=case.id).exists()
    assert await AuditEvent.filter(action="case.review_pass").count() == 1


async def test_no_review_by_default_for_a_plain_case(db_url: str, aiohttp_client: Any) -> None:
    client, clock = await app(db_url, aiohttp_client)
    case = await finished(client, clock)
    assert case.review_state is None and await Survey.exists(case_id=case.id)


async def test_a_merge_by_hand_ends_its_spell(db_url: str, aiohttp_client: Any) -> None:
    """The unit that had the merged case owes it nothing more: its spell ends ``merged`` (so its
    deadlines, still ahead, are not due), and a split opens a fresh one."""
    client, clock = await app(db_url, aiohttp_client)
    await Resident(client, "o-s1").say("政通路240号门口路灯坏了")
    await Resident(client, "o-s2").say("国权路39弄5号楼电梯坏了，老人下不了楼")
    first, second = await Case.all().order_by("id")
    headers = await token_for("dispatcher")
    clock.advance(timedelta(hours=1))
    path = f"/api/admin/cases/{first.number}"
    response = await client.post(f"{path}/merge", json={"into": second.number}, headers=headers)
    assert response.status == 200, await response.text()
    [spell] = await UnitSpell.filter(case_id=first.id)
    assert spell.ended_at == clock.now() and spell.end_reason == "merged"
    assert await UnitSpell.filter(case_id=second.id, ended_at=None).count() == 1
    clock.advance(timedelta(hours=1))
    split = await client.post(f"{path}/split", json={"reason": "不是一处"}, headers=headers)
    assert split.status == 200, await split.text()
    spells = await UnitSpell.filter(case_id=first.id).order_by("id")
    assert [(s.end_reason, s.ended_at is None) for s in spells] == [("merged", False), ("", True)]
    assert spells[1].started_at == clock.now()
