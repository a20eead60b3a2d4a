"""``jiesu residents export | erase OPENID`` against a real database file."""

from __future__ import annotations

import asyncio
import io
import json
import shutil
from pathlib import Path

import pytest

from bot.cli.main import main
from handlers.clock import SystemClock
from models import AuditEvent, Case, Resident
from models.database import orm


@pytest.fixture
def database(sqlite_template: Path, monkeypatch: pytest.MonkeyPatch, clean_env: Path) -> str:
    url = f"sqlite://{clean_env / 'cli.sqlite3'}"
    shutil.copyfile(sqlite_template, clean_env / "cli.sqlite3")  # migrated once a run
    monkeypatch.setenv("JIESU_DATABASE_URL", url)
    monkeypatch.setenv("JIESU_UPLOAD_DIR", str(clean_env / "media"))

    async def prepare() -> None:
        async with orm(url):
            resident = await Resident.create(openid="o-cli-1", phone="13812345678")
            await Case.create(
                number="2603100001", resident=resident, text="政通路240号路灯坏了，电话13812345678",
                place_text="政通路240号", contact_phone="13812345678", category="城乡建设",
            )  # fmt: skip

    asyncio.run(prepare())
    return url


def test_export_and_erase(
    database: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["residents", "export", "o-cli-1"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["resident"]["phone"] == "13812345678" and data["cases"][0]["number"]
    monkeypatch.setattr("sys.stdin", io.StringIO("no\n"))
    assert main(["residents", "erase", "o-cli-1", "--reason", "来电要求"]) == 1
    assert main(["residents", "erase", "o-cli-1", "--reason", "来电要求", "--yes"]) == 0
    assert "1 cases anonymised" in capsys.readouterr().out
    assert main(["residents", "erase", "o-cli-1", "--reason", "again", "--yes"]) == 2
    assert main(["residents", "export", "o-cli-1"]) == 2

    async def check() -> None:
        async with orm(database):
            case = await Case.get()
            assert "13812345678" not in case.text and case.contact_phone is None
            assert case.anonymised_at is not None and case.category == "城乡建设"
            resident = await Resident.get()
            assert resident.openid.startswith("erased:") and resident.phone is None
            actions = await AuditEvent.all().values_list("action", "via")
            assert sorted(actions) == [("resident.erase", "cli"), ("resident.export", "cli")]
            assert SystemClock().now() >= case.anonymised_at

    asyncio.run(check())
