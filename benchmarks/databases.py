"""The throwaway database a benchmark runs in, and reading it beside the service.

A SQLite file in a temporary folder, or a PostgreSQL database ``jiesu_bench_<hex>`` created on
the server at 127.0.0.1:5432 (user ``postgres`` without a password, through its database
``test``) and dropped afterwards with whatever connections are left (``WITH (FORCE)``).
"""

from __future__ import annotations

import asyncio
import re
import secrets
import sqlite3
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import asyncpg

PG_URL = "postgres://postgres@127.0.0.1:5432"
ADMIN_URL = f"{PG_URL}/test"  # where CREATE and DROP DATABASE are sent from


async def pg_admin(sql: str) -> None:
    conn = await asyncpg.connect(ADMIN_URL)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def new_database_name() -> str:
    return f"jiesu_bench_{secrets.token_hex(4)}"


@asynccontextmanager
async def throwaway_postgres(
    *, keep: bool = False, say: Callable[[str], None] | None = None
) -> AsyncIterator[str]:
    """A new PostgreSQL database (its URL), dropped afterwards unless ``keep``; ``say`` hears
    its name when it is made and what became of it at the end."""
    name = new_database_name()
    url = f"{PG_URL}/{name}"
    await pg_admin(f'CREATE DATABASE "{name}"')
    if say:
        say(f"database {name}")
    try:
        yield url
    finally:
        if keep:
            if say:
                say(f"kept database {url}")
        else:
            await pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            if say:
                say(f"dropped {name}")


@contextmanager
def bench_database(backend: str) -> Iterator[tuple[str, Path]]:
    """A fresh database of ``backend`` ("sqlite" or "postgres"; a throwaway PostgreSQL one is
    dropped afterwards) and a temporary working folder: (database URL, folder)."""
    db_name = new_database_name()
    created_db = False
    with tempfile.TemporaryDirectory(prefix="jiesu-bench-") as tmp_name:
        tmp = Path(tmp_name)
        try:
            if backend == "postgres":
                asyncio.run(pg_admin(f'CREATE DATABASE "{db_name}"'))
                created_db = True
                url = f"{PG_URL}/{db_name}"
            else:
                url = f"sqlite://{tmp / 'jiesu.sqlite3'}"
            yield url, tmp
        finally:
            if created_db:
                asyncio.run(pg_admin(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'))


async def pg_rows(url: str, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    conn = await asyncpg.connect(url)
    try:
        return [tuple(row) for row in await conn.fetch(sql, *params)]
    finally:
        await conn.close()


def db_rows(url: str, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """Rows of ``sql`` on either backend, on a connection of its own (not the ORM's).

    Parameters are written ``$1``, ``$2``… as PostgreSQL has them (SQLite reads them as ``?1``).
    """
    if url.startswith("sqlite"):
        with sqlite3.connect(url.removeprefix("sqlite://")) as conn:
            return list(conn.execute(re.sub(r"\$(\d+)", r"?\1", sql), params).fetchall())
    return asyncio.run(pg_rows(url, sql, params))
