"""Metrics of the category evaluation, on cases worked out by hand."""

from __future__ import annotations

import pytest

from nlu.evaluation import evaluate, measure, percentile
from nlu.examples import Example

CITY, TRAFFIC, SCHOOL = "城乡建设", "交通运输", "教育文体"


def test_first_level_gold_compares_first_levels() -> None:
    gold = [CITY, CITY, CITY, TRAFFIC, TRAFFIC, SCHOOL]
    predicted = [
        "城乡建设/物业管理",
        "城乡建设/市政设施",  # another second level: still right at the first level
        "交通运输/公共交通",
        "交通运输/停车管理",
        "教育文体/学校教育",
        "教育文体/学校教育",
    ]
    result = evaluate(gold, predicted)
    assert result.first_level
    assert result.n == 6
    assert result.accuracy == pytest.approx(4 / 6)
    scores = {s.label: s for s in result.per_label}
    # 城乡建设: 2 of 3 found, both guesses right -> P 1, R 2/3, F1 0.8
    assert (scores[CITY].precision, scores[CITY].recall) == (1.0, pytest.approx(2 / 3))
    assert scores[CITY].f1 == pytest.approx(0.8)
    # 交通运输: 1 of 2 found, 1 of 2 guesses right -> 0.5 each
    assert (scores[TRAFFIC].precision, scores[TRAFFIC].recall, scores[TRAFFIC].f1) == (
        0.5,
        0.5,
        0.5,
    )
    # 教育文体: 1 of 1 found, 1 of 2 guesses right -> P 0.5, R 1, F1 2/3
    assert scores[SCHOOL].f1 == pytest.approx(2 / 3)
    assert scores[SCHOOL].support == 1
    assert result.macro_f1 == pytest.approx((0.8 + 0.5 + 2 / 3) / 3)
    assert result.labels == (TRAFFIC, CITY, SCHOOL)
    assert result.confusion == ((1, 0, 1), (1, 2, 0), (0, 0, 1))


def test_path_gold_compares_whole_paths() -> None:
    gold = ["城乡建设/物业管理", "城乡建设/物业管理", CITY]
    predicted = ["城乡建设/物业管理", "城乡建设/市政设施", "城乡建设/市政设施"]
    result = evaluate(gold, predicted)
    assert not result.first_level
    assert result.accuracy == pytest.approx(2 / 3)
    # A path predicted that no gold label has gets its own column and counts against precision.
    assert result.columns == (CITY, "城乡建设/物业管理", "城乡建设/市政设施")
    assert result.confusion == ((1, 0, 0), (0, 1, 1))
    scores = {s.label: s for s in result.per_label}
    assert scores["城乡建设/物业管理"].f1 == pytest.approx(2 / 3)
    assert scores[CITY].f1 == 1.0


def test_labels_the_data_lacks_do_not_count_in_macro_f1() -> None:
    result = evaluate([CITY, CITY], ["城乡建设/其他", "民政/养老服务"])
    assert [s.label for s in result.per_label] == [CITY]
    assert result.macro_f1 == pytest.approx(2 / 3)  # P 1, R 0.5
    assert result.columns == (CITY, "民政")


def test_percentiles_are_nearest_rank() -> None:
    values = [float(v) for v in range(100, 0, -1)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 99) == 99.0
    assert percentile([3.0], 99) == 3.0
    with pytest.raises(ValueError):
        percentile([], 50)


def test_measure_times_every_message() -> None:
    examples = [Example("a", CITY), Example("b", TRAFFIC)]
    seen: list[tuple[int, int, str]] = []
    result = measure(
        examples,
        lambda text: "城乡建设/其他",
        progress=lambda done, total, stage: seen.append((done, total, stage)),
        every=1,
    )
    assert result.accuracy == 0.5
    assert result.latency_ms_p50 is not None and result.latency_ms_p50 >= 0
    assert result.latency_ms_p99 is not None and result.latency_ms_p99 >= result.latency_ms_p50
    assert seen[-1] == (2, 2, "classifying")
    keys = {"accuracy", "macro_f1", "n", "per_label", "latency_ms_p50", "latency_ms_p99"}
    assert keys <= set(result.as_json())


def test_nothing_to_evaluate_is_an_error() -> None:
    with pytest.raises(ValueError):
        evaluate([], [])
