"""The trained category model: fitting, prediction, files, labels, and its place in understand."""

from __future__ import annotations

import io
import json
import zipfile
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from config.taxonomy import TAXONOMY, categories_by_path
from nlu import ModelError, TrainedModel, load_model, understand
from nlu.examples import DataError, label_examples, read_csv
from nlu.model import message_views, resolve_label, second_level_by_keywords
from nlu.neighbours import Neighbours
from nlu.training import train

from .training_examples import EXAMPLES, write_csv


def _pairs() -> list[tuple[str, str]]:
    return [(f"{title}\n{text}", label) for title, text, label in EXAMPLES]


@pytest.fixture(scope="module")
def model() -> TrainedModel:
    return train(label_examples(_pairs()))


@pytest.fixture(scope="module")
def saved(model: TrainedModel, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("model") / "category.model"
    model.save(path)
    return path


def test_learns_the_labels_it_was_given(model: TrainedModel) -> None:
    assert model.labels == ("交通运输", "劳动和社会保障", "城乡建设", "教育文体")
    right = sum(model.predict(text).label == label for text, label in _pairs())
    assert right >= len(EXAMPLES) - 2


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("物业公司不管楼道卫生，物业费白交了", "城乡建设"),
        ("老板拖欠工资两个月，社保也没交", "劳动和社会保障"),
        ("学校让家长交资料费，孩子的老师还在校外补课", "教育文体"),
        ("公交车到站不停，司机态度很差", "交通运输"),
    ],
)
def test_predicts_unseen_messages(model: TrainedModel, text: str, label: str) -> None:
    prediction = model.predict(text)
    assert prediction.label == label
    assert prediction.path.startswith(label + "/")
    assert prediction.path in categories_by_path()
    assert 0.0 <= prediction.confidence <= 1.0
    assert prediction.runner_up is None or (
        prediction.runner_up in categories_by_path() and prediction.runner_up != prediction.path
    )


def test_second_level_comes_from_the_keywords(model: TrainedModel) -> None:
    assert model.predict("小区物业公司乱收物业费").path == "城乡建设/物业管理"


def test_second_level_without_keywords_is_other_or_first_child() -> None:
    zeros = [0.0] * len(TAXONOMY)
    for parent in {category.parent for category in TAXONOMY}:
        children = [category.path for category in TAXONOMY if category.parent == parent]
        expected = f"{parent}/其他" if f"{parent}/其他" in children else children[0]
        assert second_level_by_keywords(parent, zeros) == expected


def test_confidence_is_higher_for_a_clear_message(model: TrainedModel) -> None:
    clear = model.predict("公司拖欠工资，不签劳动合同，不交社保")
    vague = model.predict("你好，请问一下")
    assert clear.confidence > vague.confidence


def test_paths_and_second_level_names_are_labels_too() -> None:
    pairs = [
        (text, "物业管理" if label == "城乡建设" else label)
        for text, label in _pairs()
        if label in {"城乡建设", "教育文体"}
    ]
    model = train(label_examples(pairs), calibrate=False)
    assert model.labels == ("城乡建设/物业管理", "教育文体")
    assert model.predict("物业不打扫楼道").path == "城乡建设/物业管理"


def test_save_and_load_give_the_same_answers(model: TrainedModel, saved: Path) -> None:
    loaded = TrainedModel.load(saved)
    assert loaded.labels == model.labels
    assert loaded.temperature == model.temperature
    for text, _ in _pairs()[::5]:
        views = message_views(text, model.max_chars)
        assert np.allclose(loaded.scores(views), model.scores(views), atol=1e-5)
        assert loaded.predict(text) == model.predict(text)


def test_load_model_reads_a_file_once(saved: Path) -> None:
    assert load_model(saved) is load_model(saved)


