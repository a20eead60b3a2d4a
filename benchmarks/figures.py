"""Turning timings into the figures the benchmarks print: percentiles, load summaries, verdicts,
the peak memory of a process, and progress lines on stderr.

Imported by the scripts of ``benchmarks/`` (which put the repository on ``sys.path`` first).
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

Sample = tuple[float, float, bool]  # (started, seconds taken, ok), perf_counter times


def percentile(values: list[float], pct: float) -> float:
    """The value at ``pct`` percent of the sorted values (rounded rank); 0.0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))]


@dataclass
class Throughput:
    """Requests sent under load: those started from the end of the warm-up on are measured."""

    sent: int = 0  # every request, warm-up included
    measured: int = 0
    rate: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    errors: int = 0

    def count(self, samples: list[Sample], measure_from: float, seconds: float) -> None:
        """Fill in the figures: ``rate`` is the measured successes over ``seconds``."""
        latencies = [lat * 1000 for begin, lat, ok in samples if begin >= measure_from and ok]
        self.sent = len(samples)
        self.errors = sum(1 for _, _, ok in samples if not ok)
        self.measured = sum(1 for begin, _, _ in samples if begin >= measure_from)
        self.rate = len(latencies) / seconds
        self.p50_ms, self.p99_ms = percentile(latencies, 50), percentile(latencies, 99)


async def timed(call: Callable[[], Awaitable[T]]) -> tuple[float, T]:
    """Await ``call()``: (milliseconds it took, its result)."""
    started = time.perf_counter()
    result = await call()
    return (time.perf_counter() - started) * 1000, result


def summary(values: list[float]) -> dict[str, float]:
    """Count, median and maximum of timings in ms."""
    return {
        "n": len(values),
        "p50_ms": round(statistics.median(values), 2) if values else 0.0,
        "max_ms": round(max(values), 2) if values else 0.0,
    }


def verdict(ok: bool) -> str:
    """How a figure against its target is printed."""
    return "ok" if ok else "MISSED"


def peak_mb(pid: int) -> float:
    """VmHWM (peak resident set) of a live process, in MB; 0.0 once it is gone.

    VmHWM, not ``ru_maxrss``: Linux carries ``ru_maxrss`` over an exec from the forking process.
    """
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return 0.0


def stderr_progress(tag: str) -> Callable[[str], None]:
    """A function that prints ``[tag] message`` on stderr at once (stdout keeps the figures)."""

    def progress(message: str) -> None:
        print(f"[{tag}] {message}", file=sys.stderr, flush=True)

    return progress
