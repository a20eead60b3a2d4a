"""The cost runs of ``intake.py``: per backend, per code tree (this one, and a baseline ref
exported with ``git archive`` so both are measured in one run), per stored history size.

For each, a fresh database is migrated by that tree (``python -m bot migrate --demo``) and seeded
(``intake_history``), then:

1. a counting run: ``serve`` against the counting relay (PostgreSQL) or with the statement hook
   (SQLite), ``--count`` messages of each shape in the window: round trips per message;
2. a timed run: ``serve`` straight on the database, each shape closed-loop for ``--seconds``
   with CPU read from /proc over the window; with ``--rate R`` also the fresh shape open-loop
   at R msg/s for ``--rate-seconds``.

The service runs with ``JIESU_SERVE_SWEEPS=false``: the sweeps are not intake's cost.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

from benchmarks import intake_cost as cost
from benchmarks.chat_load import SERVICE_ENV
from benchmarks.databases import bench_database, db_rows
from benchmarks.intake_history import open_count, seed_history
from benchmarks.intake_load import SHAPES, CostLoad, closed_loop, open_loop
from benchmarks.servers import free_port, running

REPO = Path(__file__).resolve().parents[1]


@contextmanager
def exported(ref: str) -> Iterator[Path]:
    """The tree of ``ref`` (``git archive``) in a temporary folder."""
    with tempfile.TemporaryDirectory(prefix="jiesu-baseline-") as folder:
        archive = subprocess.run(
            ["git", "-C", str(REPO), "archive", ref], check=True, capture_output=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", folder], input=archive, check=True)
        yield Path(folder)


def tree_env(tree: Path, url: str) -> dict[str, str]:
    return {
        **os.environ,
        **SERVICE_ENV,
        "JIESU_DATABASE_URL": url,
        "JIESU_SERVE_SWEEPS": "false",
        "PYTHONPATH": str(tree),
    }


def bot(*args: str) -> list[str]:
    return [sys.executable, "-m", "bot", *args]


class Service:
    """``serve`` of a tree on a free port; ``pid`` while it runs."""

    def __init__(self, env: dict[str, str], tmp: Path, name: str) -> None:
        self.env, self.tmp, self.name = env, tmp, name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/wechat/mp"

    @contextmanager
    def up(self) -> Iterator[int]:
        log = self.tmp / f"{self.name}.log"
        with running(bot("serve", "--port", str(self.port)), self.env, self.tmp, log, self.port):
            yield self.pid()

    def pid(self) -> int:
        return listening_pid(self.port)


def listening_pid(port: int) -> int:
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        parts = line.split()
        if parts[3] == "0A" and int(parts[1].split(":")[1], 16) == port:
            inode = parts[9]
            for fd in Path("/proc").glob("[0-9]*/fd/*"):
                try:
                    if os.readlink(fd) == f"socket:[{inode}]":
                        return int(fd.parts[2])
                except OSError:
                    continue
    raise RuntimeError(f"nobody listens on {port}")


def count_round_trips(
    backend: str, tree: Path, url: str, tmp: Path, n: int, conc: int
) -> dict[str, float]:
    """Round trips (PostgreSQL) or statements (SQLite) per message, for each shape."""
    per_message: dict[str, float] = {}
    if backend == "postgres":
        with cost.counting_proxy() as proxy:
            relayed = url.replace(":5432/", f":{proxy.port}/")
            service = Service(tree_env(tree, relayed), tmp, "count")
            with service.up():
                for shape in SHAPES:
                    marks: list[cost.WireCounts] = []

                    async def mark(marks: list[cost.WireCounts] = marks) -> None:
                        marks.append(proxy.snapshot())

                    load = asyncio.run(closed_loop(service.url, 0, conc, shape, "n", mark, mark, n))
                    done = marks[1].round_trips - marks[0].round_trips
                    per_message[shape] = done / max(1, load.in_window)
                    parses = marks[1].parses - marks[0].parses
                    per_message[f"{shape}_parses"] = parses / max(1, load.in_window)
        return per_message
    env = cost.sqlite_counter_env(tmp, tree_env(tree, url))
    service = Service(env, tmp, "count")
    with service.up() as pid:
        for shape in SHAPES:
            counts: list[int] = []

            async def read(counts: list[int] = counts) -> None:
                counts.append(cost.read_sqlite_count(pid, env))

            load = asyncio.run(closed_loop(service.url, 0, conc, shape, "n", read, read, n))
            per_message[shape] = (counts[1] - counts[0]) / max(1, load.in_window)
    return per_message


def timed(backend: str, tree: Path, url: str, tmp: Path, args: Any) -> dict[str, dict[str, Any]]:
    service = Service(tree_env(tree, url), tmp, "serve")
    out: dict[str, dict[str, Any]] = {}
    pg = url if backend == "postgres" else None
    with service.up() as pid:
        runs: list[tuple[str, str]] = [(shape, "closed") for shape in SHAPES]
        if args.rate:
            runs.append(("fresh", "open"))
        for shape, mode in runs:
            meter = cost.CpuMeter(pid, pg)
            if mode == "closed":
                load: CostLoad = asyncio.run(
                    closed_loop(
                        service.url,
                        args.seconds,
                        args.concurrency,
                        shape,
                        "t",
                        meter.begin,
                        meter.finish,
                    )
                )
            else:
                load = asyncio.run(
                    open_loop(
                        service.url,
                        args.rate,
                        args.rate_seconds,
                        shape,
                        "r",
                        meter.begin,
                        meter.finish,
                    )
                )
            n = max(1, load.in_window)
            out[shape if mode == "closed" else "rate"] = asdict(load) | {
                "numbers": len(load.numbers),
                "app_cpu_ms": round(meter.app_ms() / n, 2),
                "pg_cpu_ms": round(meter.pg_ms() / n, 2) if pg else None,
                "commits": round(meter.commits() / n, 2) if pg else None,
            }
    return out


def check(url: str) -> dict[str, int]:
    """Lost or doubled among the benchmark's residents (the seeded history has none)."""
    rows = db_rows(
        url,
        "SELECT r.openid, c.number FROM cases c JOIN residents r ON r.id = c.resident_id "
        "WHERE r.openid LIKE 'o-cost-%'",
    )
    numbers = [n for _, n in rows]
    residents = [o for o, _ in rows]
    return {
        "cases": len(rows),
        "doubled": len(residents) - len(set(residents)) + len(numbers) - len(set(numbers)),
    }


def cost_run(backend: str, tree: Path, history: int, args: Any) -> dict[str, Any]:
    with bench_database(backend) as (url, tmp):
        env = tree_env(tree, url)
        subprocess.run(
            bot("migrate", "--demo"), env=env, cwd=tmp, check=True, stdout=subprocess.DEVNULL
        )
        seeded = seed_history(url, history)
        trips = count_round_trips(backend, tree, url, tmp, args.count, args.concurrency)
        timings = timed(backend, tree, url, tmp, args)
        checks = check(url)
        problems = [
            line
            for name in ("count.log", "serve.log")
            for line in (tmp / name).read_text(errors="replace").splitlines()
            if "ERROR" in line or "Traceback" in line
        ]
    return {
        "history": history,
        "open": open_count(history),
        "seed_seconds": round(seeded, 1),
        "round_trips": {k: round(v, 2) for k, v in trips.items()},
        "timed": timings,
        **checks,
        "errors_in_log": len(problems),
        "log_sample": problems[:5],
    }
