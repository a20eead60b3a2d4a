"""``POST /api/admin/cases/{number}/knowledge``: a 咨询 case's answer becomes a draft entry or a
wording of one; 201 with the entry as the knowledge API shows it, 200 when already so; each
refusal with its status and nothing written."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiohttp.test_utils import TestClient

from models import AuditEvent, Case, CaseEvent, CaseStatus, KnowledgeEntry, Unit
from tests.bot.api.test_admin_knowledge import ENTRY, bearer, call
from tests.bot.conftest import ClientFactory

NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
ANSWER = "社区食堂每天11:00至13:00、17:00至19:00供餐。"


async def question_case(number: str, unit: str = "CIVIL", **fields: Any) -> Case:
    values: dict[str, Any] = {
        "number": number,
        "kind": "question",
        "category": "民政/养老",
        "text": "请问社区食堂几点开饭？",
        "unit_id": (await Unit.get(code=unit)).id,
        "status": CaseStatus.COMPLETED,
        "result": ANSWER,
        "completed_at": NOW,
    }
    values.update(fields)
    return await Case.create(**values)


def path(number: str) -> str:
    return f"/api/admin/cases/{number}/knowledge"


async def test_an_answer_becomes_an_entry_then_a_wording(make_client: ClientFactory) -> None:
    client = await make_client()
    dispatcher = await bearer("disp", "dispatcher")
    civil = await bearer("civil", "unit", "CIVIL")
    case = await question_case("2603100001")

    status, body = await call(client, "POST", path(case.number), dispatcher)
    assert status == 201, body
    made = body["entry"]
    assert made["status"] == "draft" and made["unit"] == "CIVIL" and made["answer"] == ANSWER
    assert made["question"] == "请问社区食堂几点开饭？" and made["category"] == "民政/养老"
    assert [v["action"] for v in body["versions"]] == ["from_case"]
    status, again = await call(client, "POST", path(case.number), dispatcher, {})
    assert status == 200 and again["entry"]["id"] == made["id"], again
    status, shown = await call(client, "GET", f"/api/admin/knowledge/{made['id']}", dispatcher)
    assert shown == body

    status, detail = await call(client, "GET", f"/api/admin/cases/{case.number}", dispatcher)
    notes = [e["note"] for e in detail["case"]["timeline"] if e["action"] == "annotate"]
    assert notes == [f"转为知识条目 {made['code']}（新条目，待审核发布）"]

    # The unit's next case: its words become a wording of that entry, by code or by id.
    other = await question_case("2603100002", text="食堂中午几点开门")
    status, body = await call(
        client, "POST", path(other.number), civil, {"entry": made["code"], "question": ""}
    )
    assert status == 201 and body["entry"]["variants"] == ["食堂中午几点开门"], body
    assert body["versions"][0]["action"] == "from_case" and body["entry"]["version"] == 2
    status, body = await call(client, "POST", path(other.number), civil, {"entry": made["id"]})
    assert status == 200 and body["entry"]["variants"] == ["食堂中午几点开门"], body
    assert await AuditEvent.filter(action="knowledge.from_case").count() == 2


async def refused(
    client: TestClient, number: str, headers: dict[str, str], body: Any = None
) -> tuple[int, str]:
    status, answer = await call(client, "POST", path(number), headers, body)
    return status, answer["error"]["code"]


async def test_refusals_change_nothing(make_client: ClientFactory) -> None:
    client = await make_client()
    dispatcher = await bearer("disp", "dispatcher")
    civil = await bearer("civil", "unit", "CIVIL")
    housing = await bearer("housing", "unit", "HOUSING")
    roaming = await bearer("roaming", "supervisor")  # sees every case, owns no entries
    case = await question_case("2603100003")
    complaint = await question_case("2603100004", kind="complaint")
    waiting = await question_case("2603100005", status=CaseStatus.SIGNED, result="")
    status, made = await call(client, "POST", "/api/admin/knowledge", housing, ENTRY)
    assert status == 201
    entries = await KnowledgeEntry.all().count()

    assert await refused(client, "2699999999", dispatcher) == (404, "not_found")
    # Another unit cannot tell the case from none (the tenant boundary of every case route).
    hidden = await call(client, "POST", path(case.number), housing)
    assert hidden == await call(client, "POST", path("2699999999"), housing)
    assert hidden[0] == 404
    assert await refused(client, case.number, roaming) == (403, "forbidden")
    assert await refused(client, complaint.number, dispatcher) == (409, "conflict")
    status, body = await call(client, "POST", path(waiting.number), dispatcher)
    assert status == 409 and body["error"]["message"] == "该诉求还没有单位的答复"
    assert await refused(client, case.number, civil, {"entry": "K99999"}) == (400, "rejected")
    # Its own unit may not add wordings to another unit's entry.
    code = made["entry"]["code"]
    assert await refused(client, case.number, civil, {"entry": code}) == (403, "forbidden")
    assert await refused(client, case.number, civil, {"entry": "a b"}) == (400, "invalid_payload")
    assert await refused(client, case.number, civil, {"question": "问" * 201}) == (
        400,
        "invalid_payload",
    )
    assert await refused(client, case.number, civil, {"extra": 1}) == (400, "invalid_payload")
    headers = {**civil, "Content-Type": "application/json"}
    response = await client.post(path(case.number), data=b"{", headers=headers)
    assert response.status == 400

    assert await KnowledgeEntry.all().count() == entries
    assert not await CaseEvent.filter(action="annotate").exists()
    assert not await AuditEvent.filter(action="knowledge.from_case").exists()
