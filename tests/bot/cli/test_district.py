"""``jiesu district``: import (preview, then --apply), export and its round trip, one-row edits,
and the start-up warning of a district that is not set up."""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
from pathlib import Path

import pytest

from bot.cli.main import main, warn_if_not_set_up
from models import AuditEvent, Grid, Unit, Worker
from models.database import orm

UNITS = "code,name,kind,parent\nJW-1,一居委,station,ST-1\nST-1,一街道办事处,street,\n"
WORKERS = "name,role,unit,grids,phone,wecom_userid\n李华,grid_worker,ST-1,G-1,139,lihua\n"
GRIDS = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {"code": "G-1", "name": "一网格", "street": "一街道", "unit": "ST-1"},
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]],
            },
        }
    ],
}


@pytest.fixture
def database(sqlite_template: Path, monkeypatch: pytest.MonkeyPatch, clean_env: Path) -> str:
    url = f"sqlite://{clean_env / 'cli.sqlite3'}"
    shutil.copyfile(sqlite_template, clean_env / "cli.sqlite3")  # migrated once a run
    monkeypatch.setenv("JIESU_DATABASE_URL", url)
    return url


def write_district(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "units.csv").write_text(UNITS, encoding="utf-8")
    (folder / "workers.csv").write_text(WORKERS, encoding="utf-8")
    (folder / "grids.geojson").write_text(json.dumps(GRIDS), encoding="utf-8")
    return folder


def count(database: str, model: type[Unit] | type[Grid] | type[Worker]) -> int:
    async def counted() -> int:
        async with orm(database):
            return await model.all().count()

    return asyncio.run(counted())


def test_import_previews_then_applies_and_is_idempotent(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = write_district(tmp_path / "district")
    assert main(["district", "import", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "+ unit JW-1" in out and "4 added, 0 changed, 0 left alone" in out
    assert "nothing was written" in out and count(database, Unit) == 0

    assert (
        main(
            [
                "district",
                "import",
                str(folder / "units.csv"),
                str(folder / "grids.geojson"),
                str(folder / "workers.csv"),
                "--apply",
            ]
        )
        == 0
    )
    assert "applied." in capsys.readouterr().out
    assert (
        count(database, Unit) == 2 and count(database, Grid) == 1 and count(database, Worker) == 1
    )

    assert main(["district", "import", str(folder), "--apply"]) == 0
    out = capsys.readouterr().out
    assert "0 added, 0 changed, 4 left alone" in out and "applied." not in out

    (folder / "workers.csv").write_text(WORKERS.replace(",139,", ",138,"), encoding="utf-8")
    assert main(["district", "import", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "~ worker lihua" in out and "phone: '139' -> '138'" in out


def test_a_bad_file_is_refused_and_nothing_written(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = write_district(tmp_path / "district")
    (folder / "units.csv").write_text(UNITS + "ST-2,二街道,street,NOPE\n", encoding="utf-8")
    assert main(["district", "import", str(folder), "--apply"]) == 2
    err = capsys.readouterr().err
    assert "units.csv 第 4 行：没有上级单位 NOPE" in err and "nothing was written" in err
    assert count(database, Unit) == 0
    assert main(["district", "import", str(tmp_path / "missing")]) == 2
    assert main(["district", "import", str(tmp_path / "nothing-here.txt")]) == 2


def test_export_writes_the_files_back_and_importing_them_changes_nothing(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["migrate", "--demo"]) == 0
    assert main(["district", "import", str(write_district(tmp_path / "in")), "--apply"]) == 0
    out_dir = tmp_path / "out"
    assert main(["district", "export", str(out_dir)]) == 0
    assert sorted(p.name for p in out_dir.iterdir()) == [
        "grids.geojson",
        "places.csv",
        "stations.csv",
        "units.csv",
        "workers.csv",
    ]
    capsys.readouterr()
    assert main(["district", "import", str(out_dir)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("0 added, 0 changed,"), out


def test_one_row_edits_change_only_what_is_given_and_are_audited(
    database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["district", "import", str(write_district(tmp_path / "d")), "--apply"]) == 0
    assert main(["district", "unit", "JW-1", "--phone", "021-5"]) == 0
    assert main(["district", "unit", "ST-1", "--parent", "JW-1"]) == 2
    assert "循环" in capsys.readouterr().err
    assert main(["district", "worker", "lihua", "--openid", "o-lihua", "--inactive"]) == 0
    assert main(["district", "worker", "--new", "王新", "--unit", "ST-1", "--grids", "G-1"]) == 0
    capsys.readouterr()
    assert main(["district", "workers", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {row["name"] for row in rows} == {"李华", "王新"}

    async def check() -> None:
        async with orm(database):
            unit = await Unit.get(code="JW-1")
            assert unit.phone == "021-5" and unit.name == "一居委"  # the rest kept
            lihua = await Worker.get(wecom_userid="lihua")
            assert lihua.openid == "o-lihua" and not lihua.active and lihua.phone == "139"
            assert await Worker.filter(name="王新", active=True).exists()
            saves = await AuditEvent.filter(via="cli").values_list("action", flat=True)
            assert {"unit.save", "worker.save", "district.import"} <= set(saves)

    asyncio.run(check())


def test_start_up_warns_what_the_district_lacks(
    database: str, caplog: pytest.LogCaptureFixture
) -> None:
    async def warn() -> None:
        async with orm(database):
            await warn_if_not_set_up()

    with caplog.at_level(logging.WARNING, logger="jiesu"):
        asyncio.run(warn())
    said = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("no units" in m and "jiesu district import" in m for m in said), said
    assert any("no grids" in m for m in said) and any("no routing rule" in m for m in said)

    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="jiesu"):
        assert main(["migrate", "--demo"]) == 0
        asyncio.run(warn())
    assert not [r for r in caplog.records if "no case can be routed" in r.getMessage()]
