"""Timing the sweeps of the sweeps benchmark: ``sweep_due_surveys`` and ``sweep_deadlines`` at
each tick with a little new work, then again at the same ``now`` with nothing due, beside a
``SELECT 1`` and an ORM primary-key lookup; and each scan query's EXPLAIN ANALYZE, planned for
its values and as a long-running connection runs it.
"""

from __future__ import annotations

import argparse
import random
import statistics
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import asyncpg

from benchmarks.figures import summary, timed
from benchmarks.sweeps_build import Builder
from benchmarks.sweeps_data import BATCH, TARGET_BATCH_MS, dt, progress
from config import escalation as ladder_config
from config.settings import Settings
from handlers.context import HandlerContext
from handlers.followup.surveys import due_scans, sweep_due_surveys
from handlers.workflow.escalation import _Sweep, sweep_deadlines
from models import Case
from models.database import sweep_plans


async def baselines(conn: asyncpg.Connection, cases: int, rng: random.Random) -> dict[str, Any]:
    """A round trip and a primary-key lookup through the ORM, sampled between the sweeps."""
    from tortoise import connections

    db = connections.get("default")
    select_one: list[float] = []
    lookup: list[float] = []
    for _ in range(200):
        ms, _ = await timed(lambda: db.execute_query("SELECT 1"))
        select_one.append(ms)
        case_id = rng.randint(1, cases)
        ms, _ = await timed(lambda: Case.get(id=case_id))  # noqa: B023 - awaited at once
        lookup.append(ms)
    return {"select_1": summary(select_one), "pk_lookup": summary(lookup)}


Scan = tuple[str, str, list[Any]]  # name, SQL with $n placeholders, its parameters


def parameterized(query: Any) -> tuple[str, list[Any]]:
    """The SQL and parameters Tortoise sends for ``query`` (asyncpg prepares and caches it)."""
    query._make_query()
    sql, params = query.query.get_parameterized_sql()
    return str(sql), list(params)


def survey_scans(ctx: HandlerContext) -> list[Scan]:
    """The range scans of handlers/followup/surveys.py, exactly as sweep_due_surveys runs them."""
    return [(name, *parameterized(query)) for name, query, _ in due_scans(ctx.now, BATCH)]


def deadline_scans(ctx: HandlerContext) -> list[Scan]:
    """The first page of each scan of handlers/workflow/escalation.py, as the sweep builds them."""
    scans = _Sweep(ctx, BATCH).scans()
    misses = len(ladder_config.CLOCKS)
    return [
        (
            f"{'miss' if n < misses else 'warn'}:{column}",
            *parameterized(Case.filter(where).order_by(column, "id").limit(BATCH)),
        )
        for n, (column, where) in enumerate(scans)
    ]


