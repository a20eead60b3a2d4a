"""并案, 拆分 and 办结审核 from the case page: forms with CSRF, what is stored, who may."""

from __future__ import annotations

from bot.keys import INTAKE
from handlers.staff.accounts import create_user
from handlers.workflow.actions import finish_case, record_contact, sign_case
from models import AuditEvent, Case, CaseStatus, Survey, Worker
from tests.bot.conftest import ClientFactory
from tests.bot.dashboard.test_pages import NOW, PASSWORD, report, sign_in


async def test_merge_and_split_from_the_case_page(make_client: ClientFactory) -> None:
    client = await make_client()
    first = await report(client, "o-page-m1", "政通路240号门口路灯坏了")
    second = await report(client, "o-page-m2", "国权路39弄5号楼电梯坏了，老人下不了楼")
    await create_user("disp", "dispatcher", PASSWORD, NOW)
    dispatcher = await sign_in(client, "disp")
    page = f"/dashboard/cases/{first.number}"
    status, text = await dispatcher.get(page)
    assert status == 200 and 'id="merge-form"' in text and 'id="split-form"' not in text
    # Without the CSRF token nothing happens; a case cannot join itself.
    status, _, _ = await dispatcher.post(f"{page}/merge", {"target": second.number}, csrf=False)
    assert status == 403
    status, _, text = await dispatcher.post(f"{page}/merge", {"target": first.number})
    assert status == 400 and "不能把诉求并入它自己" in text
    assert (await Case.get(id=first.id)).status != CaseStatus.MERGED
    status, location, _ = await dispatcher.post(
        f"{page}/merge", {"target": second.number, "reason": "同一处"}
    )
    assert status == 303 and location == f"{page}?ok=merged"
    assert (await Case.get(id=first.id)).duplicate_of_id == second.id
    status, text = await dispatcher.get(location)
    assert 'id="split-form"' in text and 'id="merge-form"' not in text
    status, location, _ = await dispatcher.post(f"{page}/split", {"reason": "不是一处"})
    assert status == 303 and location == f"{page}?ok=split"
    first = await Case.get(id=first.id)
    assert first.duplicate_of_id is None and first.status != CaseStatus.MERGED
    actions = {e.action for e in await AuditEvent.filter(via="dashboard")}
    assert {"case.merge", "case.split"} <= actions


async def test_a_result_is_reviewed_from_the_case_page(make_client: ClientFactory) -> None:
    client = await make_client(review_results="all")
    case = await report(client, "o-page-rv", "政通路240号门口路灯坏了，晚上一片漆黑")
    intake = client.server.app[INTAKE]
    worker = await Worker.get(id=case.worker_id)
    await sign_case(case, worker, await intake.context())
    await record_contact(case, worker, "phone", "", await intake.context())
    await finish_case(case, worker, "路灯已修复", [], await intake.context())
    assert case.review_state == "pending"
    await create_user("unit1", "unit", PASSWORD, NOW, unit_id=case.unit_id)
    unit = await sign_in(client, "unit1")
    page = f"/dashboard/cases/{case.number}"
    status, text = await unit.get(page)
    assert status == 200 and 'id="review-form"' not in text
    status, _, _ = await unit.post(f"{page}/review", {"decision": "pass"})
    assert status == 403
    await unit.post("/dashboard/logout", {})
    await create_user("disp", "dispatcher", PASSWORD, NOW)
    dispatcher = await sign_in(client, "disp")
    status, text = await dispatcher.get("/dashboard/")
    assert status == 200 and "/dashboard/cases?review=1" in text and "待审核" in text
    status, text = await dispatcher.get("/dashboard/cases?review=1")
    assert status == 200 and case.number in text and "只看待审核" in text
    status, text = await dispatcher.get(page)
    assert 'id="review-form"' in text and "路灯已修复" in text
    status, _, text = await dispatcher.post(f"{page}/review", {"decision": "send_back"})
    assert status == 400
    status, _, text = await dispatcher.post(f"{page}/review", {"decision": "maybe"})
    assert status == 400 and "审核通过或退回" in text
    status, location, _ = await dispatcher.post(
        f"{page}/review", {"decision": "send_back", "note": "照片看不出修好"}
    )
    assert status == 303 and location == f"{page}?ok=reviewed"
    case = await Case.get(id=case.id)
    assert case.status == CaseStatus.IN_PROGRESS and case.review_state == "sent_back"
    await finish_case(case, worker, "路灯已更换", [], await intake.context())
    status, location, _ = await dispatcher.post(f"{page}/review", {"decision": "pass"})
    assert status == 303
    assert (await Case.get(id=case.id)).review_state == "passed"
    status, text = await dispatcher.get("/dashboard/cases?review=1")
    assert status == 200 and case.number not in text
    assert await Survey.exists(case_id=case.id)
