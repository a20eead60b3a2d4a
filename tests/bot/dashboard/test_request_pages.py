"""The centre decides a unit's 退单 on the dashboard: the queue lists it, the case page decides
it (to the queue, or 改派 to a unit), the unit's own supervisor may not."""

from __future__ import annotations

from aiohttp.test_utils import TestClient

from handlers.staff.accounts import create_user
from handlers.workflow.actions import issue_token
from models import AuditEvent, Case, CaseStatus, ReturnRequest, Unit, Worker
from tests.bot.conftest import ClientFactory
from tests.bot.dashboard.test_pages import NOW, PASSWORD, admin, report, sign_in


async def ask_return(client: TestClient, case: Case, reason: str, suggested: str = "") -> int:
    worker = await Worker.get(id=case.worker_id)
    headers = {"Authorization": f"Bearer {await issue_token(worker, NOW)}"}
    response = await client.post(
        f"/api/worker/cases/{case.number}/return",
        json={"reason": reason, "suggested_unit": suggested},
        headers=headers,
    )
    assert response.status == 201, await response.text()
    return int((await response.json())["return_request"]["id"])


async def test_a_return_decided_on_the_case_page(make_client: ClientFactory) -> None:
    client = await make_client()
    case = await report(client, "o-1", "政通路240号门口路灯坏了")
    request_id = await ask_return(client, case, "不属于本单位职责", "HOUSING")
    await create_user("boss", "supervisor", PASSWORD, NOW, unit_id=case.unit_id)
    own = await sign_in(client, "boss")
    status, text = await own.get("/dashboard/requests")
    assert status == 403
    path = f"/dashboard/cases/{case.number}/returns/{request_id}/decide"
    status, _, _ = await own.post(path, {"decision": "approve"})
    assert status == 403
    assert (await ReturnRequest.get(id=request_id)).status == "pending"

    client.session.cookie_jar.clear()
    browser = await admin(client)
    status, text = await browser.get("/dashboard/requests")
    assert status == 200 and case.number in text and "建议改派区房屋管理局" in text
    status, text = await browser.get(f"/dashboard/cases/{case.number}")
    assert "不属于本单位职责" in text and "同意退单" in text
    status, _, text = await browser.post(path, {"decision": "refuse", "note": ""})
    assert status == 400 and "理由" in text
    status, location, _ = await browser.post(
        path, {"decision": "approve", "unit": "HOUSING", "note": ""}
    )
    assert status == 303 and location.endswith("ok=return_approved")
    await case.refresh_from_db()
    assert case.unit_id == (await Unit.get(code="HOUSING")).id
    assert case.status == CaseStatus.DISPATCHED
    assert await AuditEvent.filter(action="return.approve", target_id=case.number).exists()
    status, _, text = await browser.post(path, {"decision": "approve"})
    assert status == 409 and "已经审核过" in text
    status, text = await browser.get("/dashboard/requests")
    assert case.number not in text


async def test_a_refused_return_on_the_case_page(make_client: ClientFactory) -> None:
    client = await make_client()
    case = await report(client, "o-1", "政通路240号门口路灯坏了")
    unit = case.unit_id
    request_id = await ask_return(client, case, "忙不过来")
    browser = await admin(client)
    path = f"/dashboard/cases/{case.number}/returns/{request_id}/decide"
    status, location, _ = await browser.post(
        path, {"decision": "refuse", "note": "属本单位职责，请按期办理"}
    )
    assert status == 303 and location.endswith("ok=return_refused")
    await case.refresh_from_db()
    assert case.unit_id == unit and case.status == CaseStatus.DISPATCHED
    status, text = await browser.get("/dashboard/requests?status=refused")
    assert case.number in text and "属本单位职责" in text


async def test_the_case_page_shows_each_deadline_change(make_client: ClientFactory) -> None:
    """The deadlines a unit's spell opened with, and those of the unit a return went to, under
    the event that set them, with why (issue 16)."""
    client = await make_client()
    case = await report(client, "o-1", "政通路240号门口路灯坏了")
    request_id = await ask_return(client, case, "不属于本单位职责", "HOUSING")
    browser = await admin(client)
    path = f"/dashboard/cases/{case.number}/returns/{request_id}/decide"
    status, _, _ = await browser.post(path, {"decision": "approve", "unit": "HOUSING"})
    assert status == 303
    status, text = await browser.get(f"/dashboard/cases/{case.number}")
    assert status == 200
    assert text.count('class="tl-deadline"') >= 6  # three at 派单, three at 改派
    assert "先行联系期限" in text and "办结期限" in text and "→" in text
