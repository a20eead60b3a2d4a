"""``jiesu nlu train`` and ``jiesu nlu eval`` on a small CSV the test writes."""

from __future__ import annotations

import asyncio
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.cli.main import main
from models import CategoryCorrection
from models.database import orm
from nlu import TrainedModel
from tests.nlu.training_examples import write_csv

JSON_KEYS = {"accuracy", "macro_f1", "n", "per_label", "latency_ms_p50", "latency_ms_p99"}


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "history.csv")


def test_train_then_eval(data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = tmp_path / "category.model"
    assert main(["nlu", "train", str(data), "--out", str(model)]) == 0
    out, err = capsys.readouterr()
    assert model.exists()
    assert "48 messages, 4 labels" in out
    assert f"JIESU_NLU_MODEL={model}" in out
    assert "fitting" in err  # progress goes to stderr

    assert main(["nlu", "eval", str(data), "--model", str(model)]) == 0
    out, _ = capsys.readouterr()
    assert str(model) in out
    assert "macro-F1" in out and "p99" in out
    assert "劳动和社会保障" in out and "confusion" in out

    assert main(["nlu", "eval", str(data), "--model", str(model), "--json"]) == 0
    out, _ = capsys.readouterr()
    result = json.loads(out)
    assert JSON_KEYS <= set(result)
    assert result["n"] == 48
    assert result["accuracy"] >= 0.9
    assert set(result["per_label"]) == {"交通运输", "劳动和社会保障", "城乡建设", "教育文体"}


def test_eval_without_a_model_uses_the_keywords(
    data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["nlu", "eval", str(data)]) == 0
    out, _ = capsys.readouterr()
    assert "built-in keyword scorer" in out
    assert main(["nlu", "eval", str(data), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert JSON_KEYS <= set(result)
    assert result["model"] == "keywords"


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("title,body\na,b\n", "lacks column"),
        ("text,label\n楼道漏水,火星事务\n", "火星事务"),
        ("", "is empty"),
    ],
)
def test_bad_data_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, reason: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    for command in (["train", str(path), "--out", str(tmp_path / "m")], ["eval", str(path)]):
        assert main(["nlu", *command]) == 2
        out, err = capsys.readouterr()
        assert out == ""
        assert err.count("\n") == 1 and reason in err
        assert err.startswith(f"jiesu nlu {command[0]}: ")


def test_bad_model_exits_2(data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = tmp_path / "bad.model"
    model.write_text("no model here", encoding="utf-8")
    assert main(["nlu", "eval", str(data), "--model", str(model)]) == 2
    err = capsys.readouterr().err
    assert "not a jiesu model" in err and err.count("\n") == 1


@pytest.fixture
def corrections_db(sqlite_template: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """A database with dispatchers' corrections, as `jiesu recategorise` leaves them."""
    url = f"sqlite://{tmp_path / 'cases.sqlite3'}"
    shutil.copyfile(sqlite_template, tmp_path / "cases.sqlite3")  # migrated once a run
    monkeypatch.setenv("JIESU_DATABASE_URL", url)
    rows = [(text, "环境保护/噪声污染") for text in ("夜里施工噪音大", "广场舞音响太吵")]
    rows += [(text, "城乡建设/物业管理") for text in ("物业不修电梯", "物业乱收停车费")]

    async def prepare() -> None:
        async with orm(url):
            for text, label in rows * 3:
                await CategoryCorrection.create(
                    text=text,
                    old_category="城乡建设/其他",
                    new_category=label,
                    corrected_by="staff:li",
                    corrected_at=datetime.now(UTC),
                )

    asyncio.run(prepare())
    return url


def test_train_from_cases(
    corrections_db: str, data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    alone = tmp_path / "cases.model"
    assert main(["nlu", "train", "--from-cases", "--out", str(alone)]) == 0
    assert "12 messages, 2 labels" in capsys.readouterr().out
    assert set(TrainedModel.load(alone).labels) == {"环境保护/噪声污染", "城乡建设/物业管理"}

    # With first-level history, the corrections are cut to their first level.
    both = tmp_path / "both.model"
    assert main(["nlu", "train", str(data), "--from-cases", "--out", str(both)]) == 0
    assert "60 messages" in capsys.readouterr().out
    labels = set(TrainedModel.load(both).labels)
    assert "环境保护" in labels and all("/" not in label for label in labels)


def test_train_needs_some_data(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["nlu", "train", "--out", str(tmp_path / "m")]) == 2
    assert "DATA.csv, --from-cases" in capsys.readouterr().err
