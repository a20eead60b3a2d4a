"""``jiesu figures close-month``: once per month, again only with ``--recompute``, audited."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from bot.cli.main import main
from handlers.clock import SystemClock, local
from handlers.figures.ranking import previous_month
from models import AuditEvent, FigureSnapshot, Unit
from models.database import orm


@pytest.fixture
def database(sqlite_template: Path, monkeypatch: pytest.MonkeyPatch, clean_env: Path) -> str:
    url = f"sqlite://{clean_env / 'cli.sqlite3'}"
    shutil.copyfile(sqlite_template, clean_env / "cli.sqlite3")  # migrated once a run
    monkeypatch.setenv("JIESU_DATABASE_URL", url)

    async def prepare() -> None:
        async with orm(url):
            await Unit.create(code="U-A", name="甲街道")

    asyncio.run(prepare())
    return url


def stored(url: str) -> tuple[list[tuple[str, int | None]], list[str]]:
    async def read() -> tuple[list[tuple[str, int | None]], list[str]]:
        async with orm(url):
            rows = await FigureSnapshot.all().order_by("id").values_list("period", "unit_id")
            actions = await AuditEvent.all().order_by("id").values_list("action", flat=True)
            return [(str(p), u) for p, u in rows], [str(a) for a in actions]

    return asyncio.run(read())


def test_close_a_month_once_then_recompute(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["figures", "close-month", "2026-01"]) == 0
    assert "closed 2026-01: district and 1 unit(s)" in capsys.readouterr().out
    rows, actions = stored(database)
    assert [period for period, _ in rows] == ["2026-01", "2026-01"]
    assert {unit for _, unit in rows} == {None, 1}
    assert actions == ["figures.close_month"]

    assert main(["figures", "close-month", "2026-01"]) == 2
    assert "已结账" in capsys.readouterr().err
    assert stored(database)[1] == ["figures.close_month"]  # nothing changed

    assert main(["figures", "close-month", "2026-01", "--recompute"]) == 0
    assert "recomputed 2026-01" in capsys.readouterr().out
    rows, actions = stored(database)
    assert len(rows) == 2 and actions == ["figures.close_month", "figures.recompute_month"]


def test_a_month_not_over_or_misspelt_is_refused(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["figures", "close-month", "2999-12"]) == 2
    assert "尚未结束" in capsys.readouterr().err
    for bad in ("2026-13", "26-01", "2026-1"):
        assert main(["figures", "close-month", bad]) == 2
        assert "YYYY-MM" in capsys.readouterr().err
    assert stored(database) == ([], [])
    # Without a month: the previous one.
    assert main(["figures", "close-month"]) == 0
    expected = previous_month(local(SystemClock().now()).date())
    assert f"closed {expected}" in capsys.readouterr().out
