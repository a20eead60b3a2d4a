"""Shared fixtures: a migrated database on SQLite and on PostgreSQL, settings, the app.

Every database-backed test runs twice, once per backend. PostgreSQL comes from
JIESU_TEST_POSTGRES_URL (default: the local server's ``test`` database, used only to create a
throwaway database for the run). Without a server the PostgreSQL half is skipped locally, but
fails in CI (CI=true), where a missing server is a broken setup, not a reason to skip.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from config.settings import Settings
from models.database import close_orm, init_orm, migrate

POSTGRES_SERVER_URL = os.environ.get(
    "JIESU_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test"
)
TEST_TOKEN = "jiesutesttoken"
TEST_APPID = "wx2c2769f8efd9abc2"
TEST_AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"

DATA_TABLES = [
    "hot_warnings",
    "hot_item_notes",
    "hot_item_cases",
    "hot_item_milestones",
    "hot_item_units",
    "hot_items",
    "deadline_changes",
    "suggestion_adoptions",
    "suggestion_events",
    "suggestions",
    "suggestion_calls",
    "suggestion_stations",
    "knowledge_asks",
    "knowledge_versions",
    "knowledge_entries",
    "case_links",
    "field_visits",
    "figure_snapshots",
    "places",
    "unit_supervisors",
    "worker_grids",
    "account_links",
    "replay_nonces",
    "sign_in_failures",
    "open311_requests",
    "open311_clients",
    "held_messages",
    "media_files",
    "resident_sessions",
    "audit_events",
    "api_tokens",
    "staff_sessions",
    "staff_users",
    "sla_rules",
    "category_corrections",
    "extension_requests",
    "return_requests",
    "case_unit_spells",
    "worker_tokens",
    "case_events",
    "conversations",
    "surveys",
    "notice_deliveries",
    "notices",
    "outbox",
    "inbound_messages",
    "cases",
    "routing_rules",
    "workers",
    "grids",
    "units",
    "residents",
    "case_counters",
    "access_tokens",
]


def _server_and_db(url: str, db: str) -> str:
    return url.rsplit("/", 1)[0] + "/" + db


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file; each test gets a copy (much faster than migrating each time)."""
    path = tmp_path_factory.mktemp("sqlite") / "template.sqlite3"
    asyncio.run(migrate(f"sqlite://{path}"))
    return path


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A throwaway PostgreSQL database for the whole run, migrated once, dropped at the end."""
    name = f"jiesu_test_{secrets.token_hex(4)}"

    async def create() -> None:
        conn = await asyncpg.connect(POSTGRES_SERVER_URL, timeout=5)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    async def drop() -> None:
        conn = await asyncpg.connect(POSTGRES_SERVER_URL, timeout=5)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

    try:
        asyncio.run(create())
    except (TimeoutError, OSError, asyncpg.PostgresError) as exc:
        message = f"PostgreSQL at {POSTGRES_SERVER_URL} is not reachable: {exc}"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " (CI=true: PostgreSQL tests must run)")
        pytest.skip(message)
    url = _server_and_db(POSTGRES_SERVER_URL, name)
    asyncio.run(migrate(url))
    yield url
    asyncio.run(drop())


async def _truncate_postgres(url: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(f"TRUNCATE {', '.join(DATA_TABLES)} RESTART IDENTITY CASCADE")
        await conn.execute("ALTER SEQUENCE case_numbers RESTART WITH 1")  # 0021: case numbers
    finally:
        await conn.close()


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty, migrated database of each backend."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "jiesu.sqlite3"
        shutil.copyfile(template, path)
        yield f"sqlite://{path}"
    else:
        url: str = request.getfixturevalue("postgres_database")
        asyncio.run(_truncate_postgres(url))
        yield url


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[str]:
    """The ORM initialised on a fresh database, for handler-level tests."""
    await init_orm(db_url)
    try:
        yield db_url
    finally:
        await close_orm()


def make_settings(database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "mp_token": TEST_TOKEN,
        "mp_appid": TEST_APPID,
        "mp_secret": "testsecret",
        "mp_aes_key": "",
        "run_background": False,
        "outbound_mode": "sandbox",
        "wechat_api_base": "http://127.0.0.1:9",
        "insecure_http": True,  # the tests talk plain HTTP: a Secure cookie would not come back
        # Admission under load is decided by measured time; tests that want it turn it on.
        "intake_admission": False,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Stop SQLite worker threads that outlived their event loop.

    Tortoise replaces a connection whose event loop has gone (each test has its own loop) and
    aiosqlite runs every connection in a non-daemon thread, so a replaced connection still
    referenced somewhere would keep the interpreter from exiting after the last test.
    """
    import gc

    import aiosqlite

    for obj in gc.get_objects():
        if isinstance(obj, aiosqlite.Connection) and obj._running:
            obj.stop()
