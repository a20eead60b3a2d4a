"""``jiesu nlu train`` and ``jiesu nlu eval`` on a small CSV the test writes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main
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
