"""``jiesu hot`` and ``jiesu recategorise`` against a real database file."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import pytest

from bot.cli.main import main
from config.settings import Settings
from handlers.clock import SystemClock
from handlers.context import HandlerContext
from handlers.district.gazetteer import load_gazetteer
from handlers.district.setup import load_demo_district
from handlers.intake.report import report_case
from handlers.workflow.routing import load_routing_table
from models import Case, CategoryCorrection, Resident
from models.database import orm


@pytest.fixture
def database(sqlite_template: Path, monkeypatch: pytest.MonkeyPatch, clean_env: Path) -> str:
    tmp_path = clean_env
    url = f"sqlite://{tmp_path / 'cli.sqlite3'}"
    shutil.copyfile(sqlite_template, tmp_path / "cli.sqlite3")  # migrated once a run
    monkeypatch.setenv("JIESU_DATABASE_URL", url)

    async def prepare() -> None:
        async with orm(url):
            await load_demo_district()
            ctx = HandlerContext(
                now=SystemClock().now(),
                settings=Settings(),
                gazetteer=await load_gazetteer(),
                routing=await load_routing_table(),
            )
            for openid, text in (
                ("o-1", "开鲁新村12号楼垃圾箱房好几天没人清运，垃圾堆到外面，臭气熏天"),
                ("o-2", "开鲁新村12号楼的垃圾箱房垃圾满出来了，几天没清运很臭"),
            ):
                await report_case(await Resident.create(openid=openid), text, ctx)

    asyncio.run(prepare())
    return url


def test_hot_lists_the_issue(database: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["hot", "--json"]) == 0
    issues = json.loads(capsys.readouterr().out)
    assert len(issues) == 1 and issues[0]["residents"] == 2 and len(issues[0]["numbers"]) == 2
    assert main(["hot"]) == 0
    assert "residents 2" in capsys.readouterr().out


def test_recategorise_keeps_the_example(database: str, capsys: pytest.CaptureFixture[str]) -> None:
    async def first_number() -> str:
        async with orm(database):
            return (await Case.all().order_by("id").first()).number  # type: ignore[union-attr]

    number = asyncio.run(first_number())
    assert main(["recategorise", number, "环境保护/噪声污染", "--by", "dispatcher-li"]) == 0
    assert "环境保护/噪声污染" in capsys.readouterr().out
    assert main(["recategorise", number, "城乡建设/乱七八糟", "--by", "li"]) == 2
    assert "unknown category" in capsys.readouterr().err
    assert main(["recategorise", "2001010001", "城乡建设/物业管理", "--by", "li"]) == 2

    async def corrections() -> int:
        async with orm(database):
            return await CategoryCorrection.all().count()

    assert asyncio.run(corrections()) == 1


def test_assign_moves_an_unsigned_case(database: str, capsys: pytest.CaptureFixture[str]) -> None:
    async def first_number() -> str:  # the second case joined the first
        async with orm(database):
            return (await Case.all().order_by("id").first()).number  # type: ignore[union-attr]

    number = asyncio.run(first_number())
    assert main(["assign", number, "ST-YX", "--by", "zhuting"]) == 2
    assert "needs a reason" in capsys.readouterr().err
    assert main(["assign", number, "ST-YX", "--by", "zhuting", "--reason", "辖区调整"]) == 0
    assert "殷行街道办事处" in capsys.readouterr().out
    assert main(["assign", number, "NOPE", "--by", "zhuting", "--reason", "x"]) == 2
