"""The command line as a newcomer meets it: refusal without secrets, cases as JSON, chat."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient

from bot.cli.chat import build, send
from bot.cli.main import main, trial_settings
from config.settings import Settings
from handlers.district.setup import load_demo_district
from models import Case
from models.database import orm
from tests.conftest import TEST_TOKEN


def test_serve_refuses_missing_secrets_and_names_them(
    clean_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["serve"]) == 2
    err = capsys.readouterr().err
    for variable in ("JIESU_MP_TOKEN", "JIESU_MP_APPID", "JIESU_MP_SECRET"):
        assert variable in err
    assert "jiesu serve --demo" in err


def test_placeholder_secrets_are_refused(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("JIESU_MP_TOKEN", "your-token")
    monkeypatch.setenv("JIESU_MP_APPID", "wx1234567890abcdef")
    monkeypatch.setenv("JIESU_MP_SECRET", "changeme")
    assert main(["serve"]) == 2
    err = capsys.readouterr().err
    assert "JIESU_MP_TOKEN" in err and "JIESU_MP_SECRET" in err and "JIESU_MP_APPID" not in err


def test_demo_trial_gets_a_development_token_kept_for_chat(clean_env: Path) -> None:
    settings = trial_settings(Settings(_env_file=None, var_dir=clean_env / "var"))  # type: ignore[call-arg]
    assert settings.demo and settings.outbound_mode == "sandbox"
    assert settings.mp_token.isalnum() and len(settings.mp_token) == 32
    again = trial_settings(Settings(_env_file=None, var_dir=clean_env / "var"))  # type: ignore[call-arg]
    assert again.mp_token == settings.mp_token
    assert (clean_env / "var" / "dev-token").stat().st_mode & 0o777 == 0o600


def test_cases_json(sqlite_template: Path, clean_env: Path) -> None:
    url = f"sqlite://{clean_env / 'cli.sqlite3'}"
    shutil.copyfile(sqlite_template, clean_env / "cli.sqlite3")  # migrated once a run

    async def prepare() -> None:
        async with orm(url):
            await load_demo_district()
            await Case.create(
                number="2611220001", text="国权路小区路灯坏了", category="城乡建设/市政设施"
            )

    asyncio.run(prepare())
    result = subprocess.run(
        [sys.executable, "-m", "bot", "cases", "--json"],
        env={**os.environ, "JIESU_DATABASE_URL": url},
        capture_output=True,
        text=True,
        check=True,
    )
    rows = json.loads(result.stdout)
    assert len(rows) == 1
    expected = {"number", "status", "kind", "category", "urgency", "place", "grid", "unit"}
    expected |= {"resident_openid", "text", "created_at"}
    assert expected <= set(rows[0])
    assert rows[0]["number"] == "2611220001" and rows[0]["status"] == "accepted"


def test_chat_builds_what_wechat_would_send() -> None:
    ids = itertools.count(1)
    assert build("o", "路灯坏了", ids) == ("text", {"Content": "路灯坏了", "MsgId": 1})
    kind, fields = build("o", "/loc 121.5 31.3 国权路", ids) or ("", {})
    assert kind == "location" and fields["Location_X"] == 31.3 and fields["Label"] == "国权路"
    assert build("o", "/voice 楼道灯坏了", ids)[1]["Recognition"] == "楼道灯坏了"  # type: ignore[index]
    assert build("o", "/nonsense", ids) is None


async def test_chat_talks_to_the_service(client: TestClient) -> None:
    url = str(client.make_url("/wechat/mp"))
    ids = itertools.count(42)
    built = build("o-chat", "开鲁新村5号楼下水道堵了", ids)
    assert built is not None
    from bot.wechat.signing import message_xml

    answer = await send(client.session, url, TEST_TOKEN, message_xml("o-chat", *built), "", "")
    case = await Case.get()
    assert case.number in answer
