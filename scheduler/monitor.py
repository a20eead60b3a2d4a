"""What each sweep of this process did last: for ``/healthz`` (is the scheduler alive?) and for
``/metrics`` (sweep durations).

The runner reports every run's start and end here (:func:`scheduler.runner.build_scheduler`).
A sweep is alive while it succeeded within :data:`STALE_INTERVALS` of its intervals (at least
:data:`MIN_STALE_SECONDS`), or is running and has not run longer than that or
:data:`LONGEST_RUN_SECONDS` (a backlog after downtime, a broadcast's fan-out). One failed run is
not news (it runs again at its next interval); a sweep that keeps failing, hangs or has stopped
being run is.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from handlers.clock import Clock
from nlu import mask_phones_in_text

logger = logging.getLogger(__name__)

STALE_INTERVALS = 3
MIN_STALE_SECONDS = 120.0
LONGEST_RUN_SECONDS = 900.0

Outcome = Literal["ok", "error", "cancelled"]
# Told of each finished run: the job id, how long it took (seconds), how it ended.
SweepListener = Callable[[str, float, Outcome], None]


@dataclass
class SweepState:
    every_seconds: float
    running_since: datetime | None = None
    last_success_at: datetime | None = None
    last_failure_at: datetime | None = None
    last_error: str = ""
    last_duration_seconds: float | None = None
    runs: int = 0
    failures: int = 0

    @property
    def stale_after(self) -> timedelta:
        return timedelta(seconds=max(STALE_INTERVALS * self.every_seconds, MIN_STALE_SECONDS))

    def as_dict(self) -> dict[str, Any]:
        def iso(value: datetime | None) -> str | None:
            return value.isoformat() if value is not None else None

        return {
            "every_seconds": self.every_seconds,
            "running_since": iso(self.running_since),
            "last_success_at": iso(self.last_success_at),
            "last_failure_at": iso(self.last_failure_at),
            "last_error": self.last_error,
            "last_duration_seconds": self.last_duration_seconds,
            "runs": self.runs,
            "failures": self.failures,
        }


class SweepMonitor:
    """Per-job state of the sweeps of one process; times from the injected clock."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.watching_since: datetime | None = None
        self.jobs: dict[str, SweepState] = {}
        self.listeners: list[SweepListener] = []

    def watch(self, jobs: Iterable[tuple[str, float]]) -> None:
        """Start watching ``(job id, interval seconds)`` pairs: the scheduler is starting."""
        self.watching_since = self.clock.now()
        for job_id, every in jobs:
            self.jobs[job_id] = SweepState(every)

    def started(self, job_id: str) -> None:
        self.jobs.setdefault(job_id, SweepState(0.0)).running_since = self.clock.now()

    def finished(self, job_id: str, seconds: float, outcome: Outcome, error: str = "") -> None:
        state = self.jobs.setdefault(job_id, SweepState(0.0))
        state.running_since = None
        state.last_duration_seconds = round(seconds, 6)
        state.runs += 1
        if outcome == "ok":
            state.last_success_at = self.clock.now()
        elif outcome == "error":
            state.failures += 1
            state.last_failure_at = self.clock.now()
            state.last_error = mask_phones_in_text(error)[:500]  # /healthz shows it
        for listener in self.listeners:
            try:
                listener(job_id, seconds, outcome)
            except Exception:
                logger.exception("sweep listener failed for %s", job_id)

    def problems(self, now: datetime) -> list[str]:
        """What is wrong, one line per sweep that is neither succeeding nor running lately."""
        found = []
        for job_id, state in sorted(self.jobs.items()):
            last = state.last_success_at or self.watching_since
            if last is None:
                continue
            if now - last <= state.stale_after:
                continue
            longest = max(state.stale_after, timedelta(seconds=LONGEST_RUN_SECONDS))
            if state.running_since is not None and now - state.running_since <= longest:
                continue
            line = f"sweep {job_id}: no successful run for {(now - last).total_seconds():.0f} s"
            line += f" (runs every {state.every_seconds:g} s)"
            if state.running_since is not None:
                since = (now - state.running_since).total_seconds()
                line += f", running for {since:.0f} s"
            if state.last_error:
                line += f"; last error: {state.last_error}"
            found.append(line)
        return found

    def as_dict(self) -> dict[str, Any]:
        return {job_id: state.as_dict() for job_id, state in sorted(self.jobs.items())}