def sql_literal(value: Any) -> str:
    """A parameter as a literal for EXECUTE (which takes no bind parameters)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    text = value.isoformat() if isinstance(value, datetime) else str(value)
    return "'" + text.replace("'", "''") + "'"


def plan_summary(lines: list[str]) -> tuple[float, list[str]]:
    execution = next((ln for ln in lines if ln.startswith("Execution Time")), "")
    ms = float(execution.split(":")[1].split()[0]) if execution else 0.0
    nodes = [ln.strip().removeprefix("->  ").split("  (")[0] for ln in lines if "Scan" in ln]
    return ms, nodes


PLAN_MODES = ("custom", "cached")


async def explain(conn: asyncpg.Connection, scans: list[Scan]) -> list[dict[str, Any]]:
    """Each scan planned for its values (custom), and as a long-running process runs it.

    The sweeps' queries are prepared statements (asyncpg caches them per connection): from the
    sixth run on, PostgreSQL keeps a generic plan, made without knowing ``now`` or the statuses,
    whenever its estimated cost is no worse than the custom plans' were. ``cached`` is the plan
    of the sixth run, as every process that has swept five times uses it.
    """
    plans = []
    for name, sql, params in scans:
        found: dict[str, Any] = {"scan": name, "sql": sql, "params": [str(p) for p in params]}
        values = ", ".join(sql_literal(p) for p in params)
        for mode in PLAN_MODES:
            await conn.execute(f"PREPARE bench_scan AS {sql}")
            try:
                if mode == "custom":
                    await conn.execute("SET plan_cache_mode = force_custom_plan")
                else:
                    for _ in range(5):
                        await conn.execute(f"EXECUTE bench_scan({values})")
                rows = await conn.fetch(f"EXPLAIN (ANALYZE, BUFFERS) EXECUTE bench_scan({values})")
            finally:
                await conn.execute("DEALLOCATE bench_scan")
                await conn.execute("RESET plan_cache_mode")
            lines = [str(row[0]) for row in rows]
            ms, nodes = plan_summary(lines)
            generic = any("$" in line for line in lines if "Cond" in line or "Filter" in line)
            found[mode] = {"ms": ms, "nodes": nodes, "plan": lines, "generic": generic}
        plans.append(found)
    return plans


@dataclass
class SweepRun:
    busy: list[float] = field(default_factory=list)
    idle: list[float] = field(default_factory=list)
    cold_ms: float = 0.0
    done: Counter[str] = field(default_factory=Counter)
    idle_steps: int = 0
    failed: int = 0


async def run_sweeps(
    name: str,
    sweep: Callable[[HandlerContext], Awaitable[Any]],
    ctx: HandlerContext,
    ticks: list[float],
    counted: tuple[str, ...],
) -> SweepRun:
    async with sweep_plans():  # as the scheduler runs them: their own pool (custom plans)
        return await _run_sweeps(name, sweep, ctx, ticks, counted)


async def _run_sweeps(
    name: str,
    sweep: Callable[[HandlerContext], Awaitable[Any]],
    ctx: HandlerContext,
    ticks: list[float],
    counted: tuple[str, ...],
) -> SweepRun:
    run = SweepRun()
    start = dt(2 * ticks[0] - ticks[1])  # the anchor: nothing is due yet
    run.cold_ms, first = await timed(lambda: sweep(replace(ctx, now=start)))
    run.idle_steps += first.steps
    for n, tick in enumerate(ticks, start=1):
        at = replace(ctx, now=dt(tick))
        ms, result = await timed(lambda: sweep(at))  # noqa: B023 - awaited at once
        run.busy.append(ms)
        run.done.update({key: getattr(result, key) for key in counted})
        run.failed += result.failed
        ms, again = await timed(lambda: sweep(at))  # noqa: B023 - awaited at once
        run.idle.append(ms)
        run.idle_steps += again.steps
        run.failed += again.failed
        progress(
            f"{name} tick {n}: {run.busy[-1]:.1f} ms with {result.steps} steps, "
            f"then {ms:.1f} ms with nothing due"
        )
    return run


def sweep_settings(url: str) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=url,
        mp_token="benchtoken123",
        mp_appid="wxfake",
        mp_secret="fakesecret",
        run_background=False,
        outbound_mode="sandbox",
        wechat_api_base="http://127.0.0.1:9",
        # WeCom configured as in production: notices to workers are queued as task messages.
        work_corp_id="wwbench",
        work_agent_id="1000002",
        work_secret="benchsecret",
        log_level="WARNING",
    )


async def time_sweeps(
    conn: asyncpg.Connection, ctx: HandlerContext, builder: Builder, args: argparse.Namespace
) -> dict[str, Any]:
    tl = builder.tl
    rng = random.Random(args.seed + 1)
    before = await baselines(conn, args.cases, rng)
    surveys = await run_sweeps(
        "survey sweep",
        lambda c: sweep_due_surveys(c, batch=BATCH),
        ctx,
        tl.survey_ticks,
        ("asked", "unreachable", "skipped", "reminded", "closed", "lost_races"),
    )
    deadlines = await run_sweeps(
        "deadline sweep",
        lambda c: sweep_deadlines(c, batch=BATCH),
        ctx,
        tl.deadline_ticks,
        ("warnings", "supervised", "escalated", "notices", "skipped"),
    )
    after = await baselines(conn, args.cases, rng)
    last_survey = replace(ctx, now=dt(tl.survey_ticks[-1]))
    last_deadline = replace(ctx, now=dt(tl.deadline_ticks[-1]))
    plans = {
        "survey": await explain(conn, survey_scans(last_survey)),
        "deadline": await explain(conn, deadline_scans(last_deadline)),
    }
    pk = statistics.median([before["pk_lookup"]["p50_ms"], after["pk_lookup"]["p50_ms"]]) or 1e-9
    result: dict[str, Any] = {"baseline": {"before": before, "after": after, "pk_p50_ms": pk}}
    for name, run, expected_keys in (
        ("survey", surveys, ("asked", "unreachable", "reminded", "closed")),
        ("deadline", deadlines, ("warnings", "supervised")),
    ):
        busy, idle = summary(run.busy), summary(run.idle)
        planted = {key: builder.expected[key] for key in expected_keys}
        done = {key: int(value) for key, value in run.done.items()}
        as_planned = all(done.get(k, 0) == v for k, v in planted.items()) and run.idle_steps == 0
        ok = busy["max_ms"] < TARGET_BATCH_MS and idle["max_ms"] < TARGET_BATCH_MS
        steps = sum(run.done[k] for k in expected_keys)
        per_step = (busy["p50_ms"] - idle["p50_ms"]) / (steps / max(busy["n"], 1)) if steps else 0
        result[name] = {
            "per_step_ms": round(per_step, 2),
            "busy": busy,
            "idle": idle,
            "cold_ms": round(run.cold_ms, 2),
            "busy_per_pk_lookup": round(busy["p50_ms"] / pk, 1),
            "idle_per_pk_lookup": round(idle["p50_ms"] / pk, 1),
            "steps": steps,
            "done": done,
            "planted": planted,
            "idle_steps": run.idle_steps,
            "failed": run.failed,
            "as_planned": as_planned,
            "ok": ok,
            "scans": plans[name],
        }
    return result
