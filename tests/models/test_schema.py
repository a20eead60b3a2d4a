"""The migrations give both backends the same indexes.

Tortoise rebuilds a SQLite table for an AlterField and the rebuilt table loses its indexes
(0008 restores those 0002 lost). This compares every index, unique or not, table by table.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import asyncpg

Index = tuple[str, tuple[str, ...], bool]  # table, columns, unique


def sqlite_indexes(path: Path) -> set[Index]:
    found: set[Index] = set()
    with sqlite3.connect(path) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            for _, name, unique, origin, _ in conn.execute(f'PRAGMA index_list("{table}")'):
                if origin == "pk":
                    continue
                columns = tuple(r[2] for r in conn.execute(f'PRAGMA index_info("{name}")'))
                found.add((table, columns, bool(unique)))
    return found


async def postgres_indexes(url: str) -> set[Index]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch(
            """
            SELECT t.relname AS table, i.indisunique AS unique,
                   array_agg(a.attname ORDER BY k.ord) AS columns
            FROM pg_index i
            JOIN pg_class t ON t.oid = i.indrelid
            JOIN pg_namespace n ON n.oid = t.relnamespace AND n.nspname = 'public'
            CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
            JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
            WHERE NOT i.indisprimary
            GROUP BY t.relname, i.indexrelid, i.indisunique
            """
        )
    finally:
        await conn.close()
    return {(r["table"], tuple(r["columns"]), bool(r["unique"])) for r in rows}


def test_both_backends_have_the_same_indexes(sqlite_template: Path, postgres_database: str) -> None:
    on_sqlite = sqlite_indexes(sqlite_template)
    on_postgres = asyncio.run(postgres_indexes(postgres_database))
    assert on_postgres - on_sqlite == set(), "missing on SQLite"
    assert on_sqlite - on_postgres == set(), "missing on PostgreSQL"
    # The sweeps' range scans depend on these.
    for wanted in (
        ("cases", ("sign_due_at",), False),
        ("cases", ("status", "completion_due_at"), False),
        ("surveys", ("status", "due_at"), False),
        ("notice_deliveries", ("notice_id", "recipient"), True),
    ):
        assert wanted in on_sqlite
