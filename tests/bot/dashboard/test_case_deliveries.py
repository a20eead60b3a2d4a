"""The case page's 消息送达 card: what was sent about the case, to whom, and what needs a call."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from handlers.outbox import enqueue
from handlers.staff.accounts import create_user
from models import OutboxMessage, OutboxStatus, Unit, Worker
from tests.bot.api.test_admin_followup import finished
from tests.bot.dashboard.test_pages import PASSWORD, sign_in
from tests.bot.test_survey_chat import app_with_clock


async def test_the_case_page_lists_what_was_sent_and_what_needs_a_call(
    db_url: str, aiohttp_client: Any
) -> None:
    client, clock = await app_with_clock(db_url, aiohttp_client)
    case = await finished(client, clock, openid="o-deliveries-1")
    worker = await Worker.get(id=case.worker_id)
    rows = await OutboxMessage.filter(case_id=case.id).order_by("id")
    assert {row.purpose for row in rows} >= {"task", "case_contacted", "case_finished"}
    finished_notice = next(row for row in rows if row.purpose == "case_finished")
    # The notice's send was cut by a crash: WeChat may or may not have it (never sent again).
    await OutboxMessage.filter(id=finished_notice.id).update(
        status=OutboxStatus.UNKNOWN, last_error="outcome unknown: drainer vm:1#ab stopped"
    )
    # Words a resident wrote come back in replies: shown as text, never as markup.
    hostile = {"msgtype": "text", "text": {"content": "<script>alert(1)</script>已收到"}}
    await enqueue(
        "mp_custom", "o-deliveries-1", hostile, clock.now(), purpose="reply", case_id=case.id
    )
    await create_user("centre", "dispatcher", PASSWORD, datetime.now(UTC))
    browser = await sign_in(client, "centre")

    status, text = await browser.get(f"/dashboard/cases/{case.number}")
    assert status == 200
    card = text[text.index('id="deliveries"') :]
    card = card[: card.index("</section>")]
    assert "办结告知" in card and "先行联系告知" in card and "派单任务" in card
    assert "居民" in card and worker.name in card
    # The worker could not be reached (no WeCom, no linked account): 未发出, with what to do.
    assert "未发出" in card and "请电话联系" in card
    assert "结果不明" in card and "系统不会重发" in card
    assert 'id="deliveries-to-call"' in card and "2 条消息可能未送达" in card
    assert "路灯已修复" in card  # the notice's own words
    assert "回复留言" in card and "&lt;script&gt;alert(1)&lt;/script&gt;已收到" in card
    assert "<script>alert" not in text
    # Addresses stay out of the page: openids and WeCom userids are not for staff to read.
    assert "o-deliveries-1" not in text
    if worker.wecom_userid:
        assert worker.wecom_userid not in card
    assert "vm:1#ab" not in card  # the drainer's note is for operators' logs, not this page


async def test_a_unit_sees_the_card_of_its_own_case_only(db_url: str, aiohttp_client: Any) -> None:
    client, clock = await app_with_clock(db_url, aiohttp_client)
    case = await finished(client, clock, openid="o-deliveries-2")
    await create_user("own", "unit", PASSWORD, datetime.now(UTC), unit_id=case.unit_id)
    status, text = await (await sign_in(client, "own")).get(f"/dashboard/cases/{case.number}")
    assert status == 200 and 'id="deliveries"' in text
    other_unit = await Unit.exclude(id=case.unit_id).first()
    assert other_unit is not None
    await create_user("other", "unit", PASSWORD, datetime.now(UTC), unit_id=other_unit.id)
    client.session.cookie_jar.clear()
    status, text = await (await sign_in(client, "other")).get(f"/dashboard/cases/{case.number}")
    assert status in (403, 404) and "办结告知" not in text