def _rewrite(saved: Path, target: Path, change: dict[str, object]) -> Path:
    with np.load(saved, allow_pickle=False) as archive:
        arrays = {name: archive[name] for name in archive.files}
    header = json.loads(arrays["header"].tobytes().decode())
    header.update(change)
    arrays["header"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    with target.open("wb") as handle:
        np.savez(handle, **arrays)
    return target


def test_bad_files_are_refused_with_a_reason(saved: Path, tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.model"
    garbage.write_bytes(b"not a model at all")
    truncated = tmp_path / "truncated.model"
    truncated.write_bytes(saved.read_bytes()[:500])
    cases = {
        tmp_path / "missing.model": "cannot read",
        garbage: "not a jiesu model",
        truncated: "not a jiesu model",
        _rewrite(saved, tmp_path / "v9.model", {"version": 9}): "format version 9",
        _rewrite(saved, tmp_path / "other.model", {"format": "other"}): "not a jiesu model",
        _rewrite(saved, tmp_path / "labels.model", {"labels": ["火星", "月球"]}): "火星",
        _rewrite(saved, tmp_path / "shape.model", {"labels": ["城乡建设", "教育文体"]}): "shape",
    }
    for path, reason in cases.items():
        with pytest.raises(ModelError, match=reason):
            TrainedModel.load(path)


def test_a_file_with_pickled_objects_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "pickled.model"
    buffer = io.BytesIO()
    np.savez(buffer, header=np.array([{"format": "jiesu-nlu-model"}], dtype=object))
    path.write_bytes(buffer.getvalue())
    with pytest.raises(ModelError):
        TrainedModel.load(path)
    assert zipfile.is_zipfile(path)


def test_labels_resolve_against_the_taxonomy() -> None:
    assert resolve_label("城乡建设") == "城乡建设"
    assert resolve_label(" 城乡建设/物业管理 ") == "城乡建设/物业管理"
    assert resolve_label("物业管理") == "城乡建设/物业管理"
    assert resolve_label("火星事务") is None
    names = Counter(category.name for category in TAXONOMY)
    for name, count in names.items():
        assert (resolve_label(name) is None) == (count > 1)


def test_unknown_labels_are_listed_with_their_rows(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("text,label\n楼道漏水,城乡建设\n打雷了,天气\n又打雷,天气\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"'天气' \(row 3, 4\)"):
        read_csv(path)


def test_csv_forms(tmp_path: Path) -> None:
    plain = tmp_path / "plain.csv"
    plain.write_text("\ufefftext,label\n楼道漏水,城乡建设\n", encoding="utf-8")
    assert [(e.text, e.label) for e in read_csv(plain)] == [("楼道漏水", "城乡建设")]
    titled = write_csv(tmp_path / "titled.csv")
    first = read_csv(titled)[0]
    assert first.text == f"{EXAMPLES[0][0]}\n{EXAMPLES[0][1]}"
    assert first.label == "城乡建设"


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("", "is empty"),
        ("title,body,category\na,b,c\n", "lacks columns text, label"),
        ("text,label\n", "no rows"),
        ("text,label\n,城乡建设\n", r"empty text in row 2"),
    ],
)
def test_csv_problems_are_explained(tmp_path: Path, content: str, reason: str) -> None:
    path = tmp_path / "data.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(DataError, match=reason):
        read_csv(path)


def test_training_needs_two_labels() -> None:
    with pytest.raises(DataError, match="two different labels"):
        train([("楼道漏水", "城乡建设"), ("物业不管", "城乡建设")])


def test_understand_takes_its_category_from_the_model(model: TrainedModel) -> None:
    text = "国权路小区物业不作为，楼道堆满杂物，物业费照收"
    with_model = understand(text, model=model)
    prediction = model.predict(text)
    assert with_model.category == prediction.path
    assert with_model.category_confidence == prediction.confidence
    assert with_model.category_runner_up == prediction.runner_up
    without = understand(text)
    assert (with_model.kind, with_model.title, with_model.place) == (
        without.kind,
        without.title,
        without.place,
    )


def _neighbours(dense: np.ndarray, query_features: int) -> Neighbours:
    """Messages as rows of ``dense``, stored by feature as training stores them."""
    by_feature = dense.T
    indptr, rows, values = [0], [], []
    for column in by_feature:
        (found,) = np.nonzero(column)
        rows += found.tolist()
        values += column[found].tolist()
        indptr.append(len(rows))
    return Neighbours(
        k=2,
        weight=1.0,
        indptr=np.asarray(indptr, dtype=np.int64),
        rows=np.asarray(rows, dtype=np.int32),
        values=np.asarray(values, dtype=np.float32),
        labels=np.asarray([0, 1, 1, 0], dtype=np.int32),
        query_features=query_features,
    )


def test_neighbour_similarity_is_a_dot_product_over_the_heaviest_features() -> None:
    dense = np.asarray(
        [[0.5, 0.0, 0.2, 0.0, 0.1], [0.0, 0.7, 0.0, 0.3, 0.0], [0.4, 0.4, 0.0, 0.0, 0.0], [0] * 5],
        dtype=np.float32,
    )
    columns = np.asarray([0, 1, 3, 4])
    weights = np.asarray([0.6, 0.05, 0.3, 0.2])
    query = np.zeros(5)
    query[columns] = weights
    assert np.allclose(_neighbours(dense, 0).similarity(columns, weights), dense @ query)
    heaviest = query.copy()
    heaviest[[1, 4]] = 0.0  # only the two heaviest features, 0 and 3, count
    assert np.allclose(_neighbours(dense, 2).similarity(columns, weights), dense @ heaviest)
    votes = _neighbours(dense, 0).votes(columns, weights, classes=2)
    assert np.isclose(votes.sum(), 1.0) and votes[0] > votes[1]
    assert not _neighbours(dense, 0).votes(np.asarray([2]), np.asarray([0.0]), 2).any()


def test_the_neighbour_setting_is_saved(model: TrainedModel, saved: Path) -> None:
    assert model.neighbours is not None and model.neighbours.query_features > 0
    loaded = TrainedModel.load(saved)
    assert loaded.neighbours is not None
    assert loaded.neighbours.query_features == model.neighbours.query_features


@pytest.mark.parametrize(
    "text", ["The street light outside building 5 is broken", "🙂", "", "123456"]
)
def test_messages_the_model_has_no_words_for(model: TrainedModel, text: str) -> None:
    prediction = model.predict(text)
    assert prediction.path in categories_by_path()
    assert understand(text, model=model).category == prediction.path
