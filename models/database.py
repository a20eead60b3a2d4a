"""Tortoise configuration, migrations and connection lifetime for both SQLite and PostgreSQL."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from tortoise import Tortoise
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
]


# PostgreSQL re-plans a prepared statement generically after five runs. The sweeps' range scans
# (due times near "now", most rows far in the past) get a plan that walks the closed history
# under a generic plan (80 ms instead of 0.3 ms among a million cases, benchmarks/sweeps.py), so
# every statement is planned for its values.
POSTGRES_SERVER_SETTINGS = {"plan_cache_mode": "force_custom_plan"}


def connection_config(database_url: str) -> str | dict[str, Any]:
    config = expand_db_url(database_url)
    if config["engine"] != "tortoise.backends.asyncpg":
        return database_url
    credentials = config["credentials"]
    credentials["server_settings"] = {
        **POSTGRES_SERVER_SETTINGS,
        **(credentials.get("server_settings") or {}),
    }
    return config


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
    await Tortoise.close_connections()


@asynccontextmanager
async def orm(database_url: str) -> AsyncIterator[None]:
    await init_orm(database_url)
    try:
        yield
    finally:
        await close_orm()
