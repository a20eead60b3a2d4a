"""One AsyncIOScheduler per process with a few fixed-id interval jobs.

Jobs are sweeps over rows (due times are indexed columns), never one job per case, so any
number of processes can run the same jobs: each sweep claims its rows with a conditional update
and a process that loses a race simply finds nothing to do.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SweepJob:
    id: str
    run: Callable[[], Awaitable[object]]
    every_seconds: float


def build_scheduler(jobs: Sequence[SweepJob], *, run_at_start: bool = True) -> AsyncIOScheduler:
    """Interval jobs that never overlap themselves; with ``run_at_start`` each runs at once too
    (what fell due during downtime is handled when the process starts, not an interval later)."""
    scheduler = AsyncIOScheduler(timezone="UTC")
    first = datetime.now(UTC) if run_at_start else None
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
            **({"next_run_time": first} if first is not None else {}),
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
