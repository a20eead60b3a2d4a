"""Stored history for ``intake.py --history``: N cases, of them K open, written by one set-based
statement (``generate_series`` on PostgreSQL, a recursive CTE on SQLite), then ANALYZE. On a
slow shared machine SQLite writes about 3,000 cases a second with the indexes in place (a
million take minutes); PostgreSQL is several times faster.

Sizes follow issue 17: 1,000 (1,000 open), 100,000 (20,000 open), 1,000,000 (50,000 open).
The cases spread over 400 compounds of the demo district's eight grids (one of them the real
国权路小区 the loads write about, the rest named 第N小区), with building numbers 1-30 and four
categories. Open cases were made in the last 60 days (about a quarter of them inside the 14-day
duplicate window), closed ones from three days ago back to three years ago, each closed three
days after it was made.
"""

from __future__ import annotations

import sqlite3
import time

from benchmarks.databases import pg_rows

OPEN_OF = {1_000: 1_000, 100_000: 20_000, 1_000_000: 50_000}
COMPOUNDS = 400
CATEGORIES = ("城乡建设/物业管理", "城乡建设/环境卫生", "城乡建设/市政设施", "城乡建设/违章建筑")


def open_count(total: int) -> int:
    return OPEN_OF.get(total, max(1, total // 20))


def _case_expr(values: list[str], index: str) -> str:
    whens = " ".join(f"WHEN {n} THEN {v}" for n, v in enumerate(values))
    return f"CASE {index} {whens} END"


def _select(total: int, grid_ids: list[int], pg: bool) -> str:
    opened = open_count(total)
    cat = _case_expr([f"'{c}'" for c in CATEGORIES], "(g % 4)")
    grid = _case_expr([str(i) for i in grid_ids], f"((g % {COMPOUNDS}) % {len(grid_ids)})")
    compound = (
        f"CASE WHEN g % {COMPOUNDS} = 0 THEN '国权路小区' "
        f"ELSE '第' || (g % {COMPOUNDS}) || '小区' END"
    )
    # Open cases evenly over the last 60 days (86,400 minutes), closed ones from three days
    # ago (4,320 minutes: closed by now) evenly back to three years ago (1,576,800 minutes).
    closed = max(1, total - opened)
    minutes = (
        f"(CASE WHEN g <= {opened} THEN g * 86400 / {opened} "
        f"ELSE 4320 + (g - {opened}) * 1572480 / {closed} END)"
    )
    if pg:
        created = f"(now() - make_interval(mins => ({minutes})::int))"
        completed = f"CASE WHEN g <= {opened} THEN NULL ELSE {created} + interval '3 days' END"
        json, false = "'[]'::jsonb", "false"
    else:
        created = (
            f"(strftime('%Y-%m-%d %H:%M:%S', 'now', '-' || {minutes} || ' minutes') "
            "|| '.000000+00:00')"
        )
        completed = (
            f"CASE WHEN g <= {opened} THEN NULL ELSE strftime('%Y-%m-%d %H:%M:%S', 'now', "
            f"'-' || ({minutes} - 4320) || ' minutes') || '.000000+00:00' END"
        )
        json, false = "'[]'", "0"
    status = f"CASE WHEN g <= {opened} THEN 'dispatched' ELSE 'archived' END"
    building = "((g / 7) % 30 + 1)"
    return f"""SELECT 'H' || g, 'mp', {status}, 'complaint', 0.9, {cat}, 0.9, '一般', {json},
        {false}, '路灯不亮', {json}, {compound} || {building} || '号楼路灯不亮，晚上很黑', {json},
        {compound} || {building} || '号楼', {compound}, {building} || '号楼', {grid},
        {false}, 0, 0, 0, {created}, {created}, {completed}, '', 0, {json}"""


COLUMNS = (
    "number, channel, status, kind, kind_confidence, category, category_confidence, urgency, "
    "urgency_reasons, difficult, title, keywords, text, attachments, place_text, compound, "
    "address, grid_id, supervised, returned_count, reopened_count, escalation_level, created_at, "
    "updated_at, completed_at, result, version, result_attachments"
)


def seed_history(url: str, total: int) -> float:
    """Write ``total`` cases into the migrated database at ``url``; returns the seconds taken."""
    started = time.perf_counter()
    if url.startswith("sqlite"):
        with sqlite3.connect(url.removeprefix("sqlite://")) as conn:
            grid_ids = [row[0] for row in conn.execute("SELECT id FROM grids ORDER BY id")]
            conn.execute(
                "WITH RECURSIVE s(g) AS "
                f"(SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < {total}) "
                f"INSERT INTO cases ({COLUMNS}) {_select(total, grid_ids, pg=False)} FROM s"
            )
            conn.commit()
            conn.execute("ANALYZE")
    else:
        grid_ids = [row[0] for row in pg_rows_sync(url, "SELECT id FROM grids ORDER BY id")]
        sql = (
            f"INSERT INTO cases ({COLUMNS}) {_select(total, grid_ids, pg=True)} "
            f"FROM generate_series(1::bigint, {total}::bigint) g"
        )
        pg_rows_sync(url, sql)
        pg_rows_sync(url, "ANALYZE")
    return time.perf_counter() - started


def pg_rows_sync(url: str, sql: str) -> list[tuple[object, ...]]:
    import asyncio

    return asyncio.run(pg_rows(url, sql))
