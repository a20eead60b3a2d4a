"""One AsyncIOScheduler per process with a few fixed-id interval jobs.

Jobs are sweeps over rows (due times are indexed columns), never one job per case, so any
number of processes can run the same jobs: each sweep claims its rows with a conditional update
and a process that loses a race simply finds nothing to do.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from models.database import sweep_plans
from scheduler.monitor import SweepMonitor

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SweepJob:
    id: str
    run: Callable[[], Awaitable[object]]
    every_seconds: float


def build_scheduler(
    jobs: Sequence[SweepJob],
    *,
    run_at_start: bool = True,
    running: set[asyncio.Task[None]] | None = None,
    monitor: SweepMonitor | None = None,
) -> AsyncIOScheduler:
    """Interval jobs that never overlap themselves; with ``run_at_start`` each runs at once too
    (what fell due during downtime is handled when the process starts, not an interval later).

    Sweeps in progress are kept in ``running`` so that a stopping process can let them finish
    (:func:`stop_scheduler`) instead of cutting them off. Each run's start, end and outcome go
    to ``monitor`` (``/healthz`` and ``/metrics`` read it).
    """
    scheduler = AsyncIOScheduler(timezone="UTC")
    if monitor is not None:
        monitor.watch((job.id, job.every_seconds) for job in jobs)
    tracked: set[asyncio.Task[None]] = running if running is not None else set()
    first = datetime.now(UTC) if run_at_start else None
    for job in jobs:
        scheduler.add_job(
            _logged(job, tracked, monitor),
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


def _logged(
    job: SweepJob, running: set[asyncio.Task[None]], monitor: SweepMonitor | None = None
) -> Callable[[], Awaitable[None]]:
    async def run() -> None:
        task = asyncio.current_task()
        if task is not None:
            running.add(task)
        if monitor is not None:
            monitor.started(job.id)
        began = time.perf_counter()
        outcome: Literal["ok", "error", "cancelled"] = "ok"
        error = ""
        try:
            async with sweep_plans():  # PostgreSQL plans each sweep statement for its values
                await job.run()
        except asyncio.CancelledError:
            # Stopping: the sweep's open transaction rolls back and the next start redoes it.
            outcome = "cancelled"
            logger.info("sweep %s stopped with the process", job.id)
        except Exception as exc:
            outcome, error = "error", f"{type(exc).__name__}: {exc}"
            logger.exception("sweep %s failed; it runs again at its next interval", job.id)
        finally:
            if task is not None:
                running.discard(task)
            if monitor is not None:
                monitor.finished(job.id, time.perf_counter() - began, outcome, error)

    run.__name__ = f"sweep_{job.id}"
    return run


async def stop_scheduler(
    scheduler: AsyncIOScheduler, running: set[asyncio.Task[None]], grace_seconds: float = 10.0
) -> None:
    """Start no more sweeps, and give the ones in progress ``grace_seconds`` to finish.

    The scheduler is paused first and shut down only afterwards: APScheduler's shutdown cancels
    every job still running, which would cut a sweep off mid-batch.
    """
    scheduler.pause()
    if running:
        logger.info("waiting for %d sweep(s) to finish", len(running))
        _, late = await asyncio.wait(set(running), timeout=grace_seconds)
        if late:
            logger.warning(
                "%d sweep(s) still running after %.0f s: stopping them", len(late), grace_seconds
            )
    scheduler.shutdown(wait=False)


class SkippedRunFilter(logging.Filter):
    """Drop APScheduler's warning that a sweep's next run was skipped because the last one is
    still running: with one instance per job and coalescing, that is the design, not news."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "maximum number of running instances reached" not in record.getMessage()
