"""``jiesu workers list | token | revoke`` against a real database file."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import pytest

from bot.cli.main import main
from handlers.clock import SystemClock
from handlers.district.setup import load_demo_district
from handlers.workflow.actions import hash_token, worker_for_token
from models import Worker, WorkerRole, WorkerToken
from models.database import orm


@pytest.fixture
def database(sqlite_template: Path, monkeypatch: pytest.MonkeyPatch, clean_env: Path) -> str:
    url = f"sqlite://{clean_env / 'cli.sqlite3'}"
    shutil.copyfile(sqlite_template, clean_env / "cli.sqlite3")  # migrated once a run
    monkeypatch.setenv("JIESU_DATABASE_URL", url)

    async def prepare() -> None:
        async with orm(url):
            await load_demo_district()
            await Worker.create(name="王芳", role=WorkerRole.UNIT_STAFF)  # a namesake

    asyncio.run(prepare())
    return url


def test_list(database: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["workers", "list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    zhang = next(row for row in rows if row["name"] == "张敏")
    assert zhang["role"] == "grid_worker" and zhang["grid"] == "YX-01" and zhang["tokens"] == 0
    assert main(["workers", "list"]) == 0
    assert "张敏" in capsys.readouterr().out


def test_a_token_is_printed_once_and_stored_hashed(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["workers", "token", "zhangmin", "--label", "手机"]) == 0
    captured = capsys.readouterr()
    token = captured.out.strip()
    assert len(token) >= 40 and "张敏" in captured.err and "Bearer" in captured.err

    async def check() -> None:
        async with orm(database):
            row = await WorkerToken.get()
            assert row.token_hash == hash_token(token) and row.label == "手机"
            worker = await worker_for_token(token, SystemClock().now())
            assert worker is not None and worker.name == "张敏"

    asyncio.run(check())
    assert main(["workers", "revoke", "张敏"]) == 0
    assert "revoked 1" in capsys.readouterr().out

    async def revoked() -> None:
        async with orm(database):
            assert await worker_for_token(token, SystemClock().now()) is None

    asyncio.run(revoked())


def test_unknown_or_ambiguous_workers_are_refused(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["workers", "token", "nobody"]) == 2
    assert "no worker" in capsys.readouterr().err
    assert main(["workers", "token", "王芳"]) == 2
    assert "give the id" in capsys.readouterr().err
    assert main(["workers", "token", "wangfang"]) == 0
