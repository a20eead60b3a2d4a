"""Sweeps at scale: the survey and deadline sweeps among a million cases, and the survey drain.

Run from the repository: ``python benchmarks/sweeps.py [--cases 1000000] [--ticks 10]
[--drain 5000] [--rate 2000] [--explain] [--keep-db] [--json]``.

1. A throwaway PostgreSQL database (``jiesu_bench_<hex>`` on 127.0.0.1:5432, user postgres) is
   migrated with the project's migrations and given the demo district; then residents, a year of
   cases, their survey rounds and the outbox history are written with COPY (not the ORM), in the
   state a service that has been sweeping all along would leave: most cases closed, a few thousand
   open with their due warnings sent and missed deadlines escalated, survey history answered or
   未评价, a few hundred rounds scheduled, sent or reminded. On top of that, each of ``--ticks``
   sweep times gets a little new work: 20 rounds falling due (2 of them to residents outside the
   48-hour window), 2 reminders, 2 rounds closing; 3 sign-for deadlines passing (督办) and 3
   first-contact deadlines entering their warning lead.
2. ``sweep_due_surveys`` (ticks 30 s apart) and ``sweep_deadlines`` (60 s apart) run at each tick
   with ``batch=200`` and a fixed ``now``, then once more at the same ``now`` with nothing due.
   Per batch: p50 and max in ms, beside a ``SELECT 1`` and a primary-key lookup through the ORM in
   the same run. Each scan query is EXPLAIN ANALYZEd twice: planned for its values, and as a
   connection runs it once asyncpg's prepared statement has run five times (PostgreSQL may then
   keep a generic plan made without knowing ``now``); whole plans with ``--explain``, and for a
   sweep that misses its target.
3. ``--drain`` rounds due at once are queued by the survey sweep (the real path) and drained by
   ``OutboxDrainer`` through ``WeChatClient`` to the fake WeChat server in its own process
   (``python -m tests.fake_wechat``), with ``--rate`` per second configured so that the limit does
   not cap the figure; the baseline is a bare aiohttp client POSTing the same JSON at the same
   concurrency to a second fake server. The fake must have received each survey exactly once.

Targets: under 100 ms per sweep batch with little due, at least 500 surveys/s drained, none
missing or doubled. The build takes one to two minutes for a million cases. It exits 0 whatever
the result; a shared machine makes the figures noisy.

The parts live beside this entry: ``sweeps_data.py`` (the time plan and what the rows are made
of), ``sweeps_build.py`` (the rows and the COPY), ``sweeps_timing.py`` (step 2) and
``sweeps_drain.py`` (step 3); the throwaway database, the demo district, the fake server and
the figures come from ``databases.py``, ``seeding.py``, ``servers.py`` and ``figures.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

import asyncpg

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.databases import throwaway_postgres  # noqa: E402
from benchmarks.figures import verdict  # noqa: E402
from benchmarks.seeding import demo_district  # noqa: E402
from benchmarks.sweeps_build import Builder, build  # noqa: E402
from benchmarks.sweeps_data import (  # noqa: E402
    ANCHOR,
    BATCH,
    DEADLINE_TICK_SECONDS,
    SURVEY_TICK_SECONDS,
    TARGET_BATCH_MS,
    TARGET_SENDS_PER_SECOND,
    Timeline,
    progress,
    read_district,
)
from benchmarks.sweeps_drain import time_drain  # noqa: E402
from benchmarks.sweeps_timing import PLAN_MODES, sweep_settings, time_sweeps  # noqa: E402
from config.demo_district import DISTRICT  # noqa: E402
from handlers.context import HandlerContext  # noqa: E402
from handlers.district.gazetteer import load_gazetteer  # noqa: E402
from handlers.workflow.routing import load_routing_table  # noqa: E402

# Reporting


def report(result: dict[str, Any], explain_all: bool) -> None:
    data, sweeps, drain = result["data"], result["sweeps"], result["drain"]
    print(f"== sweeps among {data['rows']['cases']:,} cases (PostgreSQL) ==")
    print(
        f"data: {data['rows']['residents']:,} residents, {data['rows']['cases']:,} cases, "
        f"{data['rows']['surveys']:,} survey rounds, {data['rows']['outbox']:,} outbox rows; "
        f"{data['open_cases']:,} open cases; built in {data['seconds']:.0f} s "
        f"({data['database_size']})"
    )
    print(f"  cases by status: {data['case_status']}")
    print(f"  rounds by status: {data['survey_status']}")
    base = sweeps["baseline"]
    for label in ("before", "after"):
        b = base[label]
        print(
            f"baseline ({label} the sweeps): SELECT 1 p50 {b['select_1']['p50_ms']:.2f} ms, "
            f"primary-key lookup (ORM) p50 {b['pk_lookup']['p50_ms']:.2f} ms"
        )
    ticks = {"survey": SURVEY_TICK_SECONDS, "deadline": DEADLINE_TICK_SECONDS}
    for name in ("survey", "deadline"):
        s = sweeps[name]
        busy, idle = s["busy"], s["idle"]
        print(f"{name} sweep (batch={BATCH}, {busy['n']} ticks {ticks[name]:.0f} s apart):")
        print(
            f"  with little due: p50 {busy['p50_ms']:.1f} ms, max {busy['max_ms']:.1f} ms "
            f"({s['busy_per_pk_lookup']}x a pk lookup); {s['steps']} steps in all, "
            f"{s['steps'] / max(busy['n'], 1):.0f} per batch"
        )
        print(
            f"  nothing due:     p50 {idle['p50_ms']:.1f} ms, max {idle['max_ms']:.1f} ms "
            f"({s['idle_per_pk_lookup']}x a pk lookup); first sweep (cold) {s['cold_ms']:.1f} ms"
        )
        print(f"  each step of work: about {s['per_step_ms']:.1f} ms (p50 difference / steps)")
        print(
            f"  work done {s['done']} vs planted {s['planted']}; steps when nothing was due "
            f"{s['idle_steps']}, failures {s['failed']}: "
            + ("as planned" if s["as_planned"] else "NOT as planned")
        )
        print("  scans at the last tick, EXPLAIN ANALYZE: planned for the values (custom), and as")
        print("  a connection runs it after five runs (cached: generic plan if it looks no worse):")
        for scan in s["scans"]:
            for mode in PLAN_MODES:
                plan = scan[mode]
                label = scan["scan"] if mode == "custom" else ""
                kind = "cached, generic" if plan["generic"] else mode
                print(
                    f"    {label:<26} {kind:<15} {plan['ms']:7.2f} ms  {' / '.join(plan['nodes'])}"
                )
        if explain_all or not s["ok"]:
            for scan in s["scans"]:
                slow = [m for m in PLAN_MODES if scan[m]["ms"] >= 1.0]
                if not scan["cached"]["generic"]:  # the same plan as the custom one
                    slow = slow[:1]
                for mode in PLAN_MODES if explain_all else slow:
                    print(f"  -- {scan['scan']} ({mode} plan): {scan['sql']}")
                    print(f"     parameters: {scan['params']}")
                    for line in scan[mode]["plan"]:
                        print(f"     {line}")
    print(
        f"drain: {drain['queued']:,} of {drain['surveys']:,} surveys queued by the survey sweep "
        f"in {drain['queue_seconds']:.1f} s ({drain['queue_rate']:.0f}/s, batch p50 "
        f"{drain['queue_batch']['p50_ms']:.0f} ms)"
    )
    bare = drain["bare"]
    print(
        f"  OutboxDrainer + WeChatClient -> fake WeChat: {drain['drained_rows']:,} rows in "
        f"{drain['drain_seconds']:.2f} s = {drain['rate']:.0f} sends/s (configured rate "
        f"{drain['configured_rate']}/s, {drain['concurrency']} sends at once, claims of "
        f"{drain['outbox_batch']})"
    )
    print(
        f"  bare aiohttp client, same JSON, {drain['concurrency']} at once: {bare['rate']:.0f} "
        f"posts/s ({bare['errors']} errors); ratio drain/bare {drain['ratio']:.3f}"
    )
    print(
        f"  fake received {drain['received']:,}: missing {drain['missing']}, doubled "
        f"{drain['doubled']}, unexpected {drain['unexpected']}; token requests "
        f"{drain['token_requests']}; outbox {drain['outbox_status']}"
    )
    s, d = sweeps["survey"], sweeps["deadline"]
    print("targets:")
    print(
        f"  survey sweep < {TARGET_BATCH_MS:.0f} ms per batch with little due (max "
        f"{max(s['busy']['max_ms'], s['idle']['max_ms']):.1f} ms): {verdict(s['ok'])}"
    )
    print(
        f"  deadline sweep < {TARGET_BATCH_MS:.0f} ms per batch with little due (max "
        f"{max(d['busy']['max_ms'], d['idle']['max_ms']):.1f} ms): {verdict(d['ok'])}"
    )
    print(
        f"  drain >= {TARGET_SENDS_PER_SECOND:.0f} surveys/s ({drain['rate']:.0f}/s): "
        f"{verdict(drain['ok_rate'])}"
    )
    print(
        f"  each survey received exactly once (missing {drain['missing']}, doubled "
        f"{drain['doubled']}): {verdict(drain['ok_exactly_once'])}"
    )


# Main


async def run(args: argparse.Namespace) -> dict[str, Any]:
    started = time.perf_counter()
    async with (
        throwaway_postgres(keep=args.keep_db, say=progress) as url,
        demo_district(url),
    ):
        district = await read_district()
        timeline = Timeline(ANCHOR.timestamp(), args.ticks)
        builder = Builder(args.cases, timeline, district, args.seed)
        conn = await asyncpg.connect(url)
        try:
            data = await build(conn, builder)
            settings = sweep_settings(url)
            ctx = HandlerContext(
                now=ANCHOR,
                settings=settings,
                gazetteer=await load_gazetteer(DISTRICT),
                routing=await load_routing_table(),
            )
            sweeps = await time_sweeps(conn, ctx, builder, args)
            drain = await time_drain(conn, ctx, builder, args)
        finally:
            await conn.close()
    return {
        "cases": args.cases,
        "ticks": args.ticks,
        "data": data,
        "sweeps": sweeps,
        "drain": drain,
        "seconds": round(time.perf_counter() - started, 1),
        "database": url if args.keep_db else None,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--ticks", type=int, default=10, help="sweep times with new work")
    parser.add_argument("--drain", type=int, default=5000, help="surveys to queue and drain")
    parser.add_argument("--rate", type=int, default=2000, help="JIESU_OUTBOUND_RATE_PER_SECOND")
    parser.add_argument("--seed", type=int, default=20261124)
    parser.add_argument("--explain", action="store_true", help="print every scan's whole plan")
    parser.add_argument("--keep-db", action="store_true", help="keep the database afterwards")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    if args.ticks < 2:
        parser.error("--ticks must be at least 2")
    import logging

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    result = asyncio.run(run(args))
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2, default=str))
    else:
        report(result, args.explain)
        print(f"({result['seconds']:.0f} s in all)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
