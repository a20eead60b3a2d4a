"""Running and printing the cost runs of ``intake.py`` (``intake_runs.py``) as one table per
backend: a row per tree, history size and shape."""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from benchmarks.intake_runs import REPO, cost_run, exported

TARGET_TRIPS, TARGET_APP_MS, TARGET_PG_MS = 13, 4.5, 2.5
TARGET_FLAT, TARGET_RATE_P99 = 1.5, 50.0


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def print_backend(backend: str, bare: float, runs: list[dict[str, Any]]) -> None:
    print(f"== {backend} == (bare aiohttp {bare:.0f} msg/s)")
    print(
        f"  {'tree':<9} {'history':>9} {'shape':<6} {'trips':>6} {'app ms':>7} {'pg ms':>6} "
        f"{'xacts':>5} {'msg/s':>6} {'ratio':>6} {'p50':>6} {'p99':>6}"
    )
    for run in runs:
        for shape in ("fresh", "merge", "rate"):
            timed = run["timed"].get(shape)
            if timed is None:
                continue
            trips = run["round_trips"].get(shape if shape != "rate" else "fresh", 0.0)
            pg = timed["pg_cpu_ms"]
            commits = timed["commits"]
            ratio = timed["rate"] / bare if bare and shape != "rate" else 0.0
            print(
                f"  {run['tree']:<9} {run['history']:>9,} {shape:<6} {trips:>6.1f} "
                f"{timed['app_cpu_ms']:>7.2f} {'-' if pg is None else f'{pg:.2f}':>6} "
                f"{'-' if commits is None else f'{commits:.1f}':>5} {timed['rate']:>6.1f} "
                f"{ratio:>6.3f} {timed['p50_ms']:>6.1f} {timed['p99_ms']:>6.1f}"
                + (f"  errors {timed['errors']}" if timed["errors"] else "")
            )
        print(
            f"  {run['tree']:<9} {run['history']:>9,} seeded in {run['seed_seconds']} s "
            f"({run['open']:,} open); benchmark cases {run['cases']}, doubled {run['doubled']}, "
            f"error lines in the service log {run['errors_in_log']}"
        )
        for line in run["log_sample"]:
            print(f"    {line[:200]}")
    for tree in dict.fromkeys(run["tree"] for run in runs):
        mine = [run for run in runs if run["tree"] == tree]
        fresh = [run["timed"]["fresh"]["app_cpu_ms"] for run in mine]
        if len(fresh) > 1 and min(fresh) > 0:
            print(
                f"  {tree}: fresh-path app CPU, largest history / smallest: "
                f"{max(fresh) / min(fresh):.2f} (goal <= {TARGET_FLAT})"
            )
    print(
        f"  targets: round trips <= {TARGET_TRIPS}, app CPU <= {TARGET_APP_MS} ms, "
        f"PostgreSQL CPU <= {TARGET_PG_MS} ms per message, p99 at the open-loop rate "
        f"< {TARGET_RATE_P99:.0f} ms"
    )


def cost_main(
    args: argparse.Namespace, bare_rate: Callable[[str, argparse.Namespace], float]
) -> int:
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    sizes = [int(size) for size in args.history.split(",")]
    results: dict[str, Any] = {"load_before": load_average(), "cpus": os.cpu_count()}
    with ExitStack() as stack:
        trees = {"this": REPO}
        if args.baseline:
            trees = {args.baseline[:9]: stack.enter_context(exported(args.baseline)), **trees}
        for backend in backends:
            bare = bare_rate(backend, args)
            runs = []
            for size in sizes:
                for name, tree in trees.items():
                    run = cost_run(backend, tree, size, args)
                    runs.append({"tree": name, **run})
            results[backend] = {"bare": bare, "runs": runs}
            if not args.json:
                print_backend(backend, bare, runs)
    results["load_after"] = load_average()
    if args.json:
        print(json.dumps(results, ensure_ascii=False, indent=2, default=str))
    else:
        print(f"load average before {results['load_before']}, after {results['load_after']}")
    return 0
