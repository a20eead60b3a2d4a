"""Tortoise configuration, migrations and connection lifetime for both SQLite and PostgreSQL."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from tortoise import Tortoise, connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.backends.base.executor import EXECUTOR_CACHE
from tortoise.migrations.api.migrate import migrate as tortoise_migrate

logger = logging.getLogger(__name__)

APP_LABEL = "models"
MODEL_MODULES = [
    "models.people",
    "models.district",
    "models.cases",
    "models.messaging",
    "models.followup",
    "models.corrections",
    "models.workflow",
    "models.staff",
    "models.resident_access",
    "models.security",
    "models.account_links",
    "models.organisation",
    "models.figures",
    "models.knowledge",
    "models.suggestions",
    "models.hot",
]


# PostgreSQL re-plans a prepared statement generically after five runs. The sweeps' range scans
# (due times near "now", most rows far in the past) get a plan that walks the closed history
# under a generic plan (80 ms instead of 0.3 ms among a million cases, benchmarks/sweeps.py), so
# the sweeps plan every statement for its values: they run on a pool of their own with these
# settings (:func:`sweep_plans`). Intake's statements are short lookups by key, for which the
# generic plan is right and planning each time costs about a millisecond of the server's CPU per
# message (issue 17), so the main pool keeps PostgreSQL's default.
SWEEP_SERVER_SETTINGS = {"plan_cache_mode": "force_custom_plan"}
SWEEP_POOL_SIZE = 2


async def keep_session(connection: object) -> None:
    """What the pool runs on a connection given back, besides rolling back an open transaction
    (asyncpg always does that): nothing. Its default, ``RESET ALL`` and friends, is a round
    trip per release; nothing here sets session state, takes advisory locks or listens."""


def connection_config(database_url: str) -> str | dict[str, Any]:
    config = expand_db_url(database_url)
    if config["engine"] != "tortoise.backends.asyncpg":
        return database_url
    config["credentials"]["reset"] = keep_session
    return config


_sweep_client: list[BaseDBAsyncClient] = []  # the sweeps' pool of this process, made at first use


async def _sweep_pool(main: Any) -> BaseDBAsyncClient:
    if _sweep_client and _sweep_client[0]._check_loop():
        return _sweep_client[0]
    _sweep_client.clear()
    client = type(main)(
        connection_name=main.connection_name,
        host=main.host,
        port=main.port,
        user=main.user,
        password=main.password,
        database=main.database,
        minsize=1,
        maxsize=SWEEP_POOL_SIZE,
        server_settings={**main.server_settings, **SWEEP_SERVER_SETTINGS},
        **main.extra,
    )
    await client.create_connection(with_db=True)
    _sweep_client.append(client)
    return client


@asynccontextmanager
async def sweep_plans() -> AsyncIterator[None]:
    """Run the block (a sweep) on the sweeps' own pool, where PostgreSQL plans every statement
    for its values; on SQLite nothing changes. Only this task (and those it starts) sees it."""
    try:
        main = connections.get("default")
    except Exception:  # no ORM in this process (a job that touches no database)
        main = None
    if main is None or main.capabilities.dialect != "postgres":
        yield
        return
    token = connections.set("default", await _sweep_pool(main))
    try:
        yield
    finally:
        connections.reset(token)


def tortoise_config(database_url: str) -> dict[str, Any]:
    return {
        "connections": {"default": connection_config(database_url)},
        "apps": {
            APP_LABEL: {
                "models": MODEL_MODULES,
                "default_connection": "default",
                "migrations": "models.migrations",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


def ensure_sqlite_dir(database_url: str) -> None:
    """Create the folder of a SQLite file so that the first start works on a fresh checkout."""
    if database_url.startswith("sqlite://") and ":memory:" not in database_url:
        path = database_url.removeprefix("sqlite://").split("?", 1)[0]
        Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)


async def migrate(database_url: str) -> None:
    """Apply every migration not yet applied. Safe to run at each start."""
    ensure_sqlite_dir(database_url)
    try:
        await tortoise_migrate(config=tortoise_config(database_url))
    finally:
        await Tortoise.close_connections()


async def init_orm(database_url: str) -> None:
    ensure_sqlite_dir(database_url)
    # Tortoise caches compiled INSERT/DELETE statements per connection *name*; a process that
    # opens another backend under the same name (the test suite does) must not reuse them.
    EXECUTOR_CACHE.clear()
    await Tortoise.init(config=tortoise_config(database_url))


async def close_orm() -> None:
    if _sweep_client:
        client = _sweep_client.pop()
        if client._check_loop():
            await client.close()
    await Tortoise.close_connections()


@asynccontextmanager
async def orm(database_url: str) -> AsyncIterator[None]:
    await init_orm(database_url)
    try:
        yield
    finally:
        await close_orm()
