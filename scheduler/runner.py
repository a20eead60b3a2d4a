"""One AsyncIOScheduler per process with a few fixed-id interval jobs.

Jobs are sweeps over rows (due times are indexed columns), never one job per case, so any
number of processes can run the same jobs: each sweep claims its rows with a conditional update
and a process that loses a race simply finds nothing to do.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from apscheduler.schedulers.asyncio import AsyncIOScheduler

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SweepJob:
    id: str
    run: Callable[[], Awaitable[object]]
    every_seconds: float


def build_scheduler(jobs: Sequence[SweepJob]) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone="UTC")
    for job in jobs:
        scheduler.add_job(
            _logged(job),
            "interval",
            seconds=job.every_seconds,
            id=job.id,
            name=job.id,
            replace_existing=True,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
        )
    return scheduler


def _logged(job: SweepJob) -> Callable[[], Awaitable[None]]:
    async def run() -> None:
        try:
            await job.run()
        except Exception:
            logger.exception("sweep %s failed; it runs again at its next interval", job.id)

    run.__name__ = f"sweep_{job.id}"
    return run
