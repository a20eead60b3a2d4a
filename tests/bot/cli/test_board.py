"""``jiesu board import FILE.csv`` against a real database file."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import pytest

from bot.cli.main import main
from handlers.district.setup import load_demo_district
from models import Case
from models.database import orm

EXPORT = (
    "留言编号,留言用户,留言主题,留言时间,留言详情,点赞数,反对数\n"
    '1001,U1,政通路路灯不亮,2026-12-01 08:00:00,"政通路上的路灯坏了好几天，晚上很黑",4,0\n'
    '1002,U2,开鲁新村电梯故障,2026-12-01 09:00:00,"开鲁新村12号楼电梯又坏了",0,1\n'
)


@pytest.fixture
def database(sqlite_template: Path, monkeypatch: pytest.MonkeyPatch, clean_env: Path) -> str:
    url = f"sqlite://{clean_env / 'cli.sqlite3'}"
    shutil.copyfile(sqlite_template, clean_env / "cli.sqlite3")

    async def district() -> None:
        async with orm(url):
            await load_demo_district()

    asyncio.run(district())
    monkeypatch.setenv("JIESU_DATABASE_URL", url)
    return url


def test_a_board_export_is_brought_in_once(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export = tmp_path / "board.csv"
    export.write_text("\ufeff" + EXPORT, encoding="utf-8")
    assert main(["board", "import", str(export), "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert len(first["created"]) == 2
    export.write_text(EXPORT.replace(",4,0", ",9,0"), encoding="utf-8")
    assert main(["board", "import", str(export)]) == 0
    assert "created 0 cases, updated the votes of 1, 1 unchanged" in capsys.readouterr().out

    async def stored() -> list[tuple[str, int]]:
        async with orm(database):
            return list(
                await Case.all().order_by("source_ref").values_list("source_ref", "votes_up")
            )

    assert asyncio.run(stored()) == [("board:1001", 9), ("board:1002", 0)]


def test_a_wrong_file_imports_nothing(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export = tmp_path / "board.csv"
    export.write_text(EXPORT.replace(",4,0", ",many,0"), encoding="utf-8")
    assert main(["board", "import", str(export)]) == 2
    assert "第 1 条" in capsys.readouterr().err
    assert main(["board", "import", str(tmp_path / "missing.csv")]) == 2


def test_retopic_brings_stored_topic_words_up_to_date(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export = tmp_path / "board.csv"
    export.write_text(EXPORT, encoding="utf-8")
    assert main(["board", "import", str(export)]) == 0
    capsys.readouterr()

    async def age_topics() -> None:
        async with orm(database):
            await Case.all().update(topic="旧 规则 的 词")

    asyncio.run(age_topics())
    assert main(["retopic"]) == 0
    assert "read 2 cases, brought the topic words of 2 up to date" in capsys.readouterr().out
    assert main(["retopic", "--days", "3650"]) == 0
    assert "of 0 up to date" in capsys.readouterr().out
    assert main(["retopic", "--days", "0"]) == 2
    assert "--days must be a positive number" in capsys.readouterr().err
