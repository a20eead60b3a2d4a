"""Expiry reminders: the unit's head and supervisors hear of an entry before it expires, once
per version; drafts, far dates and entries without a date are left alone."""

from __future__ import annotations

from datetime import date

from handlers.knowledge.editing import create_entry, edit_entry, set_status
from handlers.knowledge.reminders import sweep_expiring_entries
from models import EntryStatus, OutboxMessage, UnitSupervisor, Worker, WorkerRole
from tests.handlers.knowledge.conftest import NOW, Org, entry
from tests.handlers.workflow.test_actions import context


async def reminders() -> list[OutboxMessage]:
    return await OutboxMessage.filter(purpose="knowledge_expiry").order_by("id")


async def test_the_unit_is_told_before_an_entry_expires_once_per_version(org: Org) -> None:
    head = await Worker.create(
        name="王处", role=WorkerRole.UNIT_HEAD, unit_id=org.civil.id, wecom_userid="wang"
    )
    deputy = await Worker.create(
        name="李科", role=WorkerRole.UNIT_STAFF, unit_id=org.civil.id, wecom_userid="li"
    )
    await UnitSupervisor.create(unit_id=org.civil.id, worker_id=deputy.id)
    await Worker.create(name="张三", role=WorkerRole.UNIT_STAFF, unit_id=org.civil.id)
    actor = org.actor(org.admin)
    soon = await create_entry(
        entry(valid_until=date(2026, 3, 20)), org.admin, actor, NOW
    )  # 10 days after NOW
    far = await create_entry(
        entry("敬老卡怎么办理", valid_until=date(2026, 9, 1)), org.admin, actor, NOW
    )
    draft = await create_entry(
        entry("残疾证怎么办", valid_until=date(2026, 3, 12)), org.admin, actor, NOW
    )
    for made in (soon, far):
        await set_status(made.id, EntryStatus.PUBLISHED, org.admin, actor, NOW)
    ctx = await context(NOW, work_corp_id="corp", work_agent_id="1", work_secret="s")
    assert await sweep_expiring_entries(ctx) == 2
    sent = await reminders()
    assert sorted(m.recipient for m in sent) == ["li", "wang"]
    assert "高龄津贴怎么申请" in str(sent[0].payload) and "2026年3月20日" in str(sent[0].payload)
    assert head.id and draft.id
    assert await sweep_expiring_entries(ctx) == 0  # once

    # An edit is a new version: reminded again when due (here: at once, still close).
    await edit_entry(
        soon.id, entry(answer="新的答复", valid_until=date(2026, 3, 22)), org.admin, actor, NOW
    )
    assert await sweep_expiring_entries(ctx) == 2
    # Days ahead is a setting.
    wider = await context(
        NOW, knowledge_reminder_days=200, work_corp_id="corp", work_agent_id="1", work_secret="s"
    )
    assert await sweep_expiring_entries(wider) == 2  # the far one now
    assert len(await reminders()) == 6
