"""Filling a benchmark's database: the project's migrations and the demo district, and rows in
bulk.

- ``jiesu_migrate_demo`` runs ``jiesu migrate --demo`` in a process of its own, as an operator
  would before ``jiesu serve`` (``intake.py``, ``resident_api.py``);
- ``demo_district`` does the same in this process and keeps the ORM open on the database
  (``duplicates.py``, ``sweeps.py``);
- ``copy_rows`` writes rows into a PostgreSQL table with COPY, not the ORM, its indexes and
  constraints dropped for the load and put back as the migrations made them: a million cases in
  well under a minute (``sweeps.py``). ``sync_sequences`` then moves the id sequences past them.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg

from benchmarks.servers import jiesu_command


def jiesu_migrate_demo(env: dict[str, str], cwd: Path) -> None:
    """``jiesu migrate --demo`` with ``env`` (which names the database): the migrations and the
    demo district, in a process of its own."""
    command = [jiesu_command(), "migrate", "--demo"]
    subprocess.run(command, env=env, cwd=cwd, check=True, stdout=subprocess.DEVNULL)


@asynccontextmanager
async def demo_district(url: str) -> AsyncIterator[None]:
    """The database at ``url`` migrated and given the demo district, with the ORM open on it."""
    # Imported here: the load generators that only run ``jiesu`` need none of the product.
    from handlers.district.setup import load_demo_district
    from models.database import migrate, orm

    await migrate(url)
    async with orm(url):
        await load_demo_district()
        yield


def with_ids(rows: Iterable[tuple[Any, ...]], first: int) -> Iterator[tuple[Any, ...]]:
    """``rows`` with an id in front, counting from ``first``."""
    for n, row in enumerate(rows, start=first):
        yield (n, *row)


async def detach(conn: asyncpg.Connection, table: str) -> list[str]:
    """Drop the table's secondary indexes, unique and foreign-key constraints for a bulk load;
    returns the statements that put them back exactly as the migrations made them."""
    restore: list[str] = []
    constraints = await conn.fetch(
        "SELECT conname, contype, pg_get_constraintdef(oid) AS def FROM pg_constraint "
        "WHERE conrelid = $1::regclass AND contype IN ('u', 'f') ORDER BY contype DESC",
        table,
    )
    indexes = await conn.fetch(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = $1 "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
        "WHERE c.conname = i.indexname AND c.conrelid = $1::regclass)",
        table,
    )
    for row in indexes:
        await conn.execute(f'DROP INDEX "{row["indexname"]}"')
        restore.append(row["indexdef"])
    for row in constraints:
        await conn.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{row["conname"]}"')
        statement = f'ALTER TABLE "{table}" ADD CONSTRAINT "{row["conname"]}" {row["def"]}'
        # unique constraints first (foreign keys of other tables may need them)
        if row["contype"] == "u":
            restore.insert(0, statement)
        else:
            restore.append(statement)
    return restore


async def copy_rows(
    conn: asyncpg.Connection,
    table: str,
    columns: tuple[str, ...],
    rows: Iterable[tuple[Any, ...]],
    *,
    bulk: bool,
    say: Callable[[str], None],
) -> int:
    """COPY ``rows`` (tuples in the order of ``columns``) into ``table``; with ``bulk`` its
    indexes and constraints are dropped for the load and rebuilt after. Returns the rows copied
    and tells ``say`` how long it took."""
    started = time.perf_counter()
    restore = await detach(conn, table) if bulk else []
    status = await conn.copy_records_to_table(table, records=rows, columns=list(columns))
    copied = int(status.split()[-1])
    copy_seconds = time.perf_counter() - started
    for statement in restore:
        await conn.execute(statement)
    rebuilt = time.perf_counter() - started - copy_seconds
    rebuilt_text = f", indexes and constraints rebuilt in {rebuilt:.1f} s" if restore else ""
    say(f"{table}: {copied:,} rows copied in {copy_seconds:.1f} s{rebuilt_text}")
    return copied


async def sync_sequences(conn: asyncpg.Connection, tables: Iterable[str]) -> None:
    """Move each table's id sequence past the ids written by COPY."""
    for table in tables:
        await conn.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"GREATEST((SELECT max(id) FROM {table}), 1))"
        )
