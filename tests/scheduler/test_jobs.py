"""The sweep jobs: fixed ids, their intervals, run at start, and where they run."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp.test_utils import TestClient

from bot.app import create_app, create_worker_app
from bot.keys import SCHEDULER
from handlers.workflow.actions import finish_case
from models import Resident, Survey, SurveyStatus
from scheduler.jobs import (
    BROADCAST_SWEEP_JOB,
    DEADLINE_SWEEP_JOB,
    DIGEST_SWEEP_JOB,
    HOT_LINK_SWEEP_JOB,
    HOT_WARNING_JOB,
    KNOWLEDGE_EXPIRY_JOB,
    MONTH_CLOSE_JOB,
    RECOVER_INBOUND_JOB,
    SURVEY_SWEEP_JOB,
    surveys_until_done,
)
from tests.conftest import make_settings
from tests.handlers.workflow.test_actions import NOW, S, context, make_case, make_world

JOBS = {
    RECOVER_INBOUND_JOB,
    DEADLINE_SWEEP_JOB,
    SURVEY_SWEEP_JOB,
    DIGEST_SWEEP_JOB,
    MONTH_CLOSE_JOB,
    KNOWLEDGE_EXPIRY_JOB,
    BROADCAST_SWEEP_JOB,
    HOT_WARNING_JOB,
    HOT_LINK_SWEEP_JOB,
}


async def test_the_service_schedules_every_sweep_with_a_fixed_id(
    db_url: str, aiohttp_client: Any
) -> None:
    settings = make_settings(
        db_url,
        run_background=True,
        followup_sweep_seconds=20,
        digest_sweep_seconds=600,
        broadcast_sweep_seconds=7,
    )
    client: TestClient = await aiohttp_client(create_app(settings))
    jobs = {job.id: job for job in client.app[SCHEDULER].get_jobs()}
    assert set(jobs) == JOBS
    assert jobs[SURVEY_SWEEP_JOB].trigger.interval == timedelta(seconds=20)
    assert jobs[DIGEST_SWEEP_JOB].trigger.interval == timedelta(seconds=600)
    assert jobs[BROADCAST_SWEEP_JOB].trigger.interval == timedelta(seconds=7)
    assert jobs[HOT_WARNING_JOB].trigger.interval == timedelta(hours=1)
    for job in jobs.values():
        assert job.max_instances == 1 and job.coalesce


async def test_what_fell_due_while_down_is_done_at_start(db_url: str, aiohttp_client: Any) -> None:
    """A survey that fell due while the service was down goes out as it starts, not an hour
    (the interval) later."""
    from models.database import close_orm, init_orm

    await init_orm(db_url)
    try:
        world = await make_world()
        case = await make_case(world, S.IN_PROGRESS)
        await finish_case(case, world.dept_staff, "已处理", [], await context())
        await Resident.filter(id=world.resident.id).update(last_message_at=datetime.now(UTC))
        await Survey.filter(case_id=case.id).update(due_at=datetime.now(UTC) - timedelta(days=1))
    finally:
        await close_orm()
    settings = make_settings(db_url, run_background=True, followup_sweep_seconds=3600)
    client: TestClient = await aiohttp_client(create_app(settings))
    assert client.app[SCHEDULER].running
    for _ in range(100):
        if await Survey.filter(case_id=case.id, status=SurveyStatus.SENT).exists():
            break
        await asyncio.sleep(0.05)
    assert await Survey.filter(case_id=case.id, status=SurveyStatus.SENT).exists()


async def test_serve_may_leave_the_sweeps_to_a_worker(db_url: str, aiohttp_client: Any) -> None:
    settings = make_settings(db_url, run_background=True, serve_sweeps=False)
    client: TestClient = await aiohttp_client(create_app(settings))
    assert SCHEDULER not in client.app
    worker = create_worker_app(settings)
    assert not list(worker.router.routes())
    from aiohttp import web

    runner = web.AppRunner(worker)
    await runner.setup()
    try:
        assert {job.id for job in worker[SCHEDULER].get_jobs()} == JOBS
    finally:
        await runner.cleanup()


async def test_a_backlog_is_worked_through_in_batches(db: str) -> None:
    world = await make_world()
    ctx = await context()
    for i in range(7):
        resident = await Resident.create(openid=f"o-b{i}", subscribed=True, last_message_at=NOW)
        case = await make_case(world, S.IN_PROGRESS, resident=resident)
        await finish_case(case, world.dept_staff, "已处理", [], ctx)

    async def later() -> Any:
        return await context(NOW + timedelta(days=1))

    total = await surveys_until_done(later, batch=2)
    assert total.asked == 7 and not total.more
    assert await Survey.filter(status=SurveyStatus.SENT).count() == 7
