"""``jiesu open311 add | list | revoke`` against a real database file."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import pytest

from bot.cli.main import main
from handlers.clock import SystemClock
from handlers.open311.clients import client_for_key, hash_key
from models import AuditEvent, Open311Client
from models.database import orm


@pytest.fixture
def database(sqlite_template: Path, monkeypatch: pytest.MonkeyPatch, clean_env: Path) -> str:
    url = f"sqlite://{clean_env / 'cli.sqlite3'}"
    shutil.copyfile(sqlite_template, clean_env / "cli.sqlite3")  # migrated once a run
    monkeypatch.setenv("JIESU_DATABASE_URL", url)
    return url  # `jiesu open311` migrates: a client may come before the first start


def test_a_key_is_printed_once_stored_hashed_and_revoked(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["open311", "add", "fixmystreet"]) == 0
    captured = capsys.readouterr()
    key = captured.out.strip()
    assert key.startswith("o311_") and len(key) > 40 and "shown only now" in captured.err

    async def stored() -> None:
        async with orm(database):
            client = await Open311Client.get(name="fixmystreet")
            assert client.key_hash == hash_key(key) and client.active
            assert (await client_for_key(key, SystemClock().now())) is not None
            actions = await AuditEvent.all().values_list("action", flat=True)
            assert "open311.client.create" in actions

    asyncio.run(stored())
    assert main(["open311", "list", "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert row["name"] == "fixmystreet" and row["active"] and row["requests"] == 0
    assert key not in json.dumps(row)

    assert main(["open311", "revoke", "fixmystreet"]) == 0
    assert "revoked" in capsys.readouterr().out
    assert main(["open311", "revoke", "fixmystreet"]) == 0
    assert "already revoked" in capsys.readouterr().out
    assert main(["open311", "list"]) == 0
    assert "fixmystreet" in (out := capsys.readouterr().out) and "(revoked)" in out

    async def revoked() -> None:
        async with orm(database):
            assert (await client_for_key(key, SystemClock().now())) is None
            actions = await AuditEvent.all().values_list("action", flat=True)
            assert list(actions).count("open311.client.revoke") == 1

    asyncio.run(revoked())


def test_names_are_unique_and_unknown_names_are_refused(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["open311", "list"]) == 0
    assert "no Open311 clients yet" in capsys.readouterr().out
    assert main(["open311", "add", "app"]) == 0
    capsys.readouterr()
    assert main(["open311", "add", "app"]) == 2
    assert "exists already" in capsys.readouterr().err
    assert main(["open311", "add", "   "]) == 2
    assert "1 to 64 characters" in capsys.readouterr().err
    assert main(["open311", "revoke", "nobody"]) == 2
    assert "no Open311 client" in capsys.readouterr().err
