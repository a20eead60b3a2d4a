"""The early-warning sweep as the scheduler runs it: a fixed id, hourly, a fresh clock each run."""

from __future__ import annotations

from datetime import datetime, timedelta

from handlers.context import HandlerContext
from handlers.hot.warnings import WarningSweepResult
from models import HotWarning
from scheduler.jobs import HOT_WARNING_JOB, sweep_jobs
from tests.conftest import make_settings
from tests.handlers.hot.test_warnings import JUMP, NOW, SWEEP, context, district, say


async def test_the_job_sweeps_with_the_time_it_is_given(db: str) -> None:
    await district()
    for n, text in enumerate(JUMP):
        await say(f"o-job-{n}", text, NOW + timedelta(hours=n))
    times = iter([NOW - timedelta(days=30), SWEEP, SWEEP + timedelta(hours=1)])

    async def factory() -> HandlerContext:
        return await context(next(times))

    async def recover() -> None:
        return None

    jobs = {job.id: job for job in sweep_jobs(make_settings("sqlite://:memory:"), factory, recover)}
    job = jobs[HOT_WARNING_JOB]
    assert job.every_seconds == 3600
    before = await job.run()  # a month earlier: none of the cases exist yet
    assert isinstance(before, WarningSweepResult) and before.jumps == 0
    found = await job.run()
    assert isinstance(found, WarningSweepResult) and found.warned == 1
    again = await job.run()
    assert isinstance(again, WarningSweepResult) and again.warned == 0
    warning = await HotWarning.get()
    assert warning.found_at == SWEEP and isinstance(warning.found_at, datetime)
