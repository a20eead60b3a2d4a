"""不予受理 from the case page: the form (with CSRF), the timeline, the undo by an admin."""

from __future__ import annotations

from handlers.staff.accounts import create_user
from models import AuditEvent, Case, CaseStatus, OutboxMessage
from tests.bot.conftest import ClientFactory
from tests.bot.dashboard.test_pages import NOW, PASSWORD, admin, report, sign_in


async def test_close_as_invalid_and_restore_from_the_case_page(
    make_client: ClientFactory,
) -> None:
    client = await make_client()
    case = await report(client, "o-page-inv", "政通路路灯坏了，晚上很黑")
    await create_user("disp", "dispatcher", PASSWORD, NOW)
    dispatcher = await sign_in(client, "disp")
    page = f"/dashboard/cases/{case.number}"
    status, text = await dispatcher.get(page)
    assert status == 200 and 'id="invalidate-form"' in text and "无实质内容" in text
    assert 'id="restore-form"' not in text
    # Without the CSRF token nothing happens.
    status, _, _ = await dispatcher.post(f"{page}/invalidate", {"reason": "no_content"}, csrf=False)
    assert status == 403 and (await Case.get(id=case.id)).status != CaseStatus.INVALID
    # 其他 without a note is refused in words.
    status, _, text = await dispatcher.post(f"{page}/invalidate", {"reason": "other"})
    assert status == 400 and "请填写说明" in text
    status, location, _ = await dispatcher.post(
        f"{page}/invalidate", {"reason": "out_of_scope", "note": "属司法诉讼事项"}
    )
    assert status == 303 and location == f"{page}?ok=invalidated"
    status, text = await dispatcher.get(location)
    assert "已不予受理" in text and "不属于受理范围" in text and "属司法诉讼事项" in text
    assert 'id="invalidate-form"' not in text and 'id="restore-form"' not in text
    entry = await AuditEvent.get(action="case.invalidate")
    assert entry.via == "dashboard" and entry.detail["reason"] == "out_of_scope"
    assert await OutboxMessage.filter(purpose__startswith="case_invalid").count() == 1
    # The overview counts it as 无效件数 of its unit.
    status, text = await dispatcher.get("/dashboard/")
    assert status == 200 and "无效件数" in text
    assert '<td data-label="无效件数"><div class="cell">1</div></td>' in text
    # A dispatcher may not undo; an admin may, with a reason.
    status, _, _ = await dispatcher.post(f"{page}/restore", {"note": "x"})
    assert status == 403
    status, _, _ = await dispatcher.post("/dashboard/logout", {})
    assert status == 303
    browser = await admin(client)
    status, text = await browser.get(page)
    assert 'id="restore-form"' in text
    status, _, text = await browser.post(f"{page}/restore", {"note": ""})
    assert status == 400 and "恢复受理的原因" in text
    status, location, _ = await browser.post(f"{page}/restore", {"note": "复核后属受理范围"})
    assert status == 303 and location == f"{page}?ok=restored"
    assert (await Case.get(id=case.id)).status == CaseStatus.ACCEPTED
    assert await AuditEvent.filter(action="case.restore", via="dashboard").count() == 1
