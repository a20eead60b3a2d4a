"""The sweep monitor: what each sweep did last, as the runner reports it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from handlers.clock import ManualClock
from scheduler.monitor import SweepMonitor
from scheduler.runner import SweepJob, build_scheduler, stop_scheduler

START = datetime(2026, 3, 1, 1, 0, tzinfo=UTC)


async def test_the_runner_reports_every_run() -> None:
    async def works() -> None:
        await asyncio.sleep(0.01)

    async def breaks() -> None:
        raise RuntimeError("database went away")

    clock = ManualClock(START)
    monitor = SweepMonitor(clock)
    heard: list[tuple[str, str]] = []
    monitor.listeners.append(lambda job, seconds, outcome: heard.append((job, outcome)))
    running: set[asyncio.Task[None]] = set()
    scheduler = build_scheduler(
        [SweepJob("works", works, 60), SweepJob("breaks", breaks, 60)],
        running=running,
        monitor=monitor,
    )
    scheduler.start()
    for _ in range(100):
        if len(heard) == 2:
            break
        await asyncio.sleep(0.01)
    await stop_scheduler(scheduler, running)
    assert sorted(heard) == [("breaks", "error"), ("works", "ok")]
    works_state, breaks_state = monitor.jobs["works"], monitor.jobs["breaks"]
    assert works_state.last_success_at == START and works_state.runs == 1
    assert works_state.last_duration_seconds is not None and works_state.running_since is None
    assert breaks_state.last_success_at is None and breaks_state.failures == 1
    assert breaks_state.last_error == "RuntimeError: database went away"


def test_a_sweep_is_alive_while_it_succeeds_or_runs() -> None:
    clock = ManualClock(START)
    monitor = SweepMonitor(clock)
    monitor.watch([("fast", 10.0), ("slow", 600.0)])
    assert monitor.problems(clock.now()) == []
    clock.advance(timedelta(seconds=119))
    assert monitor.problems(clock.now()) == []  # at least two minutes, whatever the interval
    clock.advance(timedelta(seconds=2))
    assert [line.split(":")[0] for line in monitor.problems(clock.now())] == ["sweep fast"]
    monitor.started("fast")  # a run in progress is a sign of life ...
    assert monitor.problems(clock.now()) == []
    clock.advance(timedelta(minutes=15))
    assert monitor.problems(clock.now()) == []
    clock.advance(timedelta(seconds=1))  # ... until it has run for too long
    [line] = monitor.problems(clock.now())
    assert "running for 901 s" in line
    monitor.finished("fast", 901.0, "ok")
    assert monitor.problems(clock.now()) == []
    clock.advance(timedelta(minutes=15))
    assert [line.split(":")[0] for line in monitor.problems(clock.now())] == [
        "sweep fast",
        "sweep slow",
    ]


def test_a_broken_listener_does_not_break_the_sweep() -> None:
    monitor = SweepMonitor(ManualClock(START))

    def broken(job: str, seconds: float, outcome: str) -> None:
        raise ValueError("nope")

    monitor.listeners.append(broken)
    monitor.finished("x", 0.1, "ok")
    assert monitor.jobs["x"].runs == 1
