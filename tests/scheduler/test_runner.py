"""The scheduler wrapper: a stopping process lets the sweep in progress finish."""

from __future__ import annotations

import asyncio
import logging

from scheduler.runner import SkippedRunFilter, SweepJob, build_scheduler, stop_scheduler


async def test_a_sweep_in_progress_finishes_when_the_process_stops() -> None:
    finished: list[bool] = []

    async def slow_sweep() -> None:
        await asyncio.sleep(0.5)
        finished.append(True)

    running: set[asyncio.Task[None]] = set()
    scheduler = build_scheduler([SweepJob("slow", slow_sweep, 60)], running=running)
    scheduler.start()
    await asyncio.sleep(0.1)
    assert running, "the sweep runs at start"
    await stop_scheduler(scheduler, running, grace_seconds=5)
    assert finished == [True]


async def test_a_sweep_that_outlives_the_grace_is_stopped() -> None:
    async def endless() -> None:
        await asyncio.sleep(60)

    running: set[asyncio.Task[None]] = set()
    scheduler = build_scheduler([SweepJob("endless", endless, 60)], running=running)
    scheduler.start()
    await asyncio.sleep(0.1)
    await stop_scheduler(scheduler, running, grace_seconds=0.2)
    await asyncio.sleep(0.05)
    assert not running


def test_skipped_runs_are_not_warned_about() -> None:
    keep = logging.LogRecord("apscheduler.scheduler", logging.WARNING, "", 0, "other", None, None)
    skip = logging.LogRecord(
        "apscheduler.scheduler",
        logging.WARNING,
        "",
        0,
        'Execution of job "x" skipped: maximum number of running instances reached (1)',
        None,
        None,
    )
    assert SkippedRunFilter().filter(keep) and not SkippedRunFilter().filter(skip)
