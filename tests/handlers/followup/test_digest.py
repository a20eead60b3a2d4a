"""The working-morning digest: figures per unit, once per person and working day."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from handlers.followup.digest import previous_working_day, sweep_digests, unit_digest
from handlers.workflow.deadlines import is_working_day
from models import CaseStatus, OutboxMessage, Worker, WorkerRole
from tests.handlers.workflow.test_actions import World, context, make_case, make_world

S = CaseStatus
# Tuesday 2026-03-10: 08:30 and 07:59 in Shanghai.
MORNING = datetime(2026, 3, 10, 0, 30, tzinfo=UTC)
TOO_EARLY = datetime(2026, 3, 9, 23, 59, tzinfo=UTC)  # 07:59 on the 10th, local
SATURDAY = datetime(2026, 3, 14, 1, 0, tzinfo=UTC)


@pytest.fixture
async def world(db: str) -> World:
    w = await make_world()
    await Worker.create(name="吴处", role=WorkerRole.UNIT_HEAD, unit_id=w.dept.id)
    return w


async def digests() -> list[OutboxMessage]:
    return await OutboxMessage.filter(purpose="digest").order_by("id")


def test_the_previous_working_day_skips_the_weekend() -> None:
    monday = datetime(2026, 3, 9).date()
    assert previous_working_day(monday) == datetime(2026, 3, 6).date()
    assert not is_working_day(SATURDAY.date())


async def test_figures_of_a_unit(world: World) -> None:
    yesterday = MORNING - timedelta(days=1)
    await make_case(world, dispatched_at=MORNING - timedelta(hours=2))  # new
    await make_case(world, dispatched_at=yesterday - timedelta(hours=2))  # older
    await make_case(world, S.SIGNED, completion_due_at=MORNING + timedelta(hours=5))  # today
    await make_case(world, S.IN_PROGRESS, completion_due_at=MORNING - timedelta(days=2))
    await make_case(world, S.IN_PROGRESS, completion_due_at=MORNING - timedelta(days=1))
    await make_case(world, S.IN_PROGRESS, reopened_count=1)
    await make_case(world, S.COMPLETED, completion_due_at=MORNING - timedelta(days=3))  # closed
    await make_case(world, unit=world.street, dispatched_at=MORNING)  # another unit
    figures = await unit_digest(world.dept.id, MORNING, 8.0)
    assert figures.due_today == 1 and figures.overdue == 2 and figures.reopened == 1
    # New since yesterday's digest hour: the one case dispatched 2 hours ago, and every make_case
    # default (dispatched an hour before NOW, which is after yesterday morning).
    assert figures.new >= 1
    assert len(figures.oldest_overdue) == 2


async def test_once_per_person_and_working_day(world: World) -> None:
    await make_case(world, S.IN_PROGRESS, completion_due_at=MORNING - timedelta(days=1))
    assert await sweep_digests(await context(TOO_EARLY, digest_hour=8.0)) == 0
    queued = await sweep_digests(await context(MORNING, digest_hour=8.0))
    # Supervisors of the department and the street, and the department's head.
    assert queued == 3
    rows = await digests()
    texts = {row.recipient: row.payload["text"]["content"] for row in rows}
    assert all("每日汇总" in text for text in texts.values())
    dept_text = next(t for t in texts.values() if "乙局" in t)
    assert "已超期 1 件" in dept_text and "超期最久" in dept_text
    assert await sweep_digests(await context(MORNING + timedelta(hours=3), digest_hour=8.0)) == 0
    assert len(await digests()) == 3
    # The next working day brings the next digest.
    tomorrow = MORNING + timedelta(days=1)
    assert await sweep_digests(await context(tomorrow, digest_hour=8.0)) == 3


async def test_no_digest_on_a_day_off(world: World) -> None:
    assert await sweep_digests(await context(SATURDAY, digest_hour=8.0)) == 0


async def test_processes_sweeping_at_once_send_one_each(world: World) -> None:
    ctx = await context(MORNING, digest_hour=8.0)
    for _ in range(5):
        await OutboxMessage.filter(purpose="digest").delete()
        results = await asyncio.gather(*(sweep_digests(ctx) for _ in range(3)))
        assert sum(results) == 3
    keys = [row.dedup_key for row in await digests()]
    assert len(keys) == len(set(keys)) == 3
